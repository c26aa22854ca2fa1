# Helpers for the serve tests (t12xx) and bench/serve_load.sh: raw HTTP over a socket (so
# a test controls every byte it sends) and a Server-Sent Events reader.
import json
import socket
import time
import urllib.parse


def addr(url):
    u = urllib.parse.urlparse(url)
    return u.hostname, u.port


def request(url, path, method="GET", headers=None, body=b"", timeout=10, raw=None):
    """(status, headers dict with lower-case names, body bytes) of one request; raw: the
    bytes to send instead of a request made from the rest"""
    s = socket.create_connection(addr(url), timeout=timeout)
    if raw is None:
        h = {"Host": "127.0.0.1", "Connection": "close"}
        h.update(headers or {})
        if body:
            h["Content-Length"] = str(len(body))
        raw = (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
               + "\r\n").encode() + body
    try:
        s.sendall(raw)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered before it read everything (a refused body): read that
    data = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        data += d
    s.close()
    return parse_response(data, method == "HEAD")


def parse_response(data, head=False):
    top, _, rest = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1."):
        return 0, {}, data
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding") == "chunked" and not head:
        body = b""
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            body += rest[:n]
            rest = rest[n + 2:]
        rest = body
    return status, hdrs, rest


def get_json(url, path):
    st, h, b = request(url, path)
    assert st == 200, (path, st, b[:300])
    assert h["content-type"].startswith("application/json"), h
    return json.loads(b)


class Stream:
    """GET /api/stream...: frames as they come ({"id", "data": parsed JSON, "t": receipt
    time}), comments (": ping") and the retry field"""

    def __init__(self, url, query="", last_id=None, timeout=30):
        self.s = socket.create_connection(addr(url), timeout=timeout)
        h = "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if last_id is not None:
            h += f"Last-Event-ID: {last_id}\r\n"
        self.s.sendall(f"GET /api/stream{query} HTTP/1.1\r\n{h}\r\n".encode())
        self.buf = b""
        self.text = ""
        self.headers = None
        self.status = None
        self.retry = None
        self.comments = []
        self.closed = False

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            self.closed = True
            raise EOFError("stream closed")
        self.buf += d
        if self.headers is None and b"\r\n\r\n" in self.buf:
            top, _, self.buf = self.buf.partition(b"\r\n\r\n")
            self.status, self.headers, _ = parse_response(top + b"\r\n\r\n")
        if self.headers is not None:
            # de-chunk what is whole
            while True:
                i = self.buf.find(b"\r\n")
                if i < 0:
                    break
                n = int(self.buf[:i].split(b";")[0], 16)
                if len(self.buf) < i + 2 + n + 2:
                    break
                self.text += self.buf[i + 2:i + 2 + n].decode()
                self.buf = self.buf[i + 2 + n + 2:]
                if n == 0:
                    self.closed = True

    def next(self, within=None):
        """the next event frame (comments and retry noted on the way); within: seconds to
        wait for it at most (TimeoutError), whatever comments come meanwhile"""
        end = time.time() + within if within is not None else None
        while True:
            while "\n\n" not in self.text:
                if self.closed:
                    raise EOFError("stream ended")
                if end is not None:
                    left = end - time.time()
                    if left <= 0:
                        raise TimeoutError("no event within %.1f s" % within)
                    self.s.settimeout(left)
                self._fill()
            block, _, self.text = self.text.partition("\n\n")
            fid, data = None, None
            for ln in block.split("\n"):
                if ln.startswith(":"):
                    self.comments.append(ln)
                elif ln.startswith("retry: "):
                    self.retry = int(ln[7:])
                elif ln.startswith("id: "):
                    fid = int(ln[4:])
                elif ln.startswith("data: "):
                    assert data is None, "one data line per frame"
                    data = json.loads(ln[6:])
            if fid is not None:
                assert data is not None and data["id"] == fid, block
                return {"id": fid, "data": data, "t": time.time()}

    def close(self):
        self.s.close()


def wait_url(path, proc, timeout=20):
    """the URL a serve process printed on stdout (into path)"""
    end = time.time() + timeout
    while time.time() < end:
        try:
            line = open(path).readline()
            if line.endswith("\n"):
                return line.strip()
        except FileNotFoundError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("serve exited %d" % proc.returncode)
        time.sleep(0.05)
    raise RuntimeError("serve printed no URL")
