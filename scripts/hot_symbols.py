#!/usr/bin/env python3
"""`make hot-symbols`: writes scripts/hot-symbols.txt, the functions fc-runtime runs from
exec to its first answers, which `make build` asks the linker to place side by side.

Runs an unstripped build (same compiler flags as the shipped one, so the symbol names
match) under valgrind's callgrind, three times: the built-in function as FC starts it
(`FC_FUNCTION_MEMORY_SIZE` set), then without it (memory probed, as on Knative), then exec
mode in front of the Node peer (`bench/peers/node`; the app itself runs natively). Each run: start, a
TCP readiness probe, `POST /initialize`, an event, an HTTP-trigger GET, SIGTERM. Every
function recorded is listed by its symbol name (addresses of unnamed assembly functions
are resolved with `nm`): the first run's first, then what each later run adds, so FC's
built-in path stays packed. A name that a later change renames is ignored by the linker;
rerun this after large changes to the start-up or request path.
Usage: hot_symbols.py UNSTRIPPED_BINARY OUTPUT
"""
import bisect
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time


def call(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"hot-symbols: unexpected answer {data[:60]!r}")


def record(binary, args, memory="512"):
    """The functions (symbol names and raw addresses) one recorded run executed."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    out = tempfile.NamedTemporaryFile(suffix=".callgrind", delete=False).name
    env = dict(os.environ, FC_CUSTOM_LISTEN_PORT=str(port))
    env.pop("FC_FUNCTION_MEMORY_SIZE", None)
    if memory:
        env["FC_FUNCTION_MEMORY_SIZE"] = memory
    p = subprocess.Popen(["valgrind", "-q", "--tool=callgrind", "--demangle=no",
                          f"--callgrind-out-file={out}", binary],
                         env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or p.poll() is not None:
                    raise SystemExit("hot-symbols: the binary did not listen under valgrind")
                time.sleep(0.05)
        id_ = b"x-fc-request-id: 1-6a7b8c9d-0e1f2a3b4c5d6e7f8a9b0c1d\r\n"
        call(port, b"POST /initialize HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /initialize\r\n" + id_
             + b"Content-Length: 0\r\n\r\n")
        call(port, b"POST /invoke HTTP/1.1\r\nHost: x\r\n" + id_ + b"Content-Length: 5\r\n\r\nworld")
        call(port, b"GET /some/path?q=1 HTTP/1.1\r\nHost: x\r\n" + id_ + b"\r\n")
        p.send_signal(signal.SIGTERM)
        if p.wait(timeout=60) != 0:
            raise SystemExit("hot-symbols: the binary did not exit 0 on SIGTERM")
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    names, addrs = set(), set()
    for line in open(out):
        m = re.match(r"^c?fn=\(\d+\) (\S+)", line)
        if m:
            (addrs if m.group(1).startswith("0x") else names).add(m.group(1))
    os.unlink(out)
    return names, addrs


def main():
    binary, output = sys.argv[1], sys.argv[2]
    app = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench/peers/node/server.js")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    app_port = str(s.getsockname()[1])
    s.close()
    runs = [record(binary, []),
            record(binary, [], memory=None),
            record(binary, ["--app-port", app_port, "--ready-timeout", "60s", "--", "node", app])]
    nm = subprocess.run(["nm", "-n", binary], capture_output=True, text=True, check=True).stdout
    text = [(int(a, 16), n) for a, t, n in (l.split() for l in nm.splitlines() if len(l.split()) == 3)
            if t in "tTwW"]
    starts = [a for a, _ in text]
    defined = {n for _, n in text}
    keep = []
    for names, addrs in runs:
        for a in addrs:
            i = bisect.bisect_right(starts, int(a, 16)) - 1
            if i >= 0:
                names.add(text[i][1])
        # .init and .fini are sections of their own: nothing to order.
        keep += sorted(n for n in names if n in defined and n not in ("_init", "_fini") and n not in keep)
    # lld reads `#` as the start of a comment. The symbol names' hashes are the compiler's:
    # `make build` warns when another rustc builds with this list.
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    with open(output, "w") as f:
        f.write(f"# {rustc}: recorded by make hot-symbols\n" + "\n".join(keep) + "\n")
    print(f"hot-symbols: {len(keep)} functions -> {output}")


if __name__ == "__main__":
    main()
