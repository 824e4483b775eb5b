//! The checks of platform behaviour a server must get right beyond single calls: the shape
//! of a failed invocation (`x-fc-status: 404`, or FC records success), several calls in
//! flight at once (instance concurrency), a streamed answer's first byte (FC streams only
//! chunked answers), and the lifecycle hooks FC may call (`GET /pre-freeze`, `/pre-stop`).
//!
//! Like the others, each sends what FC sends and judges only what the contract says: a
//! function that cannot be made to fail, or that streams nothing, is SKIPped, not failed.

use std::io::Read;
use std::time::{Duration, Instant};

use fc_runtime::client::{Call, Connection};

use super::checks::snippet;
use super::ctx::Ctx;
use super::{Check, Verdict, NAMES};
use crate::instance::FcCall;
use crate::platform::fc_headers;
use crate::util::{human, request_id};

/// Calls sent at once by the concurrency check.
const AT_ONCE: usize = 4;

/// An event no JSON handler accepts provokes a failure: its answer must carry
/// `x-fc-status: 404`.
pub fn failure_shape(ctx: &mut Ctx) -> Check {
    let name = NAMES[11];
    let rid = request_id();
    let r = match ctx.invoke(
        Vec::new(),
        b"\xff\xfe not an event {",
        Some("/invoke"),
        &rid,
    ) {
        Ok(r) => r,
        Err(e) => return Check::new(name, Verdict::Fail, e),
    };
    match (r.status, r.fc_status.as_deref()) {
        (200..=299, _) => Check::new(
            name,
            Verdict::Skip,
            format!(
                "a malformed event was answered {}: no failure to judge",
                r.status
            ),
        ),
        (_, Some("404")) => Check::new(
            name,
            Verdict::Pass,
            format!(
                "a malformed event: {} with x-fc-status: 404 ({})",
                r.status,
                snippet(&r.body)
            ),
        ),
        (status, fc) => Check::new(
            name,
            Verdict::Fail,
            format!(
                "a malformed event: {status} with x-fc-status {}: FC records this invocation as a success; add x-fc-status: 404",
                fc.unwrap_or("absent")
            ),
        ),
    }
}

/// Several `POST /invoke` in flight at once, each on its own connection (FC's instance
/// concurrency above 1): each must be answered, with its own marker lines when the
/// function prints them.
pub fn concurrent(ctx: &mut Ctx) -> Check {
    let name = NAMES[12];
    let t = Instant::now();
    let inst = ctx.inst;
    let timeout = ctx.timeout;
    let results: Vec<(String, Result<u16, String>)> = std::thread::scope(|s| {
        let calls: Vec<_> = (0..AT_ONCE)
            .map(|i| {
                s.spawn(move || {
                    let rid = request_id();
                    let body = format!("fc-local concurrent call {i}");
                    let r = inst
                        .call(FcCall {
                            method: "POST",
                            target: "/invoke",
                            headers: vec![(
                                "Content-Type".into(),
                                b"application/octet-stream".to_vec(),
                            )],
                            body: body.as_bytes(),
                            control_path: Some("/invoke"),
                            request_id: &rid,
                            timeout,
                            fields: Vec::new(),
                        })
                        .and_then(|mut r| r.read_to_vec(1 << 20).map(|_| r.status))
                        .map_err(|e| e.to_string());
                    (rid, r)
                })
            })
            .collect();
        calls
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| (String::new(), Err("crashed".into())))
            })
            .collect()
    });
    let took = t.elapsed();
    let bad: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| match r {
            Ok(s) if (200..300).contains(s) => None,
            Ok(s) => Some(format!("status {s}")),
            Err(e) => Some(e.clone()),
        })
        .collect();
    if !bad.is_empty() {
        return Check::new(
            name,
            Verdict::Fail,
            format!("{AT_ONCE} calls at once: {}", bad.join("; ")),
        );
    }
    if inst.started() {
        let missing = results
            .iter()
            .filter(|(rid, _)| {
                let end = format!("FC Invoke End RequestId: {rid}");
                inst.logs
                    .wait_for(&end, 0, Duration::from_secs(1))
                    .is_none()
            })
            .count();
        if missing > 0 && missing < AT_ONCE {
            return Check::new(
                name,
                Verdict::Warn,
                format!("{AT_ONCE} calls at once answered, but {missing} lack their End marker (with concurrency > 1, every line should carry its request id)"),
            );
        }
    }
    Check::new(
        name,
        Verdict::Pass,
        format!(
            "{AT_ONCE} calls at once, each on its own connection: all 2xx within {}",
            human(took)
        ),
    )
}

/// `--stream-path`: the answer must be chunked (FC buffers `Content-Length` answers) and
/// its first byte must come before its end.
pub fn streamed(ctx: &mut Ctx) -> Check {
    let name = NAMES[13];
    let Some(path) = ctx.stream_path.clone() else {
        return Check::new(
            name,
            Verdict::Skip,
            "give --stream-path PATH (e.g. an SSE endpoint) to check",
        );
    };
    let rid = request_id();
    let fc = fc_headers(&ctx.function, &rid, "/http-invoke");
    let h: fc_runtime::Headers = fc.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let t = Instant::now();
    let conn = match Connection::open(ctx.inst.addr(), Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => return Check::new(name, Verdict::Fail, format!("cannot connect: {e}")),
    };
    let mut r = match conn.call(Call::new("GET", &path, t + ctx.timeout).headers(&h)) {
        Ok(r) => r,
        Err(e) => return Check::new(name, Verdict::Fail, format!("GET {path}: {e}")),
    };
    let head = t.elapsed();
    let mut buf = [0u8; 4096];
    let first = match r.read(&mut buf) {
        Ok(0) => None,
        Ok(_) => Some(t.elapsed()),
        Err(e) => return Check::new(name, Verdict::Fail, format!("GET {path}: {e}")),
    };
    let mut rest = Vec::new();
    if let Err(e) = (&mut r).take(64 << 20).read_to_end(&mut rest) {
        return Check::new(name, Verdict::Fail, format!("GET {path}: {e}"));
    }
    let end = t.elapsed();
    let chunked = r
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    match (chunked, first) {
        (false, _) => Check::new(
            name,
            Verdict::Fail,
            format!(
                "GET {path} answered {} without Transfer-Encoding: chunked: FC buffers it whole",
                r.status
            ),
        ),
        (true, None) => Check::new(name, Verdict::Warn, format!("GET {path}: an empty stream")),
        (true, Some(first)) => Check::new(
            name,
            Verdict::Pass,
            format!(
                "GET {path}: head after {}, first byte after {}, end after {}",
                human(head),
                human(first),
                human(end)
            ),
        ),
    }
}

/// `GET /pre-freeze` and `GET /pre-stop` as FC sends them: 2xx (a hook ran) or 404 (none);
/// a 5xx makes FC restart the instance.
pub fn hooks(ctx: &mut Ctx) -> Check {
    let name = NAMES[14];
    let mut seen = Vec::new();
    for path in ["/pre-freeze", "/pre-stop"] {
        let rid = request_id();
        let t = Instant::now();
        let r = ctx.call("GET", path, Vec::new(), b"", Some(path), &rid);
        match r {
            Ok(a) if (200..300).contains(&a.status) || a.status == 404 => {
                seen.push(format!("{path} {} in {}", a.status, human(t.elapsed())));
            }
            Ok(a) => {
                return Check::new(
                    name,
                    Verdict::Fail,
                    format!(
                        "GET {path}: status {} (FC restarts an instance whose hook fails): {}",
                        a.status,
                        snippet(&a.body)
                    ),
                )
            }
            Err(e) => return Check::new(name, Verdict::Fail, format!("GET {path}: {e}")),
        }
    }
    Check::new(name, Verdict::Pass, seen.join(", "))
}
