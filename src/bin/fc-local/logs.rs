//! The function's output: every line it writes to stdout or stderr, timestamped and numbered,
//! kept in a bounded book so a call can find its own lines afterwards.
//!
//! A request's lines are the ones between its `FC Invoke Start/End RequestId: <id>` markers
//! when the function prints them (exact with concurrent calls), otherwise the ones that
//! arrived while the call was in flight. The pump threads only read and store; they never
//! interpret.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lines kept (oldest dropped first).
const MAX_LINES: usize = 20_000;
/// Bytes of line text kept.
const MAX_BYTES: usize = 8 << 20;
/// A longer line is cut into pieces of this size.
const MAX_LINE: usize = 64 << 10;

/// One line of function output.
#[derive(Clone)]
pub struct Line {
    pub seq: u64,
    pub text: String,
}

struct Inner {
    lines: VecDeque<Line>,
    next: u64,
    bytes: usize,
    /// Whether the function prints invoke markers, as far as seen.
    markers: Markers,
}

/// What the book knows about the function's marker lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Markers {
    /// No call judged yet: wait for a marker once.
    Unknown,
    /// It prints them: wait for each call's (it may trail the answer in the pipe).
    Seen,
    /// A call went by without one: do not wait again.
    Absent,
}

/// All output of one function instance.
pub struct LogBook {
    inner: Mutex<Inner>,
    cv: Condvar,
    echo: bool,
}

impl LogBook {
    /// `echo`: also copy each line to our stderr as it arrives.
    pub fn new(echo: bool) -> Arc<LogBook> {
        Arc::new(LogBook {
            inner: Mutex::new(Inner {
                lines: VecDeque::new(),
                next: 0,
                bytes: 0,
                markers: Markers::Unknown,
            }),
            cv: Condvar::new(),
            echo,
        })
    }

    /// Stores one line (without its line ending).
    pub fn push(&self, text: String) {
        if self.echo {
            crate::util::say(&text);
        }
        let mut g = self.inner.lock().unwrap();
        let seq = g.next;
        g.next += 1;
        g.bytes += text.len();
        if text.starts_with("FC Invoke Start RequestId: ") {
            g.markers = Markers::Seen;
        }
        g.lines.push_back(Line { seq, text });
        while g.lines.len() > MAX_LINES || g.bytes > MAX_BYTES {
            let Some(old) = g.lines.pop_front() else {
                break;
            };
            g.bytes -= old.text.len();
        }
        drop(g);
        self.cv.notify_all();
    }

    /// The number the next line will get.
    pub fn next_seq(&self) -> u64 {
        self.inner.lock().unwrap().next
    }

    /// Lines numbered `from..to`.
    pub fn range(&self, from: u64, to: u64) -> Vec<Line> {
        let g = self.inner.lock().unwrap();
        g.lines
            .iter()
            .filter(|l| l.seq >= from && l.seq < to)
            .cloned()
            .collect()
    }

    /// The last `n` lines' text.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let g = self.inner.lock().unwrap();
        let skip = g.lines.len().saturating_sub(n);
        g.lines.iter().skip(skip).map(|l| l.text.clone()).collect()
    }

    /// Waits up to `limit` for a line equal to `exact` numbered `from` or later.
    pub fn wait_for(&self, exact: &str, from: u64, limit: Duration) -> Option<Line> {
        let end = Instant::now() + limit;
        let mut g = self.inner.lock().unwrap();
        loop {
            if let Some(l) = g.lines.iter().find(|l| l.seq >= from && l.text == exact) {
                return Some(l.clone());
            }
            let now = Instant::now();
            if now >= end {
                return None;
            }
            g = self.cv.wait_timeout(g, end - now).unwrap().0;
        }
    }

    /// Lines before the one equal to `exact` (none when there is no such line).
    pub fn before(&self, exact: &str) -> Vec<String> {
        let g = self.inner.lock().unwrap();
        match g.lines.iter().position(|l| l.text == exact) {
            Some(i) => g.lines.iter().take(i).map(|l| l.text.clone()).collect(),
            None => Vec::new(),
        }
    }

    /// The lines of request `id`: between its invoke markers when it prints them (waiting
    /// briefly for lines still in the pipe), else lines `from..to`.
    pub fn for_request(&self, kind: &str, id: &str, from: u64, to: u64) -> Vec<String> {
        let start = format!("FC {kind} Start RequestId: {id}");
        let end = format!("FC {kind} End RequestId: {id}");
        let markers = self.inner.lock().unwrap().markers;
        let wait = Duration::from_millis(if markers == Markers::Absent { 0 } else { 200 });
        let Some(first) = self.wait_for(&start, from, wait) else {
            let mut g = self.inner.lock().unwrap();
            if g.markers == Markers::Unknown {
                g.markers = Markers::Absent;
            }
            drop(g);
            return self.range(from, to).into_iter().map(|l| l.text).collect();
        };
        let last = self
            .wait_for(&end, first.seq, Duration::from_millis(200))
            .map_or(u64::MAX, |l| l.seq + 1);
        self.range(first.seq, last)
            .into_iter()
            .map(|l| l.text)
            .collect()
    }
}

/// Reads `src` line by line into `book` until it ends.
pub fn pump(src: impl Read + Send + 'static, book: Arc<LogBook>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = BufReader::new(src);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.by_ref().take(MAX_LINE as u64).read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    while matches!(buf.last(), Some(b'\n' | b'\r')) {
                        buf.pop();
                    }
                    book.push(String::from_utf8_lossy(&buf).into_owned());
                }
            }
        }
    })
}

/// The last `max` bytes of `lines` joined with newlines (FC's `X-Fc-Log-Result` window),
/// cut at a line start where possible.
pub fn last_bytes(lines: &[String], max: usize) -> Vec<u8> {
    let mut all = lines.join("\n").into_bytes();
    if !all.is_empty() {
        all.push(b'\n');
    }
    if all.len() <= max {
        return all;
    }
    let cut = all.len() - max;
    let start = all[cut..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(cut, |p| cut + p + 1);
    let start = if start >= all.len() { cut } else { start };
    all.split_off(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(lines: &[&str]) -> Arc<LogBook> {
        let b = LogBook::new(false);
        for l in lines {
            b.push(l.to_string());
        }
        b
    }

    #[test]
    fn request_lines_table() {
        let b = book(&[
            "boot",
            "FC Invoke Start RequestId: a",
            "FC Invoke Start RequestId: b",
            "a says hi",
            "FC Invoke End RequestId: a",
            "b says hi",
            "FC Invoke End RequestId: b",
            "after",
        ]);
        // (id, from, to, expected lines)
        let cases: &[(&str, u64, u64, &[&str])] = &[
            (
                "a",
                0,
                8,
                &[
                    "FC Invoke Start RequestId: a",
                    "FC Invoke Start RequestId: b",
                    "a says hi",
                    "FC Invoke End RequestId: a",
                ],
            ),
            (
                "b",
                2,
                8,
                &[
                    "FC Invoke Start RequestId: b",
                    "a says hi",
                    "FC Invoke End RequestId: a",
                    "b says hi",
                    "FC Invoke End RequestId: b",
                ],
            ),
            // No markers for this id: the window.
            ("c", 7, 8, &["after"]),
        ];
        for &(id, from, to, want) in cases {
            assert_eq!(b.for_request("Invoke", id, from, to), want, "{id}");
        }
    }

    #[test]
    fn last_bytes_cuts_at_a_line() {
        let lines: Vec<String> = vec!["aaaa".into(), "bb".into(), "c".into()];
        assert_eq!(last_bytes(&lines, 100), b"aaaa\nbb\nc\n");
        assert_eq!(last_bytes(&lines, 6), b"bb\nc\n");
        assert_eq!(last_bytes(&lines, 3), b"c\n");
        assert_eq!(last_bytes(&[], 10), b"");
    }

    #[test]
    fn book_is_bounded() {
        let b = LogBook::new(false);
        for i in 0..MAX_LINES + 10 {
            b.push(i.to_string());
        }
        assert_eq!(b.tail(usize::MAX).len(), MAX_LINES);
        assert_eq!(b.tail(1), vec![(MAX_LINES + 9).to_string()]);
    }
}
