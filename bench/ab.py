#!/usr/bin/env python3
"""A/B of two fc-runtime binaries in the same run (`make ab BASE=... NEW=...`): a change
kept for speed, or one that must not cost speed, is judged by this.

Measured, interleaved (A B A B ...), medians:
- cold start: spawn to the first answered POST /invoke, by bench/coldstart (the Rust probe;
  FC_FUNCTION_MEMORY_SIZE set as FC sets it), ROUNDS x RUNS runs each;
- keep-alive throughput and latency: `wrk -t1 -c50` and `wrk -t1 -c1`, POST /invoke with a
  5-byte event, server pinned to core 0 and wrk to core 1, PASSES passes each.
Prints each figure's median for A and B and the ratio B/A. Nothing here is a test.
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the shared helpers of `make bench`)

PASSES = int(os.environ.get("AB_PASSES", "7"))
WRK_SECS = int(os.environ.get("AB_WRK_SECS", "4"))
RUNS = int(os.environ.get("AB_RUNS", "40"))
ROUNDS = int(os.environ.get("AB_ROUNDS", "5"))


def cold(a, b):
    target = os.path.join(bench.BUILD, "coldstart-target")
    bench.run(["cargo", "build", "--quiet", "--release", "--manifest-path",
               os.path.join(bench.BENCH, "coldstart/Cargo.toml"), "--target-dir", target])
    probe = os.path.join(target, "release/coldstart")
    res = {a: [], b: []}
    for _ in range(ROUNDS):
        out = bench.run([probe, str(RUNS), "3", "/", "--", a, ";;", "/", "--", b]).splitlines()
        res[a].append(statistics.median(float(x) for x in out[0].split()))
        res[b].append(statistics.median(float(x) for x in out[1].split()))
    return res


def load(a, b):
    """wrk passes, interleaved: (rps, p50 ms, p99 ms) per pass, for -c50 and -c1."""
    os.environ["FC_FUNCTION_MEMORY_SIZE"] = "512"
    res = {(x, c): [] for x in (a, b) for c in (50, 1)}
    servers = {}
    try:
        for x in (a, b):
            log = os.path.join(bench.BUILD, "ab-stdout.log")
            servers[x] = bench.start_server(bench.Subject(x, [x]), 0, log)
            bench.wrk(servers[x][1], 10, 1)  # warm
        for i in range(PASSES):
            for c in (50, 1):
                for x in (a, b):
                    rps, p50, p99, errors = bench.wrk(servers[x][1], c, WRK_SECS)
                    if errors:
                        raise RuntimeError(f"{errors} errors under wrk -c{c} on {x}")
                    res[(x, c)].append((rps, p50 * 1000, p99 * 1000))
            print(f"ab: load pass {i + 1}/{PASSES}", file=sys.stderr)
    finally:
        for p, _ in servers.values():
            bench.stop(p)
    return res


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: ab.py A_BINARY B_BINARY")
    a, b = (os.path.abspath(x) for x in sys.argv[1:])
    os.makedirs(bench.BUILD, exist_ok=True)
    print(f"A = {a}\nB = {b}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"sizes: A {os.path.getsize(a)} B {os.path.getsize(b)} bytes")
    c = cold(a, b)
    ma, mb = statistics.median(c[a]), statistics.median(c[b])
    print(f"cold start ms (median of {ROUNDS} rounds x {RUNS}): A {ma:.3f}  B {mb:.3f}  B/A {mb / ma:.3f}"
          f"   rounds A {[round(x, 3) for x in c[a]]} B {[round(x, 3) for x in c[b]]}")
    r = load(a, b)
    for conns in (50, 1):
        for i, what in enumerate(("req/s", "p50 us", "p99 us")):
            va = statistics.median(p[i] for p in r[(a, conns)])
            vb = statistics.median(p[i] for p in r[(b, conns)])
            print(f"wrk -c{conns} {what} (median of {PASSES}): A {va:.1f}  B {vb:.1f}  B/A {vb / va:.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
