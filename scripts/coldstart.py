#!/usr/bin/env python3
"""Cold start probe: wall time from spawn to the first successful `POST /invoke` answer on
a fresh connection, connects busy-polled (a sleep between polls would quantize
sub-millisecond results). Subjects run interleaved (A B A B ...) so machine noise hits them
alike. The port is passed in FC_CUSTOM_LISTEN_PORT.

Usage: coldstart.py RUNS NAME=COMMAND [NAME=COMMAND ...]
"""
import os
import socket
import statistics
import subprocess
import sys
import time

REQ = b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nworld"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def once(cmd):
    port = free_port()
    env = dict(os.environ, FC_CUSTOM_LISTEN_PORT=str(port))
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
    try:
        deadline = t0 + 10
        while True:
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", port))
                break
            except OSError:
                s.close()
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{cmd}: nothing listened within 10 s")
        s.sendall(REQ)
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"world"):
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError(f"{cmd}: connection closed early: {data!r}")
            data += chunk
        elapsed = time.perf_counter() - t0
        s.close()
        if not data.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{cmd}: answered {data[:40]!r}")
        return elapsed * 1000
    finally:
        p.terminate()
        p.wait(timeout=10)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = int(sys.argv[1])
    subjects = [a.split("=", 1) for a in sys.argv[2:]]
    results = {name: [] for name, _ in subjects}
    for _ in range(3):  # warm-up: page cache, dynamic loaders
        for _, cmd in subjects:
            once(cmd.split())
    for _ in range(runs):
        for name, cmd in subjects:
            results[name].append(once(cmd.split()))
    base = statistics.median(results[subjects[0][0]])
    print(f"{'subject':<12} {'median ms':>10} {'p90':>8} {'min':>8} {'ratio':>7}  (n={runs}, interleaved)")
    for name, _ in subjects:
        r = sorted(results[name])
        med = statistics.median(r)
        print(f"{name:<12} {med:>10.3f} {r[int(len(r) * 0.9)]:>8.3f} {r[0]:>8.3f} {med / base:>7.2f}")


if __name__ == "__main__":
    main()
