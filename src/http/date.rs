//! UTC time formatting without a time crate: the IMF-fixdate of the `Date` header
//! (`Sun, 06 Nov 1994 08:49:37 GMT`) and the RFC 3339 stamp of log lines.
//!
//! The `Date` value is cached per thread for the current second, so a busy worker formats it
//! once a second, not once a response. No time zones, no parsing.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Civil (year, month, day, hour, minute, second, weekday 0=Sunday) from Unix seconds.
fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32, usize) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    let wd = ((days + 4).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday
    let (hh, mm, ss) = (
        (rem / 3600) as u32,
        (rem / 60 % 60) as u32,
        (rem % 60) as u32,
    );
    (y, m, d, hh, mm, ss, wd)
}

fn now() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// IMF-fixdate for Unix seconds `secs`.
pub fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, hh, mm, ss, wd) = civil(secs);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[wd],
        d,
        MONTHS[m as usize - 1],
        y,
        hh,
        mm,
        ss
    )
}

/// Appends the current IMF-fixdate to `out`, formatting at most once a second per thread.
pub fn append_http_date_now(out: &mut Vec<u8>) {
    thread_local! {
        static CACHE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let secs = now().as_secs();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs {
            *c = (secs, http_date(secs));
        }
        out.extend_from_slice(c.1.as_bytes());
    });
}

/// RFC 3339 UTC with milliseconds for the given time since the epoch.
pub fn rfc3339(t: std::time::Duration) -> String {
    let (y, m, d, hh, mm, ss, _) = civil(t.as_secs());
    format!(
        "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:03}Z",
        t.subsec_millis()
    )
}

/// RFC 3339 UTC of now.
pub fn rfc3339_now() -> String {
    rfc3339(now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn date_vectors() {
        let cases = [
            (
                0,
                "Thu, 01 Jan 1970 00:00:00 GMT",
                "1970-01-01T00:00:00.000Z",
            ),
            (
                784_111_777,
                "Sun, 06 Nov 1994 08:49:37 GMT",
                "1994-11-06T08:49:37.000Z",
            ),
            (
                951_782_400,
                "Tue, 29 Feb 2000 00:00:00 GMT",
                "2000-02-29T00:00:00.000Z",
            ),
            (
                1_798_761_599,
                "Thu, 31 Dec 2026 23:59:59 GMT",
                "2026-12-31T23:59:59.000Z",
            ),
            (
                4_107_542_400,
                "Mon, 01 Mar 2100 00:00:00 GMT",
                "2100-03-01T00:00:00.000Z",
            ),
        ];
        for (secs, http, iso) in cases {
            assert_eq!(http_date(secs), http);
            assert_eq!(rfc3339(Duration::from_secs(secs)), iso);
        }
        assert_eq!(
            rfc3339(Duration::from_millis(1_500)),
            "1970-01-01T00:00:01.500Z"
        );
        let mut v = Vec::new();
        append_http_date_now(&mut v);
        assert_eq!(v.len(), 29);
        assert!(v.ends_with(b" GMT"));
    }
}
