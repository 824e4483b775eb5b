//! Serializes a [`Response`] onto a `Write`: status line, `Date`, the handler's fields,
//! its [`Framing`] (`Content-Length`, `chunked`, close-delimited or none) and `Connection`.
//!
//! Framing is always the server's: a handler's `Content-Length`, `Transfer-Encoding`,
//! `Connection`, `Keep-Alive` or `Date` is dropped with a warning, and so is any field whose
//! name is not a token or whose value holds CR, LF or NUL (response splitting). Head and an
//! in-memory body leave in one vectored write, so Nagle never delays a small answer.
//! Which fields a *platform* reserves (`x-fc-*`, `server`) is the `fc` layer's business.

use std::io::{self, IoSlice, Read, Write};

use super::date::append_http_date_now;
use super::framing::Framing;
use super::message::{Response, ResponseBody, Version};
use super::syntax::is_tchar;

/// Fields that only the server may set.
const FRAMING: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
];

/// Stream bodies are copied in pieces of this size (one chunk each when chunked).
const STREAM_PIECE: usize = 16 * 1024;

/// The standard reason phrase of a status code ("" for unknown codes).
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// How the exchange being answered constrains the response.
#[derive(Clone, Copy, Debug)]
pub struct Exchange {
    /// Version of the request.
    pub version: Version,
    /// The request was `HEAD`: send the head only.
    pub head_only: bool,
    /// Whether the connection stays open afterwards, as decided so far.
    pub keep_alive: bool,
    /// The answer switches protocols (a 101 whose connection goes to an upgrade callback).
    pub upgrade: bool,
}

/// The framing of an answer to `ex` with `status` and `body` (RFC 9112 §6.3): none for
/// 204 and 304, the length of an in-memory or sized body, `chunked` for an unsized stream
/// to an HTTP/1.1 client, and the connection's close for one to an HTTP/1.0 client.
fn framing(status: u16, body: &ResponseBody, version: Version) -> Framing {
    match body {
        _ if status == 101 || status == 204 || status == 304 => Framing::None,
        ResponseBody::Upgrade(_) => Framing::None,
        ResponseBody::Empty => Framing::Length(0),
        ResponseBody::Bytes(b) => Framing::Length(b.len() as u64),
        ResponseBody::Stream { len: Some(n), .. } => Framing::Length(*n),
        ResponseBody::Stream { len: None, .. } if version == Version::Http11 => Framing::Chunked,
        ResponseBody::Stream { len: None, .. } => Framing::CloseDelimited,
    }
}

/// Writes `resp`. Returns whether the connection may stay open afterwards (a close-delimited
/// body or a short stream forces it closed).
pub fn write_response<W: Write>(w: &mut W, mut resp: Response, ex: Exchange) -> io::Result<bool> {
    let allowed = match ex.upgrade {
        true => resp.status == 101,
        false => (200..=599).contains(&resp.status),
    };
    if !allowed {
        log::warn!("handler returned status {}; answering 500", resp.status);
        resp = Response::new(500);
    }
    let status = resp.status;
    let framing = framing(status, &resp.body, ex.version);
    let keep_alive = ex.keep_alive && !ex.upgrade && framing != Framing::CloseDelimited;
    let mut head = take_head_buffer();
    // Formatting into the Vec allocates nothing beyond it.
    let _ = write!(head, "HTTP/1.1 {status} {}\r\nDate: ", reason(status));
    append_http_date_now(&mut head);
    head.extend_from_slice(b"\r\n");
    for (name, value) in resp.headers.iter() {
        let why = match FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f)) {
            true => Some("framing is the server's"),
            false => unsafe_field(name, value),
        };
        match why {
            Some(why) => log::warn!("dropped response header {name:?}: {why}"),
            None => push_field(&mut head, name, value),
        }
    }
    push_framing(&mut head, framing);
    if ex.upgrade && status == 101 {
        head.extend_from_slice(b"Connection: upgrade\r\n");
    } else if !keep_alive {
        head.extend_from_slice(b"Connection: close\r\n");
    } else if ex.version == Version::Http10 {
        head.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    head.extend_from_slice(b"\r\n");

    let send_body = !ex.head_only && framing != Framing::None;
    let result = write_head_and_body(w, &head, resp.body, send_body, framing);
    return_head_buffer(head);
    let complete = result?;
    Ok(keep_alive && complete)
}

/// Sends the serialized head and (when `send_body`) the body; `false` when a short stream
/// forces a close.
fn write_head_and_body<W: Write>(
    w: &mut W,
    head: &[u8],
    body: ResponseBody,
    send_body: bool,
    framing: Framing,
) -> io::Result<bool> {
    if !send_body {
        w.write_all(head)?;
        return Ok(true);
    }
    match body {
        ResponseBody::Empty => w.write_all(head)?,
        ResponseBody::Bytes(b) => {
            write_all_vectored(w, &mut [IoSlice::new(head), IoSlice::new(&b)])?
        }
        ResponseBody::Stream { mut reader, len } => {
            w.write_all(head)?;
            return copy_stream(w, &mut *reader, len, framing == Framing::Chunked);
        }
        ResponseBody::Upgrade(_) => w.write_all(head)?,
    }
    Ok(true)
}

thread_local! {
    /// A per-thread buffer for response heads, reused so a response's head costs no
    /// allocation.
    static HEAD: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

fn take_head_buffer() -> Vec<u8> {
    let mut v = HEAD.with(|h| h.take());
    v.clear();
    v.reserve(256);
    v
}

fn return_head_buffer(v: Vec<u8>) {
    // Keep an ordinary head's capacity, not an unusually large one.
    if v.capacity() <= 16 * 1024 {
        HEAD.with(|h| h.set(v));
    }
}

/// What makes a field unsafe to send in either direction: a name that is not a token, or a
/// value with CR, LF or NUL (message splitting).
pub(crate) fn unsafe_field(name: &str, value: &[u8]) -> Option<&'static str> {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Some("invalid field name");
    }
    if value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Some("CR, LF or NUL in value");
    }
    None
}

/// Appends `name: value` and its line end.
pub(crate) fn push_field(head: &mut Vec<u8>, name: &str, value: &[u8]) {
    head.extend_from_slice(name.as_bytes());
    head.extend_from_slice(b": ");
    head.extend_from_slice(value);
    head.extend_from_slice(b"\r\n");
}

/// Appends the framing field `framing` calls for (none for close-delimited or no body).
pub(crate) fn push_framing(head: &mut Vec<u8>, framing: Framing) {
    match framing {
        Framing::Length(n) => {
            let _ = write!(head, "Content-Length: {n}\r\n");
        }
        Framing::Chunked => head.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        Framing::CloseDelimited | Framing::None => {}
    }
}

/// Copies a stream body (an answer's, or a client's request body), each read sent as it
/// arrives (one chunk per read when chunked). Returns `false` when a declared length was
/// not met (the connection must then close: the peer cannot find the next message).
pub(crate) fn copy_stream<W: Write>(
    w: &mut W,
    r: &mut dyn Read,
    len: Option<u64>,
    chunked: bool,
) -> io::Result<bool> {
    let mut buf = vec![0u8; STREAM_PIECE];
    let mut left = len;
    loop {
        let want = match left {
            Some(0) => return Ok(true),
            Some(n) => buf.len().min(n.try_into().unwrap_or(usize::MAX)),
            None => buf.len(),
        };
        let n = match r.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log::warn!("body stream failed: {e}");
                return Err(e);
            }
        };
        if n == 0 {
            if chunked {
                w.write_all(b"0\r\n\r\n")?;
            }
            if let Some(l) = left {
                log::warn!("body stream ended {l} bytes short of its Content-Length");
                return Ok(false);
            }
            return Ok(true);
        }
        if chunked {
            let size = format!("{n:x}\r\n");
            write_all_vectored(
                w,
                &mut [
                    IoSlice::new(size.as_bytes()),
                    IoSlice::new(&buf[..n]),
                    IoSlice::new(b"\r\n"),
                ],
            )?;
        } else {
            w.write_all(&buf[..n])?;
        }
        if let Some(l) = left.as_mut() {
            *l -= n as u64;
        }
    }
}

/// `write_all` for several buffers, with as few system calls as the kernel allows.
pub fn write_all_vectored<W: Write>(w: &mut W, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(
        resp: Response,
        version: Version,
        head_only: bool,
        keep_alive: bool,
    ) -> (String, bool) {
        let mut out = Vec::new();
        let ka = write_response(
            &mut out,
            resp,
            Exchange {
                version,
                head_only,
                keep_alive,
                upgrade: false,
            },
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        // Drop the Date line, which changes every second.
        let s = s
            .split("\r\n")
            .filter(|l| !l.starts_with("Date: "))
            .collect::<Vec<_>>()
            .join("\r\n");
        (s, ka)
    }

    #[test]
    fn response_table() {
        use Version::*;
        let stream = || Response::new(200).with_stream(&b"hello world"[..], None);
        // (response, version, head_only, keep_alive in, wire out, keep_alive out)
        let cases: Vec<(Response, Version, bool, bool, &str, bool)> = vec![
            (Response::ok("hi"), Http11, false, true, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", true),
            (Response::ok("hi"), Http11, false, false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", false),
            (Response::ok("hi"), Http10, false, true, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi", true),
            (Response::ok("hi"), Http11, true, true, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", true),
            (Response::new(204).with_body("x"), Http11, false, true, "HTTP/1.1 204 No Content\r\n\r\n", true),
            (Response::new(404), Http11, false, true, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true),
            (Response::new(99), Http11, false, true, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", true),
            (stream(), Http11, false, true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n", true),
            (stream(), Http10, false, true, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello world", false),
            (Response::new(200).with_stream(&b"hello"[..], Some(5)), Http11, false, true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true),
            (Response::new(200).with_stream(&b"hel"[..], Some(5)), Http11, false, true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", false),
            (
                Response::ok("").with_header("Content-Length", "99").with_header("Connection", "x")
                    .with_header("Transfer-Encoding", "chunked").with_header("Date", "x")
                    .with_header("X-Split", "a\r\nInjected: 1").with_header("Bad Name", "v")
                    .with_header("X-Ok", "v"),
                Http11, false, true, "HTTP/1.1 200 OK\r\nX-Ok: v\r\nContent-Length: 0\r\n\r\n", true,
            ),
        ];
        for (resp, v, ho, ka, wire, ka_out) in cases {
            let (s, ka2) = render(resp, v, ho, ka);
            assert_eq!(s, wire);
            assert_eq!(ka2, ka_out, "{wire}");
        }
    }

    #[test]
    fn date_header_present() {
        let mut out = Vec::new();
        write_response(
            &mut out,
            Response::ok(""),
            Exchange {
                version: Version::Http11,
                head_only: false,
                keep_alive: true,
                upgrade: false,
            },
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("\r\nDate: ") && s.contains(" GMT\r\n"), "{s}");
    }

    #[test]
    fn reasons() {
        for (s, r) in [
            (200, "OK"),
            (431, "Request Header Fields Too Large"),
            (599, ""),
        ] {
            assert_eq!(reason(s), r);
        }
    }
}
