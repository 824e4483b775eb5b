//! Logging as Function Compute recommends: every line `<UTC time> <request id> [LEVEL]
//! message` on stdout, between the marker lines of its request; and the stdout sink for
//! marker lines themselves.
//!
//! The request id comes from the handling thread ([`RequestScope`]), so a handler's own
//! `log::info!` lines carry it without passing anything around. Filtering is `RUST_LOG`
//! (default `info`). Nothing here is on the per-request path unless a line is logged.

use std::cell::RefCell;
use std::io::Write;

use crate::fc::Markers;

thread_local! {
    static REQUEST_ID: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Tags log lines of this thread with a request id until dropped.
pub struct RequestScope(());

impl RequestScope {
    /// Sets the current thread's request id.
    pub fn enter(id: &str) -> RequestScope {
        REQUEST_ID.with(|r| {
            let mut r = r.borrow_mut();
            r.clear();
            r.push_str(id);
        });
        RequestScope(())
    }
}

impl Drop for RequestScope {
    fn drop(&mut self) {
        REQUEST_ID.with(|r| r.borrow_mut().clear());
    }
}

/// Installs the logger (once; later calls are ignored).
pub fn init() {
    let env = env_logger::Env::default().default_filter_or("info");
    let _ = env_logger::Builder::from_env(env)
        .target(env_logger::Target::Stdout)
        .format(|buf, record| {
            let time = crate::http::rfc3339_now();
            REQUEST_ID.with(|id| {
                let id = id.borrow();
                let id = if id.is_empty() { "-" } else { id.as_str() };
                writeln!(buf, "{time} {id} [{}] {}", record.level(), record.args())
            })
        })
        .try_init();
}

/// Marker lines to stdout, one `write(2)` each, through a duplicate of the stdout
/// descriptor. Rust's `Stdout` takes a process-wide lock; with many workers on one core a
/// worker preempted while holding it stalls every other request (p99 ~11 ms instead of
/// ~2 ms under `wrk -c50` here). One write of one line is atomic for pipes and regular files,
/// so lines never interleave without it.
pub struct StdoutMarkers {
    fd: Option<std::fs::File>,
}

impl StdoutMarkers {
    /// Duplicates the stdout descriptor (falls back to `Stdout` if that fails).
    pub fn new() -> StdoutMarkers {
        use std::os::fd::AsFd;
        let fd = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(std::fs::File::from);
        StdoutMarkers { fd }
    }
}

impl Default for StdoutMarkers {
    fn default() -> Self {
        StdoutMarkers::new()
    }
}

impl Markers for StdoutMarkers {
    fn line(&self, line: &str) {
        let l = line;
        // A closed stdout must not take the function down.
        let _ = match &self.fd {
            Some(f) => {
                let mut w: &std::fs::File = f;
                w.write_all(l.as_bytes())
            }
            None => std::io::stdout().lock().write_all(l.as_bytes()),
        };
    }
}
