//! [`Context`]: what Function Compute says about an invocation, read from its `x-fc-*`
//! request headers, plus [`Credentials`] and [`Secret`], which never print their values.
//!
//! Missing or unparsable headers leave a field at its default; nothing here fails. It does
//! not read the process environment (that is the caller's choice) and does no I/O.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::trace::Tracing;
use crate::config::megabytes;
use crate::http::Headers;

/// A credential value. `Debug` shows `***` (or `""` when empty); there is no `Display`.
/// Read it deliberately with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// The STS credentials of the function's role (empty when it has none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// `x-fc-access-key-id`.
    pub access_key_id: Secret,
    /// `x-fc-access-key-secret`.
    pub access_key_secret: Secret,
    /// `x-fc-security-token`.
    pub security_token: Secret,
}

impl Credentials {
    /// The request header fields Function Compute puts the role's credentials in. Never
    /// log, echo or forward their values where they could be seen.
    ///
    /// ```
    /// use fc_runtime::Credentials;
    /// assert!(Credentials::is_header("X-Fc-Security-Token"));
    /// assert!(!Credentials::is_header("x-fc-request-id"));
    /// ```
    pub const HEADERS: [&'static str; 3] = [
        "x-fc-access-key-id",
        "x-fc-access-key-secret",
        "x-fc-security-token",
    ];

    /// True for one of [`Credentials::HEADERS`] (any case).
    pub fn is_header(name: &str) -> bool {
        Credentials::HEADERS
            .iter()
            .any(|s| name.eq_ignore_ascii_case(s))
    }
}

/// The `x-fc-*` fields a [`Context`] reads, without the prefix, in the order of the match
/// in [`Context::from_headers`].
const FIELDS: [&str; 21] = [
    "request-id",
    "function-name",
    "function-handler",
    "function-memory",
    "function-timeout",
    "function-initializer",
    "initialization-timeout",
    "region",
    "account-id",
    "qualifier",
    "version-id",
    "service-name",
    "service-logproject",
    "service-logstore",
    "retry-count",
    "access-key-id",
    "access-key-secret",
    "security-token",
    "tracing-opentracing-span-context",
    "tracing-opentracing-span-baggages",
    "tracing-jaeger-endpoint",
];

/// What the platform says about one invocation. `Default` gives an empty context for unit
/// tests of handlers.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// `x-fc-request-id`; generated locally when the caller sent none.
    pub request_id: String,
    /// `x-fc-function-name`.
    pub function_name: String,
    /// `x-fc-function-handler`.
    pub function_handler: String,
    /// `x-fc-function-memory`, in MB.
    pub memory_mb: Option<u32>,
    /// `x-fc-function-timeout`.
    pub timeout: Option<Duration>,
    /// When the invocation times out: arrival plus `timeout`.
    pub deadline: Option<Instant>,
    /// `x-fc-function-initializer`.
    pub initializer: String,
    /// `x-fc-initialization-timeout`.
    pub initialization_timeout: Option<Duration>,
    /// `x-fc-region`.
    pub region: String,
    /// `x-fc-account-id`.
    pub account_id: String,
    /// `x-fc-qualifier` (`LATEST` or an alias).
    pub qualifier: String,
    /// `x-fc-version-id`.
    pub version_id: String,
    /// `x-fc-service-name` (empty on FC 3.0).
    pub service_name: String,
    /// `x-fc-service-logproject`.
    pub log_project: String,
    /// `x-fc-service-logstore`.
    pub log_store: String,
    /// `x-fc-retry-count` (asynchronous retries), 0 when absent.
    pub retry_count: u32,
    /// The function role's credentials.
    pub credentials: Credentials,
    /// FC's tracing headers (empty when tracing is off); [`Tracing::span`] parses them.
    pub tracing: Tracing,
}

impl Context {
    /// Reads a context from request headers; `now` is the arrival time used for the deadline.
    pub fn from_headers(h: &Headers, now: Instant) -> Context {
        let mut c = Context::default();
        let mut request_id = None;
        // One pass over the fields, the first of each name deciding (as `Headers::get`).
        let mut seen = 0u32;
        for (name, value) in h.iter() {
            let n = name.as_bytes();
            if n.len() <= 5 || !n[..5].eq_ignore_ascii_case(b"x-fc-") {
                continue;
            }
            let Some(i) = FIELDS
                .iter()
                .position(|f| f.as_bytes().eq_ignore_ascii_case(&n[5..]))
            else {
                continue;
            };
            if seen & (1 << i) != 0 {
                continue;
            }
            seen |= 1 << i;
            let Ok(v) = std::str::from_utf8(value) else {
                continue;
            };
            let num = || v.trim().parse::<u64>().ok();
            // Text fields share one copy (`text`); the others are parsed here.
            let text: &mut String = match i {
                0 => {
                    request_id = Some(v).filter(|v| !v.is_empty());
                    continue;
                }
                3 => {
                    c.memory_mb = megabytes(v).and_then(|m| u32::try_from(m).ok());
                    continue;
                }
                4 => {
                    c.timeout = num().map(Duration::from_secs);
                    continue;
                }
                6 => {
                    c.initialization_timeout = num().map(Duration::from_secs);
                    continue;
                }
                14 => {
                    c.retry_count = num().map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
                    continue;
                }
                1 => &mut c.function_name,
                2 => &mut c.function_handler,
                5 => &mut c.initializer,
                7 => &mut c.region,
                8 => &mut c.account_id,
                9 => &mut c.qualifier,
                10 => &mut c.version_id,
                11 => &mut c.service_name,
                12 => &mut c.log_project,
                13 => &mut c.log_store,
                15 => &mut c.credentials.access_key_id.0,
                16 => &mut c.credentials.access_key_secret.0,
                17 => &mut c.credentials.security_token.0,
                18 => &mut c.tracing.span_context,
                19 => &mut c.tracing.baggage,
                _ => &mut c.tracing.jaeger_endpoint,
            };
            text.push_str(v);
        }
        c.request_id = request_id.map_or_else(local_request_id, str::to_owned);
        c.deadline = c.timeout.and_then(|t| now.checked_add(t));
        c
    }

    /// Time left before the function timeout, if the platform gave one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

/// A unique-enough id for requests that arrive without `x-fc-request-id` (local runs,
/// other platforms): `local-<unix ms hex>-<counter hex>`.
fn local_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("local-{ms:x}-{n:x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs.iter().copied().collect()
    }

    #[test]
    fn context_from_headers_table() {
        let now = Instant::now();
        let h = headers(&[
            ("X-Fc-Request-Id", "1-67a59f35-150c1267-f381ba1c085c"),
            ("x-fc-function-name", "fn"),
            ("x-fc-function-handler", "index.handler"),
            ("x-fc-function-memory", "512"),
            ("x-fc-function-timeout", "60"),
            ("x-fc-function-initializer", "init"),
            ("x-fc-initialization-timeout", "3"),
            ("x-fc-region", "cn-hangzhou"),
            ("x-fc-account-id", "123"),
            ("x-fc-qualifier", "LATEST"),
            ("x-fc-version-id", "7"),
            ("x-fc-service-name", "svc"),
            ("x-fc-service-logproject", "proj"),
            ("x-fc-service-logstore", "store"),
            ("x-fc-retry-count", "2"),
            ("x-fc-access-key-id", "AKID"),
            ("x-fc-access-key-secret", "SECRETVALUE"),
            ("x-fc-security-token", "TOKENVALUE"),
        ]);
        let c = Context::from_headers(&h, now);
        assert_eq!(c.request_id, "1-67a59f35-150c1267-f381ba1c085c");
        assert_eq!(
            (c.function_name.as_str(), c.function_handler.as_str()),
            ("fn", "index.handler")
        );
        assert_eq!(c.memory_mb, Some(512));
        assert_eq!(c.timeout, Some(Duration::from_secs(60)));
        assert_eq!(c.deadline, Some(now + Duration::from_secs(60)));
        assert_eq!(c.initialization_timeout, Some(Duration::from_secs(3)));
        assert_eq!(
            (c.region.as_str(), c.account_id.as_str()),
            ("cn-hangzhou", "123")
        );
        assert_eq!(
            (c.qualifier.as_str(), c.version_id.as_str()),
            ("LATEST", "7")
        );
        assert_eq!(
            (
                c.service_name.as_str(),
                c.log_project.as_str(),
                c.log_store.as_str()
            ),
            ("svc", "proj", "store")
        );
        assert_eq!(c.retry_count, 2);
        assert_eq!(c.credentials.access_key_secret.expose(), "SECRETVALUE");
        let shown = format!("{c:?}");
        for secret in ["AKID", "SECRETVALUE", "TOKENVALUE"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        assert!(c.remaining().unwrap() <= Duration::from_secs(60));
    }

    #[test]
    fn defaults_when_absent_or_bad() {
        let c = Context::from_headers(
            &headers(&[
                ("x-fc-function-memory", "lots"),
                ("x-fc-function-timeout", "-1"),
            ]),
            Instant::now(),
        );
        assert!(c.request_id.starts_with("local-"));
        assert_eq!(
            (c.memory_mb, c.timeout, c.deadline, c.retry_count),
            (None, None, None, 0)
        );
        assert!(c.credentials.security_token.is_empty());
        assert_eq!(format!("{:?}", c.credentials.security_token), "\"\"");
        let other = Context::from_headers(&Headers::new(), Instant::now());
        assert_ne!(c.request_id, other.request_id);
        assert!(Context::default().request_id.is_empty());
    }

    #[test]
    fn secret_header_names() {
        for (n, secret) in [
            ("X-FC-ACCESS-KEY-SECRET", true),
            ("x-fc-security-token", true),
            ("x-fc-access-key-id", true),
            ("x-fc-request-id", false),
        ] {
            assert_eq!(Credentials::is_header(n), secret, "{n}");
        }
        // The HTTP layer masks credentials in `Debug` by a rule of its own, knowing no
        // platform: every name here must fall under it.
        let h: Headers = Credentials::HEADERS.iter().map(|n| (*n, "VALUE")).collect();
        assert!(!format!("{h:?}").contains("VALUE"), "{h:?}");
    }
}
