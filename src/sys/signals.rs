//! The process's stop signals: SIGTERM and SIGINT routed to a flag and to `shutdown(2)` of
//! the listening socket (which wakes a thread blocked in `accept`), and blocked on the
//! threads that must not take them. Not when or how to stop: that is the server's.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use super::{
    __errno_location, pthread_sigmask, shutdown, signal, SigSet, SHUT_RD, SIGINT, SIGTERM,
    SIG_BLOCK, SIG_ERR, SIG_SETMASK,
};

/// SIGTERM and SIGINT as a set.
fn stop_set() -> SigSet {
    let mut set = SigSet([0; 16]);
    set.0[0] = (1 << (SIGTERM - 1)) | (1 << (SIGINT - 1));
    set
}

/// Runs `f` with SIGTERM and SIGINT blocked on the calling thread, then restores its mask:
/// the process's stop signals go to a thread that does not block them (the server's
/// acceptor), and a thread started in `f` inherits the blocked mask.
pub fn with_stop_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    let set = stop_set();
    let mut old = SigSet([0; 16]);
    // SAFETY: both sets are valid for the calls; `old` receives the previous mask, which
    // the second call restores unchanged.
    unsafe { pthread_sigmask(SIG_BLOCK, &set, &mut old) };
    let out = f();
    // SAFETY: as above.
    unsafe { pthread_sigmask(SIG_SETMASK, &old, std::ptr::null_mut()) };
    out
}

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
        // which `watch_listener` registered and `forget_listener` clears before that socket
        // is closed.
        unsafe {
            let errno = __errno_location();
            let saved = *errno;
            shutdown(fd, SHUT_RD);
            *errno = saved;
        }
    }
}

/// Routes SIGTERM and SIGINT to the stop flag (and, once registered, a listener's
/// shutdown). Two `rt_sigaction` calls; idempotent.
pub fn install_stop_hook() -> io::Result<()> {
    for sig in [SIGTERM, SIGINT] {
        let handler = on_signal as extern "C" fn(i32) as usize;
        // SAFETY: `signal` is called with a valid signal number and a handler that only
        // performs async-signal-safe operations (atomics, `shutdown`, errno save/restore).
        if unsafe { signal(sig, handler) } == SIG_ERR {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes the stop hook shut down `fd` (a listening socket) when a signal arrives.
pub fn watch_listener(fd: RawFd) {
    LISTENER.store(fd, Ordering::SeqCst);
}

/// Forgets the listener (call before closing it, so the handler never touches a reused fd).
pub fn forget_listener() {
    LISTENER.store(-1, Ordering::SeqCst);
}

/// True once SIGTERM or SIGINT arrived (after [`install_stop_hook`]).
pub fn stop_requested() -> bool {
    STOPPED.load(Ordering::SeqCst)
}
