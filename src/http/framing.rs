//! How a message body is delimited ([`Framing`]), and the header-field rules that decide
//! it (RFC 9112 §6): `Content-Length` (1*DIGIT, duplicates must agree), `Transfer-Encoding`
//! (a single final `chunked`, no `Content-Length` beside it in a request, not in 1.0) and
//! `Connection`, for requests (what the server accepts) and for responses (what the client
//! reads, §6.3).
//!
//! Fed one field at a time by the head parsers; decides, never reads.

use super::error::HttpError;
use super::message::Version;
use super::syntax::trim_ows;
use super::Limits;

/// How a message body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the connection closes (a response without length or chunking; never a
    /// request).
    CloseDelimited,
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
    /// `Connection: upgrade`.
    pub(super) upgrade: bool,
}

/// Transfer codings we recognise (only `chunked` is decoded).
const KNOWN: [&str; 7] = [
    "chunked",
    "gzip",
    "x-gzip",
    "deflate",
    "compress",
    "x-compress",
    "identity",
];

impl Fields {
    /// Notes one field; errors only on an invalid `Content-Length`.
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
                self.upgrade |= t.eq_ignore_ascii_case(b"upgrade");
            }
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

    /// A request's body framing (RFC 9112 §6.1–6.3), refusing what is ambiguous.
    pub(super) fn request(&self, version: Version, limits: &Limits) -> Result<Framing, HttpError> {
        if self.te_seen {
            if self.content_length.is_some() || self.content_length_overflow {
                return Err(HttpError::ConflictingFraming);
            }
            if version == Version::Http10 {
                return Err(HttpError::BadTransferEncoding);
            }
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

    /// A response's body framing (RFC 9112 §6.3): no body after HEAD and for 1xx, 204 and
    /// 304; `chunked` when it is the final coding, else until close; then
    /// `Content-Length`; else until close. `Ok((framing, must_close))`: a response that
    /// carried both `Transfer-Encoding` and `Content-Length` must not be followed by another
    /// on the same connection.
    pub(super) fn response(
        &self,
        status: u16,
        head_request: bool,
    ) -> Result<(Framing, bool), HttpError> {
        if head_request || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok((Framing::None, false));
        }
        if self.te_seen {
            let both = self.content_length.is_some() || self.content_length_overflow;
            return Ok(match self.codings.last().map(String::as_str) {
                Some("chunked") => (Framing::Chunked, both),
                _ => (Framing::CloseDelimited, true),
            });
        }
        if self.content_length_overflow {
            return Err(HttpError::BodyTooLarge);
        }
        Ok(match self.content_length {
            Some(n) => (Framing::Length(n), false),
            None => (Framing::CloseDelimited, true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_framing_table() {
        // (status, HEAD?, fields, framing, must close) | Err
        type Case = (
            u16,
            bool,
            &'static [(&'static str, &'static str)],
            Result<(Framing, bool), ()>,
        );
        let cases: &[Case] = &[
            (
                200,
                false,
                &[("Content-Length", "5")],
                Ok((Framing::Length(5), false)),
            ),
            (
                200,
                true,
                &[("Content-Length", "5")],
                Ok((Framing::None, false)),
            ),
            (204, false, &[], Ok((Framing::None, false))),
            (
                304,
                false,
                &[("Content-Length", "9")],
                Ok((Framing::None, false)),
            ),
            (101, false, &[], Ok((Framing::None, false))),
            (
                200,
                false,
                &[("Transfer-Encoding", "chunked")],
                Ok((Framing::Chunked, false)),
            ),
            (
                200,
                false,
                &[("Transfer-Encoding", "gzip, chunked")],
                Ok((Framing::Chunked, false)),
            ),
            (
                200,
                false,
                &[("Transfer-Encoding", "gzip")],
                Ok((Framing::CloseDelimited, true)),
            ),
            (
                200,
                false,
                &[("Transfer-Encoding", "chunked"), ("Content-Length", "3")],
                Ok((Framing::Chunked, true)),
            ),
            (200, false, &[], Ok((Framing::CloseDelimited, true))),
            (
                200,
                false,
                &[("Content-Length", "5"), ("content-length", "5")],
                Ok((Framing::Length(5), false)),
            ),
            (
                200,
                false,
                &[("Content-Length", "5"), ("content-length", "6")],
                Err(()),
            ),
            (200, false, &[("Content-Length", "-1")], Err(())),
            (200, false, &[("Content-Length", "+5")], Err(())),
        ];
        for (i, &(status, head, fields, want)) in cases.iter().enumerate() {
            let mut f = Fields::default();
            let got = fields
                .iter()
                .try_for_each(|(n, v)| f.note(n, v.as_bytes()))
                .and_then(|()| f.response(status, head))
                .map_err(|_| ());
            assert_eq!(got, want, "case {i}");
        }
    }
}
