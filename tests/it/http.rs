//! HTTP/1.1 behaviour over real sockets: keep-alive, close, pipelining, HEAD, chunked both
//! ways, 100-continue, draining of unread bodies, Date.

use std::io::Read;
use std::time::Duration;

use fc_runtime::{Context, Handler, HandlerError, Request, Response};

use crate::client::{invoke_raw, request, Conn};
use crate::TestServer;

pub struct Echo;

/// Yields its pieces one read at a time (a body of unknown length).
struct Pieces(Vec<&'static [u8]>);

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Ok(0);
        }
        let p = self.0.remove(0);
        buf[..p.len()].copy_from_slice(p);
        Ok(p.len())
    }
}

impl Handler for Echo {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok([b"Hello, ", &event[..]].concat())
    }
    fn http(&self, mut req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        Ok(match req.path.as_str() {
            "/ignore" => Response::ok("ignored"),
            "/stream" => {
                Response::new(200).with_stream(Pieces(vec![b"one,", b"two,", b"three"]), None)
            }
            _ => {
                let body = req.body.to_vec()?;
                Response::ok(format!(
                    "{} {} {} {}",
                    req.method,
                    req.path,
                    req.query,
                    String::from_utf8_lossy(&body)
                ))
            }
        })
    }
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let s = TestServer::start(|_| {}, Echo);
    let mut c = Conn::open(s.addr);
    for i in 0..5 {
        let r = c
            .send(&invoke_raw(&format!("n{i}")))
            .read_response(false)
            .unwrap();
        assert_eq!((r.status, r.text()), (200, format!("Hello, n{i}")));
        assert!(!r.closes());
        assert!(r.header("date").is_some_and(|d| d.ends_with(" GMT")));
    }
    s.stop();
}

#[test]
fn connection_close_and_http10_close_after_the_answer() {
    let s = TestServer::start(|_| {}, Echo);
    for raw in [
        "GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /a HTTP/1.0\r\n\r\n",
    ] {
        let mut c = Conn::open(s.addr);
        let r = c.send(raw.as_bytes()).read_response(false).unwrap();
        assert_eq!(r.status, 200);
        assert!(r.closes(), "{raw:?}");
        assert!(c.is_closed(Duration::from_secs(2)), "{raw:?}");
    }
    // HTTP/1.0 with keep-alive stays open.
    let mut c = Conn::open(s.addr);
    for _ in 0..2 {
        let r = c
            .send(b"GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .read_response(false)
            .unwrap();
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
    s.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = TestServer::start(|_| {}, Echo);
    let mut c = Conn::open(s.addr);
    let mut all = Vec::new();
    for i in 0..10 {
        all.extend(
            format!("POST /p?i={i} HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n{i}").bytes(),
        );
    }
    c.send(&all);
    for i in 0..10 {
        let r = c.read_response(false).unwrap();
        assert_eq!(r.text(), format!("POST /p i={i} {i}"));
    }
    s.stop();
}

#[test]
fn head_gets_headers_without_body() {
    let s = TestServer::start(|_| {}, Echo);
    let mut c = Conn::open(s.addr);
    let r = c
        .send(b"HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n")
        .read_response(true)
        .unwrap();
    assert_eq!(r.header("content-length"), Some("9")); // "HEAD /h  "
                                                       // The next response starts right away: no body bytes were sent.
    let r = c.send(&invoke_raw("x")).read_response(false).unwrap();
    assert_eq!(r.text(), "Hello, x");
    s.stop();
}

#[test]
fn chunked_request_and_chunked_response() {
    let s = TestServer::start(|_| {}, Echo);
    let mut c = Conn::open(s.addr);
    let r = c
        .send(b"POST /invoke HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n")
        .read_response(false)
        .unwrap();
    assert_eq!(r.text(), "Hello, Wikipedia");
    let r = c
        .send(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        .read_response(false)
        .unwrap();
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.text(), "one,two,three");
    // HTTP/1.0 gets the same stream close-delimited.
    let mut c = Conn::open(s.addr);
    let r = c
        .send(b"GET /stream HTTP/1.0\r\n\r\n")
        .read_response(false)
        .unwrap();
    assert!(r.header("transfer-encoding").is_none() && r.closes());
    assert_eq!(r.text(), "one,two,three");
    s.stop();
}

#[test]
fn expect_100_continue_only_when_the_body_is_read() {
    let s = TestServer::start(|_| {}, Echo);
    let mut c = Conn::open(s.addr);
    c.send(
        b"POST /invoke HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    let interim = c.read_one(false).unwrap();
    assert_eq!(interim.status, 100);
    let r = c.send(b"hello").read_response(false).unwrap();
    assert_eq!(r.text(), "Hello, hello");
    // A handler that never reads: no 100, a final answer, then close.
    let mut c = Conn::open(s.addr);
    c.send(
        b"POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    let r = c.read_one(false).unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "ignored"));
    assert!(r.closes());
    s.stop();
}

#[test]
fn unread_body_is_drained_or_the_connection_closed() {
    let s = TestServer::start(|c| c.limits.drain_max = 1000, Echo);
    let mut c = Conn::open(s.addr);
    let small = format!(
        "POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n\r\n{}",
        "x".repeat(500)
    );
    let r = c.send(small.as_bytes()).read_response(false).unwrap();
    assert!(!r.closes());
    let r = c.send(&invoke_raw("after")).read_response(false).unwrap();
    assert_eq!(r.text(), "Hello, after", "stream stayed in sync");
    let big = format!(
        "POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n{}",
        "x".repeat(5000)
    );
    let r = c.send(big.as_bytes()).read_response(false).unwrap();
    assert!(r.closes());
    assert!(c.is_closed(Duration::from_secs(3)));
    s.stop();
}

#[test]
fn large_body_round_trip() {
    let s = TestServer::start(|_| {}, Echo);
    let event = vec![b'z'; 4 * 1024 * 1024];
    let mut c = Conn::open(s.addr);
    crate::client::send_event(&mut c.stream, &event);
    let r = c.read_response(false).unwrap();
    assert_eq!(r.body.len(), event.len() + 7);
    assert!(r.body[7..].iter().all(|&b| b == b'z'));
    let r = request(s.addr, b"GET /x?y=1 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.text(), "GET /x y=1 ");
    s.stop();
}
