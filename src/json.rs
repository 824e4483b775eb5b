//! Just enough JSON writing for a function that answers JSON without a serializer: string
//! escaping (RFC 8259 §7, plus U+2028/U+2029 for JavaScript readers).
//!
//! No parsing and no general serializer; callers assemble objects themselves.
//!
//! ```
//! let mut body = String::from("{\"greeting\":");
//! fc_runtime::json::push_str(&mut body, "say \"hi\"\n");
//! body.push('}');
//! assert_eq!(body, r#"{"greeting":"say \"hi\"\n"}"#);
//! assert_eq!(fc_runtime::json::string("a\tb"), r#""a\tb""#);
//! ```

/// `s` as a quoted JSON string.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_str(&mut out, s);
    out
}

/// Appends `s` to `out` as a quoted JSON string.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_table() {
        let cases = [
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("l1\nl2\r\t", r#""l1\nl2\r\t""#),
            ("\u{1}\u{1f}", r#""\u0001\u001f""#),
            ("ünï\u{2028}", r#""ünï\u2028""#),
        ];
        for (s, want) in cases {
            let mut out = String::new();
            super::push_str(&mut out, s);
            assert_eq!(out, want);
        }
    }
}
