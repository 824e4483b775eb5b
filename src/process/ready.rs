//! Readiness: when a started child serves. [`Ready::Tcp`] is FC's own health check (a TCP
//! connect); [`Ready::Http`] asks a path and accepts any answer below 500. Polled fast at
//! first — a server is often ready within a millisecond — then backing off, and given up at
//! the deadline, when the child exits, or when a stop signal arrives.

use std::net::{SocketAddr, TcpStream};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::Child;
use crate::client::{Call, Connection};
use crate::sys;

/// What "ready" means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ready {
    /// A TCP connect to this address succeeds.
    Tcp(SocketAddr),
    /// `GET path` at this address answers with a status below 500.
    Http {
        /// Where the server listens.
        addr: SocketAddr,
        /// The path to ask (`/healthz`).
        path: String,
    },
}

/// Why a child never became ready.
#[derive(Debug)]
pub enum NotReady {
    /// It exited first, with this status.
    Exited(ExitStatus),
    /// The deadline came first; the last probe's answer, if it said anything.
    TimedOut {
        /// How long was waited.
        waited: Duration,
        /// What the last probe saw (`connection refused`, `status 503`...).
        last: String,
    },
    /// SIGTERM or SIGINT arrived while waiting.
    Stopped,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::Exited(s) => write!(f, "exited before it was ready ({s})"),
            NotReady::TimedOut { waited, last } => {
                write!(f, "not ready after {waited:.1?} (last probe: {last})")
            }
            NotReady::Stopped => f.write_str("stop signal while waiting for it to be ready"),
        }
    }
}

/// The pause between probes: from 50 µs, growing by half each time up to 100 µs during
/// the first 50 ms, 250 µs until 500 ms, then 5 ms. A probe is a refused connect on
/// loopback (a few µs): the fast phase costs a few percent of a core while most servers
/// start, and adds at most the pause to the readiness seen.
const FIRST_PAUSE: Duration = Duration::from_micros(50);
const PHASES: [(Duration, Duration); 2] = [
    (Duration::from_millis(50), Duration::from_micros(100)),
    (Duration::from_millis(500), Duration::from_micros(250)),
];
const MAX_PAUSE: Duration = Duration::from_millis(5);

pub(super) fn wait(
    child: &Child,
    ready: &Ready,
    deadline: Instant,
) -> Result<(Duration, Option<TcpStream>), NotReady> {
    let mut pause = FIRST_PAUSE;
    loop {
        let last = match probe(ready, deadline) {
            Ok(conn) => return Ok((child.started().elapsed(), conn)),
            Err(why) => why,
        };
        if let Some(s) = child.status() {
            return Err(NotReady::Exited(s));
        }
        if sys::stop_requested() {
            return Err(NotReady::Stopped);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(NotReady::TimedOut {
                waited: child.started().elapsed(),
                last,
            });
        }
        std::thread::sleep(pause.min(deadline - now));
        let age = child.started().elapsed();
        let cap = PHASES
            .iter()
            .find(|(until, _)| age < *until)
            .map_or(MAX_PAUSE, |&(_, cap)| cap);
        pause = (pause * 3 / 2).min(cap);
    }
}

/// One probe: `Ok` when ready (with the connection that proved it, for TCP), else what
/// it saw.
fn probe(ready: &Ready, deadline: Instant) -> Result<Option<TcpStream>, String> {
    let limit = deadline
        .saturating_duration_since(Instant::now())
        .clamp(Duration::from_millis(1), Duration::from_secs(2));
    match ready {
        Ready::Tcp(addr) => TcpStream::connect_timeout(addr, limit)
            .map(Some)
            .map_err(|e| e.to_string()),
        Ready::Http { addr, path } => {
            let conn = Connection::open(*addr, limit).map_err(|e| e.to_string())?;
            let reply = conn
                .call(Call::new("GET", path, Instant::now() + limit))
                .map_err(|e| e.to_string())?;
            if reply.status < 500 {
                Ok(None)
            } else {
                Err(format!("status {}", reply.status))
            }
        }
    }
}
