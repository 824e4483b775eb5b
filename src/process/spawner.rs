//! Starting a child off the main thread. `PR_SET_PDEATHSIG` fires when the *thread* that
//! forked the child ends, not the process; a child started from a short-lived worker thread
//! would be killed when that thread exits. So such starts go through one long-lived thread
//! made for the purpose, on first need, which lives as long as the process. One start at a
//! time: a slot under a lock, and a condition variable both ways. A start is a closure
//! (std's `Command`, or `sys::spawn` for exec mode's app), so a binary holds only the
//! starting code it uses.

use std::io;
use std::process::{ChildStderr, ChildStdout};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;

/// A started child: its process id and the pipes its command asked for.
pub(super) struct Started {
    pub(super) pid: u32,
    pub(super) stdout: Option<ChildStdout>,
    pub(super) stderr: Option<ChildStderr>,
}

/// A start to make on the spawner thread.
pub(super) type Job = Box<dyn FnOnce() -> io::Result<Started> + Send>;

/// The one start in progress.
enum Slot {
    Empty,
    Job(Job),
    Done(io::Result<Started>),
}

/// The long-lived thread that starts children for other threads.
pub(super) struct Spawner {
    /// Callers take turns.
    turn: Mutex<()>,
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl Spawner {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `job` on the spawner thread and waits for the outcome.
    pub(super) fn send(&self, job: Job) -> io::Result<Started> {
        let _turn = self.turn.lock().unwrap_or_else(|p| p.into_inner());
        let mut slot = self.lock();
        *slot = Slot::Job(job);
        self.changed.notify_all();
        loop {
            if matches!(*slot, Slot::Done(_)) {
                let Slot::Done(result) = std::mem::replace(&mut *slot, Slot::Empty) else {
                    unreachable!("checked above");
                };
                return result;
            }
            slot = self.changed.wait(slot).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn serve(&self) {
        let mut slot = self.lock();
        loop {
            if matches!(*slot, Slot::Job(_)) {
                let Slot::Job(job) = std::mem::replace(&mut *slot, Slot::Empty) else {
                    unreachable!("checked above");
                };
                *slot = Slot::Done(job());
                self.changed.notify_all();
            }
            slot = self.changed.wait(slot).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The spawner, started on first use.
pub(super) fn spawner() -> io::Result<&'static Spawner> {
    static SPAWNER: OnceLock<Spawner> = OnceLock::new();
    static STARTED: Mutex<bool> = Mutex::new(false);
    let s = SPAWNER.get_or_init(|| Spawner {
        turn: Mutex::new(()),
        slot: Mutex::new(Slot::Empty),
        changed: Condvar::new(),
    });
    let mut started = STARTED.lock().unwrap_or_else(|p| p.into_inner());
    if !*started {
        thread::Builder::new()
            .name("fc-spawner".into())
            .spawn(move || s.serve())?;
        *started = true;
    }
    Ok(s)
}
