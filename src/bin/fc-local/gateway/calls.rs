//! The request path of the gateway: FC's request limits, the forwarded request, the shaped
//! answer (reserved headers stripped, `X-Fc-Log-Result`), the function timeout, FC's error
//! answers, and the replacement of an instance that died.
//!
//! Calls go through the instance's one call path (`Instance::call`); no sockets here.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fc_runtime::client::CallError;
use fc_runtime::{Request, Response};

use super::{start, Gateway};
use crate::instance::{FcCall, Instance};
use crate::logs::last_bytes;
use crate::platform::{error_json, reserved_request_header, reserved_response_header};
use crate::util::{base64, human, request_id, say};

/// FC's gateway limits.
pub const MAX_HEADERS: usize = 8 * 1024;
pub const MAX_PATH: usize = 4 * 1024;
pub const MAX_BODY: u64 = 32 << 20;
/// Bytes of log lines returned for `X-Fc-Log-Type: Tail`.
const LOG_TAIL: usize = 4 * 1024;
/// Largest answer read back from the function.
const MAX_ANSWER: u64 = 64 << 20;

impl Gateway {
    pub(super) fn handle(&self, mut req: Request<'_>) -> Response {
        let rid = request_id();
        let t0 = Instant::now();
        let target = if req.query.is_empty() {
            req.path.clone()
        } else {
            format!("{}?{}", req.path, req.query)
        };
        let resp = match self.check_and_read(&mut req, &target) {
            Err(msg) => fc_error(400, "InvalidArgument", &msg, &rid),
            Ok(body) => self.pass(&req, &target, body, &rid),
        };
        say(format!(
            "fc-local: {rid} {} {} -> {} in {}",
            req.method,
            shorten(&target),
            resp.status,
            human(t0.elapsed())
        ));
        resp.with_header("X-Fc-Request-Id", &rid)
    }

    /// FC's request limits; the body, read whole.
    fn check_and_read(&self, req: &mut Request<'_>, target: &str) -> Result<Vec<u8>, String> {
        let header_bytes: usize = req.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        if header_bytes > MAX_HEADERS {
            return Err(format!(
                "request headers are {header_bytes} bytes, more than the 8 KB limit"
            ));
        }
        if target.len() > MAX_PATH {
            return Err(format!(
                "path and query are {} bytes, more than the 4 KB limit",
                target.len()
            ));
        }
        if req.body.len_hint().is_some_and(|n| n > MAX_BODY) {
            return Err("request body is larger than the 32 MB limit".into());
        }
        let mut body = Vec::new();
        (&mut req.body)
            .take(MAX_BODY + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("cannot read the request body: {e}"))?;
        if body.len() as u64 > MAX_BODY {
            return Err("request body is larger than the 32 MB limit".into());
        }
        Ok(body)
    }

    /// Forwards an admitted request and shapes the function's answer.
    fn pass(&self, req: &Request<'_>, target: &str, body: Vec<u8>, rid: &str) -> Response {
        if let Some(resp) = self.prefix_mismatch(&req.path, rid) {
            return resp;
        }
        let inst = match self.current() {
            Ok(i) => i,
            Err(e) => {
                let first = e.lines().next().unwrap_or_default();
                return fc_error(502, "FunctionNotStarted", first, rid);
            }
        };
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
        if let Some(p) = self.prefix.as_deref().filter(|p| req.path.starts_with(*p)) {
            headers.push(("x-fc-base-path".into(), p.as_bytes().to_vec()));
        }
        let tail = req
            .headers
            .get("x-fc-log-type")
            .is_some_and(|v| v.eq_ignore_ascii_case("tail"));
        let logs = inst.logs.clone();
        let from = logs.next_seq();
        let reply = inst
            .call(FcCall {
                method: &req.method,
                target,
                headers,
                body: &body,
                control_path: Some("/http-invoke"),
                request_id: rid,
                timeout: self.opts.function.timeout,
            })
            .and_then(|mut r| {
                if let Some(idle) = r.stale_idle {
                    say(format!(
                        "fc-local: warning: the function closed a keep-alive connection idle for {}; FC keeps them up to 15 minutes and fails calls the server closed first",
                        human(idle)
                    ));
                }
                let body = r.read_to_vec(MAX_ANSWER)?;
                Ok((r, body))
            });
        let mut resp = match reply {
            Err(e) => self.failure(&inst, e, rid),
            Ok((r, _)) if header_bytes(&r.headers) > MAX_HEADERS => fc_error(
                502,
                "BadResponse",
                &format!(
                    "response headers are {} bytes, more than the 8 KB limit",
                    header_bytes(&r.headers)
                ),
                rid,
            ),
            Ok((r, body)) => {
                let mut resp = Response::new(r.status).with_body(body);
                for (n, v) in r.headers.iter() {
                    if !reserved_response_header(n, v) {
                        resp.headers.append(n, v);
                    }
                }
                resp
            }
        };
        if tail {
            let lines = logs.for_request("Invoke", rid, from, logs.next_seq());
            resp = resp.with_header("X-Fc-Log-Result", base64(&last_bytes(&lines, LOG_TAIL)));
        }
        resp
    }

    /// Under `--fc2-prefix`, a path in FC 2.0's proxy space naming another function.
    fn prefix_mismatch(&self, path: &str, rid: &str) -> Option<Response> {
        let p = self.prefix.as_deref()?;
        let under =
            path.starts_with(p) && matches!(path.as_bytes().get(p.len()), None | Some(b'/'));
        (path.starts_with("/2016-08-15/proxy/") && !under).then(|| {
            fc_error(
                404,
                "FunctionNotFound",
                &format!("no function at {path}; this gateway serves {p}"),
                rid,
            )
        })
    }

    /// The live instance. One that exited is replaced first, as FC replaces a crashed
    /// instance with a cold start.
    fn current(&self) -> Result<Arc<Instance>, String> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(status) = live.exit_status() {
            say(format!(
                "fc-local: the function exited ({status}); starting a new instance"
            ));
            *live = Arc::new(start(&self.opts)?);
        }
        Ok(live.clone())
    }

    fn failure(&self, inst: &Instance, e: CallError, rid: &str) -> Response {
        // A connection that broke may mean the process is dying: give it a moment to be seen.
        let wait = match e {
            CallError::Closed | CallError::Send(_) | CallError::Malformed(_) => {
                Duration::from_millis(300)
            }
            _ => Duration::ZERO,
        };
        let t = Instant::now();
        let exited = loop {
            let status = inst.exit_status();
            if status.is_some() || t.elapsed() >= wait {
                break status;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        match (e, exited) {
            (_, Some(status)) => fc_error(
                502,
                "FunctionNotStarted",
                &format!("Process exited unexpectedly before completing request ({status})"),
                rid,
            ),
            (CallError::Timeout, None) => fc_error(
                502,
                "FunctionTimeout",
                &format!(
                    "Function timed out after {} seconds",
                    self.opts.function.timeout.as_secs()
                ),
                rid,
            ),
            (CallError::HeadTooLarge, None) => fc_error(
                502,
                "BadResponse",
                "response headers are larger than the 8 KB limit",
                rid,
            ),
            (e, None) => fc_error(
                502,
                "BadResponse",
                &format!("bad answer from the function: {e}"),
                rid,
            ),
        }
    }
}

/// Size of all header names and values, FC's measure for its 8 KB limit.
fn header_bytes(h: &fc_runtime::Headers) -> usize {
    h.iter().map(|(n, v)| n.len() + v.len()).sum()
}

fn fc_error(status: u16, code: &str, msg: &str, rid: &str) -> Response {
    Response::json(status, error_json(code, msg, rid))
}

fn shorten(s: &str) -> String {
    if s.len() <= 80 {
        return s.to_string();
    }
    let cut = (77..=80)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}...", &s[..cut])
}
