//! Dispatcher vectors: route, status, body, headers, marker lines.

use super::*;
use crate::http::{Headers, RequestBody, ResponseBody, Version};
use std::sync::Mutex;

#[derive(Default)]
struct Collect(Mutex<Vec<String>>);

impl Markers for Collect {
    fn line(&self, line: &str) {
        let line = line
            .strip_suffix('\n')
            .expect("marker lines end with a newline");
        self.0.lock().unwrap().push(line.to_owned());
    }
}

struct Fn1;

impl Handler for Fn1 {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        match &event[..] {
            b"fail" => Err(HandlerError::new("Boom", "it failed")),
            b"panic" => panic!("kaboom"),
            e => Ok([b"Hello, ", e].concat()),
        }
    }
    fn http(&self, req: Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        match req.path.as_str() {
            "/panic" => panic!("http kaboom"),
            "/fail" => Err(HandlerError::msg("nope")),
            p => Ok(Response::ok(format!("{p} {}", ctx.function_name))
                .with_header("x-fc-request-id", "forged")
                .with_header("X-Fc-Status", "404")
                .with_header("Server", "mine")
                .with_header("X-Custom", "kept")),
        }
    }
    fn initialize(&self, ctx: &Context) -> Result<(), HandlerError> {
        if ctx.function_name == "bad" {
            return Err(HandlerError::msg("init failed"));
        }
        Ok(())
    }
    fn pre_stop(&self, _: &Context) -> Result<(), HandlerError> {
        panic!("stop panic")
    }
}

fn call(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (Response, Vec<String>) {
    let markers = Arc::new(Collect::default());
    let d = Dispatcher::new(Fn1, markers.clone(), true);
    let mut h = Headers::new();
    h.append("x-fc-request-id", "rid");
    for (n, v) in headers {
        h.append(n, v);
    }
    let mut b = body;
    let req = Request {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        version: Version::Http11,
        headers: h,
        body: RequestBody::new(&mut b),
    };
    let resp = d.handle(req);
    let lines = markers.0.lock().unwrap().clone();
    (resp, lines)
}

fn body(r: &Response) -> String {
    match &r.body {
        ResponseBody::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        ResponseBody::Empty => String::new(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dispatch_table() {
    let ok_markers = |w: &str| {
        vec![
            format!("FC {w} Start RequestId: rid"),
            format!("FC {w} End RequestId: rid"),
        ]
    };
    let err_markers = |w: &str| {
        vec![
            format!("FC {w} Start RequestId: rid"),
            format!("FC {w} End RequestId: rid, Error: Unhandled function error"),
        ]
    };
    let hook_err = |w: &str| {
        vec![
            format!("FC {w} Start RequestId: rid"),
            format!("FC {w} End RequestId: rid"),
        ]
    };
    // (method, path, headers, body, status, x-fc-status, body, markers)
    type Case = (
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
        &'static [u8],
        u16,
        Option<&'static str>,
        &'static str,
        Vec<String>,
    );
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/invoke",
            vec![],
            b"world",
            200,
            None,
            "Hello, world",
            ok_markers("Invoke"),
        ),
        (
            "POST",
            "/x",
            vec![("x-fc-control-path", "/invoke")],
            b"cp",
            200,
            None,
            "Hello, cp",
            ok_markers("Invoke"),
        ),
        (
            "POST",
            "/invoke",
            vec![],
            b"fail",
            404,
            Some("404"),
            r#"{"errorMessage":"it failed","errorType":"Boom"}"#,
            err_markers("Invoke"),
        ),
        (
            "POST",
            "/invoke",
            vec![],
            b"panic",
            404,
            Some("404"),
            r#"{"errorMessage":"kaboom","errorType":"Panic"}"#,
            err_markers("Invoke"),
        ),
        (
            "GET",
            "/a",
            vec![("x-fc-function-name", "f")],
            b"",
            200,
            Some("404"),
            "/a f",
            ok_markers("Invoke"),
        ),
        (
            "GET",
            "/2016-08-15/proxy/s/f/a",
            vec![("x-fc-base-path", "/2016-08-15/proxy/s/f")],
            b"",
            200,
            Some("404"),
            "/a ",
            ok_markers("Invoke"),
        ),
        (
            "GET",
            "/panic",
            vec![],
            b"",
            500,
            None,
            r#"{"errorMessage":"http kaboom","errorType":"Panic"}"#,
            err_markers("Invoke"),
        ),
        (
            "GET",
            "/fail",
            vec![],
            b"",
            500,
            None,
            r#"{"errorMessage":"nope","errorType":"Error"}"#,
            err_markers("Invoke"),
        ),
        (
            "POST",
            "/initialize",
            vec![],
            b"",
            200,
            None,
            "",
            ok_markers("Initialize"),
        ),
        (
            "POST",
            "/initialize",
            vec![("x-fc-function-name", "bad")],
            b"",
            500,
            None,
            r#"{"errorMessage":"init failed","errorType":"Error"}"#,
            hook_err("Initialize"),
        ),
        (
            "GET",
            "/pre-freeze",
            vec![],
            b"",
            200,
            None,
            "",
            ok_markers("PreFreeze"),
        ),
        (
            "GET",
            "/pre-stop",
            vec![],
            b"",
            500,
            None,
            r#"{"errorMessage":"stop panic","errorType":"Panic"}"#,
            hook_err("PreStop"),
        ),
    ];
    for (m, p, h, b, status, xfc, want_body, markers) in cases {
        let (resp, lines) = call(m, p, &h, b);
        assert_eq!(resp.status, status, "{m} {p}");
        assert_eq!(resp.headers.get("x-fc-status"), xfc, "{m} {p}");
        assert_eq!(body(&resp), want_body, "{m} {p}");
        assert_eq!(lines, markers, "{m} {p}");
    }
}

#[test]
fn reserved_response_headers_are_dropped() {
    let (resp, _) = call("GET", "/a", &[], b"");
    assert_eq!(resp.headers.get("x-custom"), Some("kept"));
    assert_eq!(resp.headers.get("x-fc-status"), Some("404"));
    assert!(!resp.headers.contains("x-fc-request-id"));
    assert!(!resp.headers.contains("server"));
}
