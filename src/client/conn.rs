//! [`Connection`]: one HTTP/1.1 connection from the client's side — write a request (head
//! and body, streamed), read the answer's head with the same reader and head loop the
//! server uses, and hand the body to a [`Reply`] that owns the connection until its end.
//!
//! Every wait has a deadline: connect, each write (a stall bound), the head (the call's
//! deadline), each body read (what is left of it). Timeouts reach the socket rounded up to
//! tenths of a second, so keep-alive exchanges do not pay a `setsockopt` each.

use std::io::{self, IoSlice};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::{Body, Call, CallError, Reply};
use crate::http::{
    copy_stream, parse_reply, write_all_vectored, write_request_head, ConnReader, Framing,
    HeadFail, HeadWait, HttpError, ReplyHead,
};
use crate::sys;

/// Longest a single write may stall before the call fails.
const WRITE_STALL: Duration = Duration::from_secs(30);

/// One connection to a server.
///
/// ```no_run
/// use fc_runtime::client::{Call, Connection};
/// use std::time::{Duration, Instant};
///
/// let addr = "127.0.0.1:9000".parse().unwrap();
/// let conn = Connection::open(addr, Duration::from_secs(2)).unwrap();
/// let deadline = Instant::now() + Duration::from_secs(5);
/// let mut reply = conn.call(Call::new("POST", "/invoke", deadline).body(b"hi")).unwrap();
/// let body = reply.read_to_vec(1 << 20).unwrap();
/// let conn = reply.into_connection(); // Some(..) when it may carry another call
/// # let _ = (body, conn);
/// ```
pub struct Connection {
    pub(super) rd: ConnReader<TcpStream>,
    host: String,
    max_head: usize,
    /// Exchanges completed on it.
    pub(super) used: u32,
    /// When it last went idle.
    pub(super) idle_since: Instant,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `addr` within `timeout`, with `TCP_NODELAY` (a head and a small body
    /// leave in one write, so Nagle would only add delay).
    pub fn open(addr: SocketAddr, timeout: Duration) -> io::Result<Connection> {
        Connection::open_with(addr, timeout, super::Options::default().max_head)
    }

    pub(super) fn open_with(
        addr: SocketAddr,
        timeout: Duration,
        max_head: usize,
    ) -> io::Result<Connection> {
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        Connection::from_stream(s, addr, max_head)
    }

    /// A connection on a socket already connected to `addr`.
    pub(super) fn from_stream(
        s: TcpStream,
        addr: SocketAddr,
        max_head: usize,
    ) -> io::Result<Connection> {
        s.set_nodelay(true)?;
        s.set_write_timeout(Some(WRITE_STALL))?;
        Ok(Connection {
            rd: ConnReader::new(s, max_head),
            host: host_field(addr),
            max_head,
            used: 0,
            idle_since: Instant::now(),
        })
    }

    /// The socket (for its addresses, or to watch it).
    pub fn stream(&self) -> &TcpStream {
        self.rd.get_ref()
    }

    /// How many exchanges it completed.
    pub fn exchanges(&self) -> u32 {
        self.used
    }

    /// Sends `call` and reads the head of its answer; the [`Reply`] owns the connection
    /// while its body is read.
    pub fn call(mut self, mut call: Call<'_>) -> Result<Reply, CallError> {
        self.send(&mut call)?;
        self.read_reply(call.method == "HEAD", call.deadline)
    }

    /// Writes bytes as they are (pipelining and malformed-input checks).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        write_all_vectored(&mut self.stream(), &mut [IoSlice::new(bytes)])
    }

    /// Writes the request: head, then the body (streamed when it is a reader; chunked when
    /// its length is unknown).
    pub(super) fn send(&mut self, call: &mut Call<'_>) -> Result<(), CallError> {
        let framing = match &call.body {
            Body::Empty => Framing::None,
            Body::Bytes([]) => Framing::None,
            Body::Bytes(b) => Framing::Length(b.len() as u64),
            Body::Stream { len: Some(n), .. } => Framing::Length(*n),
            Body::Stream { len: None, .. } => Framing::Chunked,
        };
        let mut head = Vec::with_capacity(256 + call.headers.len() * 48);
        write_request_head(
            &mut head,
            call.method,
            call.target,
            &self.host,
            call.headers,
            framing,
        )
        .map_err(CallError::Refused)?;
        let sent = match &mut call.body {
            Body::Empty => self.write_raw(&head),
            Body::Bytes(b) => write_all_vectored(
                &mut self.stream(),
                &mut [IoSlice::new(&head), IoSlice::new(b)],
            ),
            Body::Stream { reader, len } => self.write_raw(&head).and_then(|()| {
                let mut w = self.stream();
                match copy_stream(&mut w, *reader, *len, len.is_none()) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "request body shorter than its length",
                    )),
                    Err(e) => Err(e),
                }
            }),
        };
        sent.map_err(CallError::Send)
    }

    /// Reads the head of the next answer, skipping interim 1xx ones (but 101), and returns
    /// the reply whose body follows. `head_request`: the request was HEAD.
    pub fn read_reply(mut self, head_request: bool, deadline: Instant) -> Result<Reply, CallError> {
        let (head, first_byte) = loop {
            let mut first = None;
            let wait = HeadWait {
                idle: None,
                head: Duration::MAX,
                until: Some(deadline),
            };
            let max_headers = (self.max_head / 32).max(64);
            let parse = |buf: &[u8]| parse_reply(buf, max_headers, head_request);
            let got = self.rd.read_head(wait, parse, |t| first = Some(t));
            let head: ReplyHead = match got {
                Ok(h) => h,
                Err(HeadFail::Closed) => return Err(CallError::Closed),
                Err(HeadFail::Io(_)) if first.is_none() && self.rd.buffered().is_empty() => {
                    return Err(CallError::Closed)
                }
                Err(HeadFail::Idle | HeadFail::Timeout) => return Err(CallError::Timeout),
                Err(HeadFail::Full) => return Err(CallError::HeadTooLarge),
                Err(HeadFail::Parse(HttpError::TooManyHeaders)) => {
                    return Err(CallError::HeadTooLarge)
                }
                Err(HeadFail::Parse(e)) => return Err(CallError::Malformed(e.to_string())),
                Err(HeadFail::Cut) => {
                    return Err(CallError::Malformed(
                        "closed inside the answer's head".into(),
                    ))
                }
                Err(HeadFail::Io(e)) => return Err(CallError::Malformed(e.to_string())),
            };
            let at = first.unwrap_or_else(Instant::now);
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            break (head, at);
        };
        Ok(Reply::new(self, head, first_byte, deadline))
    }

    /// Watches an idle connection for `idle`: `Ok(())` when it is still open at the end,
    /// else how it ended early. FC keeps connections to a function idle for up to 15
    /// minutes; a server that closes first breaks calls.
    pub fn wait_idle(&self, idle: Duration) -> Result<(), IdleEnd> {
        let t = Instant::now();
        let mut probe = [0u8; 1];
        while t.elapsed() < idle {
            let step = (idle - t.elapsed()).min(Duration::from_millis(100));
            let _ = self
                .stream()
                .set_read_timeout(Some(step.max(Duration::from_millis(1))));
            match self.stream().peek(&mut probe) {
                Ok(0) => return Err(IdleEnd::Closed(t.elapsed())),
                Ok(_) => return Err(IdleEnd::UnexpectedBytes(t.elapsed())),
                Err(e) if crate::http::is_timeout(&e) => {}
                Err(e) => return Err(IdleEnd::Failed(t.elapsed(), e)),
            }
        }
        // Reads after this use the reader's own timeouts again.
        let _ = self.stream().set_read_timeout(None);
        Ok(())
    }

    /// Watches the socket for up to `limit` for the answer to begin (or the connection to
    /// end), a non-blocking peek per turn, so the blocking read that follows need not sleep.
    pub(super) fn spin(&self, limit: Duration) {
        if limit.is_zero() || !self.rd.buffered().is_empty() {
            return;
        }
        let fd = self.stream().as_raw_fd();
        let t = Instant::now();
        while t.elapsed() < limit {
            if sys::idle_socket_unusable(fd) {
                return;
            }
            std::hint::spin_loop();
        }
    }

    /// True when an idle pooled connection can no longer be used (see `sys`).
    pub(super) fn unusable(&self) -> bool {
        !self.rd.buffered().is_empty() || sys::idle_socket_unusable(self.stream().as_raw_fd())
    }
}

/// The `Host` field for `addr`: `127.0.0.1:9000`, `[0:0:0:0:0:0:0:1]:9000` (IPv6 written
/// out, which any server reads, without linking std's compressing formatter).
fn host_field(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => {
            let [a1, a2, a3, a4] = a.ip().octets();
            format!("{a1}.{a2}.{a3}.{a4}:{}", a.port())
        }
        SocketAddr::V6(a) => {
            let s = a.ip().segments().map(|x| format!("{x:x}")).join(":");
            format!("[{s}]:{}", a.port())
        }
    }
}

/// How an idle connection ended before the wait was over ([`Connection::wait_idle`]).
#[derive(Debug)]
pub enum IdleEnd {
    /// The server closed it after this long.
    Closed(Duration),
    /// The server sent bytes nobody asked for after this long.
    UnexpectedBytes(Duration),
    /// The socket failed after this long.
    Failed(Duration, io::Error),
}
