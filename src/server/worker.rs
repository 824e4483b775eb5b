//! What a worker thread does: serve connections one after another (the HTTP connection
//! loop over the socket, with the pool's phases, the body budget and the response write
//! window as its hooks), linger after a last answer, and take the next connection from the
//! pool until it sits idle too long. Also the state every worker shares, and applying the
//! one-time lowering of derived limits that [`Capacity`] decides from `x-fc-function-memory`.
//!
//! It does not accept connections or decide where they go: that is the acceptor's
//! (`server/mod.rs`) and the pool's.

use std::io::Read;
use std::net::{Shutdown, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::paced::PacedWriter;
use super::pool::{Pool, Slot};
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
pub(super) fn worker(shared: &Shared, slot: &Arc<Slot>, first: TcpStream) {
    let mut next = Some(first);
    while let Some(stream) = next {
        serve_connection(shared, slot, stream);
        next = shared.pool.next(slot);
    }
    shared.pool.exit(slot);
}

struct SlotHooks<'a> {
    slot: &'a Slot,
    pool: &'a Pool,
    budget: &'a BodyBudget,
    window: &'a Window,
    upgrade: Option<OnUpgrade>,
}

impl Hooks for SlotHooks<'_> {
    fn phase(&mut self, phase: Phase) -> bool {
        if phase == Phase::Active {
            self.window.reset();
        }
        self.slot.enter(phase, self.pool)
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
}

fn serve_connection(shared: &Shared, slot: &Slot, stream: TcpStream) {
    let (pool, cfg) = (&shared.pool, &shared.config);
    let _ = stream.set_nodelay(true);
    let stream = Arc::new(stream);
    slot.attach(stream.clone());
    let mut reader = ConnReader::new(&*stream, shared.limits.max_head);
    let window = Window::new(cfg.write_timeout, shared.limits.min_rate);
    let mut writer = PacedWriter::new(&stream, &window);
    let mut hooks = SlotHooks {
        slot,
        pool,
        budget: &shared.budget,
        window: &window,
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
    if let (CloseReason::Upgraded, Some(cb)) = (why, hooks.upgrade.take()) {
        upgraded(&stream, reader.buffered().to_vec(), cb, pool);
        return;
    }
    let unread = !reader.buffered().is_empty();
    match why.end() {
        End::Linger => linger(&stream, slot, pool),
        End::Done if unread => linger(&stream, slot, pool),
        End::Done | End::Abort => {}
    }
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
    slot.enter(Phase::Head, pool);
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
