//! One function instance, started the way FC starts it: the bootstrap checks, the
//! environment, the TCP health check within the start window, the initializer, output
//! capture, and the stop sequence (SIGTERM, grace, SIGKILL).
//!
//! Error texts follow FC's own wording so what a developer sees here is what the console
//! would show. It does not send invocations; callers do, through `client`.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cli::{Opts, Start};

mod boot;
use crate::client::Conn;
use crate::logs::{pump, LogBook};
use crate::platform::{fc_env, fc_headers, not_inherited};
use crate::util::{human, request_id};
use boot::{command, spawn_error};

/// How a stop went.
pub enum Stop {
    /// Not ours to stop (attached to a running server).
    NotOurs,
    /// It exited on its own, `after` the SIGTERM.
    Exited { status: ExitStatus, after: Duration },
    /// Still running when the grace period ended: killed.
    Killed { grace: Duration },
}

/// A running function (or one we attached to).
pub struct Instance {
    pub port: u16,
    pub logs: Arc<LogBook>,
    /// When it was spawned (`None`: attached).
    pub spawned: Option<Instant>,
    /// When the TCP health check first connected.
    pub listening: Instant,
    /// The start command, for messages.
    pub command: String,
    child: Option<Child>,
    pumps: Vec<JoinHandle<()>>,
}

impl Instance {
    /// Starts (or attaches to) the function `o` describes and waits until it listens.
    /// `own_group`: put it in its own process group, so a terminal's Ctrl-C reaches only us
    /// and we can run the stop sequence. `echo`: copy its output to our stderr live.
    pub fn launch(o: &Opts, own_group: bool, echo: bool) -> Result<Instance, String> {
        let logs = LogBook::new(echo);
        if let Start::Attach = o.start {
            let addr = loopback(o.port);
            TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| {
                format!(
                    "nothing answers on {addr} ({e}); start it, or give --code DIR or -- COMMAND"
                )
            })?;
            return Ok(Instance {
                port: o.port,
                logs,
                spawned: None,
                listening: Instant::now(),
                command: format!("(running server on port {})", o.port),
                child: None,
                pumps: Vec::new(),
            });
        }
        let port = match o.port {
            0 => free_port().map_err(|e| format!("cannot find a free port: {e}"))?,
            p => p,
        };
        if TcpStream::connect_timeout(&loopback(port), Duration::from_millis(300)).is_ok() {
            return Err(format!(
                "port {port} is already in use by another process: stop it or pick --port"
            ));
        }
        let (mut cmd, command, code_path) = command(&o.start)?;
        for (k, _) in std::env::vars_os() {
            if k.to_str().is_some_and(not_inherited) {
                cmd.env_remove(&k);
            }
        }
        cmd.envs(fc_env(&o.function, port, &code_path, &instance_id()));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if own_group {
            cmd.process_group(0);
        }
        let spawned = Instant::now();
        let mut child = cmd.spawn().map_err(|e| spawn_error(&e, &command))?;
        let mut pumps = Vec::new();
        if let Some(out) = child.stdout.take() {
            pumps.push(pump(out, logs.clone()));
        }
        if let Some(err) = child.stderr.take() {
            pumps.push(pump(err, logs.clone()));
        }
        let mut inst = Instance {
            port,
            logs,
            spawned: Some(spawned),
            listening: spawned,
            command,
            child: Some(child),
            pumps,
        };
        inst.listening = inst.health_check(o.start_timeout)?;
        Ok(inst)
    }

    /// FC's readiness rule: a plain TCP connect, retried until the start window ends.
    fn health_check(&mut self, window: Duration) -> Result<Instant, String> {
        let addr = loopback(self.port);
        let end = self.spawned.unwrap_or_else(Instant::now) + window;
        let mut pause = Duration::from_micros(200);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(Instant::now());
            }
            if let Some(status) = self.exit_status() {
                self.drain_pumps();
                return Err(format!(
                    "Function instance exited unexpectedly({}) with start command '{}'.\nLogs:\n{}",
                    describe(status),
                    self.command,
                    self.logs.tail(20).join("\n")
                ));
            }
            if Instant::now() >= end {
                self.kill();
                return Err(format!(
                    "Function instance health check failed on port {} in {} seconds.\nLogs:\n{}",
                    self.port,
                    window.as_secs(),
                    self.logs.tail(20).join("\n")
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        loopback(self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether we started it (and so see its output and may signal it).
    pub fn started(&self) -> bool {
        self.child.is_some()
    }

    /// Its exit status, if it has exited.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Peak resident memory of its process tree, in KiB.
    pub fn max_rss_kib(&self) -> Option<u64> {
        crate::procfs::max_rss_kib(self.pid()?)
    }

    /// `POST /initialize` as FC does before the first call, when configured.
    pub fn initialize(&self, o: &Opts) -> Result<Duration, String> {
        let rid = request_id();
        let t = Instant::now();
        let headers: Vec<(String, Vec<u8>)> = fc_headers(&o.function, &rid, "/initialize")
            .into_iter()
            .map(|(n, v)| (n, v.into_bytes()))
            .collect();
        let fail =
            |why: String| format!("Function initialization failed (RequestId: {rid}): {why}");
        let mut c =
            Conn::connect(self.addr(), Duration::from_secs(5)).map_err(|e| fail(e.to_string()))?;
        c.send("POST", "/initialize", &headers, b"")
            .map_err(|e| fail(e.to_string()))?;
        let r = c
            .read_reply(false, t + o.function.init_timeout, 1 << 20)
            .map_err(|e| fail(e.to_string()))?;
        if !(200..300).contains(&r.status) {
            return Err(fail(format!(
                "status {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )));
        }
        Ok(t.elapsed())
    }

    /// SIGTERM, up to `grace` for it to exit, then SIGKILL.
    pub fn stop(&mut self, grace: Duration) -> Stop {
        let Some(child) = self.child.as_mut() else {
            return Stop::NotOurs;
        };
        let t = Instant::now();
        if let Ok(Some(status)) = child.try_wait() {
            return Stop::Exited {
                status,
                after: Duration::ZERO,
            };
        }
        let _ = fc_runtime::signals::terminate(child.id());
        while t.elapsed() < grace {
            if let Ok(Some(status)) = child.try_wait() {
                let after = t.elapsed();
                self.drain_pumps();
                return Stop::Exited { status, after };
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.kill();
        Stop::Killed { grace }
    }

    fn kill(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.drain_pumps();
    }

    /// Waits (briefly) for the output pumps to read what the process wrote last.
    fn drain_pumps(&mut self) {
        let end = Instant::now() + Duration::from_millis(500);
        for p in std::mem::take(&mut self.pumps) {
            while !p.is_finished() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(2));
            }
            if p.is_finished() {
                let _ = p.join();
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            if let Ok(None) = c.try_wait() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

impl Stop {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Stop::NotOurs => "not started here: left running".into(),
            Stop::Exited { status, after } => {
                format!("{} {} after SIGTERM", describe(*status), human(*after))
            }
            Stop::Killed { grace } => {
                format!("still running {} after SIGTERM: killed", human(*grace))
            }
        }
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => status.to_string(),
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?
        .local_addr()?
        .port())
}

fn instance_id() -> String {
    format!("c-{}", &request_id().replace('-', "")[..24])
}
