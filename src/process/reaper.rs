//! PID 1's duty: a process that is a container's entrypoint inherits every orphan of its
//! tree and must reap them, or they stay zombies. The reaper thread waits for any child
//! (without reaping first, so a child started here keeps its pid reserved until its own
//! entry records the status) and routes each exit: to the [`Child`](super::Child) it
//! belongs to, or simply reaped.

use std::io;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use super::Entry;
use crate::sys;

/// Children started here, for the reaper to route their exits.
static CHILDREN: Mutex<Vec<Weak<Entry>>> = Mutex::new(Vec::new());
/// Set once the reaper runs.
pub(super) static REAPER: OnceLock<()> = OnceLock::new();

pub(super) fn register(entry: &Arc<Entry>) {
    let mut all = CHILDREN.lock().unwrap_or_else(|p| p.into_inner());
    all.retain(|w| w.strong_count() > 0);
    all.push(Arc::downgrade(entry));
}

/// As PID 1 (a container's entrypoint), orphans re-parented to us must be reaped or they
/// stay zombies: this starts the thread that does so, and that also reports the exits of
/// the children started here. Returns whether it runs (false when not PID 1).
pub fn reap_orphans() -> io::Result<bool> {
    if std::process::id() != 1 || REAPER.get().is_some() {
        return Ok(REAPER.get().is_some());
    }
    let _ = REAPER.set(());
    thread::Builder::new()
        .name("fc-reaper".into())
        .spawn(reap_forever)?;
    Ok(true)
}

fn reap_forever() {
    loop {
        match sys::exited(sys::Which::Any, true) {
            Ok(Some(pid)) => {
                let ours = CHILDREN
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .filter_map(Weak::upgrade)
                    .find(|e| e.pid == pid);
                match ours {
                    Some(e) => {
                        let due = e.reap(&mut e.lock());
                        if let Some((f, s)) = due {
                            f(s);
                        }
                    }
                    None => {
                        let _ = sys::reap(pid);
                    }
                }
            }
            // No children right now: orphans may still be re-parented to us later.
            Ok(None) | Err(_) => thread::sleep(Duration::from_millis(100)),
        }
    }
}
