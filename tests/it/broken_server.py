"""A deliberately broken custom runtime, for fc-local's tests.

What it gets wrong, on purpose: it binds 127.0.0.1 only (unless --any), closes a
keep-alive connection after 1 s of idle, prints no FC marker lines, ignores SIGTERM,
answers an event it cannot decode with a bare 500 (no x-fc-status, so FC would record a
success), and streams nothing (every answer has a Content-Length).
Otherwise it answers: POST /invoke -> "Hello, <event>", and the event "fail" gets FC's
failure shape (404 + x-fc-status: 404). A few paths misbehave for the gateway tests:
/big-headers (9 KB of response headers), /reserved (headers FC strips), /sleep (3 s),
/exit (the process dies mid-request).
"""
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 1  # idle keep-alive connections die after 1 s

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = self.path.split("?")[0]
        if path == "/invoke" and not is_utf8(body):
            self.answer(500, b"cannot decode the event")
        elif path == "/invoke" and body == b"fail":
            self.answer(404, b'{"errorMessage":"exception","errorType":"Error"}', [("x-fc-status", "404")])
        elif path == "/big-headers":
            self.answer(200, b"big", [("X-Big-%d" % i, "v" * 1000) for i in range(9)])
        elif path == "/reserved":
            self.answer(200, b"reserved", [("X-Fc-Extra", "1"), ("Content-Disposition", "attachment; filename=a"), ("X-Kept", "yes")])
        elif path == "/exit":
            os._exit(3)
        elif path == "/sleep":
            time.sleep(3)
            self.answer(200, b"late")
        else:
            self.answer(200, b"Hello, " + body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_any


def is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    port = int(os.environ.get("FC_CUSTOM_LISTEN_PORT") or 9000)
    host = "0.0.0.0" if "--any" in sys.argv else "127.0.0.1"
    ThreadingHTTPServer((host, port), Handler).serve_forever()
