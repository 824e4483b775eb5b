//! FC's `InvokeFunction` API, next to the HTTP trigger, for the one function fc-local runs,
//! so Alibaba's SDKs and tools invoke it unmodified:
//! - FC 2.0: `POST /2016-08-15/services/{service}[.{qualifier}]/functions/{function}/invocations`
//! - FC 3.0: `POST /2023-03-30/functions/{function}/invocations[?qualifier=…]`
//!
//! Synchronous calls answer 200 with the function's result (`X-Fc-Error-Type:
//! UnhandledInvocationError` when it failed: `x-fc-status: 404`, a timeout, a crash) and
//! `X-Fc-Log-Result` for `X-Fc-Log-Type: Tail`; asynchronous ones answer 202 at once and
//! go to the [`Runner`]. Platform errors are JSON in each version's words
//! ([`FcError::body`]). Signatures are checked only with `--verify-signature` (`sign.rs`).
//!
//! Routing and shaping; the calls themselves go through the fleet's instances.

use std::io::Read;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use fc_runtime::{Request, Response};

use crate::cli::Function;
use crate::failure::Failure;
use crate::fleet::Fleet;
use crate::instance::FcCall;
use crate::logs::last_bytes;
use crate::platform::{tail_requested, Dialect, FcError};
use crate::runner::{Job, Runner};
use crate::util::{percent_decode, request_id};
use fc_runtime::base64::encode as base64;

pub mod sign;

/// Synchronous and asynchronous event size limits.
const MAX_SYNC_BODY: usize = 32 << 20;
const MAX_ASYNC_BODY: usize = 128 << 10;
/// Largest result read back.
const MAX_RESULT: u64 = 64 << 20;
/// Bytes of log lines returned for `X-Fc-Log-Type: Tail`.
const LOG_TAIL: usize = 4 * 1024;

/// The function an API path names.
#[derive(Debug, PartialEq, Eq)]
pub struct Named {
    pub dialect: Dialect,
    /// FC 2.0's service (FC 3.0 has none).
    pub service: Option<String>,
    pub qualifier: Option<String>,
    pub function: String,
}

/// What an API path asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    Invoke(Named),
    /// An API path this emulator does not serve (management calls, other methods).
    Unsupported(Dialect),
}

/// The API route of a request (`None`: not an API path; the HTTP trigger's).
pub fn route(method: &str, path: &str, query: &str) -> Option<Route> {
    let (dialect, rest) = if let Some(r) = path.strip_prefix("/2016-08-15/services/") {
        (Dialect::Fc2, r)
    } else if let Some(r) = path.strip_prefix("/2023-03-30/") {
        (Dialect::Fc3, r)
    } else {
        return None;
    };
    let seg: Vec<String> = rest.split('/').map(percent_decode).collect();
    let named = match (dialect, seg.as_slice()) {
        (Dialect::Fc2, [svc, f, name, inv]) if f == "functions" && inv == "invocations" => {
            let (service, qualifier) = match svc.split_once('.') {
                Some((s, q)) => (s.to_string(), Some(q.to_string())),
                None => (svc.clone(), None),
            };
            Some(Named {
                dialect,
                service: Some(service),
                qualifier,
                function: name.clone(),
            })
        }
        (Dialect::Fc3, [f, name, inv]) if f == "functions" && inv == "invocations" => Some(Named {
            dialect,
            service: None,
            qualifier: query_param(query, "qualifier"),
            function: name.clone(),
        }),
        _ => None,
    };
    Some(match named {
        Some(n) if method == "POST" => Route::Invoke(n),
        _ => Route::Unsupported(dialect),
    })
}

/// The API's side of the gateway.
pub struct Api {
    pub fleet: Arc<Fleet>,
    pub runner: Arc<Runner>,
    pub function: Function,
    pub keys: Option<crate::cli::Keys>,
}

enum Kind {
    Sync,
    Async,
}

impl Api {
    /// Answers one API request (the caller adds `X-Fc-Request-Id`).
    pub fn handle(&self, req: &mut Request<'_>, route: Route, rid: &str) -> Response {
        match route {
            Route::Unsupported(d) => FcError::new(
                400,
                "PathNotSupported",
                format!(
                    "'{}' against '{}' is not supported (fc-local serves InvokeFunction only)",
                    req.method, req.path
                ),
            )
            .response(d, rid),
            Route::Invoke(named) => {
                let d = named.dialect;
                match self.invoke(req, named, rid) {
                    Ok(r) => r,
                    Err(e) => e.response(d, rid),
                }
            }
        }
    }

    fn invoke(&self, req: &mut Request<'_>, n: Named, rid: &str) -> Result<Response, FcError> {
        let body = read_body(req)?;
        if let Some(keys) = &self.keys {
            let signed = sign::Signed {
                method: &req.method,
                raw_path: &req.path,
                query: &req.query,
                headers: &req.headers,
                body: &body,
            };
            match n.dialect {
                Dialect::Fc2 => sign::verify_fc2(keys, &signed, SystemTime::now())?,
                Dialect::Fc3 => sign::verify_acs3(keys, &signed, SystemTime::now())?,
            }
        }
        if let Some(s) = n.service.as_deref().filter(|s| *s != self.function.service) {
            return Err(FcError::new(
                404,
                "ServiceNotFound",
                format!(
                    "service '{s}' does not exist (this fc-local serves '{}')",
                    self.function.service
                ),
            ));
        }
        if n.function != self.function.name {
            return Err(FcError::new(
                404,
                "FunctionNotFound",
                format!(
                    "function '{}' does not exist (this fc-local serves '{}')",
                    n.function, self.function.name
                ),
            ));
        }
        let kind = match req.headers.get("x-fc-invocation-type") {
            None => Kind::Sync,
            Some(v) if v.eq_ignore_ascii_case("sync") => Kind::Sync,
            Some(v) if v.eq_ignore_ascii_case("async") => Kind::Async,
            Some(v) => {
                return Err(FcError::new(
                    400,
                    "InvalidArgument",
                    format!("X-Fc-Invocation-Type '{v}' is not Sync or Async"),
                ))
            }
        };
        let qualifier = n.qualifier.clone().unwrap_or_else(|| "LATEST".into());
        match kind {
            Kind::Async => self.submit(req, n.dialect, body, qualifier, rid),
            Kind::Sync => self.sync(req, n.dialect, &body, qualifier, rid),
        }
    }

    fn submit(
        &self,
        req: &Request<'_>,
        d: Dialect,
        body: Vec<u8>,
        qualifier: String,
        rid: &str,
    ) -> Result<Response, FcError> {
        if body.len() > MAX_ASYNC_BODY {
            return Err(too_large(body.len(), MAX_ASYNC_BODY, "an asynchronous"));
        }
        let task_id = match d {
            Dialect::Fc3 => Some(
                req.headers
                    .get("x-fc-async-task-id")
                    .map_or_else(request_id, str::to_owned),
            ),
            Dialect::Fc2 => None,
        };
        self.runner.submit(Job {
            request_id: rid.to_string(),
            task_id: task_id.clone(),
            method: "POST".into(),
            target: "/invoke".into(),
            headers: event_headers(),
            body,
            control_path: "/invoke",
            fields: vec![("x-fc-qualifier", qualifier)],
        })?;
        let mut resp = Response::new(202);
        if let Some(t) = task_id {
            resp = resp.with_header("X-Fc-Async-Task-Id", t);
        }
        Ok(resp)
    }

    fn sync(
        &self,
        req: &Request<'_>,
        d: Dialect,
        body: &[u8],
        qualifier: String,
        rid: &str,
    ) -> Result<Response, FcError> {
        let tail = tail_requested(&req.headers, self.fleet.scale().concurrency)?;
        let lease = self
            .fleet
            .acquire(None)
            .map_err(|e| Failure::NoInstance(e).error())?;
        let inst = &lease.inst;
        let from = inst.logs.next_seq();
        let t0 = Instant::now();
        let timeout = self.function.timeout;
        let result = inst
            .call(FcCall {
                method: "POST",
                target: "/invoke",
                headers: event_headers(),
                body,
                control_path: Some("/invoke"),
                request_id: rid,
                timeout,
                fields: vec![("x-fc-qualifier", qualifier)],
            })
            .and_then(|mut r| r.read_to_vec(MAX_RESULT).map(|b| (r, b)));
        let took = t0.elapsed();
        let mut resp = match result {
            Ok((r, b)) => {
                let resp = Response::new(200)
                    .with_header("Content-Type", "application/octet-stream")
                    .with_body(b);
                if r.header("x-fc-status") == Some("404") {
                    resp.with_header("X-Fc-Error-Type", "UnhandledInvocationError")
                } else {
                    resp
                }
            }
            Err(e) => {
                let f = Failure::of_call(inst, e, timeout);
                let err = f.error();
                if !f.is_function_error() {
                    return Err(err);
                }
                Response::json(200, err.body(d, rid))
                    .with_header("X-Fc-Error-Type", "UnhandledInvocationError")
            }
        };
        resp = resp
            .with_header("X-Fc-Instance-Id", &inst.id)
            .with_header("X-Fc-Invocation-Duration", took.as_millis().to_string());
        if tail {
            let lines = inst
                .logs
                .for_request("Invoke", rid, from, inst.logs.next_seq());
            resp = resp.with_header("X-Fc-Log-Result", base64(&last_bytes(&lines, LOG_TAIL)));
        }
        Ok(resp)
    }
}

/// The fields FC sends with an event.
fn event_headers() -> Vec<(String, Vec<u8>)> {
    vec![(
        "Content-Type".to_string(),
        b"application/octet-stream".to_vec(),
    )]
}

fn too_large(len: usize, max: usize, what: &str) -> FcError {
    FcError::new(
        400,
        "InvalidArgument",
        format!("payload size {len} exceeds the maximum allowed size for {what} invocation ({max} bytes)"),
    )
}

/// The event, read whole up to the synchronous limit.
fn read_body(req: &mut Request<'_>) -> Result<Vec<u8>, FcError> {
    if let Some(n) = req.body.len_hint().filter(|&n| n > MAX_SYNC_BODY as u64) {
        return Err(too_large(n as usize, MAX_SYNC_BODY, "a synchronous"));
    }
    let mut body = Vec::new();
    (&mut req.body)
        .take(MAX_SYNC_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| FcError::new(400, "InvalidArgument", format!("cannot read the body: {e}")))?;
    if body.len() > MAX_SYNC_BODY {
        return Err(too_large(body.len(), MAX_SYNC_BODY, "a synchronous"));
    }
    Ok(body)
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(&v.replace('+', " ")))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table() {
        let fc2 = |s: &str, q: Option<&str>, f: &str| {
            Some(Route::Invoke(Named {
                dialect: Dialect::Fc2,
                service: Some(s.into()),
                qualifier: q.map(Into::into),
                function: f.into(),
            }))
        };
        let fc3 = |q: Option<&str>, f: &str| {
            Some(Route::Invoke(Named {
                dialect: Dialect::Fc3,
                service: None,
                qualifier: q.map(Into::into),
                function: f.into(),
            }))
        };
        let cases = [
            (
                "POST",
                "/2016-08-15/services/svc/functions/fn/invocations",
                "",
                fc2("svc", None, "fn"),
            ),
            (
                "POST",
                "/2016-08-15/services/svc.prod/functions/fn/invocations",
                "",
                fc2("svc", Some("prod"), "fn"),
            ),
            (
                "POST",
                "/2016-08-15/services/svc/functions/my%20fn/invocations",
                "",
                fc2("svc", None, "my fn"),
            ),
            (
                "GET",
                "/2016-08-15/services/svc/functions/fn/invocations",
                "",
                Some(Route::Unsupported(Dialect::Fc2)),
            ),
            (
                "GET",
                "/2016-08-15/services/svc/functions/fn",
                "",
                Some(Route::Unsupported(Dialect::Fc2)),
            ),
            (
                "POST",
                "/2023-03-30/functions/fn/invocations",
                "",
                fc3(None, "fn"),
            ),
            (
                "POST",
                "/2023-03-30/functions/fn/invocations",
                "qualifier=prod&x=1",
                fc3(Some("prod"), "fn"),
            ),
            (
                "POST",
                "/2023-03-30/functions/fn/invocations",
                "qualifier=",
                fc3(None, "fn"),
            ),
            (
                "GET",
                "/2023-03-30/functions/fn",
                "",
                Some(Route::Unsupported(Dialect::Fc3)),
            ),
            ("POST", "/2016-08-15/proxy/svc/fn/x", "", None),
            ("POST", "/invoke", "", None),
            ("GET", "/", "", None),
        ];
        for (method, path, query, want) in cases {
            assert_eq!(route(method, path, query), want, "{method} {path}?{query}");
        }
    }

    #[test]
    fn decode_table() {
        assert_eq!(percent_decode("a%20b%2F%zz%4"), "a b/%zz%4");
        assert_eq!(
            query_param("a=1&qualifier=p%20q", "qualifier").as_deref(),
            Some("p q")
        );
        assert_eq!(query_param("a=1", "qualifier"), None);
    }
}
