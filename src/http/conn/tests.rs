//! Wire-level vectors for the connection loop: bytes in, bytes out, how it ends; the
//! shared helpers. Split invariance and the hooks (phases, body budget) have their own files.

use super::*;
use crate::http::refusal::H2_REFUSAL;
use std::io::{self, Read};
use std::time::Duration;

mod hooks;
mod split;

/// A transport that yields its data in pieces ending at the given cut points.
struct Split<'a> {
    data: &'a [u8],
    pos: usize,
    cuts: Vec<usize>,
}

impl Read for Split<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let next = self
            .cuts
            .iter()
            .copied()
            .find(|&c| c > self.pos)
            .unwrap_or(self.data.len());
        let n = (next - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Transport for Split<'_> {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

/// Echoes `METHOD path?query body` and reads the whole body.
fn echo(mut req: Request<'_>) -> Response {
    match req.body.to_vec() {
        Ok(b) => Response::ok(format!(
            "{} {}?{} {}",
            req.method,
            req.path,
            req.query,
            String::from_utf8_lossy(&b)
        )),
        Err(_) => Response::new(500),
    }
}

/// Ignores the body entirely.
fn ignore(_: Request<'_>) -> Response {
    Response::ok("ignored")
}

fn limits() -> Limits {
    Limits {
        max_body: 64,
        drain_max: 16,
        ..Limits::default()
    }
}

/// Runs the loop over `wire` cut at `cuts`; returns output without Date lines, and the end.
fn run_split(
    wire: &[u8],
    cuts: Vec<usize>,
    svc: fn(Request<'_>) -> Response,
) -> (String, CloseReason) {
    let limits = limits();
    let mut src = ConnReader::new(
        Split {
            data: wire,
            pos: 0,
            cuts,
        },
        limits.max_head,
    );
    let mut out = Vec::new();
    let mut svc = svc;
    let end = serve(&mut src, &mut out, &limits, &mut svc, &mut NoHooks);
    let text = String::from_utf8_lossy(&out)
        .split("\r\n")
        .filter(|l| !l.starts_with("Date: "))
        .collect::<Vec<_>>()
        .join("\r\n");
    (text, end)
}

fn run(wire: &str, svc: fn(Request<'_>) -> Response) -> (String, CloseReason) {
    run_split(wire.as_bytes(), vec![], svc)
}

const H: &str = "Host: h\r\n";

#[test]
fn exchanges_table() {
    let ok = |body: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let ok_close = |body: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    type Case = (
        String,
        fn(Request<'_>) -> Response,
        String,
        End,
        CloseReason,
    );
    let cases: Vec<Case> = vec![
        // pipelined, answered in order, then EOF
        (
            format!("GET /a HTTP/1.1\r\n{H}\r\nPOST /b?x=1 HTTP/1.1\r\n{H}Content-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\n{H}\r\n"),
            echo,
            format!("{}{}{}", ok("GET /a? "), ok("POST /b?x=1 abc"), ok("GET /c? ")),
            End::Done,
            CloseReason::PeerClosed,
        ),
        // Connection: close ends after the first answer; the rest is not read
        (
            format!("GET / HTTP/1.1\r\n{H}Connection: close\r\n\r\nGET /never HTTP/1.1\r\n{H}\r\n"),
            echo,
            ok_close("GET /? "),
            End::Done,
            CloseReason::ClientClose,
        ),
        // HTTP/1.0 closes by default
        ("GET / HTTP/1.0\r\n\r\n".into(), echo, ok_close("GET /? "), End::Done, CloseReason::ClientClose),
        // chunked request body
        (
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;e=1\r\nde\r\n0\r\nT: 1\r\n\r\nGET /n HTTP/1.1\r\n{H}\r\n"),
            echo,
            format!("{}{}", ok("POST /? abcde"), ok("GET /n? ")),
            End::Done,
            CloseReason::PeerClosed,
        ),
        // a small unread body is drained and the connection stays usable
        (
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 10\r\n\r\n0123456789GET /n HTTP/1.1\r\n{H}\r\n"),
            ignore,
            format!("{}{}", ok("ignored"), ok("ignored")),
            End::Done,
            CloseReason::PeerClosed,
        ),
        // an unread body over the drain bound closes after the answer
        (
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 40\r\n\r\n{}", "x".repeat(40)),
            ignore,
            ok_close("ignored"),
            End::Linger,
            CloseReason::BodyUnread,
        ),
        // HEAD: head only
        (
            format!("HEAD / HTTP/1.1\r\n{H}\r\n"),
            echo,
            "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n".into(),
            End::Done,
            CloseReason::PeerClosed,
        ),
        // 100-continue sent when the handler reads
        (
            format!("PUT / HTTP/1.1\r\n{H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"),
            echo,
            format!("HTTP/1.1 100 Continue\r\n\r\n{}", ok("PUT /? hi")),
            End::Done,
            CloseReason::PeerClosed,
        ),
        // ... and not sent when it does not: answer, then close
        (
            format!("PUT / HTTP/1.1\r\n{H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n"),
            ignore,
            ok_close("ignored"),
            End::Linger,
            CloseReason::BodyUnread,
        ),
    ];
    for (wire, svc, want, end, why) in cases {
        let (got, e) = run(&wire, svc);
        assert_eq!(got, want, "input {wire:?}");
        assert_eq!((e, e.end()), (why, end), "input {wire:?}");
    }
}

#[test]
fn refusals_table() {
    // (input, status) — every refusal closes the connection after one answer.
    let cases: Vec<(String, u16)> = vec![
        (
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 65\r\n\r\n"),
            413,
        ),
        (
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n41\r\n"),
            413,
        ),
        (
            format!(
                "POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n30\r\n{}\r\n30\r\n",
                "a".repeat(48)
            ),
            413,
        ),
        (
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n"),
            400,
        ),
        (
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n\r\n"),
            400,
        ),
        (
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nab"),
            400,
        ),
        (
            format!("GET / HTTP/1.1\r\n{H}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400,
        ),
        (
            format!("GET / HTTP/1.1\r\n{H}Transfer-Encoding: br\r\n\r\n"),
            501,
        ),
        (format!("GET / HTTP/3.0\r\n{H}\r\n"), 505),
        (format!("GET / HTTP/1.1\r\n{H}Expect: nothing\r\n\r\n"), 417),
        (
            format!("GET /{} HTTP/1.1\r\n{H}\r\n", "a".repeat(9000)),
            414,
        ),
        (
            format!("GET /{} HTTP/1.1\r\n{H}\r\n", "a".repeat(40_000)),
            414,
        ),
        (
            format!("GET / HTTP/1.1\r\n{H}X: {}\r\n\r\n", "a".repeat(40_000)),
            431,
        ),
        ("\0\0\0\0".into(), 400),
    ];
    for (wire, status) in cases {
        let (got, end) = run(&wire, echo);
        let line = got.lines().next().unwrap_or("");
        assert!(
            line.starts_with(&format!("HTTP/1.1 {status} ")),
            "{:.80?} -> {got:.200?}",
            wire
        );
        assert!(got.contains("Connection: close\r\n"), "{got}");
        assert_eq!(
            got.matches("HTTP/1.1 ").count(),
            1,
            "one answer only: {got}"
        );
        assert_eq!(end.end(), End::Linger);
        assert!(
            matches!(end, CloseReason::Refused(e) if e.status() == status),
            "{end:?}"
        );
    }
}

#[test]
fn an_http2_preface_is_refused_in_http2_terms() {
    let (_, why) = run("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", echo);
    assert_eq!(why, CloseReason::Refused(HttpError::Http2Preface));
    let limits = limits();
    let wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let mut src = ConnReader::new(&wire[..], limits.max_head);
    let mut out = Vec::new();
    serve(&mut src, &mut out, &limits, &mut echo, &mut NoHooks);
    assert_eq!(out, H2_REFUSAL, "SETTINGS, then GOAWAY(HTTP_1_1_REQUIRED)");
}

/// A client that sent a head and then waits (reads time out), as a client does that wants
/// the answer before it uploads.
struct Waiting<'a>(&'a [u8]);

impl Read for Waiting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

impl Transport for Waiting<'_> {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_body_too_large_to_drain_is_not_waited_for() {
    // (declared length, expected answer): over `drain_max` the handler's answer goes out
    // at once and the connection closes; within it, the wait for the body times out (408).
    let cases = [(40, "HTTP/1.1 200 OK"), (10, "HTTP/1.1 408 ")];
    for (len, want) in cases {
        let wire = format!("POST / HTTP/1.1\r\n{H}Content-Length: {len}\r\n\r\n");
        let mut src = ConnReader::new(Waiting(wire.as_bytes()), 4096);
        let mut out = Vec::new();
        let end = serve(&mut src, &mut out, &limits(), &mut ignore, &mut NoHooks).end();
        let got = String::from_utf8_lossy(&out);
        assert!(got.starts_with(want), "{len}: {got}");
        assert!(got.contains("Connection: close"), "{len}: {got}");
        assert_eq!(end, End::Linger, "{len}");
    }
}
