//! Every call into the C library that std does not wrap, and the only module allowed
//! `unsafe` code (`#![deny(unsafe_code)]` holds everywhere else). Each block says why it is
//! sound in a `// SAFETY:` comment.
//!
//! What is here: the SIGTERM/SIGINT hook (a flag plus `shutdown(2)` of the listening
//! socket, which wakes a thread blocked in `accept`), signals to processes and process
//! groups, waiting for children without and with reaping (`waitid` with `WNOWAIT`,
//! `waitpid`), and the parent-death signal a child sets between `fork` and `exec`; in
//! [`entry`], the process entry point that skips std's runtime set-up; in [`poll`], the
//! readiness set (`epoll`) idle connections wait in; in [`spawn`], starting a program
//! without a `fork` (exec mode's app); in [`diag`], whether something listens on a port,
//! asked of the kernel.
//! The project takes no `libc` crate: the few functions are declared here, with the
//! x86_64/aarch64 Linux constants they need. Nothing here decides policy; the server and
//! the `process` module do.

#![allow(unsafe_code)]

pub(crate) mod diag;
pub(crate) mod entry;
pub(crate) mod poll;
pub(crate) mod spawn;

use std::io;
use std::os::fd::RawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
    fn shutdown(fd: i32, how: i32) -> i32;
    fn __errno_location() -> *mut i32;
    fn kill(pid: i32, sig: i32) -> i32;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    fn waitid(idtype: u32, id: u32, info: *mut SigInfo, options: i32) -> i32;
    fn getppid() -> i32;
    fn prctl(option: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> i32;
    fn recv(fd: i32, buf: *mut u8, len: usize, flags: i32) -> isize;
    fn write(fd: i32, buf: *const u8, len: usize) -> isize;
    fn pthread_sigmask(how: i32, set: *const SigSet, old: *mut SigSet) -> i32;
    fn sched_getaffinity(pid: i32, size: usize, mask: *mut u64) -> i32;
    fn gettid() -> i32;
    fn getpid() -> i32;
}

/// True on the process's main thread (its thread id is the process id). std's thread name
/// cannot say so after `entry!`, which skips the runtime set-up that names it.
pub fn is_main_thread() -> bool {
    // SAFETY: both calls take no arguments, cannot fail and touch no memory of ours.
    unsafe { gettid() == getpid() }
}

/// CPUs this process may run on: its affinity mask (`taskset`), 1 if unknown. (std's
/// `available_parallelism` also reads cgroup quotas, at the cost of ~14 KB of binary.)
pub fn cpus() -> usize {
    let mut mask = [0u64; 16];
    // SAFETY: `mask` is valid, writable room for 1024 CPU bits, the size passed.
    let r = unsafe { sched_getaffinity(0, std::mem::size_of_val(&mask), mask.as_mut_ptr()) };
    match r {
        0 => mask
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
            .max(1),
        _ => 1,
    }
}

/// `sigset_t` as the C library lays it out on Linux (1024 bits).
#[repr(C)]
#[derive(Clone, Copy)]
struct SigSet([u64; 16]);

const SIG_BLOCK: i32 = 0;
const SIG_SETMASK: i32 = 2;

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

/// SIGINT.
pub const SIGINT: i32 = 2;
const SIGPIPE: i32 = 13;
/// SIGKILL.
pub const SIGKILL: i32 = 9;
/// SIGTERM.
pub const SIGTERM: i32 = 15;
const SHUT_RD: i32 = 0;
const SIG_ERR: usize = usize::MAX;
const WNOHANG: i32 = 1;
const WEXITED: i32 = 4;
const WNOWAIT: i32 = 0x0100_0000;
const P_ALL: u32 = 0;
const P_PID: u32 = 1;
const PR_SET_PDEATHSIG: i32 = 1;
const PR_SET_TIMERSLACK: i32 = 29;
const ECHILD: i32 = 10;
const EAGAIN: i32 = 11;
const MSG_PEEK: i32 = 2;
const MSG_DONTWAIT: i32 = 0x40;
const ESRCH: i32 = 3;

/// `siginfo_t` as `waitid` fills it on 64-bit Linux: 128 bytes, `si_pid` at offset 16.
#[repr(C)]
struct SigInfo {
    signo: i32,
    errno: i32,
    code: i32,
    pad: i32,
    pid: i32,
    rest: [i32; 27],
}

// ---- The stop hook --------------------------------------------------------------------

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

/// Writes all of `buf` to standard output with `write(2)`: no lock, no buffer, no
/// duplicated descriptor (one line per call is one `write`, atomic on pipes and files).
pub fn write_stdout(mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the whole call.
        let n = unsafe { write(1, buf.as_ptr(), buf.len()) };
        match n {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n if n > 0 => buf = &buf[n as usize..],
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// Stops a listening socket from accepting and wakes a thread blocked in `accept` on it
/// (the same `shutdown` the signal handler does, for programmatic stops).
pub fn shutdown_read(fd: RawFd) {
    // SAFETY: `shutdown` takes plain integers and has no memory effects; on a descriptor
    // that is not a socket it fails with ENOTSOCK, which is ignored.
    unsafe {
        shutdown(fd, SHUT_RD);
    }
}

/// True when an idle connection can no longer carry a request: the peer closed it (or
/// reset it), or sent bytes nobody asked for. One non-blocking `recv` with `MSG_PEEK`, so
/// nothing is consumed and the socket's blocking mode is untouched.
pub fn idle_socket_unusable(fd: RawFd) -> bool {
    let mut byte = 0u8;
    // SAFETY: `byte` is a valid, writable 1-byte buffer for the duration of the call;
    // MSG_PEEK|MSG_DONTWAIT neither consumes data nor blocks.
    let r = unsafe { recv(fd, &mut byte, 1, MSG_PEEK | MSG_DONTWAIT) };
    if r < 0 {
        let e = io::Error::last_os_error();
        return !(e.raw_os_error() == Some(EAGAIN) || e.kind() == io::ErrorKind::Interrupted);
    }
    true
}

/// True when bytes have arrived on `fd` and wait to be read (a peek, as above; the end of
/// the stream or an error is not bytes).
pub fn bytes_waiting(fd: RawFd) -> bool {
    let mut byte = 0u8;
    // SAFETY: as in `idle_socket_unusable`: a valid 1-byte buffer, a non-blocking peek.
    unsafe { recv(fd, &mut byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0 }
}

// ---- Processes -------------------------------------------------------------------------

/// Sends `sig` to process `pid` (`group`: to the process group `pid` leads).
pub fn send_signal(pid: u32, sig: i32, group: bool) -> io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .filter(|&p| p > 1)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad pid"))?;
    let target = if group { -pid } else { pid };
    // SAFETY: `kill` takes plain integers and has no memory effects; pids 0, 1 and
    // negatives are refused above, so it never signals our own group or every process.
    if unsafe { kill(target, sig) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// True when `kill` failed because no such process (or group) exists.
pub fn is_no_such_process(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ESRCH)
}

/// Which children a wait looks at.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    /// This child only.
    Pid(u32),
    /// Any child.
    Any,
}

/// Waits for a child to have exited *without reaping it* (`waitid` with `WNOWAIT`), so
/// its pid stays reserved until [`reap`]. `block: false` answers at once. Returns the pid
/// of an exited child, `None` when none has exited (or there are no children: `ECHILD`).
pub fn exited(which: Which, block: bool) -> io::Result<Option<u32>> {
    let (idtype, id) = match which {
        Which::Pid(p) => (P_PID, p),
        Which::Any => (P_ALL, 0),
    };
    let mut flags = WEXITED | WNOWAIT;
    if !block {
        flags |= WNOHANG;
    }
    let mut info = SigInfo {
        signo: 0,
        errno: 0,
        code: 0,
        pad: 0,
        pid: 0,
        rest: [0; 27],
    };
    loop {
        // SAFETY: `info` is a writable, zeroed 128-byte `siginfo_t`-sized buffer that lives
        // across the call; `waitid` writes at most that much.
        let r = unsafe { waitid(idtype, id, &mut info, flags) };
        if r == 0 {
            return Ok(u32::try_from(info.pid).ok().filter(|&p| p > 0));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(ECHILD) => return Ok(None),
            _ if e.kind() == io::ErrorKind::Interrupted => continue,
            _ => return Err(e),
        }
    }
}

/// Reaps child `pid` if it has exited (`waitpid` with `WNOHANG`): its exit status, or
/// `None` while it runs (or when it is not our child).
pub fn reap(pid: u32) -> io::Result<Option<ExitStatus>> {
    let pid = i32::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut status = 0i32;
    loop {
        // SAFETY: `status` is a valid, writable i32 for the duration of the call.
        let r = unsafe { waitpid(pid, &mut status, WNOHANG) };
        if r > 0 {
            return Ok(Some(ExitStatus::from_raw(status)));
        }
        if r == 0 {
            return Ok(None);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(ECHILD) => return Ok(None),
            _ if e.kind() == io::ErrorKind::Interrupted => continue,
            _ => return Err(e),
        }
    }
}

/// Sets this thread's timer slack, how late the kernel may end a sleep to batch wake-ups
/// (`PR_SET_TIMERSLACK`, 50 µs by default); `None` restores the default.
pub fn set_timer_slack(slack: Option<std::time::Duration>) {
    let ns = slack.map_or(0, |d| d.as_nanos().clamp(1, u64::MAX as u128) as u64);
    // SAFETY: `prctl(PR_SET_TIMERSLACK)` takes plain integers and touches no memory.
    unsafe {
        prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0);
    }
}

/// Makes the child that `cmd` starts receive `sig` when the thread that spawned it ends
/// (`PR_SET_PDEATHSIG`), and exit at once if its parent is already gone by the time it
/// runs (the race the man page warns about).
pub fn die_with_parent(cmd: &mut Command, sig: i32) {
    let parent = std::process::id() as i32;
    let hook = move || {
        // SAFETY: in the child between fork and exec only async-signal-safe calls are
        // allowed: `prctl` and `getppid` are plain system calls with integer arguments.
        let (set, ppid) = unsafe { (prctl(PR_SET_PDEATHSIG, sig as u64, 0, 0, 0), getppid()) };
        if set != 0 {
            return Err(io::Error::last_os_error());
        }
        if ppid != parent {
            return Err(io::Error::other("parent exited before exec"));
        }
        Ok(())
    };
    // SAFETY: the closure allocates nothing, takes no locks and only makes the two
    // async-signal-safe system calls above, as `pre_exec` requires.
    unsafe {
        cmd.pre_exec(hook);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_thread_is_the_one_std_names_main() {
        // Under the test harness std's runtime set-up ran, so its name is the reference
        // (tests run on the main thread only with one test thread).
        let named = std::thread::current().name() == Some("main");
        assert_eq!(is_main_thread(), named);
        assert!(!std::thread::spawn(is_main_thread).join().unwrap());
    }

    #[test]
    fn cpus_follow_the_affinity_mask() {
        let n = cpus();
        assert!(n >= 1);
        let out = std::process::Command::new("nproc").output();
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            let nproc: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            assert_eq!(n, nproc, "nproc counts the same mask");
        }
    }

    #[test]
    fn timer_slack_is_set_for_this_thread_and_restored() {
        std::thread::spawn(|| {
            // SAFETY: `gettid` takes no arguments and cannot fail.
            let file = format!("/proc/{}/timerslack_ns", unsafe { gettid() });
            let slack = || std::fs::read_to_string(&file).unwrap();
            let default = slack();
            set_timer_slack(Some(std::time::Duration::from_micros(1)));
            assert_eq!(slack().trim(), "1000");
            set_timer_slack(None);
            assert_eq!(slack(), default);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn siginfo_is_the_kernel_size() {
        assert_eq!(std::mem::size_of::<SigInfo>(), 128);
    }

    #[test]
    fn refuses_pids_that_mean_groups() {
        for pid in [0, 1, u32::MAX] {
            assert!(send_signal(pid, 0, false).is_err(), "{pid}");
        }
        assert!(send_signal(std::process::id(), 0, false).is_ok());
    }

    #[test]
    fn idle_socket_states() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut s, _) = l.accept().unwrap();
        assert!(!idle_socket_unusable(c.as_raw_fd()), "open and quiet");
        s.write_all(b"x").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(idle_socket_unusable(c.as_raw_fd()), "unexpected bytes");
        let c2 = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        drop(l.accept().unwrap());
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(idle_socket_unusable(c2.as_raw_fd()), "closed by the peer");
    }

    #[test]
    #[allow(clippy::zombie_processes)] // reaped by `reap` below: that is the test
    fn wait_without_and_with_reaping() {
        let child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
        let id = child.id();
        let seen = exited(Which::Pid(id), true).unwrap();
        assert_eq!(seen, Some(id));
        // Still there (not reaped): a second look sees it again.
        assert_eq!(exited(Which::Pid(id), false).unwrap(), Some(id));
        assert_eq!(reap(id).unwrap().and_then(|s| s.code()), Some(3));
        assert_eq!(reap(id).unwrap(), None, "reaped once");
    }
}
