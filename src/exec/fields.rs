//! Which header fields cross the proxy (RFC 9110 §7.6.1): hop-by-hop fields — `Connection`
//! and every field it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`,
//! `Transfer-Encoding`, `Upgrade` — belong to one connection and are not forwarded, except
//! `Upgrade` (and `Connection: upgrade`) on a request that switches protocols. Framing
//! (`Content-Length`) and `Expect` are each side's own; FC's request id is passed exactly
//! once. Answers lose what FC reserves (`x-fc-*` but `x-fc-status`, `Server`) quietly.
//!
//! Pure functions over [`Headers`].

use crate::http::Headers;

const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Each side's own framing and expectations.
const OWN: [&str; 2] = ["content-length", "expect"];

/// The tokens of every `Connection` field, trimmed.
fn connection_tokens(h: &Headers) -> Vec<&[u8]> {
    h.get_all("connection")
        .flat_map(|v| v.split(|&b| b == b','))
        .map(trim)
        .filter(|t| !t.is_empty())
        .collect()
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

fn is_any(name: &str, of: &[&str]) -> bool {
    of.iter().any(|f| name.eq_ignore_ascii_case(f))
}

/// True for a field that belongs to one hop: a fixed one, or one `Connection` names.
fn hop_by_hop(name: &str, named: &[&[u8]]) -> bool {
    is_any(name, &HOP_BY_HOP)
        || named
            .iter()
            .any(|t| t.eq_ignore_ascii_case(name.as_bytes()))
}

/// True for a request asking to switch protocols (`Upgrade` plus `Connection: upgrade`).
pub(super) fn wants_upgrade(h: &Headers) -> bool {
    h.contains("upgrade")
        && connection_tokens(h)
            .iter()
            .any(|t| t.eq_ignore_ascii_case(b"upgrade"))
}

/// The fields of a request as the app gets them: hop-by-hop and framing fields dropped
/// (`Upgrade` kept when `upgrade`), and one `x-fc-request-id`, `request_id`.
pub(super) fn to_app(h: &Headers, request_id: &str, upgrade: bool) -> Headers {
    let named = connection_tokens(h);
    // Room for every field kept and the two added, so nothing grows on the way.
    let (names, values) = h.byte_len();
    let mut out = Headers::with_capacity(h.len() + 2, names + 25, values + request_id.len() + 7);
    for (n, v) in h.iter() {
        let keep_upgrade = upgrade && n.eq_ignore_ascii_case("upgrade");
        if (hop_by_hop(n, &named) && !keep_upgrade)
            || is_any(n, &OWN)
            || n.eq_ignore_ascii_case("x-fc-request-id")
        {
            continue;
        }
        out.append(n, v);
    }
    out.append("x-fc-request-id", request_id);
    if upgrade {
        out.append("Connection", "upgrade");
    }
    out
}

/// The fields of the app's answer as the client gets them: hop-by-hop fields, framing and
/// `Date` (the server's own) dropped (`Upgrade` kept on a 101; the server adds
/// `Connection: upgrade`), and FC's reserved ones (`x-fc-*` but `x-fc-status`, `Server`)
/// dropped without a warning.
pub(super) fn from_app(h: &Headers, switching: bool) -> Headers {
    let named = connection_tokens(h);
    let (names, values) = h.byte_len();
    let mut out = Headers::with_capacity(h.len(), names, values);
    for (n, v) in h.iter() {
        let keep_upgrade = switching && n.eq_ignore_ascii_case("upgrade");
        let fc = n.len() >= 5 && n.as_bytes()[..5].eq_ignore_ascii_case(b"x-fc-");
        let reserved =
            (fc && !n.eq_ignore_ascii_case("x-fc-status")) || n.eq_ignore_ascii_case("server");
        let own = is_any(n, &["content-length", "date"]);
        if (hop_by_hop(n, &named) && !keep_upgrade) || reserved || own {
            continue;
        }
        out.append(n, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        pairs.iter().copied().collect()
    }

    fn names(h: &Headers) -> Vec<String> {
        h.iter()
            .map(|(n, v)| format!("{n}={}", String::from_utf8_lossy(v)))
            .collect()
    }

    #[test]
    fn request_fields_table() {
        let req = h(&[
            ("Host", "fn.example"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "1"),
            ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"),
            ("Transfer-Encoding", "chunked"),
            ("Content-Length", "3"),
            ("Expect", "100-continue"),
            ("x-fc-request-id", "spoofed"),
            ("X-Fc-Request-Id", "again"),
            ("x-fc-function-name", "f"),
            ("Accept", "*/*"),
        ]);
        assert_eq!(
            names(&to_app(&req, "rid", false)),
            [
                "Host=fn.example",
                "x-fc-function-name=f",
                "Accept=*/*",
                "x-fc-request-id=rid"
            ]
        );
        let ws = h(&[
            ("Host", "h"),
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Key", "k"),
        ]);
        assert!(wants_upgrade(&ws));
        assert!(!wants_upgrade(&h(&[("Upgrade", "websocket")])));
        assert_eq!(
            names(&to_app(&ws, "rid", true)),
            [
                "Host=h",
                "Upgrade=websocket",
                "Sec-WebSocket-Key=k",
                "x-fc-request-id=rid",
                "Connection=upgrade"
            ]
        );
    }

    #[test]
    fn answer_fields_table() {
        let ans = h(&[
            ("Content-Type", "text/plain"),
            ("Content-Length", "5"),
            ("Date", "Sun, 29 Nov 2026 06:35:51 GMT"),
            ("Connection", "close"),
            ("Server", "Werkzeug/3"),
            ("X-Fc-Status", "404"),
            ("x-fc-request-id", "r"),
            ("Set-Cookie", "a=1"),
            ("Upgrade", "websocket"),
        ]);
        assert_eq!(
            names(&from_app(&ans, false)),
            [
                "Content-Type=text/plain",
                "X-Fc-Status=404",
                "Set-Cookie=a=1"
            ]
        );
        assert_eq!(
            names(&from_app(&ans, true)),
            [
                "Content-Type=text/plain",
                "X-Fc-Status=404",
                "Set-Cookie=a=1",
                "Upgrade=websocket"
            ]
        );
    }
}
