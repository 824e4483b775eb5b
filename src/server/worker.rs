//! What a worker thread does: serve connections in turns (the HTTP connection loop over
//! the socket, with the pool's phases, the body budget and the response write window as its
//! hooks), park a connection in the room between requests, linger after a last answer, and
//! take the next ready connection from the room until it sits idle too long. One read
//! buffer per worker, lent to each turn. Also the state every worker shares, and applying the
//! one-time lowering of derived limits that [`Capacity`] decides from `x-fc-function-memory`.
//!
//! It does not accept connections or decide where they go: that is the acceptor's
//! (`acceptor.rs`) and the pool's.

use std::io::Read;
use std::mem;
use std::net::{Shutdown, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::paced::PacedWriter;
use super::pool::{Next, Pool};
use super::room::{Conn, Room};
use super::slot::Slot;
use super::Serve;
use crate::config::{Capacity, Config};
use crate::http::{
    self, BodyBudget, CloseReason, ConnReader, End, Hooks, Limits, OnUpgrade, Phase, Upgraded,
    Window,
};

/// How long a closing connection is read and discarded so our last answer is not lost to
/// a reset.
const LINGER: Duration = Duration::from_millis(500);
/// Most bytes discarded while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// What every worker shares.
pub(super) struct Shared {
    pub(super) pool: Pool,
    /// Connections between requests.
    pub(super) room: Room,
    service: Box<dyn Serve>,
    budget: BodyBudget,
    pub(super) config: Config,
    capacity: Capacity,
    /// `config.limits` with the body limit kept within the budget.
    limits: Limits,
}

impl Shared {
    pub(super) fn new(
        pool: Pool,
        service: Box<dyn Serve>,
        budget: BodyBudget,
        config: Config,
        capacity: Capacity,
    ) -> Self {
        let limits = Limits {
            max_body: capacity.max_body(&config.limits),
            ..config.limits.clone()
        };
        Shared {
            pool,
            room: Room::default(),
            service,
            budget,
            config,
            capacity,
            limits,
        }
    }

    /// Lowers derived limits once, to the memory the platform states on a request, when
    /// that is less than what was probed at start.
    fn lower_to(&self, req: &http::Request<'_>) {
        let Some(l) = self.capacity.lower_to(&req.headers) else {
            return;
        };
        if let Some(w) = l.workers {
            self.pool.shrink_cap(w);
        }
        if let Some(b) = l.body_budget {
            self.budget.shrink_to(b);
        }
        log::info!(
            "instance memory {}MiB (x-fc-function-memory): workers<={} body-budget={}",
            l.memory >> 20,
            l.workers.unwrap_or(self.capacity.workers),
            self.budget.total()
        );
    }
}

/// A worker thread: serves connections until idle for too long or draining.
/// `keep` starts the keeper when the pool asks for it.
pub(super) fn worker(shared: &Shared, slot: &Arc<Slot>, first: Conn, keep: impl Fn()) {
    let mut buf = Vec::new();
    let mut conn = first;
    loop {
        if let Some(idle) = serve_connection(shared, slot, conn, &mut buf) {
            // Refused (room closed or unusable): dropping it closes it.
            let _ = shared.room.park(idle);
        }
        conn = match shared.pool.next(slot, &shared.room) {
            Next::Serve(c) => c,
            Next::ServeAndKeep(c) => {
                keep();
                c
            }
            Next::Exit => break,
        };
    }
    shared.pool.exit(slot);
}

struct SlotHooks<'a> {
    slot: &'a Slot,
    pool: &'a Pool,
    budget: &'a BodyBudget,
    window: &'a Window,
    room: &'a Room,
    upgrade: Option<OnUpgrade>,
}

impl Hooks for SlotHooks<'_> {
    fn phase(&mut self, phase: Phase) -> bool {
        if phase == Phase::Active {
            self.window.reset();
        }
        self.slot.enter(phase, self.pool.draining_flag())
    }
    fn draining(&self) -> bool {
        self.pool.draining()
    }
    fn budget(&self) -> Option<&BodyBudget> {
        Some(self.budget)
    }
    fn upgraded(&mut self, on_upgrade: OnUpgrade) {
        self.upgrade = Some(on_upgrade);
    }
    fn park(&mut self) -> bool {
        self.room.open()
    }
}

/// One turn of a connection: serves it until it ends (closed here) or parks (returned, to
/// wait in the room). `buf` is the worker's read buffer, lent to the turn.
fn serve_connection(shared: &Shared, slot: &Slot, conn: Conn, buf: &mut Vec<u8>) -> Option<Conn> {
    let (pool, cfg) = (&shared.pool, &shared.config);
    let Conn {
        stream,
        read_timeout,
        write_timeout,
    } = conn;
    slot.attach(stream.clone());
    let mut reader = ConnReader::resume(
        &*stream,
        mem::take(buf),
        shared.limits.max_head,
        read_timeout,
    );
    let window = Window::new(cfg.write_timeout, shared.limits.min_rate);
    let mut writer = PacedWriter::resume(&stream, &window, write_timeout);
    let mut hooks = SlotHooks {
        slot,
        pool,
        budget: &shared.budget,
        window: &window,
        room: &shared.room,
        upgrade: None,
    };
    let mut service = |req: http::Request<'_>| {
        if shared.capacity.awaiting_header() {
            shared.lower_to(&req);
        }
        shared.service.serve(req)
    };
    let why = catch_unwind(AssertUnwindSafe(|| {
        http::serve(
            &mut reader,
            &mut writer,
            &shared.limits,
            &mut service,
            &mut hooks,
        )
    }))
    .unwrap_or_else(|_| {
        log::error!("connection aborted by a panic outside the handler");
        CloseReason::Broken
    });
    let write_timeout = writer.applied();
    let upgrade = hooks.upgrade.take();
    let unread = !reader.buffered().is_empty();
    let early = match (why, &upgrade) {
        (CloseReason::Upgraded, Some(_)) => reader.buffered().to_vec(),
        _ => Vec::new(),
    };
    let read_timeout;
    (*buf, read_timeout) = reader.recycle();
    match (why.end(), upgrade) {
        (_, Some(cb)) if why == CloseReason::Upgraded => upgraded(&stream, early, cb, pool),
        (End::Park, _) => {
            return Some(Conn {
                stream,
                read_timeout,
                write_timeout,
            })
        }
        (End::Linger, _) => linger(&stream, slot, pool),
        (End::Done, _) if unread => linger(&stream, slot, pool),
        (End::Done | End::Abort, _) => {}
    }
    None
}

/// Runs an upgrade callback on this worker with the raw connection (the slot stays
/// `Active`: never evicted, waited for by a drain, which the connection's
/// `StopSignal` reports), then closes it. The socket's timeouts
/// are cleared first: the upgraded protocol sets its own.
fn upgraded(stream: &TcpStream, early: Vec<u8>, cb: OnUpgrade, pool: &Pool) {
    let _ = stream.set_read_timeout(None);
    let _ = stream.set_write_timeout(None);
    let Ok(io) = stream.try_clone() else {
        return;
    };
    let conn = Upgraded::new(Box::new(io), early).watching(pool.drain_flag());
    if catch_unwind(AssertUnwindSafe(|| (cb.0)(conn))).is_err() {
        log::error!("upgrade handler panicked: connection closed");
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Half-closes and discards input briefly, so the peer reads our last answer instead of a
/// reset. The connection counts as expendable meanwhile. Not inlined: its buffer stays out
/// of the worker's frame until a connection closes this way.
#[inline(never)]
fn linger(stream: &TcpStream, slot: &Slot, pool: &Pool) {
    slot.enter(Phase::Head, pool.draining_flag());
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(LINGER));
    let mut buf = [0u8; 4096];
    let mut total = 0;
    let mut s = stream;
    while total < LINGER_BYTES {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}
