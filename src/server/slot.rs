//! The per-worker [`Slot`]: what its connection is doing (its [`SlotPhase`]), shared with
//! the acceptor, so a connection can be evicted to make room only while it is expendable
//! (idle, or still sending its head), never with a request in progress: eviction and a
//! worker's move to `Active` take the same lock, so exactly one wins.
//!
//! It decides nothing: the pool picks whom to evict and when.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

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
    pub(super) fn new() -> Slot {
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
    pub fn enter(&self, phase: Phase, draining: &AtomicBool) -> bool {
        let mut s = self.lock();
        if s.phase == SlotPhase::Evicted
            || (phase == Phase::Idle && draining.load(Ordering::SeqCst))
        {
            return false;
        }
        if phase != Phase::Active {
            s.since = Instant::now();
        }
        s.phase = SlotPhase::Conn(phase);
        true
    }

    /// Detaches the connection; returns whether it had been evicted.
    pub(super) fn release(&self) -> bool {
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

    /// Evicts the longest-expendable of `slots`; `false` if none is expendable.
    pub(super) fn evict_oldest(slots: &[Arc<Slot>]) -> bool {
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

    /// Closes the connection if it waits for a request (the drain).
    pub(super) fn close_if_idle(&self) {
        let s = self.lock();
        if s.phase == SlotPhase::Conn(Phase::Idle) {
            if let Some(stream) = &s.stream {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}
