//! What the platform itself says: the `x-fc-*` header set of each call, the process
//! environment of an instance, FC's error bodies, and which response headers it reserves.
//!
//! Pure functions of the function's settings; no I/O.

use fc_runtime::json;

use crate::cli::Function;

/// The `x-fc-*` headers FC adds to a call with this control path.
pub fn fc_headers(f: &Function, request_id: &str, control_path: &str) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = [
        ("x-fc-request-id", request_id.to_string()),
        ("x-fc-function-name", f.name.clone()),
        ("x-fc-function-handler", f.handler.clone()),
        ("x-fc-function-memory", f.memory_mb.to_string()),
        (
            "x-fc-function-timeout",
            f.timeout.as_secs().max(1).to_string(),
        ),
        ("x-fc-region", f.region.clone()),
        ("x-fc-account-id", f.account_id.clone()),
        ("x-fc-qualifier", f.qualifier.clone()),
        ("x-fc-version-id", String::new()),
        ("x-fc-service-name", f.service.clone()),
        ("x-fc-control-path", control_path.to_string()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    if f.initializer {
        h.push((
            "x-fc-function-initializer".into(),
            "index.initializer".into(),
        ));
        h.push((
            "x-fc-initialization-timeout".into(),
            f.init_timeout.as_secs().max(1).to_string(),
        ));
    }
    if let Some(c) = &f.credentials {
        h.push(("x-fc-access-key-id".into(), c.id.clone()));
        h.push(("x-fc-access-key-secret".into(), c.secret.clone()));
        h.push(("x-fc-security-token".into(), c.token.clone()));
    }
    h
}

/// The environment FC gives an instance (on top of the inherited one, which loses every
/// `FC_*`, `ALIBABA_CLOUD_*` and `PORT`).
pub fn fc_env(
    f: &Function,
    port: u16,
    code_path: &str,
    instance_id: &str,
) -> Vec<(String, String)> {
    let mut e: Vec<(String, String)> = [
        ("FC_FUNC_CODE_PATH", code_path.to_string()),
        ("FC_FUNCTION_NAME", f.name.clone()),
        ("FC_FUNCTION_HANDLER", f.handler.clone()),
        ("FC_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string()),
        ("FC_REGION", f.region.clone()),
        ("FC_ACCOUNT_ID", f.account_id.clone()),
        ("FC_INSTANCE_ID", instance_id.to_string()),
        ("FC_CUSTOM_LISTEN_PORT", port.to_string()),
        ("FC_SERVER_PORT", port.to_string()),
        ("FC_SERVICE_NAME", f.service.clone()),
        ("FC_QUALIFIER", f.qualifier.clone()),
        ("FC_FUNCTION_VERSION", "LATEST".into()),
        ("FC_TIMEOUT", f.timeout.as_secs().max(1).to_string()),
        ("FC_MEMORY_SIZE", f.memory_mb.to_string()),
        ("FC_HANDLER", f.handler.clone()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    if let Some(c) = &f.credentials {
        e.push(("ALIBABA_CLOUD_ACCESS_KEY_ID".into(), c.id.clone()));
        e.push(("ALIBABA_CLOUD_ACCESS_KEY_SECRET".into(), c.secret.clone()));
        e.push(("ALIBABA_CLOUD_SECURITY_TOKEN".into(), c.token.clone()));
    }
    e.extend(f.env.iter().cloned());
    e
}

/// True for inherited variables an FC instance would not have.
pub fn not_inherited(name: &str) -> bool {
    name.starts_with("FC_") || name.starts_with("ALIBABA_CLOUD_") || name == "PORT"
}

/// Whose words a platform error is said in: FC 2.0's API and HTTP triggers, or FC 3.0's
/// API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Fc2,
    Fc3,
}

/// An error of the platform itself (not of the function): FC's status, code and message.
#[derive(Debug)]
pub struct FcError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl FcError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> FcError {
        FcError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The JSON body: FC 2.0 `{"ErrorCode","ErrorMessage","RequestId"}`, FC 3.0
    /// `{"Code","Message","RequestId"}` (SDKs parse every error body as JSON).
    pub fn body(&self, d: Dialect, request_id: &str) -> String {
        let (code, message) = match d {
            Dialect::Fc2 => ("ErrorCode", "ErrorMessage"),
            Dialect::Fc3 => ("Code", "Message"),
        };
        format!(
            "{{\"{code}\":{},\"{message}\":{},\"RequestId\":{}}}",
            json::string(self.code),
            json::string(&self.message),
            json::string(request_id)
        )
    }

    /// The whole answer (the caller adds `X-Fc-Request-Id`).
    pub fn response(&self, d: Dialect, request_id: &str) -> fc_runtime::Response {
        let r = fc_runtime::Response::json(self.status, self.body(d, request_id));
        if self.status == 429 || self.status == 503 {
            r.with_header("Retry-After", "1")
        } else {
            r
        }
    }
}

/// Response headers FC strips from a function's answer (framing ones are re-made by the
/// gateway itself): any `x-fc-*`, `connection`, `content-length`, `date`, `keep-alive`,
/// `server`, `transfer-encoding`, and `content-disposition: attachment`.
pub fn reserved_response_header(name: &str, value: &[u8]) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-fc-")
        || matches!(
            n.as_str(),
            "connection"
                | "content-length"
                | "date"
                | "keep-alive"
                | "server"
                | "transfer-encoding"
        )
        || (n == "content-disposition"
            && String::from_utf8_lossy(value)
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("attachment"))
}

/// Whether a call asks for its logs (`X-Fc-Log-Type: Tail`); refused, as on FC, when an
/// instance takes more than one call at a time (its lines could not be told apart).
pub fn tail_requested(h: &fc_runtime::Headers, concurrency: usize) -> Result<bool, FcError> {
    let tail = h
        .get("x-fc-log-type")
        .is_some_and(|v| v.eq_ignore_ascii_case("tail"));
    if tail && concurrency > 1 {
        return Err(FcError::new(
            400,
            "InvalidArgument",
            format!("X-Fc-Log-Type: Tail is not supported with instance concurrency {concurrency} (> 1), as on FC"),
        ));
    }
    Ok(tail)
}

/// Request headers a client may not send through the gateway.
pub fn reserved_request_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-fc-") || n == "connection" || n == "keep-alive"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Credentials;
    use std::time::Duration;

    fn function() -> Function {
        Function {
            name: "f".into(),
            handler: "index.handler".into(),
            memory_mb: 128,
            timeout: Duration::from_secs(3),
            region: "cn-hangzhou".into(),
            account_id: "1".into(),
            service: "s".into(),
            qualifier: "LATEST".into(),
            initializer: false,
            init_timeout: Duration::from_secs(30),
            credentials: None,
            env: vec![("K".into(), "V".into())],
        }
    }

    #[test]
    fn header_set_table() {
        let mut f = function();
        let h = fc_headers(&f, "rid", "/invoke");
        let get = |h: &[(String, String)], n: &str| {
            h.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
        };
        let cases = [
            ("x-fc-request-id", Some("rid")),
            ("x-fc-function-memory", Some("128")),
            ("x-fc-function-timeout", Some("3")),
            ("x-fc-qualifier", Some("LATEST")),
            ("x-fc-control-path", Some("/invoke")),
            ("x-fc-access-key-secret", None),
            ("x-fc-function-initializer", None),
        ];
        for (n, want) in cases {
            assert_eq!(get(&h, n).as_deref(), want, "{n}");
        }
        f.credentials = Some(Credentials {
            id: "id".into(),
            secret: "sec".into(),
            token: "tok".into(),
        });
        f.initializer = true;
        let h = fc_headers(&f, "rid", "/http-invoke");
        assert_eq!(get(&h, "x-fc-access-key-secret").as_deref(), Some("sec"));
        assert_eq!(
            get(&h, "x-fc-initialization-timeout").as_deref(),
            Some("30")
        );
        let e = fc_env(&f, 9100, "/code", "i-1");
        assert_eq!(get(&e, "FC_CUSTOM_LISTEN_PORT").as_deref(), Some("9100"));
        assert_eq!(get(&e, "FC_SERVER_PORT").as_deref(), Some("9100"));
        assert_eq!(
            get(&e, "ALIBABA_CLOUD_SECURITY_TOKEN").as_deref(),
            Some("tok")
        );
        assert_eq!(get(&e, "K").as_deref(), Some("V"));
    }

    #[test]
    fn reserved_header_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("X-Fc-Status", "404", true),
            ("Server", "x", true),
            ("Content-Length", "1", true),
            ("Content-Disposition", "attachment; filename=a", true),
            ("Content-Disposition", "inline", false),
            ("Content-Type", "text/plain", false),
            ("X-Custom", "1", false),
        ];
        for &(n, v, want) in cases {
            assert_eq!(reserved_response_header(n, v.as_bytes()), want, "{n}: {v}");
        }
        assert!(reserved_request_header("X-FC-Request-Id"));
        assert!(reserved_request_header("Keep-Alive"));
        assert!(!reserved_request_header("Accept"));
        assert!(not_inherited("FC_REGION") && not_inherited("PORT") && !not_inherited("PATH"));
    }
}
