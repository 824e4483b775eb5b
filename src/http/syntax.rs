//! The character classes and small grammars that several parts of the HTTP layer share:
//! `tchar` (RFC 9110 §5.6.2), optional whitespace, the bytes a request-target may hold
//! (RFC 9112 §3.2), `uri-host [ ":" port ]` (RFC 3986 §3.2.2, for `Host` and the
//! absolute-form authority), and which header fields hold credentials (so `Debug` output
//! never shows them).
//!
//! Pure functions over byte slices; nothing here reads, allocates or knows a platform.

/// RFC 9110 token characters.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Trims optional whitespace (SP / HTAB) at both ends.
pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// A request-target holds visible ASCII only (`VCHAR`, 0x21–0x7E), and no fragment: other
/// bytes travel percent-encoded (RFC 9112 §3.2, RFC 3986 §2.1), and a client never sends
/// `#` (RFC 9110 §4.2.4 has no fragment in any request form).
///
/// Deliberately not refused: visible characters outside RFC 3986's `pchar` such as `|`,
/// `{`, `}`, `^` and a `%` not followed by two hex digits. Browsers send them unencoded
/// (the WHATWG URL standard leaves them out of its percent-encode sets), so an HTTP
/// trigger in front of a web page receives them, and they cannot break framing.
pub(crate) fn valid_target(target: &[u8]) -> bool {
    target
        .iter()
        .all(|&b| (0x21..=0x7e).contains(&b) && b != b'#')
}

/// `uri-host [ ":" port ]` (RFC 9112 §3.2: a `Host` field with any other value gets 400).
/// An empty value is valid (RFC 9110 §7.2: the target had no authority).
pub(crate) fn valid_host(v: &[u8]) -> bool {
    let (host, port) = if let Some(rest) = v.strip_prefix(b"[") {
        // IP-literal: "[" ( IPv6address / IPvFuture ) "]"
        let Some(close) = rest.iter().position(|&b| b == b']') else {
            return false;
        };
        if !ip_literal(&rest[..close]) {
            return false;
        }
        match &rest[close + 1..] {
            [] => return true,
            [b':', port @ ..] => (&[][..], port),
            _ => return false,
        }
    } else {
        match v.iter().position(|&b| b == b':') {
            Some(i) => (&v[..i], &v[i + 1..]),
            None => (v, &[][..]),
        }
    };
    reg_name(host) && port.iter().all(u8::is_ascii_digit)
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )`; also covers IPv4address.
fn reg_name(v: &[u8]) -> bool {
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'%' => {
                let hex = |j: usize| v.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            b if unreserved(b) || sub_delim(b) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// The inside of `[...]`: an IPv6 address, or `v` 1*HEXDIG "." 1*( unreserved / sub-delims
/// / ":" ).
fn ip_literal(v: &[u8]) -> bool {
    if let [b'v' | b'V', rest @ ..] = v {
        let hex = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        return match &rest[hex..] {
            [b'.', tail @ ..] if hex > 0 && !tail.is_empty() => tail
                .iter()
                .all(|&b| unreserved(b) || sub_delim(b) || b == b':'),
            _ => false,
        };
    }
    std::str::from_utf8(v).is_ok_and(|s| s.parse::<std::net::Ipv6Addr>().is_ok())
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// Header fields whose values are credentials by their name: HTTP's own (`Authorization`,
/// `Proxy-Authorization`, `Cookie`, `Set-Cookie`) and any name that says key, secret, token
/// or password (`X-Api-Key`, a platform's `...-access-key-secret`, `...-security-token`).
/// `Debug` output shows `***` for them. A rule, not a list, so no platform's names need to
/// be known here.
pub(crate) fn is_sensitive_field(name: &str) -> bool {
    const EXACT: [&str; 4] = [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ];
    const WORDS: [&str; 6] = [
        "secret",
        "token",
        "password",
        "passwd",
        "api-key",
        "access-key",
    ];
    if EXACT.iter().any(|e| name.eq_ignore_ascii_case(e)) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_table() {
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("a", true),
            ("example.com", true),
            ("example.com:8080", true),
            ("example.com:", true),
            ("127.0.0.1:9000", true),
            ("xn--bcher-kva.example", true),
            ("a%2Fb", true),
            ("[::1]", true),
            ("[::1]:80", true),
            ("[2001:db8::7]", true),
            ("[v1.fe80::a+en1]", true),
            ("bad host", false),
            ("a b:80", false),
            ("a:b", false),
            ("a:80:90", false),
            ("a:-1", false),
            ("a/b", false),
            ("a@b", false),
            ("a%2", false),
            ("a%zz", false),
            ("[::1", false),
            ("[::1]x", false),
            ("[nothex]", false),
            ("[v.x]", false),
            ("[v1.]", false),
            ("ünï.example", false),
            ("a\tb", false),
        ];
        for &(v, ok) in cases {
            assert_eq!(valid_host(v.as_bytes()), ok, "{v:?}");
        }
    }

    #[test]
    fn target_table() {
        let cases: &[(&[u8], bool)] = &[
            (b"/", true),
            (b"/a/b?c=d&e", true),
            (b"/%C3%A9", true),
            (b"/a|b?x={1}^", true),
            (b"/100%", true),
            (b"*", true),
            (b"/\xc3\xa9", false),
            (b"/a\x7f", false),
            (b"/a#frag", false),
            (b"/a\x01", false),
        ];
        for &(t, ok) in cases {
            assert_eq!(valid_target(t), ok, "{:?}", String::from_utf8_lossy(t));
        }
    }

    #[test]
    fn sensitive_fields_table() {
        let cases = [
            ("Authorization", true),
            ("cookie", true),
            ("X-Api-Key", true),
            ("x-fc-access-key-id", true),
            ("X-Fc-Access-Key-Secret", true),
            ("x-fc-security-token", true),
            ("x-fc-request-id", false),
            ("Content-Type", false),
        ];
        for (n, s) in cases {
            assert_eq!(is_sensitive_field(n), s, "{n}");
        }
    }

    #[test]
    fn ows_and_tchar() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert!(is_tchar(b'!') && !is_tchar(b' ') && !is_tchar(b':'));
    }
}
