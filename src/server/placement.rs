//! Where a connection goes and the threads that take it: [`place`] parks it for a waiting
//! worker, starts a worker for it, or answers the fast 503 ([`reject`]); [`work`] is a
//! worker thread's body; and the keeper, a thread that makes sure a request on a parked
//! connection never waits long for a busy worker.
//!
//! Workers are few while requests are short: each comes back to the room and takes the
//! next ready connection itself, without sleeping. The keeper ticks (1 ms, doubling to 4
//! while it claims nothing) only while every worker is busy and connections are parked.
//! When no worker came back for a whole tick, it claims everything ready and places it like
//! a new connection: a new worker each, up to the cap, else the 503. When workers come back
//! but each finds a connection ready at once (a backlog that lasts), it claims one per tick
//! while fewer workers than CPUs are running, not counting those waiting inside
//! [`blocking`](super::blocking) (exec mode's wait for its app). It starts with the first
//! worker that finds every worker busy while connections are parked (never on the
//! cold-start path) and sleeps whenever a worker waits in the room. Nothing here serves a
//! request or accepts a connection.

use std::io::Read;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::paced::PacedWriter;
use super::pool::{Placement, Watch};
use super::room::{Conn, Take};
use super::slot::Slot;
use super::worker::{worker, Shared};
use crate::http::{self, HttpError, Window};
use crate::sys;

/// A worker thread's body: serves `first`, then whatever the room gives it.
pub(super) fn work(shared: &Arc<Shared>, slot: &Arc<Slot>, first: Conn) {
    worker(shared, slot, first, || start_keeper(shared));
}

/// Places a connection (new, or claimed by the keeper): parked, a new worker, or the 503.
pub(super) fn place(shared: &Arc<Shared>, conn: Conn) {
    match shared.pool.dispatch(conn, &shared.room) {
        Placement::Parked => {}
        Placement::Reject(conn) => reject(&conn.stream),
        Placement::Spawn(slot, stream) => {
            let (shared2, slot2) = (shared.clone(), slot.clone());
            // Workers start with stop signals blocked (see `Server::run`).
            let spawned = sys::with_stop_signals_blocked(|| {
                thread::Builder::new()
                    .name("fc-worker".into())
                    .stack_size(shared.config.stack_size)
                    .spawn(move || work(&shared2, &slot2, stream))
            });
            if let Err(e) = spawned {
                log::warn!("cannot start a worker thread: {e}");
                shared.pool.spawn_failed(&slot);
            }
        }
    }
}

/// The fast 503 when every worker is busy with a request in progress: the same answer as
/// any other refusal ([`http::refuse`] with `Overloaded`), written through the workers'
/// writer type (no second copy of the response writer in the binary, and no rate rule: a
/// zero window), and it never blocks the acceptor.
pub(super) fn reject(stream: &TcpStream) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    // Discard what already arrived, so closing sends FIN, not a reset that could beat the
    // answer to the client.
    let mut buf = [0u8; 4096];
    while let Ok(n) = (&mut &*stream).read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    let window = Window::new(Duration::ZERO, 0);
    let _ = http::refuse(
        &mut PacedWriter::new(stream, &window),
        HttpError::Overloaded,
    );
    let _ = stream.shutdown(Shutdown::Write);
    log::warn!("all workers busy with requests: answered 503");
}

/// Starts the keeper thread (with stop signals blocked, like the workers).
fn start_keeper(shared: &Arc<Shared>) {
    let shared2 = shared.clone();
    let started = sys::with_stop_signals_blocked(|| {
        thread::Builder::new()
            .name("fc-keeper".into())
            .stack_size(shared.config.stack_size)
            .spawn(move || keep(&shared2))
    });
    if let Err(e) = started {
        log::warn!("cannot start the keeper thread: {e}");
        shared.pool.keeper_failed();
    }
}

/// How long a keeper's tick is, first and at most (doubling while nothing is claimed).
const TICK: Duration = Duration::from_millis(1);
const TICK_MAX: Duration = Duration::from_millis(4);

fn keep(shared: &Arc<Shared>) {
    let cpus = sys::cpus();
    let mut tick = TICK;
    loop {
        // Claim everything ready when no worker came back for a whole tick. When workers
        // come back and always find a connection ready (a backlog that lasts), one more
        // worker per tick while fewer workers than CPUs are running: the others wait on the
        // app behind the proxy, and one more lets one more request wait at once.
        let most = match shared.pool.watch(&shared.room, tick) {
            Watch::Drain => return,
            Watch::Stuck => usize::MAX,
            Watch::Backlog { running } if running < cpus => 1,
            Watch::Backlog { .. } | Watch::Calm => 0,
        };
        let mut claimed = 0;
        while claimed < most {
            let Take::Conn(conn) = shared.room.take(Some(Duration::ZERO)) else {
                break;
            };
            place(shared, conn);
            claimed += 1;
        }
        tick = match claimed {
            0 => (tick * 2).min(TICK_MAX),
            _ => TICK,
        };
    }
}
