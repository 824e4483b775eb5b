//! The library's process supervisor (`fc_runtime::process`) on real child processes:
//! readiness by TCP and by HTTP path, a child that exits or never gets ready, the stop
//! sequence on a well-behaved and on a stubborn child (its whole group), the exit watcher,
//! starting from a short-lived thread, and a supervisor killed with SIGKILL leaving no
//! orphan (fc-local's `Command` starts, and exec mode's fork-free one).

use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use fc_runtime::process::{Child, NotReady, Ready, Stopped};

const RUNTIME: &str = env!("CARGO_BIN_EXE_fc-runtime");
const LOCAL: &str = env!("CARGO_BIN_EXE_fc-local");

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn runtime_on(addr: SocketAddr) -> Command {
    let mut c = Command::new(RUNTIME);
    c.args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
        .env("FC_FUNCTION_MEMORY_SIZE", "128")
        .stdout(std::process::Stdio::null());
    c
}

pub fn alive(pid: u32) -> bool {
    // A zombie is not alive: it only waits for its parent to reap it.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// The children of `pid` (of all its threads), from /proc.
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .flat_map(|t| {
                    std::fs::read_to_string(t.path().join("children"))
                        .unwrap_or_default()
                        .split_whitespace()
                        .filter_map(|p| p.parse().ok())
                        .collect::<Vec<u32>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn within(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    ok()
}

#[test]
fn readiness_by_tcp_and_by_path_then_a_clean_stop() {
    for path in [None, Some("/healthz")] {
        let addr = free_addr();
        let child = Child::spawn(runtime_on(addr)).unwrap();
        let ready = match path {
            None => Ready::Tcp(addr),
            Some(p) => Ready::Http {
                addr,
                path: p.into(),
            },
        };
        let took = child
            .wait_ready(&ready, Instant::now() + Duration::from_secs(10))
            .unwrap();
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(std::net::TcpStream::connect(addr).is_ok());
        match child.stop(Duration::from_secs(5)) {
            Stopped::Exited { status, after } => {
                assert!(status.success(), "{status}");
                assert!(after < Duration::from_secs(5));
            }
            other => panic!("{other:?}"),
        }
        assert!(!alive(child.pid()));
    }
}

#[test]
fn not_ready_says_why() {
    // It exits first.
    let mut c = Command::new("sh");
    c.args(["-c", "exit 3"]);
    let child = Child::spawn(c).unwrap();
    let err = child
        .wait_ready(
            &Ready::Tcp(free_addr()),
            Instant::now() + Duration::from_secs(5),
        )
        .unwrap_err();
    assert!(
        matches!(err, NotReady::Exited(s) if s.code() == Some(3)),
        "{err:?}"
    );
    // It never listens; an HTTP path that answers 5xx is not ready either.
    let mut c = Command::new("sleep");
    c.arg("30");
    let child = Child::spawn(c).unwrap();
    let t = Instant::now();
    let err = child
        .wait_ready(&Ready::Tcp(free_addr()), t + Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(err, NotReady::TimedOut { .. }), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(err.to_string().contains("refused"), "{err}");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        use std::io::{Read, Write};
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let ready = Ready::Http {
        addr,
        path: "/healthz".into(),
    };
    let err = child
        .wait_ready(&ready, Instant::now() + Duration::from_millis(300))
        .unwrap_err();
    assert!(err.to_string().contains("status 503"), "{err}");
    assert!(matches!(
        child.stop(Duration::from_secs(2)),
        Stopped::Exited { .. }
    ));
}

#[test]
fn a_stubborn_child_and_its_group_are_killed_after_the_grace() {
    // Ignores SIGTERM and has a child of its own in the same group.
    let mut c = Command::new("sh");
    c.args(["-c", "trap '' TERM; sleep 30 & echo $!; wait"])
        .stdout(std::process::Stdio::piped());
    let mut child = Child::spawn(c).unwrap();
    let mut out = child.take_stdout().unwrap();
    let mut line = String::new();
    {
        use std::io::BufRead;
        std::io::BufReader::new(&mut out)
            .read_line(&mut line)
            .unwrap();
    }
    let grandchild: u32 = line.trim().parse().unwrap();
    assert!(alive(grandchild));
    let t = Instant::now();
    let stopped = child.stop(Duration::from_millis(300));
    assert_eq!(
        stopped,
        Stopped::Killed {
            grace: Duration::from_millis(300)
        }
    );
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(!alive(child.pid()));
    assert!(
        within(Duration::from_secs(2), || !alive(grandchild)),
        "grandchild left"
    );
}

#[test]
fn the_exit_watcher_reports_the_status() {
    let mut c = Command::new("sh");
    c.args(["-c", "sleep 0.2; exit 7"]);
    let child = Child::spawn(c).unwrap();
    let (tx, rx) = mpsc::channel();
    child.watch(move |s| tx.send(s.code()).unwrap()).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), Some(7));
    assert_eq!(child.status().and_then(|s| s.code()), Some(7));
    // Watching a child that already exited reports at once.
    let (tx, rx) = mpsc::channel();
    child.watch(move |s| tx.send(s.code()).unwrap()).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(1)).unwrap(), Some(7));
}

#[test]
fn a_child_outlives_the_thread_that_started_it_but_not_its_supervisor() {
    // Started from a thread that then ends: the parent-death signal must not fire.
    let child = thread::spawn(|| {
        let mut c = Command::new("sleep");
        c.arg("30");
        Child::spawn(c).unwrap()
    })
    .join()
    .unwrap();
    thread::sleep(Duration::from_millis(200));
    assert!(child.status().is_none(), "killed with its starting thread");
    assert!(matches!(
        child.stop(Duration::from_secs(2)),
        Stopped::Exited { .. }
    ));

    // A supervisor (fc-local serving fc-runtime) killed with SIGKILL: its function dies too.
    let port = free_addr().port();
    let mut local = Command::new(LOCAL)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", free_addr().port()),
            "--port",
            &port.to_string(),
            "--",
            RUNTIME,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let function = SocketAddr::from(([127, 0, 0, 1], port));
    assert!(within(Duration::from_secs(10), || {
        std::net::TcpStream::connect(function).is_ok()
    }));
    let all_children = children(local.id());
    assert_eq!(all_children.len(), 1, "{all_children:?}");
    let pid = all_children[0];
    assert!(alive(pid));
    local.kill().unwrap();
    local.wait().unwrap();
    assert!(
        within(Duration::from_secs(3), || !alive(pid)),
        "the function outlived its SIGKILLed supervisor"
    );
}

#[test]
fn as_pid_1_the_supervisor_reaps_orphans() {
    // fc-local as PID 1 of a new PID namespace; its function leaves an orphan that exits
    // 300 ms later. Without reaping it would stay a zombie child of fc-local.
    let port = free_addr().port();
    let mut ns = Command::new("unshare")
        .args(["--pid", "--fork", LOCAL, "serve"])
        .args(["--listen", &format!("127.0.0.1:{}", free_addr().port())])
        .args(["--port", &port.to_string(), "--", "sh", "-c"])
        .arg(format!("(sleep 0.3 &); exec {RUNTIME}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let function = SocketAddr::from(([127, 0, 0, 1], port));
    let up = within(Duration::from_secs(10), || {
        std::net::TcpStream::connect(function).is_ok()
    });
    let local = children(ns.id()).first().copied();
    thread::sleep(Duration::from_millis(800));
    let zombies: Vec<u32> = local
        .map(|l| children(l).into_iter().filter(|&c| !alive(c)).collect())
        .unwrap_or_default();
    let _ = Command::new("kill")
        .args(["-TERM", &local.unwrap_or(0).to_string()])
        .status();
    let _ = ns.wait();
    assert!(up, "fc-local did not start its function");
    assert!(local.is_some(), "no fc-local under unshare");
    assert!(zombies.is_empty(), "zombies left: {zombies:?}");
}

#[test]
fn exec_modes_app_dies_with_a_sigkilled_runtime() {
    // Exec mode starts its app without a fork (`sys::spawn`): the app still gets its own
    // process group, stdin at end of file, the port variables, and the parent-death
    // signal. The app here never listens, so fc-runtime waits for it (its ready timeout
    // is long) and is SIGKILLed meanwhile.
    let dir = std::env::temp_dir().join(format!("fcrt-exec-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seen = dir.join("seen");
    let script = format!(
        "read -r _ _ _ _ g _ < /proc/$$/stat; read x; echo \"$g $$ [$x] $PORT\" > {}; exec sleep 30",
        seen.display()
    );
    let app_port = crate::exec::free_port().to_string();
    let mut runtime = runtime_on(free_addr())
        .args(["--app-port", &app_port, "--", "sh", "-c", &script])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(within(Duration::from_secs(5), || std::fs::read_to_string(
        &seen
    )
    .is_ok_and(|s| s.ends_with('\n'))));
    let line = std::fs::read_to_string(&seen).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "{line:?}");
    assert_eq!(
        fields[0], fields[1],
        "the app leads its own process group: {line:?}"
    );
    assert_eq!(&fields[2..], ["[]", app_port.as_str()], "{line:?}");
    let pid: u32 = fields[1].parse().unwrap();
    assert!(alive(pid));
    runtime.kill().unwrap();
    runtime.wait().unwrap();
    assert!(
        within(Duration::from_secs(3), || !alive(pid)),
        "the app outlived its SIGKILLed fc-runtime"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
