//! The waiting room: keep-alive connections between requests (and new ones not yet picked
//! up) wait here, armed in the kernel's readiness set, instead of each holding a worker
//! blocked in `read`. A worker that comes back to the room takes the next connection that
//! has bytes, one at a time, in the order they became ready; under load it finds one ready
//! and never sleeps, so requests cost no thread hand-off and are served in arrival order.
//!
//! The room owns what is parked in it (the socket and the timeouts in force on it), indexed
//! by descriptor; a token carries the descriptor and a generation, so a late readiness report
//! for a connection that was closed meanwhile is ignored. It closes what the server asks
//! (idle too long, the oldest to free a descriptor, all at the drain). It does not speak
//! HTTP or decide how many workers there are: that is the pool's.

use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::sys;
use crate::sys::poll::{Readiness, Ready};

/// A connection between turns on a worker: the socket and the timeouts in force on it (so a
/// new turn sets none it already has).
pub(super) struct Conn {
    pub(super) stream: Arc<TcpStream>,
    pub(super) read_timeout: Option<Option<Duration>>,
    pub(super) write_timeout: Option<Option<Duration>>,
}

impl Conn {
    /// A connection just accepted (answers are not held back by Nagle's algorithm).
    pub(super) fn new(stream: TcpStream) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn {
            stream: Arc::new(stream),
            read_timeout: None,
            write_timeout: None,
        }
    }
}

struct Entry {
    conn: Conn,
    generation: u32,
    since: Instant,
}

#[derive(Default)]
struct Entries {
    by_fd: Vec<Option<Entry>>,
    generation: u32,
}

/// What a wait in the room gave.
pub(super) enum Take {
    /// A connection with bytes to read (or whose peer hung up).
    Conn(Conn),
    /// Nothing became ready within the wait.
    Timeout,
    /// The room is closed (the drain), or cannot exist: stop waiting in it.
    Closed,
}

/// Connections waiting for their next request.
#[derive(Default)]
pub(super) struct Room {
    /// Made on first use (after the first answer: not on the cold-start path); `None` if
    /// the kernel refused one, and then nothing parks.
    set: OnceLock<Option<Readiness>>,
    entries: Mutex<Entries>,
    parked: AtomicUsize,
    closed: AtomicBool,
}

impl Room {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self) -> Option<&Readiness> {
        self.set
            .get_or_init(|| match Readiness::new() {
                Ok(set) => Some(set),
                Err(e) => {
                    log::warn!("no readiness set ({e}): idle connections hold their workers");
                    None
                }
            })
            .as_ref()
    }

    /// True while connections can park here.
    pub(super) fn open(&self) -> bool {
        !self.closed.load(Ordering::Relaxed) && self.set().is_some()
    }

    /// How many connections are parked.
    pub(super) fn len(&self) -> usize {
        self.parked.load(Ordering::SeqCst)
    }

    /// Parks `conn` until it has bytes; gives it back if the room is closed or cannot arm it.
    pub(super) fn park(&self, conn: Conn) -> Result<(), Conn> {
        let Some(set) = self.set() else {
            return Err(conn);
        };
        let fd = conn.stream.as_raw_fd();
        let Ok(slot) = usize::try_from(fd) else {
            return Err(conn);
        };
        let generation = {
            let mut e = self.lock();
            if self.closed.load(Ordering::SeqCst) {
                return Err(conn);
            }
            e.generation = e.generation.wrapping_add(1);
            let generation = e.generation;
            if e.by_fd.len() <= slot {
                e.by_fd.resize_with(slot + 1, || None);
            }
            e.by_fd[slot] = Some(Entry {
                conn,
                generation,
                since: Instant::now(),
            });
            self.parked.fetch_add(1, Ordering::SeqCst);
            generation
        };
        match set.arm(fd, u64::from(generation) << 32 | slot as u64) {
            Ok(()) => Ok(()),
            Err(e) => {
                log::warn!("cannot watch an idle connection: {e}; closing it");
                match self.remove(slot, generation) {
                    Some(conn) => Err(conn),
                    None => Ok(()),
                }
            }
        }
    }

    /// Takes out the entry at `slot` if it is still of this generation.
    fn remove(&self, slot: usize, generation: u32) -> Option<Conn> {
        let mut e = self.lock();
        let place = e.by_fd.get_mut(slot)?;
        if place.as_ref()?.generation != generation {
            return None;
        }
        let entry = place.take()?;
        self.parked.fetch_sub(1, Ordering::SeqCst);
        Some(entry.conn)
    }

    /// Waits up to `timeout` for the next connection with bytes.
    pub(super) fn take(&self, timeout: Option<Duration>) -> Take {
        if self.closed.load(Ordering::SeqCst) {
            return Take::Closed;
        }
        let Some(set) = self.set() else {
            return Take::Closed;
        };
        loop {
            match set.wait(timeout) {
                Ok(Ready::Token(t)) => {
                    let (slot, generation) = ((t & 0xffff_ffff) as usize, (t >> 32) as u32);
                    if let Some(conn) = self.remove(slot, generation) {
                        return Take::Conn(conn);
                    }
                    // Closed meanwhile (idle, evicted, drained): not ours to serve.
                }
                Ok(Ready::Nothing) => return Take::Timeout,
                Ok(Ready::Woken) => return Take::Closed,
                Err(e) => {
                    log::warn!("waiting for idle connections failed: {e}");
                    return Take::Closed;
                }
            }
        }
    }

    /// Closes the connections parked before `before`.
    pub(super) fn close_idle(&self, before: Instant) -> usize {
        let gone = self.take_where(|e| e.since < before);
        gone.len()
    }

    /// Closes the connection parked longest that has no request waiting (one whose bytes
    /// arrived is about to be taken: closing it would lose a request a client sent);
    /// `false` if none is.
    pub(super) fn close_oldest(&self) -> bool {
        let mut e = self.lock();
        // Oldest first, peeking only until one is idle (usually the first): not a system
        // call per parked connection under the lock, on a path a connection flood takes.
        let mut waiting: Vec<usize> = Vec::new();
        let idle = loop {
            let oldest = (e.by_fd.iter().enumerate())
                .filter(|(slot, x)| x.is_some() && !waiting.contains(slot))
                .min_by_key(|(_, x)| x.as_ref().map(|x| x.since));
            match oldest {
                None => break None,
                Some((slot, Some(x))) if sys::bytes_waiting(x.conn.stream.as_raw_fd()) => {
                    waiting.push(slot)
                }
                Some((slot, _)) => break Some(slot),
            }
        };
        match idle.and_then(|slot| e.by_fd[slot].take()) {
            Some(entry) => {
                self.parked.fetch_sub(1, Ordering::SeqCst);
                drop(e);
                drop(entry);
                true
            }
            None => false,
        }
    }

    /// Closes the room: every parked connection is closed, every waiter returns, and
    /// nothing parks any more.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.take_where(|_| true);
        if let Some(Some(set)) = self.set.get() {
            set.wake_all();
        }
    }

    /// Takes out (and so closes, once dropped outside the lock) the entries `f` picks.
    fn take_where(&self, f: impl Fn(&Entry) -> bool) -> Vec<Entry> {
        let mut gone = Vec::new();
        let mut e = self.lock();
        for place in e.by_fd.iter_mut() {
            if place.as_ref().is_some_and(&f) {
                gone.extend(place.take());
            }
        }
        self.parked.fetch_sub(gone.len(), Ordering::SeqCst);
        drop(e);
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn pair(l: &TcpListener) -> (TcpStream, Conn) {
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        (c, Conn::new(l.accept().unwrap().0))
    }

    fn taken(room: &Room) -> Option<Conn> {
        match room.take(Some(Duration::from_millis(50))) {
            Take::Conn(c) => Some(c),
            _ => None,
        }
    }

    #[test]
    fn connections_come_back_in_the_order_they_got_bytes() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let room = Room::default();
        let (mut a, ca) = pair(&l);
        let (mut b, cb) = pair(&l);
        let (fa, fb) = (ca.stream.as_raw_fd(), cb.stream.as_raw_fd());
        assert!(room.park(ca).is_ok() && room.park(cb).is_ok());
        assert_eq!(room.len(), 2);
        assert!(taken(&room).is_none(), "idle connections are not ready");
        b.write_all(b"b").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        a.write_all(b"a").unwrap();
        let first = taken(&room).unwrap();
        let second = taken(&room).unwrap();
        assert_eq!(
            (
                first.stream.as_raw_fd(),
                second.stream.as_raw_fd(),
                room.len()
            ),
            (fb, fa, 0)
        );
        let mut byte = [0u8];
        (&*second.stream).read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"a");
    }

    #[test]
    fn closing_idle_oldest_and_all() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let room = Room::default();
        let (mut a, ca) = pair(&l);
        assert!(room.park(ca).is_ok());
        let cut = Instant::now();
        let (mut b, cb) = pair(&l);
        assert!(room.park(cb).is_ok());
        assert_eq!(
            room.close_idle(cut),
            1,
            "only the one parked before the cut"
        );
        let mut buf = [0u8];
        assert_eq!(
            a.read(&mut buf).unwrap(),
            0,
            "closed: the client reads its end"
        );
        assert!(room.close_oldest() && !room.close_oldest());
        assert_eq!(b.read(&mut buf).unwrap(), 0);
        let (_c, cc) = pair(&l);
        assert!(room.park(cc).is_ok());
        room.close();
        assert_eq!(room.len(), 0);
        assert!(
            matches!(room.take(None), Take::Closed),
            "waiters leave a closed room"
        );
        let (_d, cd) = pair(&l);
        assert!(room.park(cd).is_err(), "nothing parks in a closed room");
    }

    #[test]
    fn freeing_a_descriptor_never_closes_a_connection_with_a_request_waiting() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let room = Room::default();
        // (parked oldest first: what its client did; whether it is the one closed)
        let table: [(&[u8], bool); 3] = [(b"GET / HTTP/1.1\r\n", false), (b"", true), (b"", false)];
        let mut clients = Vec::new();
        for (sent, _) in table {
            let (mut c, conn) = pair(&l);
            c.write_all(sent).unwrap();
            assert!(room.park(conn).is_ok());
            clients.push(c);
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(5));
        assert!(room.close_oldest());
        for (c, (sent, closed)) in clients.iter_mut().zip(table) {
            c.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            let ended = matches!(c.read(&mut [0u8; 8]), Ok(0));
            assert_eq!(ended, closed, "sent {sent:?}");
        }
        assert_eq!(room.len(), 2);
        assert!(room.close_oldest(), "the newer idle one");
        assert!(!room.close_oldest(), "only the one with a request is left");
        assert_eq!(room.len(), 1);
    }

    #[test]
    fn a_stale_report_is_not_served() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let room = Room::default();
        let (mut a, ca) = pair(&l);
        assert!(room.park(ca).is_ok());
        a.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        // Closed between the readiness report and the take: the report is stale.
        assert_eq!(room.close_idle(Instant::now()), 1);
        assert!(taken(&room).is_none());
    }
}
