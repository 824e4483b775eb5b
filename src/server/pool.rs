//! The bounded, elastic worker pool and the per-worker [`Slot`] that says what its
//! connection is doing, so the acceptor can make room without hurting real requests.
//!
//! A worker owns one connection at a time on a blocking socket. Threads are spawned on
//! demand up to the cap and exit after sitting idle. When every worker is taken, the
//! acceptor evicts the longest-idle *expendable* connection (idle keep-alive, or still
//! sending its head) by shutting its socket down; a connection with a request in progress
//! is never touched. Only when nothing is expendable does [`Pool::dispatch`] hand the new
//! connection back for a fast 503. There is no unbounded queue: queued connections never
//! outnumber the workers that are free or being freed. This module does not speak HTTP.

use std::collections::VecDeque;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::http::Phase;

/// What a worker's connection is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotPhase {
    /// No connection.
    Free,
    /// In the connection loop's phase.
    Conn(Phase),
    /// Shut down by the acceptor to make room; the worker will notice.
    Evicted,
}

struct SlotState {
    phase: SlotPhase,
    since: Instant,
    stream: Option<Arc<TcpStream>>,
}

/// One worker's connection status, shared with the acceptor.
pub struct Slot(Mutex<SlotState>);

impl Slot {
    fn new() -> Slot {
        Slot(Mutex::new(SlotState {
            phase: SlotPhase::Free,
            since: Instant::now(),
            stream: None,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Attaches a new connection (expendable until its first request is in).
    pub fn attach(&self, stream: Arc<TcpStream>) {
        let mut s = self.lock();
        s.phase = SlotPhase::Conn(Phase::Idle);
        s.since = Instant::now();
        s.stream = Some(stream);
    }

    /// Moves to `phase`; `false` if the acceptor evicted this connection, or if it would go
    /// idle while the pool drains. The flag is read under the slot lock, so a drain that
    /// scans this slot either sees it idle (and closes it) or is seen here.
    pub fn enter(&self, phase: Phase, pool: &Pool) -> bool {
        let mut s = self.lock();
        if s.phase == SlotPhase::Evicted || (phase == Phase::Idle && pool.draining()) {
            return false;
        }
        if phase != Phase::Active {
            s.since = Instant::now();
        }
        s.phase = SlotPhase::Conn(phase);
        true
    }

    /// Detaches the connection; returns whether it had been evicted.
    fn release(&self) -> bool {
        let mut s = self.lock();
        let evicted = s.phase == SlotPhase::Evicted;
        s.phase = SlotPhase::Free;
        s.stream = None;
        evicted
    }

    /// How long this slot has been expendable, if it is.
    fn expendable_since(&self) -> Option<Instant> {
        let s = self.lock();
        match s.phase {
            SlotPhase::Conn(Phase::Idle | Phase::Head) => Some(s.since),
            _ => None,
        }
    }

    /// Evicts the connection if it is still expendable since `since`.
    fn evict(&self, since: Option<Instant>) -> bool {
        let mut s = self.lock();
        let expendable = matches!(s.phase, SlotPhase::Conn(Phase::Idle | Phase::Head));
        if !expendable || since.is_some_and(|t| t != s.since) {
            return false;
        }
        s.phase = SlotPhase::Evicted;
        if let Some(stream) = &s.stream {
            let _ = stream.shutdown(Shutdown::Both);
        }
        true
    }
}

struct State {
    queue: VecDeque<TcpStream>,
    /// Workers waiting for a connection.
    idle: usize,
    /// Live worker threads (including ones being spawned).
    workers: usize,
    /// Evictions whose workers have not come back yet.
    evicting: usize,
    slots: Vec<Arc<Slot>>,
}

/// The shared pool. Workers call [`Pool::next`] and [`Pool::finish`]; the acceptor calls
/// [`Pool::dispatch`] and [`Pool::drain`].
pub struct Pool {
    state: Mutex<State>,
    work: Condvar,
    changed: Condvar,
    cap: AtomicUsize,
    linger: Duration,
    draining: Arc<AtomicBool>,
}

/// What the acceptor should do with a new connection.
pub enum Placement {
    /// Queued for a free (or freed) worker.
    Queued,
    /// Start a new worker for it with this slot.
    Spawn(Arc<Slot>, TcpStream),
    /// Nothing can take it: answer 503.
    Reject(TcpStream),
}

impl Pool {
    /// A pool of at most `cap` workers; idle workers exit after `linger`.
    pub fn new(cap: usize, linger: Duration) -> Pool {
        Pool {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                idle: 0,
                workers: 0,
                evicting: 0,
                slots: Vec::new(),
            }),
            work: Condvar::new(),
            changed: Condvar::new(),
            cap: AtomicUsize::new(cap.max(1)),
            linger,
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lowers the worker cap (never raises it); workers above it finish their connections.
    pub fn shrink_cap(&self, cap: usize) {
        self.cap.fetch_min(cap.max(1), Ordering::Relaxed);
    }

    /// True once [`Pool::drain`] started.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// The drain flag itself, for an upgraded connection to watch.
    pub fn drain_flag(&self) -> Arc<AtomicBool> {
        self.draining.clone()
    }

    /// Places a new connection: a free worker, a new worker, an evicted one's worker, or
    /// nowhere.
    pub fn dispatch(&self, stream: TcpStream) -> Placement {
        let mut st = self.lock();
        if st.idle + st.evicting > st.queue.len() {
            st.queue.push_back(stream);
            self.work.notify_one();
            return Placement::Queued;
        }
        if st.workers < self.cap.load(Ordering::Relaxed) {
            st.workers += 1;
            let slot = Arc::new(Slot::new());
            st.slots.push(slot.clone());
            return Placement::Spawn(slot, stream);
        }
        if Self::evict_oldest(&st.slots) {
            st.evicting += 1;
            st.queue.push_back(stream);
            return Placement::Queued;
        }
        Placement::Reject(stream)
    }

    /// A spawn that failed: forget its slot.
    pub fn spawn_failed(&self, slot: &Arc<Slot>) {
        let mut st = self.lock();
        st.workers -= 1;
        st.slots.retain(|s| !Arc::ptr_eq(s, slot));
    }

    /// Evicts the longest-expendable connection, if any (also used to free a descriptor
    /// when `accept` runs out of them).
    pub fn evict_one(&self) -> bool {
        let mut st = self.lock();
        let done = Self::evict_oldest(&st.slots);
        if done {
            st.evicting += 1;
        }
        done
    }

    fn evict_oldest(slots: &[Arc<Slot>]) -> bool {
        // Retry if the chosen one turned active between the scan and the eviction.
        for _ in 0..3 {
            let oldest = slots
                .iter()
                .filter_map(|s| s.expendable_since().map(|t| (t, s)))
                .min_by_key(|(t, _)| *t);
            match oldest {
                None => return false,
                Some((t, s)) if s.evict(Some(t)) => return true,
                Some(_) => continue,
            }
        }
        false
    }

    /// Called by a worker whose connection ended; then waits for the next one. `None`: the
    /// worker should exit (idle too long, or draining).
    pub fn next(&self, slot: &Slot) -> Option<TcpStream> {
        let evicted = slot.release();
        let mut st = self.lock();
        if evicted {
            st.evicting -= 1;
        }
        st.idle += 1;
        self.changed.notify_all();
        let deadline = Instant::now() + self.linger;
        loop {
            if let Some(s) = st.queue.pop_front() {
                st.idle -= 1;
                return Some(s);
            }
            let now = Instant::now();
            if self.draining() || now >= deadline {
                st.idle -= 1;
                return None;
            }
            st = self
                .work
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Called by a worker thread as it exits.
    pub fn exit(&self, slot: &Arc<Slot>) {
        let mut st = self.lock();
        st.workers -= 1;
        st.slots.retain(|s| !Arc::ptr_eq(s, slot));
        self.changed.notify_all();
    }

    /// Starts draining: idle connections are closed, idle workers exit, and this waits up
    /// to `grace` for requests in flight. Returns the number of workers still busy.
    pub fn drain(&self, grace: Duration) -> usize {
        self.draining.store(true, Ordering::SeqCst);
        let mut st = self.lock();
        for slot in &st.slots {
            let s = slot.lock();
            if s.phase == SlotPhase::Conn(Phase::Idle) {
                if let Some(stream) = &s.stream {
                    let _ = stream.shutdown(Shutdown::Both);
                }
            }
        }
        // Connections accepted but never picked up are closed unanswered.
        st.queue.clear();
        self.work.notify_all();
        let deadline = Instant::now() + grace;
        while st.workers > st.idle {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            st = self
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        st.workers - st.idle
    }
}
