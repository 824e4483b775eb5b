//! Bad input over real sockets: each gets one clear status, then a clean close.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::client::Conn;
use crate::http::Echo;
use crate::TestServer;

#[test]
fn every_refusal_has_its_status_and_closes() {
    let s = TestServer::start(
        |c| {
            c.limits.max_body = 1024;
            c.limits.max_head = 4096;
            c.limits.max_target = 1024;
        },
        Echo,
    );
    let h = "Host: t\r\n";
    let cases: Vec<(String, u16)> = vec![
        ("GARBAGE\r\n\r\n".into(), 400),
        (format!("GET / HTTP/1.1\r\n{h}X: a\0b\r\n\r\n"), 400),
        (format!("GET / HTTP/1.1\r\n{h}X: a\r\n folded\r\n\r\n"), 400),
        (
            format!("POST / HTTP/1.1\r\n{h}Content-Length: 1x\r\n\r\n"),
            400,
        ),
        (
            format!("POST / HTTP/1.1\r\n{h}Content-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            400,
        ),
        (
            format!(
                "POST / HTTP/1.1\r\n{h}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
            400,
        ),
        (
            format!("POST /invoke HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\nzz\r\n"),
            400,
        ),
        (
            format!("POST /invoke HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\n\r\n"),
            400,
        ),
        ("GET / HTTP/1.1\r\n\r\n".into(), 400),
        (
            format!("POST /invoke HTTP/1.1\r\n{h}Content-Length: 1025\r\n\r\n"),
            413,
        ),
        (
            format!(
                "POST /invoke HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\n400\r\n{}\r\n1\r\n",
                "a".repeat(1024)
            ),
            413,
        ),
        (
            format!("GET /{} HTTP/1.1\r\n{h}\r\n", "a".repeat(2000)),
            414,
        ),
        (
            format!("GET / HTTP/1.1\r\n{h}X: {}\r\n\r\n", "a".repeat(5000)),
            431,
        ),
        (format!("POST / HTTP/1.1\r\n{h}Expect: magic\r\n\r\n"), 417),
        (
            format!("POST / HTTP/1.1\r\n{h}Transfer-Encoding: gzip, chunked\r\n\r\n"),
            501,
        ),
        (format!("GET / HTTP/2.0\r\n{h}\r\n"), 505),
    ];
    for (raw, status) in cases {
        let mut c = Conn::open(s.addr);
        let _ = c.stream.write_all(raw.as_bytes());
        let r = c
            .read_response(false)
            .unwrap_or_else(|e| panic!("{:.60?}: {e}", raw));
        assert_eq!(r.status, status, "{:.60?}", raw);
        assert!(r.closes(), "{:.60?}", raw);
        assert!(r.text().starts_with(&status.to_string()), "{}", r.text());
        assert!(
            c.is_closed(Duration::from_secs(3)),
            "{:.60?} left open",
            raw
        );
    }
    // And the server is still fine.
    let r = crate::client::request(s.addr, &crate::client::invoke_raw("ok"));
    assert_eq!(r.text(), "Hello, ok");
    s.stop();
}

#[test]
fn head_deadline_stops_a_trickling_client_with_408() {
    let s = TestServer::start(|c| c.limits.head_timeout = Duration::from_millis(600), Echo);
    let mut c = Conn::open(s.addr);
    let start = Instant::now();
    // One byte every 100 ms: this head would take 4 s; the deadline is 600 ms.
    for b in b"GET /slow HTTP/1.1\r\nHost: t\r\nX: 1\r\n".iter().take(10) {
        let _ = c.stream.write_all(&[*b]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = c.read_response(false).expect("an answer, not a hang");
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(r.status, 408);
    assert!(c.is_closed(Duration::from_secs(2)));
    s.stop();
}

#[test]
fn stalled_body_gets_408() {
    let s = TestServer::start(|c| c.limits.body_timeout = Duration::from_millis(300), Echo);
    let mut c = Conn::open(s.addr);
    c.send(b"POST /invoke HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    let r = c.read_response(false).unwrap();
    assert_eq!(r.status, 408);
    assert!(r.closes());
    s.stop();
}
