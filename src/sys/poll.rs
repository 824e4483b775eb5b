//! The kernel's readiness set (`epoll(7)`) with a wake-up descriptor (`eventfd(2)`): where
//! keep-alive connections wait between requests instead of each holding a blocked thread.
//!
//! Each connection is armed one-shot (`EPOLLONESHOT`): when bytes (or its end) arrive, the
//! kernel hands it to exactly one waiting thread, in the order connections became ready,
//! and it stays quiet until armed again. The wake-up descriptor is level-triggered and never
//! read: once signalled, every waiter, present and future, returns at once (the drain).
//! What a token means and who owns a connection is the caller's business.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

extern "C" {
    fn epoll_create1(flags: i32) -> i32;
    fn epoll_ctl(epfd: i32, op: i32, fd: i32, event: *mut EpollEvent) -> i32;
    fn epoll_wait(epfd: i32, events: *mut EpollEvent, maxevents: i32, timeout: i32) -> i32;
    fn eventfd(initval: u32, flags: i32) -> i32;
}

/// `struct epoll_event`: packed on x86_64 (12 bytes), naturally aligned elsewhere.
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
#[derive(Clone, Copy)]
struct EpollEvent {
    events: u32,
    data: u64,
}

const EPOLL_CLOEXEC: i32 = 0o2_000_000;
const EFD_CLOEXEC: i32 = 0o2_000_000;
const EFD_NONBLOCK: i32 = 0o4_000;
const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CTL_MOD: i32 = 3;
const EPOLLIN: u32 = 0x001;
const EPOLLRDHUP: u32 = 0x2000;
const EPOLLONESHOT: u32 = 1 << 30;
const ENOENT: i32 = 2;

/// The token the wake-up descriptor reports.
const WAKE: u64 = u64::MAX;

/// What [`Readiness::wait`] saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Ready {
    /// The connection armed with this token has bytes, or ended.
    Token(u64),
    /// [`Readiness::wake_all`] was called.
    Woken,
    /// Nothing within the timeout (or a signal interrupted the wait).
    Nothing,
}

/// An epoll set plus its wake-up descriptor.
pub struct Readiness {
    epoll: OwnedFd,
    wake: File,
}

fn check(r: i32) -> io::Result<i32> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl Readiness {
    /// A new, empty set (three system calls).
    pub fn new() -> io::Result<Readiness> {
        // SAFETY: plain integer arguments; on success the result is a new descriptor that
        // nothing else owns, so wrapping it in `OwnedFd` is sound.
        let epoll = unsafe { OwnedFd::from_raw_fd(check(epoll_create1(EPOLL_CLOEXEC))?) };
        // SAFETY: as above, for the event counter.
        let wake = unsafe { File::from_raw_fd(check(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))?) };
        let set = Readiness { epoll, wake };
        set.ctl(EPOLL_CTL_ADD, set.wake.as_raw_fd(), EPOLLIN, WAKE)?;
        Ok(set)
    }

    fn ctl(&self, op: i32, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut ev = EpollEvent {
            events,
            data: token,
        };
        // SAFETY: `ev` is a valid event for the duration of the call; the kernel copies it.
        // A stale or foreign `fd` makes the call fail, it cannot corrupt memory.
        check(unsafe { epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut ev) }).map(drop)
    }

    /// Arms `fd` once: the next time it is readable (or its peer hangs up), one waiter gets
    /// `token`. Re-arms a descriptor already in the set.
    pub fn arm(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
        match self.ctl(EPOLL_CTL_MOD, fd, events, token) {
            Err(e) if e.raw_os_error() == Some(ENOENT) => {
                self.ctl(EPOLL_CTL_ADD, fd, events, token)
            }
            r => r,
        }
    }

    /// Waits up to `timeout` (`None`: forever) for one ready descriptor.
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<Ready> {
        let ms = match timeout {
            None => -1,
            // Rounded up, so a short wait is never a busy loop of zero-timeouts.
            Some(t) => t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32,
        };
        let mut ev = EpollEvent { events: 0, data: 0 };
        // SAFETY: `ev` is valid, writable room for exactly the one event asked for.
        let n = unsafe { epoll_wait(self.epoll.as_raw_fd(), &mut ev, 1, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::Interrupted => Ok(Ready::Nothing),
                _ => Err(e),
            };
        }
        let data = ev.data;
        Ok(match n {
            0 => Ready::Nothing,
            _ if data == WAKE => Ready::Woken,
            _ => Ready::Token(data),
        })
    }

    /// Wakes every waiter, now and from now on.
    pub fn wake_all(&self) {
        let _ = (&self.wake).write(&1u64.to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn event_layout_is_the_kernels() {
        let want = if cfg!(target_arch = "x86_64") { 12 } else { 16 };
        assert_eq!(std::mem::size_of::<EpollEvent>(), want);
    }

    #[test]
    fn one_shot_tokens_and_the_wake() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        let set = Readiness::new().unwrap();
        let short = Some(Duration::from_millis(20));
        set.arm(s.as_raw_fd(), 7).unwrap();
        assert_eq!(set.wait(short).unwrap(), Ready::Nothing, "no bytes yet");
        c.write_all(b"x").unwrap();
        assert_eq!(set.wait(short).unwrap(), Ready::Token(7));
        assert_eq!(
            set.wait(short).unwrap(),
            Ready::Nothing,
            "one-shot: disarmed"
        );
        set.arm(s.as_raw_fd(), 8).unwrap(); // re-armed, bytes still unread
        assert_eq!(set.wait(short).unwrap(), Ready::Token(8));
        drop(c);
        set.arm(s.as_raw_fd(), 9).unwrap(); // the peer's end is readiness too
        assert_eq!(set.wait(short).unwrap(), Ready::Token(9));
        set.wake_all();
        for _ in 0..3 {
            assert_eq!(set.wait(None).unwrap(), Ready::Woken, "level-triggered");
        }
    }
}
