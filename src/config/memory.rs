//! How much memory the instance has, and the worker cap and request-body budget derived
//! from it, so that the defaults cannot run a 128 MB function out of memory.
//!
//! Sources, first found wins: `--memory`/`FCRT_MEMORY`, then Function Compute's
//! `FC_FUNCTION_MEMORY_SIZE` (MB), then the smaller of the cgroup limit and physical memory
//! (read from `/sys/fs/cgroup` and `/proc/meminfo`, and only when something is left to
//! derive). The derivation itself ([`derive`]) is a pure function; explicit `--max-workers`
//! and `--body-budget` always win over it.

use std::fmt;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// Where the memory figure came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemorySource {
    /// `--memory` or `FCRT_MEMORY`.
    Flag,
    /// `FC_FUNCTION_MEMORY_SIZE` set by the platform.
    Platform,
    /// The cgroup memory limit (a container's limit).
    Cgroup,
    /// `MemTotal` from `/proc/meminfo`.
    Physical,
    /// Nothing could be read: a conservative 128 MiB.
    Fallback,
}

impl fmt::Display for MemorySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemorySource::Flag => "--memory",
            MemorySource::Platform => "FC_FUNCTION_MEMORY_SIZE",
            MemorySource::Cgroup => "cgroup limit",
            MemorySource::Physical => "physical memory",
            MemorySource::Fallback => "unknown, assumed",
        })
    }
}

/// The instance memory in bytes, and its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure came from.
    pub source: MemorySource,
}

/// What [`derive`] makes of a memory size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Derived {
    /// Most worker threads.
    pub workers: usize,
    /// Most request-body bytes in flight over all requests.
    pub body_budget: u64,
}

/// A quarter of memory for request bodies in flight (the handler's copy and its answer take
/// more), and one worker per 256 KiB: a worker's worst case of head buffer (32 KiB) plus the
/// stack it touches stays within another quarter. 16 to 1,024 workers.
pub fn derive(memory: u64) -> Derived {
    Derived {
        workers: (memory / (256 * KIB)).clamp(16, 1024) as usize,
        body_budget: (memory / 4).max(MIB),
    }
}

/// Megabytes as Function Compute states them (`FC_FUNCTION_MEMORY_SIZE`,
/// `x-fc-function-memory`), in bytes.
pub fn from_megabytes(v: &str) -> Option<u64> {
    let mb: u64 = v.trim().parse().ok()?;
    mb.checked_mul(MIB).filter(|&b| b > 0)
}

/// Reads the cgroup limit and physical memory; the smaller wins.
///
/// This is on the cold-start path of every instance that is not told its memory, so it
/// costs three small reads: one `read` each of `/proc/self/cgroup`, the first limit file
/// that exists (it decides, limited or not), and the head of `/proc/meminfo`.
pub fn probe() -> Memory {
    let own = read_head("/proc/self/cgroup", 2048).unwrap_or_default();
    let cgroup = limit_files(&own)
        .iter()
        .find_map(|f| read_head(f, 64))
        .and_then(|s| cgroup_limit(&s));
    let physical = read_head("/proc/meminfo", 128).and_then(|s| mem_total(&s));
    match (cgroup, physical) {
        (Some(c), Some(p)) if c < p => Memory {
            bytes: c,
            source: MemorySource::Cgroup,
        },
        (_, Some(p)) => Memory {
            bytes: p,
            source: MemorySource::Physical,
        },
        (Some(c), None) => Memory {
            bytes: c,
            source: MemorySource::Cgroup,
        },
        (None, None) => Memory {
            bytes: 128 * MIB,
            source: MemorySource::Fallback,
        },
    }
}

/// Up to `max` bytes from the start of `path` in one `read` (enough for these files: the
/// kernel fills the buffer from its generated text), as text.
fn read_head(path: &str, max: usize) -> Option<String> {
    use std::io::Read;
    let mut buf = vec![0u8; max];
    let n = std::fs::File::open(path).ok()?.read(&mut buf).ok()?;
    buf.truncate(n);
    String::from_utf8(buf).ok()
}

/// The limit files that may apply to this process, own cgroup first: cgroup v2
/// (`0::/path`) and v1 (`N:memory:/path`), then the mount roots (what a container sees).
/// No duplicates: each is tried once.
fn limit_files(proc_self_cgroup: &str) -> Vec<String> {
    let mut files = Vec::new();
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(c), Some(p)) => (id, c, p.trim_end_matches('/')),
            _ => continue,
        };
        if controllers.is_empty() {
            files.push(format!("/sys/fs/cgroup{path}/memory.max"));
        } else if controllers.split(',').any(|c| c == "memory") {
            files.push(format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"));
        }
    }
    for root in [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ] {
        if !files.iter().any(|f| f == root) {
            files.push(root.into());
        }
    }
    files
}

/// A cgroup `memory.max` / `memory.limit_in_bytes` value; `max` and the v1 "unlimited"
/// sentinel (near `i64::MAX`) mean no limit.
fn cgroup_limit(s: &str) -> Option<u64> {
    let n: u64 = s.trim().parse().ok()?;
    (n > 0 && n < 1 << 60).then_some(n)
}

/// `MemTotal:  24554972 kB` from `/proc/meminfo`.
fn mem_total(s: &str) -> Option<u64> {
    let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kb.checked_mul(KIB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_table() {
        // (memory, workers, body budget)
        let cases = [
            (64 * MIB, 256, 16 * MIB),
            (128 * MIB, 512, 32 * MIB),
            (256 * MIB, 1024, 64 * MIB),
            (3 * 1024 * MIB, 1024, 768 * MIB),
            (1, 16, MIB),
        ];
        for (mem, workers, budget) in cases {
            let d = derive(mem);
            assert_eq!((d.workers, d.body_budget), (workers, budget), "{mem}");
        }
        // On 128 MB, every worker holding a full head buffer plus the whole body budget
        // stays under half of memory.
        let d = derive(128 * MIB);
        assert!(d.workers as u64 * 32 * KIB + d.body_budget <= 64 * MIB);
    }

    #[test]
    fn parsers_table() {
        assert_eq!(from_megabytes("128"), Some(128 * MIB));
        assert_eq!(from_megabytes(" 3072 "), Some(3072 * MIB));
        assert_eq!(from_megabytes("0"), None);
        assert_eq!(from_megabytes("12x"), None);
        assert_eq!(from_megabytes("99999999999999999"), None);
        assert_eq!(cgroup_limit("max\n"), None);
        assert_eq!(cgroup_limit("134217728\n"), Some(128 * MIB));
        assert_eq!(cgroup_limit("9223372036854771712\n"), None);
        assert_eq!(
            mem_total("MemTotal:       24554972 kB\nMemFree: 1 kB\n"),
            Some(24554972 * KIB)
        );
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert_eq!(
            limit_files("4:memory:/a/b\n0::/c\n3:cpu:/d\n"),
            [
                "/sys/fs/cgroup/memory/a/b/memory.limit_in_bytes",
                "/sys/fs/cgroup/c/memory.max",
                "/sys/fs/cgroup/memory.max",
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            ]
        );
        assert_eq!(
            limit_files("0::/\n"),
            [
                "/sys/fs/cgroup/memory.max",
                "/sys/fs/cgroup/memory/memory.limit_in_bytes"
            ]
        );
    }
}
