//! [`refuse`]: the one answer to a request refused at the HTTP layer — its status (from
//! [`HttpError::status`]), a one-line text body, `Retry-After` on a 503, and the close —
//! used by the connection loop for every protocol error and by the server for its busy
//! 503. An HTTP/2 client gets HTTP/2's own refusal instead.

use std::io::Write;

use super::error::HttpError;
use super::message::{Response, Version};
use super::response::{reason, write_all_vectored, write_response, Exchange};

/// The answer to an HTTP/2 connection preface, in HTTP/2's own terms (RFC 9113): the
/// server preface (an empty SETTINGS frame), then GOAWAY with last stream 0 and error
/// `HTTP_1_1_REQUIRED` (0xd). HTTP/2 clients report that error (curl 7.88:
/// `received GOAWAY, error=13`); an HTTP/1.1 answer would be garbage to them.
pub(super) const H2_REFUSAL: [u8; 26] = [
    0, 0, 0, 4, 0, 0, 0, 0, 0, // SETTINGS, length 0, stream 0
    0, 0, 8, 7, 0, 0, 0, 0, 0, // GOAWAY, length 8, stream 0
    0, 0, 0, 0, // last stream id 0
    0, 0, 0, 0x0d, // HTTP_1_1_REQUIRED
];

/// Answers a protocol error with its status and a fixed text, and closes. Every refusal,
/// including the server's "busy" 503, is this one answer.
pub(crate) fn refuse<W: Write>(out: &mut W, e: HttpError) -> std::io::Result<()> {
    let written = if e == HttpError::Http2Preface {
        write_all_vectored(out, &mut [std::io::IoSlice::new(&H2_REFUSAL)])
    } else {
        let status = e.status();
        let mut resp = Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(format!("{status} {}: {e}\n", reason(status)));
        if status == 503 {
            resp = resp.with_header("Retry-After", "1");
        }
        let ex = Exchange {
            version: Version::Http11,
            head_only: false,
            keep_alive: false,
            upgrade: false,
        };
        write_response(out, resp, ex).map(|_| ())
    };
    written
}
