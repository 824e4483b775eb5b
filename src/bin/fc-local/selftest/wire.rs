//! The checks about the wire and connections: 8 KB of headers, a 32 MiB body, pipelined
//! requests, and a keep-alive connection that must survive an idle wait (run on its own
//! thread beside the other checks, since the wait is long).

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fc_runtime::client::{Call, Connection, IdleEnd};
use fc_runtime::Headers as Fields;

use super::checks::snippet;
use super::ctx::{Ctx, Headers};
use super::{Check, Verdict, NAMES};
use crate::cli::{Function, Opts};
use crate::instance::Instance;
use crate::platform::fc_headers;
use crate::util::{human, request_id};

/// FC admits 8 KB of client headers and adds its own on top.
pub fn big_headers(ctx: &mut Ctx) -> Check {
    let rid = request_id();
    let mut h: Headers = Vec::new();
    let mut left: usize = 8 * 1024;
    let mut i = 0;
    while left > 0 {
        let n = format!("X-Selftest-Pad-{i:02}");
        let v = "v".repeat((1000usize).min(left.saturating_sub(n.len())).max(1));
        left = left.saturating_sub(n.len() + v.len());
        h.push((n, v.into_bytes()));
        i += 1;
    }
    let pads = h.len();
    let pad_bytes: usize = h.iter().map(|(n, v)| n.len() + v.len()).sum();
    // What FC adds on top of the client's 8 KB.
    let fc: usize = fc_headers(&ctx.function, &rid, "/invoke")
        .iter()
        .map(|(n, v)| n.len() + v.len())
        .sum::<usize>()
        + "Content-Type".len()
        + "application/octet-stream".len();
    let total = pad_bytes + fc;
    let fields = pads + fc_headers(&ctx.function, &rid, "/invoke").len() + 1;
    match ctx.invoke(h, b"x", Some("/invoke"), &rid) {
        Ok(r) if (200..300).contains(&r.status) => Check::new(
            NAMES[7],
            Verdict::Pass,
            format!("{} header bytes in {} fields: {}", total, fields, r.status),
        ),
        Ok(r) => Check::new(
            NAMES[7],
            Verdict::Fail,
            format!("{} header bytes: status {}", total, r.status),
        ),
        Err(e) => Check::new(
            NAMES[7],
            Verdict::Fail,
            format!("{total} header bytes: {e}"),
        ),
    }
}

pub fn big_body(ctx: &mut Ctx) -> Check {
    let body = vec![b'a'; 32 << 20];
    let rid = request_id();
    let t = Instant::now();
    match ctx.invoke(Vec::new(), &body, Some("/invoke"), &rid) {
        Ok(r) if (200..300).contains(&r.status) => Check::new(
            NAMES[8],
            Verdict::Pass,
            format!(
                "{} in {} ({} result bytes)",
                r.status,
                human(t.elapsed()),
                r.body.len()
            ),
        ),
        Ok(r) => Check::new(
            NAMES[8],
            Verdict::Fail,
            format!("status {}: {}", r.status, snippet(&r.body)),
        ),
        Err(e) => Check::new(NAMES[8], Verdict::Fail, e),
    }
}

pub fn pipelining(ctx: &mut Ctx) -> Check {
    let name = NAMES[9];
    let mut wire = Vec::new();
    let bodies: Vec<String> = (1..=3)
        .map(|i| format!("pipe-{i}-{}", &request_id()[..8]))
        .collect();
    for b in &bodies {
        let rid = request_id();
        wire.extend_from_slice(b"POST /invoke HTTP/1.1\r\nHost: fc-local\r\n");
        wire.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
        for (n, v) in fc_headers(&ctx.function, &rid, "/invoke") {
            wire.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n{b}", b.len()).as_bytes());
    }
    let mut c = match Connection::open(ctx.inst.addr(), Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => return Check::new(name, Verdict::Fail, format!("cannot connect: {e}")),
    };
    if let Err(e) = c.write_raw(&wire) {
        return Check::new(name, Verdict::Fail, format!("cannot send: {e}"));
    }
    let deadline = Instant::now() + ctx.timeout;
    let mut echoed = 0;
    let mut conn = Some(c);
    for i in 0..bodies.len() {
        let Some(c) = conn.take() else {
            return Check::new(
                name,
                Verdict::Fail,
                format!("the connection closed after {i} of 3 answers"),
            );
        };
        let answer = c.read_reply(false, deadline).and_then(|mut r| {
            let body = r.read_to_vec(1 << 20)?;
            Ok((r.status, body, r.into_connection()))
        });
        match answer {
            Ok((status, body, next)) if (200..300).contains(&status) => {
                conn = next;
                let text = String::from_utf8_lossy(&body);
                if let Some(j) = bodies.iter().position(|x| text.contains(x.as_str())) {
                    if j != i {
                        return Check::new(
                            name,
                            Verdict::Fail,
                            format!("answer {} carries request {}'s body", i + 1, j + 1),
                        );
                    }
                    echoed += 1;
                }
            }
            Ok((status, _, _)) => {
                return Check::new(
                    name,
                    Verdict::Fail,
                    format!("answer {}: status {status}", i + 1),
                )
            }
            Err(e) => {
                return Check::new(
                    name,
                    Verdict::Fail,
                    format!("{} of 3 answers, then: {e}", i),
                )
            }
        }
    }
    let how = if echoed == 3 {
        "in order (bodies echoed)"
    } else {
        "(order unverified: bodies not echoed)"
    };
    Check::new(
        name,
        Verdict::Pass,
        format!("3 requests in one write, 3 answers {how}"),
    )
}

/// Starts the keep-alive check: one call, `--idle` of silence (watching for the server
/// closing), one more call on the same connection.
pub fn idle_in_background(inst: &Instance, o: &Opts) -> JoinHandle<Check> {
    let addr = inst.addr();
    let function = o.function.clone();
    let idle = o.idle;
    std::thread::spawn(move || keep_alive(addr, &function, idle))
}

fn keep_alive(addr: SocketAddr, f: &Function, idle: Duration) -> Check {
    let name = NAMES[15];
    let fail = |why: String| Check::new(name, Verdict::Fail, why);
    let c = match Connection::open(addr, Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot connect: {e}")),
    };
    let call = |c: Connection| -> Result<(u16, Option<Connection>), String> {
        let rid = request_id();
        let fc = fc_headers(f, &rid, "/invoke");
        let h: Fields = fc.iter().map(|(n, v)| (n.as_str(), v)).collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut r = c
            .call(
                Call::new("POST", "/invoke", deadline)
                    .headers(&h)
                    .body(b"keep-alive"),
            )
            .map_err(|e| e.to_string())?;
        r.read_to_vec(1 << 20).map_err(|e| e.to_string())?;
        Ok((r.status, r.into_connection()))
    };
    let c = match call(c) {
        Ok((status, None)) => {
            return fail(format!("the first answer ({status}) closes the connection"))
        }
        Ok((_, Some(c))) => c,
        Err(e) => return fail(format!("first call: {e}")),
    };
    match c.wait_idle(idle) {
        Ok(()) => {}
        Err(IdleEnd::Closed(after)) => {
            return fail(format!(
                "the server closed the idle connection after {} (FC keeps it up to 15 min and expects it open)",
                human(after)
            ))
        }
        Err(IdleEnd::UnexpectedBytes(_)) => {
            return fail("unexpected bytes on the idle connection".into())
        }
        Err(IdleEnd::Failed(after, e)) => {
            return fail(format!("the idle connection failed after {}: {e}", human(after)))
        }
    }
    match call(c) {
        Ok((status, _)) => Check::new(
            name,
            Verdict::Pass,
            format!(
                "same connection answered {status} after {} idle",
                human(idle)
            ),
        ),
        Err(e) => fail(format!("after {} idle: {e}", human(idle))),
    }
}
