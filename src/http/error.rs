//! Every way a request can be refused at the HTTP layer, and the single function
//! ([`HttpError::status`]) that maps each to its status code.
//!
//! An `HttpError` always ends the connection after its answer: once framing is in doubt the
//! stream cannot be trusted. Handler failures are not here; the `fc` layer answers those.

use std::fmt;

/// A protocol-level refusal of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// Syntax httparse rejects, or a rule of ours on the head (what is wrong, never the input).
    Malformed(&'static str),
    /// The head (request line + fields) is larger than the configured limit.
    HeadTooLarge,
    /// More header fields than the configured limit.
    TooManyHeaders,
    /// The request-target is longer than the configured limit.
    TargetTooLong,
    /// An `HTTP/x.y` version other than 1.0 and 1.1.
    VersionNotSupported,
    /// The HTTP/2 connection preface (`PRI * HTTP/2.0`): a client speaking HTTP/2 with
    /// prior knowledge. Refused in HTTP/2's own terms (see the connection loop).
    Http2Preface,
    /// A method this server does not implement (`CONNECT`).
    MethodNotImplemented,
    /// `Content-Length` that is not `1*DIGIT`, or several that differ.
    BadContentLength,
    /// Both `Content-Length` and `Transfer-Encoding`.
    ConflictingFraming,
    /// A `Transfer-Encoding` list that does not end in a single `chunked`, or chunked in 1.0.
    BadTransferEncoding,
    /// A transfer coding other than `chunked`.
    UnsupportedTransferEncoding,
    /// Broken chunked framing (what is wrong).
    BadChunk(&'static str),
    /// The body is (or is declared) larger than the configured limit.
    BodyTooLarge,
    /// An `Expect` value other than `100-continue`.
    ExpectationFailed,
    /// The head did not arrive completely before its deadline.
    HeadTimeout,
    /// The body stalled longer than the inactivity timeout, or fell below the minimum rate.
    BodyTimeout,
    /// The body ended (connection closed) before its framed end.
    Truncated,
    /// No capacity for this request: every worker busy with a request in progress, or the
    /// shared request-body budget stayed spent for the whole wait. Retry later.
    Overloaded,
}

impl HttpError {
    /// The status code that answers this error. The one place these rules live.
    pub fn status(self) -> u16 {
        match self {
            HttpError::Malformed(_)
            | HttpError::BadContentLength
            | HttpError::ConflictingFraming
            | HttpError::BadTransferEncoding
            | HttpError::BadChunk(_)
            | HttpError::Truncated => 400,
            HttpError::HeadTimeout | HttpError::BodyTimeout => 408,
            HttpError::BodyTooLarge => 413,
            HttpError::TargetTooLong => 414,
            HttpError::ExpectationFailed => 417,
            HttpError::HeadTooLarge | HttpError::TooManyHeaders => 431,
            HttpError::MethodNotImplemented | HttpError::UnsupportedTransferEncoding => 501,
            HttpError::Overloaded => 503,
            HttpError::VersionNotSupported | HttpError::Http2Preface => 505,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            HttpError::Malformed(what) => what,
            HttpError::HeadTooLarge => "request head too large",
            HttpError::TooManyHeaders => "too many header fields",
            HttpError::TargetTooLong => "request-target too long",
            HttpError::VersionNotSupported => "HTTP version not supported",
            HttpError::Http2Preface => "HTTP/2 is not supported here: use HTTP/1.1",
            HttpError::MethodNotImplemented => "method not implemented",
            HttpError::BadContentLength => "invalid Content-Length",
            HttpError::ConflictingFraming => "Content-Length with Transfer-Encoding",
            HttpError::BadTransferEncoding => "invalid Transfer-Encoding",
            HttpError::UnsupportedTransferEncoding => "unsupported transfer coding",
            HttpError::BadChunk(what) => what,
            HttpError::BodyTooLarge => "request body too large",
            HttpError::ExpectationFailed => "unsupported expectation",
            HttpError::HeadTimeout => "request head not received in time",
            HttpError::BodyTimeout => "request body stalled or too slow",
            HttpError::Truncated => "request body truncated",
            HttpError::Overloaded => "server busy; retry later",
        };
        f.write_str(s)
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        let cases = [
            (HttpError::Malformed("x"), 400),
            (HttpError::BadContentLength, 400),
            (HttpError::ConflictingFraming, 400),
            (HttpError::BadTransferEncoding, 400),
            (HttpError::BadChunk("x"), 400),
            (HttpError::Truncated, 400),
            (HttpError::HeadTimeout, 408),
            (HttpError::BodyTimeout, 408),
            (HttpError::BodyTooLarge, 413),
            (HttpError::TargetTooLong, 414),
            (HttpError::ExpectationFailed, 417),
            (HttpError::HeadTooLarge, 431),
            (HttpError::TooManyHeaders, 431),
            (HttpError::MethodNotImplemented, 501),
            (HttpError::UnsupportedTransferEncoding, 501),
            (HttpError::Overloaded, 503),
            (HttpError::VersionNotSupported, 505),
            (HttpError::Http2Preface, 505),
        ];
        for (e, s) in cases {
            assert_eq!(e.status(), s, "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }
}
