//! Starting a child off the main thread. `PR_SET_PDEATHSIG` fires when the *thread* that
//! forked the child ends, not the process; a child started from a short-lived worker thread
//! would be killed when that thread exits. So such starts go through one long-lived thread
//! made for the purpose, on first need, which lives as long as the process.

use std::io;
use std::process::Command;
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock};
use std::thread;

/// A `Command` to start, and where to send the result.
type SpawnJob = (Command, Sender<io::Result<std::process::Child>>);

/// The long-lived thread that starts children for other threads.
pub(super) struct Spawner(Mutex<Sender<SpawnJob>>);

impl Spawner {
    pub(super) fn send(&self, cmd: Command) -> io::Result<std::process::Child> {
        let (tx, rx) = mpsc::channel();
        let job = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((cmd, tx));
        job.map_err(|_| io::Error::other("spawner thread is gone"))?;
        rx.recv()
            .map_err(|_| io::Error::other("spawner thread is gone"))?
    }
}

pub(super) fn spawner() -> io::Result<&'static Spawner> {
    static SPAWNER: OnceLock<Spawner> = OnceLock::new();
    if let Some(s) = SPAWNER.get() {
        return Ok(s);
    }
    let (tx, rx) = mpsc::channel::<SpawnJob>();
    thread::Builder::new()
        .name("fc-spawner".into())
        .spawn(move || {
            for (mut cmd, reply) in rx {
                let _ = reply.send(cmd.spawn());
            }
        })?;
    Ok(SPAWNER.get_or_init(|| Spawner(Mutex::new(tx))))
}
