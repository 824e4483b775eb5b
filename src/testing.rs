//! Testing a function: [`ContextBuilder`] makes the [`Context`] FC would send (request id,
//! function settings, deadline, credentials, tracing) for calling a handler directly, and
//! [`serve`] runs a handler behind the real server on an ephemeral loopback port, called
//! the way FC calls it ([`TestFunction::invoke`], [`TestFunction::request`]).
//!
//! ```
//! use fc_runtime::{testing, Context, HandlerError};
//!
//! let f = testing::serve(|event: Vec<u8>, ctx: &Context| -> Result<String, HandlerError> {
//!     Ok(format!("{} bytes for {}", event.len(), ctx.function_name))
//! });
//! assert_eq!(f.invoke("hello").text(), "5 bytes for test-function");
//! ```
//!
//! Test helpers panic on failure, with the reason, rather than return errors. Nothing here
//! is used by the runtime itself (and the linker drops it from binaries that do not call it).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::client::{Call, Client};
use crate::fc::{Context, Credentials, Handler, Secret, Tracing};
use crate::http::Headers;
use crate::server::{Background, Server};
use crate::Config;

/// Builds the [`Context`] of one invocation, for unit tests of handlers.
///
/// ```
/// use std::time::Duration;
/// use fc_runtime::testing::ContextBuilder;
///
/// let ctx = ContextBuilder::new()
///     .request_id("r-1")
///     .function_name("resize")
///     .memory_mb(256)
///     .timeout(Duration::from_secs(3))
///     .credentials("AKID", "secret", "token")
///     .build();
/// assert_eq!((ctx.request_id.as_str(), ctx.memory_mb), ("r-1", Some(256)));
/// assert!(ctx.remaining().unwrap() <= Duration::from_secs(3));
/// assert_eq!(format!("{:?}", ctx.credentials.access_key_secret), "***");
/// ```
#[derive(Clone, Debug)]
pub struct ContextBuilder {
    ctx: Context,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        ContextBuilder::new()
    }
}

impl ContextBuilder {
    /// Request id `test-request-id`, function `test-function` in `cn-hangzhou`, 512 MB,
    /// qualifier `LATEST`, no timeout, no credentials.
    pub fn new() -> ContextBuilder {
        ContextBuilder {
            ctx: Context {
                request_id: "test-request-id".into(),
                function_name: "test-function".into(),
                function_handler: "index.handler".into(),
                memory_mb: Some(512),
                region: "cn-hangzhou".into(),
                account_id: "1234567890123456".into(),
                qualifier: "LATEST".into(),
                ..Context::default()
            },
        }
    }

    /// `x-fc-request-id`.
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.ctx.request_id = id.into();
        self
    }

    /// `x-fc-function-name`.
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.ctx.function_name = name.into();
        self
    }

    /// `x-fc-function-handler`.
    pub fn function_handler(mut self, handler: impl Into<String>) -> Self {
        self.ctx.function_handler = handler.into();
        self
    }

    /// `x-fc-function-memory`, in MB.
    pub fn memory_mb(mut self, mb: u32) -> Self {
        self.ctx.memory_mb = Some(mb);
        self
    }

    /// `x-fc-function-timeout`; the deadline becomes now plus `t`.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.ctx.timeout = Some(t);
        self.ctx.deadline = Instant::now().checked_add(t);
        self
    }

    /// A deadline of its own (for a handler that watches [`Context::remaining`]).
    pub fn deadline(mut self, at: Instant) -> Self {
        self.ctx.deadline = Some(at);
        self
    }

    /// `x-fc-region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.ctx.region = region.into();
        self
    }

    /// `x-fc-account-id`.
    pub fn account_id(mut self, id: impl Into<String>) -> Self {
        self.ctx.account_id = id.into();
        self
    }

    /// `x-fc-qualifier`.
    pub fn qualifier(mut self, q: impl Into<String>) -> Self {
        self.ctx.qualifier = q.into();
        self
    }

    /// `x-fc-retry-count`.
    pub fn retry_count(mut self, n: u32) -> Self {
        self.ctx.retry_count = n;
        self
    }

    /// The function role's STS credentials.
    pub fn credentials(mut self, id: &str, secret: &str, token: &str) -> Self {
        self.ctx.credentials = Credentials {
            access_key_id: Secret::new(id),
            access_key_secret: Secret::new(secret),
            security_token: Secret::new(token),
        };
        self
    }

    /// FC's tracing headers (span context `traceid:spanid:parentid:flags`).
    pub fn tracing(mut self, span_context: impl Into<String>) -> Self {
        self.ctx.tracing = Tracing {
            span_context: span_context.into(),
            ..Tracing::default()
        };
        self
    }

    /// The context.
    pub fn build(self) -> Context {
        self.ctx
    }
}

/// A handler served on `127.0.0.1:<ephemeral>` by the real server (FC's dispatch, markers,
/// error shapes, limits), stopped when dropped. Panics if it cannot listen.
pub fn serve<H: Handler>(handler: H) -> TestFunction {
    let config = Config {
        host: "127.0.0.1".into(),
        port: 0,
        grace: Duration::from_secs(2),
        ..Config::default()
    };
    let running = Server::bind(&config)
        .and_then(|s| s.spawn(handler))
        .unwrap_or_else(|e| panic!("testing::serve: cannot listen on 127.0.0.1: {e}"));
    TestFunction {
        client: Client::new(running.addr()),
        running,
        context: ContextBuilder::new()
            .timeout(Duration::from_secs(30))
            .build(),
    }
}

/// A function served for a test; see [`serve`].
pub struct TestFunction {
    running: Background,
    client: Client,
    context: Context,
}

/// What the function answered.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The header fields.
    pub headers: Headers,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether FC would count this invocation as failed (`x-fc-status: 404`).
    pub fn is_function_error(&self) -> bool {
        self.headers.get("x-fc-status") == Some("404")
    }
}

impl TestFunction {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// Calls arrive with this context's fields (default: [`ContextBuilder::new`] with a
    /// 30 s timeout).
    pub fn with_context(mut self, ctx: Context) -> Self {
        self.context = ctx;
        self
    }

    /// An event invocation, as FC sends it (`POST /invoke`, the `x-fc-*` fields).
    pub fn invoke(&self, event: impl AsRef<[u8]>) -> Answer {
        let mut h = self.fc_fields("/invoke");
        h.append("Content-Type", "application/octet-stream");
        self.call("POST", "/invoke", h, event.as_ref())
    }

    /// An HTTP-trigger request (`x-fc-control-path: /http-invoke`), with `headers` of
    /// its own.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let mut h = self.fc_fields("/http-invoke");
        for (n, v) in headers {
            h.append(n, v);
        }
        self.call(method, target, h, body)
    }

    fn call(&self, method: &str, target: &str, h: Headers, body: &[u8]) -> Answer {
        let deadline = Instant::now() + self.context.timeout.unwrap_or(Duration::from_secs(30));
        let mut reply = self
            .client
            .call(Call::new(method, target, deadline).headers(&h).body(body))
            .unwrap_or_else(|e| panic!("{method} {target}: {e}"));
        let body = reply
            .read_to_vec(64 << 20)
            .unwrap_or_else(|e| panic!("{method} {target}: reading the answer: {e}"));
        Answer {
            status: reply.status,
            headers: reply.headers.clone(),
            body,
        }
    }

    /// FC's fields for this context.
    fn fc_fields(&self, control_path: &str) -> Headers {
        let c = &self.context;
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs().max(1).to_string());
        let mut h = Headers::new();
        let pairs = [
            ("x-fc-request-id", Some(c.request_id.clone())),
            ("x-fc-function-name", Some(c.function_name.clone())),
            ("x-fc-function-handler", Some(c.function_handler.clone())),
            ("x-fc-function-memory", c.memory_mb.map(|m| m.to_string())),
            ("x-fc-function-timeout", secs(c.timeout)),
            ("x-fc-region", Some(c.region.clone())),
            ("x-fc-account-id", Some(c.account_id.clone())),
            ("x-fc-qualifier", Some(c.qualifier.clone())),
            (
                "x-fc-retry-count",
                (c.retry_count > 0).then(|| c.retry_count.to_string()),
            ),
            ("x-fc-control-path", Some(control_path.to_owned())),
            (
                "x-fc-access-key-id",
                Some(c.credentials.access_key_id.expose().to_owned()),
            ),
            (
                "x-fc-access-key-secret",
                Some(c.credentials.access_key_secret.expose().to_owned()),
            ),
            (
                "x-fc-security-token",
                Some(c.credentials.security_token.expose().to_owned()),
            ),
            (
                "x-fc-tracing-opentracing-span-context",
                Some(c.tracing.span_context.clone()),
            ),
            (
                "x-fc-tracing-opentracing-span-baggages",
                Some(c.tracing.baggage.clone()),
            ),
        ];
        for (n, v) in pairs {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                h.append(n, v);
            }
        }
        h
    }
}
