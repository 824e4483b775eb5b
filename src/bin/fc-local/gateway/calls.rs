//! The HTTP trigger's request path: FC's request limits, the forwarded request, then one of
//! four answers — accepted for later (`X-Fc-Invocation-Type: Async`), a WebSocket (or any
//! `Upgrade`) spliced after the function's 101, a chunked answer streamed as it arrives
//! (FC streams only chunked answers), or a buffered one with `X-Fc-Log-Result` for Tail.
//!
//! Calls go through the fleet's instances (`Instance::call`); no sockets here.

use std::io::Read;

use fc_runtime::client::Reply;
use fc_runtime::{Request, Response};

use super::Gateway;
use crate::failure::Failure;
use crate::fleet::Lease;
use crate::instance::FcCall;
use crate::logs::last_bytes;
use crate::platform::{
    reserved_request_header, reserved_response_header, tail_requested, Dialect, FcError,
};
use crate::runner::Job;
use crate::util::{human, say};
use fc_runtime::base64::encode as base64;

/// FC's gateway limits.
pub const MAX_HEADERS: usize = 8 * 1024;
pub const MAX_PATH: usize = 4 * 1024;
pub const MAX_BODY: u64 = 32 << 20;
const MAX_ASYNC_BODY: usize = 128 << 10;
/// Bytes of log lines returned for `X-Fc-Log-Type: Tail`.
const LOG_TAIL: usize = 4 * 1024;
/// Largest buffered answer read back from the function.
const MAX_ANSWER: u64 = 64 << 20;

impl Gateway {
    /// One HTTP-trigger request (the caller adds `X-Fc-Request-Id`).
    pub(super) fn trigger(&self, req: &mut Request<'_>, rid: &str) -> Response {
        let target = if req.query.is_empty() {
            req.path.clone()
        } else {
            format!("{}?{}", req.path, req.query)
        };
        let answer = self
            .check_and_read(req, &target)
            .and_then(|body| self.pass(req, &target, body, rid));
        answer.unwrap_or_else(|e| e.response(Dialect::Fc2, rid))
    }

    /// FC's request limits; the body, read whole.
    fn check_and_read(&self, req: &mut Request<'_>, target: &str) -> Result<Vec<u8>, FcError> {
        let invalid = |m: String| FcError::new(400, "InvalidArgument", m);
        let header_bytes = header_bytes(&req.headers);
        if header_bytes > MAX_HEADERS {
            return Err(invalid(format!(
                "request headers are {header_bytes} bytes, more than the 8 KB limit"
            )));
        }
        if target.len() > MAX_PATH {
            return Err(invalid(format!(
                "path and query are {} bytes, more than the 4 KB limit",
                target.len()
            )));
        }
        if req.body.len_hint().is_some_and(|n| n > MAX_BODY) {
            return Err(invalid(
                "request body is larger than the 32 MB limit".into(),
            ));
        }
        let mut body = Vec::new();
        (&mut req.body)
            .take(MAX_BODY + 1)
            .read_to_end(&mut body)
            .map_err(|e| invalid(format!("cannot read the request body: {e}")))?;
        if body.len() as u64 > MAX_BODY {
            return Err(invalid(
                "request body is larger than the 32 MB limit".into(),
            ));
        }
        Ok(body)
    }

    /// Forwards an admitted request and shapes the function's answer.
    fn pass(
        &self,
        req: &Request<'_>,
        target: &str,
        body: Vec<u8>,
        rid: &str,
    ) -> Result<Response, FcError> {
        self.prefix_mismatch(&req.path)?;
        let upgrade = wants_upgrade(req);
        let mut headers: Vec<(String, Vec<u8>)> = req
            .headers
            .iter()
            .filter(|(n, _)| {
                !reserved_request_header(n)
                    && !n.eq_ignore_ascii_case("content-length")
                    && !n.eq_ignore_ascii_case("transfer-encoding")
                    && !n.eq_ignore_ascii_case("expect")
            })
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect();
        if upgrade {
            headers.push(("Connection".into(), b"Upgrade".to_vec()));
        }
        if let Some(p) = self.prefix.as_deref().filter(|p| req.path.starts_with(*p)) {
            headers.push(("x-fc-base-path".into(), p.as_bytes().to_vec()));
        }
        if req
            .headers
            .get("x-fc-invocation-type")
            .is_some_and(|v| v.eq_ignore_ascii_case("async"))
        {
            return self.submit(req, target, headers, body, rid);
        }
        let tail = tail_requested(&req.headers, self.api.fleet.scale().concurrency)?;
        let lease = self
            .api
            .fleet
            .acquire(None)
            .map_err(|e| Failure::NoInstance(e).error())?;
        let call = FcCall {
            method: &req.method,
            target,
            headers,
            body: &body,
            control_path: Some("/http-invoke"),
            request_id: rid,
            timeout: self.opts.function.timeout,
            fields: Vec::new(),
        };
        if upgrade {
            return self.upgrade(lease, call);
        }
        let from = lease.inst.logs.next_seq();
        let reply = lease.inst.call(call);
        let reply = reply.map_err(|e| self.failed(&lease, e))?;
        if let Some(idle) = reply.stale_idle {
            say(format!(
                "fc-local: warning: the function closed a keep-alive connection idle for {}; FC keeps them up to 15 minutes and fails calls the server closed first",
                human(idle)
            ));
        }
        check_answer_headers(&reply)?;
        if is_chunked(&reply) {
            // FC streams chunked answers; Tail logs would have to wait for the end.
            return Ok(stream(reply, lease));
        }
        let mut reply = reply;
        let body = reply
            .read_to_vec(MAX_ANSWER)
            .map_err(|e| self.failed(&lease, e))?;
        let mut resp = answer_head(&reply).with_body(body);
        if tail {
            let logs = &lease.inst.logs;
            let lines = logs.for_request("Invoke", rid, from, logs.next_seq());
            resp = resp.with_header("X-Fc-Log-Result", base64(&last_bytes(&lines, LOG_TAIL)));
        }
        Ok(resp)
    }

    /// `X-Fc-Invocation-Type: Async` on the trigger: accepted now, run by the runner.
    fn submit(
        &self,
        req: &Request<'_>,
        target: &str,
        headers: Vec<(String, Vec<u8>)>,
        body: Vec<u8>,
        rid: &str,
    ) -> Result<Response, FcError> {
        if body.len() > MAX_ASYNC_BODY {
            return Err(FcError::new(
                400,
                "InvalidArgument",
                format!(
                    "payload size {} exceeds the maximum allowed size for an asynchronous invocation ({MAX_ASYNC_BODY} bytes)",
                    body.len()
                ),
            ));
        }
        self.api.runner.submit(Job {
            request_id: rid.to_string(),
            task_id: None,
            method: req.method.clone(),
            target: target.to_string(),
            headers,
            body,
            control_path: "/http-invoke",
            fields: Vec::new(),
        })?;
        Ok(Response::new(202))
    }

    /// An `Upgrade` request: its own connection to the function; after a 101 the two sides
    /// are spliced until either closes or the function timeout cuts them (the client then
    /// sees the connection end without a close frame: WebSocket's 1006, as on FC).
    fn upgrade(&self, lease: Lease, call: FcCall<'_>) -> Result<Response, FcError> {
        let timeout = call.timeout;
        let deadline = std::time::Instant::now() + timeout;
        let reply = lease
            .inst
            .call_upgrade(call)
            .map_err(|e| self.failed(&lease, e))?;
        check_answer_headers(&reply)?;
        if reply.status != 101 {
            let mut reply = reply;
            let body = reply
                .read_to_vec(MAX_ANSWER)
                .map_err(|e| self.failed(&lease, e))?;
            return Ok(answer_head(&reply).with_body(body));
        }
        let head = answer_head(&reply);
        let function_side = reply.upgrade().map_err(|_| {
            FcError::new(
                502,
                "BadResponse",
                "the function's 101 could not be taken over",
            )
        })?;
        let mut resp = Response::upgrade(move |client_side| {
            let (up, down) = fc_runtime::splice(client_side, function_side, deadline);
            let why = if std::time::Instant::now() >= deadline {
                format!("cut at the function timeout ({})", human(timeout))
            } else {
                "closed".into()
            };
            say(format!(
                "fc-local: upgraded connection on instance {} {why}: {up} bytes in, {down} bytes out",
                lease.inst.id
            ));
            drop(lease);
        });
        resp.headers = head.headers;
        Ok(resp)
    }

    fn failed(&self, lease: &Lease, e: fc_runtime::client::CallError) -> FcError {
        Failure::of_call(&lease.inst, e, self.opts.function.timeout).error()
    }

    /// Under `--fc2-prefix`, a path in FC 2.0's proxy space naming another function.
    fn prefix_mismatch(&self, path: &str) -> Result<(), FcError> {
        let Some(p) = self.prefix.as_deref() else {
            return Ok(());
        };
        let under =
            path.starts_with(p) && matches!(path.as_bytes().get(p.len()), None | Some(b'/'));
        if path.starts_with("/2016-08-15/proxy/") && !under {
            return Err(FcError::new(
                404,
                "FunctionNotFound",
                format!("no function at {path}; this gateway serves {p}"),
            ));
        }
        Ok(())
    }
}

/// The function's status and headers, reserved ones stripped.
fn answer_head(r: &Reply) -> Response {
    let mut resp = Response::new(r.status);
    for (n, v) in r.headers.iter() {
        let keep_upgrade = r.status == 101 && n.eq_ignore_ascii_case("upgrade");
        if keep_upgrade || !reserved_response_header(n, v) {
            resp.headers.append(n, v);
        }
    }
    resp
}

/// FC's 8 KB limit on the function's answer headers.
fn check_answer_headers(r: &Reply) -> Result<(), FcError> {
    let n = header_bytes(&r.headers);
    if n > MAX_HEADERS {
        return Err(FcError::new(
            502,
            "BadResponse",
            format!("response headers are {n} bytes, more than the 8 KB limit"),
        ));
    }
    Ok(())
}

fn is_chunked(r: &Reply) -> bool {
    r.headers.get_all("transfer-encoding").any(|v| {
        String::from_utf8_lossy(v)
            .to_ascii_lowercase()
            .contains("chunked")
    })
}

fn wants_upgrade(req: &Request<'_>) -> bool {
    req.headers.contains("upgrade")
        && req.headers.get_all("connection").any(|v| {
            String::from_utf8_lossy(v)
                .to_ascii_lowercase()
                .contains("upgrade")
        })
}

/// A chunked answer relayed as it arrives; the instance's place is held until it ends.
fn stream(reply: Reply, lease: Lease) -> Response {
    let head = answer_head(&reply);
    let mut resp = Response::new(head.status).with_stream(
        Streamed {
            reply,
            _lease: lease,
        },
        None,
    );
    resp.headers = head.headers;
    resp
}

struct Streamed {
    reply: Reply,
    _lease: Lease,
}

impl Read for Streamed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reply.read(buf)
    }
}

/// Size of all header names and values, FC's measure for its 8 KB limit.
fn header_bytes(h: &fc_runtime::Headers) -> usize {
    h.iter().map(|(n, v)| n.len() + v.len()).sum()
}
