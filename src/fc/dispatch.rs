//! Which call a request is: event invocation, HTTP passthrough, or a lifecycle hook.
//!
//! `x-fc-control-path` decides first; without it (Alibaba's own local emulators omit it)
//! method and path decide, and anything else is HTTP passthrough. Also strips the FC 2.0
//! `/2016-08-15/proxy/<service>/<function>` prefix named by `x-fc-base-path`. Pure functions.

use crate::http::Headers;

/// The kind of call the platform is making.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Event invocation: body in, result out.
    Invoke,
    /// HTTP trigger or custom domain: passthrough.
    Http,
    /// The initializer hook.
    Initialize,
    /// The pre-freeze hook.
    PreFreeze,
    /// The pre-stop hook.
    PreStop,
}

impl Route {
    /// The word used in marker lines (`FC <word> Start RequestId: ...`).
    pub fn marker(self) -> &'static str {
        match self {
            Route::Invoke | Route::Http => "Invoke",
            Route::Initialize => "Initialize",
            Route::PreFreeze => "PreFreeze",
            Route::PreStop => "PreStop",
        }
    }
}

/// Routes a request by control path, else by method and path.
pub fn route(method: &str, path: &str, headers: &Headers) -> Route {
    if let Some(cp) = headers.get("x-fc-control-path") {
        match cp.trim() {
            "/invoke" => return Route::Invoke,
            "/http-invoke" => return Route::Http,
            "/initialize" => return Route::Initialize,
            "/pre-freeze" => return Route::PreFreeze,
            "/pre-stop" => return Route::PreStop,
            other => log::warn!("unknown x-fc-control-path {other:?}; routing by method and path"),
        }
    }
    match (method, path) {
        ("POST", "/invoke") => Route::Invoke,
        ("POST", "/initialize") => Route::Initialize,
        ("GET", "/pre-freeze") => Route::PreFreeze,
        ("GET", "/pre-stop") => Route::PreStop,
        _ => Route::Http,
    }
}

/// Removes the `x-fc-base-path` prefix from `path` when the path really starts with it at a
/// segment boundary; otherwise returns `path` unchanged.
pub fn strip_base_path<'a>(path: &'a str, headers: &Headers) -> &'a str {
    let Some(base) = headers.get("x-fc-base-path") else {
        return path;
    };
    let base = base.trim_end_matches('/');
    if base.is_empty() {
        return path;
    }
    match path.strip_prefix(base) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        pairs.iter().copied().collect()
    }

    #[test]
    fn route_table() {
        let cases: &[(&str, &str, Option<&str>, Route)] = &[
            ("POST", "/invoke", None, Route::Invoke),
            ("GET", "/invoke", None, Route::Http),
            ("POST", "/initialize", None, Route::Initialize),
            ("GET", "/pre-freeze", None, Route::PreFreeze),
            ("GET", "/pre-stop", None, Route::PreStop),
            ("POST", "/pre-stop", None, Route::Http),
            ("GET", "/", None, Route::Http),
            // the header wins over method and path
            ("POST", "/invoke", Some("/http-invoke"), Route::Http),
            ("GET", "/anything", Some("/invoke"), Route::Invoke),
            ("POST", "/x", Some("/initialize"), Route::Initialize),
            ("GET", "/x", Some("/pre-freeze"), Route::PreFreeze),
            ("GET", "/x", Some("/pre-stop"), Route::PreStop),
            ("POST", "/invoke", Some("/unknown"), Route::Invoke),
        ];
        for &(m, p, cp, want) in cases {
            let headers = match cp {
                Some(v) => h(&[("X-Fc-Control-Path", v)]),
                None => Headers::new(),
            };
            assert_eq!(route(m, p, &headers), want, "{m} {p} {cp:?}");
        }
        assert_eq!(Route::Http.marker(), "Invoke");
        assert_eq!(Route::PreFreeze.marker(), "PreFreeze");
    }

    #[test]
    fn strip_base_path_table() {
        let base = "/2016-08-15/proxy/svc/fn";
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("/2016-08-15/proxy/svc/fn/users/1", Some(base), "/users/1"),
            ("/2016-08-15/proxy/svc/fn", Some(base), "/"),
            ("/2016-08-15/proxy/svc/fn/", Some(base), "/"),
            (
                "/2016-08-15/proxy/svc/fnx/a",
                Some(base),
                "/2016-08-15/proxy/svc/fnx/a",
            ),
            ("/users/1", Some(base), "/users/1"),
            (
                "/2016-08-15/proxy/svc/fn/a",
                None,
                "/2016-08-15/proxy/svc/fn/a",
            ),
            ("/a", Some(""), "/a"),
            ("/base/a", Some("/base/"), "/a"),
        ];
        for &(path, b, want) in cases {
            let headers = b.map(|b| h(&[("x-fc-base-path", b)])).unwrap_or_default();
            assert_eq!(strip_base_path(path, &headers), want, "{path} {b:?}");
        }
    }
}
