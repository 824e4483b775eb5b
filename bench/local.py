#!/usr/bin/env python3
"""fc-local against the peers, and what its gateway costs.

`selftest` (make selftest-peers): runs `fc-local selftest` on fc-runtime and on each seed
peer in bench/peers/, alone and behind fc-runtime (exec mode), writes
bench/results/selftest-<date>.md and the README's compliance table. `peers` (make peers):
builds the exec-mode peers for the integration tests and writes bench/build/peers.json. `gateway` (part of make bench): wrk -c1 (one request at a time) straight to
fc-runtime and through `fc-local serve` in front of it, interleaved passes; the added
latency per request is the difference of the medians. Settings (environment):
SELFTEST_IDLE (keep-alive idle wait, default 20s), GATEWAY_SECS (5), GATEWAY_PASSES (5).
"""
import datetime
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (peers are built the same way as for the benchmark)

ROOT = bench.ROOT
LOCAL_BIN = os.path.join(ROOT, "target/x86_64-unknown-linux-musl/release/fc-local")
IDLE = os.environ.get("SELFTEST_IDLE", "20s")
GW_SECS = int(os.environ.get("GATEWAY_SECS", "5"))
GW_PASSES = int(os.environ.get("GATEWAY_PASSES", "5"))
LINE = re.compile(r"^(PASS|FAIL|WARN|SKIP)  (.+?)\s{2,}(.*)$")
PEERS = ["fc-runtime", "C floor", "Go net/http", "Node.js", "ts-node", "Flask"]


# The peers exec mode is tested with (make test), and where their commands are written.
EXEC_PEERS = ["Go net/http", "Node.js", "ts-node", "Flask"]
PEERS_JSON = os.path.join(bench.BUILD, "peers.json")


def build_peers():
    """`make peers`: builds the exec-mode peers and writes their commands to peers.json,
    which the integration tests read. Fails when one cannot be built."""
    subjects, skipped = bench.build_subjects(only=EXEC_PEERS)
    if skipped:
        sys.exit("peers: cannot build " + "; ".join(f"{n}: {why}" for n, why in skipped))
    with open(PEERS_JSON, "w") as f:
        json.dump({n: {"cmd": s.cmd, "cwd": s.cwd} for n, s in subjects.items()}, f, indent=1)
    bench.log(f"wrote {PEERS_JSON}")


def selftest(subject, initializer=False):
    extra = ["--initializer"] if initializer else []
    r = subprocess.run([LOCAL_BIN, "selftest", "--port", "0", "--idle", IDLE, "--grace", "10s"] + extra
                       + ["--"] + subject.cmd, cwd=subject.cwd, capture_output=True, text=True,
                       timeout=600)
    checks = {}
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if m:
            checks[m.group(2)] = (m.group(1), m.group(3))
    return r.returncode, checks, r.stdout


def selftest_report(results, skipped, date):
    names = list(results)
    rows = []
    for n in names:
        for check in results[n][1]:
            if check not in rows:
                rows.append(check)
    L = [f"# fc-local selftest against the peers, {date}", "",
         f"`make selftest-peers`: `fc-local selftest --idle {IDLE} --grace 10s -- <peer>` for each "
         "server in bench/peers/ (the seed documents' runtimes in spirit) and fc-runtime, then "
         f"`fc-local selftest --idle {IDLE} --grace 10s --initializer -- fc-runtime -- <peer>`: "
         "the same unmodified peers behind fc-runtime in exec mode (\"+ fc-runtime\"; with "
         "`--initializer`, so `POST /initialize` reaches the app too). "
         "Each cell is the verdict; the reasons follow.", ""]
    table = ["| check | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for c in rows:
        table.append(f"| {c} | " + " | ".join(results[n][1].get(c, ("-", ""))[0] for n in names) + " |")
    table.append("| **exit status** | " + " | ".join(str(results[n][0]) for n in names) + " |")
    L += table + [""]
    for n in names:
        L += [f"## {n}", "", "```", results[n][2].rstrip(), "```", ""]
    for n, why in skipped:
        L.append(f"- skipped {n}: {why}")
    return "\n".join(L) + "\n", "\n".join(table)


def update_readme(marker, date, text, link):
    path = os.path.join(ROOT, "README.md")
    doc = open(path).read()
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in doc or end not in doc:
        return
    body = f"{start}\nLatest: [{link}]({link}) ({date}).\n\n{text}\n{end}"
    doc = doc[: doc.index(start)] + body + doc[doc.index(end) + len(end):]
    open(path, "w").write(doc)


def run_selftests():
    subjects, skipped = bench.build_subjects()
    date = datetime.date.today().isoformat()
    results = {}
    for name in PEERS:
        if name in subjects:
            bench.log(f"selftest: {name}")
            results[name] = selftest(subjects[name])
    # The same peers behind fc-runtime (exec mode), each on a free app port.
    for name in EXEC_PEERS:
        if name in subjects:
            s = subjects[name]
            behind = bench.Subject(f"{name} + fc-runtime",
                                   [bench.FC_BIN, "--ready-timeout", "60s", "--app-port",
                                    str(bench.free_port()), "--"] + s.cmd, s.cwd)
            bench.log(f"selftest: {behind.name}")
            results[behind.name] = selftest(behind, initializer=True)
    md, table = selftest_report(results, skipped, date)
    out = os.path.join(bench.RESULTS, f"selftest-{date}.md")
    os.makedirs(bench.RESULTS, exist_ok=True)
    open(out, "w").write(md)
    update_readme("selftest", date, table, f"bench/results/selftest-{date}.md")
    print(md)
    bench.log(f"wrote {out}")


def wait_port(port, limit=20):
    end = time.time() + limit
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


def wrk1(port):
    out = bench.run(["wrk", "-t1", "-c1", f"-d{GW_SECS}s", "--latency", f"http://127.0.0.1:{port}/bench?x=1"])
    rps, p50, p99, errors = bench.wrk_stats(out)
    return p50, p99, rps, errors


def start_gateway(binary, fn_port, gw_port):
    return subprocess.Popen([binary, "serve", "--port", str(fn_port), "--listen", f"127.0.0.1:{gw_port}",
                             "--", bench.FC_BIN], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def run_gateway():
    """Direct vs through this fc-local; with GW_BASE=path/to/older/fc-local, also through
    that one (its own function instance), interleaved in the same run: the A/B."""
    base_bin = os.environ.get("GW_BASE")
    fn_port, gw_port = bench.free_port(), bench.free_port()
    paths = [("direct", fn_port), ("through fc-local serve", gw_port)]
    procs = [start_gateway(LOCAL_BIN, fn_port, gw_port)]
    if base_bin:
        base_fn, base_gw = bench.free_port(), bench.free_port()
        procs.append(start_gateway(base_bin, base_fn, base_gw))
        paths.append(("through the base fc-local", base_gw))
    rows = {label: [] for label, _ in paths}
    try:
        for _, port in paths:
            wait_port(port)
            wrk1(port)  # warm-up
        for i in range(GW_PASSES):
            order = paths if i % 2 == 0 else paths[::-1]
            for label, port in order:
                rows[label].append(wrk1(port))
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=30)
    med = lambda rs, k: statistics.median(r[k] for r in rs)  # noqa: E731
    date = datetime.date.today().isoformat()
    base_note = (f"; the base gateway is `{os.environ.get('GW_BASE_LABEL') or os.path.basename(base_bin)}`, "
                 "fronting its own fc-runtime") if base_bin else ""
    L = [f"# fc-local gateway: added latency, {date}", "",
         f"`wrk -t1 -c1 -d{GW_SECS}s --latency` (one request at a time, keep-alive) on `GET /bench?x=1`, "
         f"straight to fc-runtime (release) and through `fc-local serve` (release) in front of it{base_note}; "
         f"{GW_PASSES} interleaved passes each, medians. Load average before: "
         f"{' '.join(open('/proc/loadavg').read().split()[:3])}.", "",
         "| path | p50 µs | p99 µs | req/s | errors (socket, non-2xx) |", "|---|---|---|---|---|"]
    for label, _ in paths:
        rs = rows[label]
        L.append(f"| {label} | {med(rs, 0):.1f} | {med(rs, 1):.1f} | {med(rs, 2):.0f} | "
                 f"{sum(r[3] for r in rs)} |")
    direct, gateway = rows["direct"], rows["through fc-local serve"]
    added = med(gateway, 0) - med(direct, 0)
    L += ["", f"**Added latency per request (p50): {added:.1f} µs** "
          f"({med(gateway, 0) / med(direct, 0):.2f}× the direct p50)."]
    if base_bin:
        base = rows["through the base fc-local"]
        base_added = med(base, 0) - med(direct, 0)
        L += ["", f"A/B: added p50 {added:.1f} µs now vs {base_added:.1f} µs for the base gateway; "
              f"gateway p50 ratio new/base {med(gateway, 0) / med(base, 0):.3f}, "
              f"p99 ratio {med(gateway, 1) / med(base, 1):.3f}."]
    L += ["", "Per pass (p50 µs " + " / ".join(label.split()[-1] if label != "direct" else "direct"
                                             for label, _ in paths) + "): "
          + ", ".join("/".join(f"{rows[label][i][0]:.0f}" for label, _ in paths) for i in range(GW_PASSES)), ""]
    md = "\n".join(L)
    out = os.path.join(bench.RESULTS, f"gateway-{date}.md")
    os.makedirs(bench.RESULTS, exist_ok=True)
    open(out, "w").write(md)
    print(md)
    bench.log(f"wrote {out}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("local: terminated"))
    {"selftest": run_selftests, "gateway": run_gateway, "peers": build_peers}[sys.argv[1]]()
