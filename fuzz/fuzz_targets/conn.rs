//! The whole connection loop, sans socket: arbitrary bytes, cut into arbitrary pieces,
//! through `http::serve` with a handler that reads its body (or ignores it). Asserted:
//! - every reply starts with a valid `HTTP/1.1 NNN` status line and is framed exactly;
//! - the handler (whose answer is a 2xx) is only reached by requests the strict rules
//!   accept, and a `Content-Length` body reaches it whole, never a byte more;
//! - the same bytes cut differently give byte-identical replies and the same ending.
#![no_main]

use std::io::Read;

use fc_runtime::fuzzing::{serve, CloseReason, ConnReader, NoHooks, Request, Response, Version};
use fuzz_oracle::{cuts_from, limits, strict_request, strict_target, Split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // [mode, n cuts, cuts..., wire...]
    if data.len() < 2 {
        return;
    }
    let reads_body = data[0] & 1 == 0;
    let ncuts = usize::from(data[1] % 32).min(data.len() - 2);
    let (cut_bytes, wire) = data[2..].split_at(ncuts);
    let whole = run(wire, Vec::new(), reads_body);
    let split = run(wire, cuts_from(cut_bytes, wire.len()), reads_body);
    assert_eq!(whole.1, split.1, "ending differs with cuts");
    assert_eq!(
        String::from_utf8_lossy(&whole.0),
        String::from_utf8_lossy(&split.0),
        "replies differ with cuts"
    );
    check_replies(&whole.0, &whole.1, &whole.2);
});

/// Replies (dates stripped), how the connection ended, and for each request that reached
/// the handler whether it was a HEAD.
fn run(wire: &[u8], cuts: Vec<usize>, reads_body: bool) -> (Vec<u8>, CloseReason, Vec<bool>) {
    let limits = limits();
    let mut src = ConnReader::new(Split::new(wire, cuts), limits.max_head);
    let mut out = Vec::new();
    let mut heads = Vec::new();
    let mut svc = |mut req: Request<'_>| -> Response {
        heads.push(req.method == "HEAD");
        let http11 = req.version == Version::Http11;
        let verdict = strict_request(&req.method, http11, req.headers.iter())
            .unwrap_or_else(|rule| panic!("handler reached by a request breaking: {rule}"));
        strict_target(&req.path, &req.query)
            .unwrap_or_else(|rule| panic!("handler reached by a target breaking: {rule}"));
        if !reads_body {
            return Response::ok("ignored");
        }
        let mut body = Vec::new();
        let read = req.body.read_to_end(&mut body);
        if let (Ok(_), fc_runtime::fuzzing::Framing::Length(n)) = (&read, verdict.framing) {
            assert_eq!(
                body.len() as u64,
                n,
                "Content-Length body read short or long"
            );
        }
        assert!(body.len() as u64 <= limits.max_body);
        Response::ok(format!("{} {} {}", req.method, req.path, body.len()))
    };
    let end = serve(&mut src, &mut out, &limits, &mut svc, &mut NoHooks);
    (strip_dates(&out), end, heads)
}

/// Replies without their `Date` lines (the only part that depends on the clock).
fn strip_dates(out: &[u8]) -> Vec<u8> {
    let mut res = Vec::with_capacity(out.len());
    let mut rest = out;
    while let Some(i) = find(rest, b"\r\nDate: ") {
        res.extend_from_slice(&rest[..i]);
        let after = &rest[i + 2..];
        let eol = find(after, b"\r\n").expect("Date line ends");
        rest = &after[eol..];
    }
    res.extend_from_slice(rest);
    res
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Walks the output as a sequence of framed responses: the handler's 200s (bodiless for
/// HEAD), interim 100s, and at most one final refusal — or, for an HTTP/2 preface, the
/// HTTP/2 refusal alone (SETTINGS, then GOAWAY with HTTP_1_1_REQUIRED).
fn check_replies(mut out: &[u8], why: &CloseReason, heads: &[bool]) {
    if out.first() == Some(&0) {
        assert!(matches!(why, CloseReason::Refused(e) if e.status() == 505), "{why:?}");
        assert_eq!(out.len(), 26, "SETTINGS + GOAWAY");
        assert_eq!(&out[..4], &[0, 0, 0, 4], "an empty SETTINGS frame first");
        assert_eq!(&out[9..13], &[0, 0, 8, 7], "then GOAWAY");
        assert_eq!(&out[22..], &[0, 0, 0, 0x0d], "HTTP_1_1_REQUIRED");
        return;
    }
    let mut heads = heads.iter();
    while !out.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let n = match resp.parse(out) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "not a complete response: {other:?} in {:?}",
                String::from_utf8_lossy(out)
            ),
        };
        assert_eq!(resp.version, Some(1), "replies are HTTP/1.1");
        let code = resp.code.unwrap();
        assert!((100..=599).contains(&code));
        let len = resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| {
                std::str::from_utf8(h.value)
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
            });
        let len = match (code, len) {
            (100, None) => 0,
            (200, Some(_)) if *heads.next().expect("a 200 the handler made") => 0,
            (_, Some(l)) => l,
            (c, None) => panic!("{c} without Content-Length"),
        };
        assert!(out.len() >= n + len, "body shorter than its Content-Length");
        out = &out[n + len..];
    }
}
