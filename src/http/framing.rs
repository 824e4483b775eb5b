//! Header-field rules for body framing and connection handling (RFC 9112 §6, §9):
//! `Content-Length` (1*DIGIT, duplicates must agree), `Transfer-Encoding` (a single final
//! `chunked`, no `Content-Length` beside it, not in 1.0), `Connection`, `Expect`, `Host`.
//!
//! Fed one field at a time by the head parser; decides, never reads.

use super::error::HttpError;
use super::head::trim_ows;
use super::message::Version;
use super::Limits;

/// How the body of a request is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the framing-relevant header fields said, accumulated over all fields.
#[derive(Default)]
pub(super) struct Fields {
    content_length: Option<u64>,
    content_length_overflow: bool,
    /// Transfer codings, in order, lowercased, across every `Transfer-Encoding` field.
    codings: Vec<String>,
    te_seen: bool,
    close: bool,
    keep_alive: bool,
    pub(super) expect_continue: bool,
    hosts: usize,
}

impl Fields {
    pub(super) fn note(&mut self, name: &str, value: &[u8]) -> Result<(), HttpError> {
        let value = trim_ows(value);
        if name.eq_ignore_ascii_case("content-length") {
            self.content_length(value)?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.te_seen = true;
            for c in value.split(|&b| b == b',') {
                let c = trim_ows(c);
                // Parameters (`;q=`) are not allowed on codings we accept; keep the name.
                let name = c.split(|&b| b == b';').next().unwrap_or(b"");
                self.codings
                    .push(String::from_utf8_lossy(trim_ows(name)).to_ascii_lowercase());
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for t in value.split(|&b| b == b',') {
                let t = trim_ows(t);
                self.close |= t.eq_ignore_ascii_case(b"close");
                self.keep_alive |= t.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("expect") {
            if value.eq_ignore_ascii_case(b"100-continue") {
                self.expect_continue = true;
            } else {
                return Err(HttpError::ExpectationFailed);
            }
        } else if name.eq_ignore_ascii_case("host") {
            self.hosts += 1;
        }
        Ok(())
    }

    /// Whether the connection may persist after this exchange.
    pub(super) fn keep_alive(&self, version: Version) -> bool {
        match version {
            Version::Http11 => !self.close,
            Version::Http10 => self.keep_alive && !self.close,
        }
    }

    /// RFC 9112 §3.2: exactly one `Host` in HTTP/1.1, at most one in 1.0.
    pub(super) fn check_host(&self, version: Version) -> Result<(), HttpError> {
        if version == Version::Http11 && self.hosts != 1 || self.hosts > 1 {
            return Err(HttpError::Malformed("missing or repeated Host"));
        }
        Ok(())
    }

    fn content_length(&mut self, value: &[u8]) -> Result<(), HttpError> {
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(HttpError::BadContentLength);
        }
        let n = value.iter().try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        });
        match (n, self.content_length) {
            (None, _) => self.content_length_overflow = true,
            (Some(n), Some(prev)) if n != prev => return Err(HttpError::BadContentLength),
            (Some(n), _) => self.content_length = Some(n),
        }
        Ok(())
    }

    pub(super) fn framing(&self, version: Version, limits: &Limits) -> Result<Framing, HttpError> {
        if self.te_seen {
            if self.content_length.is_some() || self.content_length_overflow {
                return Err(HttpError::ConflictingFraming);
            }
            if version == Version::Http10 {
                return Err(HttpError::BadTransferEncoding);
            }
            const KNOWN: [&str; 7] = [
                "chunked",
                "gzip",
                "x-gzip",
                "deflate",
                "compress",
                "x-compress",
                "identity",
            ];
            if self.codings.iter().any(String::is_empty) {
                return Err(HttpError::BadTransferEncoding);
            }
            if self.codings.iter().any(|c| !KNOWN.contains(&c.as_str())) {
                return Err(HttpError::UnsupportedTransferEncoding);
            }
            let chunked = self.codings.iter().filter(|c| *c == "chunked").count();
            if self.codings.last().map(String::as_str) != Some("chunked") || chunked != 1 {
                return Err(HttpError::BadTransferEncoding);
            }
            if self.codings.len() != 1 {
                return Err(HttpError::UnsupportedTransferEncoding);
            }
            return Ok(Framing::Chunked);
        }
        if self.content_length_overflow {
            return Err(HttpError::BodyTooLarge);
        }
        match self.content_length {
            Some(n) if n > limits.max_body => Err(HttpError::BodyTooLarge),
            Some(0) | None => Ok(Framing::None),
            Some(n) => Ok(Framing::Length(n)),
        }
    }
}
