//! [`PacedWriter`]: a socket writer under the response [`Window`] rule (write timeout ×
//! minimum rate), so a client that reads its answer a few bytes at a time (slowhttptest -X)
//! is dropped instead of holding a worker for as long as its answer lasts.
//!
//! The rule lives in the sans-socket [`Window`]; this only turns its answers into the
//! socket's write timeout, set again only when the value changes, so a client that reads at
//! a normal speed costs no extra system calls.

use std::io::{self, IoSlice, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::http::Window;

/// Writes to a socket under a [`Window`].
pub struct PacedWriter<'a> {
    stream: &'a TcpStream,
    window: &'a Window,
    applied: Option<Option<Duration>>,
}

impl<'a> PacedWriter<'a> {
    /// Writes to `stream` under `window` (shared with the hooks that reset it).
    pub fn new(stream: &'a TcpStream, window: &'a Window) -> Self {
        Self::resume(stream, window, None)
    }

    /// Like `new`, knowing the write timeout already in force (`None`: unknown).
    pub fn resume(
        stream: &'a TcpStream,
        window: &'a Window,
        applied: Option<Option<Duration>>,
    ) -> Self {
        PacedWriter {
            stream,
            window,
            applied,
        }
    }

    /// The write timeout in force on the socket, for the next `resume`.
    pub fn applied(&self) -> Option<Option<Duration>> {
        self.applied
    }

    fn before(&mut self) -> io::Result<()> {
        let t = self.window.before_write(Instant::now()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "client reads its answer too slowly",
            )
        })?;
        if self.applied != Some(t) {
            self.stream.set_write_timeout(t)?;
            self.applied = Some(t);
        }
        Ok(())
    }
}

impl Write for PacedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.before()?;
        let n = (&mut &*self.stream).write(buf)?;
        self.window.add(n);
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.before()?;
        let n = (&mut &*self.stream).write_vectored(bufs)?;
        self.window.add(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
