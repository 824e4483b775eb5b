//! `fc-local serve`: an HTTP-trigger gateway in front of one instance, with FC's rules:
//! request limits answered `400 InvalidArgument`, client `x-fc-*`/`connection`/`keep-alive`
//! dropped, the `x-fc-*` set added with `x-fc-control-path: /http-invoke`, reserved response
//! headers stripped, `X-Fc-Request-Id` and `X-Fc-Log-Result` (for `X-Fc-Log-Type: Tail`)
//! added, the function timeout enforced, connections to the function kept alive.
//!
//! The inbound side is the library's own server in plain-HTTP mode (`Server::serve_http`:
//! its limits, pool, 503 and graceful stop); this module adds the forwarding (in `calls.rs`)
//! and the stop sequence after the server drained (`GET /pre-stop`, SIGTERM, grace,
//! SIGKILL). A call in flight when the instance dies gets FC's 502; the next call starts a
//! new instance, as FC does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fc_runtime::{Config, Limits, Server, Setting};

use crate::cli::Opts;
use crate::instance::{describe_stop, FcCall, Instance};
use crate::util::{human, request_id, say};

mod calls;

/// Client connections served at once; more get a 503 (idle ones are closed first).
const MAX_CONNS: usize = 512;

struct Gateway {
    opts: Opts,
    prefix: Option<String>,
    /// The instance calls go to; replaced when it died.
    live: Mutex<Arc<Instance>>,
}

pub fn run(o: Opts) -> i32 {
    let server = match Server::bind(&inbound(&o)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fc-local: cannot listen on {}: {e}", o.listen);
            return 1;
        }
    };
    let inst = match start(&o) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
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
    eprintln!(
        "fc-local: HTTP trigger on http://{addr}{} -> function on port {} (Ctrl-C stops)",
        prefix.as_deref().unwrap_or("/"),
        inst.port
    );
    let gw = Arc::new(Gateway {
        opts: o.clone(),
        prefix,
        live: Mutex::new(Arc::new(inst)),
    });
    let gw2 = gw.clone();
    if let Err(e) = server.serve_http(move |req| gw2.handle(req)) {
        eprintln!("fc-local: gateway failed: {e}");
    }
    eprintln!("fc-local: stopping: calls in flight finished");
    let inst = gw.live.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if inst.started() && inst.exit_status().is_none() {
        let rid = request_id();
        let r = inst.call(FcCall {
            method: "GET",
            target: "/pre-stop",
            headers: Vec::new(),
            body: b"",
            control_path: Some("/pre-stop"),
            request_id: &rid,
            timeout: o.function.timeout,
        });
        match r {
            Ok(r) => eprintln!("fc-local: GET /pre-stop -> {}", r.status),
            Err(e) => eprintln!("fc-local: GET /pre-stop failed: {e}"),
        }
    }
    inst.close_connections();
    eprintln!("fc-local: function {}", describe_stop(inst.stop(o.grace)));
    0
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

/// Starts the instance as FC would, and refuses one FC could not reach.
fn start(o: &Opts) -> Result<Instance, String> {
    let inst = Instance::launch(o, true)?;
    if let Some(s) = inst.spawned {
        say(format!(
            "fc-local: {} listening on port {} after {}",
            inst.command,
            inst.port,
            human(inst.listening - s)
        ));
    }
    loopback_only(&inst)?;
    if o.function.initializer {
        let d = inst.initialize()?;
        say(format!("fc-local: POST /initialize -> 2xx in {}", human(d)));
    }
    Ok(inst)
}

/// FC cannot reach a server that listens on loopback only: say so now, in FC's words.
pub fn loopback_only(inst: &Instance) -> Result<(), String> {
    use crate::procfs::{listeners, Bind};
    let binds = listeners(inst.port);
    if binds.is_empty() || binds.iter().any(|b| !matches!(b, Bind::Loopback(_))) {
        return Ok(());
    }
    Err(format!(
        "Function instance health check failed on port {} in 120 seconds.\n\
         hint: the server listens on {binds:?} only; FC connects from outside the instance: listen on 0.0.0.0",
        inst.port
    ))
}
