//! The real `fc-runtime` binary: start-up lines, marker lines, log format, credential
//! redaction, SIGTERM draining a request in flight, flags.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::Conn;

const BIN: &str = env!("CARGO_BIN_EXE_fc-runtime");

struct Bin {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    addr: SocketAddr,
}

impl Bin {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Bin {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Bin::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Bin {
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn fc-runtime");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l2.lock().unwrap().push(line);
            }
        });
        let mut bin = Bin {
            child,
            lines,
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        let inited = bin.wait_line("runtime inited.");
        assert_eq!(inited, "FunctionCompute fc-runtime runtime inited.");
        let summary = bin.wait_line("listening on");
        let port = summary
            .split("listening on ")
            .nth(1)
            .unwrap()
            .split([' ', ':'])
            .nth(1)
            .unwrap();
        bin.addr = format!("127.0.0.1:{port}").parse().unwrap();
        bin
    }

    fn wait_line(&self, needle: &str) -> String {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Some(l) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "no line with {needle:?} in {:?}",
            self.lines.lock().unwrap()
        );
    }

    fn child_alive(&self) -> bool {
        std::path::Path::new(&format!("/proc/{}", self.child.id())).exists()
    }

    fn term(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for exit; returns the exit code and all stdout lines.
    fn wait(mut self) -> (Option<i32>, Vec<String>, Duration) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(15) {
                let _ = self.child.kill();
                panic!("fc-runtime did not exit");
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let took = start.elapsed();
        std::thread::sleep(Duration::from_millis(50)); // let the reader thread finish
        let lines = self.lines.lock().unwrap().clone();
        (status.code(), lines, took)
    }
}

#[test]
fn markers_log_format_and_credential_redaction() {
    let bin = Bin::start(
        &["--port", "0"],
        &[("RUST_LOG", "debug"), ("FC_FUNCTION_NAME", "demo")],
    );
    let mut c = Conn::open(bin.addr);
    let secrets = "x-fc-access-key-id: AKIDVALUE\r\nx-fc-access-key-secret: SECRETVALUE\r\nx-fc-security-token: TOKENVALUE\r\n";
    let r = c
        .send(format!("POST /invoke HTTP/1.1\r\nHost: t\r\nx-fc-request-id: rid-1\r\n{secrets}Content-Length: 2\r\n\r\nFC").as_bytes())
        .read_response(false)
        .unwrap();
    assert_eq!(r.text(), "Hello, FC");
    let r = c
        .send(format!("GET /echo HTTP/1.1\r\nHost: t\r\nx-fc-request-id: rid-2\r\nx-fc-control-path: /http-invoke\r\n{secrets}\r\n").as_bytes())
        .read_response(false)
        .unwrap();
    assert_eq!(r.header("function-name"), Some("demo"));
    let body = r.text();
    for s in ["AKIDVALUE", "SECRETVALUE", "TOKENVALUE"] {
        assert!(!body.contains(s), "{s} echoed: {body}");
    }
    assert!(body.contains(r#""x-fc-security-token":"***""#), "{body}");
    // A handler-less route that logs a warning carries the request id.
    c.send(b"GET /x HTTP/1.1\r\nHost: t\r\nx-fc-request-id: rid-3\r\nx-fc-control-path: /bogus\r\n\r\n")
        .read_response(false)
        .unwrap();
    bin.term();
    let (code, lines, _) = bin.wait();
    assert_eq!(code, Some(0));
    let has = |l: &str| lines.iter().any(|x| x == l);
    for id in ["rid-1", "rid-2"] {
        assert!(
            has(&format!("FC Invoke Start RequestId: {id}")),
            "{lines:#?}"
        );
        assert!(has(&format!("FC Invoke End RequestId: {id}")), "{lines:#?}");
    }
    let start = lines
        .iter()
        .position(|l| l == "FC Invoke Start RequestId: rid-1")
        .unwrap();
    let end = lines
        .iter()
        .position(|l| l == "FC Invoke End RequestId: rid-1")
        .unwrap();
    assert!(start < end);
    // `<UTC time> <request id> [LEVEL] message`
    let warn = lines
        .iter()
        .find(|l| l.contains("x-fc-control-path"))
        .expect("warning logged");
    let parts: Vec<&str> = warn.splitn(4, ' ').collect();
    assert!(parts[0].ends_with('Z') && parts[0].contains('T'), "{warn}");
    assert_eq!((parts[1], parts[2]), ("rid-3", "[WARN]"), "{warn}");
    for s in ["AKIDVALUE", "SECRETVALUE", "TOKENVALUE"] {
        assert!(!lines.iter().any(|l| l.contains(s)), "{s} logged");
    }
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    let bin = Bin::start(&["--port", "0"], &[]);
    let mut idle = Conn::open(bin.addr);
    idle.send(&crate::client::invoke_raw("warm"))
        .read_response(false)
        .unwrap();
    let mut inflight = Conn::open(bin.addr);
    inflight.send(b"POST /invoke HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello");
    std::thread::sleep(Duration::from_millis(100));
    bin.term();
    std::thread::sleep(Duration::from_millis(200));
    // Idle connections are closed at once and the listener is gone...
    assert!(idle.is_closed(Duration::from_secs(2)));
    assert!(std::net::TcpStream::connect(bin.addr).is_err());
    // ...but the request in flight completes, told the connection closes.
    inflight.send(b"world");
    let r = inflight.read_response(false).unwrap();
    assert_eq!(r.text(), "Hello, helloworld");
    assert!(r.closes());
    let (code, _, took) = bin.wait();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(5), "exit took {took:?}");
}

#[test]
fn port_from_platform_environment() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = Bin::start(&[], &[("FC_SERVER_PORT", &port.to_string()), ("PORT", "1")]);
    assert_eq!(bin.addr.port(), port);
    bin.term();
    assert_eq!(bin.wait().0, Some(0));
}

#[test]
fn flags_help_version_and_errors() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    // Every setting, its variable and its default (the table in src/config/options.rs).
    let settings = [
        ("port", "FCRT_PORT", "9000"),
        ("host", "FCRT_HOST", "0.0.0.0"),
        ("memory", "FCRT_MEMORY", "auto"),
        ("max-workers", "FCRT_MAX_WORKERS", "auto"),
        ("body-budget", "FCRT_BODY_BUDGET", "auto"),
        ("body-wait", "FCRT_BODY_WAIT", "1s"),
        ("stack-size", "FCRT_STACK_SIZE", "1MiB"),
        ("worker-idle", "FCRT_WORKER_IDLE", "10s"),
        ("max-head", "FCRT_MAX_HEAD", "32KiB"),
        ("max-target", "FCRT_MAX_TARGET", "8KiB"),
        ("max-headers", "FCRT_MAX_HEADERS", "256"),
        ("max-body", "FCRT_MAX_BODY", "32MiB"),
        ("max-drain", "FCRT_MAX_DRAIN", "256KiB"),
        ("head-timeout", "FCRT_HEAD_TIMEOUT", "10s"),
        ("body-timeout", "FCRT_BODY_TIMEOUT", "30s"),
        ("min-rate", "FCRT_MIN_RATE", "1KiB"),
        ("write-timeout", "FCRT_WRITE_TIMEOUT", "30s"),
        ("idle-timeout", "FCRT_IDLE_TIMEOUT", "20m"),
        ("grace", "FCRT_GRACE", "30s"),
        ("strip-base-path", "FCRT_STRIP_BASE_PATH", "true"),
        ("exec", "FCRT_EXEC", ""),
        ("app-port", "FCRT_APP_PORT", "auto"),
        ("ready-path", "FCRT_READY_PATH", ""),
        ("ready-timeout", "FCRT_READY_TIMEOUT", "120s"),
        ("event-path", "FCRT_EVENT_PATH", "/invoke"),
        ("error-status", "FCRT_ERROR_STATUS", "500"),
    ];
    for (flag, env, default) in settings {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("--{flag} ")))
            .unwrap_or_else(|| panic!("--{flag} missing from --help:\n{help}"));
        assert!(line.contains(env) && line.contains(default), "{line}");
    }
    let listed = help.lines().filter(|l| l.starts_with("  --")).count();
    assert_eq!(
        listed,
        settings.len() + 2,
        "plus --help and --version:\n{help}"
    );
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("fc-runtime 0."));
    for (args, env) in [
        (vec!["--bogus"], vec![]),
        (vec!["--port", "nope"], vec![]),
        (vec![], vec![("FCRT_MAX_BODY", "lots")]),
    ] {
        let out = Command::new(BIN).args(&args).envs(env).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn worker_threads_follow_requests_not_open_connections() {
    let bin = Bin::start(&["--port", "0", "--worker-idle", "300ms"], &[]);
    let pid = bin.child.id();
    // The main thread and the acceptor that takes over once main has its first connection.
    assert_eq!(threads(pid), 2, "no worker before the first connection");
    let mut conns: Vec<Conn> = (0..20).map(|_| Conn::open(bin.addr)).collect();
    for c in conns.iter_mut() {
        c.send(&crate::client::invoke_raw("x"))
            .read_response(false)
            .unwrap();
    }
    let busy = threads(pid);
    assert!((2..=22).contains(&busy), "{busy} threads");
    // Stop signals reach only the acceptor (blocked in accept), never a thread that serves a
    // connection, whose socket calls would fail with EINTR.
    let open_to_stop: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|t| {
            let status = std::fs::read_to_string(t.ok()?.path().join("status")).ok()?;
            let name = status.lines().next()?.split_whitespace().nth(1)?.to_owned();
            let blocked = status.lines().find(|l| l.starts_with("SigBlk:"))?;
            let mask = u64::from_str_radix(blocked.split_whitespace().nth(1)?, 16).ok()?;
            (mask & 0x4002 != 0x4002).then_some(name)
        })
        .collect();
    assert_eq!(open_to_stop, ["fc-acceptor"]);
    // Idle keep-alive connections wait in the room: the extra workers exit although all 20
    // stay open. Left: main (still a worker, or waiting for the acceptor), the acceptor, the
    // keeper if load started it, and one worker watching the room if main is not it.
    wait_for("idle workers to exit", || threads(pid) <= 4);
    for (i, c) in conns.iter_mut().enumerate() {
        let r = c.send(&crate::client::invoke_raw(&format!("again{i}")));
        assert_eq!(
            r.read_response(false).unwrap().text(),
            format!("Hello, again{i}")
        );
    }
    drop(conns);
    let r = crate::client::request(bin.addr, &crate::client::invoke_raw("again"));
    assert_eq!(r.text(), "Hello, again");
    bin.term();
    assert_eq!(bin.wait().0, Some(0));
}

#[test]
fn accept_failures_are_survived_by_evicting_idle_connections() {
    // 40 descriptors: the flood below makes accept fail with EMFILE.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &format!("ulimit -n 40 && exec {BIN} --port 0")]);
    let bin = Bin::spawn(cmd);
    let flood: Vec<std::net::TcpStream> = (0..80)
        .map(|_| std::net::TcpStream::connect(bin.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let r = crate::client::request(bin.addr, &crate::client::invoke_raw("fresh"));
    assert_eq!(r.text(), "Hello, fresh");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert!(bin.child_alive());
    drop(flood);
    let warned = bin.wait_line("accept failed");
    assert!(warned.contains("[WARN]"), "{warned}");
    bin.term();
    assert_eq!(bin.wait().0, Some(0));
}

#[test]
fn limits_derive_from_the_platform_memory_and_are_printed() {
    // 64 MB instance: 256 workers, a 16 MiB body budget, so the body limit is 16 MiB too.
    let bin = Bin::start(&[], &[("FC_FUNCTION_MEMORY_SIZE", "64")]);
    let line = bin.wait_line("listening on");
    for want in [
        "memory=64MiB (FC_FUNCTION_MEMORY_SIZE)",
        "workers<=256",
        "body-budget=16777216",
        "max-body=16777216",
    ] {
        assert!(line.contains(want), "{want} in {line}");
    }
    let mut c = Conn::open(bin.addr);
    let head = "POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 16777217\r\n\r\n";
    let r = c.send(head.as_bytes()).read_response(false).unwrap();
    assert_eq!(r.status, 413);
    bin.term();
    assert_eq!(bin.wait().0, Some(0));
}

/// The binary starts without std's runtime set-up (`fc_runtime::entry!`), so it keeps the
/// guarantees that set-up gave: started with stdin, stdout and stderr closed, it reopens
/// them on /dev/null (the listening socket never becomes "stdout", where marker lines go),
/// and a client that leaves mid-answer does not kill it (SIGPIPE ignored).
#[test]
fn closed_standard_descriptors_are_reopened_and_a_vanished_client_is_survived() {
    // A free port can be taken by another test between the probe and the bind: then the
    // binary exits (it cannot listen) and the start is tried again on another port.
    let (mut child, addr) = (0..5)
        .find_map(|_| {
            let port = crate::exec::free_port();
            let mut child = Command::new("sh")
                .args([
                    "-c",
                    &format!("exec 0<&- 1>&- 2>&- {BIN} --host 127.0.0.1 --port {port}"),
                ])
                .spawn()
                .unwrap();
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let mut exited = false;
            wait_for("the binary to listen or exit", || {
                exited = child.try_wait().unwrap().is_some();
                exited || std::net::TcpStream::connect(addr).is_ok()
            });
            // Listening, and it is ours: still running a moment after the connect (a binary
            // that cannot bind exits within a millisecond or two).
            std::thread::sleep(std::time::Duration::from_millis(50));
            (!exited && child.try_wait().unwrap().is_none()).then_some((child, addr))
        })
        .expect("the binary never listened");
    for fd in 0..3 {
        let target = std::fs::read_link(format!("/proc/{}/fd/{fd}", child.id())).unwrap();
        assert_eq!(target, std::path::Path::new("/dev/null"), "fd {fd}");
    }
    // A big answer to a client that closes at once: the write fails with EPIPE/ECONNRESET.
    for _ in 0..20 {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let body = "x".repeat(4 << 20);
        let head = format!(
            "POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        use std::io::Write;
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(body.as_bytes());
        drop(s);
    }
    let r = crate::client::request(addr, &crate::client::invoke_raw("still"));
    assert_eq!(r.text(), "Hello, still");
    assert!(child.try_wait().unwrap().is_none(), "the binary died");
    assert!(crate::local::sigterm(child.id()));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
