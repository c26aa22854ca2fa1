#!/usr/bin/env python3
"""A file server for mem's tests (127.0.0.1 only): GET /NAME serves DIR/NAME with Range
support (206 and Content-Range), /redirect/NAME answers 302 to /NAME, and with
--ignore-range every answer is a 200 of the whole file. Each body byte it sends is counted:
the log gets one line per request, "PATH RANGE STATUS SENT". The port goes to --port-file."""
import argparse
import http.server
import os
import re
import socketserver
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ignore-range", action="store_true")
    a = ap.parse_args()
    log = open(a.log, "a", buffering=1)

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            path = self.path
            if path.startswith("/redirect/"):
                self.send_response(302)
                self.send_header("Location", path[len("/redirect"):])
                self.send_header("Content-Length", "0")
                self.end_headers()
                log.write("%s - 302 0\n" % path)
                return
            name = os.path.basename(path)
            fn = os.path.join(a.dir, name)
            if not name or not os.path.isfile(fn):
                body = b"not found"
                self.send_response(404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                log.write("%s - 404 0\n" % path)
                return
            size = os.path.getsize(fn)
            rng = self.headers.get("Range")
            lo, hi, status = 0, size - 1, 200
            m = re.match(r"bytes=(\d+)-(\d*)$", rng or "")
            if m and not a.ignore_range:
                lo = int(m.group(1))
                hi = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
                if lo >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % size)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    log.write("%s %s 416 0\n" % (path, rng))
                    return
                status = 206
            self.send_response(status)
            self.send_header("Content-Length", str(hi - lo + 1))
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (lo, hi, size))
            self.end_headers()
            sent = 0
            with open(fn, "rb") as f:
                f.seek(lo)
                left = hi - lo + 1
                try:
                    while left > 0:
                        chunk = f.read(min(left, 65536))
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        left -= len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
            log.write("%s %s %d %d\n" % (path, rng or "-", status, sent))

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = S(("127.0.0.1", 0), H)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
