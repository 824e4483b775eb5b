//! The syntax of chunked framing's own lines: the chunk-size line (RFC 9112 §7.1: hex size,
//! optional extensions) and trailer fields, plus the `tchar` class they share with response
//! header validation. Pure functions on one line without its CRLF; the decoder that reads
//! them is in `body.rs`.

use super::error::HttpError;

/// Parses `1*HEXDIG [ BWS ";" extensions ]` (the line without CRLF).
pub(super) fn chunk_size(line: &[u8]) -> Result<u64, HttpError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(HttpError::BadChunk("missing chunk size"));
    }
    if digits > 16 {
        return Err(HttpError::BodyTooLarge);
    }
    let size = line[..digits].iter().fold(0u64, |acc, &b| {
        let d = (b as char).to_digit(16).unwrap_or(0);
        (acc << 4) | u64::from(d)
    });
    let rest = &line[digits..];
    let ws = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let ext = &rest[ws..];
    let ctl = |&b: &u8| b != b'\t' && (b < 0x20 || b == 0x7f);
    if !ext.is_empty() && (ext[0] != b';' || ext.iter().any(ctl)) {
        return Err(HttpError::BadChunk("invalid chunk extension"));
    }
    Ok(size)
}

/// A trailer line must be `token ":" value` without control characters.
pub(super) fn valid_trailer(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && line[..colon].iter().all(|&b| is_tchar(b))
        && line[colon + 1..]
            .iter()
            .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// RFC 9110 token characters.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
