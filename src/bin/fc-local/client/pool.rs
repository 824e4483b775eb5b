//! Keep-alive connections to the function, reused most recently used first, as FC's
//! gateway keeps its connections to an instance.
//!
//! Only holds connections; whether one may go back is the caller's call (a complete answer
//! without `Connection: close`).

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use super::Conn;

/// Idle connections to the function, most recently used first out.
pub struct Pool {
    addr: SocketAddr,
    idle: Mutex<Vec<Conn>>,
    max_idle: usize,
}

impl Pool {
    pub fn new(addr: SocketAddr, max_idle: usize) -> Pool {
        Pool {
            addr,
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    /// A pooled connection, or a new one.
    pub fn get(&self, timeout: Duration) -> io::Result<Conn> {
        if let Some(c) = self.idle.lock().unwrap().pop() {
            return Ok(c);
        }
        Conn::connect(self.addr, timeout)
    }

    /// Keeps `c` for the next call (closed instead when the pool is full).
    pub fn put(&self, c: Conn) {
        let mut idle = self.idle.lock().unwrap();
        if idle.len() < self.max_idle {
            idle.push(c);
        }
    }

    /// Closes every idle connection.
    pub fn clear(&self) {
        self.idle.lock().unwrap().clear();
    }
}
