//! The acceptor: accepts connections and places them ([`place`]: parked for a waiting
//! worker, a new worker, an evicted one's, or the fast 503 when nothing can take one) until
//! stopped, then closes the listener and drains; and the one-shot [`Gate`] through which the
//! thread that served the first connection hands accepting over to it.
//!
//! It never blocks on a client (placement and the 503 are non-blocking) and never exits on
//! an `accept` error: it logs it, frees a descriptor if an idle connection holds one, and
//! backs off. It does not serve connections: that is the worker's.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::placement::place;
use super::room::Conn;
use super::worker::Shared;
use crate::sys;

/// What the acceptor thread waits for before it starts accepting: this thread's first
/// connection (then it takes over), or a stop before any.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Go {
    Wait,
    Accept,
    Stop,
}

/// A one-shot hand-over from the serving thread to the acceptor thread (park/unpark: no
/// channel machinery in the binary).
pub(super) struct Gate(Mutex<Go>);

impl Default for Gate {
    fn default() -> Gate {
        Gate(Mutex::new(Go::Wait))
    }
}

impl Gate {
    fn get(&self) -> Go {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parks until [`Gate::open`]; spurious wake-ups park again.
    pub(super) fn wait(&self) -> Go {
        loop {
            match self.get() {
                Go::Wait => thread::park(),
                go => return go,
            }
        }
    }

    pub(super) fn open<T>(&self, waiter: &thread::JoinHandle<T>, go: Go) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = go;
        waiter.thread().unpark();
    }
}

/// Accepts connections and places them on the pool until stopped, then drains.
#[derive(Clone)]
pub(super) struct Acceptor {
    pub(super) listener: Arc<TcpListener>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) shared: Arc<Shared>,
}

impl Acceptor {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || sys::stop_requested()
    }

    /// The next connection, or `None` once stopping. Never exits on an `accept` error.
    pub(super) fn next(&self) -> Option<TcpStream> {
        let mut backoff = Duration::from_millis(5);
        while !self.stopping() {
            match self.listener.accept() {
                Ok(_) if self.stopping() => break,
                Ok((stream, _)) => return Some(stream),
                Err(_) if self.stopping() => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) => {
                    // EMFILE/ENFILE/ENOBUFS...: free a descriptor if an idle connection holds
                    // one, and back off so the loop never spins.
                    log::warn!("accept failed: {e}; retrying in {backoff:?}");
                    self.shared.pool.evict_one(&self.shared.room);
                    thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
        None
    }

    /// Places every connection until stopped, then drains.
    pub(super) fn serve(self) -> io::Result<()> {
        while let Some(stream) = self.next() {
            place(&self.shared, Conn::new(stream));
        }
        self.finish()
    }

    /// Closes the listener, then lets requests in flight finish within the grace period.
    pub(super) fn finish(self) -> io::Result<()> {
        sys::forget_listener();
        drop(self.listener);
        let grace = self.shared.config.grace;
        log::info!("stopping: draining requests in flight (grace {grace:?})");
        let busy = self.shared.pool.drain(grace, &self.shared.room);
        if busy > 0 {
            log::warn!("grace period over with {busy} request(s) still running");
        }
        Ok(())
    }
}
