//! [`Reply`]: an answer whose head is in and whose body is read on demand — a `Read` over
//! the body (de-chunked, bounded by the call's deadline), which gives its connection back
//! to the pool once the body is read to its end and the answer allowed keep-alive.
//!
//! It owns its connection meanwhile, so it can be moved into another thread or a server's
//! streamed response (`Response::with_stream`) and relay a long answer piece by piece.

use std::io::{self, Read};
use std::sync::Weak;
use std::time::{Duration, Instant};

use super::pool::Idle;
use super::{CallError, Connection};
use crate::http::{
    tenths_up, BodyReader, BodyState, Framing, Headers, HttpError, ReplyHead, Upgraded, Version,
};

/// An answer: status and fields, and its body as a `Read`.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The answer's protocol version.
    pub version: Version,
    /// Its fields, as sent.
    pub headers: Headers,
    /// When its first byte arrived.
    pub first_byte: Instant,
    /// When idle pooled connections had been closed by the server before this call (found
    /// before use, or by a first attempt that then went out again): the longest idle time
    /// among them. A server that closes idle connections early breaks FC's calls.
    pub stale_idle: Option<Duration>,
    framing: Framing,
    keep_alive: bool,
    conn: Option<Connection>,
    st: BodyState<'static>,
    deadline: Instant,
    pub(super) pool: Option<Weak<Idle>>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

impl Reply {
    pub(super) fn new(
        conn: Connection,
        head: ReplyHead,
        first_byte: Instant,
        deadline: Instant,
    ) -> Reply {
        let left = deadline.saturating_duration_since(Instant::now());
        Reply {
            status: head.status,
            version: head.version,
            headers: head.headers,
            first_byte,
            stale_idle: None,
            framing: head.framing,
            keep_alive: head.keep_alive,
            conn: Some(conn),
            st: BodyState::new(
                head.framing,
                u64::MAX,
                false,
                left.max(Duration::from_millis(1)),
            ),
            deadline,
            pool: None,
        }
    }

    /// The first value of `name` as text (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body's length when the answer declared it (`Content-Length`; 0 when it has no
    /// body); `None` for a chunked or close-delimited body.
    pub fn body_len(&self) -> Option<u64> {
        match self.framing {
            Framing::None => Some(0),
            Framing::Length(n) => Some(n),
            Framing::Chunked | Framing::CloseDelimited => None,
        }
    }

    /// Whether the connection may carry another call after this body.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// True once the body has been read to its end.
    pub fn is_complete(&self) -> bool {
        self.st.is_done()
    }

    /// Reads the whole body, at most `max` bytes ([`CallError::BodyTooLarge`] beyond).
    pub fn read_to_vec(&mut self, max: u64) -> Result<Vec<u8>, CallError> {
        if self.body_len().is_some_and(|n| n > max) {
            return Err(CallError::BodyTooLarge);
        }
        let cap = self.body_len().unwrap_or(0).min(1 << 20) as usize;
        let mut body = Vec::with_capacity(cap);
        let res = self.take(max + 1).read_to_end(&mut body);
        match res {
            Ok(_) if body.len() as u64 > max => Err(CallError::BodyTooLarge),
            Ok(_) => Ok(body),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The connection after `101 Switching Protocols`, for the protocol the request asked
    /// for (`Err(self)` for any other answer). Bytes that came behind the head are read
    /// first.
    pub fn upgrade(mut self) -> Result<Upgraded, Box<Reply>> {
        if self.status != 101 {
            return Err(Box::new(self));
        }
        let Some(conn) = self.conn.take() else {
            return Err(Box::new(self));
        };
        let (stream, early) = conn.rd.into_parts();
        let _ = stream.set_read_timeout(None);
        let _ = stream.set_write_timeout(None);
        Ok(Upgraded::new(Box::new(stream), early))
    }

    /// The connection, when the body was read to its end and the answer allowed keep-alive
    /// (and no pool took it back already).
    pub fn into_connection(mut self) -> Option<Connection> {
        if !(self.st.is_done() && self.keep_alive) {
            return None;
        }
        let mut c = self.conn.take()?;
        c.used += 1;
        Some(c)
    }

    /// What a failed body read means.
    fn error(&self, e: io::Error) -> CallError {
        match self.st.error() {
            Some(HttpError::BodyTimeout) => CallError::Timeout,
            Some(HttpError::BodyTooLarge) => CallError::BodyTooLarge,
            Some(HttpError::Truncated) => {
                CallError::Malformed("closed inside the answer's body".into())
            }
            Some(other) => CallError::Malformed(other.to_string()),
            None if e.kind() == io::ErrorKind::TimedOut => CallError::Timeout,
            None => CallError::Malformed(e.to_string()),
        }
    }

    /// At the body's end: the connection goes back to the pool when it may.
    fn finish(&mut self) {
        let Some(pool) = self.pool.as_ref().and_then(Weak::upgrade) else {
            return;
        };
        if self.keep_alive && self.st.is_done() {
            if let Some(mut c) = self.conn.take() {
                c.used += 1;
                pool.put(c);
            }
        }
    }
}

impl Read for Reply {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(0);
        };
        if !self.st.is_done() {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "answer body not read before the deadline",
                ));
            }
            self.st.set_timeout(tenths_up(left));
            let n = BodyReader::new(&mut conn.rd, &mut self.st, None).read(buf)?;
            if n > 0 && !self.st.is_done() {
                return Ok(n);
            }
            self.finish();
            return Ok(n);
        }
        self.finish();
        Ok(0)
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        self.finish();
    }
}
