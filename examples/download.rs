//! A large response streamed with a known length, without holding it in memory:
//! `GET /bytes?n=1048576` answers n bytes (at most 1 GiB) with `Content-Length`.
//!
//! `cargo run --example download`, then `curl -o /dev/null localhost:9000/bytes?n=100000000`.
//! `make attack` serves its slow-read stage from this, since a slow reader only holds a
//! worker when the answer is larger than the socket buffers.

use std::io::Read;

use fc_runtime::{Context, Handler, HandlerError, Request, Response};

/// `left` bytes of `x`, produced on demand.
struct Bytes {
    left: u64,
}

impl Read for Bytes {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left.try_into().unwrap_or(usize::MAX));
        buf[..n].fill(b'x');
        self.left -= n as u64;
        Ok(n)
    }
}

struct Download;

impl Handler for Download {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok(event)
    }

    fn http(&self, req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        let n: u64 = req
            .query
            .split('&')
            .find_map(|kv| kv.strip_prefix("n="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1 << 20)
            .min(1 << 30);
        Ok(Response::new(200)
            .with_header("Content-Type", "application/octet-stream")
            .with_stream(Bytes { left: n }, Some(n)))
    }
}

fn main() {
    fc_runtime::run(Download)
}
