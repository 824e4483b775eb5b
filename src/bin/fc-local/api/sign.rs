//! `--verify-signature AK:SK`: the two request signatures of FC's API, checked the way FC
//! checks them, so a clock or path-encoding mistake shows up here and not after a deploy.
//!
//! - FC 2.0 (`Authorization: FC <ak>:<base64 HMAC-SHA256>`): method, `Content-MD5`,
//!   `Content-Type`, `Date`, the `x-fc-*` fields sorted, and the unescaped path (with the
//!   sorted query parameters, when there are any).
//! - FC 3.0 (`ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`): the canonical
//!   request of Alibaba Cloud's V3 signature — method, path as sent, sorted and re-encoded
//!   query, the signed fields, and `x-acs-content-sha256`, which must be the body's hash.
//!
//! Both allow 15 minutes of clock skew. A refusal is FC's 403 with a message that says
//! what was signed (never the secret). Pure functions; no I/O.

use std::time::{SystemTime, UNIX_EPOCH};

use fc_runtime::Headers;

use crate::cli::Keys;
use crate::platform::FcError;
use crate::sha256::{hex, hmac_sha256, same, sha256};
use crate::util::percent_decode;
use fc_runtime::base64::encode as base64;

/// How far a request's time may be from ours.
const SKEW_SECS: i64 = 15 * 60;

/// What a request looks like to a signature check.
pub struct Signed<'a> {
    pub method: &'a str,
    /// The path as it came on the wire.
    pub raw_path: &'a str,
    pub query: &'a str,
    pub headers: &'a Headers,
    pub body: &'a [u8],
}

fn mismatch(detail: String) -> FcError {
    FcError::new(
        403,
        "SignatureNotMatch",
        format!("The request signature we calculated does not match the signature you provided. Check your access key and signing method. {detail}"),
    )
}

fn missing(name: &str) -> FcError {
    FcError::new(
        400,
        "MissingRequiredHeader",
        format!("required HTTP header {name} was not specified"),
    )
}

fn check_time(when: Option<i64>, field: &str, value: &str, now: SystemTime) -> Result<(), FcError> {
    let Some(t) = when else {
        return Err(FcError::new(
            400,
            "InvalidArgument",
            format!("{field} '{value}' is not a time in the format the signature needs"),
        ));
    };
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if (now - t).abs() > SKEW_SECS {
        return Err(mismatch(format!(
            "{field} '{value}' is {} s away from this machine's clock; a signature is valid for 15 minutes",
            (now - t).abs()
        )));
    }
    Ok(())
}

/// FC 2.0's `Authorization: FC <ak>:<signature>`.
pub fn verify_fc2(keys: &Keys, r: &Signed<'_>, now: SystemTime) -> Result<(), FcError> {
    let auth = r
        .headers
        .get("authorization")
        .ok_or_else(|| missing("Authorization"))?;
    let date = r.headers.get("date").ok_or_else(|| missing("Date"))?;
    let Some((ak, sig)) = auth
        .strip_prefix("FC ")
        .and_then(|rest| rest.trim().split_once(':'))
    else {
        return Err(mismatch(format!(
            "Authorization is not 'FC <AccessKeyID>:<Signature>' ({} bytes)",
            auth.len()
        )));
    };
    if ak != keys.id {
        return Err(FcError::new(
            403,
            "InvalidAccessKeyID",
            format!("invalid access key ID '{ak}'"),
        ));
    }
    check_time(http_date(date), "Date", date, now)?;
    let text = fc2_string_to_sign(r);
    let want = base64(&hmac_sha256(keys.secret().as_bytes(), text.as_bytes()));
    if !same(want.as_bytes(), sig.as_bytes()) {
        return Err(mismatch(format!("String to sign: {text:?}")));
    }
    Ok(())
}

fn fc2_string_to_sign(r: &Signed<'_>) -> String {
    let get = |n: &str| r.headers.get(n).unwrap_or("");
    let mut fc: Vec<(String, &str)> = r
        .headers
        .iter()
        .filter(|(n, _)| n.len() > 5 && n[..5].eq_ignore_ascii_case("x-fc-"))
        .map(|(n, v)| (n.to_ascii_lowercase(), std::str::from_utf8(v).unwrap_or("")))
        .collect();
    fc.sort();
    let mut s = format!(
        "{}\n{}\n{}\n{}\n",
        r.method.to_ascii_uppercase(),
        get("content-md5"),
        get("content-type"),
        get("date")
    );
    for (n, v) in fc {
        s.push_str(&n);
        s.push(':');
        s.push_str(v);
        s.push('\n');
    }
    s.push_str(&percent_decode(r.raw_path));
    if !r.query.is_empty() {
        let mut params: Vec<String> = r
            .query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => format!("{}={}", form_decode(k), form_decode(v)),
                None => form_decode(p),
            })
            .collect();
        params.sort();
        s.push('\n');
        s.push_str(&params.join("\n"));
    }
    s
}

/// FC 3.0's `ACS3-HMAC-SHA256` (Alibaba Cloud's V3 signature).
pub fn verify_acs3(keys: &Keys, r: &Signed<'_>, now: SystemTime) -> Result<(), FcError> {
    let auth = r
        .headers
        .get("authorization")
        .ok_or_else(|| missing("Authorization"))?;
    let Some(rest) = auth.strip_prefix("ACS3-HMAC-SHA256 ") else {
        return Err(mismatch(
            "Authorization does not start with 'ACS3-HMAC-SHA256 ' (the only algorithm checked here)".into(),
        ));
    };
    let part = |name: &str| {
        rest.split(',')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    };
    let (Some(ak), Some(signed), Some(sig)) =
        (part("Credential"), part("SignedHeaders"), part("Signature"))
    else {
        return Err(mismatch(
            "Authorization lacks Credential=, SignedHeaders= or Signature=".into(),
        ));
    };
    if ak != keys.id {
        return Err(FcError::new(
            403,
            "InvalidAccessKeyID",
            format!("invalid access key ID '{ak}'"),
        ));
    }
    let date = r
        .headers
        .get("x-acs-date")
        .ok_or_else(|| missing("x-acs-date"))?;
    check_time(iso_date(date), "x-acs-date", date, now)?;
    let names: Vec<&str> = signed.split(';').filter(|n| !n.is_empty()).collect();
    for need in ["host", "x-acs-date", "x-acs-content-sha256"] {
        if !names.contains(&need) {
            return Err(mismatch(format!("SignedHeaders must include {need}")));
        }
    }
    let payload = r
        .headers
        .get("x-acs-content-sha256")
        .ok_or_else(|| missing("x-acs-content-sha256"))?;
    let body_hash = hex(&sha256(r.body));
    if !payload.eq_ignore_ascii_case(&body_hash) {
        return Err(mismatch(format!(
            "x-acs-content-sha256 is {payload}, the body's SHA-256 is {body_hash}"
        )));
    }
    let canonical = acs3_canonical_request(r, &names, signed, payload);
    let text = format!("ACS3-HMAC-SHA256\n{}", hex(&sha256(canonical.as_bytes())));
    let want = hex(&hmac_sha256(keys.secret().as_bytes(), text.as_bytes()));
    if !same(want.as_bytes(), sig.to_ascii_lowercase().as_bytes()) {
        return Err(mismatch(format!("Canonical request: {canonical:?}")));
    }
    Ok(())
}

fn acs3_canonical_request(r: &Signed<'_>, names: &[&str], signed: &str, payload: &str) -> String {
    let mut query: Vec<(String, String)> = r
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), percent_encode(&form_decode(v)))
        })
        .collect();
    query.sort();
    let query: Vec<String> = query.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers = String::new();
    for n in names {
        let mut values: Vec<&str> = r
            .headers
            .get_all(n)
            .map(|v| std::str::from_utf8(v).unwrap_or("").trim())
            .collect();
        values.sort();
        headers.push_str(n);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    let path = if r.raw_path.is_empty() {
        "/"
    } else {
        r.raw_path
    };
    format!(
        "{}\n{path}\n{}\n{headers}\n{signed}\n{payload}",
        r.method,
        query.join("&")
    )
}

/// A query component decoded as clients encode it: `+` is a space (the SDKs' HTTP
/// libraries send `a+b` for the `a b` they signed), then `%XX`.
fn form_decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

/// RFC 3986 unreserved characters kept, everything else `%XX` (upper case), as the SDKs'
/// `quote(v, safe='~')` does.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Seconds since the epoch of `Sun, 29 Nov 2026 07:13:31 GMT` (RFC 9110's IMF-fixdate).
fn http_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p: Vec<&str> = s.split_whitespace().collect();
    if p.len() != 6 || p[5] != "GMT" {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == p[2])? as i64 + 1;
    let (h, m, sec) = hms(p[4])?;
    Some(epoch(p[3].parse().ok()?, month, p[1].parse().ok()?)? + h * 3600 + m * 60 + sec)
}

/// Seconds since the epoch of `2026-11-29T07:13:31Z`.
fn iso_date(s: &str) -> Option<i64> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-');
    let (y, mo, day) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (h, m, sec) = hms(time.split('.').next()?)?;
    Some(epoch(y, mo, day)? + h * 3600 + m * 60 + sec)
}

fn hms(s: &str) -> Option<(i64, i64, i64)> {
    let mut t = s.split(':');
    let v = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    (v.0 < 24 && v.1 < 60 && v.2 < 61 && t.next().is_none()).then_some(v)
}

/// Days-from-civil (proleptic Gregorian), in seconds.
fn epoch(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

#[cfg(test)]
mod tests;
