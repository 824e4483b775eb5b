//! `fc-local invoke`: one event invocation (or `--repeat N` on the same warm instance),
//! sent exactly as FC sends it, with the result on stdout and the function's log lines,
//! a summary and, on a cold start, the start-up timeline on stderr.
//!
//! `--event-template NAME` sends a sample event of one of FC's triggers (`list` names
//! them); `--print-event` prints the event instead and starts nothing. On a terminal the
//! result's line is ended; into a pipe or a file its bytes are exact.
//!
//! Exit status 1 when the invocation failed the way FC counts failures (status ≥ 400, or
//! `x-fc-status: 404`), or the instance could not start.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use fc_runtime::client::CallError;
use fc_runtime::process::Stopped;

use crate::cli::Opts;
use crate::instance::{FcCall, Instance};
use crate::templates;
use crate::util::{human, request_id};

/// Largest result read back (FC's synchronous response limit is 32 MB; this bounds ours).
const MAX_RESULT: u64 = 64 << 20;

pub fn run(o: Opts) -> i32 {
    if o.template.as_deref() == Some("list") {
        print!("{}", templates::list());
        return 0;
    }
    let event = match (&o.template, &o.event) {
        (Some(_), Some(_)) => {
            eprintln!("fc-local: give --event or --event-template, not both");
            return 2;
        }
        (Some(name), None) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            match templates::render(name, &o.function, now) {
                Ok(t) => t.into_bytes(),
                Err(e) => {
                    eprintln!("fc-local: {e}");
                    return 2;
                }
            }
        }
        (None, spec) => match read_event(spec.as_deref()) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("fc-local: cannot read the event: {e}");
                return 2;
            }
        },
    };
    if o.print_event {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&event);
        end_line(&mut out, &event);
        return 0;
    }
    let mut inst = match Instance::launch(&o, o.verbose) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let code = invoke_all(&o, &mut inst, &event);
    if let Some(Stopped::Killed { grace }) = inst.stop(o.grace) {
        eprintln!(
            "warning: the function did not exit within {} of SIGTERM (FC sends SIGTERM before it stops an instance)",
            human(grace)
        );
    }
    code
}

fn invoke_all(o: &Opts, inst: &mut Instance, event: &[u8]) -> i32 {
    let mut err = std::io::stderr().lock();
    if o.function.initializer {
        let from = inst.logs.next_seq();
        let r = inst.initialize();
        print_lines(
            &mut err,
            o,
            &inst
                .logs
                .range(from, inst.logs.next_seq())
                .into_iter()
                .map(|l| l.text)
                .collect::<Vec<_>>(),
        );
        match r {
            Ok(d) => {
                let _ = writeln!(err, "Initializer: {}", human(d));
            }
            Err(e) => {
                let _ = writeln!(err, "{e}");
                return 1;
            }
        }
    }
    let mut durations = Vec::new();
    for i in 0..o.repeat {
        let cold = i == 0 && inst.started();
        let rid = request_id();
        // A cold call's lines start with the instance's start-up output.
        let from = if cold { 0 } else { inst.logs.next_seq() };
        let t0 = Instant::now();
        let result = call(o, inst, &rid, event);
        let done = Instant::now();
        let mut lines = Vec::new();
        if cold {
            lines = inst
                .logs
                .before(&format!("FC Invoke Start RequestId: {rid}"));
        }
        let to = inst.logs.next_seq();
        lines.extend(inst.logs.for_request("Invoke", &rid, from, to));
        print_lines(&mut err, o, &lines);
        let reply = match result {
            Ok(r) => r,
            Err(CallError::Timeout) => {
                let _ = writeln!(
                    err,
                    "UnhandledInvocationError: Function timed out after {} seconds (RequestId: {rid})",
                    o.function.timeout.as_secs()
                );
                return 1;
            }
            Err(e) => {
                let exited = inst
                    .exit_status()
                    .map(|s| format!(" (instance {s})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    err,
                    "UnhandledInvocationError: Process exited unexpectedly before completing request{exited}: {e} (RequestId: {rid})"
                );
                return 1;
            }
        };
        let took = done - t0;
        durations.push(took);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&reply.body);
        if o.repeat > 1 && !reply.body.ends_with(b"\n") {
            let _ = out.write_all(b"\n");
        } else {
            end_line(&mut out, &reply.body);
        }
        let _ = out.flush();
        let rss = match inst.max_rss_kib() {
            None => "-".into(),
            Some(k) if k < 10 * 1024 => format!("{k} KiB"),
            Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        };
        let kind = if cold { "cold" } else { "warm" };
        let _ = writeln!(
            err,
            "RequestId: {rid}  Status: {}  Duration: {}  Max RSS: {rss}  ({kind})",
            reply.status,
            human(took)
        );
        if cold {
            if let Some(spawned) = inst.spawned {
                let _ = writeln!(
                    err,
                    "Cold start: spawn → listening {} → first byte {} → done {}",
                    human(inst.listening - spawned),
                    human(reply.first_byte - spawned),
                    human(done - spawned)
                );
            }
        }
        if reply.status >= 400 || reply.fc_status.as_deref() == Some("404") {
            let _ = writeln!(
                err,
                "UnhandledInvocationError (status {}, x-fc-status {}): {}",
                reply.status,
                reply.fc_status.as_deref().unwrap_or("-"),
                String::from_utf8_lossy(&reply.body)
            );
            return 1;
        }
    }
    if durations.len() > 1 {
        let mut warm: Vec<Duration> = durations[1..].to_vec();
        warm.sort();
        let _ = writeln!(
            err,
            "{} calls: first {}, then median {} (min {}, max {})",
            durations.len(),
            human(durations[0]),
            human(warm[warm.len() / 2]),
            human(warm[0]),
            human(warm[warm.len() - 1])
        );
    }
    0
}

/// One `POST /invoke`, as FC sends it; the whole result (up to [`MAX_RESULT`]).
fn call(o: &Opts, inst: &Instance, rid: &str, event: &[u8]) -> Result<Answer, CallError> {
    let mut reply = inst.call(FcCall {
        method: "POST",
        target: "/invoke",
        headers: vec![("Content-Type".into(), b"application/octet-stream".to_vec())],
        body: event,
        control_path: Some("/invoke"),
        request_id: rid,
        timeout: o.function.timeout,
        fields: Vec::new(),
    })?;
    let body = reply.read_to_vec(MAX_RESULT)?;
    Ok(Answer {
        status: reply.status,
        fc_status: reply.header("x-fc-status").map(str::to_owned),
        first_byte: reply.first_byte,
        body,
    })
}

/// What an invocation answered.
struct Answer {
    status: u16,
    fc_status: Option<String>,
    first_byte: Instant,
    body: Vec<u8>,
}

/// On a terminal, ends the result's line so the summary on stderr starts on its own;
/// into a pipe or a file the bytes stay exact.
fn end_line(out: &mut std::io::StdoutLock<'_>, written: &[u8]) {
    use std::io::IsTerminal;
    if out.is_terminal() && !written.is_empty() && !written.ends_with(b"\n") {
        let _ = out.write_all(b"\n");
    }
}

fn print_lines(err: &mut impl Write, o: &Opts, lines: &[String]) {
    if o.verbose {
        return; // already echoed as they came
    }
    for l in lines {
        let _ = writeln!(err, "{l}");
    }
}

/// `-`: stdin; the path of a file: its bytes; anything else: the text itself.
fn read_event(spec: Option<&str>) -> std::io::Result<Vec<u8>> {
    match spec {
        None => Ok(Vec::new()),
        Some("-") => {
            let mut v = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_RESULT)
                .read_to_end(&mut v)?;
            Ok(v)
        }
        Some(s) if std::path::Path::new(s).is_file() => std::fs::read(s),
        Some(s) => Ok(s.as_bytes().to_vec()),
    }
}
