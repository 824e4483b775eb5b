//! Small pieces every subcommand uses: request ids, one-line stderr writes, percent-decoding
//! and durations for people. (JSON strings, base64 and duration parsing are the library's:
//! `fc_runtime::json`, `fc_runtime::base64`, `fc_runtime::units`.)
//!
//! No I/O except one read of `/dev/urandom` for the request-id seed.

use std::io::Read;
use std::time::Duration;

/// A fresh FC 2.0-style request id (a UUID v4). Random from a seed read once from
/// `/dev/urandom`, then a counter through splitmix64: unique, cheap (no system call per
/// id), and not a secret, as FC's own ids are not.
pub fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static SEED: OnceLock<u64> = OnceLock::new();
    static N: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut b = [0u8; 8];
        let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
        if read.is_err() {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            b = (t.as_nanos() as u64 ^ u64::from(std::process::id()) << 32).to_le_bytes();
        }
        u64::from_le_bytes(b)
    });
    let n = N.fetch_add(1, Ordering::Relaxed);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&splitmix64(seed.wrapping_add(n.wrapping_mul(2))).to_le_bytes());
    b[8..].copy_from_slice(&splitmix64(seed.wrapping_add(n.wrapping_mul(2) + 1)).to_le_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    // One allocation: this runs on every gateway request.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        id.push(HEX[usize::from(x >> 4)] as char);
        id.push(HEX[usize::from(x & 15)] as char);
    }
    id
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes one line to stderr in a single system call (`eprintln!` makes one per piece:
/// stderr is unbuffered).
pub fn say(line: impl AsRef<str>) {
    use std::io::Write;
    let mut s = String::with_capacity(line.as_ref().len() + 1);
    s.push_str(line.as_ref());
    s.push('\n');
    let _ = std::io::stderr().lock().write_all(s.as_bytes());
}

/// `%XX` decoded (invalid escapes kept as they are; bytes that are not UTF-8 replaced).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hexval = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A duration for people: `850 µs`, `4.2 ms`, `1.35 s`.
pub fn human(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.2} ms", us as f64 / 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuid_v4_and_differ() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        let a = request_id();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }
}
