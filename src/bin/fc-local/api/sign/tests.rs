//! Vectors made by the SDKs' own signing code (`fc2.auth.Auth.sign_request` of aliyun-fc2
//! 2.5.2 and `Utils.get_authorization` of alibabacloud-tea-openapi 0.4.6) with the key
//! pair `AKID`/`SECRET`, then the same requests spoiled one field at a time.

use super::*;
use std::time::Duration;

/// 2026-11-29T07:13:31Z.
fn at(offset_secs: i64) -> SystemTime {
    let t = 1_795_936_411i64 + offset_secs;
    UNIX_EPOCH + Duration::from_secs(t as u64)
}

fn keys(secret: &str) -> Keys {
    Keys::parse(&format!("AKID:{secret}")).unwrap()
}

fn fc2_headers(auth: &str) -> Headers {
    let mut h = Headers::default();
    for (n, v) in [
        ("Host", "127.0.0.1:8000"),
        ("Date", "Sun, 29 Nov 2026 07:13:31 GMT"),
        ("Content-Type", "application/json"),
        ("Content-Length", "5"),
        ("X-Fc-Invocation-Type", "Sync"),
        ("x-fc-log-type", "Tail"),
        ("User-Agent", "x"),
        ("Authorization", auth),
    ] {
        h.append(n, v);
    }
    h
}

const FC2_AUTH: &str = "FC AKID:rpj9R4dhNPwnsLFmk8+QkGjs5TWhv5Fkg2x8O9jmo84=";
const FC2_PATH: &str = "/2016-08-15/services/svc.prod/functions/my%20fn/invocations";

#[test]
fn fc2_table() {
    // (secret, authorization, path, clock offset, expected code or "")
    let cases = [
        ("SECRET", FC2_AUTH, FC2_PATH, 0, ""),
        ("SECRET", FC2_AUTH, FC2_PATH, 14 * 60, ""),
        ("SECRET", FC2_AUTH, FC2_PATH, 16 * 60, "SignatureNotMatch"),
        ("OTHER", FC2_AUTH, FC2_PATH, 0, "SignatureNotMatch"),
        (
            "SECRET",
            FC2_AUTH,
            "/2016-08-15/services/svc.prod/functions/other/invocations",
            0,
            "SignatureNotMatch",
        ),
        (
            "SECRET",
            "FC NOTME:rpj9R4dhNPwnsLFmk8+QkGjs5TWhv5Fkg2x8O9jmo84=",
            FC2_PATH,
            0,
            "InvalidAccessKeyID",
        ),
        ("SECRET", "Bearer abc", FC2_PATH, 0, "SignatureNotMatch"),
    ];
    for (secret, auth, path, offset, want) in cases {
        let h = fc2_headers(auth);
        let r = Signed {
            method: "POST",
            raw_path: path,
            query: "",
            headers: &h,
            body: b"hello",
        };
        let got = verify_fc2(&keys(secret), &r, at(offset))
            .err()
            .map_or("", |e| e.code);
        assert_eq!(got, want, "{secret} {auth} {path} {offset}");
    }
    let mut h = fc2_headers(FC2_AUTH);
    h.remove("date");
    let r = Signed {
        method: "POST",
        raw_path: FC2_PATH,
        query: "",
        headers: &h,
        body: b"",
    };
    let e = verify_fc2(&keys("SECRET"), &r, at(0)).unwrap_err();
    assert_eq!((e.status, e.code), (400, "MissingRequiredHeader"));
}

const ACS3_SIG: &str = "980dd8a631d95778bcca442753f475a43d1be659a20986ca2f5873956efe2786";
const BODY: &[u8] = br#"{"a":1}"#;

fn acs3_headers(sig: &str) -> Headers {
    let signed = "accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version;x-fc-invocation-type";
    let mut h = Headers::default();
    for (n, v) in [
        ("host", "127.0.0.1:8000"),
        ("x-acs-version", "2023-03-30"),
        ("x-acs-action", "InvokeFunction"),
        ("user-agent", "ua"),
        ("x-acs-date", "2026-11-29T07:13:31Z"),
        ("x-acs-signature-nonce", "n1"),
        ("accept", "application/json"),
        ("x-fc-invocation-type", "Sync"),
        (
            "x-acs-content-sha256",
            "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
        ),
        ("content-type", "application/octet-stream"),
    ] {
        h.append(n, v);
    }
    h.append(
        "Authorization",
        format!("ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders={signed},Signature={sig}"),
    );
    h
}

#[test]
fn acs3_table() {
    const PATH: &str = "/2023-03-30/functions/my%20fn/invocations";
    // (secret, path, query, body, clock offset, expected code or "")
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [u8], i64, &'a str);
    let cases: [Case; 8] = [
        ("SECRET", PATH, "qualifier=prod%20alias", BODY, 0, ""),
        // The SDK's HTTP library sends the space it signed as `+`.
        ("SECRET", PATH, "qualifier=prod+alias", BODY, 0, ""),
        ("SECRET", PATH, "qualifier=prod%20alias", BODY, -14 * 60, ""),
        (
            "SECRET",
            PATH,
            "qualifier=prod%20alias",
            BODY,
            -16 * 60,
            "SignatureNotMatch",
        ),
        (
            "OTHER",
            PATH,
            "qualifier=prod%20alias",
            BODY,
            0,
            "SignatureNotMatch",
        ),
        (
            "SECRET",
            PATH,
            "qualifier=other",
            BODY,
            0,
            "SignatureNotMatch",
        ),
        (
            "SECRET",
            "/2023-03-30/functions/my fn/invocations",
            "qualifier=prod%20alias",
            BODY,
            0,
            "SignatureNotMatch",
        ),
        (
            "SECRET",
            PATH,
            "qualifier=prod%20alias",
            br#"{"a":2}"#,
            0,
            "SignatureNotMatch",
        ),
    ];
    for (secret, path, query, body, offset, want) in cases {
        let h = acs3_headers(ACS3_SIG);
        let r = Signed {
            method: "POST",
            raw_path: path,
            query,
            headers: &h,
            body,
        };
        let got = verify_acs3(&keys(secret), &r, at(offset))
            .err()
            .map_or("", |e| e.code);
        assert_eq!(got, want, "{secret} {path} {query} {offset}");
    }
}

#[test]
fn dates_table() {
    let cases = [
        ("Sun, 29 Nov 2026 07:13:31 GMT", Some(1_795_936_411)),
        ("Thu, 01 Jan 1970 00:00:00 GMT", Some(0)),
        ("Sun, 29 Nov 2026 07:13:31 UTC", None),
        ("Sun, 29 Foo 2026 07:13:31 GMT", None),
        ("29 Nov 2026 07:13:31 GMT", None),
    ];
    for (s, want) in cases {
        assert_eq!(http_date(s), want, "{s}");
    }
    assert_eq!(iso_date("2026-11-29T07:13:31Z"), Some(1_795_936_411));
    assert_eq!(iso_date("2000-02-29T00:00:00Z"), Some(951_782_400));
    assert_eq!(iso_date("2026-11-29 07:13:31"), None);
    assert_eq!(iso_date("2026-13-01T00:00:00Z"), None);
}

#[test]
fn percent_table() {
    assert_eq!(percent_decode("my%20fn%2Fx%zz%4"), "my fn/x%zz%4");
    assert_eq!(percent_encode("prod alias/~é"), "prod%20alias%2F~%C3%A9");
    assert_eq!(form_decode("a+b%2B"), "a b+");
}
