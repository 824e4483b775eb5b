//! The Function Compute contract in-process: panics, errors, hooks, control path, base path.

use std::time::Duration;

use crate::builtin::Builtin;
use fc_runtime::{Context, Handler, HandlerError, Request, Response};

use crate::client::{request, Conn};
use crate::TestServer;

struct Panicky;

impl Handler for Panicky {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        match &event[..] {
            b"panic" => panic!("event boom"),
            b"error" => Err(HandlerError::new("Custom", "bad event")),
            _ => Ok(event),
        }
    }
    fn http(&self, req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        if req.path == "/panic" {
            panic!("http boom");
        }
        Ok(Response::ok(req.path))
    }
}

#[test]
fn panics_and_errors_are_answered_and_the_server_keeps_serving() {
    let s = TestServer::start(|c| c.max_workers = fc_runtime::Setting::Fixed(1), Panicky);
    let mut c = Conn::open(s.addr);
    let r = c
        .send(&crate::client::invoke_raw("panic"))
        .read_response(false)
        .unwrap();
    assert_eq!((r.status, r.header("x-fc-status")), (404, Some("404")));
    assert_eq!(
        r.text(),
        r#"{"errorMessage":"event boom","errorType":"Panic"}"#
    );
    let r = c
        .send(&crate::client::invoke_raw("error"))
        .read_response(false)
        .unwrap();
    assert_eq!((r.status, r.header("x-fc-status")), (404, Some("404")));
    assert_eq!(
        r.text(),
        r#"{"errorMessage":"bad event","errorType":"Custom"}"#
    );
    let r = c
        .send(b"GET /panic HTTP/1.1\r\nHost: t\r\n\r\n")
        .read_response(false)
        .unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.text().contains("http boom"));
    // Same connection, same (only) worker: still serving.
    let r = c
        .send(&crate::client::invoke_raw("fine"))
        .read_response(false)
        .unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "fine"));
    s.stop();
}

#[test]
fn control_path_hooks_and_base_path() {
    let s = TestServer::start(|_| {}, Builtin::new("f"));
    let cases: &[(&str, u16, &str)] = &[
        ("POST /initialize HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 200, ""),
        ("GET /pre-freeze HTTP/1.1\r\nHost: t\r\n\r\n", 200, ""),
        ("GET /pre-stop HTTP/1.1\r\nHost: t\r\n\r\n", 200, ""),
        ("POST /any HTTP/1.1\r\nHost: t\r\nx-fc-control-path: /invoke\r\nContent-Length: 2\r\n\r\nFC", 200, "Hello, FC"),
        ("POST /invoke HTTP/1.1\r\nHost: t\r\nx-fc-control-path: /http-invoke\r\nContent-Length: 0\r\n\r\n", 200, "\"path\":\"/invoke\""),
        ("GET /2016-08-15/proxy/s/f/users?id=1 HTTP/1.1\r\nHost: t\r\nx-fc-base-path: /2016-08-15/proxy/s/f\r\n\r\n", 200, "\"path\":\"/users\",\"query\":\"id=1\""),
    ];
    for &(raw, status, body) in cases {
        let r = request(s.addr, raw.as_bytes());
        assert_eq!(r.status, status, "{raw:?}");
        assert!(r.text().contains(body), "{raw:?} -> {}", r.text());
    }
    s.stop();
}

#[test]
fn stop_closes_idle_connections_and_refuses_new_ones() {
    let s = TestServer::start(|_| {}, Builtin::new("f"));
    let addr = s.addr;
    let mut idle = Conn::open(addr);
    idle.send(&crate::client::invoke_raw("x"))
        .read_response(false)
        .unwrap();
    s.stop();
    assert!(idle.is_closed(Duration::from_secs(2)));
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "listener closed"
    );
}
