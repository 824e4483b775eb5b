//! One function instance, started the way FC starts it — the bootstrap checks (`boot.rs`),
//! the environment, the TCP health check within the start window, output capture, the stop
//! sequence — and the one path every call to it takes ([`Instance::call`]: FC's `x-fc-*`
//! fields on the library's pooled client). The start for traffic, `/initialize`, `/pre-stop`
//! and the words for an ending are in `lifecycle.rs`.
//!
//! Process handling is the library's supervisor (`fc_runtime::process`), HTTP the
//! library's client; this module adds FC's wording for what goes wrong, so what a
//! developer sees here is what the console would show.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fc_runtime::client::{Call, CallError, Client, Connection, Options, Reply};
use fc_runtime::process::{Child, NotReady, Ready, Stopped};
use fc_runtime::Headers;

use crate::cli::{Function, Opts, Start};

mod boot;
mod lifecycle;
use crate::logs::{pump, LogBook};
use crate::platform::{fc_env, fc_headers, not_inherited};
use crate::util::request_id;
use boot::{command, spawn_error};
pub use lifecycle::{describe, describe_stop};

/// Idle connections kept to the function.
const POOL: usize = 64;

/// A running function (or one we attached to).
pub struct Instance {
    pub port: u16,
    /// `FC_INSTANCE_ID`, also answered as `X-Fc-Instance-Id`.
    pub id: String,
    pub logs: Arc<LogBook>,
    /// When it was spawned (`None`: attached).
    pub spawned: Option<Instant>,
    /// When the TCP health check first connected.
    pub listening: Instant,
    /// The start command, for messages.
    pub command: String,
    function: Function,
    client: Client,
    child: Option<Child>,
    pumps: Mutex<Vec<JoinHandle<()>>>,
}

/// One call as FC makes it: the method, target and body, the caller's own fields, and the
/// control path FC names it by (`None`: the field left out, as Alibaba's emulators do).
pub struct FcCall<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: &'a [u8],
    pub control_path: Option<&'a str>,
    pub request_id: &'a str,
    pub timeout: Duration,
    /// `x-fc-*` fields that replace the function's own for this call (`x-fc-qualifier`
    /// of an alias, `x-fc-retry-count` of an async retry).
    pub fields: Vec<(&'static str, String)>,
}

impl Instance {
    /// Starts (or attaches to) the function `o` describes and waits until it listens.
    /// `echo`: copy its output to our stderr live.
    pub fn launch(o: &Opts, echo: bool) -> Result<Instance, String> {
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
                id: instance_id(),
                logs,
                spawned: None,
                listening: Instant::now(),
                command: format!("(running server on port {})", o.port),
                function: o.function.clone(),
                client: client(addr),
                child: None,
                pumps: Mutex::new(Vec::new()),
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
        let id = instance_id();
        cmd.envs(fc_env(&o.function, port, &code_path, &id));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = Child::spawn(cmd).map_err(|e| spawn_error(&e, &command))?;
        let spawned = child.started();
        let mut pumps = Vec::new();
        if let Some(out) = child.take_stdout() {
            pumps.push(pump(out, logs.clone()));
        }
        if let Some(err) = child.take_stderr() {
            pumps.push(pump(err, logs.clone()));
        }
        let mut inst = Instance {
            port,
            id,
            logs,
            spawned: Some(spawned),
            listening: spawned,
            command,
            function: o.function.clone(),
            client: client(loopback(port)),
            child: Some(child),
            pumps: Mutex::new(pumps),
        };
        inst.listening = inst.health_check(o.start_timeout)?;
        Ok(inst)
    }

    /// FC's readiness rule: a plain TCP connect, retried until the start window ends.
    fn health_check(&self, window: Duration) -> Result<Instant, String> {
        let Some(child) = self.child.as_ref() else {
            return Ok(Instant::now());
        };
        let ready = Ready::Tcp(loopback(self.port));
        match child.wait_ready(&ready, child.started() + window) {
            Ok(took) => Ok(child.started() + took),
            Err(NotReady::Exited(status)) => {
                self.drain_pumps();
                Err(format!(
                    "Function instance exited unexpectedly({}) with start command '{}'.\nLogs:\n{}",
                    describe(status),
                    self.command,
                    self.logs.tail(20).join("\n")
                ))
            }
            Err(NotReady::TimedOut { .. } | NotReady::Stopped) => {
                let _ = child.stop(Duration::ZERO);
                self.drain_pumps();
                Err(format!(
                    "Function instance health check failed on port {} in {} seconds.\nLogs:\n{}",
                    self.port,
                    window.as_secs(),
                    self.logs.tail(20).join("\n")
                ))
            }
        }
    }

    pub fn addr(&self) -> SocketAddr {
        loopback(self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::pid)
    }

    /// Whether we started it (and so see its output and may signal it).
    pub fn started(&self) -> bool {
        self.child.is_some()
    }

    /// Its exit status, if it has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.child.as_ref().and_then(Child::status)
    }

    /// Peak resident memory of its process tree, in KiB.
    pub fn max_rss_kib(&self) -> Option<u64> {
        crate::procfs::max_rss_kib(self.pid()?)
    }

    /// Calls the function as FC does: the caller's fields plus FC's `x-fc-*` set, on a
    /// kept connection, within `c.timeout`. The reply's body is read by the caller.
    pub fn call(&self, c: FcCall<'_>) -> Result<Reply, CallError> {
        let headers = self.headers(&c);
        let deadline = Instant::now() + c.timeout;
        self.client.call(
            Call::new(c.method, c.target, deadline)
                .headers(&headers)
                .body(c.body),
        )
    }

    /// A call that asks to switch protocols (`Upgrade`), on a connection of its own: the
    /// caller's `Upgrade` and `Connection` fields pass with FC's set. After a 101, the
    /// reply's [`Reply::upgrade`] is the function's side of the tunnel.
    pub fn call_upgrade(&self, c: FcCall<'_>) -> Result<Reply, CallError> {
        let headers = self.headers(&c);
        let deadline = Instant::now() + c.timeout;
        let conn = Connection::open(self.addr(), Duration::from_secs(5).min(c.timeout))
            .map_err(CallError::Connect)?;
        conn.call(Call::new(c.method, c.target, deadline).headers(&headers))
    }

    /// The caller's fields, then FC's set (with this call's replacements).
    fn headers(&self, c: &FcCall<'_>) -> Headers {
        let mut headers: Headers = c
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        for (n, v) in fc_headers(&self.function, c.request_id, c.control_path.unwrap_or("")) {
            if c.control_path.is_none() && n == "x-fc-control-path" {
                continue;
            }
            let v = c
                .fields
                .iter()
                .find(|(f, _)| *f == n)
                .map_or(v, |(_, own)| own.clone());
            headers.append(&n, v);
        }
        for (n, v) in &c.fields {
            if !headers.contains(n) {
                headers.append(n, v);
            }
        }
        headers
    }

    /// Closes the kept connections (before a stop).
    pub fn close_connections(&self) {
        self.client.clear();
    }

    /// SIGTERM, up to `grace` for it to exit, then SIGKILL (`None`: not ours to stop).
    pub fn stop(&self, grace: Duration) -> Option<Stopped> {
        let stopped = self.child.as_ref()?.stop(grace);
        self.drain_pumps();
        Some(stopped)
    }

    /// Waits (briefly) for the output pumps to read what the process wrote last.
    fn drain_pumps(&self) {
        let end = Instant::now() + Duration::from_millis(500);
        let pumps = std::mem::take(&mut *self.pumps.lock().unwrap_or_else(|p| p.into_inner()));
        for p in pumps {
            while !p.is_finished() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(2));
            }
            if p.is_finished() {
                let _ = p.join();
            }
        }
    }
}

fn client(addr: SocketAddr) -> Client {
    Client::with_options(
        addr,
        Options {
            max_idle: POOL,
            // FC keeps idle connections for 15 minutes; so do we, to see who closes first.
            idle_expiry: Duration::from_secs(15 * 60),
            ..Options::default()
        },
    )
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// A port for an instance to listen on: free when picked, and below the kernel's ephemeral
/// range (`ip_local_port_range`), where port-0 binds and outgoing connections draw from, so
/// none made while the function starts (by us or any other process) takes it first. (A
/// port-0 pick was taken so under parallel tests, and the health check met another server.)
/// Spread by process, time and a counter; port 0's pick if nothing below is free.
fn free_port() -> std::io::Result<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let (base, span) = (10_000, low.saturating_sub(10_000).max(1_000));
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let seed = std::process::id().wrapping_mul(2_654_435_761) ^ time;
    for _ in 0..200 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (base + seed.wrapping_add(n.wrapping_mul(7_919)) % span) as u16;
        if TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?
        .local_addr()?
        .port())
}

fn instance_id() -> String {
    format!("c-{}", &request_id().replace('-', "")[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picked_ports_are_free_distinct_and_below_the_ephemeral_range() {
        let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let picks: Vec<u16> = (0..20).map(|_| free_port().unwrap()).collect();
        for &p in &picks {
            assert!(
                (10_000..low.max(11_000)).contains(&p),
                "{p} (ephemeral from {low})"
            );
            TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)).expect("free");
        }
        let mut distinct = picks.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), picks.len(), "{picks:?}");
    }
}
