//! Readiness: when a started child serves. [`Ready::Tcp`] is FC's own health check (a TCP
//! connect); [`Ready::Http`] asks a path and accepts any answer below 500. Polled fast at
//! first — a server is often ready within a millisecond — then backing off, and given up at
//! the deadline, when the child exits, or when a stop signal arrives. While nothing listens
//! a poll asks the kernel's table of listeners ([`Lookout`]) rather than connecting, so it
//! takes little of the CPU the child is starting on; it connects (or asks the path) once
//! something listens, or on every poll where the kernel cannot be asked.

use std::net::{SocketAddr, TcpStream};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::Child;
use crate::client::{Call, Connection};
use crate::sys;
use crate::sys::diag::Listeners;

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
/// the first 50 ms, 250 µs until 500 ms, then 5 ms. A poll while nothing listens is a
/// lookup of a few µs (a refused connect, ~13 µs, where lookups fail): the fast phase costs
/// a few percent of a core while most servers start, and adds at most the pause to the
/// readiness seen. The polling thread's timer slack is 1 µs meanwhile: by default a 50 µs
/// pause may end up to 50 µs late.
const FIRST_PAUSE: Duration = Duration::from_micros(50);
const PHASES: [(Duration, Duration); 2] = [
    (Duration::from_millis(50), Duration::from_micros(100)),
    (Duration::from_millis(500), Duration::from_micros(250)),
];
const MAX_PAUSE: Duration = Duration::from_millis(5);

/// Where a poll looks before it connects: the kernel's table of listeners (`sys::diag`),
/// where that answers truly here. While nothing listens a poll then costs a lookup of
/// ~2 µs instead of a refused connect of ~13 µs, CPU the starting app gets instead.
pub(crate) struct Lookout(Option<Listeners>);

impl Lookout {
    /// Checks the kernel's answers once (on a listener of its own); connects if they fail.
    pub(crate) fn new() -> Lookout {
        Lookout(Listeners::open_checked())
    }

    /// `Some(false)`: nothing listens at `addr`, so a connect would be refused. `None`:
    /// cannot tell without connecting (an IPv6 address, or no lookups here).
    fn listening(&self, addr: &SocketAddr) -> Option<bool> {
        match (&self.0, addr) {
            (Some(l), SocketAddr::V4(a)) => l.listening(*a).ok(),
            _ => None,
        }
    }

    /// Whether a connect to `addr` would succeed: a server is there already.
    pub(crate) fn taken(&self, addr: &SocketAddr) -> bool {
        self.listening(addr)
            .unwrap_or_else(|| TcpStream::connect_timeout(addr, Duration::from_millis(100)).is_ok())
    }
}

pub(super) fn wait(
    child: &Child,
    ready: &Ready,
    deadline: Instant,
    lookout: &Lookout,
) -> Result<(Duration, Option<TcpStream>), NotReady> {
    sys::set_timer_slack(Some(Duration::from_micros(1)));
    let seen = poll(child, ready, deadline, lookout);
    sys::set_timer_slack(None);
    seen
}

fn poll(
    child: &Child,
    ready: &Ready,
    deadline: Instant,
    lookout: &Lookout,
) -> Result<(Duration, Option<TcpStream>), NotReady> {
    let mut pause = FIRST_PAUSE;
    loop {
        let last = match probe(ready, deadline, lookout) {
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
fn probe(ready: &Ready, deadline: Instant, lookout: &Lookout) -> Result<Option<TcpStream>, String> {
    let (Ready::Tcp(addr) | Ready::Http { addr, .. }) = ready;
    if lookout.listening(addr) == Some(false) {
        return Err("connection refused (nothing listens there)".into());
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn lookups_and_connects_agree_on_what_listens() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = listener.local_addr().unwrap();
        let free = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let soon = Instant::now() + Duration::from_secs(5);
        let lookup = Lookout::new();
        assert!(lookup.0.is_some(), "the kernel answers lookups here");
        for (how, lookout) in [("lookup", lookup), ("connect", Lookout(None))] {
            assert!(lookout.taken(&taken), "{how}");
            assert!(!lookout.taken(&free), "{how}");
            let conn = probe(&Ready::Tcp(taken), soon, &lookout).unwrap();
            assert!(conn.is_some(), "{how}: the probe's connection is kept");
            let why = probe(&Ready::Tcp(free), soon, &lookout).unwrap_err();
            assert!(why.to_lowercase().contains("refused"), "{how}: {why}");
        }
    }
}
