//! The contract checks about calls: bind address, `/invoke`, dispatch, markers,
//! passthrough, reserved headers (`wire` has those about connections). Each sends what FC
//! sends, on a fresh connection, and judges only what the contract says; a function's own
//! answers (a 404 route, a body that does not echo) are not held against it.

use std::time::{Duration, Instant};

use super::{Check, Verdict, NAMES};
use crate::cli::{Function, Opts};
use crate::client::{Conn, Reply};
use crate::instance::Instance;
use crate::platform::fc_headers;
use crate::procfs::{listeners, Bind};
use crate::util::{human, request_id};

pub(super) type Headers = Vec<(String, Vec<u8>)>;

/// What the sequential checks share: where to call, the function's settings, the replies
/// seen (for the reserved-header check) and the invoke's request id (for the markers).
pub struct Ctx<'a> {
    pub(super) inst: &'a Instance,
    function: Function,
    pub(super) timeout: Duration,
    seen: Vec<(String, Vec<u8>)>,
    invoke_id: Option<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(inst: &'a Instance, o: &Opts) -> Ctx<'a> {
        Ctx {
            inst,
            function: o.function.clone(),
            timeout: o.function.timeout.min(Duration::from_secs(60)),
            seen: Vec::new(),
            invoke_id: None,
        }
    }

    fn headers(&self, rid: &str, control_path: Option<&str>) -> Headers {
        fc_headers(&self.function, rid, control_path.unwrap_or(""))
            .into_iter()
            .filter(|(n, _)| control_path.is_some() || n != "x-fc-control-path")
            .map(|(n, v)| (n, v.into_bytes()))
            .collect()
    }

    /// One request on a fresh connection.
    pub(super) fn call(
        &mut self,
        method: &str,
        target: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<Reply, String> {
        let mut c = Conn::connect(self.inst.addr(), Duration::from_secs(5))
            .map_err(|e| format!("cannot connect: {e}"))?;
        c.send(method, target, headers, body)
            .map_err(|e| format!("cannot send: {e}"))?;
        let r = c
            .read_reply(method == "HEAD", Instant::now() + self.timeout, 128 << 20)
            .map_err(|e| e.to_string())?;
        self.seen.extend(r.headers.iter().cloned());
        Ok(r)
    }

    pub(super) fn invoke_headers(&self, rid: &str, control_path: Option<&str>) -> Headers {
        let mut h = vec![(
            "Content-Type".to_string(),
            b"application/octet-stream".to_vec(),
        )];
        h.extend(self.headers(rid, control_path));
        h
    }

    /// Any `x-fc-*` (but `x-fc-status`) fails; `server` or `content-disposition: attachment`
    /// warns (FC drops them). Framing fields are the server's job and not judged.
    pub fn reserved(&self) -> Check {
        let name = NAMES[10];
        let mut fc = Vec::new();
        let mut dropped = Vec::new();
        for (n, v) in &self.seen {
            let l = n.to_ascii_lowercase();
            if l.starts_with("x-fc-") && l != "x-fc-status" {
                fc.push(n.clone());
            } else if l == "server"
                || (l == "content-disposition"
                    && String::from_utf8_lossy(v)
                        .to_ascii_lowercase()
                        .contains("attachment"))
            {
                dropped.push(n.clone());
            }
        }
        fc.dedup();
        dropped.dedup();
        if !fc.is_empty() {
            return Check::new(
                name,
                Verdict::Fail,
                format!(
                    "answers carry {}: x-fc-* is the platform's (echoed request headers?)",
                    fc.join(", ")
                ),
            );
        }
        if !dropped.is_empty() {
            return Check::new(
                name,
                Verdict::Warn,
                format!("answers carry {}: FC strips it", dropped.join(", ")),
            );
        }
        Check::new(
            name,
            Verdict::Pass,
            format!("{} fields seen, none reserved", self.seen.len()),
        )
    }
}

/// `0.0.0.0` (or `[::]`): FC connects from outside the instance.
pub fn bind(inst: &Instance) -> Check {
    let name = NAMES[1];
    let binds = listeners(inst.port);
    let show = |b: &Bind| match b {
        Bind::Any(a) | Bind::Loopback(a) | Bind::Other(a) => format!("{a}:{}", inst.port),
    };
    let all: Vec<String> = binds.iter().map(show).collect();
    if binds.iter().any(|b| matches!(b, Bind::Any(_))) {
        Check::new(name, Verdict::Pass, all.join(", "))
    } else if binds.is_empty() {
        Check::new(
            name,
            Verdict::Warn,
            "no listening socket found in /proc/net (another network namespace?)",
        )
    } else if binds.iter().all(|b| matches!(b, Bind::Loopback(_))) {
        Check::new(
            name,
            Verdict::Fail,
            format!(
                "listens on {} only: unreachable from FC's health check; bind 0.0.0.0",
                all.join(", ")
            ),
        )
    } else {
        Check::new(
            name,
            Verdict::Warn,
            format!("listens on {} only: FC needs 0.0.0.0", all.join(", ")),
        )
    }
}

pub fn invoke(ctx: &mut Ctx) -> Check {
    let rid = request_id();
    let h = ctx.invoke_headers(&rid, Some("/invoke"));
    let t = Instant::now();
    let r = ctx.call("POST", "/invoke", &h, b"fc-local selftest event");
    ctx.invoke_id = Some(rid);
    match r {
        Ok(r) if (200..300).contains(&r.status) => Check::new(
            NAMES[3],
            Verdict::Pass,
            format!(
                "{} in {}, {} result bytes",
                r.status,
                human(t.elapsed()),
                r.body.len()
            ),
        ),
        Ok(r) => Check::new(
            NAMES[3],
            Verdict::Fail,
            format!("status {}: {}", r.status, snippet(&r.body)),
        ),
        Err(e) => Check::new(NAMES[3], Verdict::Fail, e),
    }
}

/// Alibaba's own emulators send no `x-fc-control-path`: method + path must still work.
pub fn dispatch(ctx: &mut Ctx) -> Check {
    let rid = request_id();
    let h = ctx.invoke_headers(&rid, None);
    match ctx.call("POST", "/invoke", &h, b"fc-local selftest event") {
        Ok(r) if (200..300).contains(&r.status) => Check::new(
            NAMES[4],
            Verdict::Pass,
            format!("POST /invoke without x-fc-control-path: {}", r.status),
        ),
        Ok(r) => Check::new(
            NAMES[4],
            Verdict::Fail,
            format!(
                "POST /invoke without x-fc-control-path: status {}",
                r.status
            ),
        ),
        Err(e) => Check::new(NAMES[4], Verdict::Fail, e),
    }
}

pub fn markers(ctx: &mut Ctx) -> Check {
    let name = NAMES[5];
    if !ctx.inst.started() {
        return Check::new(
            name,
            Verdict::Skip,
            "not started here: its output is not visible",
        );
    }
    let Some(rid) = ctx.invoke_id.clone() else {
        return Check::new(name, Verdict::Skip, "no invoke was sent");
    };
    let wait = Duration::from_secs(1);
    let start = format!("FC Invoke Start RequestId: {rid}");
    let end = format!("FC Invoke End RequestId: {rid}");
    match (
        ctx.inst.logs.wait_for(&start, 0, wait),
        ctx.inst.logs.wait_for(&end, 0, wait),
    ) {
        (Some(_), Some(_)) => Check::new(
            name,
            Verdict::Pass,
            "Start and End lines with the request id",
        ),
        (s, _) => {
            let missing = if s.is_none() { &start } else { &end };
            Check::new(
                name,
                Verdict::Fail,
                format!("no line '{missing}' (FC's console cuts per-request logs by these)"),
            )
        }
    }
}

pub fn passthrough(ctx: &mut Ctx) -> Check {
    let name = NAMES[6];
    let tok = &request_id()[..8];
    let (path, query, hval, body) = (
        format!("/fc-local/selftest/a%20b/p{tok}"),
        format!("q=1&q=q{tok}&x=%C3%A9"),
        format!("h{tok}"),
        format!("body-b{tok}"),
    );
    let rid = request_id();
    let mut h = vec![
        ("X-Selftest-Token".to_string(), hval.clone().into_bytes()),
        ("Content-Type".to_string(), b"text/plain".to_vec()),
    ];
    h.extend(ctx.headers(&rid, Some("/http-invoke")));
    let r = match ctx.call("PUT", &format!("{path}?{query}"), &h, body.as_bytes()) {
        Ok(r) => r,
        Err(e) => return Check::new(name, Verdict::Fail, e),
    };
    if r.status >= 500 {
        return Check::new(
            name,
            Verdict::Fail,
            format!("PUT {path}: status {}: {}", r.status, snippet(&r.body)),
        );
    }
    let echo = String::from_utf8_lossy(&r.body);
    let parts = [
        ("path", &path[..]),
        ("query", &query[..]),
        ("header", &hval[..]),
        ("body", &body[..]),
    ];
    let found: Vec<&str> = parts
        .iter()
        .filter(|(_, v)| echo.contains(*v))
        .map(|(n, _)| *n)
        .collect();
    let verdict = if found.is_empty() {
        format!(
            "PUT answered {}; the answer echoes nothing, so contents are unverified",
            r.status
        )
    } else {
        format!(
            "PUT answered {}; echo shows {} intact",
            r.status,
            found.join(", ")
        )
    };
    Check::new(name, Verdict::Pass, verdict)
}

pub(super) fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(120)]);
    s.replace(['\r', '\n'], " ")
}
