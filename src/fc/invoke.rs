//! The [`Dispatcher`]: turns one HTTP request into one handler call the way Function
//! Compute expects — context from headers, routing, Start/End marker lines around the call,
//! the request id on every log line, panics caught, failures in FC's shape.
//!
//! Marker lines go to a [`Markers`] sink supplied by the caller (stdout in production, a
//! vector in tests), so this module performs no I/O of its own.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use super::dispatch::{route, strip_base_path, Route};
use super::{Context, Handler, HandlerError};
use crate::http::{Request, Response};
use crate::logging::RequestScope;

/// Where marker lines (`FC Invoke Start RequestId: …`) go. One call per line, without the
/// newline.
pub trait Markers: Send + Sync {
    /// Emits one marker line; `line` ends with its newline.
    fn line(&self, line: &str);
}

/// Maps requests to calls of one [`Handler`].
pub struct Dispatcher<H> {
    handler: H,
    markers: Arc<dyn Markers>,
    strip_base_path: bool,
}

impl<H: Handler> Dispatcher<H> {
    /// A dispatcher for `handler`, writing marker lines to `markers`; `strip_base_path`
    /// removes the FC 2.0 `x-fc-base-path` prefix from passthrough paths.
    pub fn new(handler: H, markers: Arc<dyn Markers>, strip_base_path: bool) -> Self {
        Dispatcher {
            handler,
            markers,
            strip_base_path,
        }
    }

    /// Handles one request.
    pub fn handle(&self, mut req: Request<'_>) -> Response {
        let ctx = Context::from_headers(&req.headers, Instant::now());
        let _scope = RequestScope::enter(&ctx.request_id);
        let route = route(&req.method, &req.path, &req.headers);
        let word = route.marker();
        self.marker(format_args!(
            "FC {word} Start RequestId: {}\n",
            ctx.request_id
        ));
        let outcome = catch_unwind(AssertUnwindSafe(|| match route {
            Route::Invoke => self.invoke(&mut req, &ctx),
            Route::Http => {
                if self.strip_base_path {
                    let stripped = strip_base_path(&req.path, &req.headers);
                    if stripped.len() != req.path.len() {
                        req.path = stripped.to_owned();
                    }
                }
                self.handler.http(req, &ctx).map(strip_reserved)
            }
            Route::Initialize => self.handler.initialize(&ctx).map(|_| Response::new(200)),
            Route::PreFreeze => self.handler.pre_freeze(&ctx).map(|_| Response::new(200)),
            Route::PreStop => self.handler.pre_stop(&ctx).map(|_| Response::new(200)),
        }));
        let failure = match outcome {
            Ok(Ok(resp)) => {
                self.marker(format_args!(
                    "FC {word} End RequestId: {}\n",
                    ctx.request_id
                ));
                return resp;
            }
            Ok(Err(e)) => e,
            Err(panic) => HandlerError::new("Panic", panic_message(&*panic)),
        };
        log::error!("{failure}");
        let end = match route {
            Route::Invoke | Route::Http => ", Error: Unhandled function error",
            _ => "",
        };
        self.marker(format_args!(
            "FC {word} End RequestId: {}{end}\n",
            ctx.request_id
        ));
        error_response(route, &failure)
    }

    /// Formats a marker line in a reused per-thread buffer (no allocation per line).
    fn marker(&self, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        thread_local! {
            static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        LINE.with(|l| {
            let mut l = l.borrow_mut();
            l.clear();
            let _ = l.write_fmt(args);
            self.markers.line(&l);
        });
    }

    fn invoke(&self, req: &mut Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        let event = req.body.to_vec()?;
        Ok(Response::ok(self.handler.invoke(event, ctx)?))
    }
}

/// The answer to a failed call: event invocations get FC's `404` + `x-fc-status: 404`,
/// passthrough and hooks `500`; all carry the JSON error body.
pub fn error_response(route: Route, e: &HandlerError) -> Response {
    match route {
        Route::Invoke => Response::json(404, e.to_json()).with_header("x-fc-status", "404"),
        _ => Response::json(500, e.to_json()),
    }
}

/// Drops the response fields Function Compute reserves (`x-fc-*` except `x-fc-status`,
/// `server`), with a warning. Framing fields are the HTTP layer's to drop.
fn strip_reserved(mut resp: Response) -> Response {
    let reserved: Vec<String> = resp
        .headers
        .iter()
        .map(|(n, _)| n)
        .filter(|n| is_reserved(n))
        .map(str::to_owned)
        .collect();
    for name in reserved {
        log::warn!("dropped response header {name:?}: reserved by Function Compute");
        resp.headers.remove(&name);
    }
    resp
}

/// `x-fc-*` other than `x-fc-status`, and `server`.
fn is_reserved(name: &str) -> bool {
    let fc = name.len() >= 5 && name[..5].eq_ignore_ascii_case("x-fc-");
    (fc && !name.eq_ignore_ascii_case("x-fc-status")) || name.eq_ignore_ascii_case("server")
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "handler panicked".to_owned()
    }
}

#[cfg(test)]
mod tests;
