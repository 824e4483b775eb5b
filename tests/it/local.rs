//! `fc-local` end to end: `selftest` against fc-runtime (everything passes) and against a
//! deliberately broken server (each broken rule FAILs with its reason), `invoke` output and
//! exit codes, FC's start-failure messages, and the `serve` gateway's rules on the wire.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::Conn;

pub const LOCAL: &str = env!("CARGO_BIN_EXE_fc-local");
const RUNTIME: &str = env!("CARGO_BIN_EXE_fc-runtime");
const BROKEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/broken_server.py");

fn fc_local(args: &[&str]) -> Output {
    Command::new(LOCAL)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run fc-local")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The checklist line of check `name`: (verdict, reason).
fn line<'a>(out: &'a str, name: &str) -> (&'a str, &'a str) {
    let l = out
        .lines()
        .find(|l| l.get(6..).is_some_and(|r| r.starts_with(name)))
        .unwrap_or_else(|| panic!("no line for {name}:\n{out}"));
    (&l[..4], l[6 + name.len()..].trim())
}

#[test]
fn selftest_passes_every_check_on_fc_runtime() {
    let o = fc_local(&[
        "selftest",
        "--port",
        "0",
        "--idle",
        "2s",
        "--grace",
        "5s",
        "--initializer",
        "--",
        RUNTIME,
    ]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", text(&o.stderr));
    for name in [
        "ready within the start window",
        "listens on 0.0.0.0",
        "initializer",
        "/invoke round trip",
        "dispatch without control path",
        "invoke marker lines",
        "HTTP passthrough",
        "8 KB of headers",
        "32 MiB body",
        "pipelined requests in order",
        "no reserved response headers",
        "concurrent calls",
        "pre-freeze and pre-stop hooks",
        "keep-alive after idle",
        "SIGTERM: exit 0 within grace",
    ] {
        assert_eq!(line(&out, name).0, "PASS", "{name}:\n{out}");
    }
    // The built-in function cannot be made to fail, and streams nothing unless asked.
    for name in ["function error shape", "streamed answer"] {
        assert_eq!(line(&out, name).0, "SKIP", "{name}:\n{out}");
    }
    // The built-in function echoes, so passthrough is verified, not assumed.
    assert!(
        line(&out, "HTTP passthrough")
            .1
            .contains("path, query, header, body intact"),
        "{out}"
    );
    assert!(out.contains("15 passed, 0 failed"), "{out}");
}

#[test]
fn selftest_fails_the_broken_server_for_each_broken_rule() {
    let o = fc_local(&[
        "selftest",
        "--port",
        "0",
        "--idle",
        "3s",
        "--grace",
        "2s",
        "--stream-path",
        "/sse",
        "--",
        "python3",
        BROKEN,
    ]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    // (check, expected reason fragment)
    let fails = [
        ("listens on 0.0.0.0", "listens on 127.0.0.1:"),
        (
            "invoke marker lines",
            "no line 'FC Invoke Start RequestId: ",
        ),
        ("keep-alive after idle", "closed the idle connection after "),
        (
            "SIGTERM: exit 0 within grace",
            "still running 2.00 s after SIGTERM: killed",
        ),
        (
            "function error shape",
            "500 with x-fc-status absent: FC records this invocation as a success",
        ),
        ("streamed answer", "without Transfer-Encoding: chunked"),
    ];
    for (name, why) in fails {
        let (verdict, reason) = line(&out, name);
        assert_eq!(verdict, "FAIL", "{name}:\n{out}");
        assert!(reason.contains(why), "{name}: {reason}\n{out}");
    }
    // It closes after 1 s of idle; the check times from the moment it read the answer, which
    // under load can be a little after the server's own clock started ("999.20 ms").
    let (_, reason) = line(&out, "keep-alive after idle");
    let after = reason
        .split("after ")
        .nth(1)
        .and_then(|r| r.split(" (").next())
        .unwrap_or_default();
    let secs = match after.split_once(' ') {
        Some((n, "s")) => n.parse::<f64>().ok(),
        Some((n, "ms")) => n.parse::<f64>().ok().map(|ms| ms / 1000.0),
        _ => None,
    };
    assert!(secs.is_some_and(|s| (0.8..1.5).contains(&s)), "{reason}");
    // What it does right still passes: the checks judge rules, not the server as a whole.
    for name in [
        "/invoke round trip",
        "pipelined requests in order",
        "32 MiB body",
        "concurrent calls",
    ] {
        assert_eq!(line(&out, name).0, "PASS", "{name}:\n{out}");
    }
}

#[test]
fn invoke_prints_result_logs_summary_and_cold_timeline() {
    let o = fc_local(&[
        "invoke", "--port", "0", "--event", "world", "--repeat", "3", "--", RUNTIME,
    ]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(out, "Hello, world\nHello, world\nHello, world\n");
    let summaries: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("RequestId: "))
        .collect();
    assert_eq!(summaries.len(), 3, "{err}");
    for (i, s) in summaries.iter().enumerate() {
        let id = &s["RequestId: ".len()..][..36];
        assert!(
            err.contains(&format!("FC Invoke Start RequestId: {id}")),
            "{err}"
        );
        assert!(s.contains("Status: 200") && s.contains("Max RSS: "), "{s}");
        assert!(s.ends_with(if i == 0 { "(cold)" } else { "(warm)" }), "{s}");
    }
    assert!(err.contains("Cold start: spawn → listening "), "{err}");
    assert!(err.contains("3 calls: first "), "{err}");
}

#[test]
fn invoke_reports_a_failed_invocation_and_exits_1() {
    let o = fc_local(&[
        "invoke", "--port", "0", "--event", "fail", "--grace", "1s", "--", "python3", BROKEN,
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("UnhandledInvocationError (status 404, x-fc-status 404)"),
        "{err}"
    );
    assert!(text(&o.stdout).contains("\"errorMessage\":\"exception\""));
}

#[test]
fn start_failures_use_fcs_words() {
    let dir = std::env::temp_dir().join(format!("fc-local-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let boot = dir.join("bootstrap");
    let d = dir.to_str().unwrap();
    // (bootstrap content, mode; None: no file) -> message fragment
    type Bootstrap<'a> = Option<(&'a [u8], u32)>;
    let cases: [(Bootstrap, &str); 4] = [
        (None, "Failed to start function instance. Error: the file"),
        (
            Some((b"#!/bin/sh\nexec sleep 5\n", 0o644)),
            "(code 13, message:permission denied)",
        ),
        (Some((b"#!/bin/sh\r\nexec sleep 5\r\n", 0o755)), "CRLF"),
        (
            Some((b"#!/bin/sh\nexec sleep 5\n", 0o755)),
            "Function instance health check failed on port 9347 in 1 seconds",
        ),
    ];
    for (file, want) in cases {
        let _ = std::fs::remove_file(&boot);
        if let Some((bytes, mode)) = file {
            std::fs::write(&boot, bytes).unwrap();
            std::fs::set_permissions(&boot, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let o = fc_local(&[
            "invoke",
            "--code",
            d,
            "--port",
            "9347",
            "--start-timeout",
            "1s",
        ]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{want}: {err}");
        assert!(err.contains(want), "{want}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A running `fc-local serve`, its stderr collected, killed on drop.
pub struct Gateway {
    pub child: Child,
    pub addr: SocketAddr,
    err: Arc<Mutex<Vec<String>>>,
}

impl Gateway {
    pub fn start(extra: &[&str], command: &[&str]) -> Gateway {
        let mut child = Command::new(LOCAL)
            .args(["serve", "--listen", "127.0.0.1:0", "--port", "0"])
            .args(extra)
            .arg("--")
            .args(command)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fc-local serve");
        let err = Arc::new(Mutex::new(Vec::new()));
        let (e2, pipe) = (err.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for l in BufReader::new(pipe).lines().map_while(Result::ok) {
                e2.lock().unwrap().push(l);
            }
        });
        let t = Instant::now();
        let addr = loop {
            let found = err.lock().unwrap().iter().find_map(|l| {
                let rest = l.split("HTTP trigger on http://").nth(1)?;
                rest.split('/').next()?.parse::<SocketAddr>().ok()
            });
            if let Some(a) = found {
                break a;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "no gateway: {:?}",
                err.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Gateway { child, addr, err }
    }

    pub fn stderr(&self) -> String {
        self.err.lock().unwrap().join("\n")
    }

    /// Waits up to `limit` for a stderr line containing `text`.
    pub fn wait_for(&self, text: &str, limit: Duration) -> bool {
        let t = Instant::now();
        while t.elapsed() < limit {
            if self.err.lock().unwrap().iter().any(|l| l.contains(text)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Gateway {
    /// SIGTERM first, so fc-local stops its function too (it runs in its own process group
    /// and would outlive a SIGKILLed fc-local); SIGKILL only if that takes too long.
    fn drop(&mut self) {
        let _ = sigterm(self.child.id());
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn b64decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for q in s.as_bytes().chunks(4) {
        let n = q.iter().fold(0u32, |n, &c| {
            n << 6 | if c == b'=' { 0 } else { val(c) as u32 }
        });
        let pad = q.iter().filter(|&&c| c == b'=').count();
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

#[test]
fn gateway_forwards_like_an_http_trigger_and_enforces_fcs_limits() {
    let mut gw = Gateway::start(&["--fc2-prefix", "--name", "fn1"], &[RUNTIME]);
    let mut c = Conn::open(gw.addr);
    // Passthrough: method, path, query, headers, body; client x-fc-*/keep-alive dropped.
    let r = c
        .send(b"PUT /2016-08-15/proxy/fc-local/fn1/a%20b?x=1&y=2 HTTP/1.1\r\nHost: gw\r\nX-Custom: c1\r\nX-Fc-Request-Id: spoofed\r\nKeep-Alive: timeout=5\r\nX-Fc-Log-Type: Tail\r\nContent-Length: 5\r\n\r\nhello")
        .read_response(false)
        .unwrap();
    let (echo, rid) = (r.text(), r.header("x-fc-request-id").unwrap().to_string());
    assert_eq!(r.status, 200, "{echo}");
    for want in [
        "\"method\":\"PUT\"",
        // fc-runtime strips the base path the gateway declares in x-fc-base-path.
        "\"path\":\"/a%20b\"",
        "\"query\":\"x=1&y=2\"",
        "\"x-custom\":\"c1\"",
        "\"body\":\"hello\"",
        "\"x-fc-control-path\":\"/http-invoke\"",
        "\"x-fc-base-path\":\"/2016-08-15/proxy/fc-local/fn1\"",
        &format!("\"x-fc-request-id\":\"{rid}\""),
    ] {
        assert!(echo.contains(want), "{want} in {echo}");
    }
    assert!(
        !echo.contains("spoofed") && !echo.contains("keep-alive"),
        "{echo}"
    );
    let logs = text(&b64decode(r.header("x-fc-log-result").expect("log result")));
    assert!(
        logs.contains(&format!("FC Invoke Start RequestId: {rid}")),
        "{logs}"
    );
    // FC's gateway limits, each a 400 InvalidArgument.
    let big_header = format!("X-Pad: {}\r\n", "a".repeat(8200));
    let long_path = format!("/{}", "p".repeat(4100));
    let cases = [
        format!("GET / HTTP/1.1\r\nHost: gw\r\n{big_header}\r\n"),
        format!("GET {long_path} HTTP/1.1\r\nHost: gw\r\n\r\n"),
        "POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 33554433\r\n\r\n".to_string(),
    ];
    for req in cases {
        let r = Conn::open(gw.addr)
            .send(req.as_bytes())
            .read_response(false)
            .unwrap();
        assert_eq!(r.status, 400, "{}", &req[..40]);
        assert!(
            r.text().contains("\"ErrorCode\":\"InvalidArgument\""),
            "{}",
            r.text()
        );
    }
    // SIGTERM: drain, GET /pre-stop, SIGTERM to the function, exit 0.
    assert!(sigterm(gw.child.id()), "kill -TERM");
    let status = gw.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let err = gw.stderr();
    assert!(status.success(), "{err}");
    assert!(err.contains("GET /pre-stop -> 200"), "{err}");
    assert!(err.contains("function exit code 0"), "{err}");
}

#[test]
fn gateway_shapes_a_misbehaving_functions_answers() {
    let gw = Gateway::start(
        &["--timeout", "1s", "--grace", "1s"],
        &["python3", BROKEN, "--any"],
    );
    let get = |path: &str| {
        Conn::open(gw.addr)
            .send(format!("GET {path} HTTP/1.1\r\nHost: gw\r\n\r\n").as_bytes())
            .read_response(false)
            .unwrap()
    };
    let r = get("/reserved");
    assert_eq!((r.status, r.header("x-kept")), (200, Some("yes")));
    for gone in ["x-fc-extra", "content-disposition", "server"] {
        assert!(r.header(gone).is_none(), "{gone}: {:?}", r.headers);
    }
    let r = get("/big-headers");
    assert_eq!(r.status, 502);
    assert!(
        r.text().contains("\"ErrorCode\":\"BadResponse\""),
        "{}",
        r.text()
    );
    let t = Instant::now();
    let r = get("/sleep");
    assert_eq!(r.status, 502);
    assert!(
        r.text().contains("Function timed out after 1 seconds"),
        "{}",
        r.text()
    );
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
    // The process dies mid-request: FC's 502, then the next call cold-starts a new one.
    let r = get("/exit");
    assert_eq!(r.status, 502);
    assert!(
        r.text()
            .contains("Process exited unexpectedly before completing request"),
        "{}",
        r.text()
    );
    assert_eq!(get("/again").text(), "Hello, ");
    assert!(
        gw.stderr()
            .contains("the function exited (exit status: 3); starting a new instance"),
        "{}",
        gw.stderr()
    );
    // The function closes idle connections after 1 s: the gateway says so and retries.
    let mut c = Conn::open(gw.addr);
    let ok = b"POST /invoke HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi";
    assert_eq!(c.send(ok).read_response(false).unwrap().text(), "Hello, hi");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(c.send(ok).read_response(false).unwrap().text(), "Hello, hi");
    assert!(
        gw.stderr()
            .contains("closed a keep-alive connection idle for"),
        "{}",
        gw.stderr()
    );
}

/// Sends SIGTERM with the system's `kill`, as a platform would.
pub fn sigterm(pid: u32) -> bool {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}
