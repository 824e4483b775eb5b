//! The connection after `101 Switching Protocols`: [`Upgraded`], a blocking `Read + Write`
//! over the raw socket that yields first the bytes the client sent right behind its head;
//! [`OnUpgrade`], the callback a [`Response::upgrade`](super::Response::upgrade) carries. The
//! socket is behind [`Duplex`] (implemented for `TcpStream`), so nothing here opens or
//! accepts sockets: the server hands one over.

use std::fmt;
use std::io::{self, Read, Write};

/// What a [`Response::upgrade`](super::Response::upgrade) runs once the switch is made.
pub struct OnUpgrade(pub(crate) Box<dyn FnOnce(Upgraded) + Send>);

/// A connection after `101 Switching Protocols`: a blocking `Read + Write` on the raw
/// socket, starting with any bytes the client sent right behind its request. Hand it to a
/// WebSocket library, or speak the upgraded protocol yourself.
pub struct Upgraded {
    io: Box<dyn Duplex>,
    early: Vec<u8>,
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
        Upgraded { io, early }
    }

    /// A second handle on the same connection, to read on one thread and write on another.
    /// Bytes buffered before the switch stay with this handle.
    pub fn try_clone(&self) -> io::Result<Upgraded> {
        Ok(Upgraded::new(self.io.try_clone()?, Vec::new()))
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
