//! [`Limits`]: the bounds of the HTTP layer that a server configures (head, target, field
//! count, body, drain) and its request timeouts. Fixed protocol bounds that are not
//! settings live beside the code they bound: chunk-size lines (2 KiB) and trailers (8 KiB)
//! in `body.rs`, the 64-slot stack of header fields in `head.rs`, the response head buffer
//! kept per thread (16 KiB) and the streamed-body piece (16 KiB) in `response.rs`, the
//! minimum-rate grace (10 s) in `pace.rs`.

use std::time::Duration;

/// Every bound the HTTP layer enforces. Defaults admit everything Function Compute's
/// gateway admits (8 KB of client headers plus its own `x-fc-*` fields, 4 KB path and
/// query, 32 MB body) with room to spare.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Request line plus header fields, in bytes (431 beyond).
    pub max_head: usize,
    /// Request-target length in bytes (414 beyond).
    pub max_target: usize,
    /// Number of header fields (431 beyond).
    pub max_headers: usize,
    /// Decoded body bytes (413 beyond; a larger `Content-Length` is refused unread).
    pub max_body: u64,
    /// Most unread body bytes discarded to keep a connection alive after a handler that
    /// ignored its body; beyond, the connection closes instead.
    pub drain_max: u64,
    /// Deadline for the whole head once its first byte arrived (408 beyond).
    pub head_timeout: Duration,
    /// Longest stall while reading a body (408 beyond). Zero: none.
    pub body_timeout: Duration,
    /// Least average rate, in bytes per second, of a request body (408 below) and of a
    /// response being written (the connection is dropped), checked from 10 s after the
    /// first byte. Zero: none.
    pub min_rate: u64,
    /// How long an idle keep-alive connection is kept. Zero: forever.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head: 32 * 1024,
            max_target: 8 * 1024,
            max_headers: 256,
            max_body: 32 * 1024 * 1024,
            drain_max: 256 * 1024,
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            min_rate: 1024,
            // FC breaks if the server closes an idle connection in under 15 minutes.
            idle_timeout: Duration::from_secs(20 * 60),
        }
    }
}
