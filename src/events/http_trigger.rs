//! The HTTP trigger of an FC 3.0 *event* function: the request arrives as a JSON event and
//! the answer goes back as a JSON object (web functions get plain HTTP instead).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An HTTP request as an event. Bodies that are not text come base64-encoded
/// (`is_base64_encoded`); [`HttpTriggerEvent::body_bytes`] decodes either way.
///
/// ```
/// use fc_runtime::events::{HttpTriggerEvent, HttpTriggerResponse};
///
/// let e: HttpTriggerEvent = serde_json::from_str(
///     r#"{"version":"v1","rawPath":"/up","body":"aGk=","isBase64Encoded":true,
///         "headers":{"Content-Type":"text/plain"},"requestContext":{"http":{"method":"POST"}}}"#,
/// ).unwrap();
/// assert_eq!(e.body_bytes().unwrap(), b"hi");
/// assert_eq!(e.request_context.http.method, "POST");
/// let r = HttpTriggerResponse::binary(201, &[0xff, 0x00]).with_header("Content-Type", "application/octet-stream");
/// assert_eq!(serde_json::to_value(&r).unwrap()["body"], "/wA=");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpTriggerEvent {
    /// `v1`.
    pub version: String,
    /// The path as sent, not decoded.
    pub raw_path: String,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: String,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
    /// Header fields (repeated ones joined with `,`).
    pub headers: BTreeMap<String, String>,
    /// Query parameters (repeated ones joined with `,`).
    pub query_parameters: BTreeMap<String, String>,
    /// Where and how it came.
    pub request_context: HttpRequestContext,
}

impl HttpTriggerEvent {
    /// The body's bytes (`None` when it claims base64 but is not).
    pub fn body_bytes(&self) -> Option<Vec<u8>> {
        if self.is_base64_encoded {
            crate::base64::decode(&self.body)
        } else {
            Some(self.body.clone().into_bytes())
        }
    }
}

/// The context of an [`HttpTriggerEvent`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpRequestContext {
    /// The account.
    pub account_id: String,
    /// The domain it was sent to.
    pub domain_name: String,
    /// The domain's first label.
    pub domain_prefix: String,
    /// The request line and client.
    pub http: HttpRequestInfo,
    /// FC's request id.
    pub request_id: String,
    /// When it arrived (ISO 8601).
    pub time: String,
    /// When it arrived (Unix milliseconds, as a string).
    pub time_epoch: String,
}

/// The request line and client of an [`HttpTriggerEvent`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpRequestInfo {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// `HTTP/1.1`.
    pub protocol: String,
    /// The client's address.
    pub source_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
}

/// The answer of an FC 3.0 event function behind an HTTP trigger.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpTriggerResponse {
    /// The status.
    pub status_code: u16,
    /// Header fields.
    pub headers: BTreeMap<String, String>,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: String,
}

impl HttpTriggerResponse {
    /// A text answer.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        HttpTriggerResponse {
            status_code: status,
            body: body.into(),
            ..Self::default()
        }
    }

    /// A binary answer (the body base64-encoded).
    pub fn binary(status: u16, body: &[u8]) -> Self {
        HttpTriggerResponse {
            status_code: status,
            body: crate::base64::encode(body),
            is_base64_encoded: true,
            ..Self::default()
        }
    }

    /// With one more header field.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}
