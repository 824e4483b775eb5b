//! The checks about the wire and connections: 8 KB of headers, a 32 MiB body, pipelined
//! requests, and a keep-alive connection that must survive an idle wait (run on its own
//! thread beside the other checks, since the wait is long).

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::checks::{snippet, Ctx, Headers};
use super::{Check, Verdict, NAMES};
use crate::cli::{Function, Opts};
use crate::client::{is_timeout, Conn, Reply};
use crate::instance::Instance;
use crate::platform::fc_headers;
use crate::util::{human, request_id};

/// FC admits 8 KB of client headers and adds its own on top.
pub fn big_headers(ctx: &mut Ctx) -> Check {
    let rid = request_id();
    let mut h = ctx.invoke_headers(&rid, Some("/invoke"));
    let mut left: usize = 8 * 1024;
    let mut i = 0;
    while left > 0 {
        let n = format!("X-Selftest-Pad-{i:02}");
        let v = "v".repeat((1000usize).min(left.saturating_sub(n.len())).max(1));
        left = left.saturating_sub(n.len() + v.len());
        h.push((n, v.into_bytes()));
        i += 1;
    }
    let total: usize = h.iter().map(|(n, v)| n.len() + v.len()).sum();
    match ctx.call("POST", "/invoke", &h, b"x") {
        Ok(r) if (200..300).contains(&r.status) => Check::new(
            NAMES[7],
            Verdict::Pass,
            format!("{} header bytes in {} fields: {}", total, h.len(), r.status),
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
    let h = ctx.invoke_headers(&rid, Some("/invoke"));
    let t = Instant::now();
    match ctx.call("POST", "/invoke", &h, &body) {
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
        for (n, v) in ctx.invoke_headers(&rid, Some("/invoke")) {
            wire.extend_from_slice(format!("{n}: ").as_bytes());
            wire.extend_from_slice(&v);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n{b}", b.len()).as_bytes());
    }
    let mut c = match Conn::connect(ctx.inst.addr(), Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => return Check::new(name, Verdict::Fail, format!("cannot connect: {e}")),
    };
    if let Err(e) = c.send_raw(&wire) {
        return Check::new(name, Verdict::Fail, format!("cannot send: {e}"));
    }
    let deadline = Instant::now() + ctx.timeout;
    let mut echoed = 0;
    for (i, b) in bodies.iter().enumerate() {
        match c.read_reply(false, deadline, 1 << 20) {
            Ok(r) if (200..300).contains(&r.status) => {
                let text = String::from_utf8_lossy(&r.body);
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
                let _ = b;
            }
            Ok(r) => {
                return Check::new(
                    name,
                    Verdict::Fail,
                    format!("answer {}: status {}", i + 1, r.status),
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
    let name = NAMES[11];
    let fail = |why: String| Check::new(name, Verdict::Fail, why);
    let mut c = match Conn::connect(addr, Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot connect: {e}")),
    };
    let call = |c: &mut Conn| -> Result<Reply, String> {
        let rid = request_id();
        let h: Headers = fc_headers(f, &rid, "/invoke")
            .into_iter()
            .map(|(n, v)| (n, v.into_bytes()))
            .collect();
        c.send("POST", "/invoke", &h, b"keep-alive")
            .map_err(|e| e.to_string())?;
        c.read_reply(false, Instant::now() + Duration::from_secs(30), 1 << 20)
            .map_err(|e| e.to_string())
    };
    match call(&mut c) {
        Ok(r) if !r.keep_alive => {
            return fail(format!(
                "the first answer ({}) closes the connection",
                r.status
            ))
        }
        Ok(_) => {}
        Err(e) => return fail(format!("first call: {e}")),
    }
    let t = Instant::now();
    let mut probe = [0u8; 1];
    while t.elapsed() < idle {
        let _ = c
            .stream()
            .set_read_timeout(Some(Duration::from_millis(100)));
        match c.stream().peek(&mut probe) {
            Ok(0) => {
                return fail(format!(
                    "the server closed the idle connection after {} (FC keeps it up to 15 min and expects it open)",
                    human(t.elapsed())
                ))
            }
            Ok(_) => return fail("unexpected bytes on the idle connection".into()),
            Err(e) if is_timeout(&e) => {}
            Err(e) => return fail(format!("the idle connection failed after {}: {e}", human(t.elapsed()))),
        }
    }
    let _ = c.stream().set_read_timeout(None);
    match call(&mut c) {
        Ok(r) => Check::new(
            name,
            Verdict::Pass,
            format!(
                "same connection answered {} after {} idle",
                r.status,
                human(idle)
            ),
        ),
        Err(e) => fail(format!("after {} idle: {e}", human(idle))),
    }
}
