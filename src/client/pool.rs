//! [`Idle`]: the connections a [`Client`](super::Client) keeps between calls, most recently
//! used first out (the warmest socket, and the least likely to have been closed by the
//! server), with an expiry and a liveness check before reuse.
//!
//! Only holds connections; whether one may come back is the reply's call (a complete answer
//! that allows keep-alive).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Connection;

/// An idle connection is checked for a close by the server before reuse only after this.
const RECHECK_AFTER: Duration = Duration::from_millis(250);

/// Idle connections to one address.
pub(super) struct Idle {
    conns: Mutex<Vec<Connection>>,
    max: usize,
    expiry: Duration,
}

impl Idle {
    pub(super) fn new(max: usize, expiry: Duration) -> Idle {
        Idle {
            conns: Mutex::new(Vec::new()),
            max,
            expiry,
        }
    }

    /// A usable idle connection, if any, and — when the server had closed idle ones — the
    /// longest idle time among those (the caller reports it: FC expects 15 minutes).
    /// Connections past the expiry are closed quietly.
    pub(super) fn take(&self) -> (Option<Connection>, Option<Duration>) {
        let mut dropped: Option<Duration> = None;
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(c) = conns.pop() {
            let idle = c.idle_since.elapsed();
            if idle > self.expiry {
                continue;
            }
            // Servers close idle connections after a second or more; a connection used a
            // moment ago is not checked (a syscall per call), and the retry rule covers
            // the rare close in between.
            if idle >= RECHECK_AFTER && c.unusable() {
                dropped = Some(dropped.map_or(idle, |d| d.max(idle)));
                continue;
            }
            return (Some(c), dropped);
        }
        (None, dropped)
    }

    /// Keeps `c` for the next call (closed instead when the pool is full).
    pub(super) fn put(&self, mut c: Connection) {
        c.idle_since = Instant::now();
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        if conns.len() < self.max {
            conns.push(c);
        }
    }

    /// Closes every idle connection.
    pub(super) fn clear(&self) {
        self.conns.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
