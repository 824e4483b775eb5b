//! `fc-local serve`: an HTTP-trigger gateway in front of one instance, with FC's rules:
//! request limits answered `400 InvalidArgument`, client `x-fc-*`/`connection`/`keep-alive`
//! dropped, the `x-fc-*` set added with `x-fc-control-path: /http-invoke`, reserved response
//! headers stripped, `X-Fc-Request-Id` and `X-Fc-Log-Result` (for `X-Fc-Log-Type: Tail`)
//! added, the function timeout enforced, connections to the function kept alive.
//!
//! The inbound side is the library's own connection loop (`http::serve`); this module adds
//! threads, the forwarding and the stop sequence (drain, `GET /pre-stop`, SIGTERM, grace,
//! SIGKILL). A call in flight when the instance dies gets FC's 502; the next call starts a
//! new instance, as FC does.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fc_runtime::http::{self, ConnReader, End, Hooks, Limits, Phase, Request};

use crate::cli::Opts;
use crate::client::Pool;
use crate::instance::Instance;
use crate::platform::error_json;
use crate::util::{human, request_id, say};

mod calls;

/// Idle connections kept to the function.
const POOL: usize = 64;
/// Client connections served at once; more get a 503 and are closed.
const MAX_CONNS: usize = 512;

struct Tracked {
    stream: TcpStream,
    phase: AtomicU8,
}

/// The instance calls go to, and its connection pool; replaced when the instance died.
struct Live {
    inst: Instance,
    pool: Arc<Pool>,
}

struct Gateway {
    opts: Opts,
    prefix: Option<String>,
    live: Mutex<Live>,
    stopping: AtomicBool,
    conns: Mutex<HashMap<u64, Arc<Tracked>>>,
    next: AtomicU64,
}

pub fn run(o: Opts) -> i32 {
    let listener = match TcpListener::bind(&o.listen) {
        Ok(l) => l,
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
    if let Err(e) = fc_runtime::signals::install(&listener) {
        eprintln!("fc-local: cannot install the SIGTERM hook: {e}");
    }
    let prefix = o.fc2_prefix.then(|| {
        format!(
            "/2016-08-15/proxy/{}/{}",
            o.function.service, o.function.name
        )
    });
    let addr = listener
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
        live: Mutex::new(Live {
            pool: Arc::new(Pool::new(inst.addr(), POOL)),
            inst,
        }),
        stopping: AtomicBool::new(false),
        conns: Mutex::new(HashMap::new()),
        next: AtomicU64::new(0),
    });
    let mut threads = Vec::new();
    for s in listener.incoming() {
        if fc_runtime::signals::stop_requested() {
            break;
        }
        let Ok(mut s) = s else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        if gw.conns.lock().unwrap().len() >= MAX_CONNS {
            let body = error_json("ServiceUnavailable", "too many connections to fc-local", "");
            let head = format!("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = s.write_all(format!("{head}{body}").as_bytes());
            continue;
        }
        threads.retain(|t: &std::thread::JoinHandle<()>| !t.is_finished());
        let gw = gw.clone();
        threads.push(std::thread::spawn(move || serve_conn(&gw, s)));
    }
    eprintln!("fc-local: stopping: finishing calls in flight");
    gw.stopping.store(true, Ordering::SeqCst);
    for t in gw.conns.lock().unwrap().values() {
        if t.phase.load(Ordering::SeqCst) != Phase::Active as u8 {
            let _ = t.stream.shutdown(Shutdown::Both);
        }
    }
    for t in threads {
        let _ = t.join();
    }
    let mut live = gw.live.lock().unwrap();
    live.pool.clear();
    if live.inst.started() && live.inst.exit_status().is_none() {
        let rid = request_id();
        let r = gw.forward(
            &live.pool,
            "GET",
            "/pre-stop",
            Vec::new(),
            &[],
            &rid,
            "/pre-stop",
        );
        match r {
            Ok(r) => eprintln!("fc-local: GET /pre-stop -> {}", r.status),
            Err(e) => eprintln!("fc-local: GET /pre-stop failed: {e}"),
        }
    }
    eprintln!("fc-local: function {}", live.inst.stop(o.grace).describe());
    0
}

/// Starts the instance as FC would, and refuses one FC could not reach.
fn start(o: &Opts) -> Result<Instance, String> {
    let inst = Instance::launch(o, true, true)?;
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
        let d = inst.initialize(o)?;
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

fn serve_conn(gw: &Arc<Gateway>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let id = gw.next.fetch_add(1, Ordering::Relaxed);
    let tracked = Arc::new(Tracked {
        stream: clone,
        phase: AtomicU8::new(Phase::Idle as u8),
    });
    gw.conns.lock().unwrap().insert(id, tracked.clone());
    let limits = Limits {
        max_head: 64 << 10,
        max_target: 64 << 10,
        max_body: u64::MAX >> 1,
        ..Limits::default()
    };
    let mut rd = ConnReader::new(&stream, 80 << 10);
    let mut hooks = ConnHooks { gw, t: &tracked };
    let mut svc = |req: Request<'_>| gw.handle(req);
    let end = http::serve(&mut rd, &mut &stream, &limits, &mut svc, &mut hooks);
    gw.conns.lock().unwrap().remove(&id);
    if end == End::Linger {
        let _ = stream.shutdown(Shutdown::Write);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut sink = [0u8; 4096];
        while matches!((&stream).read(&mut sink), Ok(n) if n > 0) {}
    }
}

struct ConnHooks<'a> {
    gw: &'a Gateway,
    t: &'a Tracked,
}

impl Hooks for ConnHooks<'_> {
    fn phase(&mut self, phase: Phase) -> bool {
        self.t.phase.store(phase as u8, Ordering::SeqCst);
        phase == Phase::Active || !self.gw.stopping.load(Ordering::SeqCst)
    }
    fn draining(&self) -> bool {
        self.gw.stopping.load(Ordering::SeqCst)
    }
}
