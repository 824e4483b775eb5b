//! The bounded, elastic worker pool: how many workers there are and how many wait in the
//! [`Room`]. Threads are spawned on demand up to the cap and exit after sitting idle (the
//! last one stays while connections are parked). A connection parks only while a worker
//! waits there or is being freed; else it gets a new worker, else the longest *expendable*
//! connection (a worker's, still idle or sending its head: see [`Slot`]) is evicted for it,
//! else [`Pool::dispatch`] hands it back for the fast 503. The pool also wakes the keeper
//! (`placement.rs`) when every worker is busy while connections are parked, and tells it
//! what each tick saw ([`Watch`]). It does not speak HTTP and starts no thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::blocking::blocked_workers;
use super::room::{Conn, Room, Take};
use super::slot::Slot;

struct State {
    /// Workers waiting in the room.
    waiting: usize,
    /// Live worker threads (including ones being spawned).
    workers: usize,
    /// Evictions whose workers have not come back yet.
    evicting: usize,
    /// Times a worker came back to wait (the keeper's sign of progress).
    returns: u64,
    /// Times a worker found nothing ready and slept (the keeper's sign of no backlog).
    idles: u64,
    /// When parked connections were last checked for `idle`.
    swept: Instant,
    keeper: Keeper,
    slots: Vec<Arc<Slot>>,
}

/// The keeper thread's state (`placement.rs`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keeper {
    /// Not started (nothing was ever parked while every worker was busy).
    Absent,
    /// Sleeping until every worker is busy while connections are parked.
    Asleep,
    /// Checking every tick whether a ready connection waits with nobody free.
    Ticking,
    /// Gone (draining, or it could not start).
    Gone,
}

/// The shared pool. Workers call [`Pool::next`] and [`Pool::exit`]; the acceptor calls
/// [`Pool::dispatch`] and [`Pool::drain`]; the keeper calls [`Pool::watch`].
pub struct Pool {
    state: Mutex<State>,
    /// Signalled when a worker exits or waits while draining.
    changed: Condvar,
    /// The keeper sleeps on this.
    watch: Condvar,
    cap: AtomicUsize,
    linger: Duration,
    /// Parked connections idle this long are closed (zero: never).
    idle: Duration,
    draining: Arc<AtomicBool>,
}

/// What the acceptor (or keeper) should do with a connection.
pub enum Placement {
    /// Parked for a waiting (or freed) worker.
    Parked,
    /// Start a new worker for it with this slot.
    Spawn(Arc<Slot>, Conn),
    /// Nothing can take it: answer 503.
    Reject(Conn),
}

/// What a keeper's tick saw, every worker busy at its end while connections are parked.
pub enum Watch {
    /// No worker came back during the tick: a ready connection may have waited all of it.
    Stuck,
    /// Workers came back and each found a connection ready at once: a backlog. `running`:
    /// the busy workers not inside `fc_runtime::blocking`.
    Backlog { running: usize },
    /// Some worker found nothing ready: no backlog worth a worker.
    Calm,
    /// The pool drains: the keeper leaves.
    Drain,
}

/// A wait in the room longer than this slept (a ready connection is taken in a few µs).
const SLEPT: Duration = Duration::from_micros(30);

/// What a worker does next.
pub enum Next {
    /// Serve this connection.
    Serve(Conn),
    /// Serve it, and start the keeper first: every worker is busy and connections are parked.
    ServeAndKeep(Conn),
    /// Exit.
    Exit,
}

impl Pool {
    /// A pool of at most `cap` workers; idle workers exit after `linger`; parked
    /// connections close after `idle` (zero: never).
    pub fn new(cap: usize, linger: Duration, idle: Duration) -> Pool {
        Pool {
            state: Mutex::new(State {
                waiting: 0,
                workers: 0,
                evicting: 0,
                returns: 0,
                idles: 0,
                swept: Instant::now(),
                keeper: Keeper::Absent,
                slots: Vec::new(),
            }),
            changed: Condvar::new(),
            watch: Condvar::new(),
            cap: AtomicUsize::new(cap.max(1)),
            linger,
            idle,
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

    /// The drain flag, for a slot to read under its lock.
    pub fn draining_flag(&self) -> &AtomicBool {
        &self.draining
    }

    /// The drain flag itself, for an upgraded connection to watch.
    pub fn drain_flag(&self) -> Arc<AtomicBool> {
        self.draining.clone()
    }

    /// Places a connection: parked for a waiting worker, a new worker, parked for an evicted
    /// one's worker, or nowhere. Decided under the pool's lock, so a connection never parks
    /// unseen: either a worker is waiting, or the keeper hears that none is.
    pub fn dispatch(&self, conn: Conn, room: &Room) -> Placement {
        let mut st = self.lock();
        let conn = if st.waiting + st.evicting > 0 {
            match room.park(conn) {
                Ok(()) => return Placement::Parked,
                Err(conn) => conn,
            }
        } else {
            conn
        };
        if st.workers < self.cap.load(Ordering::Relaxed) {
            st.workers += 1;
            let slot = Arc::new(Slot::new());
            st.slots.push(slot.clone());
            return Placement::Spawn(slot, conn);
        }
        if Slot::evict_oldest(&st.slots) {
            st.evicting += 1;
            return match room.park(conn) {
                Ok(()) => Placement::Parked,
                Err(conn) => Placement::Reject(conn),
            };
        }
        Placement::Reject(conn)
    }

    /// A spawn that failed: forget its slot.
    pub fn spawn_failed(&self, slot: &Arc<Slot>) {
        let mut st = self.lock();
        st.workers -= 1;
        st.slots.retain(|s| !Arc::ptr_eq(s, slot));
    }

    /// Frees a descriptor when `accept` runs out of them: closes the longest-parked
    /// connection, else evicts the longest-expendable one.
    pub fn evict_one(&self, room: &Room) -> bool {
        if room.close_oldest() {
            return true;
        }
        let mut st = self.lock();
        let done = Slot::evict_oldest(&st.slots);
        if done {
            st.evicting += 1;
        }
        done
    }

    /// Called by a worker whose connection ended or parked; then waits in the room for the
    /// next connection with bytes, in steps. Every step's worth of time, one worker coming
    /// back closes the connections parked longer than `idle` (under load or not); a worker
    /// exits after `linger` without work, unless it is the last one watching the room.
    pub fn next(&self, slot: &Slot, room: &Room) -> Next {
        let evicted = slot.release();
        let mut st = self.lock();
        if evicted {
            st.evicting -= 1;
        }
        let step = match self.idle.is_zero() {
            true => self.linger,
            false => self
                .linger
                .min((self.idle / 8).max(Duration::from_millis(5))),
        };
        let since = Instant::now();
        loop {
            if self.draining() || !room.open() {
                return Next::Exit;
            }
            st.waiting += 1;
            st.returns = st.returns.wrapping_add(1);
            drop(st);
            let asked = Instant::now();
            let got = room.take(Some(step));
            let now = Instant::now();
            st = self.lock();
            st.waiting -= 1;
            if now - asked > SLEPT {
                st.idles = st.idles.wrapping_add(1);
            }
            if !self.idle.is_zero() && now.saturating_duration_since(st.swept) >= step {
                st.swept = now;
                drop(st);
                // Nothing can have been parked longer than the process has run.
                if let Some(before) = now.checked_sub(self.idle) {
                    room.close_idle(before);
                }
                st = self.lock();
            }
            match got {
                Take::Conn(conn) => {
                    if st.waiting > 0 || room.len() == 0 {
                        return Next::Serve(conn);
                    }
                    return match st.keeper {
                        Keeper::Absent => {
                            st.keeper = Keeper::Ticking;
                            Next::ServeAndKeep(conn)
                        }
                        Keeper::Asleep => {
                            self.watch.notify_one();
                            Next::Serve(conn)
                        }
                        Keeper::Ticking | Keeper::Gone => Next::Serve(conn),
                    };
                }
                Take::Closed => {
                    self.changed.notify_all();
                    return Next::Exit;
                }
                Take::Timeout => {
                    if since.elapsed() >= self.linger && (st.waiting > 0 || room.len() == 0) {
                        return Next::Exit;
                    }
                }
            }
        }
    }

    /// The keeper could not start: nobody ticks.
    pub fn keeper_failed(&self) {
        self.lock().keeper = Keeper::Gone;
    }

    /// The keeper's wait: sleeps while a worker waits in the room or nothing is parked;
    /// otherwise waits one `tick` and says what it saw ([`Watch`]).
    pub fn watch(&self, room: &Room, tick: Duration) -> Watch {
        let mut st = self.lock();
        loop {
            if self.draining() {
                st.keeper = Keeper::Gone;
                return Watch::Drain;
            }
            if st.waiting == 0 && room.len() > 0 {
                st.keeper = Keeper::Ticking;
                let seen = (st.returns, st.idles);
                st = self
                    .watch
                    .wait_timeout(st, tick)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                if st.waiting == 0 && room.len() > 0 && !self.draining() {
                    let blocked = blocked_workers();
                    return match (st.returns == seen.0, st.idles == seen.1) {
                        (true, _) => Watch::Stuck,
                        (false, true) => Watch::Backlog {
                            running: (st.workers - st.waiting).saturating_sub(blocked),
                        },
                        (false, false) => Watch::Calm,
                    };
                }
            } else {
                st.keeper = Keeper::Asleep;
                st = self.watch.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    /// Called by a worker thread as it exits.
    pub fn exit(&self, slot: &Arc<Slot>) {
        let mut st = self.lock();
        st.workers -= 1;
        st.slots.retain(|s| !Arc::ptr_eq(s, slot));
        self.changed.notify_all();
    }

    /// Starts draining: parked connections are closed, waiting workers and the keeper
    /// leave, workers' idle connections are closed, and this waits up to `grace` for
    /// requests in flight. Returns the number of workers still busy.
    pub fn drain(&self, grace: Duration, room: &Room) -> usize {
        self.draining.store(true, Ordering::SeqCst);
        room.close();
        let mut st = self.lock();
        self.watch.notify_all();
        for slot in &st.slots {
            slot.close_if_idle();
        }
        let deadline = Instant::now() + grace;
        while st.workers > st.waiting {
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
        st.workers - st.waiting
    }
}
