//! [`BodyBudget`]: one shared cap on the request-body bytes that all requests in flight may
//! be receiving at once, so that `workers × max body` cannot exhaust a small instance.
//!
//! A `Content-Length` body is reserved whole before its handler runs; a chunked body is
//! reserved chunk by chunk before each chunk is read. When the budget is spent a reservation
//! waits a short, fixed time for others to finish, then fails (the connection loop answers
//! 503). Reservations are released when the exchange ends. It creates no threads and holds
//! no lock on the fast path (one atomic compare-and-swap); it does not know what the bytes
//! are used for, so a handler that streams its body is charged like one that buffers it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A byte budget shared by every connection of a server.
#[derive(Debug)]
pub struct BodyBudget {
    total: AtomicU64,
    used: AtomicU64,
    wait: Duration,
    waiters: AtomicUsize,
    lock: Mutex<()>,
    freed: Condvar,
}

impl BodyBudget {
    /// A budget of `total` bytes; a reservation that does not fit waits up to `wait`.
    pub fn new(total: u64, wait: Duration) -> BodyBudget {
        BodyBudget {
            total: AtomicU64::new(total),
            used: AtomicU64::new(0),
            wait,
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            freed: Condvar::new(),
        }
    }

    /// The budget in bytes.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }

    /// Bytes reserved right now.
    #[cfg(test)]
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }

    /// Lowers the budget to `total` (never raises it). Reservations already held stay valid.
    pub fn shrink_to(&self, total: u64) {
        self.total.fetch_min(total, Ordering::SeqCst);
    }

    /// Reserves `n` bytes, waiting up to the configured time for them. `false`: they did not
    /// become free in time (or `n` exceeds the whole budget).
    pub fn reserve(&self, n: u64) -> bool {
        if n == 0 || self.try_take(n) {
            return true;
        }
        if n > self.total() || self.wait.is_zero() {
            return false;
        }
        let deadline = Instant::now() + self.wait;
        let mut guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let ok = loop {
            if self.try_take(n) {
                break true;
            }
            let now = Instant::now();
            if now >= deadline {
                break false;
            }
            guard = match self.freed.wait_timeout(guard, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        ok
    }

    /// Gives back `n` reserved bytes and wakes anyone waiting.
    pub fn release(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.used.fetch_sub(n, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            // Taking the lock orders this wake-up after a waiter's failed check.
            let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            self.freed.notify_all();
        }
    }

    fn try_take(&self, n: u64) -> bool {
        let total = self.total();
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(n).filter(|&u| u <= total)
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn reserve_release_table() {
        // (budget, held before, ask, granted)
        let cases = [
            (100, 0, 0, true),
            (100, 0, 100, true),
            (100, 0, 101, false),
            (100, 60, 40, true),
            (100, 60, 41, false),
            (100, 100, 1, false),
            (u64::MAX, u64::MAX - 1, 2, false),
        ];
        for (total, held, ask, granted) in cases {
            let b = BodyBudget::new(total, Duration::ZERO);
            assert!(b.reserve(held));
            assert_eq!(b.reserve(ask), granted, "{total} {held} {ask}");
            let expect = held + if granted { ask } else { 0 };
            assert_eq!(b.used(), expect);
            b.release(expect);
            assert_eq!(b.used(), 0);
        }
    }

    #[test]
    fn shrink_never_raises() {
        let b = BodyBudget::new(100, Duration::ZERO);
        b.shrink_to(200);
        assert_eq!(b.total(), 100);
        b.shrink_to(10);
        assert_eq!(b.total(), 10);
        assert!(!b.reserve(11));
    }

    #[test]
    fn a_waiter_gets_bytes_released_in_time() {
        let b = Arc::new(BodyBudget::new(10, Duration::from_secs(10)));
        assert!(b.reserve(10));
        let b2 = b.clone();
        let t = thread::spawn(move || b2.reserve(5));
        thread::sleep(Duration::from_millis(50));
        b.release(10);
        assert!(t.join().unwrap());
        assert_eq!(b.used(), 5);
    }

    #[test]
    fn a_waiter_gives_up_after_the_wait() {
        let b = BodyBudget::new(10, Duration::from_millis(30));
        assert!(b.reserve(10));
        let t0 = Instant::now();
        assert!(!b.reserve(1));
        assert!(t0.elapsed() >= Duration::from_millis(30));
        assert_eq!(b.used(), 10);
    }
}
