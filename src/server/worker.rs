//! What a worker thread does: serve connections one after another (the HTTP connection
//! loop over the socket, with the pool's phases, the body budget and the response write
//! window as its hooks), linger after a last answer, and take the next connection from the
//! pool until it sits idle too long. Also the state every worker shares, including the
//! one-time lowering of derived limits to the memory FC states on a request.
//!
//! It does not accept connections or decide where they go: that is the acceptor's
//! (`server/mod.rs`) and the pool's.

use std::io::Read;
use std::net::{Shutdown, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::paced::PacedWriter;
use super::pool::{Pool, Slot};
use crate::config::{self, Config};
use crate::fc::{Dispatcher, Handler};
use crate::http::{self, BodyBudget, ConnReader, End, Hooks, Phase, Window};

/// How long a closing connection is read and discarded so our last answer is not lost to
/// a reset.
const LINGER: Duration = Duration::from_millis(500);
/// Most bytes discarded while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// Whether the first `x-fc-function-memory` header may still lower derived limits.
#[derive(Clone, Copy, Debug)]
pub(super) enum Adjust {
    /// Memory was given (flag or platform variable), or nothing was derived.
    Fixed,
    /// Memory was probed; these derived limits follow a smaller figure from the header.
    FromHeader { workers: bool, budget: bool },
}

/// What every worker shares.
pub(super) struct Shared<H> {
    pub(super) pool: Pool,
    pub(super) dispatcher: Dispatcher<H>,
    pub(super) budget: BodyBudget,
    pub(super) config: Config,
    /// Still waiting for an `x-fc-function-memory` header to adjust to.
    adjust_pending: AtomicBool,
    adjust: Adjust,
}

impl<H> Shared<H> {
    /// What workers share; `adjust` says whether a header may still lower derived limits.
    pub(super) fn new(
        pool: Pool,
        dispatcher: Dispatcher<H>,
        budget: BodyBudget,
        config: Config,
        adjust: Adjust,
    ) -> Self {
        Shared {
            pool,
            dispatcher,
            budget,
            config,
            adjust_pending: AtomicBool::new(matches!(adjust, Adjust::FromHeader { .. })),
            adjust,
        }
    }

    /// Lowers derived limits once, to the memory the platform states on a request, when
    /// that is less than what was probed at start.
    fn adjust_to(&self, req: &http::Request<'_>) {
        let Adjust::FromHeader { workers, budget } = self.adjust else {
            return;
        };
        let Some(v) = req.headers.get("x-fc-function-memory") else {
            return;
        };
        self.adjust_pending.store(false, Ordering::Relaxed);
        let probed = self.config.memory.map_or(u64::MAX, |m| m.bytes);
        let Some(bytes) = config::from_megabytes(v).filter(|&b| b < probed) else {
            return;
        };
        let d = config::derive(bytes);
        if workers {
            self.pool.shrink_cap(d.workers);
        }
        if budget {
            self.budget.shrink_to(d.body_budget);
        }
        log::info!(
            "instance memory {}MiB (x-fc-function-memory): workers<={} body-budget={}",
            bytes >> 20,
            if workers {
                d.workers
            } else {
                self.config.max_workers
            },
            self.budget.total()
        );
    }
}

/// A worker thread: serves connections until idle for too long or draining.
pub(super) fn worker<H: Handler>(shared: &Shared<H>, slot: &Arc<Slot>, first: TcpStream) {
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
}

fn serve_connection<H: Handler>(shared: &Shared<H>, slot: &Slot, stream: TcpStream) {
    let (pool, cfg) = (&shared.pool, &shared.config);
    let _ = stream.set_nodelay(true);
    let stream = Arc::new(stream);
    slot.attach(stream.clone());
    let mut reader = ConnReader::new(&*stream, cfg.limits.max_head);
    let window = Window::new(cfg.write_timeout, cfg.limits.min_rate);
    let mut writer = PacedWriter::new(&stream, &window);
    let mut hooks = SlotHooks {
        slot,
        pool,
        budget: &shared.budget,
        window: &window,
    };
    let mut service = |req: http::Request<'_>| {
        if shared.adjust_pending.load(Ordering::Relaxed) {
            shared.adjust_to(&req);
        }
        shared.dispatcher.handle(req)
    };
    let end = catch_unwind(AssertUnwindSafe(|| {
        http::serve(
            &mut reader,
            &mut writer,
            &cfg.limits,
            &mut service,
            &mut hooks,
        )
    }))
    .unwrap_or_else(|_| {
        log::error!("connection aborted by a panic outside the handler");
        End::Abort
    });
    let unread = !reader.buffered().is_empty();
    match end {
        End::Linger => linger(&stream, slot, pool),
        End::Done if unread => linger(&stream, slot, pool),
        End::Done | End::Abort => {}
    }
}

/// Half-closes and discards input briefly, so the peer reads our last answer instead of a
/// reset. The connection counts as expendable meanwhile.
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
