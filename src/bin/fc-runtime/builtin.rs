//! The function the `fc-runtime` binary serves when used as-is: `Hello, <event>` for event
//! invocations (the seed's TypeScript runtime), a JSON echo of the request for HTTP
//! passthrough (the seed's Flask catch-all, with a `Function-Name` header), `200` for hooks.
//!
//! Useful to check a platform end to end. Credentials in the echo are shown as `"***"`.

use fc_runtime::{json, Context, Credentials, Handler, HandlerError, Request, Response};

/// The built-in function.
pub struct Builtin {
    function_name: String,
}

impl Builtin {
    /// Reads `FC_FUNCTION_NAME` once.
    pub fn from_env() -> Builtin {
        Builtin::new(std::env::var("FC_FUNCTION_NAME").unwrap_or_default())
    }

    /// A built-in function reporting `function_name` in its `Function-Name` header.
    pub fn new(function_name: impl Into<String>) -> Builtin {
        Builtin {
            function_name: function_name.into(),
        }
    }
}

impl Handler for Builtin {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        // Prefix in place: a large event is moved within its own (already touched) pages
        // rather than copied into a second buffer.
        let mut out = event;
        out.splice(0..0, *b"Hello, ");
        Ok(out)
    }

    fn http(&self, mut req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        let body = req.body.to_vec()?;
        Ok(
            Response::json(200, echo(&req, &body))
                .with_header("Function-Name", &self.function_name),
        )
    }
}

/// `{"method","path","query","headers":{lowercased name: value},"body"}`; repeated headers
/// are joined with `, `; credential values are `***`.
fn echo(req: &Request<'_>, body: &[u8]) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    for (n, v) in req.headers.iter() {
        let n = n.to_ascii_lowercase();
        let v = if Credentials::is_header(&n) {
            "***".into()
        } else {
            String::from_utf8_lossy(v).into_owned()
        };
        match names.iter().position(|x| *x == n) {
            Some(i) => {
                values[i].push_str(", ");
                values[i].push_str(&v);
            }
            None => {
                names.push(n);
                values.push(v);
            }
        }
    }
    let mut s = String::with_capacity(128 + body.len());
    s.push_str("{\"method\":");
    json::push_str(&mut s, &req.method);
    s.push_str(",\"path\":");
    json::push_str(&mut s, &req.path);
    s.push_str(",\"query\":");
    json::push_str(&mut s, &req.query);
    s.push_str(",\"headers\":{");
    for (i, (n, v)) in names.iter().zip(&values).enumerate() {
        if i > 0 {
            s.push(',');
        }
        json::push_str(&mut s, n);
        s.push(':');
        json::push_str(&mut s, v);
    }
    s.push_str("},\"body\":");
    json::push_str(&mut s, &String::from_utf8_lossy(body));
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use fc_runtime::{Headers, RequestBody, ResponseBody, Version};

    #[test]
    fn echo_and_hello() {
        let b = Builtin::new("fn1");
        assert_eq!(
            b.invoke(b"FC".to_vec(), &Context::default()).unwrap(),
            b"Hello, FC"
        );
        let mut h = Headers::new();
        h.append("X-A", "1");
        h.append("x-a", "2");
        h.append("X-Fc-Security-Token", "TOKEN");
        let mut body = &b"hi \"there\""[..];
        let req = Request {
            method: "PUT".into(),
            path: "/p".into(),
            query: "q=1".into(),
            version: Version::Http11,
            headers: h,
            body: RequestBody::new(&mut body),
        };
        let resp = b.http(req, &Context::default()).unwrap();
        assert_eq!(resp.headers.get("function-name"), Some("fn1"));
        let ResponseBody::Bytes(out) = resp.body else {
            panic!()
        };
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"method":"PUT","path":"/p","query":"q=1","headers":{"x-a":"1, 2","x-fc-security-token":"***"},"body":"hi \"there\""}"#
        );
    }
}
