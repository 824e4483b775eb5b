//! Just enough JSON writing for error bodies and the built-in echo: string escaping.
//!
//! No parsing and no general serializer; callers assemble objects themselves.

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
