#!/usr/bin/env python3
"""Exec mode's cost (`make exec-bench`, part of `make bench`): the Go peer of bench/peers
answered three ways in the same run — straight, through `fc-runtime -- app`, and through
nginx as a reverse proxy (keep-alive upstream; the anchor for "what a proxy hop costs") —
with `wrk -t1 -c1` and `-c50` on `POST /invoke` (5-byte event), interleaved passes, medians.
Also the cold start fc-runtime adds beyond the app's own readiness (bench/coldstart, app
alone vs behind fc-runtime, interleaved) and fc-runtime's idle RSS in exec mode.

Writes bench/results/exec-<date>.md and the README's exec table. Settings (environment):
EXEC_PASSES (5), EXEC_SECS (5), EXEC_RUNS (cold-start runs per subject, 40).
Nothing here is a test.
"""
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import local  # noqa: E402  (update_readme)

PASSES = int(os.environ.get("EXEC_PASSES", "5"))
SECS = int(os.environ.get("EXEC_SECS", "5"))
RUNS = int(os.environ.get("EXEC_RUNS", "40"))

NGINX_CONF = """
worker_processes 1;
daemon off;
user root;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream app {{ server 127.0.0.1:{app}; keepalive 128; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def start(cmd, env, port):
    p = subprocess.Popen(cmd, env=dict(os.environ, **env), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    end = time.time() + 30
    while time.time() < end:
        try:
            import socket
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.01)
    bench.stop(p)
    raise RuntimeError(f"{cmd[0]} did not listen on {port}")


def rss_kib(pid):
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile"):
            fields[k] = int(v.split()[0])
    return fields


def load(app_bin):
    """Three paths to one app instance (two for nginx and direct, fc-runtime has its own
    app): wrk -c1 and -c50 passes, interleaved."""
    app_port, fc_port, fc_app_port, ngx_port = (bench.free_port() for _ in range(4))
    procs = []
    d = tempfile.mkdtemp(prefix="fcrt-nginx-")
    try:
        procs.append(start([app_bin], {"FC_CUSTOM_LISTEN_PORT": str(app_port)}, app_port))
        fc = start([bench.FC_BIN, "--port", str(fc_port), "--app-port", str(fc_app_port), "--", app_bin],
                   {"FC_FUNCTION_MEMORY_SIZE": "512"}, fc_port)
        procs.append(fc)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(d=d, app=app_port, port=ngx_port))
        procs.append(start(["nginx", "-c", os.path.join(d, "nginx.conf")], {}, ngx_port))
        paths = {"direct": app_port, "fc-runtime": fc_port, "nginx": ngx_port}
        for port in paths.values():
            bench.wrk(port, 10, 1)  # warm
        time.sleep(0.5)
        idle = rss_kib(fc.pid)
        res = {(n, c): [] for n in paths for c in (1, 50)}
        for i in range(PASSES):
            order = list(paths.items())
            if i % 2:
                order.reverse()
            for c in (1, 50):
                for n, port in order:
                    rps, p50, p99, errors = bench.wrk(port, c, SECS)
                    if errors:
                        raise RuntimeError(f"{errors} errors through {n} at -c{c}")
                    res[(n, c)].append((rps, p50 * 1000, p99 * 1000))
            bench.log(f"exec: pass {i + 1}/{PASSES}")
        return res, idle
    finally:
        for p in procs:
            bench.stop(p)


def cold(app_bin):
    target = os.path.join(bench.BUILD, "coldstart-target")
    bench.run(["cargo", "build", "--quiet", "--release", "--manifest-path",
               os.path.join(bench.BENCH, "coldstart/Cargo.toml"), "--target-dir", target])
    probe = os.path.join(target, "release/coldstart")
    app_port = str(bench.free_port())
    out = bench.run([probe, str(RUNS), "3", "/", "--", app_bin, ";;",
                     "/", "--", bench.FC_BIN, "--app-port", app_port, "--", app_bin]).splitlines()
    return [sorted(float(x) for x in line.split()) for line in out]


def main():
    subjects, skipped = bench.build_subjects(only=["Go net/http"])
    if skipped:
        sys.exit(f"exec-bench: {skipped}")
    app_bin = subjects["Go net/http"].cmd[0]
    date = datetime.date.today().isoformat()
    load_before = open("/proc/loadavg").read().split()[:3]
    alone, behind = cold(app_bin)
    res, idle = load(app_bin)
    load_after = open("/proc/loadavg").read().split()[:3]
    med = lambda n, c, k: statistics.median(r[k] for r in res[(n, c)])  # noqa: E731
    L = [f"# Exec mode's cost, {date}", "",
         f"The Go peer (`bench/peers/go`, static) answered straight, through `fc-runtime -- app` "
         f"(release, {os.path.getsize(bench.FC_BIN)} bytes) and through nginx "
         f"({subprocess.run(['nginx', '-v'], capture_output=True, text=True).stderr.strip()}, "
         "one worker, keep-alive upstream). `wrk -t1 -c1` and `-c50`, `POST /invoke` with a 5-byte "
         f"event, {SECS} s per pass, {PASSES} interleaved passes, medians. Load average before "
         f"{' '.join(load_before)}, after {' '.join(load_after)}; {os.cpu_count()} cores, shared.", "",
         "| path | c1 p50 µs | c1 p99 µs | c1 req/s | c50 p50 µs | c50 p99 µs | c50 req/s |",
         "|---|---|---|---|---|---|---|"]
    for n in ("direct", "fc-runtime", "nginx"):
        L.append(f"| {n} | {med(n, 1, 1):.0f} | {med(n, 1, 2):.0f} | {med(n, 1, 0):.0f} | "
                 f"{med(n, 50, 1):.0f} | {med(n, 50, 2):.0f} | {med(n, 50, 0):.0f} |")
    add = {(n, c): med(n, c, 1) - med("direct", c, 1) for n in ("fc-runtime", "nginx") for c in (1, 50)}
    cold_alone, cold_behind = statistics.median(alone), statistics.median(behind)
    L += ["", "Added by the hop (p50 over direct):", "",
          "| | c1 | c50 |", "|---|---|---|",
          f"| fc-runtime | {add[('fc-runtime', 1)]:.0f} µs | {add[('fc-runtime', 50)]:.0f} µs |",
          f"| nginx | {add[('nginx', 1)]:.0f} µs | {add[('nginx', 50)]:.0f} µs |", "",
          f"Cold start (spawn to first answer, {RUNS} interleaved runs each, medians): the app alone "
          f"{cold_alone:.2f} ms, behind fc-runtime {cold_behind:.2f} ms: **{cold_behind - cold_alone:+.2f} ms** "
          "added beyond the app's own readiness.", "",
          f"fc-runtime's own idle RSS in exec mode (after the first calls): {idle.get('VmRSS')} KiB "
          f"({idle.get('RssAnon')} KiB anonymous, {idle.get('RssFile')} KiB file-backed).", "",
          "Targets (exec-mode issue): fc-runtime adds ≤ 50 µs p50 at c1 and less than nginx; cold start "
          "added ≤ 1 ms.", "",
          "| target | figure | verdict |", "|---|---|---|",
          f"| added p50 at c1 ≤ 50 µs | {add[('fc-runtime', 1)]:.0f} µs | "
          f"{'met' if add[('fc-runtime', 1)] <= 50 else 'missed'} |",
          f"| added p50 at c1 < nginx's | {add[('fc-runtime', 1)]:.0f} vs {add[('nginx', 1)]:.0f} µs | "
          f"{'met' if add[('fc-runtime', 1)] < add[('nginx', 1)] else 'missed'} |",
          f"| added p50 at c50 < nginx's | {add[('fc-runtime', 50)]:.0f} vs {add[('nginx', 50)]:.0f} µs | "
          f"{'met' if add[('fc-runtime', 50)] < add[('nginx', 50)] else 'missed'} |",
          f"| cold start added ≤ 1 ms | {cold_behind - cold_alone:.2f} ms | "
          f"{'met' if cold_behind - cold_alone <= 1 else 'missed'} |", ""]
    md = "\n".join(L)
    os.makedirs(bench.RESULTS, exist_ok=True)
    out = os.path.join(bench.RESULTS, f"exec-{date}.md")
    open(out, "w").write(md)
    table = md[md.index("| path |"):md.index("Targets (exec-mode issue)")].strip()
    local.update_readme("exec", date, table, f"bench/results/exec-{date}.md")
    print(md)
    bench.log(f"wrote {out}")


if __name__ == "__main__":
    main()
