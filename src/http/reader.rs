//! [`ConnReader`]: the one read buffer of a connection, shared by head parsing, body
//! decoding and pipelining, plus the [`Transport`] trait that lets it set read timeouts.
//!
//! It holds bytes that arrived but were not yet consumed (the rest of a head, the start of a
//! body, a pipelined next request) so nothing is lost between requests. It grows on demand up
//! to a fixed cap and never beyond. It also holds the one loop that reads a message head
//! (the server's requests and the client's answers alike) under its waits: for the first
//! byte, then for the whole head. It parses nothing itself: the caller passes the parser.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use super::error::HttpError;
use super::pace::tenths_up;

/// A byte source whose read timeout can be changed between reads.
///
/// Implemented for `&TcpStream` by the server and by in-memory sources in tests, which is
/// what keeps this layer free of sockets.
pub trait Transport: Read {
    /// Sets the timeout for subsequent reads (`None`: block indefinitely).
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
}

impl Transport for &std::net::TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        std::net::TcpStream::set_read_timeout(self, timeout)
    }
}

impl Transport for std::net::TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        std::net::TcpStream::set_read_timeout(self, timeout)
    }
}

impl Transport for &[u8] {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

/// Initial buffer size; heads larger than this grow it up to the cap.
const INITIAL: usize = 8 * 1024;

/// A bounded read buffer over a [`Transport`].
pub struct ConnReader<T> {
    inner: T,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    cap: usize,
    /// The timeout in force on the transport (`None`: never set).
    timeout: Option<Option<Duration>>,
    /// The timeout wanted for the next transport read.
    wanted: Option<Duration>,
}

impl<T: Transport> ConnReader<T> {
    /// A reader whose buffer never exceeds `cap` bytes (at least 4 KiB).
    pub fn new(inner: T, cap: usize) -> ConnReader<T> {
        Self::resume(inner, Vec::new(), cap, None)
    }

    /// A reader that reuses `buf` (left by [`ConnReader::recycle`]) and knows the read
    /// timeout already in force on `inner` (`None`: unknown), so a connection served in
    /// turns costs no allocation and no repeated `setsockopt`.
    pub fn resume(
        inner: T,
        mut buf: Vec<u8>,
        cap: usize,
        in_force: Option<Option<Duration>>,
    ) -> ConnReader<T> {
        let cap = cap.max(4096);
        let len = buf.len().clamp(INITIAL.min(cap), cap);
        buf.resize(len, 0);
        ConnReader {
            inner,
            buf,
            start: 0,
            end: 0,
            cap,
            timeout: in_force,
            wanted: None,
        }
    }

    /// Ends the reader, keeping its buffer (its bytes are dropped) and the read timeout in
    /// force on the transport, for [`ConnReader::resume`].
    pub fn recycle(self) -> (Vec<u8>, Option<Option<Duration>>) {
        (self.buf, self.timeout)
    }

    /// Bytes received and not yet consumed.
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks `n` buffered bytes as consumed.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// The transport this reads from.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The transport and the bytes received but not consumed (a switched protocol's first).
    pub fn into_parts(self) -> (T, Vec<u8>) {
        let rest = self.buf[self.start..self.end].to_vec();
        (self.inner, rest)
    }

    /// Sets the timeout for the next read from the transport. Applied lazily, just before
    /// such a read and only if it differs from the one in force, so an exchange served from
    /// buffered bytes costs no system call.
    pub fn set_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.wanted = t;
        Ok(())
    }

    fn apply_timeout(&mut self) -> io::Result<()> {
        if self.timeout != Some(self.wanted) {
            self.inner.set_read_timeout(self.wanted)?;
            self.timeout = Some(self.wanted);
        }
        Ok(())
    }

    /// Reads more bytes after the buffered ones, moving or growing the buffer as needed.
    /// Returns the number read (0 at end of stream). Errors with `OutOfMemory`-free
    /// `InvalidInput` when the buffered bytes already fill the cap.
    pub fn fill_more(&mut self) -> io::Result<usize> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < self.cap {
                let new = (self.buf.len() * 2).min(self.cap);
                self.buf.resize(new, 0);
            } else {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "buffer full"));
            }
        }
        self.apply_timeout()?;
        let n = self.inner.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// Reads into `out`, from the buffer first, else straight from the transport.
    /// At most `limit` bytes.
    pub fn read_limited(&mut self, out: &mut [u8], limit: usize) -> io::Result<usize> {
        let want = out.len().min(limit);
        if want == 0 {
            return Ok(0);
        }
        if self.start < self.end {
            let n = want.min(self.end - self.start);
            out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
            self.consume(n);
            return Ok(n);
        }
        self.apply_timeout()?;
        self.inner.read(&mut out[..want])
    }
}

/// How long [`ConnReader::read_head`] waits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeadWait {
    /// For the first byte (`None`: forever). Past it the peer is idle, not late.
    pub idle: Option<Duration>,
    /// For the whole head once its first byte arrived.
    pub head: Duration,
    /// A deadline over both, if any.
    pub until: Option<Instant>,
}

/// How a head read ended without a head.
#[derive(Debug)]
pub(crate) enum HeadFail {
    /// The peer closed before sending a byte of it.
    Closed,
    /// No byte arrived within the idle wait.
    Idle,
    /// The head started but did not complete in time.
    Timeout,
    /// The peer closed in the middle of the head.
    Cut,
    /// The head filled the buffer's cap without completing.
    Full,
    /// The parser refused it.
    Parse(HttpError),
    /// The transport failed.
    Io(io::Error),
}

impl<T: Transport> ConnReader<T> {
    /// Reads until `parse` finds a complete head at the start of the buffer, then consumes
    /// it. `first_byte` is told when the head's first byte is seen (it may already be
    /// buffered). Verdicts depend only on the bytes, never on how they were split.
    pub(crate) fn read_head<H>(
        &mut self,
        wait: HeadWait,
        mut parse: impl FnMut(&[u8]) -> Result<Option<(H, usize)>, HttpError>,
        mut first_byte: impl FnMut(Instant),
    ) -> Result<H, HeadFail> {
        let mut deadline: Option<Instant> = None;
        loop {
            if !self.buffered().is_empty() {
                match parse(self.buffered()) {
                    Ok(Some((h, n))) => {
                        self.consume(n);
                        return Ok(h);
                    }
                    Ok(None) => {}
                    Err(e) => return Err(HeadFail::Parse(e)),
                }
                let now = Instant::now();
                let d = *deadline.get_or_insert_with(|| {
                    first_byte(now);
                    match (now.checked_add(wait.head), wait.until) {
                        (Some(d), Some(u)) => d.min(u),
                        (Some(d), None) => d,
                        (None, Some(u)) => u,
                        // A head wait too long to represent: a year is as good as forever.
                        (None, None) => now + Duration::from_secs(365 * 86400),
                    }
                });
                if now >= d {
                    return Err(HeadFail::Timeout);
                }
                self.set_timeout(Some(d - now)).map_err(HeadFail::Io)?;
            } else {
                let idle = match wait.until {
                    Some(u) => {
                        let left = u.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(HeadFail::Idle);
                        }
                        // Rounded up: the deadline is checked again after each read.
                        Some(tenths_up(wait.idle.map_or(left, |i| i.min(left))))
                    }
                    None => wait.idle,
                };
                self.set_timeout(idle).map_err(HeadFail::Io)?;
            }
            match self.fill_more() {
                Ok(0) if deadline.is_none() => return Err(HeadFail::Closed),
                Ok(0) => return Err(HeadFail::Cut),
                Ok(_) => {}
                Err(e) if is_timeout(&e) && deadline.is_some() => return Err(HeadFail::Timeout),
                Err(e) if is_timeout(&e) => return Err(HeadFail::Idle),
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Err(HeadFail::Full),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(HeadFail::Io(e)),
            }
        }
    }
}

/// True for the errors a socket read or write timeout produces.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_grows_to_cap_and_no_further() {
        let data = vec![7u8; 20_000];
        let mut r = ConnReader::new(&data[..], 10_000);
        let mut total = 0;
        loop {
            match r.fill_more() {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
                    break;
                }
            }
        }
        assert_eq!(total, 10_000);
        assert_eq!(r.buffered().len(), 10_000);
        r.consume(9_000);
        assert!(r.fill_more().unwrap() > 0, "compaction frees room");
    }

    /// Counts `set_read_timeout` calls.
    struct Counting<'a>(&'a [u8], usize);

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Transport for Counting<'_> {
        fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
            self.1 += 1;
            Ok(())
        }
    }

    #[test]
    fn timeouts_reach_the_transport_only_before_real_reads() {
        let mut r = ConnReader::new(Counting(b"abcdef", 0), 4096);
        let (a, b) = (Some(Duration::from_secs(1)), Some(Duration::from_secs(2)));
        r.set_timeout(a).unwrap();
        r.fill_more().unwrap(); // applies a
        r.set_timeout(b).unwrap();
        let mut out = [0u8; 3];
        r.read_limited(&mut out, 3).unwrap(); // served from the buffer: b not applied
        r.set_timeout(a).unwrap();
        r.read_limited(&mut out, 3).unwrap();
        assert_eq!(r.get_ref().1, 1, "only one set_read_timeout");
        r.set_timeout(b).unwrap();
        r.fill_more().unwrap(); // a real read with a new timeout
        assert_eq!(r.get_ref().1, 2);
    }

    /// A transport that yields its bytes a few at a time.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    impl Transport for Dribble<'_> {
        fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn read_head_table() {
        // Finds the blank line; a head split into 3-byte reads; waits that cannot be
        // represented as instants (a client's "no head limit, only the call's deadline").
        let parse = |b: &[u8]| -> Result<Option<(usize, usize)>, HttpError> {
            Ok(b.windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| (i, i + 4)))
        };
        let waits = [
            HeadWait {
                idle: None,
                head: Duration::MAX,
                until: None,
            },
            HeadWait {
                idle: None,
                head: Duration::MAX,
                until: Some(Instant::now() + Duration::from_secs(5)),
            },
            HeadWait {
                idle: Some(Duration::from_secs(1)),
                head: Duration::from_secs(1),
                until: None,
            },
        ];
        for wait in waits {
            let mut r = ConnReader::new(Dribble(b"HEAD ME\r\n\r\nrest", 3), 4096);
            let mut first = 0;
            let got = r.read_head(wait, parse, |_| first += 1).unwrap();
            assert_eq!((got, first, r.buffered()), (7, 1, &b"r"[..]), "{wait:?}");
        }
        // (input, outcome)
        let fails: &[(&[u8], &str)] = &[(b"", "Closed"), (b"HEAD", "Cut")];
        for &(wire, want) in fails {
            let mut r = ConnReader::new(Dribble(wire, 3), 4096);
            let e = r.read_head(waits[0], parse, |_| {}).unwrap_err();
            assert_eq!(format!("{e:?}"), want);
        }
        let mut r = ConnReader::new(&[b'x'; 5000][..], 4096);
        let e = r.read_head(waits[0], parse, |_| {}).unwrap_err();
        assert!(matches!(e, HeadFail::Full), "{e:?}");
    }

    #[test]
    fn a_resumed_reader_keeps_the_buffer_and_the_timeout_in_force() {
        let t = Some(Duration::from_secs(1));
        let mut r = ConnReader::new(Counting(b"abc", 0), 4096);
        r.set_timeout(t).unwrap();
        r.fill_more().unwrap();
        let ptr = r.buffered().as_ptr();
        let (buf, in_force) = r.recycle();
        assert_eq!(in_force, Some(t));
        let mut r = ConnReader::resume(Counting(b"def", 0), buf, 4096, in_force);
        r.set_timeout(t).unwrap();
        r.fill_more().unwrap();
        assert_eq!(
            (r.buffered(), r.get_ref().1),
            (&b"def"[..], 0),
            "no second setsockopt"
        );
        assert_eq!(r.buffered().as_ptr(), ptr, "the same buffer");
    }

    #[test]
    fn read_limited_prefers_buffer() {
        let data = b"abcdef";
        let mut r = ConnReader::new(&data[..], 4096);
        r.fill_more().unwrap();
        r.consume(2);
        let mut out = [0u8; 8];
        assert_eq!(r.read_limited(&mut out, 3).unwrap(), 3);
        assert_eq!(&out[..3], b"cde");
        assert_eq!(r.read_limited(&mut out, 8).unwrap(), 1);
        assert_eq!(r.read_limited(&mut out, 8).unwrap(), 0);
    }
}
