#!/usr/bin/env python3
"""Cold start probe: wall time from spawn to the first successful `POST /invoke` answer on
a fresh connection, connects busy-polled (a sleep between polls would quantize
sub-millisecond results). Subjects run interleaved (A B A B ...) so machine noise hits them
alike. The port is passed in FC_CUSTOM_LISTEN_PORT.

Usage: coldstart.py RUNS NAME=COMMAND [NAME=COMMAND ...]
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

REQ = b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nworld"
INIT = b"POST /initialize HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(p):
    """Ends a subject by its process group (peers may fork), then reaps it."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    except ProcessLookupError:
        p.wait()


def read_answer(s, cmd, want_body):
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(want_body):
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError(f"{cmd}: connection closed early: {data!r}")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"{cmd}: answered {data[:40]!r}")


def once(cmd, cwd="/", initialize=False):
    """Milliseconds from spawn to the first answered invocation. With `initialize`, the
    first request is `POST /initialize` and the clock stops at the invocation after it."""
    port = free_port()
    env = dict(os.environ, FC_CUSTOM_LISTEN_PORT=str(port))
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = t0 + 30
        while True:
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", port))
                break
            except OSError:
                s.close()
                if time.perf_counter() > deadline or p.poll() is not None:
                    raise RuntimeError(f"{cmd}: nothing listened within 30 s")
        s.settimeout(10)  # a subject that never answers fails the run, never hangs it
        if initialize:
            s.sendall(INIT)
            read_answer(s, cmd, b"\r\n\r\n")
        s.sendall(REQ)
        read_answer(s, cmd, b"world")
        elapsed = time.perf_counter() - t0
        s.close()
        return elapsed * 1000
    finally:
        stop(p)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = int(sys.argv[1])
    subjects = []
    for arg in sys.argv[2:]:
        name, cmd = arg.split("=", 1)
        argv = cmd.split()
        if "/" in argv[0]:
            argv[0] = os.path.abspath(argv[0])
        subjects.append((name, argv))
    results = {name: [] for name, _ in subjects}
    for _ in range(3):  # warm-up: page cache, dynamic loaders
        for _, cmd in subjects:
            once(cmd)
    for _ in range(runs):
        for name, cmd in subjects:
            results[name].append(once(cmd))
    base = statistics.median(results[subjects[0][0]])
    print(f"{'subject':<12} {'median ms':>10} {'p90':>8} {'min':>8} {'ratio':>7}  (n={runs}, interleaved)")
    for name, _ in subjects:
        r = sorted(results[name])
        med = statistics.median(r)
        print(f"{name:<12} {med:>10.3f} {r[int(len(r) * 0.9)]:>8.3f} {r[0]:>8.3f} {med / base:>7.2f}")


if __name__ == "__main__":
    main()
