//! The memory rule and its one owner, [`Capacity`]: how much memory the instance has, and
//! the worker cap and request-body budget derived from it, so that the defaults cannot run
//! a 128 MB function out of memory.
//!
//! Sources, first found wins: `--memory`/`FCRT_MEMORY`, then Function Compute's
//! `FC_FUNCTION_MEMORY_SIZE` (MB), then the smaller of the cgroup limit and physical memory
//! (read from `/sys/fs/cgroup` and `/proc/meminfo`, and only when something is left to
//! derive). When the figure was probed, the first request that states the function's memory
//! (`x-fc-function-memory`) lowers the derived limits once if it is smaller. The derivation
//! itself ([`derive`]) is a pure function; explicit `--max-workers` and `--body-budget`
//! always win over it.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Config, Setting};
use crate::http::{Headers, Limits};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// Where the memory figure came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemorySource {
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
pub(crate) struct Memory {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure came from.
    pub source: MemorySource,
}

/// What [`derive`] makes of a memory size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Derived {
    /// Most worker threads.
    pub workers: usize,
    /// Most request-body bytes in flight over all requests.
    pub body_budget: u64,
}

/// A quarter of memory for request bodies in flight (the handler's copy and its answer take
/// more), and one worker per 256 KiB: a worker's worst case of head buffer (32 KiB) plus the
/// stack it touches stays within another quarter. 16 to 1,024 workers.
pub(crate) fn derive(memory: u64) -> Derived {
    Derived {
        workers: (memory / (256 * KIB)).clamp(16, 1024) as usize,
        body_budget: (memory / 4).max(MIB),
    }
}

/// Megabytes as Function Compute states them (`FC_FUNCTION_MEMORY_SIZE`,
/// `x-fc-function-memory`): a plain decimal number.
pub(crate) fn megabytes(v: &str) -> Option<u64> {
    v.trim().parse().ok()
}

/// [`megabytes`] in bytes; `None` for zero or an overflow.
pub(crate) fn from_megabytes(v: &str) -> Option<u64> {
    megabytes(v)?.checked_mul(MIB).filter(|&b| b > 0)
}

/// The memory Function Compute states for the instance (`FC_FUNCTION_MEMORY_SIZE`), in
/// bytes: one environment read.
pub(crate) fn platform() -> Option<u64> {
    std::env::var("FC_FUNCTION_MEMORY_SIZE")
        .ok()
        .as_deref()
        .and_then(from_megabytes)
}

/// Reads the cgroup limit and physical memory; the smaller wins.
///
/// This is on the cold-start path of every instance that is not told its memory, so it
/// costs three small reads: one `read` each of `/proc/self/cgroup`, the first limit file
/// that exists (it decides, limited or not), and the head of `/proc/meminfo`.
pub(crate) fn probe_files() -> Memory {
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

/// The instance's capacity, resolved once at start: its memory, the worker cap and body
/// budget (derived where `Auto`), and whether a smaller `x-fc-function-memory` on the first
/// request that carries one may still lower the derived ones.
#[derive(Debug)]
pub(crate) struct Capacity {
    /// The figure and its source; `None` when nothing needed it (all given).
    pub memory: Option<Memory>,
    /// Most worker threads.
    pub workers: usize,
    /// Most request-body bytes in flight.
    pub body_budget: u64,
    /// Which derived limits follow the header: (workers, budget); none when memory was
    /// given or stated by the platform.
    lower: (bool, bool),
    /// Still waiting for the first request with `x-fc-function-memory`.
    pending: AtomicBool,
}

/// What the header lowered: the new memory and the limits that changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lowered {
    pub memory: u64,
    pub workers: Option<usize>,
    pub body_budget: Option<u64>,
}

impl Capacity {
    /// Resolves `config`'s capacity: memory given, else what the platform states
    /// (`platform`, in bytes), else `probe` — called only when something is left to derive.
    pub(crate) fn resolve(
        config: &Config,
        platform: Option<u64>,
        probe: impl FnOnce() -> Memory,
    ) -> Capacity {
        let auto = (
            config.max_workers == Setting::Auto,
            config.body_budget == Setting::Auto,
        );
        let memory = match (config.memory, platform) {
            (Setting::Fixed(bytes), _) => Some(Memory {
                bytes,
                source: MemorySource::Flag,
            }),
            (Setting::Auto, Some(bytes)) => Some(Memory {
                bytes,
                source: MemorySource::Platform,
            }),
            (Setting::Auto, None) if auto.0 || auto.1 => Some(probe()),
            (Setting::Auto, None) => None,
        };
        let d = derive(memory.map_or(0, |m| m.bytes));
        let probed = memory.is_some_and(|m| {
            matches!(
                m.source,
                MemorySource::Cgroup | MemorySource::Physical | MemorySource::Fallback
            )
        });
        let lower = if probed { auto } else { (false, false) };
        Capacity {
            memory,
            workers: match config.max_workers {
                Setting::Fixed(n) => n,
                Setting::Auto => d.workers,
            },
            body_budget: match config.body_budget {
                Setting::Fixed(n) => n,
                Setting::Auto => d.body_budget,
            },
            lower,
            pending: AtomicBool::new(lower.0 || lower.1),
        }
    }

    /// The body limit in force: `limits.max_body`, never above the body budget.
    pub(crate) fn max_body(&self, limits: &Limits) -> u64 {
        limits.max_body.min(self.body_budget)
    }

    /// `128MiB (FC_FUNCTION_MEMORY_SIZE)`, for the start-up line.
    pub(crate) fn memory_text(&self) -> String {
        match self.memory {
            Some(m) => format!("{}MiB ({})", m.bytes >> 20, m.source),
            None => "unread (workers and body budget given)".into(),
        }
    }

    /// True until the first request carrying `x-fc-function-memory` was seen (when that can
    /// still change anything). One relaxed load: this is on every request.
    pub(crate) fn awaiting_header(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }

    /// Takes the first `x-fc-function-memory` seen: the derived limits it lowers, if it is
    /// smaller than the probed figure. Later calls answer `None`.
    pub(crate) fn lower_to(&self, headers: &Headers) -> Option<Lowered> {
        let v = headers.get("x-fc-function-memory")?;
        if !self.pending.swap(false, Ordering::Relaxed) {
            return None;
        }
        let probed = self.memory.map_or(u64::MAX, |m| m.bytes);
        let bytes = from_megabytes(v).filter(|&b| b < probed)?;
        let d = derive(bytes);
        Some(Lowered {
            memory: bytes,
            workers: self.lower.0.then_some(d.workers),
            body_budget: self.lower.1.then_some(d.body_budget),
        })
    }
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

    #[test]
    fn capacity_lowers_once_and_only_what_it_derived() {
        let probed = || Memory {
            bytes: 1024 * MIB,
            source: MemorySource::Physical,
        };
        let header = |mb: &str| -> Headers { [("x-fc-function-memory", mb)].into_iter().collect() };
        // (workers, budget settings, header, lowered)
        type Row = (Setting<usize>, Setting<u64>, &'static str, Option<Lowered>);
        let cases: &[Row] = &[
            (
                Setting::Auto,
                Setting::Auto,
                "128",
                Some(Lowered {
                    memory: 128 * MIB,
                    workers: Some(512),
                    body_budget: Some(32 * MIB),
                }),
            ),
            (
                Setting::Fixed(7),
                Setting::Auto,
                "128",
                Some(Lowered {
                    memory: 128 * MIB,
                    workers: None,
                    body_budget: Some(32 * MIB),
                }),
            ),
            (Setting::Auto, Setting::Auto, "2048", None),
            (Setting::Auto, Setting::Auto, "lots", None),
        ];
        for &(w, b, mb, want) in cases {
            let config = Config {
                max_workers: w,
                body_budget: b,
                ..Config::default()
            };
            let c = Capacity::resolve(&config, None, probed);
            assert!(c.awaiting_header());
            assert_eq!(
                c.lower_to(&Headers::new()),
                None,
                "no header: still waiting"
            );
            assert_eq!(c.lower_to(&header(mb)), want, "{mb}");
            assert!(!c.awaiting_header());
            assert_eq!(c.lower_to(&header("64")), None, "only once");
        }
        // Memory the platform stated is not second-guessed by the header.
        let c = Capacity::resolve(&Config::default(), Some(1024 * MIB), || panic!("probed"));
        assert!(!c.awaiting_header());
        assert_eq!(c.lower_to(&header("128")), None);
    }
}
