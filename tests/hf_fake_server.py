#!/usr/bin/env python3
"""A fake Hugging Face Hub for the pull and mem tests (Python 3 stdlib only, 127.0.0.1).

Two listeners: the Hub ("api") and a CDN ("cdn") on another port, named --cdn-host in the
redirects so that the host differs too. The repositories are the folders of --root:
ROOT/OWNER/NAME/<files>. The Hub answers
  GET /api/models/OWNER/NAME/tree/REV[?recursive=true]  the listing, as the Hub's: a JSON
      array of {type: file|directory, oid, size, path, lfs: {oid: sha256, size,
      pointerSize}} (lfs for *.gguf and files over 1 MiB); --page-size N pages it with a
      Link: <...>; rel="next" header
  GET|HEAD /OWNER/NAME/resolve/REV/PATH  a 302 to the CDN with X-Linked-Size,
      X-Linked-Etag ("sha256") and X-Repo-Commit; --no-redirect: the bytes themselves
and the CDN GET|HEAD /blob/OWNER/NAME/PATH with Range (bytes=A-, A-B, -N: 206 and
Content-Range; past the end 416), ETag, Accept-Ranges. Unknown repositories, revisions
(--revisions, default main) and files are 404 (X-Error-Code: RepoNotFound,
RevisionNotFound, EntryNotFound); --require-token T answers 401 to Hub requests without
"Authorization: Bearer T".

Every request goes to --log as a JSON line: server (api|cdn), method, path, range (the
header or null), auth (the Authorization header or null), status, bytes (body bytes
written), dropped. Faults on file bodies (the CDN's, or the Hub's with --no-redirect):
  --drop-after K     close the connection after K body bytes (--drop-times N answers, default
                     1; -1 every one)
  --flip-byte OFF    the byte at file offset OFF goes out inverted
  --ignore-range     answer 200 and the whole file to a Range request
  --bad-content-range  answer a Range with 206 and a Content-Range one byte off
  --rate BPS         send at most BPS body bytes a second (a slow server, to kill mid-way)
The ports go to --port-file as "API_PORT CDN_PORT" once both listen.
"""
import argparse
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument('--root', required=True)
ap.add_argument('--port-file', required=True)
ap.add_argument('--log', default=None)
ap.add_argument('--cdn-host', default='localhost')
ap.add_argument('--no-redirect', action='store_true')
ap.add_argument('--revisions', default='main')
ap.add_argument('--require-token', default=None)
ap.add_argument('--page-size', type=int, default=0)
ap.add_argument('--drop-after', type=int, default=-1)
ap.add_argument('--drop-times', type=int, default=1)
ap.add_argument('--flip-byte', type=int, default=-1)
ap.add_argument('--ignore-range', action='store_true')
ap.add_argument('--bad-content-range', action='store_true')
ap.add_argument('--rate', type=float, default=0)
ARGS = ap.parse_args()
ROOT = os.path.abspath(ARGS.root)
REVS = set(ARGS.revisions.split(','))
LOCK = threading.Lock()
LOG = open(ARGS.log, 'a', buffering=1) if ARGS.log else None
STATE = {'drops': 0}
HASHES = {}
PORTS = {}


def sha256_of(path):
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    with LOCK:
        if key in HASHES:
            return HASHES[key]
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    with LOCK:
        HASHES[key] = h.hexdigest()
    return HASHES[key]


def git_oid(path):
    size = os.path.getsize(path)
    h = hashlib.sha1(b'blob %d\0' % size)
    if size <= 1 << 20:
        with open(path, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


def is_lfs(rel, size):
    return rel.endswith('.gguf') or size > 1 << 20


def repo_dir(owner, name):
    d = os.path.join(ROOT, owner, name)
    return d if owner and name and '..' not in (owner, name) and os.path.isdir(d) else None


def tree(d):
    items = []
    for base, dirs, files in os.walk(d):
        dirs.sort()
        for x in dirs:
            rel = os.path.relpath(os.path.join(base, x), d)
            items.append({'type': 'directory', 'oid': hashlib.sha1(rel.encode()).hexdigest(),
                          'size': 0, 'path': rel})
        for x in sorted(files):
            p = os.path.join(base, x)
            rel = os.path.relpath(p, d)
            size = os.path.getsize(p)
            it = {'type': 'file', 'oid': git_oid(p), 'size': size, 'path': rel}
            if is_lfs(rel, size):
                it['size'] = 134  # the pointer's, as the Hub says; lfs.size is the file's
                it['lfs'] = {'oid': sha256_of(p), 'size': size, 'pointerSize': 134}
            items.append(it)
    items.sort(key=lambda i: i['path'])
    return items


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_kind = 'api'

    def log_message(self, fmt, *a):
        pass

    def record(self, status, n, dropped=False):
        if LOG:
            LOG.write(json.dumps({'server': self.server_kind, 'method': self.command,
                                  'path': self.path, 'range': self.headers.get('Range'),
                                  'auth': self.headers.get('Authorization'), 'status': status,
                                  'bytes': n, 'dropped': dropped}) + '\n')

    def answer(self, status, body=b'', headers=(), ctype='application/json'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self.record(status, len(body) if self.command != 'HEAD' else 0)

    def error(self, status, code, msg):
        self.answer(status, json.dumps({'error': msg}).encode(), [('X-Error-Code', code)])

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def route(self):
        u = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in u.path.split('/')[1:]]
        if self.server_kind == 'cdn':
            if len(parts) >= 4 and parts[0] == 'blob':
                return self.file(parts[1], parts[2], '/'.join(parts[3:]))
            return self.error(404, 'EntryNotFound', 'not found')
        if ARGS.require_token and self.headers.get('Authorization') != 'Bearer ' + ARGS.require_token:
            return self.error(401, 'GatedRepo', 'Invalid credentials in Authorization header')
        if len(parts) >= 5 and parts[0] == 'api' and parts[1] == 'models' and parts[4] == 'tree':
            owner, name = parts[2], parts[3]
            rev = '/'.join(parts[5:]) or 'main'
            return self.listing(owner, name, rev, urllib.parse.parse_qs(u.query))
        if len(parts) >= 5 and parts[2] == 'resolve':
            owner, name, rev, path = parts[0], parts[1], parts[3], '/'.join(parts[4:])
            return self.resolve(owner, name, rev, path)
        return self.error(404, 'RepoNotFound', 'Repository not found')

    def listing(self, owner, name, rev, q):
        d = repo_dir(owner, name)
        if not d:
            return self.error(404, 'RepoNotFound', 'Repository not found')
        if rev not in REVS:
            return self.error(404, 'RevisionNotFound', 'Invalid rev id: ' + rev)
        items = tree(d)
        headers = []
        if ARGS.page_size > 0:
            start = int(q.get('cursor', ['0'])[0])
            page = items[start:start + ARGS.page_size]
            if start + ARGS.page_size < len(items):
                nxt = 'http://127.0.0.1:%d/api/models/%s/%s/tree/%s?recursive=true&cursor=%d' % (
                    PORTS['api'], owner, name, urllib.parse.quote(rev, safe=''), start + ARGS.page_size)
                headers.append(('Link', '<%s>; rel="next"' % nxt))
            items = page
        self.answer(200, json.dumps(items).encode(), headers)

    def resolve(self, owner, name, rev, path):
        d = repo_dir(owner, name)
        if not d:
            return self.error(404, 'RepoNotFound', 'Repository not found')
        if rev not in REVS:
            return self.error(404, 'RevisionNotFound', 'Invalid rev id: ' + rev)
        p = os.path.join(d, path)
        if '..' in path.split('/') or not os.path.isfile(p):
            return self.error(404, 'EntryNotFound', 'Entry not found')
        if ARGS.no_redirect:
            return self.file(owner, name, path)
        size, sha = os.path.getsize(p), sha256_of(p)
        loc = 'http://%s:%d/blob/%s/%s/%s' % (ARGS.cdn_host, PORTS['cdn'], owner, name,
                                              urllib.parse.quote(path))
        self.answer(302, b'', [('Location', loc), ('X-Linked-Size', str(size)),
                               ('X-Linked-Etag', '"%s"' % sha), ('ETag', '"%s"' % git_oid(p)),
                               ('X-Repo-Commit', '0' * 40)], ctype='text/plain')

    def file(self, owner, name, path):
        d = repo_dir(owner, name)
        p = os.path.join(d, path) if d else None
        if not p or '..' in path.split('/') or not os.path.isfile(p):
            return self.error(404, 'EntryNotFound', 'Entry not found')
        size, sha = os.path.getsize(p), sha256_of(p)
        rng = self.headers.get('Range')
        a, b, status = 0, size - 1, 200
        if rng and not ARGS.ignore_range:
            m = re.fullmatch(r'bytes=(\d*)-(\d*)', rng.strip())
            if not m or (not m.group(1) and not m.group(2)):
                return self.error(400, 'BadRange', 'bad Range')
            if m.group(1):
                a = int(m.group(1))
                b = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                a, b = max(0, size - int(m.group(2))), size - 1
            if a >= size:
                return self.answer(416, b'', [('Content-Range', 'bytes */%d' % size)])
            status = 206
        n = b - a + 1
        self.send_response(status)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(n))
        self.send_header('Accept-Ranges', 'bytes')
        self.send_header('ETag', '"%s"' % sha)
        if status == 206:
            off = 1 if ARGS.bad_content_range else 0
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (a + off, b + off, size))
        self.end_headers()
        if self.command == 'HEAD':
            return self.record(status, 0)
        drop = -1
        with LOCK:
            if ARGS.drop_after >= 0 and (ARGS.drop_times < 0 or STATE['drops'] < ARGS.drop_times):
                STATE['drops'] += 1
                drop = ARGS.drop_after
        sent, t0 = 0, time.monotonic()
        with open(p, 'rb') as f:
            f.seek(a)
            while sent < n:
                k = min(16384, n - sent)
                if ARGS.rate > 0:
                    k = min(k, max(1, int(ARGS.rate / 20)))
                if drop >= 0:
                    k = min(k, drop - sent)
                    if k <= 0:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return self.record(status, sent, True)
                chunk = bytearray(f.read(k))
                if 0 <= ARGS.flip_byte - (a + sent) < len(chunk):
                    chunk[ARGS.flip_byte - (a + sent)] ^= 0xff
                self.wfile.write(chunk)
                sent += len(chunk)
                if ARGS.rate > 0:
                    due = t0 + sent / ARGS.rate
                    if due > time.monotonic():
                        self.wfile.flush()
                        time.sleep(due - time.monotonic())
        self.record(status, sent)


class ApiHandler(Handler):
    server_kind = 'api'


class CdnHandler(Handler):
    server_kind = 'cdn'


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # a client that hung up is no news


def main():
    api = Server(('127.0.0.1', 0), ApiHandler)
    cdn = Server(('127.0.0.1', 0), CdnHandler)
    api.daemon_threads = cdn.daemon_threads = True
    PORTS['api'], PORTS['cdn'] = api.server_address[1], cdn.server_address[1]
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    tmp = ARGS.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d %d\n' % (PORTS['api'], PORTS['cdn']))
    os.rename(tmp, ARGS.port_file)
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    sys.exit(main())
