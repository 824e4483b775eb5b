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
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::process::{self, Child, Lookout, NotReady, Ready, Stopped};
use crate::server::{Server, ShutdownHandle};
use proxy::Proxy;

/// Runs exec mode to its end; the process's exit code.
pub(crate) fn run(config: Config, name: &str) -> i32 {
    let app = &config.app;
    let shown = app.command.join(" ");
    let port = app.port_for(config.port);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // Readiness would be fooled by another server already on the app's port.
    let lookout = Lookout::new();
    if lookout.taken(&addr) {
        eprintln!(
            "{name}: the app port {port} is in use by another process: pick one with --app-port"
        );
        return 1;
    }
    let port_text = port.to_string();
    let vars = ["PORT", "FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT"].map(|v| (v, &*port_text));
    let child = match Child::start(&app.command, &vars) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name}: cannot start the app `{shown}`: {e}");
            return 1;
        }
    };
    // Our own set-up runs while the app starts (cold start is the app's start plus ours):
    // the logger, the signal hook, and the thread that waits for the app's exit.
    crate::logging::init();
    let _ = process::reap_orphans();
    if let Err(e) = process::catch_stop_signals() {
        log::warn!("cannot install the SIGTERM hook: {e}");
    }
    let watch = Arc::new(Watch::default());
    {
        let watch = watch.clone();
        if let Err(e) = child.watch(move |status| watch.exited(status)) {
            log::warn!("cannot watch the app: {e}");
        }
    }
    let ready = match &app.ready_path {
        Some(path) => Ready::Http {
            addr,
            path: path.clone(),
        },
        None => Ready::Tcp(addr),
    };
    let (took, probe) =
        match child.wait_ready_looking(&ready, child.started() + app.ready_timeout, &lookout) {
            Ok(ready) => ready,
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
    // The hook is in place already (above): this only points it at the listener.
    server.point_stop_hook();
    watch.serving(server.shutdown_handle());
    let listen = server.local_addr().map_or(config.port, |a| a.port());
    let how = if app.ready_path.is_some() {
        "GET"
    } else {
        "TCP"
    };
    print!(
        "{} app=\"{shown}\" app-port={port} app-ready={took:.1?} ({how})\nFunctionCompute fc-runtime runtime inited.\n",
        server.summary(name, listen)
    );
    let grace = config.grace;
    let deadline_default = Duration::from_secs(24 * 3600);
    let proxy = Proxy::new(addr, &config.app, deadline_default);
    if let Some(conn) = probe {
        proxy.adopt(conn);
    }
    let served = server.serve_target(proxy);
    let died = watch.stopping();
    if let Err(e) = served {
        log::error!("server failed: {e}");
    }
    if died {
        stop_app(&child, Duration::ZERO);
        return 1;
    }
    match stop_app(&child, grace) {
        Some(status) if clean(status) => 0,
        _ => 1,
    }
}

/// What the app's exit means, by when it comes: while it starts, the readiness wait reports
/// it; while serving, it stops the server (the instance is broken: FC must replace it);
/// once we stop it ourselves, nothing.
#[derive(Default)]
struct Watch {
    /// The server to stop, while serving.
    server: Mutex<Option<ShutdownHandle>>,
    died: AtomicBool,
    stopping: AtomicBool,
}

impl Watch {
    /// The app's exit, from the watching thread.
    fn exited(&self, status: std::process::ExitStatus) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        self.died.store(true, Ordering::SeqCst);
        if let Some(server) = self.server.lock().unwrap_or_else(|p| p.into_inner()).take() {
            log::error!("the app exited ({status}): stopping");
            server.shutdown();
        }
    }

    /// Serving now: an exit stops `server` (at once if it came in between).
    fn serving(&self, server: ShutdownHandle) {
        *self.server.lock().unwrap_or_else(|p| p.into_inner()) = Some(server.clone());
        if self.died.load(Ordering::SeqCst) {
            log::error!("the app exited: stopping");
            server.shutdown();
        }
    }

    /// We stop the app from now on; whether it had died on its own.
    fn stopping(&self) -> bool {
        self.stopping.store(true, Ordering::SeqCst);
        self.died.load(Ordering::SeqCst)
    }
}

/// SIGTERM to the app's group, `grace`, SIGKILL; its status when it exited.
fn stop_app(child: &Child, grace: Duration) -> Option<ExitStatus> {
    let t = Instant::now();
    match child.stop(grace) {
        Stopped::AlreadyExited(s) => Some(s),
        Stopped::Exited { status, after } => {
            log::info!("the app stopped ({status}) {after:.1?} after SIGTERM");
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

/// Exit 0, or ended by the SIGTERM we sent (most servers do not catch it).
fn clean(status: ExitStatus) -> bool {
    status.success() || status.signal() == Some(15)
}
