#!/usr/bin/env python3
"""`make bench`: cold start, throughput, large events, memory and size of fc-runtime against
the seed documents' runtimes (ts-node, Go net/http, Flask, Node.js) and a static C floor.

Writes bench/results/<date>.md and <date>-coldstart.svg, and the summary section of the
README. Std-only Python; the Makefile installs the peers' toolchains first. A peer that
cannot be built is reported as skipped with the reason. Settings (environment):
BENCH_RUNS (cold-start runs per subject, default 50), BENCH_WRK_SECS (10), BENCH_PASSES (5).

The race is fair: every keep-alive peer runs with PEER_MARKERS=1 and then writes FC's two
marker lines per call to stdout, as fc-runtime does and as an FC server must; every call
carries an `x-fc-request-id` as FC's do.
"""
import datetime
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
BUILD = os.path.join(BENCH, "build")
PEERS = os.path.join(BENCH, "peers")
RESULTS = os.path.join(BENCH, "results")

RUNS = int(os.environ.get("BENCH_RUNS", "50"))
WRK_SECS = int(os.environ.get("BENCH_WRK_SECS", "10"))
PASSES = int(os.environ.get("BENCH_PASSES", "5"))
FC_BIN = os.path.join(ROOT, "target/x86_64-unknown-linux-musl/release/fc-runtime")


def log(msg):
    print(f"bench: {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(p):
    """Ends a server by its process group (peers may fork), then reaps it."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    except ProcessLookupError:
        p.wait()


def run(cmd, cwd=None, env=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"`{' '.join(cmd)}` failed: {' | '.join(tail)}")
    return r.stdout


# --- subjects -----------------------------------------------------------------------------

class Subject:
    def __init__(self, name, cmd, cwd="/"):
        self.name, self.cmd, self.cwd = name, cmd, cwd


def build_subjects(only=None):
    """Builds every subject it can (or those named in `only`). Returns (subjects by name,
    [(name, why skipped)])."""
    os.makedirs(BUILD, exist_ok=True)
    subjects, skipped = {}, []

    def attempt(name, make):
        try:
            subjects[name] = make()
            log(f"ready: {name}")
        except Exception as e:  # noqa: BLE001 - any failure means "skipped, and why"
            skipped.append((name, str(e)))
            log(f"SKIPPED {name}: {e}")

    def fc():
        if not os.access(FC_BIN, os.X_OK):
            raise RuntimeError(f"{FC_BIN} missing: run make build")
        return Subject("fc-runtime", [FC_BIN])

    def wrapped():
        d = os.path.join(BUILD, "zip-wrapper")
        os.makedirs(d, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, "bootstrap"), os.path.join(d, "bootstrap"))
        shutil.copy2(FC_BIN, os.path.join(d, "fc-runtime"))
        return Subject("fc-runtime (bootstrap script)", [os.path.join(d, "bootstrap")])

    def floor():
        out = os.path.join(BUILD, "floor")
        run(["musl-gcc", "-O2", "-Wall", "-Werror", "-static", "-s", "-pthread", "-o", out, os.path.join(PEERS, "floor/floor.c")])
        return Subject("C floor", [out])

    def floor_nt():
        out = os.path.join(BUILD, "floor-nothread")
        run(["musl-gcc", "-O2", "-Wall", "-Werror", "-static", "-s", "-DNO_THREAD", "-o", out,
             os.path.join(PEERS, "floor/floor.c")])
        return Subject(FLOOR_NT, [out])

    def go():
        out = os.path.join(BUILD, "go-peer")
        env = dict(os.environ, CGO_ENABLED="0", GOCACHE=os.path.join(BUILD, "gocache"),
                   GOPATH=os.path.join(BUILD, "gopath"), GOFLAGS="-mod=mod")
        run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "."], cwd=os.path.join(PEERS, "go"), env=env)
        return Subject("Go net/http", [out])

    def node():
        run(["node", "--version"])
        return Subject("Node.js", ["node", os.path.join(PEERS, "node/server.js")])

    ts_dir = os.path.join(PEERS, "ts")

    def ts_install():
        if not os.path.exists(os.path.join(ts_dir, "node_modules/.bin/ts-node")):
            run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=ts_dir)

    def ts():
        ts_install()
        return Subject("ts-node", [os.path.join(ts_dir, "node_modules/.bin/ts-node"), "server.ts"], cwd=ts_dir)

    def ts_t():
        ts_install()
        return Subject("ts-node -T", [os.path.join(ts_dir, "node_modules/.bin/ts-node"), "-T", "server.ts"], cwd=ts_dir)

    def flask():
        venv = os.path.join(BUILD, "venv")
        py = os.path.join(venv, "bin/python")
        if not os.path.exists(py):
            run([sys.executable, "-m", "venv", venv])
        run([py, "-m", "pip", "install", "-q", "flask"])
        return Subject("Flask", [py, os.path.join(PEERS, "flask/app.py")])

    for name, make in [("fc-runtime", fc), ("fc-runtime (bootstrap script)", wrapped), ("C floor", floor),
                       (FLOOR_NT, floor_nt), ("Go net/http", go), ("Node.js", node), ("ts-node", ts), ("ts-node -T", ts_t),
                       ("Flask", flask)]:
        if only is None or name in only:
            attempt(name, make)
    return subjects, skipped


# --- measurements -------------------------------------------------------------------------

def pct(sorted_vals, p):
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p))]


# fc-runtime started without FC_FUNCTION_MEMORY_SIZE: it reads its cgroup limit and
# /proc/meminfo to size its limits (what it does on Knative).
BARE = "fc-runtime without FC_FUNCTION_MEMORY_SIZE"
# The C floor that answers on its main thread and never creates a thread (cold start only:
# it serves one connection at a time, so it has no place in the keep-alive race).
FLOOR_NT = "C floor, no thread"
# FC's request id on every call of the race (FC sends one per call; the length is what costs).
REQUEST_ID = "1-6a7b8c9d-0e1f2a3b4c5d6e7f8a9b0c1d"


def cold_start(subjects):
    """Interleaved spawn-to-first-answer runs by the Rust probe (bench/coldstart), whose own
    overhead is far below a Python spawner's. Returns {name: sorted ms}."""
    target = os.path.join(BUILD, "coldstart-target")
    run(["cargo", "build", "--quiet", "--release", "--manifest-path",
         os.path.join(BENCH, "coldstart/Cargo.toml"), "--target-dir", target])
    probe = os.path.join(target, "release/coldstart")
    specs = [(s.name, False, s.cwd, s.cmd) for s in subjects.values()]
    if "fc-runtime" in subjects:
        specs.append(("fc-runtime after /initialize", True, "/", [FC_BIN]))
        specs.append((BARE, "bare", "/", [FC_BIN]))
    argv = [probe, str(RUNS), "3"]
    for i, (_, init, cwd, cmd) in enumerate(specs):
        if i:
            argv.append(";;")
        flag = {True: ["--init"], "bare": ["--bare"]}.get(init, [])
        argv += flag + [cwd, "--"] + cmd
    lines = run(argv).strip().splitlines()
    return {name: sorted(float(x) for x in line.split()) for (name, *_), line in zip(specs, lines)}


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def tree_rss(pid, field):
    """RSS of a process and its children (Flask's and Node's are single processes, but the
    wrapper and npm-style launchers are not)."""
    total = rss_kib(pid, field)
    try:
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            total += tree_rss(int(child), field)
    except OSError:
        pass
    return total


def start_server(s, core, log_path):
    port = free_port()
    # What FC sets at start, as in the cold-start runs (fc-runtime otherwise probes memory).
    env = dict(os.environ, FC_CUSTOM_LISTEN_PORT=str(port), FC_FUNCTION_MEMORY_SIZE="512")
    out = open(log_path, "wb")
    p = subprocess.Popen(["taskset", "-c", str(core)] + s.cmd, cwd=s.cwd, env=env, stdout=out,
                         stderr=subprocess.STDOUT, start_new_session=True)
    end = time.time() + 30
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p, port
        except OSError:
            time.sleep(0.01)
    stop(p)
    raise RuntimeError(f"{s.name} did not listen")


def post(port, body):
    """One POST /invoke on a fresh connection; the answer is framed by Content-Length or
    chunked (Go streams large bodies chunked), never by close (not every peer honours
    `Connection: close`). Returns (seconds, decoded response body length)."""
    head = f"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    view = memoryview(bytearray(1 << 20))
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        s.sendall(body)
        buf = bytearray()
        head_end, length, chunked = None, None, False
        while True:
            n = s.recv_into(view)
            if n == 0:
                raise RuntimeError(f"connection closed after {len(buf)} bytes")
            buf += view[:n]
            if head_end is None and b"\r\n\r\n" in buf:
                head_end = buf.index(b"\r\n\r\n") + 4
                if not buf.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"bad answer {bytes(buf[:60])!r}")
                for line in bytes(buf[:head_end]).lower().split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                    if line.startswith(b"transfer-encoding:") and b"chunked" in line:
                        chunked = True
            if head_end is None:
                continue
            if length is not None and len(buf) >= head_end + length:
                return time.perf_counter() - t0, length
            if chunked and buf.endswith(b"\r\n0\r\n\r\n"):
                return time.perf_counter() - t0, dechunked_len(bytes(buf[head_end:]))


def dechunked_len(data):
    total, i = 0, 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return total
        total += size
        i = j + 2 + size + 2


def wrk_stats(out):
    """(requests/s, p50 µs, p99 µs, socket errors + non-2xx) from `wrk --latency` output."""
    rps = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])

    def lat(label):
        v = next(l for l in out.splitlines() if l.strip().startswith(label)).split()[1]
        for unit, mult in (("us", 1.0), ("ms", 1000.0), ("s", 1e6)):
            if v.endswith(unit):
                return float(v[: -len(unit)]) * mult
        return float(v)

    errors = 0
    for l in out.splitlines():
        if "Socket errors" in l:
            errors += sum(int(x.split()[-1].strip(",")) for x in l.split(":")[1].split(","))
        if "Non-2xx" in l:
            errors += int(l.split()[-1])
    return rps, lat("50%"), lat("99%"), errors


def wrk(port, conns=50, secs=None):
    """`wrk -t1 -c<conns>` POST /invoke (5-byte event) from core 1: (rps, p50 ms, p99 ms, errors)."""
    script = os.path.join(BUILD, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = "world"\nwrk.headers["Content-Type"] = "application/octet-stream"\n'
                f'wrk.headers["x-fc-request-id"] = "{REQUEST_ID}"\n')
    out = run(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{secs or WRK_SECS}s", "--latency",
               "-s", script, f"http://127.0.0.1:{port}/invoke"])
    rps, p50, p99, errors = wrk_stats(out)
    return rps, p50 / 1000.0, p99 / 1000.0, errors


def load(subjects):
    """Throughput passes (interleaved), large events, RSS. Server on core 0, wrk on core 1."""
    names = [n for n in ("fc-runtime", "Go net/http", "Node.js", "C floor") if n in subjects]
    servers, rows = {}, {}
    try:
        for n in names:
            p, port = start_server(subjects[n], 0, os.path.join(BUILD, f"{n.split()[0]}-stdout.log"))
            post(port, b"warm")
            time.sleep(0.2)
            servers[n] = (p, port)
            rows[n] = {"idle_rss": tree_rss(p.pid, "VmRSS"), "idle_anon": tree_rss(p.pid, "RssAnon"),
                       "idle_file": tree_rss(p.pid, "RssFile"), "passes": [], "c1": []}
        def alive(n):
            code = servers[n][0].poll()
            if code is not None:
                raise RuntimeError(f"{n} exited during the throughput passes (status {code})")
        for i in range(PASSES):
            order = names if i % 2 == 0 else names[::-1]
            for n in order:
                alive(n)
                rows[n]["passes"].append(wrk(servers[n][1]))
            for n in order:
                alive(n)
                rows[n]["c1"].append(wrk(servers[n][1], conns=1, secs=max(2, WRK_SECS // 2)))
            log(f"throughput: pass {i + 1}/{PASSES}")
        for n in names:
            p, port = servers[n]
            rows[n]["peak_rss"] = tree_rss(p.pid, "VmHWM")
            for size, reps in ((1 << 20, 5), (32 << 20, 3)):
                body = b"e" * size
                mbps = []
                for _ in range(reps):
                    dt, got = post(port, body)
                    if got != size + 7:
                        raise RuntimeError(f"{n}: {size}-byte event answered {got} bytes")
                    mbps.append(size / dt / 1e6)
                rows[n][f"mbps_{size}"] = statistics.median(mbps)
        log("large events done")
    finally:
        for p, _ in servers.values():
            stop(p)
    return rows


def sizes():
    out = {"binary": os.path.getsize(FC_BIN)}
    for key, path in (("zip", "dist/fc-runtime.zip"), ("image archive", "dist/fc-runtime-image.tar")):
        full = os.path.join(ROOT, path)
        if os.path.exists(full):
            out[key] = os.path.getsize(full)
    return out


# --- report -------------------------------------------------------------------------------

def svg_chart(cold, path):
    """Horizontal bars of cold-start medians on a log scale."""
    items = sorted(((statistics.median(v), n) for n, v in cold.items()))
    lo, hi = 0.1, max(m for m, _ in items) * 2
    import math
    w, left, bar, gap = 760, 230, 22, 8
    h = 40 + len(items) * (bar + gap) + 30
    span = math.log10(hi) - math.log10(lo)
    x = lambda v: left + (math.log10(max(v, lo)) - math.log10(lo)) / span * (w - left - 80)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20" font-size="14" font-weight="bold">Cold start: spawn to first answered POST /invoke, median of {RUNS} (ms, log scale)</text>']
    tick = lo
    while tick <= hi:
        parts.append(f'<line x1="{x(tick):.1f}" y1="30" x2="{x(tick):.1f}" y2="{h - 25}" stroke="#ddd"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{h - 10}" text-anchor="middle" fill="#666">{tick:g}</text>')
        tick *= 10
    for i, (m, n) in enumerate(items):
        y = 40 + i * (bar + gap)
        color = "#d9534f" if n.startswith("fc-runtime") else ("#555" if n == "C floor" else "#5b9bd5")
        parts.append(f'<text x="{left - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end">{n}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{max(1, x(m) - left):.1f}" height="{bar}" fill="{color}"/>')
        parts.append(f'<text x="{x(m) + 6:.1f}" y="{y + bar * 0.7:.1f}">{m:.3f}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def verdict(ok):
    return "**met**" if ok else "**MISSED**"


def median_pass(passes):
    """The pass with the median requests/s (its latencies travel with it)."""
    ps = sorted(passes, key=lambda p: p[0])
    return ps[len(ps) // 2]


def exec_verdicts(date):
    """The target rows of today's exec-mode report (`make exec-bench`, run before this by
    `make bench`), so the one verdict table covers exec mode too."""
    path = os.path.join(RESULTS, f"exec-{date}.md")
    if not os.path.exists(path):
        return [f"| exec mode's overhead figures | no bench/results/exec-{date}.md | **MISSED** |"]
    rows = []
    for line in open(path).read().split("| target | figure | verdict |", 1)[1].splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3:
            rows.append(f"| exec mode: {cells[0]} | {cells[1]} | {verdict(cells[2] == 'met')} |")
    return rows


def report(cold, rows, skipped, sz, machine):
    date = machine["date"]
    fc = statistics.median(cold["fc-runtime"])
    L = [f"# fc-runtime benchmark, {date}", "",
         f"Machine: {machine['nproc']} cores, kernel {machine['kernel']}, load average before "
         f"{machine['load_before']}, after {machine['load_after']}. Command: `make bench` "
         f"(BENCH_RUNS={RUNS}, BENCH_WRK_SECS={WRK_SECS}, BENCH_PASSES={PASSES}).", ""]
    if skipped:
        L += ["Skipped subjects:", ""] + [f"- {n}: {why}" for n, why in skipped] + [""]
    L += ["## Cold start", "",
          "Wall time from spawn to the first successful `POST /invoke` answer on a fresh connection, "
          "connects busy-polled, measured by `bench/coldstart` (a std-only Rust probe, so the harness "
          "adds little); subjects interleaved; after 3 warm-up rounds. Every subject gets what FC "
          "sets at start: `FC_CUSTOM_LISTEN_PORT` and `FC_FUNCTION_MEMORY_SIZE=512`, and the call "
          "carries an `x-fc-request-id`; every peer writes FC's marker lines (`PEER_MARKERS=1`). "
          f"\"{BARE}\" shows the start-up cost of probing memory where the platform does not "
          f"say it (Knative); \"{FLOOR_NT}\" is the floor built to answer on its main thread.", "",
          "| subject | median ms | p90 | p99 | min | × floor | × fc-runtime |", "|---|---|---|---|---|---|---|"]
    floor = statistics.median(cold["C floor"]) if "C floor" in cold else None
    for n, v in sorted(cold.items(), key=lambda kv: statistics.median(kv[1])):
        m = statistics.median(v)
        rf = f"{m / floor:.2f}" if floor else "-"
        L.append(f"| {n} | {m:.3f} | {pct(v, .9):.3f} | {pct(v, .99):.3f} | {v[0]:.3f} | {rf} | {m / fc:.2f} |")
    med = {n: median_pass(r["passes"]) for n, r in rows.items()}
    c1 = {n: median_pass(r["c1"]) for n, r in rows.items()}
    L += ["", f"![cold start chart]({date}-coldstart.svg)", "", "## Throughput (keep-alive)", "",
          f"`wrk -t1 -c50 -d{WRK_SECS}s` and `-c1 -d{max(2, WRK_SECS // 2)}s`, `POST /invoke` (5-byte event, "
          f"`x-fc-request-id` set), server pinned to core 0, wrk to core 1, {PASSES} passes interleaved "
          "(order reversed every other pass), median pass shown. **Every server writes FC's two marker "
          "lines per call** (fc-runtime always; Go, Node.js and the C floor with `PEER_MARKERS=1`), "
          "one `write(2)` per line, to a file.", "",
          "| subject | c50 req/s | c50 p50 ms | c50 p99 ms | errors | × floor | × fc-runtime | c1 p50 µs | c1 p99 µs | c1 req/s |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for n, (rps, p50, p99, errs) in med.items():
        rf = f"{rps / med['C floor'][0]:.2f}" if "C floor" in med else "-"
        r1 = c1[n]
        L.append(f"| {n} | {rps:,.0f} | {p50:.3f} | {p99:.3f} | {errs + r1[3]} | {rf} | "
                 f"{rps / med['fc-runtime'][0]:.2f} | {r1[1] * 1000:.0f} | {r1[2] * 1000:.0f} | {r1[0]:,.0f} |")
    L += ["", "## Large events and memory", "",
          "RSS from `/proc/PID/status`: idle = after one answered call and 0.2 s of rest; peak = "
          "`VmHWM` after every wrk pass. Servers start as FC starts them (`FC_FUNCTION_MEMORY_SIZE=512`).", "",
          "| subject | 1 MiB round trip MB/s | 32 MiB round trip MB/s | idle RSS KiB | idle anonymous | idle file-backed | peak RSS under wrk -c50 KiB |",
          "|---|---|---|---|---|---|---|"]
    for n, r in rows.items():
        L.append(f"| {n} | {r[f'mbps_{1 << 20}']:.0f} | {r[f'mbps_{32 << 20}']:.0f} | {r['idle_rss']} | "
                 f"{r['idle_anon']} | {r['idle_file']} | {r['peak_rss']} |")
    L += ["", "Sizes: " + ", ".join(f"{k} {v:,} bytes ({v / 1024:.0f} KiB)" for k, v in sz.items()) + ".", "",
          "## Targets", "",
          f"Load average before {' '.join(machine['load_before'])}, after {' '.join(machine['load_after'])}.", "",
          "| target | measured | verdict |", "|---|---|---|"]
    for name in ("C floor", FLOOR_NT):
        if name in cold:
            f = statistics.median(cold[name])
            L.append(f"| cold start ≤ 1.2× {name} | {fc / f:.2f}× ({fc:.3f} vs {f:.3f} ms) | {verdict(fc / f <= 1.2)} |")
        else:
            L.append(f"| cold start ≤ 1.2× {name} | not measured | **MISSED** |")
    fr = rows["fc-runtime"]
    if "Go net/http" in med:
        ratio = med["fc-runtime"][0] / med["Go net/http"][0]
        L.append(f"| c50 req/s ≥ 1.1× Go (both with markers) | {ratio:.2f}× | {verdict(ratio >= 1.1)} |")
        L.append(f"| c50 p99 ≤ Go's | {med['fc-runtime'][2]:.3f} vs {med['Go net/http'][2]:.3f} ms | "
                 f"{verdict(med['fc-runtime'][2] <= med['Go net/http'][2])} |")
    if "C floor" in c1:
        a, b = c1["fc-runtime"][1] * 1000, c1["C floor"][1] * 1000
        L.append(f"| c1 p50 within 10 % of the C floor | {a:.0f} vs {b:.0f} µs ({a / b:.2f}×) | {verdict(a <= 1.1 * b)} |")
    L.append(f"| idle RSS < 512 KiB | {fr['idle_rss']} KiB ({fr['idle_anon']} anonymous, {fr['idle_file']} file-backed) | "
             f"{verdict(fr['idle_rss'] < 512)} |")
    L.append(f"| peak RSS under wrk -c50 (reported) | {fr['peak_rss']} KiB | **met** |")
    L += exec_verdicts(date)
    L.append(f"| binary within its budget (716,800 bytes) | {sz['binary']:,} bytes | {verdict(sz['binary'] <= 716800)} |")
    return "\n".join(L) + "\n"


def update_readme(date, table_md):
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in text or end not in text:
        return
    body = (f"{start}\nLatest: [bench/results/{date}.md](bench/results/{date}.md) "
            f"(`make bench`).\n\n{table_md}\n![cold start](bench/results/{date}-coldstart.svg)\n{end}")
    text = text[: text.index(start)] + body + text[text.index(end) + len(end):]
    open(path, "w").write(text)


def main():
    # SIGTERM/SIGINT unwind through the `finally` blocks that stop every spawned server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))
    # Every peer of the race writes FC's marker lines, as fc-runtime does (see the docstring).
    os.environ["PEER_MARKERS"] = "1"
    machine = {"date": datetime.date.today().isoformat(), "nproc": os.cpu_count(),
               "kernel": platform.release(), "load_before": open("/proc/loadavg").read().split()[:3]}
    subjects, skipped = build_subjects()
    if "fc-runtime" not in subjects:
        sys.exit("bench: fc-runtime binary missing")
    log(f"cold start: {len(subjects) + 1} subjects x {RUNS} runs")
    cold = cold_start(subjects)
    rows = load(subjects)
    machine["load_after"] = open("/proc/loadavg").read().split()[:3]
    os.makedirs(RESULTS, exist_ok=True)
    md = report(cold, rows, skipped, sizes(), machine)
    out = os.path.join(RESULTS, f"{machine['date']}.md")
    with open(out, "w") as f:
        f.write(md)
    svg_chart(cold, os.path.join(RESULTS, f"{machine['date']}-coldstart.svg"))
    summary = md[md.index("## Targets"):].split("\n", 2)[2]
    throughput = md[md.index("| subject | c50 req/s"):md.index("## Large events")].strip()
    update_readme(machine["date"], md[md.index("| subject | median ms"):md.index("![cold start chart]")].strip()
                  + "\n\n" + throughput + "\n\n" + summary)
    print(md)
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
