//! The life of one connection: read a head (under its deadline), hand the request to a
//! [`Service`], make sure the body is consumed or the connection closed, frame the answer,
//! repeat while keep-alive holds. Pipelined requests are answered in order because the
//! next head is only parsed once the previous exchange is complete.
//!
//! It reports its [`Phase`] through [`Hooks`] so a server can tell an expendable connection
//! (idle, or still sending its head) from one with a request in progress, and stop it. It
//! knows nothing of sockets, threads or platforms; it ends by saying how to close ([`End`]).

use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::body::{is_timeout, BodyReader, BodyState};
use super::budget::BodyBudget;
use super::error::HttpError;
use super::head::{self, Framing, RequestHead};
use super::message::{Request, RequestBody, Response, Version};
use super::reader::{ConnReader, Transport};
use super::response::{reason, write_response, Exchange};
use super::{Limits, RATE_GRACE};

/// Where a connection stands, as far as a server's eviction policy cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the first byte of a request (expendable).
    Idle,
    /// Part of a head has arrived (expendable).
    Head,
    /// A request is being handled (never dropped).
    Active,
}

/// The server's side of a connection: phase changes and shutdown.
pub trait Hooks {
    /// The connection entered `phase`. `false` stops the loop (evicted, or shutting down).
    fn phase(&mut self, phase: Phase) -> bool;
    /// True once the server is draining: answers carry `Connection: close`.
    fn draining(&self) -> bool;
    /// The budget request bodies are charged to (none: bodies are only bounded one by one).
    fn budget(&self) -> Option<&BodyBudget> {
        None
    }
}

/// Hooks that never stop anything (tests, simple embeddings).
pub struct NoHooks;

impl Hooks for NoHooks {
    fn phase(&mut self, _: Phase) -> bool {
        true
    }
    fn draining(&self) -> bool {
        false
    }
}

/// Turns a request into a response.
pub trait Service {
    /// Handles one request. Must not panic across this call if the caller cannot afford it;
    /// the `fc` layer catches handler panics itself.
    fn call(&mut self, req: Request<'_>) -> Response;
}

impl<F: FnMut(Request<'_>) -> Response> Service for F {
    fn call(&mut self, req: Request<'_>) -> Response {
        self(req)
    }
}

/// How the connection should be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Nothing more is expected from the peer: close.
    Done,
    /// We answered and stopped reading while the peer may still send: half-close, discard
    /// input for a moment, then close, so the answer is not lost to a reset.
    Linger,
    /// The transport failed: just drop it.
    Abort,
}

/// Serves requests on one connection until it ends.
pub fn serve<T: Transport, W: Write>(
    src: &mut ConnReader<T>,
    out: &mut W,
    limits: &Limits,
    service: &mut impl Service,
    hooks: &mut impl Hooks,
) -> End {
    loop {
        if !hooks.phase(Phase::Idle) {
            return End::Done;
        }
        let head = match read_head(src, limits, hooks) {
            Ok(Some(h)) => h,
            Ok(None) => return End::Done,
            Err(HeadFail::Io) => return End::Abort,
            Err(HeadFail::Http(e)) => return refuse(out, e),
        };
        if !hooks.phase(Phase::Active) {
            return End::Done;
        }
        match exchange(src, out, limits, service, hooks, head) {
            Ok(true) => continue,
            Ok(false) => return End::Done,
            Err(end) => return end,
        }
    }
}

/// One request/response. `Ok(keep_alive)`, or how to end.
fn exchange<T: Transport, W: Write>(
    src: &mut ConnReader<T>,
    out: &mut W,
    limits: &Limits,
    service: &mut impl Service,
    hooks: &mut impl Hooks,
    head: RequestHead,
) -> Result<bool, End> {
    let RequestHead {
        method,
        path,
        query,
        version,
        headers,
        framing,
        keep_alive,
        expect_continue,
    } = head;
    let head_only = method == "HEAD";
    let declared = match framing {
        Framing::Length(n) => Some(n),
        _ => None,
    };
    let mut st = BodyState::new(
        framing,
        limits.max_body,
        expect_continue,
        limits.body_timeout,
    )
    .with_min_rate(limits.min_rate, RATE_GRACE);
    if let Some(budget) = hooks.budget() {
        if let Err(e) = st.charge(budget) {
            return Err(refuse(out, e));
        }
    }
    let resp = {
        let mut interim: &mut dyn Write = out;
        let mut body = BodyReader::new(src, &mut st, Some(&mut interim));
        service.call(Request {
            method,
            path,
            query,
            version,
            headers,
            body: RequestBody::with_len(&mut body, declared),
        })
    };
    let mut keep_alive = keep_alive && !hooks.draining();
    let mut end = End::Done;
    if st.error().is_none() && !st.is_done() {
        if st.continue_pending() || st.known_left().is_some_and(|n| n > limits.drain_max) {
            // The client may be holding the body back for a 100 we never sent, or the rest
            // is more than we would drain anyway: answer now and close, never wait for it.
            keep_alive = false;
            end = End::Linger;
        } else {
            let drained = BodyReader::new(src, &mut st, None).drain(limits.drain_max);
            if !matches!(drained, Ok(true)) {
                keep_alive = false;
                end = End::Linger;
            }
        }
    }
    if let Some(e) = st.error() {
        // A body that broke its framing or limits: that is the answer, whatever the handler
        // made of the part it saw.
        return Err(refuse(out, e));
    }
    let ex = Exchange {
        version,
        head_only,
        keep_alive,
    };
    match write_response(out, resp, ex) {
        Ok(true) => Ok(true),
        Ok(false) => Err(end),
        Err(_) => Err(End::Abort),
    }
}

enum HeadFail {
    Http(HttpError),
    Io,
}

/// Reads until a complete head is buffered. `Ok(None)`: the peer closed or stayed idle
/// past the idle timeout without starting a request.
fn read_head<T: Transport>(
    src: &mut ConnReader<T>,
    limits: &Limits,
    hooks: &mut impl Hooks,
) -> Result<Option<RequestHead>, HeadFail> {
    let mut deadline: Option<Instant> = None;
    loop {
        if !src.buffered().is_empty() {
            match head::parse(src.buffered(), limits) {
                Ok(Some((h, n))) => {
                    src.consume(n);
                    return Ok(Some(h));
                }
                Ok(None) => {}
                Err(e) => return Err(HeadFail::Http(e)),
            }
            let now = Instant::now();
            let d = *deadline.get_or_insert_with(|| {
                hooks.phase(Phase::Head);
                now + limits.head_timeout
            });
            if now >= d {
                return Err(HeadFail::Http(HttpError::HeadTimeout));
            }
            src.set_timeout(Some(d - now)).map_err(|_| HeadFail::Io)?;
        } else {
            src.set_timeout(nonzero(limits.idle_timeout))
                .map_err(|_| HeadFail::Io)?;
        }
        match src.fill_more() {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) if is_timeout(&e) && deadline.is_some() => {
                return Err(HeadFail::Http(HttpError::HeadTimeout))
            }
            Err(e) if is_timeout(&e) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                return Err(HeadFail::Http(head::overflow(src.buffered())))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(HeadFail::Io),
        }
    }
}

/// `None` for a zero duration, which sockets read as "no timeout".
fn nonzero(d: Duration) -> Option<Duration> {
    Some(d).filter(|d| !d.is_zero())
}

/// Answers a protocol error with its status and a fixed text, and closes.
fn refuse<W: Write>(out: &mut W, e: HttpError) -> End {
    let status = e.status();
    let mut resp = Response::new(status)
        .with_header("Content-Type", "text/plain; charset=utf-8")
        .with_body(format!("{status} {}: {e}\n", reason(status)));
    if status == 503 {
        resp = resp.with_header("Retry-After", "1");
    }
    let ex = Exchange {
        version: Version::Http11,
        head_only: false,
        keep_alive: false,
    };
    match write_response(out, resp, ex) {
        Ok(_) => End::Linger,
        Err(_) => End::Abort,
    }
}

#[cfg(test)]
mod tests;
