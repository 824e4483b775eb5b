//! Request-head parsing: httparse for syntax, then the rules httparse leaves to us — size
//! limits, the request-target's form and bytes, `Host` (exactly one in 1.1, a valid
//! `uri-host [ ":" port ]`), `Expect`, and (through [`super::framing`]) body framing and
//! `Connection`. An HTTP/2 connection preface is recognised and refused as such.
//!
//! Works on a byte slice and returns either a complete [`RequestHead`] with its length, "need
//! more bytes", or an [`HttpError`]. It never reads, waits or allocates for a partial head.

use super::error::HttpError;
use super::framing::{Fields, Framing};
use super::message::{Headers, Version};
use super::syntax::{trim_ows, valid_host};
use super::target::split_target;
use super::Limits;

/// A parsed, validated request head.
#[derive(Debug)]
pub struct RequestHead {
    /// Method token as sent.
    pub method: String,
    /// Path part of the target (`*` for `OPTIONS *`).
    pub path: String,
    /// Query without `?`.
    pub query: String,
    /// Protocol version.
    pub version: Version,
    /// All header fields.
    pub headers: Headers,
    /// Body delimitation.
    pub framing: Framing,
    /// Whether the client allows the connection to persist after this exchange.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    pub expect_continue: bool,
    /// An HTTP/1.1 request to switch protocols (`Upgrade` plus `Connection: upgrade`).
    pub upgrade: bool,
}

/// The start of the HTTP/2 connection preface (RFC 9113 §3.4): as soon as these bytes are
/// in, the client is known to speak HTTP/2, and no later byte changes that.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2";

/// Stack slots for header fields; heads with more retry with a heap slice of the limit.
const STACK_HEADERS: usize = 64;

/// Parses a request head at the start of `buf`.
///
/// `Ok(None)` means the head is incomplete and `buf` is still within the limits.
pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<(RequestHead, usize)>, HttpError> {
    // Only the first `max_head` bytes can hold a head. Looking further (the read buffer is
    // at least 4 KiB even under a smaller limit) made the verdict depend on how much had
    // arrived: 400 for an error past the limit in one read, 431 when split (fuzzing).
    let buf = &buf[..buf.len().min(limits.max_head)];
    h2_preface(buf)?;
    line_too_long(buf, limits)?;
    let mut stack = [httparse::EMPTY_HEADER; STACK_HEADERS];
    match parse_with(buf, limits, &mut stack) {
        Err(HttpError::TooManyHeaders) if limits.max_headers > STACK_HEADERS => {
            let mut heap = vec![httparse::EMPTY_HEADER; limits.max_headers];
            parse_with(buf, limits, &mut heap)
        }
        other => other,
    }
}

fn parse_with<'b>(
    buf: &'b [u8],
    limits: &Limits,
    slots: &mut [httparse::Header<'b>],
) -> Result<Option<(RequestHead, usize)>, HttpError> {
    let slots = if slots.len() > limits.max_headers {
        &mut slots[..limits.max_headers]
    } else {
        slots
    };
    let mut req = httparse::Request::new(slots);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return partial_verdict(buf, limits),
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::TooManyHeaders),
        Err(httparse::Error::Version) => return Err(version_error(buf)),
        Err(_) => return Err(HttpError::Malformed("malformed request head")),
    };
    if len > limits.max_head {
        return Err(HttpError::HeadTooLarge);
    }
    let method = req.method.unwrap_or_default();
    let target = req.path.unwrap_or_default();
    if target.len() > limits.max_target {
        return Err(HttpError::TargetTooLong);
    }
    let version = match req.version {
        Some(0) => Version::Http10,
        _ => Version::Http11,
    };
    let (path, query) = split_target(method, target)?;

    let (names, values) = req
        .headers
        .iter()
        .fold((0, 0), |(n, v), h| (n + h.name.len(), v + h.value.len()));
    let mut headers = Headers::with_capacity(req.headers.len(), names, values);
    let mut fields = Fields::default();
    let (mut hosts, mut expect, mut upgrade) = (0, false, false);
    for h in req.headers.iter() {
        fields.note(h.name, h.value)?;
        if h.name.eq_ignore_ascii_case("host") {
            hosts += 1;
            if !valid_host(trim_ows(h.value)) {
                return Err(HttpError::Malformed("invalid Host"));
            }
        } else if h.name.eq_ignore_ascii_case("upgrade") {
            upgrade = !trim_ows(h.value).is_empty();
        } else if h.name.eq_ignore_ascii_case("expect") {
            if !trim_ows(h.value).eq_ignore_ascii_case(b"100-continue") {
                return Err(HttpError::ExpectationFailed);
            }
            expect = true;
        }
        headers.append(h.name, h.value);
    }
    let framing = fields.request(version, limits)?;
    let keep_alive = fields.keep_alive(version);
    let expect_continue = version == Version::Http11 && expect;
    // RFC 9112 §3.2: exactly one `Host` in HTTP/1.1, at most one in 1.0.
    if version == Version::Http11 && hosts != 1 || hosts > 1 {
        return Err(HttpError::Malformed("missing or repeated Host"));
    }
    Ok(Some((
        RequestHead {
            method: method.to_owned(),
            path,
            query,
            version,
            headers,
            framing,
            keep_alive,
            expect_continue,
            upgrade: upgrade && fields.upgrade && version == Version::Http11,
        },
        len,
    )))
}

/// Decides whether an incomplete head may still become valid.
fn partial_verdict(buf: &[u8], limits: &Limits) -> Result<Option<(RequestHead, usize)>, HttpError> {
    if buf.len() >= limits.max_head {
        return Err(overflow(buf));
    }
    Ok(None)
}

/// 414 for a request line that is already longer than the target limit allows (plus room
/// for method and version), checked before anything else so the client learns the more
/// useful fact — unless httparse refuses a byte before the line grew that long.
///
/// Each verdict depends only on bytes up to the point it is reached, so the answer is the
/// same however the head is split across reads (fuzzing found the earlier rule answering
/// 414 or 400 depending on the split).
fn line_too_long(buf: &[u8], limits: &Limits) -> Result<(), HttpError> {
    let max = limits.max_target + 32;
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let line = &buf[start..];
    let len = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    if len <= max {
        return Ok(());
    }
    match first_refused_byte(&buf[..start + (len + 1).min(line.len())]) {
        Some(at) if at <= start + max => Ok(()),
        _ => Err(HttpError::TargetTooLong),
    }
}

/// Index of the first byte at which httparse refuses `line` (the request line and any empty
/// lines before it), by bisection over its prefixes (refusal is monotone). Runs only for
/// over-long lines.
fn first_refused_byte(line: &[u8]) -> Option<usize> {
    let refused = |n: usize| {
        let mut none = [];
        !matches!(
            httparse::Request::new(&mut none).parse(&line[..n]),
            Ok(_) | Err(httparse::Error::TooManyHeaders)
        )
    };
    if !refused(line.len()) {
        return None;
    }
    // refused(hi) holds, refused(lo) does not.
    let (mut lo, mut hi) = (0, line.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if refused(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi - 1)
}

/// The error for a head that filled its buffer: 414 while the request line is unfinished,
/// else 431.
pub(crate) fn overflow(buf: &[u8]) -> HttpError {
    if first_line(buf).is_some() {
        HttpError::HeadTooLarge
    } else {
        HttpError::TargetTooLong
    }
}

/// The first non-empty line, if a line end has arrived.
fn first_line(buf: &[u8]) -> Option<&[u8]> {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    rest.iter().position(|&b| b == b'\n').map(|i| &rest[..i])
}

/// httparse says "version": 505 for `HTTP/<digit>...` (a version we do not speak), else 400.
///
/// Only the version token's first six bytes decide, and httparse stops at the first byte
/// that cannot continue `HTTP/1.0`/`HTTP/1.1`, so the verdict is the same however much of
/// the head has arrived (a fuzzer found the earlier whole-line rule answering 505 or 400
/// depending on how the bytes were split).
fn version_error(buf: &[u8]) -> HttpError {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let token = buf[start..].splitn(3, |&b| b == b' ').nth(2).unwrap_or(b"");
    match token {
        [b'H', b'T', b'T', b'P', b'/', d, ..] if d.is_ascii_digit() => {
            HttpError::VersionNotSupported
        }
        _ => HttpError::Malformed("malformed request line"),
    }
}

/// Refuses a head that starts like the HTTP/2 connection preface (after the empty lines a
/// request may start with), so an HTTP/2 client is told so instead of getting a parse error.
fn h2_preface(buf: &[u8]) -> Result<(), HttpError> {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    if buf[start..].starts_with(H2_PREFACE) {
        return Err(HttpError::Http2Preface);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_head: 256,
            max_target: 64,
            max_headers: 8,
            max_body: 1000,
            ..Limits::default()
        }
    }

    fn run(raw: &str) -> Result<Option<(RequestHead, usize)>, HttpError> {
        parse(raw.as_bytes(), &limits())
    }

    #[test]
    fn accepted_heads_table() {
        // (input, method, path, query, framing, keep_alive, expect)
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            Framing,
            bool,
            bool,
        );
        let cases: &[Case] = &[
            (
                "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                true,
                false,
            ),
            (
                "GET /a?b=1&c HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET",
                "/a",
                "b=1&c",
                Framing::None,
                true,
                false,
            ),
            (
                "POST /invoke HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
                "POST",
                "/invoke",
                "",
                Framing::Length(5),
                true,
                false,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                "POST",
                "/",
                "",
                Framing::None,
                true,
                false,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
                "POST",
                "/",
                "",
                Framing::Length(5),
                true,
                false,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  007 \r\n\r\n",
                "POST",
                "/",
                "",
                Framing::Length(7),
                true,
                false,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
                "POST",
                "/",
                "",
                Framing::Chunked,
                true,
                false,
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                false,
                false,
            ),
            (
                "GET / HTTP/1.0\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                false,
                false,
            ),
            (
                "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                true,
                false,
            ),
            (
                "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                false,
                false,
            ),
            (
                "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n",
                "PUT",
                "/",
                "",
                Framing::Length(3),
                true,
                true,
            ),
            (
                "GET http://example.com/x?y HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET",
                "/x",
                "y",
                Framing::None,
                true,
                false,
            ),
            (
                "GET http://example.com HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                true,
                false,
            ),
            (
                "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
                "OPTIONS",
                "*",
                "",
                Framing::None,
                true,
                false,
            ),
            (
                "\r\nGET / HTTP/1.1\nHost: a\n\n",
                "GET",
                "/",
                "",
                Framing::None,
                true,
                false,
            ),
            // Host forms RFC 3986 allows; an empty Host (no authority) is valid too
            (
                "GET / HTTP/1.1\r\nHost: [::1]:9000\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                true,
                false,
            ),
            (
                "GET / HTTP/1.1\r\nHost:\r\n\r\n",
                "GET",
                "/",
                "",
                Framing::None,
                true,
                false,
            ),
            // visible characters browsers send unencoded stay accepted
            (
                "GET /a|b?q={1}^ HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET",
                "/a|b",
                "q={1}^",
                Framing::None,
                true,
                false,
            ),
            (
                "GET https://h.example:8443?x HTTP/1.1\r\nHost: h\r\n\r\n",
                "GET",
                "/",
                "x",
                Framing::None,
                true,
                false,
            ),
        ];
        for &(raw, m, p, q, f, ka, ex) in cases {
            let (h, n) = run(raw)
                .unwrap_or_else(|e| panic!("{raw:?}: {e:?}"))
                .expect(raw);
            assert_eq!(n, raw.len(), "{raw:?}");
            assert_eq!(
                (h.method.as_str(), h.path.as_str(), h.query.as_str()),
                (m, p, q),
                "{raw:?}"
            );
            assert_eq!(
                (h.framing, h.keep_alive, h.expect_continue),
                (f, ka, ex),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn rejected_heads_table() {
        let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(70));
        let long_line = format!("GET /{}", "a".repeat(120));
        let many = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", "A: b\r\n".repeat(9));
        let big = format!("GET / HTTP/1.1\r\nHost: a\r\nA: {}\r\n", "b".repeat(250));
        let cases: &[(&str, u16)] = &[
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", 413),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n", 501),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/0.9\r\n\r\n", 505),
            ("GET / FTP/1.1\r\n\r\n", 400),
            // fuzz: multi-byte UTF-8 where a scheme would end panicked in str slicing
            ("GET abcdef\u{e9}x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET httpsx\u{e9}/a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            // fuzz: the version verdict looked at the last space of the whole line
            ("GET / H\0\0 x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/12\r\n\r\n", 505),
            ("GET / HTTP/1.1\r\nHost: a\r\nA: b\0c\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nA: b\r\n c\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501),
            ("\x16\x03\x01\x02\x00\x01\x00\x01", 400),
            // RFC 9112 §3.2: a Host that is not uri-host [ ":" port ]
            ("GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
            // a target with bytes outside visible ASCII, or a fragment
            ("GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /a?q=\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /a#top HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            // absolute-form: userinfo, an empty or invalid authority
            ("GET http://user@h/x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET http://:80/x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET http://a b/x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            // the HTTP/2 preface: refused as such
            ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
            (&long_target, 414),
            (&long_line, 414),
            (&many, 431),
            (&big, 431),
        ];
        for &(raw, status) in cases {
            match run(raw) {
                Err(e) => assert_eq!(e.status(), status, "{raw:?}: {e:?}"),
                Ok(r) => panic!("{raw:?} accepted: {:?}", r.map(|x| x.0)),
            }
        }
    }

    #[test]
    fn refusals_are_the_same_for_every_prefix() {
        let a = "a".repeat(120);
        let long = [
            (format!("GET /{a}\0 HTTP/1.1\r\nHost: a\r\n\r\n"), 414),
            (format!("GET /a\0{a} HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
            (format!("GET /{a} HTTP/3.0\r\nHost: a\r\n\r\n"), 414),
            (
                format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "G".repeat(120)),
                414,
            ),
            (
                format!("GET /{a} HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(20)),
                414,
            ),
            ("\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n".to_string(), 400),
        ];
        let short = [
            ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
            ("\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
            ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/12\r\nHost: a\r\n\r\n", 505),
            ("GET / H\0\0 x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTPS/1.1\r\nHost: a\r\n\r\n", 400),
            ("\r\nGET /a HTTP/x.1\r\nHost: a\r\n\r\n", 400),
        ]
        .map(|(r, s)| (r.to_string(), s));
        for (raw, status) in long.into_iter().chain(short) {
            let raw = raw.as_str();
            let mut seen = None;
            for end in 1..=raw.len() {
                if let Err(e) = run(&raw[..end]) {
                    assert_eq!(e.status(), status, "{:?}", &raw[..end]);
                    seen = Some(e);
                }
            }
            assert!(seen.is_some(), "{raw:?} refused");
        }
    }

    #[test]
    fn partial_heads_wait_for_more() {
        for raw in [
            "",
            "GE",
            "GET / HTTP/1.1\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n",
        ] {
            assert!(run(raw).unwrap().is_none(), "{raw:?}");
        }
    }

    #[test]
    fn many_headers_use_heap_slots() {
        let l = Limits {
            max_headers: 100,
            ..Limits::default()
        };
        let raw = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", "A: b\r\n".repeat(80));
        let (h, _) = parse(raw.as_bytes(), &l).unwrap().unwrap();
        assert_eq!(h.headers.len(), 81);
        let raw = format!(
            "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
            "A: b\r\n".repeat(100)
        );
        assert_eq!(
            parse(raw.as_bytes(), &l).unwrap_err(),
            HttpError::TooManyHeaders
        );
    }
}
