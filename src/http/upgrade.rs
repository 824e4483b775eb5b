//! The connection after `101 Switching Protocols`: [`Upgraded`], a blocking `Read + Write`
//! over the raw socket that yields first the bytes the client sent right behind its head;
//! [`StopSignal`], which says the server is stopping; [`OnUpgrade`], the callback a [`Response::upgrade`](super::Response::upgrade) carries. The
//! socket is behind [`Duplex`] (implemented for `TcpStream`), so nothing here opens or
//! accepts sockets: the server hands one over.

use std::fmt;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What a [`Response::upgrade`](super::Response::upgrade) runs once the switch is made.
pub struct OnUpgrade(pub(crate) Box<dyn FnOnce(Upgraded) + Send>);

/// A connection after `101 Switching Protocols`: a blocking `Read + Write` on the raw
/// socket, starting with any bytes the client sent right behind its request. Hand it to a
/// WebSocket library, or speak the upgraded protocol yourself.
pub struct Upgraded {
    io: Box<dyn Duplex>,
    early: Vec<u8>,
    stop: StopSignal,
}

/// Whether the server that handed over an [`Upgraded`] connection is stopping (SIGTERM,
/// or its shutdown handle). The connection counts as a request in flight, which
/// the server waits for within its grace period: a long-lived protocol should check this
/// (e.g. between reads with a read timeout), say goodbye in its own terms — a WebSocket
/// sends its close frame — and return.
///
/// ```
/// use fc_runtime::{Response, Upgraded};
/// use std::io::{ErrorKind, Read, Write};
/// use std::time::Duration;
///
/// let _answer = Response::upgrade(|mut conn: Upgraded| {
///     let stop = conn.stop_signal();
///     conn.set_read_timeout(Some(Duration::from_millis(250))).ok();
///     let mut buf = [0u8; 4096];
///     while !stop.is_set() {
///         match conn.read(&mut buf) {
///             Ok(0) => return,
///             Ok(n) => if conn.write_all(&buf[..n]).is_err() { return },
///             Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
///             Err(_) => return,
///         }
///     }
///     let _ = conn.write_all(b"bye\n"); // the protocol's own goodbye
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// True once the server began to stop.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The socket under an [`Upgraded`] connection (implemented for `TcpStream`).
pub(crate) trait Duplex: Read + Write + Send {
    fn try_clone(&self) -> io::Result<Box<dyn Duplex>>;
    fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()>;
    fn set_read_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()>;
    fn set_write_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()>;
}

impl Duplex for std::net::TcpStream {
    fn try_clone(&self) -> io::Result<Box<dyn Duplex>> {
        Ok(Box::new(std::net::TcpStream::try_clone(self)?))
    }
    fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        std::net::TcpStream::shutdown(self, how)
    }
    fn set_read_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()> {
        std::net::TcpStream::set_read_timeout(self, t)
    }
    fn set_write_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()> {
        std::net::TcpStream::set_write_timeout(self, t)
    }
}

impl Upgraded {
    /// `early`: bytes of the new protocol that arrived with the head and were buffered.
    pub(crate) fn new(io: Box<dyn Duplex>, early: Vec<u8>) -> Upgraded {
        Upgraded {
            io,
            early,
            stop: StopSignal::default(),
        }
    }

    /// Reports `flag` (the server's drain) through [`Upgraded::stop_signal`].
    pub(crate) fn watching(mut self, flag: Arc<AtomicBool>) -> Upgraded {
        self.stop = StopSignal(flag);
        self
    }

    /// Whether the server is stopping, as a handle that outlives this value (keep it when
    /// the connection goes to a protocol library). Never set for a client's connection.
    pub fn stop_signal(&self) -> StopSignal {
        self.stop.clone()
    }

    /// A second handle on the same connection, to read on one thread and write on another.
    /// Bytes buffered before the switch stay with this handle.
    pub fn try_clone(&self) -> io::Result<Upgraded> {
        Ok(Upgraded {
            io: self.io.try_clone()?,
            early: Vec::new(),
            stop: self.stop.clone(),
        })
    }

    /// Half- or fully closes the connection (both handles).
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Bounds the next reads (`None`: wait forever).
    pub fn set_read_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()> {
        self.io.set_read_timeout(t)
    }

    /// Bounds the next writes (`None`: wait forever).
    pub fn set_write_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()> {
        self.io.set_write_timeout(t)
    }
}

impl fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgraded")
            .field("early", &self.early.len())
            .finish_non_exhaustive()
    }
}

impl Read for Upgraded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.early.is_empty() {
            let n = buf.len().min(self.early.len());
            buf[..n].copy_from_slice(&self.early[..n]);
            self.early.drain(..n);
            return Ok(n);
        }
        self.io.read(buf)
    }
}

impl Write for Upgraded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.io.flush()
    }
}
