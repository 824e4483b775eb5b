//! [`Background`]: a [`Server`] serving on a thread of its own, stopped (and drained) when
//! dropped — for tests and for programs that embed a function next to other work.
//!
//! Only starts and stops the serving thread; serving is the server's.

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use super::{Server, ShutdownHandle};
use crate::fc::Handler;

/// A server running on its own thread; dropping it stops it and waits for the drain.
///
/// ```
/// use fc_runtime::{Config, Context, HandlerError, Server};
///
/// let config = Config { host: "127.0.0.1".into(), port: 0, ..Config::default() };
/// let running = Server::bind(&config).unwrap()
///     .spawn(|e: Vec<u8>, _: &Context| Ok::<_, HandlerError>(e))
///     .unwrap();
/// assert_ne!(running.addr().port(), 0);
/// running.stop().unwrap();
/// ```
pub struct Background {
    addr: SocketAddr,
    stop: ShutdownHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Background {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it gracefully and waits for the drain; the serve loop's result.
    pub fn stop(mut self) -> io::Result<()> {
        self.finish()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.stop.shutdown();
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the serving thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

impl Server {
    /// Serves `handler` (as [`Server::serve`] does) on a thread of its own.
    pub fn spawn<H: Handler>(self, handler: H) -> io::Result<Background> {
        let addr = self.local_addr()?;
        let stop = self.shutdown_handle();
        let thread = std::thread::Builder::new()
            .name("fc-server".into())
            .spawn(move || self.serve(handler))?;
        Ok(Background {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}
