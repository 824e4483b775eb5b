//! Child processes: signals to a process or its group, waiting for one to exit without and
//! with reaping (`waitid` with `WNOWAIT`, `waitpid`), and the parent-death signal set
//! between `fork` and `exec` for std's `Command`. Which child to start or stop, and when,
//! is the `process` module's.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};

use super::{
    getppid, kill, prctl, waitid, waitpid, SigInfo, ECHILD, ESRCH, PR_SET_PDEATHSIG, P_ALL, P_PID,
    WEXITED, WNOHANG, WNOWAIT,
};

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
    fn refuses_pids_that_mean_groups() {
        for pid in [0, 1, u32::MAX] {
            assert!(send_signal(pid, 0, false).is_err(), "{pid}");
        }
        assert!(send_signal(std::process::id(), 0, false).is_ok());
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
