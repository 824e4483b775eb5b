//! `fc-local selftest`: the server side of FC's contract as a checklist. Each line is
//! PASS, FAIL, WARN (FC copes, but something is off) or SKIP (cannot be judged here, e.g.
//! output of a server we did not start), with a one-line reason. Exit 1 on any FAIL.
//!
//! The checks themselves live in `checks`, `wire` and `later` (the platform behaviours:
//! failures, concurrency, streaming, hooks); this module orders them, runs the long
//! keep-alive wait beside the others, and prints.

use std::time::Duration;

use fc_runtime::process::Stopped;

use crate::cli::{Opts, Start};
use crate::instance::{describe_stop, Instance};
use crate::util::human;

mod checks;
mod ctx;
mod later;
mod wire;

/// A check's outcome.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    Pass,
    Fail,
    Warn,
    Skip,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Skip => "SKIP",
        }
    }
}

/// One line of the checklist.
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub reason: String,
}

impl Check {
    pub fn new(name: &'static str, verdict: Verdict, reason: impl Into<String>) -> Check {
        Check {
            name,
            verdict,
            reason: reason.into(),
        }
    }
}

/// Names of the checks, in order (the peer table's rows).
pub const NAMES: [&str; 17] = [
    "ready within the start window",
    "listens on 0.0.0.0",
    "initializer",
    "/invoke round trip",
    "dispatch without control path",
    "invoke marker lines",
    "HTTP passthrough",
    "8 KB of headers",
    "32 MiB body",
    "pipelined requests in order",
    "no reserved response headers",
    "function error shape",
    "concurrent calls",
    "streamed answer",
    "pre-freeze and pre-stop hooks",
    "keep-alive after idle",
    "SIGTERM: exit 0 within grace",
];

pub fn run(o: Opts) -> i32 {
    let shown = match &o.start {
        Start::Attach => format!("the server on port {}", o.port),
        Start::Code(d) => format!("{}/bootstrap", d.display()),
        Start::Command(c) => c.join(" "),
    };
    println!("fc-local selftest: {shown}");
    // If we are stopped (Ctrl-C), the function dies with us (the supervisor's parent-death
    // signal).
    let inst = match Instance::launch(&o, o.verbose) {
        Ok(i) => i,
        Err(e) => {
            let first = e.lines().next().unwrap_or("").to_string();
            print(&Check::new(NAMES[0], Verdict::Fail, first));
            eprintln!("{e}");
            return 1;
        }
    };
    let mut all = vec![ready(&inst, &o), checks::bind(&inst)];
    all.push(match (o.function.initializer, inst.initialize()) {
        (false, _) => Check::new(NAMES[2], Verdict::Skip, "not configured (--initializer)"),
        (true, Ok(d)) => Check::new(
            NAMES[2],
            Verdict::Pass,
            format!("POST /initialize 2xx in {}", human(d)),
        ),
        (true, Err(e)) => Check::new(NAMES[2], Verdict::Fail, e),
    });
    for c in &all {
        print(c);
    }
    let idle = wire::idle_in_background(&inst, &o);
    let mut ctx = ctx::Ctx::new(&inst, &o);
    for check in [
        checks::invoke as fn(&mut ctx::Ctx) -> Check,
        checks::dispatch,
        checks::markers,
        checks::passthrough,
        wire::big_headers,
        wire::big_body,
        wire::pipelining,
    ] {
        let c = check(&mut ctx);
        print(&c);
        all.push(c);
    }
    let c = ctx.reserved();
    print(&c);
    all.push(c);
    for check in [
        later::failure_shape as fn(&mut ctx::Ctx) -> Check,
        later::concurrent,
        later::streamed,
        later::hooks,
    ] {
        let c = check(&mut ctx);
        print(&c);
        all.push(c);
    }
    let c = idle
        .join()
        .unwrap_or_else(|_| Check::new(NAMES[15], Verdict::Fail, "check crashed"));
    print(&c);
    all.push(c);
    let c = sigterm(&inst, o.grace);
    print(&c);
    all.push(c);
    let count = |v| all.iter().filter(|c| c.verdict == v).count();
    println!(
        "{} passed, {} failed, {} warnings, {} skipped",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Warn),
        count(Verdict::Skip)
    );
    i32::from(count(Verdict::Fail) > 0)
}

fn print(c: &Check) {
    println!("{}  {:<30}  {}", c.verdict.label(), c.name, c.reason);
}

fn ready(inst: &Instance, o: &Opts) -> Check {
    let Some(spawned) = inst.spawned else {
        return Check::new(
            NAMES[0],
            Verdict::Skip,
            "already running: start time not seen",
        );
    };
    let t = inst.listening - spawned;
    let window = o.start_timeout.as_secs();
    if t > Duration::from_secs(5) {
        Check::new(
            NAMES[0],
            Verdict::Warn,
            format!(
                "listening after {} (window {window} s): every cold start waits for this",
                human(t)
            ),
        )
    } else {
        Check::new(
            NAMES[0],
            Verdict::Pass,
            format!("listening {} after spawn (window {window} s)", human(t)),
        )
    }
}

fn sigterm(inst: &Instance, grace: Duration) -> Check {
    let name = NAMES[16];
    inst.close_connections();
    let stopped = inst.stop(grace);
    match stopped {
        None => Check::new(name, Verdict::Skip, "not started here: not signalled"),
        Some(Stopped::Exited { status, after }) if status.success() => Check::new(
            name,
            Verdict::Pass,
            format!("exit 0 {} after SIGTERM", human(after)),
        ),
        Some(Stopped::AlreadyExited(s)) => Check::new(
            name,
            Verdict::Fail,
            format!("it had exited before the SIGTERM ({s})"),
        ),
        s @ Some(Stopped::Exited { .. }) => Check::new(
            name,
            Verdict::Fail,
            format!(
                "{}: FC expects a clean exit 0 after finishing in-flight work",
                describe_stop(s)
            ),
        ),
        s @ Some(Stopped::Killed { .. }) => Check::new(
            name,
            Verdict::Fail,
            format!("{} (SIGTERM ignored?)", describe_stop(s)),
        ),
    }
}
