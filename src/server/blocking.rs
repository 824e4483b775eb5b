//! What counts as a running worker: [`blocking`] marks a wait on something other than the
//! CPU, so the keeper (`placement.rs`, through the pool's `watch`) does not count a worker
//! inside it among those running when it decides whether one more would help. One
//! process-wide counter; it knows nothing of connections or threads.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Workers inside [`blocking`] (all servers of the process: one in practice).
static BLOCKED: AtomicUsize = AtomicUsize::new(0);

/// How many workers are inside [`blocking`] now.
pub(super) fn blocked_workers() -> usize {
    BLOCKED.load(Ordering::SeqCst)
}

/// Runs `f`, a wait on something other than the CPU (a database, another service; exec
/// mode's wait for its app), with the calling worker counted as blocked meanwhile.
///
/// Workers are few while requests are short: each takes the next ready connection itself.
/// When requests queue and fewer workers than CPUs are running, because the others wait
/// inside `blocking`, the server adds a worker each millisecond the queue lasts, so one more
/// request can wait at once (Go's hand-off of a thread stuck in a system call). Without it,
/// a handler that waits is still safe: a ready request never waits longer than a few
/// milliseconds behind workers that all stopped coming back. Call it from a handler.
///
/// ```
/// use fc_runtime::{blocking, Context, HandlerError};
///
/// fn handler(event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
///     // e.g. a query to a database over the network
///     let row = blocking(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1));
///         event
///     });
///     Ok(row)
/// }
/// # assert_eq!(handler(b"x".to_vec(), &fc_runtime::testing::ContextBuilder::new().build()).unwrap(), b"x");
/// ```
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    struct Count;
    impl Drop for Count {
        fn drop(&mut self) {
            BLOCKED.fetch_sub(1, Ordering::SeqCst);
        }
    }
    BLOCKED.fetch_add(1, Ordering::SeqCst);
    let _count = Count;
    f()
}
