# load's own HTTP/1.1 client (net/h1.c, net/h1load.c) against a test-owned server that
# answers in every way HTTP/1.1 allows: a streamed body by Content-Length, one up to the
# connection's end (HTTP/1.0), chunked with the connection then closed without saying so
# (the next request on it must go again on a fresh one, not fail), a chunked answer behind
# a 100 Continue, and one that is no HTTP at all (a failed request with its cause, the rest
# measured). Kept-alive connections are reused: 12 requests, 2 at once, over few connections.
. "$(dirname "$0")/lib.sh"
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT

cat >srv.py <<'PY'
import json, socket, socketserver, sys, threading
conns = [0]
def events(n):
    out = ''
    for k in range(n):
        out += 'data: ' + json.dumps({'choices': [{'index': 0, 'text': 't%d ' % k,
                                       'finish_reason': 'length' if k == n - 1 else None}]}) + '\n\n'
    out += 'data: ' + json.dumps({'choices': [], 'usage': {'prompt_tokens': 4, 'completion_tokens': n,
                                                           'total_tokens': 4 + n}}) + '\n\n'
    return (out + 'data: [DONE]\n\n').encode()
def chunked(b):
    return b''.join(b'%x\r\n%s\r\n' % (len(b[i:i + 7]), b[i:i + 7]) for i in range(0, len(b), 7)) + b'0\r\n\r\n'
class H(socketserver.StreamRequestHandler):
    def handle(self):
        counted = False
        while True:
            head = b''
            while not head.endswith(b'\r\n\r\n'):
                c = self.rfile.read(1)
                if not c:
                    return
                head += c
            hdr = dict(l.split(': ', 1) for l in head.decode().split('\r\n')[1:] if ': ' in l)
            raw = self.rfile.read(int(hdr.get('Content-Length', '0')))
            if not head.startswith(b'POST /v1/completions '):  # the probe's
                self.wfile.write(b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
                continue
            if not counted:  # the connections that carried completions
                counted = True
                conns[0] += 1
                open(sys.argv[2], 'w').write(str(conns[0]))
            body = json.loads(raw)
            i = int(hdr.get('X-Request-Id', '0').rsplit('-', 1)[-1])
            ev = events(body['max_tokens'])
            w = self.wfile.write
            mode = i % 6
            if mode == 0:
                w(b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n' % len(ev) + ev)
            elif mode == 1:
                w(b'HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n' + ev)
                return
            elif mode == 2:
                w(b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' + chunked(ev))
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # closed, no Connection: close said
                return
            elif mode == 3:
                w(b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n'
                  b'Content-Type: text/event-stream\r\n\r\n' + chunked(ev))
            elif mode == 4 and i == 4:
                w(b'SPDY/9 nonsense\r\n\r\n')
                return
            else:
                w(b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' + chunked(ev))
            self.wfile.flush()
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
s = S(('127.0.0.1', 0), H)
open(sys.argv[1] + '.tmp', 'w').write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + '.tmp', sys.argv[1])
s.serve_forever()
PY
python3 srv.py port conns &
for i in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "the test server did not start"
url=http://127.0.0.1:$(cat port)

run "$QB" load --base-url "$url" --vocab-size 1000 --num-prompts 12 --max-concurrency 2 \
    --random-input-len 4 --random-output-len 5 --save-requests r.jsonl -o json
expect_rc 4 "the answers"
expect_err_has "quantbench: error: 1 of 12 requests failed or were not sent; the first: '$url/v1/completions': a malformed HTTP answer: no status line"
python3 - "$T/out" r.jsonl conns <<'PY' || fail "the answers"
import json, sys
row = json.load(open(sys.argv[1]))[0]
reqs = {r['index']: r for r in map(json.loads, open(sys.argv[2]))}
assert row['completed'] == 11 and row['failed'] == 1, row
for i, r in reqs.items():
    if i == 4:
        assert not r['success'] and r['cause'] == 'connection', r
        continue
    assert r['success'] and r['output_tokens'] == 5 and len(r['chunk_ns']) == 5, r
    assert r['chunk_ns'] == sorted(r['chunk_ns']) and r['chunk_ns'][0] >= r['send_ns'], r
# 2 connections at the start, then one new one for each the server closed (requests 1 and
# 7: HTTP/1.0; 2 and 8: closed unsaid, found dead by the next request, which went again;
# 4: no HTTP): 7. Without reuse it would be 12, without the retry a request would fail.
conns = int(open(sys.argv[3]).read())
assert conns == 7, conns
PY
