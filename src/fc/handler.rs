//! What a function implements: the [`Handler`] trait (event invocation required, HTTP and
//! lifecycle hooks defaulted), the [`HandlerError`] it reports, and the blanket
//! implementation that makes a plain closure a handler.
//!
//! Handlers are shared by every worker thread (`Send + Sync`), so state lives behind
//! atomics or locks. Nothing here touches the network; the dispatcher calls these.

use std::fmt;

use super::Context;
use crate::http::{Request, Response};

/// A function failure: reported to Function Compute as `{"errorMessage", "errorType"}`.
#[derive(Clone, PartialEq, Eq)]
pub struct HandlerError {
    error_type: String,
    message: String,
    status: Option<u16>,
}

impl HandlerError {
    /// An error with an explicit type name (`errorType`) and message.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> HandlerError {
        HandlerError {
            error_type: error_type.into(),
            message: message.into(),
            status: None,
        }
    }

    /// The status an HTTP-trigger call answers with when this error ends it (an event
    /// invocation's failure is always FC's `404` + `x-fc-status: 404`; default 500).
    ///
    /// ```
    /// use fc_runtime::HandlerError;
    /// let e = HandlerError::new("Upstream", "the database is away").with_status(503);
    /// assert_eq!(e.status(), Some(503));
    /// ```
    pub fn with_status(mut self, status: u16) -> HandlerError {
        self.status = Some(status).filter(|s| (400..=599).contains(s));
        self
    }

    /// The status set by [`HandlerError::with_status`].
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// An error of type `Error` with `message`.
    pub fn msg(message: impl Into<String>) -> HandlerError {
        HandlerError::new("Error", message)
    }

    /// The `errorType`.
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// The `errorMessage`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `{"errorMessage":…,"errorType":…}`.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{\"errorMessage\":");
        crate::json::push_str(&mut s, &self.message);
        s.push_str(",\"errorType\":");
        crate::json::push_str(&mut s, &self.error_type);
        s.push('}');
        s
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

/// Any standard error converts, so `?` works in handlers; `errorType` is the error's type
/// name without its module path.
impl<E: std::error::Error> From<E> for HandlerError {
    fn from(e: E) -> HandlerError {
        let full = std::any::type_name::<E>();
        let base = full.split('<').next().unwrap_or(full);
        let short = base.rsplit("::").next().unwrap_or(base);
        HandlerError::new(short, e.to_string())
    }
}

/// A function. Only [`Handler::invoke`] is required.
pub trait Handler: Send + Sync + 'static {
    /// Event invocation (`POST /invoke`): the event bytes in, the result bytes out.
    fn invoke(&self, event: Vec<u8>, ctx: &Context) -> Result<Vec<u8>, HandlerError>;

    /// HTTP trigger passthrough. The default reads the body, calls [`Handler::invoke`] with
    /// it and answers `200` with the result, so an event function also works behind an HTTP
    /// trigger.
    fn http(&self, mut req: Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        let event = req.body.to_vec()?;
        Ok(Response::ok(self.invoke(event, ctx)?))
    }

    /// The initializer hook (`POST /initialize`), once per instance before traffic.
    fn initialize(&self, _ctx: &Context) -> Result<(), HandlerError> {
        Ok(())
    }

    /// The pre-freeze hook (`GET /pre-freeze`).
    fn pre_freeze(&self, _ctx: &Context) -> Result<(), HandlerError> {
        Ok(())
    }

    /// The pre-stop hook (`GET /pre-stop`).
    fn pre_stop(&self, _ctx: &Context) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// A closure `|event, ctx| -> Result<impl Into<Vec<u8>>, impl Into<HandlerError>>` is an
/// event handler.
impl<F, R, E> Handler for F
where
    F: Fn(Vec<u8>, &Context) -> Result<R, E> + Send + Sync + 'static,
    R: Into<Vec<u8>>,
    E: Into<HandlerError>,
{
    fn invoke(&self, event: Vec<u8>, ctx: &Context) -> Result<Vec<u8>, HandlerError> {
        self(event, ctx).map(Into::into).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_conversions() {
        let e: HandlerError = "x".parse::<u32>().unwrap_err().into();
        assert_eq!(e.error_type(), "ParseIntError");
        let io: HandlerError = std::io::Error::other("disk").into();
        assert_eq!((io.error_type(), io.message()), ("Error", "disk"));
        assert_eq!(
            HandlerError::new("T", "say \"hi\"\n").to_json(),
            r#"{"errorMessage":"say \"hi\"\n","errorType":"T"}"#
        );
    }

    #[test]
    fn closures_are_handlers() {
        let h = |e: Vec<u8>, _: &Context| -> Result<String, HandlerError> {
            Ok(format!("got {}", e.len()))
        };
        assert_eq!(
            h.invoke(b"abc".to_vec(), &Context::default()).unwrap(),
            b"got 3"
        );
        let mut body = &b"xy"[..];
        let req = Request {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            version: crate::http::Version::Http11,
            headers: Default::default(),
            body: crate::http::RequestBody::new(&mut body),
        };
        let resp = h.http(req, &Context::default()).unwrap();
        assert!(matches!(resp.body, crate::http::ResponseBody::Bytes(ref b) if b == b"got 2"));
        let failing =
            |_: Vec<u8>, _: &Context| -> Result<Vec<u8>, std::fmt::Error> { Err(std::fmt::Error) };
        assert_eq!(
            failing
                .invoke(vec![], &Context::default())
                .unwrap_err()
                .error_type(),
            "Error"
        );
        assert!(failing.initialize(&Context::default()).is_ok());
    }
}
