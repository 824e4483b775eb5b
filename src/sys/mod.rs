//! Every call into the C library that std does not wrap, and the only module allowed
//! `unsafe` code (`#![deny(unsafe_code)]` holds everywhere else). Each block says why it is
//! sound in a `// SAFETY:` comment.
//!
//! What is here: the declarations and constants the submodules share, and the small calls
//! that fit none of them (main thread, CPU count, `write(2)` to fd 1, timer slack). In
//! `signals`, the SIGTERM/SIGINT hook (a flag plus `shutdown(2)` of the listening socket,
//! which wakes a thread blocked in `accept`); in `socket`, a listener's shutdown and the
//! non-blocking peeks; in `child`, signals to processes and groups, waiting for children
//! without and with reaping, and the parent-death signal for std's `Command`; in
//! [`entry`], the process entry point that skips std's runtime set-up; in [`poll`], the
//! readiness set (`epoll`) idle connections wait in; in [`spawn`], starting a program
//! without a `fork` (exec mode's app); in [`diag`], whether something listens on a port,
//! asked of the kernel.
//! The project takes no `libc` crate: the few functions are declared here, with the
//! x86_64/aarch64 Linux constants they need. Nothing here decides policy; the server and
//! the `process` module do.

#![allow(unsafe_code)]

mod child;
pub(crate) mod diag;
pub(crate) mod entry;
pub(crate) mod poll;
mod signals;
mod socket;
pub(crate) mod spawn;

pub use child::{die_with_parent, exited, is_no_such_process, reap, send_signal, Which};
pub use signals::{
    forget_listener, install_stop_hook, stop_requested, watch_listener, with_stop_signals_blocked,
};
pub use socket::{bytes_waiting, idle_socket_unusable, shutdown_read};

use std::io;

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

/// Sets this thread's timer slack, how late the kernel may end a sleep to batch wake-ups
/// (`PR_SET_TIMERSLACK`, 50 µs by default); `None` restores the default.
pub fn set_timer_slack(slack: Option<std::time::Duration>) {
    let ns = slack.map_or(0, |d| d.as_nanos().clamp(1, u64::MAX as u128) as u64);
    // SAFETY: `prctl(PR_SET_TIMERSLACK)` takes plain integers and touches no memory.
    unsafe {
        prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0);
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
}
