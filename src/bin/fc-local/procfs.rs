//! What `/proc` says about the function: the addresses its port listens on, and the peak
//! resident memory of its process tree.
//!
//! Read-only and best-effort: a missing or odd file answers "unknown", never an error.

use std::net::{Ipv4Addr, Ipv6Addr};

/// One listening socket on the port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bind {
    /// `0.0.0.0` (or `[::]`, which also takes IPv4 unless v6-only).
    Any(String),
    /// `127.0.0.0/8` or `::1`: unreachable from outside the host.
    Loopback(String),
    /// One specific other address.
    Other(String),
}

/// Listening sockets on `port`, from `/proc/net/tcp` and `/proc/net/tcp6`.
pub fn listeners(port: u16) -> Vec<Bind> {
    let mut out = Vec::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        if let Ok(text) = std::fs::read_to_string(file) {
            out.extend(parse_listeners(&text, port, v6));
        }
    }
    out
}

fn parse_listeners(text: &str, port: u16, v6: bool) -> Vec<Bind> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[3] != "0A" {
            continue;
        }
        let Some((addr, p)) = f[1].split_once(':') else {
            continue;
        };
        if u16::from_str_radix(p, 16).ok() != Some(port) {
            continue;
        }
        let bind = if v6 {
            let Some(ip) = hex_v6(addr) else { continue };
            match ip.to_ipv4_mapped() {
                Some(v4) => classify_v4(v4),
                None if ip.is_unspecified() => Bind::Any("[::]".into()),
                None if ip.is_loopback() => Bind::Loopback("[::1]".into()),
                None => Bind::Other(format!("[{ip}]")),
            }
        } else {
            let Ok(n) = u32::from_str_radix(addr, 16) else {
                continue;
            };
            classify_v4(Ipv4Addr::from(n.to_le_bytes()))
        };
        if !out.contains(&bind) {
            out.push(bind);
        }
    }
    out
}

fn classify_v4(ip: Ipv4Addr) -> Bind {
    if ip.is_unspecified() {
        Bind::Any(ip.to_string())
    } else if ip.is_loopback() {
        Bind::Loopback(ip.to_string())
    } else {
        Bind::Other(ip.to_string())
    }
}

/// `/proc/net/tcp6` prints the address as four 32-bit words in host (little-endian) order.
fn hex_v6(s: &str) -> Option<Ipv6Addr> {
    if s.len() != 32 {
        return None;
    }
    let mut b = [0u8; 16];
    for i in 0..4 {
        let w = u32::from_str_radix(&s[i * 8..i * 8 + 8], 16).ok()?;
        b[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    Some(Ipv6Addr::from(b))
}

/// Peak resident memory (`VmHWM`) of `pid` plus its live descendants, in KiB.
pub fn max_rss_kib(pid: u32) -> Option<u64> {
    let mut total = hwm(pid)?;
    let mut queue = vec![pid];
    let parents = parent_table();
    while let Some(p) = queue.pop() {
        for &(child, parent) in &parents {
            if parent == p {
                total += hwm(child).unwrap_or(0);
                queue.push(child);
            }
        }
    }
    Some(total)
}

fn hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// (pid, parent pid) of every process.
fn parent_table() -> Vec<(u32, u32)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The name in parentheses may hold spaces: fields start after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            out.push((pid, ppid));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_table() {
        let v4 = "  sl  local_address rem_address   st\n\
            0: 00000000:2328 00000000:0000 0A 0\n\
            1: 0100007F:2329 00000000:0000 0A 0\n\
            2: 0100007F:2328 0100007F:9C40 01 0\n\
            3: 0B00000A:232A 00000000:0000 0A 0\n";
        let v6 = "  sl  local_address rem_address st\n\
            0: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 0\n\
            1: 00000000000000000000000001000000:2329 00000000000000000000000000000000:0000 0A 0\n\
            2: 0000000000000000FFFF00000100007F:232A 00000000000000000000000000000000:0000 0A 0\n";
        // (text, v6, port, expected)
        let cases: Vec<(&str, bool, u16, Vec<Bind>)> = vec![
            (v4, false, 9000, vec![Bind::Any("0.0.0.0".into())]),
            (v4, false, 9001, vec![Bind::Loopback("127.0.0.1".into())]),
            (v4, false, 9002, vec![Bind::Other("10.0.0.11".into())]),
            (v4, false, 9003, vec![]),
            (v6, true, 9000, vec![Bind::Any("[::]".into())]),
            (v6, true, 9001, vec![Bind::Loopback("[::1]".into())]),
            (v6, true, 9002, vec![Bind::Loopback("127.0.0.1".into())]),
        ];
        for (text, v6, port, want) in cases {
            assert_eq!(parse_listeners(text, port, v6), want, "port {port} v6 {v6}");
        }
    }

    #[test]
    fn own_rss_is_known() {
        let kib = max_rss_kib(std::process::id()).unwrap();
        assert!(kib > 100, "{kib}");
    }
}
