//! Logging as Function Compute recommends: every line `<UTC time> <request id> [LEVEL]
//! message` on stdout, between the marker lines of its request.
//!
//! The request id comes from the handling thread ([`RequestScope`]), so a handler's own
//! `log::info!` lines carry it without passing anything around. Filtering is `RUST_LOG`
//! (default `info`). Nothing here is on the per-request path unless a line is logged; the
//! marker lines themselves are the server's (`server/markers.rs`).

use std::cell::RefCell;
use std::io::Write;

thread_local! {
    static REQUEST_ID: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Tags log lines of this thread with a request id until dropped.
pub(crate) struct RequestScope(());

impl RequestScope {
    /// Sets the current thread's request id.
    pub(crate) fn enter(id: &str) -> RequestScope {
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
#[inline(never)]
pub(crate) fn init() {
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
