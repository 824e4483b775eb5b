//! Exec mode: `fc-runtime -- node server.js`. Starts the app (its own process group, dying
//! with us), waits until it is ready, and only then listens on FC's port, so FC's health
//! check means "the app is ready". Then serves FC's calls through the dispatcher (markers,
//! request ids, error shapes) with the app behind a proxy ([`proxy`]). It stops the way FC
//! expects: on SIGTERM, drain the calls in flight, SIGTERM the app's group, wait the grace,
//! SIGKILL; if the app dies on its own, stop too, with a non-zero exit so FC replaces the
//! instance. As PID 1 it reaps orphans.
//!
//! The app's output is not touched (it writes to our stdout and stderr directly), and
//! nothing is added to it: it only has to listen on `PORT`.

mod fields;
mod proxy;

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::process::{self, Child, NotReady, Ready, Stopped};
use crate::Server;
use proxy::Proxy;

/// Runs exec mode to its end; the process's exit code.
pub(crate) fn run(config: Config, name: &str) -> i32 {
    crate::logging::init();
    let _ = process::reap_orphans();
    if let Err(e) = process::catch_stop_signals() {
        log::warn!("cannot install the SIGTERM hook: {e}");
    }
    let app = &config.app;
    let shown = app.command.join(" ");
    let port = app.port_for(config.port);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // Readiness by connect would be fooled by another server already on the app's port.
    if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
        eprintln!(
            "{name}: the app port {port} is in use by another process: pick one with --app-port"
        );
        return 1;
    }
    let mut cmd = Command::new(&app.command[0]);
    cmd.args(&app.command[1..])
        .env("PORT", port.to_string())
        .env("FC_CUSTOM_LISTEN_PORT", port.to_string())
        .env("FC_SERVER_PORT", port.to_string())
        .stdin(Stdio::null());
    let child = match Child::spawn(cmd) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name}: cannot start the app `{shown}`: {e}");
            return 1;
        }
    };
    let ready = match &app.ready_path {
        Some(path) => Ready::Http {
            addr,
            path: path.clone(),
        },
        None => Ready::Tcp(addr),
    };
    let took = match child.wait_ready(&ready, child.started() + app.ready_timeout) {
        Ok(took) => took,
        Err(NotReady::Stopped) => {
            stop_app(&child, config.grace);
            return 0;
        }
        Err(e) => {
            eprintln!("{name}: the app `{shown}` on 127.0.0.1:{port} {e}");
            stop_app(&child, config.grace);
            return 1;
        }
    };
    let server = match Server::bind(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "{name}: cannot listen on {}:{}: {e}",
                config.host, config.port
            );
            stop_app(&child, config.grace);
            return 1;
        }
    };
    if let Err(e) = server.handle_signals() {
        log::warn!("cannot install the SIGTERM hook: {e}");
    }
    // The app dying on its own stops the server; stopping it ourselves must not count.
    let stopping = Arc::new(AtomicBool::new(false));
    let died = Arc::new(AtomicBool::new(false));
    {
        let (stopping, died, stop) = (stopping.clone(), died.clone(), server.shutdown_handle());
        let watched = child.watch(move |status| {
            if !stopping.load(Ordering::SeqCst) {
                log::error!("the app exited ({}): stopping", describe(status));
                died.store(true, Ordering::SeqCst);
                stop.shutdown();
            }
        });
        if let Err(e) = watched {
            log::warn!("cannot watch the app: {e}");
        }
    }
    let listen = server.local_addr().map_or(config.port, |a| a.port());
    let how = if app.ready_path.is_some() {
        "GET"
    } else {
        "TCP"
    };
    print!(
        "{} app=\"{shown}\" app-port={port} app-ready={}ms ({how})\nFunctionCompute fc-runtime runtime inited.\n",
        server.summary(listen),
        millis(took)
    );
    let grace = config.grace;
    let deadline_default = Duration::from_secs(24 * 3600);
    let served = server.serve_target(Proxy::new(addr, &config.app, deadline_default));
    stopping.store(true, Ordering::SeqCst);
    if let Err(e) = served {
        log::error!("server failed: {e}");
    }
    if died.load(Ordering::SeqCst) {
        stop_app(&child, Duration::ZERO);
        return 1;
    }
    match stop_app(&child, grace) {
        Some(status) if clean(status) => 0,
        _ => 1,
    }
}

/// SIGTERM to the app's group, `grace`, SIGKILL; its status when it exited.
fn stop_app(child: &Child, grace: Duration) -> Option<ExitStatus> {
    let t = Instant::now();
    match child.stop(grace) {
        Stopped::AlreadyExited(s) => Some(s),
        Stopped::Exited { status, after } => {
            log::info!(
                "the app stopped: {} {}ms after SIGTERM",
                describe(status),
                millis(after)
            );
            Some(status)
        }
        Stopped::Killed { grace } => {
            log::warn!(
                "the app was still running {grace:?} after SIGTERM: killed ({:?} in all)",
                t.elapsed()
            );
            None
        }
    }
}

/// `12.3`: milliseconds with one decimal, without floating point (its formatting would cost
/// the binary ~10 KiB).
fn millis(d: Duration) -> String {
    let us = d.as_micros() as u64;
    format!("{}.{}", us / 1000, (us % 1000) / 100)
}

/// Exit 0, or ended by the SIGTERM we sent (most servers do not catch it).
fn clean(status: ExitStatus) -> bool {
    status.success() || status.signal() == Some(15)
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("signal {s}"),
        _ => status.to_string(),
    }
}
