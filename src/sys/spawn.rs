//! Starting a program the way `posix_spawn` does (`clone` with `CLONE_VM | CLONE_VFORK`:
//! the child borrows our memory until its `exec`, nothing is copied), plus what
//! `posix_spawn` cannot do on the way: the parent-death signal (`PR_SET_PDEATHSIG`) and
//! a process group of its own. std's `Command` needs a `pre_exec` hook for the first, and
//! a hook makes it `fork` instead: page tables copied, write faults on both sides until
//! the `exec`. On our VM that start took 110–180 µs longer, and in exec mode that delay is
//! the app's, on the cold-start path.
//!
//! Deliberately narrow: a program searched on `PATH` (as `Command` does), its arguments,
//! the environment given whole, stdin from `/dev/null`, stdout and stderr inherited.
//! Anything else (pipes, a working directory) is std's `Command` (`process::Child::spawn`).

use std::ffi::{c_char, c_void, CString};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, Ordering};

use super::entry::environ;
use super::{__errno_location, prctl, pthread_sigmask, signal, waitpid, SigSet};
use super::{PR_SET_PDEATHSIG, SIGINT, SIGPIPE, SIGTERM, SIG_BLOCK, SIG_SETMASK};

extern "C" {
    fn clone(
        f: extern "C" fn(*mut c_void) -> i32,
        stack: *mut c_void,
        flags: i32,
        arg: *mut c_void,
        ...
    ) -> i32;
    fn execvpe(file: *const c_char, argv: *const *const c_char, envp: *const *const c_char) -> i32;
    fn setpgid(pid: i32, pgid: i32) -> i32;
    fn dup2(old: i32, new: i32) -> i32;
    fn _exit(status: i32) -> !;
}

const CLONE_VM: i32 = 0x100;
const CLONE_VFORK: i32 = 0x4000;
const SIGCHLD: i32 = 17;
const SIG_DFL: usize = 0;
/// The child's stack: it makes a handful of calls, `execvpe`'s path buffer the largest
/// (PATH_MAX plus a name).
const STACK: usize = 32 * 1024;

/// What the child needs, prepared by the parent (the child allocates nothing), and where
/// it leaves the `errno` of a failed step.
struct Job {
    file: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
    stdin: i32,
    deathsig: i32,
    failed: AtomicI32,
}

/// The child, on its own stack in our memory until `exec`: only plain system calls.
extern "C" fn child(arg: *mut c_void) -> i32 {
    // SAFETY: `arg` is the `Job` that `spawn` keeps alive (the parent is suspended until
    // this child execs or exits). Every call is a system call wrapper with valid arguments:
    // the pointers are the parent's NUL-terminated strings and NULL-ended arrays. `signal`
    // with SIG_DFL writes no shared C library state, and this child has its own copy of the
    // signal handlers (no CLONE_SIGHAND). `errno` is the parent thread's (shared memory);
    // the parent does not read it across the call. `_exit` never returns.
    unsafe {
        let job = &*(arg as *const Job);
        let ok = prctl(PR_SET_PDEATHSIG, job.deathsig as u64, 0, 0, 0) == 0
            && setpgid(0, 0) == 0
            && dup2(job.stdin, 0) == 0;
        if ok {
            // Our handlers must not run here (the parent's memory), and an ignored SIGPIPE
            // would survive the exec: both back to their defaults, then every signal
            // unblocked (the parent blocked them all for the clone).
            for sig in [SIGPIPE, SIGTERM, SIGINT] {
                signal(sig, SIG_DFL);
            }
            pthread_sigmask(SIG_SETMASK, &SigSet([0; 16]), std::ptr::null_mut());
            execvpe(job.file, job.argv, job.envp);
        }
        job.failed
            .store((*__errno_location()).max(1), Ordering::SeqCst);
        _exit(127)
    }
}

/// A NUL-free C string, or the error `Command` gives for one.
fn c_string(s: impl Into<Vec<u8>>) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "nul byte in a string"))
}

/// Starts `argv[0]` (searched on `PATH`) with `argv` and this process's environment with
/// `vars` set over it, stdin from `/dev/null`, in a new process group, set to receive
/// `deathsig` when the calling thread ends. Returns its process id once it has exec'd; an
/// `exec` that failed is reported like `Command::spawn` reports it (the child is reaped).
pub fn spawn(argv: &[String], vars: &[(&str, &str)], deathsig: i32) -> io::Result<u32> {
    let args = argv
        .iter()
        .map(|a| c_string(a.as_bytes()))
        .collect::<io::Result<Vec<_>>>()?;
    let set = vars
        .iter()
        .map(|(k, v)| c_string([k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect::<io::Result<Vec<_>>>()?;
    let Some(file) = args.first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no program"));
    };
    let mut arg_ptrs: Vec<*const c_char> = args.iter().map(|s| s.as_ptr()).collect();
    arg_ptrs.push(std::ptr::null());
    // The environment is passed by pointer, not copied: `environ`'s entries but those
    // `vars` sets, then `vars`.
    let mut env_ptrs = Vec::new();
    // SAFETY: as in `entry::env_vars`: `environ` is a stable NULL-terminated array of
    // NUL-terminated strings while nothing sets variables; each entry is compared only up
    // to its NUL (a `vars` name plus `=` is matched byte by byte, stopping at a mismatch).
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            let entry = *p;
            p = p.add(1);
            let named = |name: &str| {
                let name = name.as_bytes();
                (0..=name.len()).all(|i| {
                    let b = *entry.add(i) as u8;
                    b == name.get(i).copied().unwrap_or(b'=')
                })
            };
            if !vars.iter().any(|(k, _)| named(k)) {
                env_ptrs.push(entry);
            }
        }
    }
    env_ptrs.extend(set.iter().map(|s| s.as_ptr()));
    env_ptrs.push(std::ptr::null());
    let null = File::open("/dev/null")?;
    let job = Job {
        file: file.as_ptr(),
        argv: arg_ptrs.as_ptr(),
        envp: env_ptrs.as_ptr(),
        stdin: null.as_raw_fd(),
        deathsig,
        failed: AtomicI32::new(0),
    };
    let mut stack = vec![0u8; STACK];
    // The stack grows down from its (16-byte aligned) top.
    let top = (stack.as_mut_ptr() as usize + STACK) & !15;
    let all = SigSet([!0; 16]);
    let mut old = SigSet([0; 16]);
    // SAFETY: `child` only reads `job` and writes its atomic; `job`, the strings and
    // arrays it points to, `null` and `stack` all outlive the call, which returns only
    // once the child has exec'd or exited (CLONE_VFORK). Every signal is blocked around
    // the clone so none is handled on the shared memory before the child resets them; the
    // previous mask is restored right after.
    let pid = unsafe {
        pthread_sigmask(SIG_BLOCK, &all, &mut old);
        let pid = clone(
            child,
            top as *mut c_void,
            CLONE_VM | CLONE_VFORK | SIGCHLD,
            &job as *const Job as *mut c_void,
        );
        let e = io::Error::last_os_error();
        pthread_sigmask(SIG_SETMASK, &old, std::ptr::null_mut());
        if pid < 0 {
            return Err(e);
        }
        pid
    };
    drop(stack);
    match job.failed.load(Ordering::SeqCst) {
        0 => Ok(pid as u32),
        errno => {
            let mut status = 0;
            // SAFETY: `pid` is our child, which has exited (`_exit` above); `status` is a
            // valid, writable i32. Retried only when interrupted.
            while unsafe { waitpid(pid, &mut status, 0) } < 0
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
            Err(io::Error::from_raw_os_error(errno))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit_code(pid: u32) -> i32 {
        let mut status = 0;
        // SAFETY: our child; `status` is valid.
        assert_eq!(unsafe { waitpid(pid as i32, &mut status, 0) }, pid as i32);
        assert_eq!(status & 0x7f, 0, "killed by a signal: {status:#x}");
        (status >> 8) & 0xff
    }

    /// (argv, expected exit code): the child sees the environment given (each variable
    /// once), its arguments, stdin at end of file, its own process group, and, checked by
    /// `grep` on its own status (a shell may block signals while it works), the default
    /// SIGPIPE (ignored here: std's test harness ignores it) and no blocked signal.
    #[test]
    fn the_child_gets_what_was_asked() {
        let sh = |script: &'static str| vec!["sh", "-c", script, "a0", "b c"];
        let status_is = |re: &'static str| vec!["grep", "-qE", re, "/proc/self/status"];
        let cases: Vec<(Vec<&str>, i32)> = vec![
            (
                sh(r#"[ "$FCRT_SPAWN_TEST" = yes ] && [ "$HOME" = /set ] && exit 3"#),
                3,
            ),
            (
                sh(r#"[ "$(env | grep -c '^HOME=')" = 1 ] && [ -n "$PATH" ] && exit 9"#),
                9,
            ),
            (sh(r#"[ "$0" = a0 ] && [ "$1" = "b c" ] && exit 4"#), 4),
            (sh("read x; [ -z \"$x\" ] && exit 5"), 5),
            (
                sh("read -r _ _ _ _ g _ < /proc/$$/stat; [ \"$g\" = $$ ] && exit 6"),
                6,
            ),
            (
                status_is(r"^SigIgn:\s*[0-9a-f]{12}[02468ace][0-9a-f]{3}$"),
                0,
            ),
            (status_is(r"^SigBlk:\s*0+$"), 0),
        ];
        for (argv, want) in cases {
            let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
            let pid = spawn(&argv, &[("FCRT_SPAWN_TEST", "yes"), ("HOME", "/set")], 9).unwrap();
            assert_eq!(exit_code(pid), want, "{argv:?}");
        }
    }

    /// The parent-death signal follows the thread that started the child.
    #[test]
    fn the_child_dies_with_the_thread_that_started_it() {
        let pid = std::thread::spawn(|| {
            let argv = ["sleep", "30"].map(String::from);
            spawn(&argv, &[], 9).unwrap()
        })
        .join()
        .unwrap();
        let mut status = 0;
        // SAFETY: our child; `status` is valid.
        assert_eq!(unsafe { waitpid(pid as i32, &mut status, 0) }, pid as i32);
        assert_eq!(status & 0x7f, 9, "not killed by SIGKILL: {status:#x}");
    }

    #[test]
    fn a_program_that_cannot_start_is_an_error_like_commands() {
        let argv = ["/nonexistent/fcrt-no-such-program".to_string()];
        let e = spawn(&argv, &[], 9).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let std_e = std::process::Command::new(&argv[0]).spawn().unwrap_err();
        assert_eq!(e.kind(), std_e.kind());
        assert!(spawn(&["a\0b".to_string()], &[], 9).is_err());
    }
}
