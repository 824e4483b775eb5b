//! A supervisor for the process a function runs in: start a command in its own process
//! group (environment and working directory are the `Command`'s), make it die with its
//! parent, wait until it is ready (a TCP connect, or an HTTP path answering below 500)
//! with a deadline and a fast poll, report its exit, and stop it: SIGTERM to the group,
//! a grace period, SIGKILL. Also the stop signals (SIGTERM/SIGINT caught so the owner can
//! run that sequence) and, for a process running as PID 1, reaping orphans.
//!
//! Nothing here reads the child's output or speaks HTTP beyond the readiness probe; the
//! caller decides what the child is for. The one thread it may start per child waits for
//! its exit ([`Child::watch`]); the reaper is one more, and only as PID 1.
//!
//! ```no_run
//! use fc_runtime::process::{Child, Ready};
//! use std::process::Command;
//! use std::time::{Duration, Instant};
//!
//! let mut cmd = Command::new("node");
//! cmd.arg("server.js").env("PORT", "8080");
//! let child = Child::spawn(cmd).unwrap();
//! let ready = Ready::Tcp("127.0.0.1:8080".parse().unwrap());
//! let took = child.wait_ready(&ready, Instant::now() + Duration::from_secs(120)).unwrap();
//! println!("ready after {took:?}");
//! // ... serve ...
//! println!("{:?}", child.stop(Duration::from_secs(10)));
//! ```

mod ready;
mod reaper;
mod signal;
mod spawner;

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{ChildStderr, ChildStdout, Command, ExitStatus};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::sys;
pub(crate) use ready::Lookout;
pub use ready::{NotReady, Ready};
pub use reaper::reap_orphans;
use reaper::{register, REAPER};
pub use signal::{catch_stop_signals, stop_requested, Signal};
use spawner::{spawner, Started};

/// How [`Child::stop`] went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// It had already exited, with this status.
    AlreadyExited(ExitStatus),
    /// It exited `after` the SIGTERM, with this status.
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// How long after the SIGTERM.
        after: Duration,
    },
    /// Still running when the grace period ended: killed (SIGKILL to its group).
    Killed {
        /// The grace period it had.
        grace: Duration,
    },
}

type OnExit = Box<dyn FnOnce(ExitStatus) + Send>;

/// What the owner and the waiting threads share about one child.
struct Entry {
    pid: u32,
    state: Mutex<State>,
    exited: Condvar,
}

struct State {
    status: Option<ExitStatus>,
    on_exit: Option<OnExit>,
}

impl Entry {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reaps the child if it exited, under the lock (so a signal sent under the same lock
    /// can never reach a reused pid). The exit callback, if one is due, is returned to be
    /// called outside the lock.
    fn reap(&self, st: &mut State) -> Option<(OnExit, ExitStatus)> {
        if st.status.is_none() {
            if let Ok(Some(s)) = sys::reap(self.pid) {
                st.status = Some(s);
                self.exited.notify_all();
            }
        }
        let status = st.status?;
        st.on_exit.take().map(|f| (f, status))
    }
}

/// A child process in its own process group, stopped with it.
pub struct Child {
    entry: Arc<Entry>,
    started: Instant,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
}

impl std::fmt::Debug for Child {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.entry.pid)
            .finish_non_exhaustive()
    }
}

impl Child {
    /// Starts `cmd` as the leader of a new process group, set to receive SIGKILL if the
    /// thread that started it goes away (`PR_SET_PDEATHSIG`), so a killed supervisor leaves
    /// no orphan. The parent-death signal follows the *thread* that forks: called off the
    /// main thread, the start is made by a long-lived spawner thread instead, so a worker
    /// thread exiting never takes the child with it.
    pub fn spawn(mut cmd: Command) -> io::Result<Child> {
        cmd.process_group(0);
        sys::die_with_parent(&mut cmd, sys::SIGKILL);
        Child::start_with(move || {
            let mut c = cmd.spawn()?;
            Ok(Started {
                pid: c.id(),
                stdout: c.stdout.take(),
                stderr: c.stderr.take(),
            })
        })
    }

    /// Starts `argv` (the program searched on `PATH`) with this process's environment plus
    /// `vars`, stdin from `/dev/null`, stdout and stderr inherited: what exec mode's app
    /// gets, with what [`Child::spawn`] gives (its own process group, SIGKILL when the
    /// starting thread ends), but without a `fork` (`sys::spawn`, on the cold-start path).
    pub(crate) fn start(argv: &[String], vars: &[(&str, &str)]) -> io::Result<Child> {
        let argv = argv.to_vec();
        let vars: Vec<(String, String)> = vars.iter().map(|&(k, v)| (k.into(), v.into())).collect();
        Child::start_with(move || {
            let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (&**k, &**v)).collect();
            let pid = sys::spawn::spawn(&argv, &vars, sys::SIGKILL)?;
            Ok(Started {
                pid,
                stdout: None,
                stderr: None,
            })
        })
    }

    /// Runs a start on this thread if it is the main one, else on the spawner thread (the
    /// parent-death signal follows the thread that starts), and registers the child.
    fn start_with(job: impl FnOnce() -> io::Result<Started> + Send + 'static) -> io::Result<Child> {
        let started = Instant::now();
        let s = if sys::is_main_thread() {
            job()?
        } else {
            spawner()?.send(Box::new(job))?
        };
        let entry = Arc::new(Entry {
            pid: s.pid,
            state: Mutex::new(State {
                status: None,
                on_exit: None,
            }),
            exited: Condvar::new(),
        });
        register(&entry);
        Ok(Child {
            entry,
            started,
            stdout: s.stdout,
            stderr: s.stderr,
        })
    }

    /// Its process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.entry.pid
    }

    /// When it was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Its stdout, when the command piped it (once).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.stdout.take()
    }

    /// Its stderr, when the command piped it (once).
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.stderr.take()
    }

    /// Its exit status, if it has exited (never blocks).
    pub fn status(&self) -> Option<ExitStatus> {
        let due = {
            let mut st = self.entry.lock();
            let due = self.entry.reap(&mut st);
            (st.status, due)
        };
        if let (_, Some((f, s))) = due {
            f(s);
        }
        due.0
    }

    /// Waits up to `limit` for it to exit.
    pub fn wait_timeout(&self, limit: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + limit;
        let mut pause = Duration::from_micros(200);
        loop {
            if let Some(s) = self.status() {
                return Some(s);
            }
            let now = Instant::now();
            if now >= end {
                return None;
            }
            // The condvar wakes early when a watching thread reaps it.
            let st = self.entry.lock();
            if st.status.is_some() {
                continue;
            }
            let _ = self.entry.exited.wait_timeout(st, pause.min(end - now));
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// Waits until `ready` says it serves, polling fast at first (from 50 µs, backing off
    /// to 5 ms). `Ok`: how long after the start it became ready.
    pub fn wait_ready(&self, ready: &Ready, deadline: Instant) -> Result<Duration, NotReady> {
        ready::wait(self, ready, deadline, &Lookout::new()).map(|(took, _)| took)
    }

    /// [`Child::wait_ready`], keeping the connection of a [`Ready::Tcp`] probe that found
    /// the server listening: a first call can use it instead of connecting again
    /// ([`Client::adopt`](crate::client::Client::adopt)).
    pub fn wait_ready_connected(
        &self,
        ready: &Ready,
        deadline: Instant,
    ) -> Result<(Duration, Option<std::net::TcpStream>), NotReady> {
        ready::wait(self, ready, deadline, &Lookout::new())
    }

    /// [`Child::wait_ready_connected`] looking out with `lookout` (made before the child
    /// started, to see whether its port was taken).
    pub(crate) fn wait_ready_looking(
        &self,
        ready: &Ready,
        deadline: Instant,
        lookout: &Lookout,
    ) -> Result<(Duration, Option<std::net::TcpStream>), NotReady> {
        ready::wait(self, ready, deadline, lookout)
    }

    /// Sends `sig` to its whole process group. After the leader exited, what is left of
    /// its group still gets it; an empty group is not an error.
    pub fn signal(&self, sig: Signal) -> io::Result<()> {
        signal_group(self.entry.pid, sig)
    }

    /// SIGTERM to the group, up to `grace` for the child to exit, then SIGKILL to the
    /// group; whatever the child left in its group is killed either way.
    pub fn stop(&self, grace: Duration) -> Stopped {
        if let Some(s) = self.status() {
            let _ = signal_group(self.entry.pid, Signal::Kill);
            return Stopped::AlreadyExited(s);
        }
        let t = Instant::now();
        let _ = self.signal(Signal::Term);
        let outcome = match self.wait_timeout(grace) {
            Some(status) => Stopped::Exited {
                status,
                after: t.elapsed(),
            },
            None => {
                let _ = self.signal(Signal::Kill);
                let _ = self.wait_timeout(Duration::from_secs(5));
                Stopped::Killed { grace }
            }
        };
        let _ = signal_group(self.entry.pid, Signal::Kill);
        outcome
    }

    /// Calls `on_exit` once the child exits, from a thread that waits for it (without
    /// polling); as PID 1 with [`reap_orphans`] running, the reaper calls it. If it has
    /// exited already, `on_exit` runs now, on this thread.
    pub fn watch(&self, on_exit: impl FnOnce(ExitStatus) + Send + 'static) -> io::Result<()> {
        {
            let mut st = self.entry.lock();
            st.on_exit = Some(Box::new(on_exit));
        }
        if self.status().is_some() || REAPER.get().is_some() {
            return Ok(());
        }
        let entry = self.entry.clone();
        thread::Builder::new()
            .name("fc-child-watch".into())
            .spawn(move || {
                // Sleeps until the child exits, without reaping it (so its pid stays ours).
                let _ = sys::exited(sys::Which::Pid(entry.pid), true);
                let due = entry.reap(&mut entry.lock());
                if let Some((f, s)) = due {
                    f(s);
                }
            })
            .map(|_| ())
    }
}

impl Drop for Child {
    /// A child is never left running: dropping it kills its group (use [`Child::stop`] for
    /// the graceful way).
    fn drop(&mut self) {
        if self.status().is_none() {
            let _ = self.signal(Signal::Kill);
            let _ = self.wait_timeout(Duration::from_secs(5));
        }
    }
}

fn signal_group(pid: u32, sig: Signal) -> io::Result<()> {
    match sys::send_signal(pid, sig.number(), true) {
        Err(e) if sys::is_no_such_process(&e) => Ok(()),
        other => other,
    }
}
