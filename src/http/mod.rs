//! HTTP/1.1 (RFC 9112), sans socket: everything here works on a [`Transport`] (a `Read`
//! with settable timeouts) and a `Write`, so every rule is tested with byte slices.
//!
//! httparse does the head syntax; this module adds what it leaves out — size limits, the
//! grammar of targets, `Host` and chunk lines, body framing, chunked decoding, `Expect`,
//! keep-alive, response framing — and the connection loop that ties them together for a
//! server, plus the client's half (request heads out, response heads in) on the same reader
//! and body decoder. It creates no threads, opens no sockets and knows nothing about
//! Function Compute.

mod body;
mod budget;
mod chunk;
mod conn;
mod date;
mod error;
mod framing;
mod head;
mod limits;
mod message;
mod pace;
mod reader;
mod refusal;
mod reply;
mod response;
mod syntax;
mod target;
mod upgrade;

pub use limits::Limits;
pub use message::{Headers, Request, RequestBody, Response, ResponseBody, Version};
pub use upgrade::{OnUpgrade, StopSignal, Upgraded};

pub(crate) use body::{BodyReader, BodyState};
pub(crate) use budget::BodyBudget;
pub(crate) use conn::{serve, CloseReason, End, Hooks, Phase};
pub(crate) use date::rfc3339_now;
pub(crate) use error::HttpError;
pub(crate) use framing::Framing;
pub(crate) use pace::{tenths_up, Window, RATE_GRACE};
pub(crate) use reader::{is_timeout, ConnReader, HeadFail, HeadWait};
pub(crate) use refusal::refuse;
pub(crate) use reply::{parse as parse_reply, write_request_head, ReplyHead};
pub(crate) use response::{copy_stream, write_all_vectored};

/// The pieces the fuzz targets drive directly (`--features fuzzing`; not a public API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use super::body::{BodyReader, BodyState};
    pub use super::conn::{serve, CloseReason, End, NoHooks};
    pub use super::framing::Framing;
    pub use super::head::parse as parse_head;
    pub use super::reader::{ConnReader, Transport};
    pub use super::{Limits, Request, Response, Version};
}
