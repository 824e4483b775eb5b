//! A blocking HTTP/1.1 client for talking to a function or an app on the same host: a
//! small pool of keep-alive connections to one address, with idle expiry, a retry that is
//! always safe, deadlines on every wait, and bodies streamed both ways.
//!
//! It reads answers with the same reader, head loop and body decoder as the server (no
//! second HTTP parser), so a chunked answer is relayed chunk by chunk as it arrives and a
//! close-delimited one until the close. It speaks to one origin over plain TCP: no TLS, no
//! proxies, no redirects, no cookies — it is the platform's side of a function, not a web
//! browser.
//!
//! **The retry rule.** A request is sent a second time, on a new connection, only when
//! the first attempt used a *reused* connection, failed before any byte of an answer
//! arrived, and its body can be sent again (in memory, or a stream not yet read from).
//! That is exactly the case of a server that closed an idle keep-alive connection as the
//! request went out; anything else is reported, never repeated. A pooled connection the
//! server already closed is found before use (a non-blocking peek) and discarded.
//!
//! ```no_run
//! use fc_runtime::client::{Call, Client};
//! use fc_runtime::Headers;
//! use std::time::{Duration, Instant};
//!
//! let client = Client::new("127.0.0.1:9000".parse().unwrap());
//! let headers: Headers = [("Content-Type", "application/octet-stream")].into_iter().collect();
//! let deadline = Instant::now() + Duration::from_secs(60);
//! let mut reply = client
//!     .call(Call::new("POST", "/invoke", deadline).headers(&headers).body(b"event"))
//!     .unwrap();
//! assert_eq!(reply.status, 200);
//! let result = reply.read_to_vec(32 << 20).unwrap();
//! # let _ = result;
//! ```

mod conn;
mod pool;
mod reply;

use std::fmt;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::Headers;
pub use conn::{Connection, IdleEnd};
use pool::Idle;
pub use reply::Reply;

/// How a [`Client`] manages its connections.
#[derive(Clone, Debug)]
pub struct Options {
    /// Longest wait for a new connection.
    pub connect_timeout: Duration,
    /// Idle connections kept for reuse (0: none; every call opens a connection).
    pub max_idle: usize,
    /// An idle connection older than this is closed instead of reused. Keep it below the
    /// server's own idle timeout (Node.js closes after 5 s) to avoid the race at its end.
    pub idle_expiry: Duration,
    /// Largest answer head, in bytes.
    pub max_head: usize,
    /// Before blocking for an answer, watch the socket this long first (a peek per turn),
    /// when no other call of this client is waiting: a server on the same host often
    /// answers within it, and the caller saves a sleep and a wake-up (tens of µs on a busy
    /// host). Not on a connection's first exchange: a server's first answer on a new
    /// connection (a thread or task to start, code run for the first time) rarely comes
    /// that fast, and on a small instance the watching takes the CPU the server needs.
    /// Zero (the default): block at once.
    pub spin: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            connect_timeout: Duration::from_secs(5),
            max_idle: 64,
            idle_expiry: Duration::from_secs(60),
            max_head: 64 << 10,
            spin: Duration::ZERO,
        }
    }
}

/// The body of a request.
pub enum Body<'a> {
    /// No body.
    Empty,
    /// Bytes in memory (sent with `Content-Length`; can be sent again).
    Bytes(&'a [u8]),
    /// A stream: with `len`, sent with `Content-Length` (it must yield exactly that many
    /// bytes); without, chunked. Can be sent again only until it was first read.
    Stream {
        /// The source.
        reader: &'a mut dyn Read,
        /// The exact length, if known.
        len: Option<u64>,
    },
}

/// One request: method, target, fields, body and the deadline for all of it.
pub struct Call<'a> {
    /// The method (a token).
    pub method: &'a str,
    /// The request-target (origin-form: path and query).
    pub target: &'a str,
    /// Fields to send (`Host` is added when absent; framing fields are the client's).
    pub headers: &'a Headers,
    /// The body.
    pub body: Body<'a>,
    /// When the whole exchange must be over: connecting, sending, and each read of the
    /// answer, its body included.
    pub deadline: Instant,
}

static NO_HEADERS: Headers = Headers::new();

impl<'a> Call<'a> {
    /// A call with no fields and no body.
    pub fn new(method: &'a str, target: &'a str, deadline: Instant) -> Call<'a> {
        Call {
            method,
            target,
            headers: &NO_HEADERS,
            body: Body::Empty,
            deadline,
        }
    }

    /// With these fields.
    pub fn headers(mut self, headers: &'a Headers) -> Call<'a> {
        self.headers = headers;
        self
    }

    /// With this body in memory.
    pub fn body(mut self, body: &'a [u8]) -> Call<'a> {
        self.body = Body::Bytes(body);
        self
    }

    /// With a streamed body (see [`Body::Stream`]).
    pub fn stream(mut self, reader: &'a mut dyn Read, len: Option<u64>) -> Call<'a> {
        self.body = Body::Stream { reader, len };
        self
    }
}

/// Why a call got no (complete) answer.
#[derive(Debug)]
pub enum CallError {
    /// No connection could be made.
    Connect(io::Error),
    /// Writing the request failed.
    Send(io::Error),
    /// The connection closed (or was reset) before the first byte of an answer.
    Closed,
    /// The deadline passed.
    Timeout,
    /// The answer's head was larger than [`Options::max_head`] or had too many fields.
    HeadTooLarge,
    /// The answer's body was larger than the caller's limit.
    BodyTooLarge,
    /// Not valid HTTP/1.x, or cut off inside the answer.
    Malformed(String),
    /// The request itself cannot be written (a method, target or field that would split
    /// it).
    Refused(&'static str),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Connect(e) => write!(f, "cannot connect: {e}"),
            CallError::Send(e) => write!(f, "cannot send the request: {e}"),
            CallError::Closed => f.write_str("connection closed before an answer"),
            CallError::Timeout => f.write_str("no complete answer before the deadline"),
            CallError::HeadTooLarge => f.write_str("answer head too large"),
            CallError::BodyTooLarge => f.write_str("answer body too large"),
            CallError::Malformed(m) => write!(f, "malformed answer: {m}"),
            CallError::Refused(why) => write!(f, "request not sent: {why}"),
        }
    }
}

impl std::error::Error for CallError {}

/// Pooled keep-alive connections to one address. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
    opts: Options,
    idle: Arc<Idle>,
    /// Calls waiting for an answer's head right now (spinning is for the only one).
    waiting: Arc<AtomicUsize>,
}

impl Client {
    /// A client for `addr` with default [`Options`].
    pub fn new(addr: SocketAddr) -> Client {
        Client::with_options(addr, Options::default())
    }

    /// A client for `addr` with `opts`.
    pub fn with_options(addr: SocketAddr, opts: Options) -> Client {
        Client {
            addr,
            idle: Arc::new(Idle::new(opts.max_idle, opts.idle_expiry)),
            opts,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The address it calls.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Keeps `stream`, a connection already open to this client's address (a readiness
    /// probe's), for the next call.
    pub fn adopt(&self, stream: std::net::TcpStream) {
        if let Ok(c) = Connection::from_stream(stream, self.addr, self.opts.max_head) {
            self.idle.put(c);
        }
    }

    /// Closes every idle connection (a stop, or the server went away).
    pub fn clear(&self) {
        self.idle.clear();
    }

    /// Sends `call` on a pooled connection (or a new one) and returns the answer once its
    /// head is in; its body is read from the [`Reply`], and the connection goes back to the
    /// pool when the body is read to its end. See the module docs for the retry rule.
    pub fn call(&self, mut call: Call<'_>) -> Result<Reply, CallError> {
        let (pooled, mut dropped) = self.idle.take();
        let conn = match pooled {
            Some(c) => c,
            None => self.connect(call.deadline)?,
        };
        // Reused: it carried an exchange before (an adopted connection has not).
        let fresh = conn.used == 0;
        let idle_for = conn.idle_since.elapsed();
        let mut touched = false;
        let _waiting = Waiting::enter(&self.waiting);
        // Watching pays off on a connection that answered before (see `Options::spin`).
        let spin = match _waiting.alone && !fresh {
            true => self.opts.spin,
            false => Duration::ZERO,
        };
        let mut reply = match attempt(conn, &mut call, &mut touched, spin) {
            Err(CallError::Closed | CallError::Send(_)) if !fresh && !touched => {
                dropped = Some(dropped.map_or(idle_for, |d| d.max(idle_for)));
                let conn = self.connect(call.deadline)?;
                attempt(conn, &mut call, &mut touched, spin)?
            }
            other => other?,
        };
        reply.stale_idle = dropped;
        reply.pool = Some(Arc::downgrade(&self.idle));
        Ok(reply)
    }

    fn connect(&self, deadline: Instant) -> Result<Connection, CallError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CallError::Timeout);
        }
        Connection::open_with(
            self.addr,
            left.min(self.opts.connect_timeout),
            self.opts.max_head,
        )
        .map_err(CallError::Connect)
    }
}

/// One attempt of `call` on `conn`; `touched` records whether a streamed body was read
/// from (then it cannot be sent again).
fn attempt(
    mut conn: Connection,
    call: &mut Call<'_>,
    touched: &mut bool,
    spin: Duration,
) -> Result<Reply, CallError> {
    let deadline = call.deadline;
    let head_request = call.method == "HEAD";
    match &mut call.body {
        Body::Stream { reader, len } => {
            let mut tracked = Tracked {
                inner: &mut **reader,
                touched,
            };
            let mut c = Call {
                method: call.method,
                target: call.target,
                headers: call.headers,
                body: Body::Stream {
                    reader: &mut tracked,
                    len: *len,
                },
                deadline,
            };
            conn.send(&mut c)?;
        }
        _ => conn.send(call)?,
    }
    conn.spin(spin);
    conn.read_reply(head_request, deadline)
}

/// Counts a call among those waiting for an answer while it lives.
struct Waiting<'a> {
    count: &'a AtomicUsize,
    alone: bool,
}

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Waiting<'a> {
        let before = count.fetch_add(1, Ordering::Relaxed);
        Waiting {
            count,
            alone: before == 0,
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A streamed body that notes its first read.
struct Tracked<'a> {
    inner: &'a mut dyn Read,
    touched: &'a mut bool,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        *self.touched = true;
        self.inner.read(buf)
    }
}
