//! FC's tracing headers ([`Tracing`]), kept as sent and parsed on demand: the OpenTracing
//! span context `traceid:spanid:parentid:flags` ([`SpanContext`]), the baggage (base64 of
//! a JSON object of strings), and the Jaeger endpoint. All are empty when tracing is off.
//!
//! Reading only: nothing here reports spans anywhere.

/// FC's tracing headers for one invocation (empty strings when tracing is off).
///
/// ```
/// use fc_runtime::{Headers, Context};
/// let h: Headers = [
///     ("x-fc-tracing-opentracing-span-context", "5f6e2a1b3c4d5e6f:1a2b3c4d5e6f7a8b:0:1"),
///     ("x-fc-tracing-opentracing-span-baggages", "eyJ0ZW5hbnQiOiJhY21lIn0="),
/// ].into_iter().collect();
/// let ctx = Context::from_headers(&h, std::time::Instant::now());
/// let span = ctx.tracing.span().unwrap();
/// assert_eq!((span.trace_id.as_str(), span.flags), ("5f6e2a1b3c4d5e6f", 1));
/// assert_eq!(ctx.tracing.baggage_items(), vec![("tenant".to_string(), "acme".to_string())]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tracing {
    /// `x-fc-tracing-opentracing-span-context`: `traceid:spanid:parentid:flags`.
    pub span_context: String,
    /// `x-fc-tracing-opentracing-span-baggages`: base64 of a JSON object of strings.
    pub baggage: String,
    /// `x-fc-tracing-jaeger-endpoint`: where FC's Jaeger collector listens.
    pub jaeger_endpoint: String,
}

/// An OpenTracing (Jaeger) span context, as FC passes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanContext {
    /// The trace id (hex).
    pub trace_id: String,
    /// The span id of the invocation (hex); the function's own spans are its children.
    pub span_id: String,
    /// The parent span id (hex; `0` for none).
    pub parent_span_id: String,
    /// Jaeger's flags (bit 0: sampled).
    pub flags: u8,
}

impl SpanContext {
    /// Whether the trace is sampled (flag bit 0).
    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }
}

impl Tracing {
    /// The span context, when FC sent a well-formed one.
    pub fn span(&self) -> Option<SpanContext> {
        let mut parts = self.span_context.trim().split(':');
        let (t, s, p, f) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex =
            |x: &str| !x.is_empty() && x.len() <= 32 && x.bytes().all(|b| b.is_ascii_hexdigit());
        if parts.next().is_some() || !hex(t) || !hex(s) || !hex(p) || !hex(f) || f.len() > 2 {
            return None;
        }
        Some(SpanContext {
            trace_id: t.to_owned(),
            span_id: s.to_owned(),
            parent_span_id: p.to_owned(),
            flags: u8::from_str_radix(f, 16).ok()?,
        })
    }

    /// The baggage items, decoded (empty when absent or malformed).
    pub fn baggage_items(&self) -> Vec<(String, String)> {
        crate::base64::decode(self.baggage.trim())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| flat_object(&s))
            .unwrap_or_default()
    }
}

/// A JSON object whose values are strings (numbers and booleans kept as their text).
fn flat_object(s: &str) -> Option<Vec<(String, String)>> {
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
    };
    p.ws();
    p.eat(b'{')?;
    let mut out = Vec::new();
    p.ws();
    if p.eat(b'}').is_some() {
        return Some(out);
    }
    loop {
        p.ws();
        let k = p.string()?;
        p.ws();
        p.eat(b':')?;
        p.ws();
        let v = if p.peek()? == b'"' {
            p.string()?
        } else {
            p.scalar()?
        };
        out.push((k, v));
        p.ws();
        match p.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    p.ws();
    (p.i == p.s.len()).then_some(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    /// A number, `true`, `false` or `null`, as its text.
    fn scalar(&mut self) -> Option<String> {
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || b"+-.".contains(&c)) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.next()? {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xd800..0xdc00).contains(&hi) {
                                self.eat(b'\\')?;
                                self.eat(b'u')?;
                                let lo = self.hex4()?;
                                let c = 0x10000 + ((hi - 0xd800) << 10) + lo.checked_sub(0xdc00)?;
                                char::from_u32(c)?
                            } else {
                                char::from_u32(hi)?
                            }
                        }
                        _ => return None,
                    };
                    let mut b = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
    }
    fn hex4(&mut self) -> Option<u32> {
        let h = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
        self.i += 4;
        u32::from_str_radix(h, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_context_table() {
        let cases = [
            ("abc:def:0:1", Some(("abc", "def", "0", 1))),
            (
                "5f6e2a1b3c4d5e6f:1a2b:9:0",
                Some(("5f6e2a1b3c4d5e6f", "1a2b", "9", 0)),
            ),
            (" a:b:c:ff ", Some(("a", "b", "c", 255))),
            ("", None),
            ("a:b:c", None),
            ("a:b:c:1:2", None),
            ("a:xyz:0:1", None),
            ("a:b:0:100", None),
        ];
        for (raw, want) in cases {
            let t = Tracing {
                span_context: raw.into(),
                ..Tracing::default()
            };
            let got = t.span();
            let got = got.as_ref().map(|s| {
                (
                    &s.trace_id[..],
                    &s.span_id[..],
                    &s.parent_span_id[..],
                    s.flags,
                )
            });
            assert_eq!(got, want, "{raw:?}");
        }
    }

    #[test]
    fn baggage_table() {
        let items = |b64: &str| {
            Tracing {
                baggage: b64.into(),
                ..Tracing::default()
            }
            .baggage_items()
        };
        // {"k":"v","n":1}  and  {"a\"b":"é\u00e9😀"} with an escaped surrogate pair.
        assert_eq!(
            items("eyJrIjoidiIsIm4iOjF9"),
            vec![("k".into(), "v".into()), ("n".into(), "1".into())]
        );
        assert_eq!(
            items("eyJhXCJiIjoiw6lcdTAwZTlcdWQ4M2RcdWRlMDAifQ"),
            vec![("a\"b".into(), "éé😀".into())]
        );
        for bad in [
            "",
            "!!!!",
            "eyJr",
            "W10=",         /* [] */
            "eyJrIjpbXX0=", /* {"k":[]} */
        ] {
            assert!(items(bad).is_empty(), "{bad}");
        }
    }
}
