//! The syntax of chunked framing's own lines (RFC 9112 §7.1): the chunk-size line — hex
//! size, then extensions `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`
//! — and trailer fields. Pure functions on one line without its CRLF; the decoder that
//! reads them is in `body.rs`. Extensions are checked, never interpreted.

use super::error::HttpError;
use super::syntax::is_tchar;

/// Parses `1*HEXDIG [ chunk-ext ]` (the line without CRLF).
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
    if !extensions(&line[digits..]) {
        return Err(HttpError::BadChunk("invalid chunk extension"));
    }
    Ok(size)
}

/// `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`, the whole rest.
fn extensions(mut rest: &[u8]) -> bool {
    loop {
        if rest.is_empty() {
            return true;
        }
        // BWS may only come before a `;`: trailing whitespace is refused.
        match skip_ws(rest) {
            [b';', tail @ ..] => rest = skip_ws(tail),
            _ => return false,
        }
        let name = token_len(rest);
        if name == 0 {
            return false; // `;` with no name after it
        }
        rest = &rest[name..];
        let after = skip_ws(rest);
        if let [b'=', tail @ ..] = after {
            let tail = skip_ws(tail);
            let value = match tail.first() {
                Some(b'"') => quoted_len(tail),
                _ => Some(token_len(tail)).filter(|&n| n > 0),
            };
            let Some(n) = value else {
                return false;
            };
            rest = &tail[n..];
        }
    }
}

fn skip_ws(v: &[u8]) -> &[u8] {
    let n = v.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &v[n..]
}

fn token_len(v: &[u8]) -> usize {
    v.iter().take_while(|&&b| is_tchar(b)).count()
}

/// Length of the quoted-string at the start of `v` (which starts with `"`), if it closes.
fn quoted_len(v: &[u8]) -> Option<usize> {
    let text = |b: u8| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80;
    let mut i = 1;
    while i < v.len() {
        match v[i] {
            b'"' => return Some(i + 1),
            b'\\' => {
                if !v.get(i + 1).is_some_and(|&b| text(b)) {
                    return None;
                }
                i += 2;
            }
            b if text(b) => i += 1,
            _ => return None,
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_line_table() {
        // (line without CRLF, size or status of the refusal)
        let cases: &[(&[u8], Result<u64, u16>)] = &[
            (b"5", Ok(5)),
            (b"a", Ok(10)),
            (b"5;ext", Ok(5)),
            (b"5;ext=1;x", Ok(5)),
            (b"5 ;ext", Ok(5)),
            (b"5 ; ext = val", Ok(5)),
            (b"5;e=\"quoted; \\\"x\\\" \"", Ok(5)),
            (b"5;a;b=c;d=\"\"", Ok(5)),
            (b"", Err(400)),
            (b";", Err(400)),
            (b"1;", Err(400)),
            (b"1; ", Err(400)),
            (b"1;;a", Err(400)),
            (b"1;=v", Err(400)),
            (b"1;a=", Err(400)),
            (b"1;a=\"open", Err(400)),
            (b"1;a=b c", Err(400)),
            (b"1;a@b", Err(400)),
            (b"5 ", Err(400)),
            (b"5;a ", Err(400)),
            (b"5 x", Err(400)),
            (b"5;\x01", Err(400)),
            (b"-5", Err(400)),
            (b"0x5", Err(400)),
            (b"10000000000000000", Err(413)),
        ];
        for &(line, want) in cases {
            let got = chunk_size(line).map_err(|e| e.status());
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(line));
        }
    }
}
