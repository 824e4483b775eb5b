//! Server-sent events: `GET /events?n=N` (default 5) streams one event every 500 ms, each
//! written to the client as soon as it exists (FC streams chunked answers as they come).
//!
//! `cargo run --example sse`, then `curl -N localhost:9000/events?n=3`.

use std::io::Read;
use std::time::{Duration, Instant};

use fc_runtime::{Context, Handler, HandlerError, Request, Response};

/// The event stream: each `read` waits for the next tick and returns one whole event.
struct Ticks {
    next: u32,
    last: u32,
    start: Instant,
    pending: Vec<u8>,
}

impl Read for Ticks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            if self.next > self.last {
                return Ok(0);
            }
            if self.next > 1 {
                std::thread::sleep(Duration::from_millis(500));
            }
            self.pending = format!(
                "id: {}\nevent: tick\ndata: {{\"n\":{},\"ms\":{}}}\n\n",
                self.next,
                self.next,
                self.start.elapsed().as_millis()
            )
            .into_bytes();
            self.next += 1;
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

struct Events;

impl Handler for Events {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok(event)
    }

    fn http(&self, req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        if req.path != "/events" {
            return Ok(Response::new(404).with_body("try GET /events?n=5\n"));
        }
        let n = req
            .query
            .split('&')
            .find_map(|kv| kv.strip_prefix("n="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
            .min(1000);
        let ticks = Ticks {
            next: 1,
            last: n,
            start: Instant::now(),
            pending: Vec::new(),
        };
        Ok(Response::new(200)
            .with_header("Content-Type", "text/event-stream")
            .with_header("Cache-Control", "no-cache")
            .with_stream(ticks, None))
    }
}

fn main() {
    fc_runtime::run(Events)
}
