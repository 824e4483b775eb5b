//! The platform's side of a connection to the function: write a request, read the answer
//! with `httparse::Response` and the library's body decoder, keep connections for reuse.
//!
//! Every read has a deadline and every buffer a bound: a head over 64 KiB or a body over the
//! caller's limit is an error, not an allocation. It knows nothing of FC headers or
//! gateway rules; callers decide what an answer means.

use std::io::{self, IoSlice, Read};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use fc_runtime::http::{
    write_all_vectored, BodyReader, BodyState, ConnReader, Framing, HttpError, Transport,
};

mod pool;
pub use pool::Pool;

/// Largest response head read before giving up.
pub const HEAD_CAP: usize = 64 << 10;

/// An owned socket as the library's [`Transport`].
pub struct Sock(TcpStream);

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0).read(buf)
    }
}

impl Transport for Sock {
    fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.0.set_read_timeout(t)
    }
}

/// A parsed answer.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
    /// When its first byte arrived.
    pub first_byte: Instant,
}

impl Reply {
    /// The first value of `name` (case-insensitive), as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// Size of all header names and values, FC's measure for its 8 KB limit.
    pub fn header_bytes(&self) -> usize {
        self.headers.iter().map(|(n, v)| n.len() + v.len()).sum()
    }
}

/// Why no answer could be read.
#[derive(Debug)]
pub enum ReplyError {
    /// The connection ended (or was reset) before the first byte of an answer.
    Closed,
    /// The deadline passed.
    Timeout,
    /// The head was larger than [`HEAD_CAP`] or had too many fields.
    HeadTooLarge,
    /// The body was larger than the caller's limit.
    BodyTooLarge,
    /// Not valid HTTP/1.x, or cut off inside the answer.
    Malformed(String),
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::Closed => f.write_str("connection closed before an answer"),
            ReplyError::Timeout => f.write_str("no complete answer before the deadline"),
            ReplyError::HeadTooLarge => f.write_str("response head too large"),
            ReplyError::BodyTooLarge => f.write_str("response body too large"),
            ReplyError::Malformed(m) => write!(f, "malformed answer: {m}"),
        }
    }
}

/// One connection to the function.
pub struct Conn {
    rd: ConnReader<Sock>,
    /// Exchanges completed on it.
    pub used: u32,
    /// When it last went idle.
    pub idle_since: Instant,
}

impl Conn {
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Conn> {
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_nodelay(true)?;
        Ok(Conn {
            rd: ConnReader::new(Sock(s), HEAD_CAP),
            used: 0,
            idle_since: Instant::now(),
        })
    }

    pub fn stream(&self) -> &TcpStream {
        &self.rd.get_ref().0
    }

    /// Writes one request: `headers` as given, plus `Host` when absent and
    /// `Content-Length` when there is a body or the method usually has one.
    pub fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(String, Vec<u8>)],
        body: &[u8],
    ) -> io::Result<()> {
        let head = request_head(method, target, headers, body.len(), self.stream());
        write_all_vectored(
            &mut self.stream(),
            &mut [IoSlice::new(&head), IoSlice::new(body)],
        )
    }

    /// Writes raw bytes (pipelining and malformed-input checks).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        write_all_vectored(&mut self.stream(), &mut [IoSlice::new(bytes)])
    }

    /// Reads one answer, skipping interim 1xx ones. `head_request`: the request was HEAD
    /// (no body follows).
    pub fn read_reply(
        &mut self,
        head_request: bool,
        deadline: Instant,
        max_body: u64,
    ) -> Result<Reply, ReplyError> {
        let (status, minor, headers, first_byte) = self.read_head(deadline)?;
        let framing = framing(status, head_request, &headers)?;
        let token = |name: &str, tok: &str| {
            headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case(name)
                    && String::from_utf8_lossy(v)
                        .split(',')
                        .any(|t| t.trim().eq_ignore_ascii_case(tok))
            })
        };
        let mut keep_alive = if minor == 1 {
            !token("connection", "close")
        } else {
            token("connection", "keep-alive")
        };
        let body = match framing {
            Some(f) => self.read_framed(f, deadline, max_body)?,
            None => {
                keep_alive = false;
                self.read_to_close(deadline, max_body)?
            }
        };
        self.used += 1;
        self.idle_since = Instant::now();
        Ok(Reply {
            status,
            headers,
            body,
            keep_alive,
            first_byte,
        })
    }

    #[allow(clippy::type_complexity)]
    fn read_head(
        &mut self,
        deadline: Instant,
    ) -> Result<(u16, u8, Vec<(String, Vec<u8>)>, Instant), ReplyError> {
        let mut first: Option<Instant> = None;
        loop {
            if !self.rd.buffered().is_empty() {
                let at = *first.get_or_insert_with(Instant::now);
                let mut fields = [httparse::EMPTY_HEADER; 128];
                let mut r = httparse::Response::new(&mut fields);
                match r.parse(self.rd.buffered()) {
                    Ok(httparse::Status::Complete(n)) => {
                        let status = r.code.unwrap_or(0);
                        let minor = r.version.unwrap_or(1);
                        let headers = r
                            .headers
                            .iter()
                            .map(|h| (h.name.to_string(), h.value.to_vec()))
                            .collect();
                        self.rd.consume(n);
                        if (100..200).contains(&status) && status != 101 {
                            continue;
                        }
                        return Ok((status, minor, headers, at));
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(httparse::Error::TooManyHeaders) => return Err(ReplyError::HeadTooLarge),
                    Err(e) => return Err(ReplyError::Malformed(e.to_string())),
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReplyError::Timeout);
            }
            let _ = self.rd.set_timeout(Some(left));
            match self.rd.fill_more() {
                Ok(0) if first.is_none() => return Err(ReplyError::Closed),
                Ok(0) => return Err(ReplyError::Malformed("closed inside the head".into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                    return Err(ReplyError::HeadTooLarge)
                }
                Err(e) if is_timeout(&e) => return Err(ReplyError::Timeout),
                Err(_) if first.is_none() => return Err(ReplyError::Closed),
                Err(e) => return Err(ReplyError::Malformed(e.to_string())),
            }
        }
    }

    fn read_framed(
        &mut self,
        framing: Framing,
        deadline: Instant,
        max_body: u64,
    ) -> Result<Vec<u8>, ReplyError> {
        if let Framing::Length(n) = framing {
            if n > max_body {
                return Err(ReplyError::BodyTooLarge);
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let mut st = BodyState::new(framing, max_body, false, left.max(Duration::from_millis(1)));
        let mut body = Vec::new();
        let res = BodyReader::new(&mut self.rd, &mut st, None).read_to_end(&mut body);
        match (res, st.error()) {
            (Ok(_), _) => Ok(body),
            (Err(_), Some(HttpError::BodyTooLarge)) => Err(ReplyError::BodyTooLarge),
            (Err(_), Some(HttpError::BodyTimeout)) => Err(ReplyError::Timeout),
            (Err(_), Some(e)) => Err(ReplyError::Malformed(e.to_string())),
            (Err(e), None) => Err(ReplyError::Malformed(e.to_string())),
        }
    }

    fn read_to_close(&mut self, deadline: Instant, max_body: u64) -> Result<Vec<u8>, ReplyError> {
        let mut body = Vec::new();
        let mut buf = [0u8; 16 << 10];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReplyError::Timeout);
            }
            let _ = self.rd.set_timeout(Some(left));
            match self.rd.read_limited(&mut buf, usize::MAX) {
                Ok(0) => return Ok(body),
                Ok(n) => body.extend_from_slice(&buf[..n]),
                Err(e) if is_timeout(&e) => return Err(ReplyError::Timeout),
                Err(e) => return Err(ReplyError::Malformed(e.to_string())),
            }
            if body.len() as u64 > max_body {
                return Err(ReplyError::BodyTooLarge);
            }
        }
    }
}

/// True for the errors a socket read timeout produces.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn request_head(
    method: &str,
    target: &str,
    headers: &[(String, Vec<u8>)],
    body_len: usize,
    s: &TcpStream,
) -> Vec<u8> {
    let mut h = Vec::with_capacity(256 + headers.len() * 48);
    h.extend_from_slice(format!("{method} {target} HTTP/1.1\r\n").as_bytes());
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        let host = s.peer_addr().map_or("localhost".into(), |a| a.to_string());
        h.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
    }
    for (n, v) in headers {
        h.extend_from_slice(n.as_bytes());
        h.extend_from_slice(b": ");
        h.extend_from_slice(v);
        h.extend_from_slice(b"\r\n");
    }
    if body_len > 0 || matches!(method, "POST" | "PUT" | "PATCH") {
        h.extend_from_slice(format!("Content-Length: {body_len}\r\n").as_bytes());
    }
    h.extend_from_slice(b"\r\n");
    h
}

/// How the body of an answer is delimited; `None`: by the connection closing.
fn framing(
    status: u16,
    head_request: bool,
    headers: &[(String, Vec<u8>)],
) -> Result<Option<Framing>, ReplyError> {
    if head_request || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Some(Framing::None));
    }
    fn field<'h>(
        headers: &'h [(String, Vec<u8>)],
        name: &'h str,
    ) -> impl Iterator<Item = String> + 'h {
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_ascii_lowercase())
    }
    if let Some(te) = field(headers, "transfer-encoding").last() {
        let chunked = te.rsplit(',').next().map(str::trim) == Some("chunked");
        return Ok(chunked.then_some(Framing::Chunked));
    }
    let mut len = None;
    for v in field(headers, "content-length") {
        let n: u64 = v
            .parse()
            .ok()
            .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| ReplyError::Malformed(format!("Content-Length '{v}'")))?;
        if len.is_some_and(|l| l != n) {
            return Err(ReplyError::Malformed("conflicting Content-Length".into()));
        }
        len = Some(n);
    }
    Ok(len.map(Framing::Length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn framing_table() {
        // (status, HEAD?, headers, expected: Some(framing) | None = to close | Err)
        type Case = (
            u16,
            bool,
            Vec<(String, Vec<u8>)>,
            Result<Option<Framing>, ()>,
        );
        let cases: Vec<Case> = vec![
            (
                200,
                false,
                h(&[("Content-Length", "5")]),
                Ok(Some(Framing::Length(5))),
            ),
            (
                200,
                true,
                h(&[("Content-Length", "5")]),
                Ok(Some(Framing::None)),
            ),
            (204, false, h(&[]), Ok(Some(Framing::None))),
            (
                304,
                false,
                h(&[("Content-Length", "9")]),
                Ok(Some(Framing::None)),
            ),
            (
                200,
                false,
                h(&[("Transfer-Encoding", "chunked")]),
                Ok(Some(Framing::Chunked)),
            ),
            (200, false, h(&[("Transfer-Encoding", "gzip")]), Ok(None)),
            (200, false, h(&[]), Ok(None)),
            (
                200,
                false,
                h(&[("Content-Length", "5"), ("content-length", "5")]),
                Ok(Some(Framing::Length(5))),
            ),
            (
                200,
                false,
                h(&[("Content-Length", "5"), ("content-length", "6")]),
                Err(()),
            ),
            (200, false, h(&[("Content-Length", "-1")]), Err(())),
            (200, false, h(&[("Content-Length", "+5")]), Err(())),
        ];
        for (i, (status, head, headers, want)) in cases.into_iter().enumerate() {
            assert_eq!(
                framing(status, head, &headers).map_err(|_| ()),
                want,
                "case {i}"
            );
        }
    }
}
