//! The Rust author's side, through the real server and real clients: the WebSocket example
//! (tungstenite) against Node's `ws` client, including its goodbye on SIGTERM; the SSE
//! example's time to first event; and, with the `json` feature, `run_json` with a good
//! event, a malformed one and a handler error. (The typed OSS function is the template's:
//! `package.rs` builds and invokes it.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::Conn;

const APPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/apps");

/// An example binary built by `cargo test` (next to this test binary's `deps/`).
pub fn example(name: &str) -> PathBuf {
    let mut p = std::env::current_exe().unwrap();
    p.pop();
    if p.ends_with("deps") {
        p.pop();
    }
    let p = p.join("examples").join(name);
    assert!(
        p.exists(),
        "{} is not built (cargo test builds the examples)",
        p.display()
    );
    p
}

/// An example serving on a free port; SIGKILLed on drop if still running.
struct Running {
    child: Child,
    port: u16,
}

impl Running {
    fn start(name: &str) -> Running {
        let port = crate::exec::free_port();
        let child = Command::new(example(name))
            .args(["--port", &port.to_string(), "--grace", "5s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "{name} did not listen"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Running { child, port }
    }

    fn addr(&self) -> std::net::SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn websocket_example_echoes_and_says_goodbye_on_sigterm() {
    let mut ws = Running::start("websocket");
    let url = format!("ws://127.0.0.1:{}/any/path", ws.port);
    let o = Command::new("node")
        .args([&format!("{APPS}/ws-client.js"), &url, "5", "--no-greeting"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.starts_with("ok 5 - close=1000"),
        "{out}"
    );
    // Not an upgrade: 426.
    let r = Conn::open(ws.addr())
        .send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .read_response(false)
        .unwrap();
    assert_eq!((r.status, r.header("upgrade")), (426, Some("websocket")));
    // An open connection counts as in flight: SIGTERM makes the handler send 1001 and the
    // server exit 0 once it returned.
    let hold = Command::new("node")
        .args([&format!("{APPS}/ws-hold.js"), &url])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(crate::local::sigterm(ws.child.id()));
    let held = hold.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&held.stdout);
    assert!(out.starts_with("close=1001"), "{out}");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = ws.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn sse_example_sends_each_event_as_it_happens() {
    let sse = Running::start("sse");
    let mut s = TcpStream::connect(sse.addr()).unwrap();
    let t = Instant::now();
    s.write_all(b"GET /events?n=3 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut first = None;
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"0\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
        if first.is_none() && String::from_utf8_lossy(&got).contains("data: {\"n\":1") {
            first = Some(t.elapsed());
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains("Content-Type: text/event-stream") && text.contains("id: 3"),
        "{text}"
    );
    let (first, end) = (first.unwrap(), t.elapsed());
    assert!(
        first < Duration::from_millis(200),
        "first event after {first:?}"
    );
    assert!(end >= Duration::from_millis(950), "ended after {end:?}");
}

/// `POST /invoke` with FC's control path; (status, x-fc-status, body).
#[cfg(feature = "json")]
fn invoke(addr: std::net::SocketAddr, event: &str) -> (u16, Option<String>, String) {
    let req = format!(
        "POST /invoke HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: r1\r\nContent-Length: {}\r\n\r\n{event}",
        event.len()
    );
    let r = Conn::open(addr)
        .send(req.as_bytes())
        .read_response(false)
        .unwrap();
    (
        r.status,
        r.header("x-fc-status").map(str::to_owned),
        r.text(),
    )
}

#[cfg(feature = "json")]
#[test]
fn run_json_decodes_answers_and_names_the_bad_field() {
    let f = Running::start("json");
    let (status, fc, body) = invoke(
        f.addr(),
        r#"{"id":7,"items":[{"sku":"a","qty":2},{"sku":"b","qty":3}]}"#,
    );
    assert_eq!((status, fc.as_deref()), (200, None), "{body}");
    assert_eq!(body, r#"{"id":7,"units":5,"skus":["a","b"]}"#);
    // A malformed event: FC's failure shape, and the message names the field.
    let (status, fc, body) = invoke(f.addr(), r#"{"id":7,"items":[{"sku":"a","qty":"two"}]}"#);
    assert_eq!((status, fc.as_deref()), (404, Some("404")), "{body}");
    assert!(body.contains(r#""errorType":"InvalidEvent""#), "{body}");
    assert!(
        body.contains(r#"items[0].qty: invalid type: string \"two\", expected u32"#),
        "{body}"
    );
    // The handler's own error.
    let (status, fc, body) = invoke(f.addr(), r#"{"id":8,"items":[]}"#);
    assert_eq!((status, fc.as_deref()), (404, Some("404")));
    assert_eq!(
        body,
        r#"{"errorMessage":"order 8 has no items","errorType":"EmptyOrder"}"#
    );
    // Behind an HTTP trigger: JSON in, JSON out, 400 for a body that does not decode.
    let r = Conn::open(f.addr())
        .send(b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{\"id\":1}x")
        .read_response(false)
        .unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
}
