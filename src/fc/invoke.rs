//! The [`Dispatcher`]: turns one HTTP request into one call the way Function Compute
//! expects — context from headers, routing, Start/End marker lines around the call, the
//! request id on every log line, panics caught, failures in FC's shape. What the call
//! reaches is a [`Target`]: a [`Handler`]'s methods, or (exec mode) an app behind a proxy.
//!
//! The End marker follows the answer: at once for an answer in memory, after the last byte
//! of a streamed one, after an upgraded connection closes, so the lines FC cuts between the
//! markers are the call's. Marker lines go to a [`Markers`] sink supplied by the caller
//! (stdout in production, a vector in tests), so this module performs no I/O of its own.

use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use super::dispatch::{route, strip_base_path, Route};
use super::{Context, Handler, HandlerError};
use crate::http::{OnUpgrade, Request, Response, ResponseBody};
use crate::logging::RequestScope;

/// Where marker lines (`FC Invoke Start RequestId: …`) go. One call per line.
pub(crate) trait Markers: Send + Sync {
    /// Emits one marker line; `line` ends with its newline.
    fn line(&self, line: &str);
}

/// What a call reaches once routed (the base path already stripped from `req.path`).
pub(crate) trait Target: Send + Sync + 'static {
    fn call(&self, route: Route, req: Request<'_>, ctx: &Context)
        -> Result<Response, HandlerError>;
}

/// A [`Handler`] as a [`Target`]: events read whole into `invoke`, hooks answer 200.
pub(crate) struct Handled<H>(pub H);

impl<H: Handler> Target for Handled<H> {
    fn call(
        &self,
        route: Route,
        mut req: Request<'_>,
        ctx: &Context,
    ) -> Result<Response, HandlerError> {
        let h = &self.0;
        match route {
            Route::Invoke => {
                let event = req.body.to_vec()?;
                Ok(Response::ok(h.invoke(event, ctx)?))
            }
            Route::Http => h.http(req, ctx),
            Route::Initialize => h.initialize(ctx).map(|_| Response::new(200)),
            Route::PreFreeze => h.pre_freeze(ctx).map(|_| Response::new(200)),
            Route::PreStop => h.pre_stop(ctx).map(|_| Response::new(200)),
        }
    }
}

/// Maps requests to calls of one [`Target`] (a trait object: one copy of the dispatcher in
/// the binary, whatever it dispatches to).
pub(crate) struct Dispatcher {
    target: Box<dyn Target>,
    markers: Arc<dyn Markers>,
    strip_base_path: bool,
}

impl Dispatcher {
    /// A dispatcher for `handler`, writing marker lines to `markers`; `strip_base_path`
    /// removes the FC 2.0 `x-fc-base-path` prefix from passthrough paths.
    pub(crate) fn new<H: Handler>(
        handler: H,
        markers: Arc<dyn Markers>,
        strip_base_path: bool,
    ) -> Self {
        Dispatcher::with_target(Handled(handler), markers, strip_base_path)
    }

    /// A dispatcher for any [`Target`].
    pub(crate) fn with_target(
        target: impl Target,
        markers: Arc<dyn Markers>,
        strip_base_path: bool,
    ) -> Self {
        Dispatcher {
            target: Box::new(target),
            markers,
            strip_base_path,
        }
    }

    /// Handles one request.
    pub(crate) fn handle(&self, mut req: Request<'_>) -> Response {
        let ctx = Context::from_headers(&req.headers, Instant::now());
        let _scope = RequestScope::enter(&ctx.request_id);
        let route = route(&req.method, &req.path, &req.headers);
        let word = route.marker();
        self.marker(format_args!(
            "FC {word} Start RequestId: {}\n",
            ctx.request_id
        ));
        if route == Route::Http && self.strip_base_path {
            let stripped = strip_base_path(&req.path, &req.headers);
            if stripped.len() != req.path.len() {
                req.path = stripped.to_owned();
            }
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let resp = self.target.call(route, req, &ctx)?;
            Ok(match route {
                Route::Http => strip_reserved(resp),
                _ => resp,
            })
        }));
        let failure = match outcome {
            Ok(Ok(resp)) => {
                let end = format!("FC {word} End RequestId: {}\n", ctx.request_id);
                return self.end_after(resp, end);
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

    /// Writes the End marker once `resp` has been delivered: now for an answer in memory,
    /// when a streamed body ends, when an upgraded connection is given back.
    fn end_after(&self, mut resp: Response, end: String) -> Response {
        let markers = self.markers.clone();
        resp.body = match resp.body {
            ResponseBody::Stream { reader, len } => ResponseBody::Stream {
                reader: Box::new(EndOnClose {
                    inner: reader,
                    end: Some((markers, end)),
                }),
                len,
            },
            ResponseBody::Upgrade(cb) => ResponseBody::Upgrade(OnUpgrade(Box::new(move |conn| {
                (cb.0)(conn);
                markers.line(&end);
            }))),
            body => {
                self.markers.line(&end);
                body
            }
        };
        resp
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
}

/// A streamed body that writes its call's End marker when it ends, fails, or is dropped
/// unfinished (the client went away).
struct EndOnClose {
    inner: Box<dyn Read + Send>,
    end: Option<(Arc<dyn Markers>, String)>,
}

impl EndOnClose {
    fn emit(&mut self) {
        if let Some((markers, line)) = self.end.take() {
            markers.line(&line);
        }
    }
}

impl Read for EndOnClose {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.inner.read(buf);
        if !matches!(r, Ok(n) if n > 0) && !buf.is_empty() {
            self.emit();
        }
        r
    }
}

impl Drop for EndOnClose {
    fn drop(&mut self) {
        self.emit();
    }
}

/// The answer to a failed call: event invocations get FC's `404` + `x-fc-status: 404`,
/// passthrough the error's status (500 unless it says otherwise), hooks `500`; all carry
/// the JSON error body.
pub(crate) fn error_response(route: Route, e: &HandlerError) -> Response {
    match route {
        Route::Invoke => Response::json(404, e.to_json()).with_header("x-fc-status", "404"),
        Route::Http => Response::json(e.status().unwrap_or(500), e.to_json()),
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
