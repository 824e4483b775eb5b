//! Body decoding for both directions: `Content-Length`, strict `chunked` and (answers
//! only) close-delimited, bounded by a byte limit and optionally a shared budget, with the
//! interim `100 Continue` sent on the first read of a request body and never before.
//!
//! The decoder never reads a byte past the framed end of the body, so the next pipelined
//! request stays intact in the [`ConnReader`]. Unlike `httparse::parse_chunk_size` alone it
//! rejects an empty chunk-size line, caps every chunk against the remaining budget before
//! reading it, demands CRLF after each chunk's data and bounds extensions and trailers.
//! The first failure is recorded in [`BodyState`] so the connection loop answers with it.

use std::io::{self, Read, Write};

use super::chunk::{chunk_size, valid_trailer};
use super::error::HttpError;
use super::reader::{is_timeout, ConnReader, Transport};

mod state;
pub use state::BodyState;
use state::Phase;

/// Longest chunk-size line, extensions included.
const MAX_CHUNK_LINE: usize = 2048;
/// Most trailer bytes in all.
const MAX_TRAILERS: usize = 8 * 1024;
/// The interim response for `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// A `Read` over one request body.
pub struct BodyReader<'a, 'b, T> {
    src: &'a mut ConnReader<T>,
    st: &'a mut BodyState<'b>,
    interim: Option<&'a mut dyn Write>,
}

impl<'a, 'b, T: Transport> BodyReader<'a, 'b, T> {
    /// A reader over the body whose state is `st`; `interim` receives `100 Continue`.
    pub fn new(
        src: &'a mut ConnReader<T>,
        st: &'a mut BodyState<'b>,
        interim: Option<&'a mut dyn Write>,
    ) -> Self {
        BodyReader { src, st, interim }
    }

    /// Reads and discards up to `max` more body bytes. `Ok(true)` when the body is done.
    pub fn drain(&mut self, max: u64) -> io::Result<bool> {
        if self.st.is_done() {
            return Ok(true);
        }
        self.discard(max)
    }

    /// The loop of [`BodyReader::drain`], apart: its 8 KiB buffer is then on the stack only
    /// when a body is left unread, not in the frame of every connection loop (a fresh
    /// worker's first request would touch, and fault in, two more stack pages).
    #[inline(never)]
    fn discard(&mut self, max: u64) -> io::Result<bool> {
        let mut scratch = [0u8; 8192];
        let mut left = max;
        while !self.st.is_done() {
            if left == 0 {
                return Ok(false);
            }
            let want = scratch.len().min(left.try_into().unwrap_or(usize::MAX));
            let n = self.read(&mut scratch[..want])?;
            if n == 0 && !self.st.is_done() {
                return Ok(false);
            }
            left -= n as u64;
        }
        Ok(true)
    }

    fn step(&mut self, buf: &mut [u8]) -> Result<usize, Fail> {
        loop {
            match self.st.phase {
                Phase::Done => return Ok(0),
                Phase::Length(left) => {
                    let n = self.data(buf, left)?;
                    self.st.phase = if left == n as u64 {
                        Phase::Done
                    } else {
                        Phase::Length(left - n as u64)
                    };
                    return Ok(n);
                }
                Phase::UntilClose => {
                    let room = self.st.limit - self.st.decoded;
                    // One byte past the limit tells "too large" from "exactly the limit".
                    let want = buf
                        .len()
                        .min(room.saturating_add(1).try_into().unwrap_or(usize::MAX));
                    let n = self.src.read_limited(&mut buf[..want], want)?;
                    if n == 0 {
                        self.st.phase = Phase::Done;
                        return Ok(0);
                    }
                    if n as u64 > room {
                        return Err(Fail::Http(HttpError::BodyTooLarge));
                    }
                    self.st.decoded += n as u64;
                    return Ok(n);
                }
                Phase::ChunkData(left) => {
                    let n = self.data(buf, left)?;
                    self.st.phase = if left == n as u64 {
                        Phase::ChunkEnd
                    } else {
                        Phase::ChunkData(left - n as u64)
                    };
                    return Ok(n);
                }
                Phase::ChunkSize => {
                    let len = self.line(MAX_CHUNK_LINE)?;
                    let size = chunk_size(&self.src.buffered()[..len - 2]).map_err(Fail::Http)?;
                    self.src.consume(len);
                    if size > self.st.limit - self.st.decoded {
                        return Err(Fail::Http(HttpError::BodyTooLarge));
                    }
                    self.st.reserve(size).map_err(Fail::Http)?;
                    self.st.phase = match size {
                        0 => Phase::Trailers(0),
                        n => Phase::ChunkData(n),
                    };
                }
                Phase::ChunkEnd => {
                    while self.src.buffered().len() < 2 {
                        if self.src.fill_more()? == 0 {
                            return Err(Fail::Http(HttpError::Truncated));
                        }
                    }
                    if &self.src.buffered()[..2] != b"\r\n" {
                        return Err(Fail::Http(HttpError::BadChunk("missing CRLF after chunk")));
                    }
                    self.src.consume(2);
                    self.st.phase = Phase::ChunkSize;
                }
                Phase::Trailers(seen) => {
                    let len = self.line(MAX_TRAILERS - seen)?;
                    let line = &self.src.buffered()[..len - 2];
                    if !line.is_empty() && !valid_trailer(line) {
                        return Err(Fail::Http(HttpError::BadChunk("malformed trailer field")));
                    }
                    let empty = line.is_empty();
                    self.src.consume(len);
                    self.st.phase = if empty {
                        Phase::Done
                    } else {
                        Phase::Trailers(seen + len)
                    };
                }
            }
        }
    }

    /// Reads up to `left` body bytes into `buf`.
    fn data(&mut self, buf: &mut [u8], left: u64) -> Result<usize, Fail> {
        let limit = left.try_into().unwrap_or(usize::MAX);
        let n = self.src.read_limited(buf, limit)?;
        if n == 0 {
            return Err(Fail::Http(HttpError::Truncated));
        }
        self.st.decoded += n as u64;
        Ok(n)
    }

    /// Waits for a CRLF-terminated line of at most `max` bytes at the front of the buffer;
    /// returns its length including the CRLF.
    fn line(&mut self, max: usize) -> Result<usize, Fail> {
        let mut scanned = 0;
        loop {
            let buf = self.src.buffered();
            if let Some(i) = buf[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + i;
                if end + 1 > max {
                    return Err(Fail::Http(HttpError::BadChunk("chunk line too long")));
                }
                if end == 0 || buf[end - 1] != b'\r' {
                    return Err(Fail::Http(HttpError::BadChunk("chunk line without CRLF")));
                }
                return Ok(end + 1);
            }
            scanned = buf.len();
            if scanned >= max {
                return Err(Fail::Http(HttpError::BadChunk("chunk line too long")));
            }
            if self.src.fill_more()? == 0 {
                return Err(Fail::Http(HttpError::Truncated));
            }
        }
    }
}

impl<T: Transport> Read for BodyReader<'_, '_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.st.error {
            return Err(to_io(e));
        }
        if self.st.is_done() || buf.is_empty() {
            return Ok(0);
        }
        if self.st.continue_pending {
            if let Some(w) = self.interim.as_mut() {
                w.write_all(CONTINUE)?;
                w.flush()?;
            }
            self.st.continue_pending = false;
        }
        let Ok(timeout) = self.st.pace.timeout(self.st.timeout) else {
            let e = HttpError::BodyTimeout;
            self.st.error = Some(e);
            return Err(to_io(e));
        };
        self.src.set_timeout(timeout)?;
        match self.step(buf) {
            Ok(n) => {
                self.st.pace.add(n);
                Ok(n)
            }
            Err(f) => {
                let e = match f {
                    Fail::Http(e) => e,
                    Fail::Io(e) if is_timeout(&e) => HttpError::BodyTimeout,
                    Fail::Io(_) => HttpError::Truncated,
                };
                self.st.error = Some(e);
                Err(to_io(e))
            }
        }
    }
}

enum Fail {
    Http(HttpError),
    Io(io::Error),
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Io(e)
    }
}

fn to_io(e: HttpError) -> io::Error {
    let kind = match e {
        HttpError::BodyTimeout => io::ErrorKind::TimedOut,
        HttpError::Truncated => io::ErrorKind::UnexpectedEof,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::framing::Framing;
    use std::time::Duration;

    /// Decodes `wire` as a body of `framing` with a budget of `limit`; returns the decoded
    /// bytes or the error, and what is left in the buffer.
    fn decode(wire: &[u8], framing: Framing, limit: u64) -> (Result<Vec<u8>, HttpError>, Vec<u8>) {
        let mut src = ConnReader::new(wire, 4096);
        let mut st = BodyState::new(framing, limit, false, Duration::ZERO);
        let mut out = Vec::new();
        let r = BodyReader::new(&mut src, &mut st, None).read_to_end(&mut out);
        let res = match r {
            Ok(_) => Ok(out),
            Err(_) => Err(st.error().expect("error recorded")),
        };
        let rest = [src.buffered(), src.get_ref()].concat();
        (res, rest)
    }

    /// Yields one byte per read, sleeping `gap` before each.
    struct Trickle(&'static [u8], Duration);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            std::thread::sleep(self.1);
            match (self.0.split_first(), buf.is_empty()) {
                (Some((&b, rest)), false) => {
                    buf[0] = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    impl Transport for Trickle {
        fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn min_rate_table() {
        // (byte gap, min rate, outcome): 40 bytes, 100 ms grace.
        let cases = [
            (Duration::ZERO, 1000, Ok(40)),
            (Duration::from_millis(10), 0, Ok(40)),
            // 1 byte / 10 ms = 100 B/s: below 1,000 B/s once the grace is over
            (Duration::from_millis(10), 1000, Err(HttpError::BodyTimeout)),
            (Duration::from_millis(5), 50, Ok(40)),
        ];
        for (gap, rate, want) in cases {
            let wire: &'static [u8] = &[b'x'; 40];
            let mut src = ConnReader::new(Trickle(wire, gap), 4096);
            let mut st = BodyState::new(Framing::Length(40), 100, false, Duration::ZERO)
                .with_min_rate(rate, Duration::from_millis(100));
            let mut out = Vec::new();
            let got = BodyReader::new(&mut src, &mut st, None)
                .read_to_end(&mut out)
                .map_err(|_| st.error().unwrap());
            assert_eq!(got, want, "{gap:?} {rate}");
        }
    }

    #[test]
    fn chunked_accepted_table() {
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"5\r\nhello\r\n0\r\n\r\nNEXT", b"hello", b"NEXT"),
            (b"5;ext=1;x\r\nhello\r\n0\r\n\r\n", b"hello", b""),
            (b"5 ;ext\r\nhello\r\n000\r\n\r\n", b"hello", b""),
            (
                b"A\r\n0123456789\r\n1\r\nx\r\n0\r\nT: v\r\nU: w\r\n\r\nGET",
                b"0123456789x",
                b"GET",
            ),
            (b"0\r\n\r\n", b"", b""),
            (b"00000000000000000005\r\nhello\r\n0\r\n\r\n", b"", b""),
        ];
        for (i, &(wire, body, rest)) in cases.iter().enumerate() {
            let (res, left) = decode(wire, Framing::Chunked, 100);
            if i == 5 {
                // more than 16 hex digits is refused as too large, not parsed
                assert_eq!(res, Err(HttpError::BodyTooLarge));
                continue;
            }
            assert_eq!(
                res.as_deref(),
                Ok(body),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
            assert_eq!(left, rest, "{:?}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn chunked_rejected_table() {
        let cases: &[(&[u8], u16)] = &[
            (b"\r\nhello\r\n0\r\n\r\n", 400),       // empty size line
            (b";\r\n\r\n", 400),                    // bare ';' is not size 0
            (b"5\r\nhelloXX0\r\n\r\n", 400),        // no CRLF after data
            (b"5\nhello\r\n0\r\n\r\n", 400),        // bare LF
            (b"5\r\nhel", 400),                     // truncated data
            (b"5\r\nhello\r\n", 400),               // no last chunk
            (b"-5\r\nhello\r\n0\r\n\r\n", 400),     // sign
            (b"0x5\r\nhello\r\n0\r\n\r\n", 400),    // 0x prefix
            (b"5 x\r\nhello\r\n0\r\n\r\n", 400),    // junk after size
            (b"5;\x01\r\nhello\r\n0\r\n\r\n", 400), // control in extension
            (b"1;\r\nx\r\n0\r\n\r\n", 400),         // `;` with no extension name
            (b"1 \r\nx\r\n0\r\n\r\n", 400),         // whitespace not before a `;`
            (b"65\r\n", 413),                       // 101 > budget 100
            (b"ffffffffffffffff\r\n", 413),         // u64::MAX
            (b"0\r\nNoColon\r\n\r\n", 400),         // bad trailer
            (b"0\r\nA\x00: b\r\n\r\n", 400),        // bad trailer name
        ];
        for &(wire, status) in cases {
            let (res, _) = decode(wire, Framing::Chunked, 100);
            let e = res.expect_err(&String::from_utf8_lossy(wire));
            assert_eq!(
                e.status(),
                status,
                "{:?} -> {e:?}",
                String::from_utf8_lossy(wire)
            );
        }
        let long_ext = format!("1;{}\r\nx\r\n0\r\n\r\n", "e".repeat(MAX_CHUNK_LINE));
        let (res, _) = decode(long_ext.as_bytes(), Framing::Chunked, 100);
        assert_eq!(res.unwrap_err().status(), 400);
        let many_trailers = format!("0\r\n{}\r\n", "T: v\r\n".repeat(2000));
        let (res, _) = decode(many_trailers.as_bytes(), Framing::Chunked, 100);
        assert_eq!(res.unwrap_err().status(), 400);
    }

    #[test]
    fn chunked_budget_counts_all_chunks() {
        let (res, _) = decode(b"32\r\n", Framing::Chunked, 60); // 50 fits
        assert_eq!(res.unwrap_err(), HttpError::Truncated);
        let wire = format!("32\r\n{}\r\n32\r\n", "a".repeat(50));
        let (res, _) = decode(wire.as_bytes(), Framing::Chunked, 60); // 50 + 50 > 60
        assert_eq!(res.unwrap_err(), HttpError::BodyTooLarge);
    }

    #[test]
    fn close_delimited_reads_to_the_end_within_the_limit() {
        let (res, _) = decode(b"all of it", Framing::CloseDelimited, 100);
        assert_eq!(res.unwrap(), b"all of it");
        let (res, _) = decode(b"0123456789", Framing::CloseDelimited, 10);
        assert_eq!(res.unwrap(), b"0123456789");
        let (res, _) = decode(b"0123456789x", Framing::CloseDelimited, 10);
        assert_eq!(res.unwrap_err(), HttpError::BodyTooLarge);
    }

    #[test]
    fn length_body_stops_at_its_end() {
        let (res, rest) = decode(b"helloGET /", Framing::Length(5), 100);
        assert_eq!(res.unwrap(), b"hello");
        assert_eq!(rest, b"GET /");
        let (res, _) = decode(b"hel", Framing::Length(5), 100);
        assert_eq!(res.unwrap_err(), HttpError::Truncated);
    }

    #[test]
    fn continue_is_sent_on_first_read_only() {
        let wire = b"abc";
        let mut src = ConnReader::new(&wire[..], 4096);
        let mut st = BodyState::new(Framing::Length(3), 10, true, Duration::ZERO);
        assert!(st.continue_pending());
        let mut sink = Vec::new();
        {
            let mut r = BodyReader::new(&mut src, &mut st, Some(&mut sink));
            let mut b = [0u8; 1];
            r.read_exact(&mut b).unwrap();
            r.read_exact(&mut b).unwrap();
        }
        assert_eq!(sink, CONTINUE);
        assert!(!st.continue_pending());
        // no body -> no interim response ever
        let st = BodyState::new(Framing::None, 10, true, Duration::ZERO);
        assert!(!st.continue_pending());
    }

    #[test]
    fn drain_is_bounded() {
        let wire = vec![b'x'; 5000];
        let mut src = ConnReader::new(&wire[..], 4096);
        let mut st = BodyState::new(Framing::Length(5000), 10_000, false, Duration::ZERO);
        assert!(!BodyReader::new(&mut src, &mut st, None)
            .drain(1000)
            .unwrap());
        assert!(BodyReader::new(&mut src, &mut st, None)
            .drain(10_000)
            .unwrap());
    }
}
