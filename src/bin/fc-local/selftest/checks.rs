//! The contract checks about calls: bind address, `/invoke`, dispatch, markers,
//! passthrough, reserved headers (`wire` has those about connections). Each sends what FC
//! sends, on a fresh connection, and judges only what the contract says; a function's own
//! answers (a 404 route, a body that does not echo) are not held against it.

use std::time::{Duration, Instant};

use super::ctx::Ctx;
use super::{Check, Verdict, NAMES};
use crate::instance::Instance;
use crate::procfs::{listeners, Bind};
use crate::util::{human, request_id};

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
    let t = Instant::now();
    let r = ctx.invoke(
        Vec::new(),
        b"fc-local selftest event",
        Some("/invoke"),
        &rid,
    );
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
    match ctx.invoke(Vec::new(), b"fc-local selftest event", None, &rid) {
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
    let h = vec![
        ("X-Selftest-Token".to_string(), hval.clone().into_bytes()),
        ("Content-Type".to_string(), b"text/plain".to_vec()),
    ];
    let target = format!("{path}?{query}");
    let r = match ctx.call(
        "PUT",
        &target,
        h,
        body.as_bytes(),
        Some("/http-invoke"),
        &rid,
    ) {
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
