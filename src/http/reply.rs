//! The client's half of the wire, sans socket: the head of a request it sends (checked so
//! no field can split it) and the head of the answer it reads (httparse for syntax, then
//! the response framing rules of RFC 9112 §6.3 and keep-alive).
//!
//! Byte slices in, values out: the client module does the reading and writing.

use std::io::Write as _;

use super::error::HttpError;
use super::framing::{Fields, Framing};
use super::message::{Headers, Version};
use super::response::{push_field, push_framing, unsafe_field};
use super::syntax::is_tchar;

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct ReplyHead {
    pub status: u16,
    pub version: Version,
    pub headers: Headers,
    pub framing: Framing,
    /// Whether the connection may carry another exchange after this answer's body.
    pub keep_alive: bool,
}

/// Stack slots for response fields; more retry with a heap slice of `max_headers`.
const STACK_HEADERS: usize = 64;

/// Parses a response head at the start of `buf` (`Ok(None)`: incomplete). `head_request`:
/// the request was `HEAD`, so no body follows whatever the fields say.
pub(crate) fn parse(
    buf: &[u8],
    max_headers: usize,
    head_request: bool,
) -> Result<Option<(ReplyHead, usize)>, HttpError> {
    let mut stack = [httparse::EMPTY_HEADER; STACK_HEADERS];
    match parse_with(
        buf,
        head_request,
        &mut stack[..STACK_HEADERS.min(max_headers)],
    ) {
        Err(HttpError::TooManyHeaders) if max_headers > STACK_HEADERS => {
            let mut heap = vec![httparse::EMPTY_HEADER; max_headers];
            parse_with(buf, head_request, &mut heap)
        }
        other => other,
    }
}

fn parse_with<'b>(
    buf: &'b [u8],
    head_request: bool,
    slots: &mut [httparse::Header<'b>],
) -> Result<Option<(ReplyHead, usize)>, HttpError> {
    let mut r = httparse::Response::new(slots);
    let len = match r.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::TooManyHeaders),
        Err(_) => return Err(HttpError::Malformed("malformed response head")),
    };
    let status = r.code.unwrap_or(0);
    let version = match r.version {
        Some(0) => Version::Http10,
        _ => Version::Http11,
    };
    let (names, values) = r
        .headers
        .iter()
        .fold((0, 0), |(n, v), h| (n + h.name.len(), v + h.value.len()));
    let mut headers = Headers::with_capacity(r.headers.len(), names, values);
    let mut fields = Fields::default();
    for h in r.headers.iter() {
        fields.note(h.name, h.value)?;
        headers.append(h.name, h.value);
    }
    let (framing, must_close) = fields.response(status, head_request)?;
    let keep_alive = fields.keep_alive(version)
        && !must_close
        && framing != Framing::CloseDelimited
        && status != 101;
    Ok(Some((
        ReplyHead {
            status,
            version,
            headers,
            framing,
            keep_alive,
        },
        len,
    )))
}

/// Appends a request head to `out`: request line, `Host` when `headers` has none, the
/// fields, and the body's framing (`Content-Length`, `Transfer-Encoding: chunked`, or a
/// `Content-Length: 0` for methods that usually carry a body). Framing fields in `headers`
/// are the caller's mistake and are left out. Refuses a method, target or field that would
/// split the request.
pub(crate) fn write_request_head(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    host: &str,
    headers: &Headers,
    framing: Framing,
) -> Result<(), &'static str> {
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err("method is not a token");
    }
    if target.is_empty() || !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("request-target with a space, control or non-ASCII byte");
    }
    let _ = write!(out, "{method} {target} HTTP/1.1\r\n");
    if !headers.contains("host") {
        push_field(out, "Host", host.as_bytes());
    }
    for (name, value) in headers.iter() {
        if let Some(why) = unsafe_field(name, value) {
            return Err(why);
        }
        let framing_field = ["content-length", "transfer-encoding"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f));
        if !framing_field {
            push_field(out, name, value);
        }
    }
    match framing {
        Framing::None | Framing::CloseDelimited if matches!(method, "POST" | "PUT" | "PATCH") => {
            out.extend_from_slice(b"Content-Length: 0\r\n")
        }
        f => push_framing(out, f),
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_heads_table() {
        // (wire, HEAD?, status, framing, keep_alive)
        let cases: &[(&str, bool, u16, Framing, bool)] = &[
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
                false,
                200,
                Framing::Length(3),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
                false,
                200,
                Framing::Length(3),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n",
                false,
                200,
                Framing::Length(3),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n",
                false,
                200,
                Framing::Length(3),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                false,
                200,
                Framing::Chunked,
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\n\r\n",
                false,
                200,
                Framing::CloseDelimited,
                false,
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
                true,
                200,
                Framing::None,
                true,
            ),
            (
                "HTTP/1.1 204 No Content\r\n\r\n",
                false,
                204,
                Framing::None,
                true,
            ),
            (
                "HTTP/1.1 100 Continue\r\n\r\n",
                false,
                100,
                Framing::None,
                true,
            ),
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                false,
                101,
                Framing::None,
                false,
            ),
        ];
        for &(wire, head, status, framing, ka) in cases {
            let (h, n) = parse(wire.as_bytes(), 100, head).unwrap().unwrap();
            assert_eq!(n, wire.len());
            assert_eq!(
                (h.status, h.framing, h.keep_alive),
                (status, framing, ka),
                "{wire:?}"
            );
        }
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent", 100, false)
            .unwrap()
            .is_none());
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/2 200\r\n\r\n",
        ] {
            assert!(parse(bad.as_bytes(), 100, false).is_err(), "{bad:?}");
        }
        let many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "A: b\r\n".repeat(70));
        assert_eq!(
            parse(many.as_bytes(), 100, false)
                .unwrap()
                .unwrap()
                .0
                .headers
                .len(),
            70
        );
        assert!(parse(many.as_bytes(), 64, false).is_err());
    }

    #[test]
    fn request_heads_table() {
        let h: Headers = [("X-A", "1"), ("content-length", "99")]
            .into_iter()
            .collect();
        let mut out = Vec::new();
        write_request_head(
            &mut out,
            "POST",
            "/invoke?x=1",
            "h:1",
            &h,
            Framing::Length(2),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /invoke?x=1 HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n"
        );
        let mut out = Vec::new();
        write_request_head(&mut out, "PUT", "/", "h", &Headers::new(), Framing::None).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("Content-Length: 0\r\n\r\n"));
        let mut out = Vec::new();
        write_request_head(&mut out, "GET", "/", "h", &Headers::new(), Framing::Chunked).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("Transfer-Encoding: chunked\r\n"));
        let split: Headers = [("X", "a\r\nInjected: 1")].into_iter().collect();
        for (m, t, h) in [
            ("GET", "/a b", Headers::new()),
            ("GE T", "/", Headers::new()),
            ("GET", "/\r\nX: 1", Headers::new()),
            ("GET", "/", split),
        ] {
            assert!(write_request_head(&mut Vec::new(), m, t, "h", &h, Framing::None).is_err());
        }
    }
}
