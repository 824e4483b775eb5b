//! [`splice`]: two upgraded connections joined both ways — what a proxy does after a
//! `101 Switching Protocols` (exec mode's WebSocket passthrough). One direction runs on the
//! calling worker thread, the other on a thread made for it; each ends at its source's end
//! of stream (then the other side is half-closed), at an error, or at the deadline.
//!
//! It does not look at the bytes: any protocol over the switched connection passes.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::http::Upgraded;

/// How long the second direction may go on once the first has ended (a peer that never
/// answers our half-close).
const AFTER_FIRST: Duration = Duration::from_secs(10);

/// Copies `a` to `b` and `b` to `a` until both directions end or `deadline` passes; closes
/// both. Returns the bytes moved each way (a to b, b to a). One direction runs on the
/// calling thread, the other on a thread of its own.
///
/// What a proxy does after `101 Switching Protocols`: the client's side from
/// [`Response::upgrade`](crate::Response::upgrade), the backend's from
/// [`Reply::upgrade`](crate::client::Reply::upgrade).
///
/// ```no_run
/// use std::time::{Duration, Instant};
/// use fc_runtime::client::{Call, Connection};
/// use fc_runtime::{splice, Headers, Response};
///
/// fn proxy_websocket(client_fields: &Headers) -> Option<Response> {
///     let addr = "127.0.0.1:8080".parse().ok()?;
///     let backend = Connection::open(addr, Duration::from_secs(2)).ok()?;
///     let deadline = Instant::now() + Duration::from_secs(600);
///     let reply = backend
///         .call(Call::new("GET", "/ws", deadline).headers(client_fields))
///         .ok()?;
///     let backend_side = reply.upgrade().ok()?;
///     Some(Response::upgrade(move |client_side| {
///         let (sent, received) = splice(client_side, backend_side, deadline);
///         eprintln!("{sent} bytes up, {received} down");
///     }))
/// }
/// ```
pub fn splice(a: Upgraded, b: Upgraded, deadline: Instant) -> (u64, u64) {
    let (Ok(a_w), Ok(b_w)) = (a.try_clone(), b.try_clone()) else {
        let _ = a.shutdown(Shutdown::Both);
        let _ = b.shutdown(Shutdown::Both);
        return (0, 0);
    };
    let end = Arc::new(End {
        base: Instant::now(),
        ms: AtomicU64::new(u64::MAX),
    });
    end.lower_to(deadline);
    // b -> a on a helper thread, a -> b here.
    let end2 = end.clone();
    let back = thread::Builder::new()
        .name("fc-splice".into())
        .spawn(move || pump(b, a_w, &end2));
    let forth = pump(a, b_w, &end);
    let back = match back {
        Ok(t) => t.join().unwrap_or(0),
        Err(_) => 0,
    };
    (forth, back)
}

/// When both directions must be over, shared by them: the deadline at first, then soon
/// after the first direction ended.
struct End {
    base: Instant,
    ms: AtomicU64,
}

impl End {
    fn lower_to(&self, t: Instant) {
        let ms = t.saturating_duration_since(self.base).as_millis() as u64;
        self.ms.fetch_min(ms, Ordering::SeqCst);
    }

    fn left(&self) -> Duration {
        let at = self.base + Duration::from_millis(self.ms.load(Ordering::SeqCst));
        at.saturating_duration_since(Instant::now())
    }
}

/// Copies `from` to `to` until `from` ends, either fails, or the end; then half-closes `to`
/// for writing and gives the other direction [`AFTER_FIRST`] more at most.
fn pump(mut from: Upgraded, mut to: Upgraded, end: &End) -> u64 {
    let mut buf = vec![0u8; 16 * 1024];
    let mut moved = 0u64;
    loop {
        // Reads wake at least every second to see a lowered end.
        let left = end.left();
        if left.is_zero()
            || from
                .set_read_timeout(Some(left.min(Duration::from_secs(1))))
                .is_err()
        {
            break;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
                moved += n as u64;
            }
            Err(e) if crate::http::is_timeout(&e) => continue,
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    end.lower_to(Instant::now() + AFTER_FIRST);
    moved
}
