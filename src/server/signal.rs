//! The SIGTERM/SIGINT hook, and the only module with `unsafe` code.
//!
//! It also sends SIGTERM to another process ([`terminate`]), for tools that supervise a
//! function process.
//!
//! The handler does two async-signal-safe things: it sets a flag and calls `shutdown(2)` on
//! the listening socket, which on Linux wakes a thread blocked in `accept` (it returns
//! `EINVAL`) and refuses new connections. No thread, pipe or polling is needed, so the hook
//! costs two `rt_sigaction` calls at start-up. It declares the three libc functions it
//! needs itself (the project takes no libc crate). It does not drain anything: the server
//! sees the flag and does that.

#![allow(unsafe_code)]

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
    fn shutdown(fd: i32, how: i32) -> i32;
    fn __errno_location() -> *mut i32;
    fn kill(pid: i32, sig: i32) -> i32;
}

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
const SHUT_RD: i32 = 0;
const SIG_ERR: usize = usize::MAX;

/// The listening socket the handler shuts down (-1: none).
static LISTENER: AtomicI32 = AtomicI32::new(-1);
/// Set once a stop signal arrived.
static STOPPED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: i32) {
    STOPPED.store(true, Ordering::SeqCst);
    let fd = LISTENER.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: `__errno_location` returns this thread's errno slot, valid for the life of
        // the thread; saving and restoring it keeps the interrupted code's errno intact.
        // `shutdown` is async-signal-safe (POSIX) and only affects the socket behind `fd`,
        // which `install` registered and `uninstall` clears before that socket is closed.
        unsafe {
            let errno = __errno_location();
            let saved = *errno;
            shutdown(fd, SHUT_RD);
            *errno = saved;
        }
    }
}

/// Routes SIGTERM and SIGINT to a graceful stop of `listener`'s accept loop.
pub fn install(listener: &TcpListener) -> std::io::Result<()> {
    LISTENER.store(listener.as_raw_fd(), Ordering::SeqCst);
    for sig in [SIGTERM, SIGINT] {
        let handler = on_signal as extern "C" fn(i32) as usize;
        // SAFETY: `signal` is called with a valid signal number and a handler that only
        // performs async-signal-safe operations (atomics, `shutdown`, errno save/restore).
        if unsafe { signal(sig, handler) } == SIG_ERR {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Forgets the listener (call before closing it, so the handler never touches a reused fd).
pub fn uninstall() {
    LISTENER.store(-1, Ordering::SeqCst);
}

/// True once SIGTERM or SIGINT arrived.
pub fn stop_requested() -> bool {
    STOPPED.load(Ordering::SeqCst)
}

/// Sends SIGTERM to process `pid`: the platform's stop request, for tools that supervise a
/// function process (`fc-local`). Refuses pids that `kill(2)` would read as a group.
pub fn terminate(pid: u32) -> std::io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad pid"))?;
    // SAFETY: `kill` takes plain integers and has no memory effects; a positive pid names
    // one process, never a process group.
    if unsafe { kill(pid, SIGTERM) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Wakes a thread blocked in `accept` on `listener` and stops it accepting (the same
/// `shutdown` the signal handler does, for programmatic stops).
pub fn wake(listener: &TcpListener) {
    // SAFETY: the fd is valid for as long as `listener` is borrowed; `shutdown` has no
    // memory effects.
    unsafe {
        shutdown(listener.as_raw_fd(), SHUT_RD);
    }
}
