//! Cold-start probe for `make bench`: wall time from spawn to the first successful
//! `POST /invoke` answer on a fresh connection, with busy-polled connects, so the harness
//! adds as little as possible to what it measures (a Python spawner adds ~0.25 ms).
//!
//! Usage: `coldstart RUNS WARMUP [--init] CWD -- CMD ARGS... [;; [--init] CWD -- CMD ...]`
//! Subjects run interleaved. Prints one line per subject: `ms ms ms ...`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An event invocation with FC's request id (every FC call carries one; servers print it in
/// their marker lines).
const REQ: &[u8] = b"POST /invoke HTTP/1.1\r\nHost: x\r\nx-fc-request-id: 1-6a7b8c9d-0e1f2a3b4c5d6e7f8a9b0c1d\r\nContent-Length: 5\r\n\r\nworld";
const INIT: &[u8] = b"POST /initialize HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";

struct Subject {
    cwd: String,
    cmd: Vec<String>,
    init: bool,
    /// Without `FC_FUNCTION_MEMORY_SIZE` (as on Knative), so fc-runtime probes memory.
    bare: bool,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads until a complete response head has arrived and the data ends with `tail`.
fn read_answer(s: &mut TcpStream, tail: &[u8]) -> Result<(), String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(format!("closed early: {:?}", String::from_utf8_lossy(&buf)));
        }
        buf.extend_from_slice(&chunk[..n]);
        let head_done = buf.windows(4).any(|w| w == b"\r\n\r\n");
        if head_done && buf.ends_with(tail) {
            if !buf.starts_with(b"HTTP/1.1 200") {
                return Err(format!(
                    "answered {:?}",
                    String::from_utf8_lossy(&buf[..buf.len().min(40)])
                ));
            }
            return Ok(());
        }
    }
}

fn once(s: &Subject) -> Result<f64, String> {
    let port = free_port();
    let start = Instant::now();
    let mut cmd = Command::new(&s.cmd[0]);
    // What FC sets at start: the port, and the instance memory (MB).
    cmd.env("FC_CUSTOM_LISTEN_PORT", port.to_string());
    if s.bare {
        cmd.env_remove("FC_FUNCTION_MEMORY_SIZE");
    } else {
        cmd.env("FC_FUNCTION_MEMORY_SIZE", "512");
    }
    let mut child = cmd
        .args(&s.cmd[1..])
        .current_dir(&s.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("spawn {:?}: {e}", s.cmd))?;
    let result = (|| {
        let mut conn = loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(c) => break c,
                Err(_) if start.elapsed() < Duration::from_secs(30) => {
                    if let Ok(Some(st)) = child.try_wait() {
                        return Err(format!("{:?} exited: {st}", s.cmd));
                    }
                }
                Err(e) => return Err(format!("{:?}: nothing listened in 30 s: {e}", s.cmd)),
            }
        };
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        if s.init {
            conn.write_all(INIT).map_err(|e| e.to_string())?;
            read_answer(&mut conn, b"\r\n\r\n")?;
        }
        conn.write_all(REQ).map_err(|e| e.to_string())?;
        read_answer(&mut conn, b"world")?;
        Ok(start.elapsed().as_secs_f64() * 1000.0)
    })();
    // Stop the whole process group (peers may fork), outside the measured time; every wait
    // here is bounded, and SIGKILL to the child is the last resort.
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-s", "TERM", "--", &group])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => break,
            Ok(None) if Instant::now() > deadline => {
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &group])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    result
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: coldstart RUNS WARMUP [--init] [--bare] CWD -- CMD ARGS... [;; ...]");
        std::process::exit(2);
    }
    let runs: usize = args[0].parse().expect("RUNS");
    let warmup: usize = args[1].parse().expect("WARMUP");
    let mut subjects = Vec::new();
    for spec in args[2..].split(|a| a == ";;") {
        let (init, rest) = match spec.first().map(String::as_str) {
            Some("--init") => (true, &spec[1..]),
            _ => (false, spec),
        };
        let (bare, rest) = match rest.first().map(String::as_str) {
            Some("--bare") => (true, &rest[1..]),
            _ => (false, rest),
        };
        let sep = rest.iter().position(|a| a == "--").expect("CWD -- CMD");
        subjects.push(Subject {
            cwd: rest[..sep].join(" "),
            cmd: rest[sep + 1..].to_vec(),
            init,
            bare,
        });
    }
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); subjects.len()];
    for round in 0..warmup + runs {
        for (i, s) in subjects.iter().enumerate() {
            match once(s) {
                Ok(ms) if round >= warmup => results[i].push(ms),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("coldstart: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
    for r in results {
        let line: Vec<String> = r.iter().map(|ms| format!("{ms:.4}")).collect();
        println!("{}", line.join(" "));
    }
}
