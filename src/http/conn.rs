//! The life of one connection: read a head (under its deadline), hand the request to a
//! [`Service`], make sure the body is consumed or the connection closed, frame the answer,
//! repeat while keep-alive holds. Pipelined requests are answered in order because the
//! next head is only parsed once the previous exchange is complete.
//!
//! ```text
//!        ┌──────────────────────── keep-alive ─────────────────────────┐
//!        ▼                                                             │
//!      Idle ──first byte──▶ Head ──complete──▶ Active ──answer framed──┘
//!        │                   │                   │
//!        │ peer closed,      │ refused, late,    │ close asked or draining, body left
//!        │ idle timeout,     │ peer closed       │ unread, answer close-delimited,
//!        │ stopped           │                   │ socket failed
//!        ▼                   ▼                   ▼
//!                       CloseReason ──▶ End (close now, linger, abort)
//! ```
//!
//! It reports its [`Phase`] through [`Hooks`] so a server can tell an expendable connection
//! (idle, or still sending its head) from one with a request in progress, and stop it. It
//! knows nothing of sockets, threads or platforms; it ends by saying why ([`CloseReason`]),
//! from which follows how to close ([`End`]).

use std::io::Write;

use super::body::{BodyReader, BodyState};
use super::budget::BodyBudget;
use super::error::HttpError;
use super::framing::Framing;
use super::head::{self, RequestHead};
use super::message::{Request, RequestBody, Response, ResponseBody};
use super::reader::{ConnReader, HeadFail, HeadWait, Transport};
use super::refusal::refuse;
use super::response::{write_response, Exchange};
use super::upgrade::OnUpgrade;
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
    /// The connection switched protocols: `on_upgrade` wants it once the loop returned
    /// ([`CloseReason::Upgraded`]). Without a server to run it, it is dropped and the
    /// connection closes.
    fn upgraded(&mut self, on_upgrade: OnUpgrade) {
        drop(on_upgrade);
    }
    /// Between requests, with nothing buffered: may the connection wait for its next
    /// request somewhere else ([`CloseReason::Parked`]) instead of in a blocking read here?
    fn park(&mut self) -> bool {
        false
    }
}

/// Hooks that never stop anything (tests and the fuzz targets).
#[cfg(any(test, feature = "fuzzing"))]
pub struct NoHooks;

#[cfg(any(test, feature = "fuzzing"))]
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
    /// The connection stays open: the server watches it for its next request.
    Park,
    /// We answered and stopped reading while the peer may still send: half-close, discard
    /// input for a moment, then close, so the answer is not lost to a reset.
    Linger,
    /// The transport failed: just drop it.
    Abort,
}

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed between requests (or in the middle of a head).
    PeerClosed,
    /// No request started within the idle timeout.
    IdleTimeout,
    /// The server took the connection back while nothing was in progress (evicted to make
    /// room, or stopping).
    Stopped,
    /// The request did not allow keep-alive (`Connection: close`, HTTP/1.0 without
    /// `keep-alive`).
    ClientClose,
    /// The server is draining: the answer carried `Connection: close`.
    Draining,
    /// The handler left a request body unread that was too large to drain, or that the
    /// client holds back for a `100 Continue` never sent.
    BodyUnread,
    /// The answer's end is the connection's end (close-delimited, or a stream shorter than
    /// its declared length).
    AnswerUnframed,
    /// The request was refused with this error (answered, then closed).
    Refused(HttpError),
    /// The socket failed while reading or writing.
    Broken,
    /// The connection switched protocols; it belongs to the upgrade callback now.
    Upgraded,
    /// Between requests with nothing buffered, the server took the connection back to wait
    /// for its next request elsewhere ([`Hooks::park`]); it is not closed.
    Parked,
}

impl CloseReason {
    /// How to close after this.
    pub fn end(self) -> End {
        match self {
            CloseReason::Refused(_) | CloseReason::BodyUnread => End::Linger,
            CloseReason::Broken => End::Abort,
            CloseReason::Parked => End::Park,
            _ => End::Done,
        }
    }
}

/// Serves requests on one connection until it ends, and says why.
pub fn serve<T: Transport, W: Write>(
    src: &mut ConnReader<T>,
    out: &mut W,
    limits: &Limits,
    service: &mut impl Service,
    hooks: &mut impl Hooks,
) -> CloseReason {
    let wait = HeadWait {
        idle: Some(limits.idle_timeout).filter(|d| !d.is_zero()),
        head: limits.head_timeout,
        until: None,
    };
    // A new or just-woken connection reads at once; after an answer it may park.
    let mut answered = false;
    loop {
        if !hooks.phase(Phase::Idle) {
            return CloseReason::Stopped;
        }
        if answered && src.buffered().is_empty() && hooks.park() {
            return CloseReason::Parked;
        }
        answered = true;
        let parse = |buf: &[u8]| head::parse(buf, limits);
        let head = match src.read_head(wait, parse, |_| {
            hooks.phase(Phase::Head);
        }) {
            Ok(h) => h,
            Err(HeadFail::Closed | HeadFail::Cut) => return CloseReason::PeerClosed,
            Err(HeadFail::Idle) => return CloseReason::IdleTimeout,
            Err(HeadFail::Io(_)) => return CloseReason::Broken,
            Err(HeadFail::Timeout) => return refused(out, HttpError::HeadTimeout),
            Err(HeadFail::Full) => return refused(out, head::overflow(src.buffered())),
            Err(HeadFail::Parse(e)) => return refused(out, e),
        };
        if !hooks.phase(Phase::Active) {
            return CloseReason::Stopped;
        }
        if let Err(why) = exchange(src, out, limits, service, hooks, head) {
            return why;
        }
    }
}

/// One request/response. `Ok(())` when the connection goes on.
fn exchange<T: Transport, W: Write>(
    src: &mut ConnReader<T>,
    out: &mut W,
    limits: &Limits,
    service: &mut impl Service,
    hooks: &mut impl Hooks,
    head: RequestHead,
) -> Result<(), CloseReason> {
    let RequestHead {
        method,
        path,
        query,
        version,
        headers,
        framing,
        keep_alive,
        expect_continue,
        upgrade,
    } = head;
    let head_only = method == "HEAD";
    let declared = match framing {
        Framing::Length(n) => Some(n),
        Framing::None => Some(0),
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
            return Err(refused(out, e));
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
    // Why the connection would end after this answer, if it does.
    let mut ending = match (keep_alive, hooks.draining()) {
        (false, _) => Some(CloseReason::ClientClose),
        (true, true) => Some(CloseReason::Draining),
        (true, false) => None,
    };
    if st.error().is_none() && !st.is_done() {
        let unread = st.continue_pending() || st.known_left().is_some_and(|n| n > limits.drain_max);
        // The client may be holding the body back for a 100 we never sent, or the rest is
        // more than we would drain anyway: answer now and close, never wait for it.
        if unread
            || !matches!(
                BodyReader::new(src, &mut st, None).drain(limits.drain_max),
                Ok(true)
            )
        {
            ending = Some(CloseReason::BodyUnread);
        }
    }
    if let Some(e) = st.error() {
        // A body that broke its framing or limits: that is the answer, whatever the handler
        // made of the part it saw.
        return Err(refused(out, e));
    }
    let (resp, on_upgrade) = take_upgrade(resp, upgrade, ending);
    // The body is over: its budget goes back now (and `hooks` is free to take a callback).
    drop(st);
    let ex = Exchange {
        version,
        head_only,
        keep_alive: ending.is_none(),
        upgrade: on_upgrade.is_some(),
    };
    match (write_response(out, resp, ex), on_upgrade) {
        (Ok(_), Some(cb)) => {
            hooks.upgraded(cb);
            Err(CloseReason::Upgraded)
        }
        (Ok(true), None) => Ok(()),
        (Ok(false), None) => Err(ending.unwrap_or(CloseReason::AnswerUnframed)),
        (Err(_), _) => Err(CloseReason::Broken),
    }
}

/// Answers `e` ([`refuse`]) and says how the connection ended.
fn refused<W: Write>(out: &mut W, e: HttpError) -> CloseReason {
    match refuse(out, e) {
        Ok(()) => CloseReason::Refused(e),
        Err(_) => CloseReason::Broken,
    }
}

/// Separates an upgrade answer's callback from its head. Only a request that asked to
/// upgrade gets one, and only while the connection could go on (not closing for the
/// client, the drain, or an unread body); otherwise the answer is a 500 (the handler
/// upgraded uninvited) or a 503 (not now).
fn take_upgrade(
    resp: Response,
    asked: bool,
    ending: Option<CloseReason>,
) -> (Response, Option<OnUpgrade>) {
    let Response {
        status,
        headers,
        body,
    } = resp;
    match body {
        ResponseBody::Upgrade(cb) if asked && ending.is_none() && status == 101 => {
            let head = Response {
                status,
                headers,
                body: ResponseBody::Empty,
            };
            (head, Some(cb))
        }
        ResponseBody::Upgrade(_) if asked && ending.is_some() => (Response::new(503), None),
        ResponseBody::Upgrade(_) => {
            log::warn!("an upgrade answer to a request that did not ask to upgrade: 500");
            (Response::new(500), None)
        }
        body => (
            Response {
                status,
                headers,
                body,
            },
            None,
        ),
    }
}

#[cfg(test)]
mod tests;
