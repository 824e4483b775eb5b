//! The library's HTTP client (`fc_runtime::client`) against real servers on loopback:
//! keep-alive reuse, the retry rule (when it retries and when it must not), deadlines,
//! bounds, and bodies streamed both ways.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use fc_runtime::client::{Call, CallError, Client, Options};
use fc_runtime::{Context, Handler, HandlerError, Headers, Request, Response};

use crate::TestServer;

fn soon(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

/// Echoes method, path and body length; counts the connections it accepted.
struct Echo;

impl Handler for Echo {
    fn invoke(&self, e: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok(e)
    }
    fn http(&self, mut req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        let body = req.body.to_vec()?;
        let chunked = req
            .headers
            .get("transfer-encoding")
            .unwrap_or("-")
            .to_string();
        Ok(Response::ok(format!(
            "{} {} {} {chunked}",
            req.method,
            req.path,
            body.len()
        )))
    }
}

/// A raw server: for each accepted connection, runs `script` on it (in order of arrival).
fn raw_server(
    script: impl Fn(usize, TcpStream) + Send + Sync + 'static,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let n = accepted.clone();
    let script = Arc::new(script);
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            thread::spawn(move || script(i, s));
        }
    });
    (addr, accepted)
}

/// Reads one request head (and a Content-Length body) from `s`; `None` at EOF.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(head)
}

#[test]
fn keeps_connections_alive_and_reuses_them() {
    let s = TestServer::start(|_| {}, Echo);
    let client = Client::new(s.addr);
    let h: Headers = [("X-A", "1")].into_iter().collect();
    for i in 0..5 {
        let body = vec![b'x'; i * 1000];
        let mut r = client
            .call(Call::new("PUT", "/p", soon(5)).headers(&h).body(&body))
            .unwrap();
        assert_eq!(r.status, 200);
        let text = String::from_utf8(r.read_to_vec(1 << 20).unwrap()).unwrap();
        assert_eq!(text, format!("PUT /p {} -", i * 1000));
        assert!(r.is_complete() && r.keep_alive());
        assert!(r.stale_idle.is_none());
    }
    // One connection did all five calls: the pool got it back each time.
    let (addr, accepted) = raw_server(|_, s| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        while read_request(&mut r).is_some() {
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
        }
    });
    let client = Client::new(addr);
    for _ in 0..5 {
        let mut r = client.call(Call::new("GET", "/", soon(5))).unwrap();
        assert_eq!(r.read_to_vec(10).unwrap(), b"ok");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn a_server_that_closed_an_idle_connection_costs_no_failed_call() {
    // Answers one request per connection, then closes it after 100 ms idle (like Node's
    // keepAliveTimeout, shortened).
    let (addr, accepted) = raw_server(|_, s| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        if read_request(&mut r).is_some() {
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
        }
        thread::sleep(Duration::from_millis(100));
    });
    let client = Client::new(addr);
    let mut r = client
        .call(Call::new("POST", "/", soon(5)).body(b"a"))
        .unwrap();
    assert_eq!(r.read_to_vec(10).unwrap(), b"ok");
    thread::sleep(Duration::from_millis(300));
    let mut r = client
        .call(Call::new("POST", "/", soon(5)).body(b"b"))
        .unwrap();
    assert_eq!(r.read_to_vec(10).unwrap(), b"ok");
    let idle = r
        .stale_idle
        .expect("the closed idle connection is reported");
    assert!(idle >= Duration::from_millis(250), "{idle:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[test]
fn retries_only_what_is_safe_to_send_again() {
    // Connection 0 answers once and then, on its second request, closes without a byte of
    // answer (the race a liveness check cannot see). Later connections answer normally.
    let script = |i: usize, s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        let mut n = 0;
        while read_request(&mut r).is_some() {
            if i == 0 && n == 1 {
                return; // closes with the request unanswered
            }
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
            n += 1;
        }
    };
    // (what the second call sends, whether it is retried and succeeds)
    type Send = fn(&Client) -> Result<fc_runtime::client::Reply, CallError>;
    let cases: [(&str, Send, bool); 3] = [
        (
            "bytes",
            |c| c.call(Call::new("POST", "/", soon(5)).body(b"x")),
            true,
        ),
        ("empty", |c| c.call(Call::new("GET", "/", soon(5))), true),
        (
            "a stream already read from",
            |c| {
                let mut src: &[u8] = b"streamed";
                c.call(Call::new("POST", "/", soon(5)).stream(&mut src, Some(8)))
            },
            false,
        ),
    ];
    for (what, send, retried) in cases {
        let (addr, accepted) = raw_server(script);
        let client = Client::new(addr);
        let mut r = client.call(Call::new("GET", "/", soon(5))).unwrap();
        assert_eq!(r.read_to_vec(10).unwrap(), b"ok");
        match send(&client) {
            Ok(mut r) if retried => {
                assert_eq!(r.read_to_vec(10).unwrap(), b"ok", "{what}");
                assert!(r.stale_idle.is_some(), "{what}: the retry is reported");
                assert_eq!(accepted.load(Ordering::SeqCst), 2, "{what}");
            }
            Err(CallError::Closed | CallError::Send(_)) if !retried => {
                assert_eq!(
                    accepted.load(Ordering::SeqCst),
                    1,
                    "{what}: never sent twice"
                );
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    // A fresh connection that fails is never retried either.
    let (addr, accepted) = raw_server(|_, s| drop(s));
    let err = Client::new(addr)
        .call(Call::new("POST", "/", soon(5)).body(b"x"))
        .unwrap_err();
    assert!(
        matches!(err, CallError::Closed | CallError::Send(_)),
        "{err:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn every_wait_has_its_deadline_and_every_buffer_its_bound() {
    // Never answers.
    let (addr, _) = raw_server(|_, s| {
        thread::sleep(Duration::from_secs(5));
        drop(s);
    });
    let t = Instant::now();
    let err = Client::new(addr)
        .call(Call::new(
            "GET",
            "/",
            Instant::now() + Duration::from_millis(300),
        ))
        .unwrap_err();
    assert!(matches!(err, CallError::Timeout), "{err:?}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    // A head over the bound; a body over the caller's bound; a body that stalls.
    let (addr, _) = raw_server(|i, s| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        read_request(&mut r);
        match i {
            0 => {
                let big = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(70_000));
                let _ = w.write_all(big.as_bytes());
            }
            1 => {
                let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
                let _ = w.write_all(&[b'x'; 100]);
            }
            _ => {
                let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nxx");
                thread::sleep(Duration::from_secs(3));
            }
        }
    });
    let client = Client::with_options(
        addr,
        Options {
            max_idle: 0,
            ..Options::default()
        },
    );
    let err = client.call(Call::new("GET", "/", soon(5))).unwrap_err();
    assert!(matches!(err, CallError::HeadTooLarge), "{err:?}");
    let mut r = client.call(Call::new("GET", "/", soon(5))).unwrap();
    assert!(matches!(r.read_to_vec(99), Err(CallError::BodyTooLarge)));
    let t = Instant::now();
    let mut r = client
        .call(Call::new(
            "GET",
            "/",
            Instant::now() + Duration::from_millis(500),
        ))
        .unwrap();
    assert!(matches!(r.read_to_vec(1000), Err(CallError::Timeout)));
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn bodies_stream_both_ways() {
    // An answer in three chunks, 300 ms apart: the first is readable long before the last.
    let (addr, _) = raw_server(|_, s| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        read_request(&mut r);
        w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        for part in ["data: one\n\n", "data: two\n\n", "data: three\n\n"] {
            write!(w, "{:x}\r\n{part}\r\n", part.len()).unwrap();
            thread::sleep(Duration::from_millis(300));
        }
        w.write_all(b"0\r\n\r\n").unwrap();
    });
    let t = Instant::now();
    let mut r = Client::new(addr)
        .call(Call::new("GET", "/events", soon(5)))
        .unwrap();
    assert_eq!(r.body_len(), None);
    let mut buf = [0u8; 64];
    let n = r.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"data: one\n\n");
    let first = t.elapsed();
    let rest = r.read_to_vec(1000).unwrap();
    assert_eq!(rest, b"data: two\n\ndata: three\n\n");
    assert!(
        first < Duration::from_millis(250),
        "first chunk after {first:?}"
    );
    assert!(t.elapsed() >= Duration::from_millis(600));
    // A request body of unknown length goes chunked; a known one with its length.
    let s = TestServer::start(|_| {}, Echo);
    let client = Client::new(s.addr);
    let mut src: &[u8] = &[7u8; 100_000];
    let mut r = client
        .call(Call::new("POST", "/up", soon(5)).stream(&mut src, None))
        .unwrap();
    assert_eq!(r.read_to_vec(100).unwrap(), b"POST /up 100000 chunked");
    let mut src: &[u8] = &[7u8; 1000];
    let mut r = client
        .call(Call::new("POST", "/up", soon(5)).stream(&mut src, Some(1000)))
        .unwrap();
    assert_eq!(r.read_to_vec(100).unwrap(), b"POST /up 1000 -");
    // A close-delimited answer is read to the close, and its connection not reused.
    let (addr, accepted) = raw_server(|_, s| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        read_request(&mut r);
        w.write_all(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
            .unwrap();
    });
    let client = Client::new(addr);
    for _ in 0..2 {
        let mut r = client.call(Call::new("GET", "/", soon(5))).unwrap();
        assert!(!r.keep_alive());
        assert_eq!(r.read_to_vec(100).unwrap(), b"until the end");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[test]
fn a_request_that_would_split_is_not_sent() {
    let (addr, accepted) = raw_server(|_, s| drop(s));
    let h: Headers = [("X", "a\r\nInjected: 1")].into_iter().collect();
    let err = Client::new(addr)
        .call(Call::new("GET", "/", soon(5)).headers(&h))
        .unwrap_err();
    assert!(matches!(err, CallError::Refused(_)), "{err:?}");
    let err = Client::new(addr)
        .call(Call::new("GET", "/a b", soon(5)))
        .unwrap_err();
    assert!(matches!(err, CallError::Refused(_)), "{err:?}");
    thread::sleep(Duration::from_millis(50));
    // Connected (a connection is opened before the head is written), but nothing sent.
    assert!(accepted.load(Ordering::SeqCst) <= 2);
}
