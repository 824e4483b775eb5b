//! The values a handler sees and returns: [`Headers`], [`Request`], [`Response`].
//!
//! These are plain data with no knowledge of sockets or framing: the connection loop fills a
//! `Request` from the wire and frames a `Response` onto it. Header names keep the case they
//! were sent with and compare case-insensitively. Nothing here validates header syntax; the
//! response writer drops what it cannot send safely.

use std::fmt;
use std::io::{self, Read};

use super::upgrade::{OnUpgrade, Upgraded};

/// HTTP protocol version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`: close after each exchange unless `Connection: keep-alive`.
    Http10,
    /// `HTTP/1.1`: persistent by default.
    Http11,
}

/// An ordered multi-map of header fields, stored compactly (two buffers and an index).
///
/// Values are bytes because HTTP allows obs-text (0x80–0xFF) in them; [`Headers::get`]
/// returns `None` for a value that is not UTF-8, [`Headers::get_bytes`] always answers.
#[derive(Clone, Default)]
pub struct Headers {
    names: String,
    values: Vec<u8>,
    /// (end of name in `names`, end of value in `values`); starts are the previous ends.
    index: Vec<(usize, usize, usize, usize)>,
}

impl Headers {
    /// An empty header map.
    pub const fn new() -> Headers {
        Headers {
            names: String::new(),
            values: Vec::new(),
            index: Vec::new(),
        }
    }

    /// An empty map with room for `fields` fields of `name_bytes` and `value_bytes` in all.
    pub fn with_capacity(fields: usize, name_bytes: usize, value_bytes: usize) -> Headers {
        Headers {
            names: String::with_capacity(name_bytes),
            values: Vec::with_capacity(value_bytes),
            index: Vec::with_capacity(fields),
        }
    }

    /// Bytes of all names and of all values: what a map holding the same fields needs
    /// (see [`Headers::with_capacity`]).
    pub(crate) fn byte_len(&self) -> (usize, usize) {
        (self.names.len(), self.values.len())
    }

    /// Number of fields (a name sent twice counts twice).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Adds a field, keeping any existing ones with the same name.
    pub fn append(&mut self, name: &str, value: impl AsRef<[u8]>) {
        let (ns, vs) = (self.names.len(), self.values.len());
        self.names.push_str(name);
        self.values.extend_from_slice(value.as_ref());
        self.index
            .push((ns, self.names.len(), vs, self.values.len()));
    }

    /// Replaces every field called `name` with one field.
    pub fn insert(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.remove(name);
        self.append(name, value);
    }

    /// Removes every field called `name`; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.index.len();
        let names = &self.names;
        self.index
            .retain(|&(a, b, _, _)| !names[a..b].eq_ignore_ascii_case(name));
        before - self.index.len()
    }

    /// The first value of `name` as text, if present and UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of `name` as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// True when at least one field is called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get_bytes(name).is_some()
    }

    /// All fields in order, as (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.index
            .iter()
            .map(|&(a, b, c, d)| (&self.names[a..b], &self.values[c..d]))
    }
}

/// `[("name", "value"), ...].into_iter().collect::<Headers>()`, handy in handler tests.
impl<'a, V: AsRef<[u8]>> FromIterator<(&'a str, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (&'a str, V)>>(iter: I) -> Headers {
        let mut h = Headers::new();
        for (n, v) in iter {
            h.append(n, v);
        }
        h
    }
}

impl fmt::Debug for Headers {
    /// Lists names and values, but shows `***` for a field that holds credentials by its
    /// name (`Authorization`, `Cookie`, anything naming a key, secret, token or password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (n, v) in self.iter() {
            if super::syntax::is_sensitive_field(n) {
                m.entry(&n, &"***");
            } else {
                m.entry(&n, &String::from_utf8_lossy(v));
            }
        }
        m.finish()
    }
}

/// A request as a handler sees it. The body is a reader that is bounded, de-chunked and
/// stops exactly at the end of this request's body.
pub struct Request<'a> {
    /// Method as sent (`GET`, `POST`, ...).
    pub method: String,
    /// Path without query; the FC 2.0 base path is already stripped when configured.
    /// Not percent-decoded.
    pub path: String,
    /// Query string without the `?` (empty when absent). Not decoded.
    pub query: String,
    /// Protocol version of the request.
    pub version: Version,
    /// Request header fields, as sent.
    pub headers: Headers,
    /// The body; reading it may send `100 Continue` first when the client asked for it.
    pub body: RequestBody<'a>,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// The body of a [`Request`]: a `Read` that ends where the request body ends.
pub struct RequestBody<'a> {
    reader: &'a mut dyn Read,
    len: Option<u64>,
}

impl<'a> RequestBody<'a> {
    /// Wraps any reader (handy in handler unit tests: `RequestBody::new(&mut &b"x"[..])`).
    pub fn new(reader: &'a mut dyn Read) -> RequestBody<'a> {
        RequestBody { reader, len: None }
    }

    /// Wraps a reader whose length is known (a `Content-Length` body), so
    /// [`RequestBody::to_vec`] allocates once instead of growing.
    pub fn with_len(reader: &'a mut dyn Read, len: Option<u64>) -> RequestBody<'a> {
        RequestBody { reader, len }
    }

    /// The body's length when known in advance: its `Content-Length`, or 0 for a request
    /// without a body; `None` for a chunked one.
    pub fn len_hint(&self) -> Option<u64> {
        self.len
    }

    /// Reads the whole body (already bounded by the server's body limit).
    pub fn to_vec(&mut self) -> io::Result<Vec<u8>> {
        let cap = self.len.map_or(0, |n| n.min(64 << 20) as usize);
        let mut v = Vec::with_capacity(cap);
        self.reader.read_to_end(&mut v)?;
        Ok(v)
    }
}

impl Read for RequestBody<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

/// The body of a [`Response`].
pub enum ResponseBody {
    /// No body: the connection switches protocols (status 101). After the head, the
    /// callback gets the connection itself on the worker thread; see [`Response::upgrade`].
    Upgrade(OnUpgrade),
    /// No body (`Content-Length: 0`).
    Empty,
    /// A body held in memory, framed with `Content-Length`.
    Bytes(Vec<u8>),
    /// A body pulled from a reader. With `len` it is framed by `Content-Length` (and must
    /// yield exactly that many bytes); without, `chunked` for HTTP/1.1 and close-delimited
    /// for HTTP/1.0.
    Stream {
        /// The source of the body bytes.
        reader: Box<dyn Read + Send>,
        /// The exact length, if known in advance.
        len: Option<u64>,
    },
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseBody::Empty => f.write_str("Empty"),
            ResponseBody::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            ResponseBody::Stream { len, .. } => write!(f, "Stream(len: {len:?})"),
            ResponseBody::Upgrade(_) => f.write_str("Upgrade"),
        }
    }
}

/// A response from a handler: status, headers and a body. Framing headers
/// (`Content-Length`, `Transfer-Encoding`, `Connection`, `Date`) are the server's job and
/// are dropped if a handler sets them.
#[derive(Debug)]
pub struct Response {
    /// Status code, 200–599 (anything else is answered as 500).
    pub status: u16,
    /// Header fields to send.
    pub headers: Headers,
    /// The body.
    pub body: ResponseBody,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Headers::new(),
            body: ResponseBody::Empty,
        }
    }

    /// `200` with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response::new(200).with_body(body)
    }

    /// `status` with a JSON body and `Content-Type: application/json`.
    pub fn json(status: u16, json: impl Into<Vec<u8>>) -> Response {
        Response::new(status)
            .with_header("Content-Type", "application/json")
            .with_body(json)
    }

    /// Appends a header field.
    pub fn with_header(mut self, name: &str, value: impl AsRef<[u8]>) -> Response {
        self.headers.append(name, value);
        self
    }

    /// Sets an in-memory body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = ResponseBody::Bytes(body.into());
        self
    }

    /// `101 Switching Protocols` to the protocol the request asked for in `Upgrade`: the
    /// server writes this head (add `Upgrade` and, for WebSocket, `Sec-WebSocket-Accept`;
    /// `Connection: upgrade` is the server's), then calls `on_upgrade` with the raw
    /// connection on the same worker thread. The connection counts as a request in progress
    /// until `on_upgrade` returns, and is closed then. A request that did not ask to upgrade
    /// gets a 500 instead.
    ///
    /// ```
    /// use fc_runtime::Response;
    /// use std::io::{Read, Write};
    ///
    /// // Echo whatever the client sends after the switch, until it closes.
    /// let resp = Response::upgrade(|mut conn| {
    ///     let mut buf = [0u8; 4096];
    ///     while let Ok(n) = conn.read(&mut buf) {
    ///         if n == 0 || conn.write_all(&buf[..n]).is_err() {
    ///             break;
    ///         }
    ///     }
    /// })
    /// .with_header("Upgrade", "echo");
    /// assert_eq!(resp.status, 101);
    /// ```
    pub fn upgrade(on_upgrade: impl FnOnce(Upgraded) + Send + 'static) -> Response {
        Response {
            status: 101,
            headers: Headers::new(),
            body: ResponseBody::Upgrade(OnUpgrade(Box::new(on_upgrade))),
        }
    }

    /// Sets a streamed body; see [`ResponseBody::Stream`].
    pub fn with_stream(mut self, reader: impl Read + Send + 'static, len: Option<u64>) -> Response {
        self.body = ResponseBody::Stream {
            reader: Box::new(reader),
            len,
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_table() {
        let mut h = Headers::new();
        h.append("Content-Type", "text/plain");
        h.append("X-A", "1");
        h.append("x-a", b"\xff");
        // (lookup name, first as str, count)
        let cases: &[(&str, Option<&str>, usize)] = &[
            ("content-type", Some("text/plain"), 1),
            ("CONTENT-TYPE", Some("text/plain"), 1),
            ("x-a", Some("1"), 2),
            ("missing", None, 0),
        ];
        for &(name, first, count) in cases {
            assert_eq!(h.get(name), first, "{name}");
            assert_eq!(h.get_all(name).count(), count, "{name}");
        }
        assert_eq!(h.remove("X-A"), 2);
        assert_eq!(h.len(), 1);
        h.insert("content-type", "a/b");
        assert_eq!(h.get("Content-Type"), Some("a/b"));
        assert_eq!(h.len(), 1);
        let mut bin = Headers::new();
        bin.append("v", b"\xff");
        assert_eq!(bin.get("v"), None);
        assert_eq!(bin.get_bytes("v"), Some(&b"\xff"[..]));
    }

    #[test]
    fn headers_debug_redacts_credentials() {
        let mut h = Headers::new();
        h.append("x-fc-access-key-secret", "TOPSECRET");
        h.append("X-Fc-Security-Token", "TOKENVALUE");
        h.append("x-fc-request-id", "rid");
        h.append("Authorization", "Bearer AUTHVALUE");
        let s = format!("{h:?}");
        for secret in ["TOPSECRET", "TOKENVALUE", "AUTHVALUE"] {
            assert!(!s.contains(secret), "{s}");
        }
        assert!(s.contains("rid"));
    }
}
