//! [`Proxy`]: FC's calls, as the dispatcher routes them, sent on to the app over the
//! library's pooled client:
//!
//! - an event: `POST <event path>` with the event and FC's fields; the app's body is the
//!   result, and a status at or above the error status is FC's function error;
//! - an HTTP-trigger call: method, target, fields and body as they came (hop-by-hop fields
//!   aside), streamed both ways: a chunked answer is relayed chunk by chunk;
//! - a request to switch protocols (WebSocket): a connection of its own to the app, then,
//!   after its `101`, both directions spliced until either side closes or the function
//!   timeout;
//! - a lifecycle hook: the same method and path; an app without it (404) has nothing to do.
//!
//! When the app cannot be reached or breaks off, the call fails as a function error (502
//! on an HTTP trigger). Each call's deadline is FC's function timeout when FC sends one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::fields::{from_app, to_app, wants_upgrade};
use crate::client::{Call, CallError, Client, Connection, Options, Reply};
use crate::config::App;
use crate::fc::{Context, HandlerError, Route, Target};
use crate::http::{Request, Response, ResponseBody};

/// An answer body up to this size is read whole and sent in one write; a larger one, or
/// one of unknown length, is streamed.
const BUFFERED: u64 = 64 << 10;
/// A request body up to this size is read first, so the call can be sent again if the app
/// had just closed the kept connection (the client's retry rule).
const REPLAYABLE: u64 = 64 << 10;
/// The largest event result read back (FC's synchronous limit is 32 MB).
const MAX_RESULT: u64 = 64 << 20;
/// How long one call alone in flight watches for the app's answer before sleeping: most
/// apps answer a small call within it, and a sleep and wake-up cost more (make exec-bench).
const SPIN: Duration = Duration::from_micros(100);
/// Idle connections to the app are not reused after this: below the shortest common
/// server keep-alive (Node.js closes after 5 s), so the race at its end never happens.
const APP_IDLE: Duration = Duration::from_secs(4);

/// The app behind fc-runtime.
pub(super) struct Proxy {
    client: Client,
    app: SocketAddr,
    event_path: String,
    error_status: u16,
    /// The deadline of a call FC sends no timeout for.
    default_timeout: Duration,
}

impl Proxy {
    pub(super) fn new(app: SocketAddr, cfg: &App, default_timeout: Duration) -> Proxy {
        let opts = Options {
            max_idle: 256,
            idle_expiry: APP_IDLE,
            spin: SPIN,
            ..Options::default()
        };
        Proxy {
            client: Client::with_options(app, opts),
            app,
            event_path: cfg.event_path.clone(),
            error_status: cfg.error_status,
            default_timeout,
        }
    }

    /// A connection the readiness probe left open: the first call uses it.
    pub(super) fn adopt(&self, conn: std::net::TcpStream) {
        self.client.adopt(conn);
    }

    fn deadline(&self, ctx: &Context) -> Instant {
        ctx.deadline
            .unwrap_or_else(|| Instant::now() + self.default_timeout)
    }

    /// An event: the app's answer body is the result.
    fn event(&self, mut req: Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        let event = req.body.to_vec()?;
        let h = to_app(&req.headers, &ctx.request_id, false);
        let call = Call::new("POST", &self.event_path, self.deadline(ctx))
            .headers(&h)
            .body(&event);
        let (reply, result) = crate::server::blocking(|| {
            let mut reply = self.client.call(call).map_err(unreachable)?;
            let result = reply.read_to_vec(MAX_RESULT).map_err(unreachable)?;
            Ok::<_, HandlerError>((reply, result))
        })?;
        if reply.status >= self.error_status {
            return Err(HandlerError::new(
                format!("AppStatus{}", reply.status),
                String::from_utf8_lossy(&result),
            ));
        }
        Ok(Response::ok(result))
    }

    /// An HTTP-trigger call, passed through.
    fn pass(&self, mut req: Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        let target = target(&req);
        let h = to_app(&req.headers, &ctx.request_id, false);
        let call = Call::new(&req.method, &target, self.deadline(ctx)).headers(&h);
        let reply = match req.body.len_hint() {
            Some(n) if n <= REPLAYABLE => {
                let body = req.body.to_vec()?;
                crate::server::blocking(|| self.client.call(call.body(&body)))
            }
            len => crate::server::blocking(|| self.client.call(call.stream(&mut req.body, len))),
        }
        .map_err(unreachable)?;
        answer(reply, req.method == "HEAD")
    }

    /// A request to switch protocols: its own connection; spliced after a 101.
    fn upgrade(&self, req: Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        let deadline = self.deadline(ctx);
        let target = target(&req);
        let h = to_app(&req.headers, &ctx.request_id, true);
        let conn = Connection::open(self.app, Duration::from_secs(5))
            .map_err(|e| unreachable(CallError::Connect(e)))?;
        let reply = conn
            .call(Call::new(&req.method, &target, deadline).headers(&h))
            .map_err(unreachable)?;
        if reply.status != 101 {
            return answer(reply, req.method == "HEAD");
        }
        let headers = from_app(&reply.headers, true);
        let app_side = reply
            .upgrade()
            .map_err(|_| unreachable(CallError::Closed))?;
        let mut resp = Response::upgrade(move |client_side| {
            crate::server::splice(client_side, app_side, deadline);
        });
        resp.headers = headers;
        Ok(resp)
    }

    /// A lifecycle hook at its own path; 404 means the app has none.
    fn hook(
        &self,
        method: &str,
        path: &str,
        req: Request<'_>,
        ctx: &Context,
    ) -> Result<Response, HandlerError> {
        let h = to_app(&req.headers, &ctx.request_id, false);
        let deadline = match (path, ctx.initialization_timeout) {
            ("/initialize", Some(t)) => Instant::now() + t,
            _ => self.deadline(ctx),
        };
        let mut reply = self
            .client
            .call(Call::new(method, path, deadline).headers(&h))
            .map_err(unreachable)?;
        let body = reply.read_to_vec(1 << 20).map_err(unreachable)?;
        match reply.status {
            404 | 200..=299 => Ok(Response::new(200)),
            s => Err(HandlerError::new(
                "HookFailed",
                format!(
                    "{method} {path} answered {s}: {}",
                    String::from_utf8_lossy(&body)
                ),
            )),
        }
    }
}

impl Target for Proxy {
    fn call(
        &self,
        route: Route,
        req: Request<'_>,
        ctx: &Context,
    ) -> Result<Response, HandlerError> {
        match route {
            Route::Invoke => self.event(req, ctx),
            Route::Http if wants_upgrade(&req.headers) => self.upgrade(req, ctx),
            Route::Http => self.pass(req, ctx),
            Route::Initialize => self.hook("POST", "/initialize", req, ctx),
            Route::PreFreeze => self.hook("GET", "/pre-freeze", req, ctx),
            Route::PreStop => self.hook("GET", "/pre-stop", req, ctx),
        }
    }
}

/// Path and query as the request-target.
fn target(req: &Request<'_>) -> String {
    if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    }
}

/// The app's answer as ours: its status and end-to-end fields; a small body read whole, a
/// large or unsized one streamed as it arrives (chunked to the client when unsized).
fn answer(mut reply: Reply, head: bool) -> Result<Response, HandlerError> {
    let status = reply.status;
    let headers = from_app(&reply.headers, false);
    let body = if head {
        let len = reply
            .header("content-length")
            .and_then(|v| v.trim().parse().ok());
        ResponseBody::Stream {
            reader: Box::new(std::io::empty()),
            len,
        }
    } else {
        match reply.body_len() {
            Some(0) => ResponseBody::Empty,
            Some(n) if n <= BUFFERED => {
                ResponseBody::Bytes(reply.read_to_vec(n).map_err(unreachable)?)
            }
            len => ResponseBody::Stream {
                reader: Box::new(reply),
                len,
            },
        }
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The app could not be reached, or broke off: a function error, 502 on an HTTP trigger.
fn unreachable(e: CallError) -> HandlerError {
    let kind = match e {
        CallError::Timeout => "AppTimeout",
        CallError::Connect(_) => "AppUnreachable",
        _ => "AppConnectionLost",
    };
    HandlerError::new(kind, format!("the app: {e}")).with_status(502)
}
