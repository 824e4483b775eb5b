//! Head parsing and the framing decision. Accepted heads must satisfy the strict rules
//! (checked by the independent oracle on the parsed view), end exactly at the blank line,
//! stay within every limit and parse identically on their own; refusals must carry one of
//! the statuses a head can earn; plain heads the strict rules accept must be accepted.
#![no_main]

use fc_runtime::fuzzing::{parse_head, Version};
use fuzz_oracle::{limits, strict_request, strict_target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = limits();
    match parse_head(data, &limits) {
        Ok(Some((head, n))) => {
            assert!(n <= data.len() && n <= limits.max_head);
            let h = &data[..n];
            assert!(h.ends_with(b"\n\n") || h.ends_with(b"\n\r\n"), "head end");
            assert!(head.headers.len() <= limits.max_headers);
            assert!(head.path.len() + head.query.len() <= limits.max_target);
            let http11 = head.version == Version::Http11;
            let verdict = strict_request(&head.method, http11, head.headers.iter())
                .unwrap_or_else(|rule| panic!("accepted a head the strict rules reject: {rule}"));
            assert_eq!(verdict.framing, head.framing);
            assert_eq!(verdict.keep_alive, head.keep_alive);
            strict_target(&head.path, &head.query)
                .unwrap_or_else(|rule| panic!("accepted a target the strict rules reject: {rule}"));
            // The head alone parses the same; one byte less is incomplete.
            let (again, m) = parse_head(h, &limits).unwrap().unwrap();
            assert_eq!(
                (m, again.framing, &again.path),
                (n, head.framing, &head.path)
            );
            assert!(matches!(parse_head(&h[..n - 1], &limits), Ok(None)));
        }
        Ok(None) => assert!(
            data.len() < limits.max_head,
            "a full buffer must be decided"
        ),
        Err(e) => {
            assert!(
                matches!(e.status(), 400 | 413 | 414 | 417 | 431 | 501 | 505),
                "{e:?}"
            );
            if let Some(want) = plain_valid(data) {
                panic!("refused a plain valid head ({e:?}): {want}");
            }
        }
    }
});

/// A head of only plain bytes that the strict rules accept, or `None`. Plain: an origin-form
/// target of unreserved characters, printable ASCII values, CRLF lines, within limits.
fn plain_valid(data: &[u8]) -> Option<String> {
    let end = data.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if end > 1024 {
        return None;
    }
    let text = std::str::from_utf8(&data[..end]).ok()?;
    let mut lines = text[..end - 4].split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let plain_target = |t: &str| {
        t.starts_with('/')
            && t.len() < 200
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-~?=&".contains(&b))
    };
    if parts.next().is_some() || !plain_target(target) || method.len() > 20 {
        return None;
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return None,
    };
    let mut fields = Vec::new();
    for l in lines {
        let (name, value) = l.split_once(':')?;
        if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return None;
        }
        fields.push((name, value.as_bytes()));
    }
    if fields.len() > 10 {
        return None;
    }
    let verdict = strict_request(method, http11, fields.into_iter()).ok()?;
    if let fc_runtime::fuzzing::Framing::Length(n) = verdict.framing {
        if n > limits().max_body {
            return None;
        }
    }
    Some(text.escape_debug().to_string())
}
