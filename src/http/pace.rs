//! Minimum-rate rules, so a client that trickles its body, or reads its answer a few bytes
//! at a time, cannot hold a worker for long (slowhttptest's slow-body and slow-read attacks).
//!
//! [`Pace`] (request bodies): from the first read, after a grace period, the body must have
//! averaged `min_rate` bytes per second. [`Window`] (responses): every window must move
//! `min_rate × window` bytes. Writes need the stricter per-window form because the kernel's
//! send buffer swallows the first megabytes at once, which would buy a whole-response
//! average hours of credit. Both say how long the next blocking call may take, so the rule
//! is enforced on time. No I/O, no sockets: callers turn the answer into a socket timeout.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// How long a transfer runs before its average rate is checked.
pub const RATE_GRACE: Duration = Duration::from_secs(10);

/// The transfer fell below its minimum average rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooSlow;

/// Progress of one transfer against a minimum average rate.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    min_rate: u64,
    grace: Duration,
    start: Option<Instant>,
    bytes: u64,
}

impl Pace {
    /// At least `min_rate` bytes per second after `grace`; 0: no rule.
    pub fn new(min_rate: u64, grace: Duration) -> Pace {
        Pace {
            min_rate,
            grace,
            start: None,
            bytes: 0,
        }
    }

    /// Starts over (a new exchange on the same connection).
    #[cfg(test)]
    pub fn reset(&mut self) {
        self.start = None;
        self.bytes = 0;
    }

    /// Counts `n` bytes moved.
    pub fn add(&mut self, n: usize) {
        self.bytes += n as u64;
    }

    /// How long the next blocking call may take at most (`None`: no rule), starting the clock
    /// on first use. `Some(ZERO)`: the transfer is already too slow.
    pub fn left(&mut self, now: Instant) -> Option<Duration> {
        if self.min_rate == 0 {
            return None;
        }
        let start = *self.start.get_or_insert(now);
        let earned = Duration::from_secs_f64(self.bytes as f64 / self.min_rate as f64);
        Some((start + self.grace.max(earned)).saturating_duration_since(now))
    }

    /// The timeout for the next blocking call: `stall` (`None`: none), shortened when the
    /// rate deadline comes first. [`TooSlow`] once the deadline has passed.
    ///
    /// The deadline is rounded up to tenths of a second, so the socket timeout (applied
    /// only when its value changes) is set at most ten times a second, not before every
    /// read of a large body.
    pub fn timeout(&mut self, stall: Option<Duration>) -> Result<Option<Duration>, TooSlow> {
        match self.left(Instant::now()) {
            None => Ok(stall),
            Some(left) if left.is_zero() => Err(TooSlow),
            Some(left) => {
                let left = tenths_up(left);
                Ok(Some(stall.map_or(left, |s| s.min(left))))
            }
        }
    }
}

/// Progress of a response, window by window. Interior mutability: the writer and the
/// connection's hooks (which start a new window per exchange) share it on one thread.
#[derive(Debug)]
pub struct Window {
    len: Option<Duration>,
    need: u64,
    start: Cell<Option<Instant>>,
    bytes: Cell<u64>,
}

impl Window {
    /// Windows of `len` (zero: no rule, no timeout) that must each move `min_rate × len`.
    pub fn new(len: Duration, min_rate: u64) -> Window {
        Window {
            len: Some(len).filter(|l| !l.is_zero()),
            need: (min_rate as f64 * len.as_secs_f64()) as u64,
            start: Cell::new(None),
            bytes: Cell::new(0),
        }
    }

    /// A new exchange: its answer starts a fresh window at its first write.
    pub fn reset(&self) {
        self.start.set(None);
        self.bytes.set(0);
    }

    /// Counts `n` bytes written.
    pub fn add(&self, n: usize) {
        self.bytes.set(self.bytes.get() + n as u64);
    }

    /// Before a write at `now`: closes a window that has run out (too little progress:
    /// [`TooSlow`]) and says how long the write may block, rounded up to tenths of a second
    /// so the value only changes a few times a second (`None`: no limit).
    pub fn before_write(&self, now: Instant) -> Result<Option<Duration>, TooSlow> {
        let Some(len) = self.len else {
            return Ok(None);
        };
        let mut start = self.start.get().unwrap_or(now);
        if now.duration_since(start) >= len {
            if self.bytes.get() < self.need {
                return Err(TooSlow);
            }
            start = now;
            self.bytes.set(0);
        }
        self.start.set(Some(start));
        Ok(Some(tenths_up(
            (start + len).saturating_duration_since(now),
        )))
    }
}

/// `d` rounded up to a whole tenth of a second (at least one).
/// `d` rounded up to whole tenths of a second (at least one): a timeout that changes only
/// ten times a second costs a `setsockopt` only that often.
pub(crate) fn tenths_up(d: Duration) -> Duration {
    Duration::from_millis((d.as_millis() as u64).div_ceil(100).max(1) * 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_table() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // 1 s windows at 1,000 B/s: each must move 1,000 bytes.
        // (steps of (ms since start, bytes written before it), expected last answer)
        type Row = (&'static [(u64, usize)], Result<Option<Duration>, TooSlow>);
        let cases: &[Row] = &[
            (&[(0, 0)], Ok(Some(ms(1000)))),
            (&[(0, 0), (250, 10)], Ok(Some(ms(800)))),
            // a window that moved enough starts the next one
            (&[(0, 0), (1000, 5000)], Ok(Some(ms(1000)))),
            (&[(0, 0), (1000, 5000), (2100, 999)], Err(TooSlow)),
            (&[(0, 0), (999, 999)], Ok(Some(ms(100)))),
            (&[(0, 0), (1000, 999)], Err(TooSlow)),
        ];
        for (steps, want) in cases {
            let w = Window::new(ms(1000), 1000);
            let mut got = Ok(None);
            for &(at, bytes) in *steps {
                w.add(bytes);
                got = w.before_write(t0 + ms(at));
            }
            assert_eq!(got, *want, "{steps:?}");
        }
        let off = Window::new(Duration::ZERO, 1000);
        assert_eq!(off.before_write(t0), Ok(None));
        // reset: idle time between exchanges never counts
        let w = Window::new(ms(1000), 1000);
        w.before_write(t0).unwrap();
        w.reset();
        assert_eq!(w.before_write(t0 + ms(5000)), Ok(Some(ms(1000))));
    }

    #[test]
    fn deadline_table() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        // (min rate, bytes moved, seconds since start, time left)
        let cases = [
            (0, 0, 100, None),
            (1000, 0, 0, Some(s(10))),
            (1000, 0, 10, Some(s(0))),
            (1000, 9_000, 9, Some(s(1))),
            (1000, 20_000, 12, Some(s(8))),
            (1000, 20_000, 25, Some(s(0))),
        ];
        for (rate, bytes, at, want) in cases {
            let mut p = Pace::new(rate, RATE_GRACE);
            assert_eq!(p.left(t0).map(|_| ()), (rate > 0).then_some(()));
            p.add(bytes);
            assert_eq!(p.left(t0 + s(at)), want, "{rate} {bytes} {at}");
            p.reset();
            assert_eq!(p.left(t0 + s(at)), (rate > 0).then_some(s(10)));
        }
    }

    #[test]
    fn timeout_is_the_sooner_deadline() {
        let mut p = Pace::new(1000, Duration::from_secs(10));
        let t = p.timeout(Some(Duration::from_secs(30))).unwrap().unwrap();
        assert_eq!(t, Duration::from_secs(10), "rounded up to tenths");
        let t = p.timeout(Some(Duration::from_secs(1))).unwrap();
        assert_eq!(t, Some(Duration::from_secs(1)));
        let mut off = Pace::new(0, Duration::ZERO);
        assert_eq!(off.timeout(None), Ok(None));
        let mut spent = Pace::new(1000, Duration::ZERO);
        assert_eq!(spent.timeout(None), Err(TooSlow));
    }
}
