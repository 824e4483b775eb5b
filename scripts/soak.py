#!/usr/bin/env python3
"""`make soak`: minutes of mixed traffic against the release binary on loopback.

Traffic, all at once: keep-alive invokes with checked answers, a new connection per HTTP
request, 8 MiB Content-Length and 1 MiB chunked bodies, malformed requests (each must get its
4xx), slowloris and slow-body clients (the server must close them), and idle keep-alive
connections that must still work at the end. Then every client closes, the server must drop
back to its start-up thread and descriptor counts (plus what the first parked connection made
and keeps: the room's epoll and eventfd descriptors, and the keeper thread if load started
it), and SIGTERM must give exit 0.

Pass: no wrong or missing answer to a valid request, RSS flat after warm-up (end within
25% + 1 MiB of the warm-up sample), descriptors and threads back to their start-up values
(as above) once idle, exit 0. Std-only Python; `--minutes` sets the length (default 10).
"""

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/x86_64-unknown-linux-musl/release/fc-runtime")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conn:
    """A keep-alive client connection with a minimal response reader."""

    def __init__(self, port, timeout=30):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise ConnectionError("closed")
        self.buf += d

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        n = int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body

    def close(self):
        self.s.close()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = {}
        self.bad = []

    def good(self, kind):
        with self.lock:
            self.ok[kind] = self.ok.get(kind, 0) + 1

    def fail(self, kind, why):
        with self.lock:
            if len(self.bad) < 50:
                self.bad.append(f"{kind}: {why}")
            self.ok.setdefault(kind + " FAILED", 0)
            self.ok[kind + " FAILED"] += 1


def keepalive(port, stop, st, seed):
    rnd = random.Random(seed)
    c = Conn(port)
    while not stop.is_set():
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 4096)))
        try:
            c.s.sendall(b"POST /invoke HTTP/1.1\r\nHost: s\r\nContent-Length: %d\r\n\r\n"
                        % len(body) + body)
            status, _, got = c.response()
            if status == 200 and got == b"Hello, " + body:
                st.good("keep-alive invoke")
            else:
                st.fail("keep-alive invoke", f"{status} {got[:40]!r}")
        except OSError as e:
            st.fail("keep-alive invoke", repr(e))
            c = Conn(port)
    c.close()


def fresh(port, stop, st):
    i = 0
    while not stop.is_set():
        i += 1
        try:
            c = Conn(port)
            c.s.sendall(b"GET /fresh/%d?x=%d HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n"
                        % (i, i))
            status, _, body = c.response()
            c.close()
            if status == 200 and b'"path":"/fresh/%d"' % i in body:
                st.good("new connection")
            else:
                st.fail("new connection", f"{status} {body[:60]!r}")
        except OSError as e:
            st.fail("new connection", repr(e))
        time.sleep(0.01)


def large(port, stop, st):
    big = b"L" * (8 << 20)
    chunk = b"c" * (64 << 10)
    while not stop.is_set():
        try:
            c = Conn(port, timeout=60)
            c.s.sendall(b"POST /invoke HTTP/1.1\r\nHost: s\r\nContent-Length: %d\r\n\r\n"
                        % len(big) + big)
            status, _, got = c.response()
            if status == 200 and len(got) == len(big) + 7 and got.startswith(b"Hello, LLL"):
                st.good("8 MiB body")
            else:
                st.fail("8 MiB body", f"{status} {len(got)}")
            c.s.sendall(b"PUT /chunked HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(16):
                c.s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            c.s.sendall(b"0\r\n\r\n")
            status, _, got = c.response()
            if status == 200 and b'"body":"' + b"c" * (16 * len(chunk)) + b'"' in got:
                st.good("1 MiB chunked body")
            else:
                st.fail("1 MiB chunked body", f"{status} {len(got)}")
            c.close()
        except OSError as e:
            st.fail("large bodies", repr(e))
        stop.wait(1.0)


MALFORMED = [
    (b"GET / HTTP/1.1\r\nHost: s\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: s\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: s\r\n" + b"X: y\r\n" * 300 + b"\r\n", 431),
    (b"POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 99999999999\r\n\r\n", 413),
    (b"GET / HTTP/3.0\r\nHost: s\r\n\r\n", 505),
    (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400),
]


def malformed(port, stop, st):
    while not stop.is_set():
        for raw, want in MALFORMED:
            try:
                c = Conn(port, timeout=10)
                c.s.sendall(raw)
                status, hdrs, _ = c.response()
                c.close()
                if status == want and hdrs.get("connection") == "close":
                    st.good("malformed refused")
                else:
                    st.fail("malformed refused", f"{raw[:30]!r}: {status}")
            except OSError as e:
                st.fail("malformed refused", f"{raw[:30]!r}: {e!r}")
        stop.wait(0.1)


def slow(port, stop, st):
    """Every 5 s: 10 slowloris and 10 slow-body clients; each must be closed by the server."""
    waves = []
    while not stop.is_set():
        wave = []
        for i in range(20):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                if i % 2:
                    s.sendall(b"GET /slow HTTP/1.1\r\nHost: s\r\n")
                else:
                    s.sendall(b"POST /slow HTTP/1.1\r\nHost: s\r\nContent-Length: 100000\r\n\r\nab")
                s.setblocking(False)
                wave.append((s, time.monotonic(), "slowloris" if i % 2 else "slow body"))
            except OSError as e:
                st.fail("slow client connect", repr(e))
        waves.append(wave)
        for _ in range(5):
            if stop.wait(1.0):
                break
            for w in waves:
                for item in list(w):
                    s, t0, kind = item
                    try:
                        s.send(b"X-a: b\r\n" if kind == "slowloris" else b"c")
                    except OSError:
                        pass
                    try:
                        if s.recv(4096) == b"":
                            raise ConnectionError
                    except BlockingIOError:
                        if time.monotonic() - t0 > 45:
                            st.fail(kind, "not closed by the server after 45 s")
                            s.close()
                            w.remove(item)
                        continue
                    except OSError:
                        pass
                    st.good(f"{kind} closed by server")
                    s.close()
                    w.remove(item)
        waves = [w for w in waves if w]
    for w in waves:
        for s, _, _ in w:
            s.close()


def proc(pid):
    rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--report")
    a = ap.parse_args()
    port = free_port()
    out = tempfile.TemporaryFile()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FC_", "FCRT_"))}
    server = subprocess.Popen([BIN, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=out, stderr=subprocess.STDOUT, env=env)
    # Ready once the start-up line is out; no connection before the baseline sample.
    for _ in range(500):
        out.seek(0)
        if b"runtime inited." in out.read():
            break
        time.sleep(0.01)
    start = proc(server.pid)
    st = Stats()
    stop = threading.Event()
    idle = [Conn(port) for _ in range(20)]
    for c in idle:
        c.s.sendall(b"GET /idle HTTP/1.1\r\nHost: s\r\n\r\n")
        if c.response()[0] != 200:
            st.fail("idle keep-alive", "first answer")
    workers = [threading.Thread(target=keepalive, args=(port, stop, st, i)) for i in range(3)]
    workers += [threading.Thread(target=f, args=(port, stop, st))
                for f in (fresh, large, malformed, slow)]
    for w in workers:
        w.start()
    total = a.minutes * 60
    warm = min(60.0, total / 5)
    samples = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < total and server.poll() is None:
        time.sleep(min(10.0, total / 20))
        samples.append((round(time.monotonic() - t0), *proc(server.pid)))
    stop.set()
    for w in workers:
        w.join(120)
    for c in idle:
        try:
            c.s.sendall(b"GET /idle-again HTTP/1.1\r\nHost: s\r\n\r\n")
            status = c.response()[0]
            (st.good if status == 200 else lambda k: st.fail(k, status))("idle keep-alive reused")
        except OSError as e:
            st.fail("idle keep-alive reused", repr(e))
        c.close()
    # Idle: threads exit after --worker-idle (10 s), descriptors close with the clients. What
    # stays: the room's two descriptors (epoll, eventfd) and the keeper thread, if started.
    def settled(now):
        return now[1] == start[1] + 2 and start[2] <= now[2] <= start[2] + 1

    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        after = proc(server.pid)
        if settled(after):
            break
        time.sleep(1)
    server.send_signal(signal.SIGTERM)
    try:
        rc = server.wait(40)
    except subprocess.TimeoutExpired:
        server.kill()
        rc = "killed after 40 s"
    warm_sample = next((s for s in samples if s[0] >= warm), samples[0])
    end_sample = samples[-1]
    rss_flat = end_sample[1] <= warm_sample[1] * 1.25 + 1024
    back = settled(after)
    answered = sum(v for k, v in st.ok.items() if not k.endswith("FAILED"))
    ok = not st.bad and rss_flat and back and rc == 0 and answered > 0
    lines = [
        f"soak: {'PASS' if ok else 'FAIL'} after {total / 60:.1f} min: {answered} checks passed, "
        f"{len(st.bad)} failed",
        f"soak: counts {dict(sorted(st.ok.items()))}",
        f"soak: RSS kB / fds / threads: start {start}, after warm-up ({warm_sample[0]} s) "
        f"{warm_sample[1:]}, end of load {end_sample[1:]}, max RSS "
        f"{max(s[1] for s in samples)} kB, idle after {after}",
        f"soak: RSS flat: {rss_flat}; fds and threads back to start-up values: {back}; "
        f"exit on SIGTERM: {rc}",
    ]
    for b in st.bad[:10]:
        lines.append(f"soak: failure: {b}")
    print("\n".join(lines))
    if a.report:
        with open(a.report, "w") as f:
            f.write(f"# `make soak` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n")
            f.write("```\n" + "\n".join(lines) + "\n```\n\n| s | RSS kB | fds | threads |\n"
                    "|---|---|---|---|\n")
            for s in samples:
                f.write(f"| {s[0]} | {s[1]} | {s[2]} | {s[3]} |\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
