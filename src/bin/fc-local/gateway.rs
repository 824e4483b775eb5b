//! `fc-local serve`: the function behind FC's front doors — its HTTP trigger (with FC's
//! rules: request limits answered `400 InvalidArgument`, client `x-fc-*`/`connection`/
//! `keep-alive` dropped, the `x-fc-*` set added with `x-fc-control-path: /http-invoke`,
//! reserved response headers stripped, `X-Fc-Request-Id` and Tail logs added, chunked
//! answers streamed, WebSocket upgrades spliced, the function timeout enforced) and, on
//! the same address, FC's `InvokeFunction` API of both versions (`api.rs`).
//!
//! The inbound side is the library's own server in plain-HTTP mode (`Server::serve_http`:
//! its limits, pool, 503 and graceful stop); the instances are the fleet's (`fleet.rs`),
//! asynchronous calls the runner's (`runner.rs`). This module routes, and runs the stop
//! sequence once the server drained: async calls finished, then each instance's
//! `GET /pre-stop`, SIGTERM, grace, SIGKILL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fc_runtime::{Config, Limits, Request, Server, Setting};

use crate::api::{self, Api};
use crate::cli::Opts;
use crate::fleet::Fleet;
use crate::runner::Runner;
use crate::util::{human, request_id, say};

mod calls;

/// Client connections served at once; more get a 503 (idle ones are closed first).
const MAX_CONNS: usize = 512;
/// Async workers at most.
const MAX_ASYNC_WORKERS: usize = 16;

/// The API and the trigger share the API's fleet and async runner.
struct Gateway {
    opts: Opts,
    prefix: Option<String>,
    api: Api,
}

pub fn run(o: Opts) -> i32 {
    let server = match Server::bind(&inbound(&o)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fc-local: cannot listen on {}: {e}", o.listen);
            return 1;
        }
    };
    let fleet = Fleet::new(&o, o.scale);
    // The first instance starts now, so a function that cannot start says so at once.
    let first = match fleet.acquire(None) {
        Ok(lease) => lease,
        Err(e) => {
            eprintln!(
                "fc-local: {}",
                crate::failure::Failure::NoInstance(e).error().message
            );
            return 1;
        }
    };
    let port = first.inst.port;
    drop(first);
    if let Err(e) = server.handle_signals() {
        eprintln!("fc-local: cannot install the SIGTERM hook: {e}");
    }
    let prefix = o.fc2_prefix.then(|| {
        format!(
            "/2016-08-15/proxy/{}/{}",
            o.function.service, o.function.name
        )
    });
    let addr = server
        .local_addr()
        .map_or(o.listen.clone(), |a| a.to_string());
    let scale = fleet.scale();
    let runner = Runner::start(
        fleet.clone(),
        o.function.timeout,
        o.async_attempts,
        (scale.max_instances * scale.concurrency).min(MAX_ASYNC_WORKERS),
    );
    eprintln!(
        "fc-local: HTTP trigger on http://{addr}{} -> function on port {port} (Ctrl-C stops)\n\
         fc-local: InvokeFunction API on http://{addr}: FC 2.0 /2016-08-15/services/{}/functions/{}/invocations, \
         FC 3.0 /2023-03-30/functions/{}/invocations{}\n\
         fc-local: instance concurrency {}, at most {} instances{}",
        prefix.as_deref().unwrap_or("/"),
        o.function.service,
        o.function.name,
        o.function.name,
        if o.verify.is_some() { " (signatures checked)" } else { "" },
        scale.concurrency,
        scale.max_instances,
        scale
            .idle
            .map_or(String::new(), |d| format!(", stopped after {} idle", human(d))),
    );
    spawn_reaper(&fleet);
    let gw = Arc::new(Gateway {
        api: Api {
            fleet: fleet.clone(),
            runner: runner.clone(),
            function: o.function.clone(),
            keys: o.verify.clone(),
        },
        opts: o.clone(),
        prefix,
    });
    let gw2 = gw.clone();
    if let Err(e) = server.serve_http(move |req| gw2.handle(req)) {
        eprintln!("fc-local: gateway failed: {e}");
    }
    eprintln!("fc-local: stopping: calls in flight finished");
    runner.finish(o.function.timeout * o.async_attempts + Duration::from_secs(5));
    fleet.shutdown(o.function.timeout + Duration::from_secs(5));
    0
}

impl Gateway {
    fn handle(&self, mut req: Request<'_>) -> fc_runtime::Response {
        let rid = request_id();
        let t0 = Instant::now();
        let (kind, resp) = match api::route(&req.method, &req.path, &req.query) {
            Some(route) => ("API", self.api.handle(&mut req, route, &rid)),
            None => ("HTTP", self.trigger(&mut req, &rid)),
        };
        say(format!(
            "fc-local: {rid} {kind} {} {} -> {} in {}",
            req.method,
            shorten(&req.path),
            resp.status,
            human(t0.elapsed())
        ));
        resp.with_header("X-Fc-Request-Id", &rid)
    }
}

/// Stops idle instances, as FC reclaims them; the thread ends with the fleet.
fn spawn_reaper(fleet: &Arc<Fleet>) {
    let Some(idle) = fleet.scale().idle else {
        return;
    };
    let weak = Arc::downgrade(fleet);
    let every = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
    let spawned = std::thread::Builder::new()
        .name("fc-local-reaper".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            match weak.upgrade() {
                Some(f) if !f.stopping() => f.reap_idle(),
                _ => return,
            }
        });
    if let Err(e) = spawned {
        say(format!("fc-local: idle instances will not be stopped: {e}"));
    }
}

/// The gateway's own server: `--listen`, FC's limits checked by the gateway itself (so the
/// server's are wider), calls in flight allowed to finish within the function timeout.
fn inbound(o: &Opts) -> Config {
    let (host, port) = match o.listen.rsplit_once(':') {
        Some((h, p)) => (
            h.trim_start_matches('[').trim_end_matches(']').to_string(),
            p.parse().unwrap_or(8000),
        ),
        None => (o.listen.clone(), 8000),
    };
    Config {
        host,
        port,
        memory: Setting::Fixed(1 << 30),
        max_workers: Setting::Fixed(MAX_CONNS),
        body_budget: Setting::Fixed(1 << 30),
        grace: o.function.timeout + Duration::from_secs(5),
        strip_base_path: false,
        limits: Limits {
            max_head: 64 << 10,
            max_target: 64 << 10,
            max_body: 1 << 30,
            ..Limits::default()
        },
        ..Config::default()
    }
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
