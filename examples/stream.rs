//! A streamed response of unknown length: sent `chunked` to HTTP/1.1 clients (and
//! close-delimited to HTTP/1.0), produced piece by piece without buffering it all.
//!
//! `cargo run --example stream`, then `curl -N localhost:9000/count?n=5`.

use std::io::Read;
use std::time::Duration;

use fc_runtime::{Context, Handler, HandlerError, Request, Response};

/// Produces `line 1\n` ... `line n\n`, one line per read, pausing between them.
struct Lines {
    next: u32,
    last: u32,
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.next > self.last {
            return Ok(0);
        }
        if self.next > 1 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let line = format!("line {}\n", self.next);
        let n = line.len().min(buf.len());
        buf[..n].copy_from_slice(&line.as_bytes()[..n]);
        self.next += 1;
        Ok(n)
    }
}

struct Streamer;

impl Handler for Streamer {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok(event)
    }

    fn http(&self, req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        let n = req
            .query
            .split('&')
            .find_map(|kv| kv.strip_prefix("n="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(3)
            .min(1000);
        Ok(Response::new(200)
            .with_header("Content-Type", "text/plain")
            .with_stream(Lines { next: 1, last: n }, None))
    }
}

fn main() {
    fc_runtime::run(Streamer)
}
