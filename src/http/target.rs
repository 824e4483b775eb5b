//! The request-target (RFC 9112 §3.2): which of its four forms it takes, what each allows
//! (asterisk-form only for `OPTIONS`, authority-form only for `CONNECT`, which is not
//! implemented), the bytes it may hold, and the authority of an absolute-form target; then
//! the path and query a handler sees. Pure functions of the target text.

use super::error::HttpError;
use super::syntax::{valid_host, valid_target};

/// Splits a request-target into (path, query) by its form (RFC 9112 §3.2).
pub(super) fn split_target(method: &str, target: &str) -> Result<(String, String), HttpError> {
    if method == "CONNECT" {
        return Err(HttpError::MethodNotImplemented);
    }
    if !valid_target(target.as_bytes()) {
        return Err(HttpError::Malformed(
            "request-target with bytes outside visible ASCII (percent-encode them) or a fragment",
        ));
    }
    let origin = if target.starts_with('/') {
        target
    } else if target == "*" {
        if method != "OPTIONS" {
            return Err(HttpError::Malformed("asterisk-form target outside OPTIONS"));
        }
        return Ok(("*".into(), String::new()));
    } else if let Some(rest) = strip_scheme(target) {
        // absolute-form: check the authority, then drop it, keeping path and query.
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        authority(&rest[..end])?;
        match rest.as_bytes().get(end) {
            Some(b'/') => &rest[end..],
            Some(_) => return Ok(("/".into(), rest[end + 1..].into())),
            None => "/",
        }
    } else {
        return Err(HttpError::Malformed("invalid request-target"));
    };
    Ok(match origin.split_once('?') {
        Some((p, q)) => (p.into(), q.into()),
        None => (origin.into(), String::new()),
    })
}

/// The authority of an absolute-form target: a non-empty `uri-host [ ":" port ]` without
/// userinfo (RFC 9110 §4.2.1: an empty host is invalid; §4.2.4: a recipient treats
/// userinfo as an error).
fn authority(a: &str) -> Result<(), HttpError> {
    if a.contains('@') {
        return Err(HttpError::Malformed("userinfo in the request-target"));
    }
    if a.is_empty() || a.starts_with(':') || !valid_host(a.as_bytes()) {
        return Err(HttpError::Malformed(
            "invalid authority in the request-target",
        ));
    }
    Ok(())
}

fn strip_scheme(target: &str) -> Option<&str> {
    for scheme in ["http://", "https://"] {
        // Compared as bytes: a target may hold UTF-8 (httparse passes bytes >= 0x80), and
        // slicing the str at a fixed length could split a character (found by fuzzing).
        let t = target.as_bytes();
        if t.len() > scheme.len() && t[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes()) {
            return Some(&target[scheme.len()..]);
        }
    }
    None
}
