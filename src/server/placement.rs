//! Where a connection goes and the threads that take it: [`place`] parks it for a waiting
//! worker, starts a worker for it, or answers the fast 503 ([`reject`]); [`work`] is a
//! worker thread's body; and the keeper, a thread that makes sure a request on a parked
//! connection never waits for a worker that is busy for long.
//!
//! Workers are few while requests are short: each comes back to the room and takes the
//! next ready connection itself, without sleeping. When every worker is busy and a ready
//! connection waited a whole tick (1 ms, up to 4) with none of them coming back, the keeper
//! claims what is ready and places it like a new connection: a new worker up to the cap,
//! else the 503. The keeper starts with the first worker that finds every worker busy while
//! connections are parked (never on the cold-start path) and sleeps whenever a worker waits
//! in the room. Nothing here serves a request or accepts a connection.

use std::io::Read;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::paced::PacedWriter;
use super::pool::Placement;
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

fn keep(shared: &Arc<Shared>) {
    while shared.pool.watch(&shared.room) {
        while let Take::Conn(conn) = shared.room.take(Some(Duration::ZERO)) {
            place(shared, conn);
        }
    }
}
