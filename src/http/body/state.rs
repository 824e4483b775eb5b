//! [`BodyState`]: where the decoding of one body stands and what it may still take — its
//! phase, the bytes decoded against the limit, the budget it holds (given back on drop),
//! a pending `100 Continue`, the stall timeout and the minimum rate, and the first error.
//! It outlives the reader borrows, so the connection loop can ask afterwards whether the
//! body was read, left unread, or broke. No reading here; that is `BodyReader`'s.

use std::time::Duration;

use crate::http::budget::BodyBudget;
use crate::http::error::HttpError;
use crate::http::framing::Framing;
use crate::http::pace::Pace;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Length(u64),
    UntilClose,
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers(usize),
    Done,
}

/// Where the decoding of one request body stands; outlives the reader borrows. Bytes it
/// reserved from a [`BodyBudget`] are given back when it is dropped.
#[derive(Debug)]
pub struct BodyState<'b> {
    pub(super) phase: Phase,
    pub(super) decoded: u64,
    pub(super) limit: u64,
    pub(super) continue_pending: bool,
    pub(super) error: Option<HttpError>,
    pub(super) timeout: Option<Duration>,
    pub(super) pace: Pace,
    pub(super) budget: Option<&'b BodyBudget>,
    pub(super) held: u64,
}

impl<'b> BodyState<'b> {
    /// Starts a body with `framing`, at most `limit` decoded bytes; `expect_continue` sends
    /// `100 Continue` before the first read; reads stall out after `timeout`.
    pub fn new(framing: Framing, limit: u64, expect_continue: bool, timeout: Duration) -> Self {
        let phase = match framing {
            Framing::None | Framing::Length(0) => Phase::Done,
            Framing::Length(n) => Phase::Length(n),
            Framing::Chunked => Phase::ChunkSize,
            Framing::CloseDelimited => Phase::UntilClose,
        };
        BodyState {
            phase,
            decoded: 0,
            limit,
            continue_pending: expect_continue && phase != Phase::Done,
            error: None,
            timeout: Some(timeout).filter(|t| !t.is_zero()),
            pace: Pace::new(0, Duration::ZERO),
            budget: None,
            held: 0,
        }
    }

    /// After `grace` from the first read (the connection loop uses
    /// [`RATE_GRACE`](super::RATE_GRACE)), the body must have averaged at least
    /// `bytes_per_sec` (else 408), so a client trickling a byte every few seconds cannot
    /// hold a worker for long. 0: no rate check.
    pub fn with_min_rate(mut self, bytes_per_sec: u64, grace: Duration) -> Self {
        self.pace = Pace::new(bytes_per_sec, grace);
        self
    }

    /// Changes the stall timeout for the reads to come (a client keeps its call's deadline
    /// this way). Zero: none.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout).filter(|t| !t.is_zero());
    }

    /// Charges this body to `budget`: a `Content-Length` body is reserved whole now (503
    /// when it cannot be, before any handler runs), a chunked one chunk by chunk as read.
    pub fn charge(&mut self, budget: &'b BodyBudget) -> Result<(), HttpError> {
        self.budget = Some(budget);
        match self.phase {
            Phase::Length(n) => self.reserve(n),
            _ => Ok(()),
        }
    }

    /// Reserves `n` more body bytes from the budget, if this body is charged to one.
    pub(super) fn reserve(&mut self, n: u64) -> Result<(), HttpError> {
        if let Some(b) = self.budget {
            if !b.reserve(n) {
                return Err(HttpError::Overloaded);
            }
            self.held += n;
        }
        Ok(())
    }

    /// True once the whole body has been read.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// True while a `100 Continue` was asked for and not yet sent (the client may be
    /// holding the body back).
    pub fn continue_pending(&self) -> bool {
        self.continue_pending
    }

    /// Body bytes still to come when that is known in advance (a `Content-Length` body).
    pub fn known_left(&self) -> Option<u64> {
        match self.phase {
            Phase::Length(n) => Some(n),
            _ => None,
        }
    }

    /// The first framing, limit or timeout error met, if any.
    pub fn error(&self) -> Option<HttpError> {
        self.error
    }
}

impl Drop for BodyState<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.budget {
            b.release(self.held);
        }
    }
}
