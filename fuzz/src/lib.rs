//! What the fuzz targets share: small limits that make every bound reachable, a transport
//! that cuts its input at chosen points, and oracles — independent, whole-buffer statements
//! of the strict HTTP/1.1 rules (RFC 9112 plus fc-runtime's documented choices) that the
//! streaming implementation is checked against.
//!
//! The oracles are written from the RFC, not from the implementation: they parse the raw
//! bytes in one pass with no buffering, limits or timeouts. They deliberately do not model
//! httparse's accepted byte ranges for targets and values beyond "no controls", so the
//! "strict accepts ⇒ fc-runtime accepts" direction is only asserted on plain inputs.

use std::io::{self, Read};
use std::time::Duration;

use fc_runtime::fuzzing::{Framing, Limits, Transport};

/// Limits small enough for a fuzzer to cross every one of them.
pub fn limits() -> Limits {
    Limits {
        max_head: 2048,
        max_target: 256,
        max_headers: 16,
        max_body: 4096,
        drain_max: 64,
        ..Limits::default()
    }
}

/// A transport that yields `data` in pieces ending at `cuts` (ascending or not).
pub struct Split<'a> {
    data: &'a [u8],
    pos: usize,
    cuts: Vec<usize>,
}

impl<'a> Split<'a> {
    /// `data` cut at `cuts`; no cuts: everything in one read (as far as the buffer takes).
    pub fn new(data: &'a [u8], mut cuts: Vec<usize>) -> Split<'a> {
        cuts.sort_unstable();
        Split { data, pos: 0, cuts }
    }

    /// Bytes never read from this transport.
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }
}

impl Read for Split<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let next = self
            .cuts
            .iter()
            .copied()
            .find(|&c| c > self.pos)
            .unwrap_or(self.data.len())
            .min(self.data.len());
        let n = (next - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Transport for Split<'_> {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

/// Turns fuzz bytes into cut points: each byte is a piece length (0 → 1).
pub fn cuts_from(bytes: &[u8], len: usize) -> Vec<usize> {
    let mut at = 0;
    let mut cuts = Vec::new();
    for &b in bytes {
        at += usize::from(b.max(1));
        if at >= len {
            break;
        }
        cuts.push(at);
    }
    cuts
}

/// RFC 9110 `tchar`.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A field-value byte: visible, space, tab or obs-text; never another control.
pub fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

fn trim_ows(v: &[u8]) -> &[u8] {
    let s = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(s, |i| i + 1);
    &v[s..e]
}

/// What the strict rules decide for a request whose head was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Body framing.
    pub framing: Framing,
    /// Persistence after this exchange.
    pub keep_alive: bool,
}

/// Checks a parsed request against the strict rules: method token (not CONNECT), version,
/// field names and values, Host, Content-Length / Transfer-Encoding, Expect. `Err` names
/// the broken rule. Independent of how fc-runtime reached its view of the request.
pub fn strict_request<'a>(
    method: &str,
    http11: bool,
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Result<Verdict, &'static str> {
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err("method is not a token");
    }
    if method == "CONNECT" {
        return Err("CONNECT");
    }
    let mut lengths: Vec<&[u8]> = Vec::new();
    let mut codings: Vec<Vec<u8>> = Vec::new();
    let mut te = false;
    let (mut hosts, mut close, mut ka) = (0, false, false);
    for (name, value) in headers {
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err("field name is not a token");
        }
        if !value.iter().all(|&b| is_value_byte(b)) {
            return Err("control byte in a field value");
        }
        let v = trim_ows(value);
        match name.to_ascii_lowercase().as_str() {
            "content-length" => lengths.push(v),
            "transfer-encoding" => {
                te = true;
                for c in v.split(|&b| b == b',') {
                    let c = trim_ows(c);
                    let c = c.split(|&b| b == b';').next().unwrap_or(b"");
                    codings.push(trim_ows(c).to_ascii_lowercase());
                }
            }
            "host" => {
                hosts += 1;
                if !host_value(v) {
                    return Err("Host is not uri-host [ \":\" port ]");
                }
            }
            "expect" if !v.eq_ignore_ascii_case(b"100-continue") => {
                return Err("unsupported Expect")
            }
            "connection" => {
                for t in v.split(|&b| b == b',') {
                    close |= trim_ows(t).eq_ignore_ascii_case(b"close");
                    ka |= trim_ows(t).eq_ignore_ascii_case(b"keep-alive");
                }
            }
            _ => {}
        }
    }
    if hosts > 1 || (http11 && hosts == 0) {
        return Err("Host missing or repeated");
    }
    let framing = if te {
        if !lengths.is_empty() {
            return Err("Content-Length with Transfer-Encoding");
        }
        if !http11 || codings != [b"chunked".to_vec()] {
            return Err("Transfer-Encoding other than a single chunked in HTTP/1.1");
        }
        Framing::Chunked
    } else if !lengths.is_empty() {
        // Several equal values are one value (RFC 9110 §8.6 allows either answer; fc-runtime
        // compares them as numbers, so `0` and `00` agree).
        let mut values = lengths.iter().map(|v| {
            if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
                return Err("Content-Length not 1*DIGIT");
            }
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or("Content-Length overflows")
        });
        let n = values.next().unwrap()?;
        for v in values {
            if v? != n {
                return Err("Content-Length values differ");
            }
        }
        match n {
            0 => Framing::None,
            n => Framing::Length(n),
        }
    } else {
        Framing::None
    };
    let keep_alive = if http11 { !close } else { ka && !close };
    Ok(Verdict {
        framing,
        keep_alive,
    })
}

/// RFC 3986 `uri-host [ ":" port ]`, written as a scan over the grammar's alternatives.
fn host_value(v: &[u8]) -> bool {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let sub_delim = |b: u8| b"!$&'()*+,;=".contains(&b);
    let port_ok = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
    if v.first() == Some(&b'[') {
        let Some(close) = v.iter().position(|&b| b == b']') else {
            return false;
        };
        let inner = &v[1..close];
        let literal_ok = match inner.first() {
            Some(b'v') | Some(b'V') => match inner.iter().position(|&b| b == b'.') {
                Some(dot) => {
                    dot > 1
                        && inner[1..dot].iter().all(u8::is_ascii_hexdigit)
                        && dot + 1 < inner.len()
                        && inner[dot + 1..]
                            .iter()
                            .all(|&b| unreserved(b) || sub_delim(b) || b == b':')
                }
                None => false,
            },
            _ => std::str::from_utf8(inner)
                .map(|s| s.parse::<std::net::Ipv6Addr>().is_ok())
                .unwrap_or(false),
        };
        let rest = &v[close + 1..];
        return literal_ok && (rest.is_empty() || (rest[0] == b':' && port_ok(&rest[1..])));
    }
    let (host, port): (&[u8], &[u8]) = match v.iter().position(|&b| b == b':') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, b""),
    };
    let mut i = 0;
    while i < host.len() {
        let b = host[i];
        if b == b'%' {
            if host.len() < i + 3 || !host[i + 1].is_ascii_hexdigit() || !host[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
        } else if unreserved(b) || sub_delim(b) {
            i += 1;
        } else {
            return false;
        }
    }
    port_ok(port)
}

/// A request-target as the handler sees it (path and query): visible ASCII only, no `#`.
pub fn strict_target(path: &str, query: &str) -> Result<(), &'static str> {
    let ok = |s: &str| s.bytes().all(|b| b > 0x20 && b < 0x7f && b != b'#');
    if ok(path) && ok(query) {
        Ok(())
    } else {
        Err("request-target byte outside VCHAR, or a fragment")
    }
}

/// RFC 9112 §7.1.1 `chunk-ext` after the size digits, as a state machine:
/// `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`.
fn chunk_ext(ext: &[u8]) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        /// Before `;` (whitespace allowed only if a `;` follows).
        Gap,
        /// After `;`, before the name.
        Semi,
        Name,
        /// After a name, before `=`, `;` or the end.
        AfterName,
        /// After `=`, before the value.
        Eq,
        Token,
        Quoted,
        Escape,
        /// After a value.
        AfterValue,
    }
    let ws = |b: u8| b == b' ' || b == b'\t';
    let qd = |b: u8| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80;
    let mut s = S::Gap;
    let mut trailing_ws = false;
    for &b in ext {
        s = match (s, b) {
            (S::Gap | S::AfterName | S::AfterValue, b';') => S::Semi,
            (S::Gap | S::AfterName | S::AfterValue, b) if ws(b) => s,
            (S::Semi, b) if ws(b) => S::Semi,
            (S::Semi | S::Name, b) if is_tchar(b) => S::Name,
            (S::Name, b) if ws(b) => S::AfterName,
            (S::Name | S::AfterName, b'=') => S::Eq,
            (S::Name, b';') => S::Semi,
            (S::Eq, b) if ws(b) => S::Eq,
            (S::Eq, b'"') => S::Quoted,
            (S::Eq | S::Token, b) if is_tchar(b) => S::Token,
            (S::Token, b';') => S::Semi,
            (S::Token, b) if ws(b) => S::AfterValue,
            (S::Quoted, b'"') => S::AfterValue,
            (S::Quoted, b'\\') => S::Escape,
            (S::Quoted, b) if qd(b) => S::Quoted,
            (S::Escape, b) if qd(b) => S::Quoted,
            _ => return false,
        };
        trailing_ws = ws(b) && matches!(s, S::Gap | S::AfterName | S::AfterValue);
    }
    matches!(s, S::Gap | S::Name | S::AfterName | S::Token | S::AfterValue) && !trailing_ws
}

/// How the reference chunked decoder ends.
#[derive(Debug, PartialEq, Eq)]
pub enum ChunkedRef {
    /// The whole body: decoded bytes and how many input bytes it spans.
    Done(Vec<u8>, usize),
    /// Input ended first (400: truncated).
    Truncated,
    /// Broken framing (400).
    Invalid,
    /// More than `limit` decoded bytes, or a size of more than 16 hex digits (413).
    TooLarge,
}

/// Longest chunk-size line, CRLF included; most trailer bytes (fc-runtime's choices).
pub const MAX_CHUNK_LINE: usize = 2048;
/// Most trailer-section bytes.
pub const MAX_TRAILERS: usize = 8 * 1024;

/// Whole-buffer chunked decoding per RFC 9112 §7.1 with fc-runtime's bounds.
pub fn chunked_ref(input: &[u8], limit: u64) -> ChunkedRef {
    let mut at = 0;
    let mut out = Vec::new();
    // A CRLF-terminated line from `at` of at most `max` bytes.
    let line = |at: usize, max: usize| -> Result<&[u8], ChunkedRef> {
        let rest = &input[at..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i + 1 > max => Err(ChunkedRef::Invalid),
            Some(0) => Err(ChunkedRef::Invalid),
            Some(i) if rest[i - 1] != b'\r' => Err(ChunkedRef::Invalid),
            Some(i) => Ok(&rest[..i + 1]),
            None if rest.len() >= max => Err(ChunkedRef::Invalid),
            None => Err(ChunkedRef::Truncated),
        }
    };
    loop {
        let l = match line(at, MAX_CHUNK_LINE) {
            Ok(l) => l,
            Err(e) => return e,
        };
        let text = &l[..l.len() - 2];
        let digits = text.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 {
            return ChunkedRef::Invalid;
        }
        if digits > 16 {
            return ChunkedRef::TooLarge;
        }
        let size = u64::from_str_radix(std::str::from_utf8(&text[..digits]).unwrap(), 16).unwrap();
        if !chunk_ext(&text[digits..]) {
            return ChunkedRef::Invalid;
        }
        at += l.len();
        if size > limit - out.len() as u64 {
            return ChunkedRef::TooLarge;
        }
        if size == 0 {
            break;
        }
        let size = size as usize;
        if input.len() - at < size {
            return ChunkedRef::Truncated;
        }
        out.extend_from_slice(&input[at..at + size]);
        at += size;
        match input.get(at..at + 2) {
            Some(b"\r\n") => at += 2,
            Some(_) => return ChunkedRef::Invalid,
            None => return ChunkedRef::Truncated,
        }
    }
    let mut seen = 0;
    loop {
        let l = match line(at, MAX_TRAILERS - seen) {
            Ok(l) => l,
            Err(e) => return e,
        };
        let field = &l[..l.len() - 2];
        at += l.len();
        if field.is_empty() {
            return ChunkedRef::Done(out, at);
        }
        let ok = match field.iter().position(|&b| b == b':') {
            Some(c) => {
                c > 0
                    && field[..c].iter().all(|&b| is_tchar(b))
                    && field[c + 1..].iter().all(|&b| is_value_byte(b))
            }
            None => false,
        };
        if !ok {
            return ChunkedRef::Invalid;
        }
        seen += l.len();
    }
}
