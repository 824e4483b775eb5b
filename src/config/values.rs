//! Parsers for configuration values: numbers, sizes (`32MiB`), durations (`500ms`, `15m`),
//! booleans. Each returns a short reason on failure; the caller names the flag or variable.

use std::time::Duration;

pub(super) fn num<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim().parse().map_err(|_| "not a number".to_owned())
}

pub(super) fn positive(n: usize) -> Result<usize, String> {
    if n == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(n)
    }
}

pub(super) fn nonzero(d: Duration) -> Result<Duration, String> {
    if d.is_zero() {
        Err("must be more than 0".into())
    } else {
        Ok(d)
    }
}

/// `auto` (any case) is `None`; anything else goes through `parse`.
pub(super) fn auto<T>(
    v: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if v.trim().eq_ignore_ascii_case("auto") {
        Ok(None)
    } else {
        parse(v).map(Some)
    }
}

pub(super) fn boolean(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

/// `123`, `16KiB`, `32MiB`, `1G`... (binary multiples).
pub(super) fn size(v: &str) -> Result<u64, String> {
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

/// `30`, `30s`, `500ms`, `15m`, `1h`.
pub(super) fn duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: u64 = n.parse().map_err(|_| "not a duration".to_owned())?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(format!("unknown duration unit {unit:?}")),
    };
    ms.map(Duration::from_millis)
        .ok_or_else(|| "too large".to_owned())
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
    fn durations_and_booleans_table() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("30", Some(Duration::from_secs(30))),
            ("30s", Some(Duration::from_secs(30))),
            ("500ms", Some(Duration::from_millis(500))),
            ("15m", Some(Duration::from_secs(900))),
            ("1h", Some(Duration::from_secs(3600))),
            ("3d", None),
            ("fast", None),
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
