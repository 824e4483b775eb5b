//! The worker pool under pressure: idle eviction, fast 503, floods of idle and trickling
//! connections, many concurrent keep-alive clients.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fc_runtime::{Context, Handler, HandlerError};

use crate::client::{invoke_raw, Conn};
use crate::http::Echo;
use crate::TestServer;

#[test]
fn idle_keep_alive_connections_hold_no_worker() {
    // Two workers, six keep-alive clients, each connecting and asking at once (a connection
    // that has sent nothing yet is served, or evicted when workers run out, as before):
    // between requests the connections wait in the room, so every client is served in turn
    // and none is closed to make room.
    let s = TestServer::start(|c| c.max_workers = fc_runtime::Setting::Fixed(2), Echo);
    let conns = (0..6).map(|i| {
        let mut c = Conn::open(s.addr);
        let r = c
            .send(&invoke_raw(&format!("first-{i}")))
            .read_response(false);
        assert_eq!(r.unwrap().text(), format!("Hello, first-{i}"));
        c
    });
    let mut conns: Vec<Conn> = conns.collect();
    for round in 0..3 {
        for (i, c) in conns.iter_mut().enumerate() {
            let r = c.send(&invoke_raw(&format!("{round}-{i}")));
            assert_eq!(
                r.read_response(false).unwrap().text(),
                format!("Hello, {round}-{i}")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    s.stop();
}

#[test]
fn longest_expendable_connection_is_evicted_when_workers_run_out() {
    // Two workers held by clients still sending their heads; a third client is served by
    // closing the oldest of them (a), not the newer one (b).
    let s = TestServer::start(|c| c.max_workers = fc_runtime::Setting::Fixed(2), Echo);
    let mut a = Conn::open(s.addr);
    a.stream.write_all(b"POST /invoke HT").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let mut b = Conn::open(s.addr);
    b.stream.write_all(b"POST /invoke HT").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let mut c = Conn::open(s.addr);
    let r = c.send(&invoke_raw("c")).read_response(false).unwrap();
    assert_eq!(r.text(), "Hello, c");
    assert!(
        a.is_closed(Duration::from_secs(2)),
        "oldest expendable connection closed"
    );
    let rest = invoke_raw("b");
    let r = b
        .send(&rest["POST /invoke HT".len()..])
        .read_response(false);
    assert_eq!(
        r.unwrap().text(),
        "Hello, b",
        "the newer one finishes its head"
    );
    s.stop();
}

/// `/invoke` sleeps 400 ms when the event is `slow`.
struct Sleepy;

impl Handler for Sleepy {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        if event == b"slow" {
            std::thread::sleep(Duration::from_millis(400));
        }
        Ok(event)
    }
}

#[test]
fn a_parked_request_does_not_wait_for_a_busy_worker() {
    // One worker serves both connections (b connects while it waits in the room), and both
    // park. Then, while that worker sleeps in a's slow call, b's request is served by
    // another worker, which the keeper starts, not after the slow call.
    let s = TestServer::start(|c| c.max_workers = fc_runtime::Setting::Fixed(4), Sleepy);
    let mut a = Conn::open(s.addr);
    assert_eq!(
        a.send(&invoke_raw("warm"))
            .read_response(false)
            .unwrap()
            .text(),
        "warm"
    );
    std::thread::sleep(Duration::from_millis(50));
    let mut b = Conn::open(s.addr);
    assert_eq!(
        b.send(&invoke_raw("warm"))
            .read_response(false)
            .unwrap()
            .text(),
        "warm"
    );
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(100)); // both parked, workers waiting
        let start = Instant::now();
        a.send(&invoke_raw("slow"));
        std::thread::sleep(Duration::from_millis(20)); // the slow call is in progress
        let r = b.send(&invoke_raw("fast")).read_response(false).unwrap();
        let waited = start.elapsed();
        assert_eq!(r.text(), "fast");
        assert!(
            waited < Duration::from_millis(300),
            "waited {waited:?} behind the slow call"
        );
        assert_eq!(a.read_response(false).unwrap().text(), "slow");
    }
    s.stop();
}

/// Blocks `/invoke` until released.
struct Gate(Arc<AtomicBool>);

impl Handler for Gate {
    fn invoke(&self, _: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        let start = Instant::now();
        while !self.0.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(b"released".to_vec())
    }
}

#[test]
fn saturated_pool_answers_503_fast_and_keeps_the_request_in_flight() {
    let open = Arc::new(AtomicBool::new(false));
    let s = TestServer::start(
        |c| c.max_workers = fc_runtime::Setting::Fixed(1),
        Gate(open.clone()),
    );
    let mut busy = Conn::open(s.addr);
    busy.send(&invoke_raw("x"));
    std::thread::sleep(Duration::from_millis(100)); // the request is now in progress
    let start = Instant::now();
    let mut extra = Conn::open(s.addr);
    let _ = extra.stream.write_all(&invoke_raw("y"));
    let r = extra.read_response(false).unwrap();
    let waited = start.elapsed();
    assert_eq!(r.status, 503);
    assert!(r.closes());
    assert!(r.header("retry-after").is_some());
    assert!(waited < Duration::from_secs(1), "503 took {waited:?}");
    open.store(true, Ordering::SeqCst);
    let r = busy.read_response(false).unwrap();
    assert_eq!(
        r.text(),
        "released",
        "the request in flight was not dropped"
    );
    s.stop();
}

#[test]
fn idle_and_trickling_floods_do_not_starve_a_fresh_request() {
    let s = TestServer::start(|_| {}, Echo);
    let mut idle = Vec::new();
    for _ in 0..1500 {
        idle.push(TcpStream::connect(s.addr).unwrap());
    }
    let mut trickling = Vec::new();
    for _ in 0..600 {
        let mut t = TcpStream::connect(s.addr).unwrap();
        t.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
        trickling.push(t);
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut worst = Duration::ZERO;
    for i in 0..20 {
        let start = Instant::now();
        let mut c = Conn::open(s.addr);
        let r = c
            .send(&invoke_raw(&format!("fresh{i}")))
            .read_response(false)
            .unwrap();
        worst = worst.max(start.elapsed());
        assert_eq!(r.text(), format!("Hello, fresh{i}"));
    }
    // A liveness bound, generous for a shared machine; the benchmark measures the real figure.
    assert!(
        worst < Duration::from_millis(500),
        "fresh request took {worst:?}"
    );
    eprintln!("fresh request under 1500 idle + 600 trickling connections: worst {worst:?}");
    drop(idle);
    drop(trickling);
    s.stop();
}

#[test]
fn two_hundred_fifty_keep_alive_clients_are_all_served() {
    let s = TestServer::start(|_| {}, Echo);
    let addr = s.addr;
    let clients: Vec<_> = (0..250)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = Conn::open(addr);
                for j in 0..20 {
                    let r = c
                        .send(&invoke_raw(&format!("{i}-{j}")))
                        .read_response(false)
                        .unwrap();
                    assert_eq!(r.text(), format!("Hello, {i}-{j}"));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client saw an error");
    }
    s.stop();
}

#[test]
fn a_client_that_never_reads_cannot_hold_the_only_worker() {
    let s = TestServer::start(
        |c| {
            c.max_workers = fc_runtime::Setting::Fixed(1);
            c.write_timeout = Duration::from_millis(300);
        },
        Echo,
    );
    // An 8 MiB answer that is never read fills the socket buffers and blocks the writer.
    let mut stuck = TcpStream::connect(s.addr).unwrap();
    let event = vec![b'z'; 8 << 20];
    crate::client::send_event(&mut stuck, &event);
    // While the write is stuck the worker holds a real request, so newcomers get the fast
    // 503; once the write timeout fires the worker is free again.
    let start = Instant::now();
    let mut busy_answers = 0;
    let served = loop {
        let mut c = Conn::open(s.addr);
        let r = c.send(&invoke_raw("next")).read_response(false).unwrap();
        if r.status != 503 || start.elapsed() > Duration::from_secs(3) {
            break r;
        }
        busy_answers += 1;
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        served.text(),
        "Hello, next",
        "after {busy_answers} busy answers"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "waited {:?}",
        start.elapsed()
    );
    // The stuck client was cut off: its answer ends short of 8 MiB.
    stuck
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut got = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stuck, &mut got);
    assert!(got.len() < event.len(), "{} bytes arrived", got.len());
    s.stop();
}

#[test]
fn body_budget_answers_503_while_spent_and_recovers() {
    let s = TestServer::start(
        |c| {
            c.body_budget = fc_runtime::Setting::Fixed(1000);
            c.body_wait = Duration::from_millis(300);
        },
        Echo,
    );
    // A holds 800 of the 1,000 budget bytes while its body trickles in.
    let mut a = Conn::open(s.addr);
    a.send(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 800\r\n\r\n");
    a.send(&[b'a'; 100]);
    std::thread::sleep(Duration::from_millis(100));
    // B needs 300: it waits for the budget, then gets a 503 it can retry.
    let mut b = Conn::open(s.addr);
    let t0 = Instant::now();
    b.send(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n");
    b.send(&[b'b'; 300]);
    let r = b.read_response(false).unwrap();
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r.closes());
    assert!(t0.elapsed() >= Duration::from_millis(300), "waited first");
    // A request of more than the whole budget is refused at once as too large.
    let mut big = Conn::open(s.addr);
    big.send(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n");
    assert_eq!(big.read_response(false).unwrap().status, 413);
    // A completes normally; then the budget is free again.
    a.send(&[b'a'; 700]);
    let r = a.read_response(false).unwrap();
    assert_eq!((r.status, r.text().len()), (200, "Hello, ".len() + 800));
    let mut c = Conn::open(s.addr);
    c.send(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n");
    c.send(&[b'c'; 300]);
    assert_eq!(c.read_response(false).unwrap().status, 200);
}

/// Answers every HTTP request with `n` bytes streamed (64 MiB unless `?n=`).
struct Big;

impl Handler for Big {
    fn invoke(&self, e: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok(e)
    }
    fn http(
        &self,
        req: fc_runtime::Request<'_>,
        _: &Context,
    ) -> Result<fc_runtime::Response, HandlerError> {
        let n: u64 = req
            .query
            .strip_prefix("n=")
            .and_then(|v| v.parse().ok())
            .unwrap_or(64 << 20);
        let body = std::io::Read::take(std::io::repeat(b'x'), n);
        Ok(fc_runtime::Response::new(200).with_stream(body, Some(n)))
    }
}

#[test]
fn a_client_reading_its_answer_too_slowly_is_dropped_and_a_normal_one_is_not() {
    // One worker; every 300 ms window of an answer must move 300 KB (1 MB/s).
    let s = TestServer::start(
        |c| {
            c.max_workers = fc_runtime::Setting::Fixed(1);
            c.write_timeout = Duration::from_millis(300);
            c.limits.min_rate = 1 << 20;
        },
        Big,
    );
    // A reader at full speed gets all 64 MiB.
    let mut fast = TcpStream::connect(s.addr).unwrap();
    fast.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    std::io::Read::read_to_end(&mut fast, &mut all).unwrap();
    assert!(all.ends_with(&[b'x'; 1024]) && all.len() > 64 << 20);
    // A reader taking 100 bytes every 50 ms (2 KB/s) holds the only worker until the
    // socket buffers are full and a window passes with too little progress.
    let mut slow = TcpStream::connect(s.addr).unwrap();
    slow.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let reading = Arc::new(AtomicBool::new(true));
    let r2 = reading.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 100];
        while r2.load(Ordering::SeqCst) {
            if !matches!(std::io::Read::read(&mut slow, &mut buf), Ok(n) if n > 0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let mut busy = 0;
    let served = loop {
        let mut c = Conn::open(s.addr);
        let r = c
            .send(b"GET /?n=5 HTTP/1.1\r\nHost: x\r\n\r\n")
            .read_response(false);
        match r {
            Ok(r) if r.status == 503 => busy += 1,
            other => break other.unwrap(),
        }
        assert!(start.elapsed() < Duration::from_secs(15), "still busy");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(served.text(), "xxxxx");
    assert!(busy > 0, "the slow reader held the worker at first");
    reading.store(false, Ordering::SeqCst);
    reader.join().unwrap();
}

/// The thread that calls `serve` takes the first connection itself and serves it with the
/// stop signals blocked (they go to the acceptor); when `serve` returns, its caller has its
/// own signal mask back.
#[test]
fn serve_gives_its_caller_the_signal_mask_back() {
    use fc_runtime::{Config, Server};
    let server = Server::bind(&Config {
        host: "127.0.0.1".into(),
        port: 0,
        ..Config::default()
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    let stop = server.shutdown_handle();
    let blocked = |status: &str| {
        let line = status.lines().find(|l| l.starts_with("SigBlk:")).unwrap();
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap() & 0x4002
    };
    let t = std::thread::spawn(move || {
        let before = blocked(&std::fs::read_to_string("/proc/thread-self/status").unwrap());
        server
            .serve(|e: Vec<u8>, _: &Context| Ok::<_, HandlerError>(e))
            .unwrap();
        let after = blocked(&std::fs::read_to_string("/proc/thread-self/status").unwrap());
        (before, after)
    });
    let r = crate::client::request(addr, &invoke_raw("first"));
    assert_eq!(r.text(), "first");
    stop.shutdown();
    assert_eq!(t.join().unwrap(), (0, 0));
}

/// `/invoke` waits 400 µs inside `fc_runtime::blocking` (or not), recording how many calls
/// were waiting at once.
struct Waits {
    marked: bool,
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

struct WaitsHandler(Arc<Waits>);

impl Handler for WaitsHandler {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        let w = &self.0;
        let n = w.now.fetch_add(1, Ordering::SeqCst) + 1;
        w.most.fetch_max(n, Ordering::SeqCst);
        let wait = || std::thread::sleep(Duration::from_micros(400));
        if w.marked {
            fc_runtime::blocking(wait);
        } else {
            wait();
        }
        w.now.fetch_sub(1, Ordering::SeqCst);
        Ok(event)
    }
}

#[test]
fn waits_marked_blocking_get_more_workers_while_requests_queue() {
    // Eight connections, all made while one worker waits in the room, so that worker serves
    // them all and there is no other. Then every client sends at once, ten times over.
    // Marked waits: the keeper adds workers while the queue lasts (many calls wait at once).
    // Unmarked: a worker comes back every 400 µs, never stuck for a whole tick, so the keeper
    // adds workers only up to the number of CPUs (2 of 8 here, 2 CPUs).
    let mut most = Vec::new();
    for marked in [true, false] {
        let waits = Arc::new(Waits {
            marked,
            now: Default::default(),
            most: Default::default(),
        });
        let s = TestServer::start(|_| {}, WaitsHandler(waits.clone()));
        let mut conns = Vec::new();
        for i in 0..8 {
            let mut c = Conn::open(s.addr);
            let r = c.send(&invoke_raw(&format!("w{i}"))).read_response(false);
            assert_eq!(r.unwrap().status, 200);
            conns.push(c);
            std::thread::sleep(Duration::from_millis(30)); // the worker is back in the room
        }
        waits.most.store(0, Ordering::SeqCst);
        let clients: Vec<_> = conns
            .into_iter()
            .map(|mut c| {
                std::thread::spawn(move || {
                    for j in 0..50 {
                        let r = c.send(&invoke_raw(&format!("{j}"))).read_response(false);
                        assert_eq!(r.unwrap().text(), format!("{j}"));
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().expect("a client saw an error");
        }
        most.push(waits.most.load(Ordering::SeqCst));
        s.stop();
    }
    assert!(
        most[0] >= 4,
        "marked: at most {} calls waited at once",
        most[0]
    );
    // Unmarked is reported, not asserted: on a loaded machine a tick can pass with no
    // worker back, and then the keeper rightly claims everything ready.
    eprintln!(
        "calls waiting at once: marked {}, unmarked {}",
        most[0], most[1]
    );
}

#[test]
fn idle_connections_close_on_time_under_continuous_load() {
    // One worker, kept busy by a client that never pauses: no wait in the room ever times
    // out, yet a connection parked longer than the idle timeout is closed on time.
    let s = TestServer::start(
        |c| {
            c.max_workers = fc_runtime::Setting::Fixed(1);
            c.limits.idle_timeout = Duration::from_millis(300);
        },
        Echo,
    );
    let mut idle = Conn::open(s.addr);
    let r = idle.send(&invoke_raw("then quiet")).read_response(false);
    assert_eq!(r.unwrap().status, 200);
    let parked = Instant::now();
    let addr = s.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let busy = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut c = Conn::open(addr);
            while !stop.load(Ordering::SeqCst) {
                let r = c.send(&invoke_raw("busy")).read_response(false);
                assert_eq!(r.unwrap().status, 200);
            }
        })
    };
    let closed = idle.is_closed(Duration::from_secs(3));
    let after = parked.elapsed();
    stop.store(true, Ordering::SeqCst);
    busy.join().expect("the busy client saw an error");
    assert!(closed, "still open after {after:?}");
    assert!(
        after >= Duration::from_millis(300),
        "closed early: {after:?}"
    );
    s.stop();
}
