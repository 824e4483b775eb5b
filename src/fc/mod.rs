//! The Function Compute custom-runtime contract on top of plain HTTP: per-request
//! [`Context`] from `x-fc-*` headers, routing of event invocations, HTTP passthrough and
//! lifecycle hooks, the [`Handler`] trait, marker lines, and FC's error shapes.
//!
//! It maps requests to handler calls and does no I/O: bodies arrive as readers, marker
//! lines leave through a [`Markers`] sink. Sockets and threads are the server's.

mod context;
mod dispatch;
mod handler;
mod invoke;
mod trace;
#[cfg(feature = "json")]
mod typed;

pub use context::{Context, Credentials, Secret};
pub(crate) use dispatch::Route;
pub use handler::{Handler, HandlerError};
pub(crate) use invoke::{Dispatcher, Markers, Target};
pub use trace::{SpanContext, Tracing};
#[cfg(feature = "json")]
pub use typed::{Json, JsonFn, JsonHandler};
