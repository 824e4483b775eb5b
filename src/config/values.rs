//! Parsers for configuration values: numbers, sizes (`32MiB`), durations (`500ms`, `1.5s`,
//! `15m`), booleans. Each returns a short reason on failure; the caller names the flag or
//! variable. [`size`] and [`duration`] are public as `fc_runtime::units`, so tools built on
//! the library (`fc-local`) read their own flags in the same syntax.

use std::time::Duration;

pub(crate) fn num<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim().parse().map_err(|_| "not a number".to_owned())
}

pub(crate) fn positive(n: usize) -> Result<usize, String> {
    if n == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(n)
    }
}

pub(crate) fn nonzero(d: Duration) -> Result<Duration, String> {
    if d.is_zero() {
        Err("must be more than 0".into())
    } else {
        Ok(d)
    }
}

/// A command line as words, the way a shell splits one without expanding anything:
/// whitespace separates; `'...'` is literal; `"..."` keeps spaces and takes `\"` and `\\`;
/// a backslash outside quotes escapes the next character.
pub(crate) fn words(v: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut started = false;
    let mut chars = v.chars();
    while let Some(ch) = chars.next() {
        match ch {
            c if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            '\'' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => {
                started = true;
                cur.push(chars.next().ok_or("a backslash at the end")?);
            }
            c => {
                started = true;
                cur.push(c);
            }
        }
    }
    if started {
        out.push(cur);
    }
    Ok(out)
}

/// `auto` (any case) is `None`; anything else goes through `parse`.
pub(crate) fn auto<T>(
    v: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if v.trim().eq_ignore_ascii_case("auto") {
        Ok(None)
    } else {
        parse(v).map(Some)
    }
}

pub(crate) fn boolean(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

/// A size: `123` (bytes), `16K`, `16KiB`, `32 MiB`, `1G` (binary multiples; `B`, `K`/`KB`/
/// `KiB`, `M`/`MB`/`MiB`, `G`/`GB`/`GiB`, any case).
///
/// ```
/// assert_eq!(fc_runtime::units::size("32MiB"), Ok(32 << 20));
/// assert!(fc_runtime::units::size("3XB").is_err());
/// ```
pub fn size(v: &str) -> Result<u64, String> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: u64 = n.parse().map_err(|_| "not a size".to_owned())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown size unit {unit:?}")),
    };
    n.checked_mul(mult).ok_or_else(|| "too large".to_owned())
}

/// A duration: `30` or `30s` (seconds), `500ms`, `1.5s`, `15m`, `1h`. No sign, no other
/// units; at most millisecond precision matters.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(fc_runtime::units::duration("1.5s"), Ok(Duration::from_millis(1500)));
/// assert_eq!(fc_runtime::units::duration("15m"), Ok(Duration::from_secs(900)));
/// assert!(fc_runtime::units::duration("3d").is_err());
/// ```
pub fn duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let split = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let unit_ns: u64 = match unit.trim() {
        "ms" => 1_000_000,
        "" | "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(format!("unknown duration unit {unit:?}")),
    };
    // Whole and fractional digits, exactly (no floating point: it would also cost the
    // binary the whole float parser).
    let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (n.contains('.') && frac.is_empty()) {
        return Err("not a duration".to_owned());
    }
    let frac = &frac[..frac.len().min(9)];
    let scale = 10u64.pow(frac.len() as u32);
    let mut total: u64 = 0;
    for b in whole.bytes().chain(frac.bytes()) {
        total = total
            .checked_mul(10)
            .and_then(|t| t.checked_add(u64::from(b - b'0')))
            .ok_or_else(|| "too large".to_owned())?;
    }
    // Nanoseconds in a u64 reach 584 years: more than any timeout needs.
    let ns = (total / scale)
        .checked_mul(unit_ns)
        .and_then(|w| w.checked_add((total % scale) * unit_ns / scale))
        .ok_or_else(|| "too large".to_owned())?;
    Ok(Duration::from_nanos(ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_table() {
        let cases: &[(&str, Result<u64, &str>)] = &[
            ("0", Ok(0)),
            ("123", Ok(123)),
            ("16K", Ok(16 << 10)),
            ("16KiB", Ok(16 << 10)),
            ("32 MiB", Ok(32 << 20)),
            ("1g", Ok(1 << 30)),
            ("3XB", Err("unknown size unit")),
            ("-1", Err("not a size")),
            ("99999999999G", Err("too large")),
        ];
        for (v, want) in cases {
            match (size(v), want) {
                (Ok(n), Ok(w)) => assert_eq!(n, *w, "{v}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{v}: {e}"),
                (got, _) => panic!("{v}: {got:?}"),
            }
        }
    }

    #[test]
    fn words_table() {
        let cases: &[(&str, Result<&[&str], &str>)] = &[
            ("", Ok(&[])),
            ("node server.js", Ok(&["node", "server.js"])),
            (
                "  python3  -m  flask  run ",
                Ok(&["python3", "-m", "flask", "run"]),
            ),
            (
                "sh -c 'echo a  b; exit 3'",
                Ok(&["sh", "-c", "echo a  b; exit 3"]),
            ),
            (r#"app "a \"b\" c" x\ y"#, Ok(&["app", "a \"b\" c", "x y"])),
            ("app ''", Ok(&["app", ""])),
            ("app 'open", Err("unterminated")),
            ("app \"open", Err("unterminated")),
        ];
        for (v, want) in cases {
            match (words(v), want) {
                (Ok(got), Ok(w)) => assert_eq!(got, *w, "{v}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{v}: {e}"),
                (got, _) => panic!("{v}: {got:?}"),
            }
        }
    }

    #[test]
    fn durations_and_booleans_table() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("30", Some(Duration::from_secs(30))),
            ("30s", Some(Duration::from_secs(30))),
            ("500ms", Some(Duration::from_millis(500))),
            ("15m", Some(Duration::from_secs(900))),
            ("1h", Some(Duration::from_secs(3600))),
            ("1.5s", Some(Duration::from_millis(1500))),
            ("2", Some(Duration::from_secs(2))),
            ("0.25", Some(Duration::from_millis(250))),
            ("3d", None),
            ("fast", None),
            ("-1s", None),
            (".5s", None),
            ("1.2.3s", None),
            ("1.s", None),
            ("0.0005s", Some(Duration::from_micros(500))),
            ("1.5ms", Some(Duration::from_micros(1500))),
            ("99999999999999999999h", None),
        ];
        for (v, want) in cases {
            assert_eq!(duration(v).ok(), *want, "{v}");
        }
        for (v, want) in [
            ("on", Some(true)),
            ("TRUE", Some(true)),
            ("0", Some(false)),
            ("no", Some(false)),
            ("maybe", None),
        ] {
            assert_eq!(boolean(v).ok(), want, "{v}");
        }
        assert!(positive(0).is_err() && nonzero(Duration::ZERO).is_err());
        assert_eq!(num::<u16>("8080"), Ok(8080));
    }
}
