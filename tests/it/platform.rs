//! `fc-local serve` as the platform: Alibaba's Python SDKs through the InvokeFunction API,
//! instance concurrency and scale-out, a streamed answer, a WebSocket through the HTTP
//! trigger, async retries, idle instances stopped, and the event templates — all against
//! a real Node.js function (tests/it/apps/fc-fn.js) over loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::Conn;
use crate::local::{Gateway, LOCAL};

const APPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/apps");
const FN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/apps/fc-fn.js");
const SDK_SESSION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/sdk_session.py");
const SDK_PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/sdk-venv/bin/python");

fn node_fn(extra: &[&str]) -> Gateway {
    let mut args = vec!["--name", "fn1", "--service", "svc1"];
    args.extend_from_slice(extra);
    Gateway::start(&args, &["node", FN])
}

fn get(gw: &Gateway, path: &str) -> crate::client::Resp {
    Conn::open(gw.addr)
        .send(format!("GET {path} HTTP/1.1\r\nHost: gw\r\n\r\n").as_bytes())
        .read_response(false)
        .unwrap()
}

fn post(gw: &Gateway, path: &str, headers: &str, body: &[u8]) -> crate::client::Resp {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: gw\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    Conn::open(gw.addr).send(&req).read_response(false).unwrap()
}

#[test]
fn alibabas_python_sdks_invoke_through_the_api() {
    assert!(
        std::path::Path::new(SDK_PYTHON).exists(),
        "{SDK_PYTHON} is missing: `make sdk` installs Alibaba's SDKs there"
    );
    let gw = node_fn(&["--verify-signature", "AK:SK", "--timeout", "2s"]);
    let o = Command::new(SDK_PYTHON)
        .args([SDK_SESSION, &gw.addr.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("run the SDK session");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}\n--- fc-local:\n{}",
        String::from_utf8_lossy(&o.stderr),
        gw.stderr()
    );
    for step in [
        "fc2 sync",
        "fc2 tail",
        "fc2 function error",
        "fc2 unknown function",
        "fc2 async",
        "fc2 bad signature",
        "fc3 sync",
        "fc3 tail",
        "fc3 function error",
        "fc3 timeout",
        "fc3 async",
        "fc3 unknown function",
        "fc3 bad signature",
    ] {
        assert!(out.contains(&format!("ok {step}\n")), "{step}:\n{out}");
    }
    // Both async calls ran in the background.
    for event in ["fc2-async", "fc3-async"] {
        assert!(
            gw.wait_for(&format!("handling {event} on"), Duration::from_secs(5)),
            "{event}: {}",
            gw.stderr()
        );
    }
    assert!(gw.wait_for(
        "async task-42 attempt 1/3: succeeded",
        Duration::from_secs(5)
    ));
}

#[test]
fn concurrency_fills_an_instance_then_scales_out_then_refuses() {
    let gw = node_fn(&["--concurrency", "2", "--max-instances", "2"]);
    let addr = gw.addr;
    let slow = move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /slow?ms=1500 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let c = std::thread::spawn(slow);
            std::thread::sleep(Duration::from_millis(100));
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Four in flight on two instances of concurrency 2: the fifth is refused at once.
    let t = Instant::now();
    let r = get(&gw, "/slow?ms=10");
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(
        r.text().contains("\"ErrorCode\":\"ResourceExhausted\""),
        "{}",
        r.text()
    );
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    let mut instances: Vec<String> = calls
        .into_iter()
        .map(|c| {
            let out = c.join().unwrap();
            assert!(out.starts_with("HTTP/1.1 200"), "{out}");
            let i = out.split("\"instance\":\"").nth(1).unwrap();
            i[..i.find('"').unwrap()].to_string()
        })
        .collect();
    instances.sort();
    // FC fills an instance before it starts another: two calls on each.
    assert_eq!(instances[0], instances[1], "{instances:?}");
    assert_eq!(instances[2], instances[3], "{instances:?}");
    assert_ne!(instances[0], instances[2], "{instances:?}");
    assert!(
        gw.stderr().contains("cold start: instance #2"),
        "{}",
        gw.stderr()
    );
}

#[test]
fn a_chunked_answer_streams_through_the_trigger() {
    let gw = node_fn(&[]);
    let mut s = TcpStream::connect(gw.addr).unwrap();
    let t = Instant::now();
    s.write_all(b"GET /sse HTTP/1.1\r\nHost: gw\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut first_event = None;
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"0\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        if first_event.is_none() && String::from_utf8_lossy(&got).contains("data: 1") {
            first_event = Some(t.elapsed());
        }
    }
    let end = t.elapsed();
    let first = first_event.unwrap();
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("data: 4"), "{text}");
    // Four events 300 ms apart: the first arrives long before the last.
    assert!(
        first < Duration::from_millis(300),
        "first event after {first:?}"
    );
    assert!(end >= Duration::from_millis(850), "ended after {end:?}");
}

#[test]
fn a_websocket_is_spliced_and_cut_at_the_function_timeout() {
    let gw = node_fn(&["--timeout", "2s"]);
    let url = format!("ws://{}/ws", gw.addr);
    let echo = Command::new("node")
        .args([&format!("{APPS}/ws-client.js"), &url, "3"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&echo.stdout);
    assert!(echo.status.success(), "{out}\n{}", gw.stderr());
    assert!(
        out.starts_with("ok 3 hello from c-") && out.contains("close=1000"),
        "{out}"
    );
    let hold = Command::new("node")
        .args([&format!("{APPS}/ws-hold.js"), &url])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&hold.stdout);
    let ms: u64 = out
        .split("after ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(out.starts_with("close=1006"), "{out}");
    assert!((1900..4000).contains(&ms), "{out}");
    assert!(
        gw.wait_for("cut at the function timeout", Duration::from_secs(2)),
        "{}",
        gw.stderr()
    );
}

#[test]
fn an_async_call_is_retried_after_a_function_error() {
    let gw = node_fn(&["--async-attempts", "3"]);
    let path = "/2023-03-30/functions/fn1/invocations";
    let async_h = "X-Fc-Invocation-Type: Async\r\n";
    let r = post(&gw, path, async_h, b"fail-once:k1");
    assert_eq!(r.status, 202);
    let task = r.header("x-fc-async-task-id").expect("task id").to_string();
    assert!(
        gw.wait_for(
            &format!("async {task} attempt 2/3: succeeded"),
            Duration::from_secs(5)
        ),
        "{}",
        gw.stderr()
    );
    let err = gw.stderr();
    assert!(
        err.contains(&format!("async {task} attempt 1/3: function error")),
        "{err}"
    );
    // The retry carried x-fc-retry-count.
    assert!(
        err.contains("handling fail-once:k1 on c-") && err.contains("retry 1"),
        "{err}"
    );
    // Every attempt fails: three, then given up.
    let r = post(&gw, path, async_h, b"fail");
    let task = r.header("x-fc-async-task-id").unwrap().to_string();
    assert!(
        gw.wait_for(
            &format!("async {task} failed after 3 attempts"),
            Duration::from_secs(6)
        ),
        "{}",
        gw.stderr()
    );
    // FC's 128 KB limit on asynchronous events.
    let r = post(&gw, path, async_h, &vec![b'a'; 129 * 1024]);
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("\"Code\":\"InvalidArgument\""),
        "{}",
        r.text()
    );
}

#[test]
fn an_idle_instance_is_stopped_with_pre_stop() {
    let gw = node_fn(&["--instance-idle", "1s"]);
    assert_eq!(get(&gw, "/x").status, 200);
    assert!(
        gw.wait_for(
            "idle for 1.00 s: GET /pre-stop -> 200",
            Duration::from_secs(5)
        ),
        "{}",
        gw.stderr()
    );
    assert!(
        gw.stderr().contains("hook /pre-stop on c-"),
        "{}",
        gw.stderr()
    );
    // The next call starts a new instance.
    assert_eq!(get(&gw, "/x").status, 200);
    assert!(
        gw.stderr().contains("cold start: instance #2"),
        "{}",
        gw.stderr()
    );
}

#[test]
fn event_templates_are_json_and_reach_the_function() {
    for name in ["timer", "oss", "sls", "mns-topic", "cloudevent"] {
        let o = Command::new(LOCAL)
            .args(["invoke", "--event-template", name, "--print-event"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}");
        let mut py = Command::new("python3")
            .args(["-c", "import json,sys; json.load(sys.stdin)"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        py.stdin.take().unwrap().write_all(&o.stdout).unwrap();
        assert!(
            py.wait().unwrap().success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    let o = Command::new(LOCAL)
        .args([
            "invoke",
            "--port",
            "0",
            "--event-template",
            "timer",
            "--",
            "node",
            FN,
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    // Into a pipe the result is exact: no newline added.
    assert!(
        out.starts_with("echo:{\"triggerTime\":\"20") && out.ends_with("qualifier:LATEST"),
        "{out:?}"
    );
    // On a terminal, the result's line is ended before the summary (script(1) gives a pty).
    let cmd = format!("{LOCAL} invoke --port 0 --event x -- node {FN}");
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(tty.contains("qualifier:LATEST\r\n"), "{tty:?}");
}
