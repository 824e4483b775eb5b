//! Typed JSON handlers (feature `json`): [`JsonHandler`] takes any `DeserializeOwned` event
//! and returns any `Serialize` result; [`Json`] serves one as a [`Handler`],
//! [`Json::from_fn`] wraps a closure (`fc_runtime::run_json` runs one as the process's
//! function).
//!
//! An event that does not decode is a function error (`InvalidEvent`) that names where it
//! went wrong — `events[0].oss.object.size: invalid type: string "big", expected i64` — found
//! from serde_json's position by walking the event up to it; never a panic. This module
//! only converts; dispatch, markers and error shapes stay the dispatcher's.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Context, Handler, HandlerError};
use crate::http::{Request, Response};

/// A function of typed events: JSON in, JSON out. Only [`JsonHandler::invoke`] is required.
///
/// ```
/// use fc_runtime::{Context, HandlerError, Json, JsonHandler, Handler};
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64, items: Vec<String> }
///
/// struct Count;
/// impl JsonHandler for Count {
///     type Event = Order;
///     type Output = serde_json::Value;
///     fn invoke(&self, o: Order, _: &Context) -> Result<serde_json::Value, HandlerError> {
///         Ok(serde_json::json!({ "id": o.id, "items": o.items.len() }))
///     }
/// }
///
/// let out = Json(Count).invoke(br#"{"id":7,"items":["a","b"]}"#.to_vec(), &Context::default());
/// assert_eq!(out.unwrap(), br#"{"id":7,"items":2}"#);
/// let bad = Json(Count).invoke(br#"{"id":"7","items":[]}"#.to_vec(), &Context::default());
/// assert!(bad.unwrap_err().message().starts_with("id: invalid type: string \"7\""));
/// ```
pub trait JsonHandler: Send + Sync + 'static {
    /// What an event decodes to.
    type Event: DeserializeOwned;
    /// What a result encodes from.
    type Output: Serialize;

    /// Event invocation: the decoded event in, the result to encode out.
    fn invoke(&self, event: Self::Event, ctx: &Context) -> Result<Self::Output, HandlerError>;

    /// The initializer hook (`POST /initialize`).
    fn initialize(&self, _ctx: &Context) -> Result<(), HandlerError> {
        Ok(())
    }

    /// The pre-freeze hook (`GET /pre-freeze`).
    fn pre_freeze(&self, _ctx: &Context) -> Result<(), HandlerError> {
        Ok(())
    }

    /// The pre-stop hook (`GET /pre-stop`).
    fn pre_stop(&self, _ctx: &Context) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// Serves a [`JsonHandler`] as a [`Handler`]: events decoded, results encoded; behind an
/// HTTP trigger the request body is the event and the answer `application/json` (a body
/// that does not decode gets `400`).
pub struct Json<H>(pub H);

impl<H: JsonHandler> Handler for Json<H> {
    fn invoke(&self, event: Vec<u8>, ctx: &Context) -> Result<Vec<u8>, HandlerError> {
        let event = decode::<H::Event>(&event)?;
        let out = self.0.invoke(event, ctx)?;
        serde_json::to_vec(&out).map_err(|e| {
            HandlerError::new("InvalidResult", format!("the result does not encode: {e}"))
        })
    }

    fn http(&self, mut req: Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        let body = req.body.to_vec()?;
        let out = self.invoke(body, ctx).map_err(|e| match e.error_type() {
            "InvalidEvent" => e.with_status(400),
            _ => e,
        })?;
        Ok(Response::json(200, out))
    }

    fn initialize(&self, ctx: &Context) -> Result<(), HandlerError> {
        self.0.initialize(ctx)
    }

    fn pre_freeze(&self, ctx: &Context) -> Result<(), HandlerError> {
        self.0.pre_freeze(ctx)
    }

    fn pre_stop(&self, ctx: &Context) -> Result<(), HandlerError> {
        self.0.pre_stop(ctx)
    }
}

/// A closure `|event: T, ctx| -> Result<R, E>` as a [`JsonHandler`]; see [`Json::from_fn`].
pub struct JsonFn<F, T, R, E> {
    f: F,
    types: PhantomData<fn(T) -> (R, E)>,
}

impl<F, T, R, E> JsonHandler for JsonFn<F, T, R, E>
where
    F: Fn(T, &Context) -> Result<R, E> + Send + Sync + 'static,
    T: DeserializeOwned + 'static,
    R: Serialize + 'static,
    E: Into<HandlerError> + 'static,
{
    type Event = T;
    type Output = R;

    fn invoke(&self, event: T, ctx: &Context) -> Result<R, HandlerError> {
        (self.f)(event, ctx).map_err(Into::into)
    }
}

impl<F, T, R, E> Json<JsonFn<F, T, R, E>>
where
    F: Fn(T, &Context) -> Result<R, E> + Send + Sync + 'static,
    T: DeserializeOwned + 'static,
    R: Serialize + 'static,
    E: Into<HandlerError> + 'static,
{
    /// A closure of typed events as a [`Handler`], for `Server::serve` or
    /// `testing::serve`.
    ///
    /// ```
    /// use fc_runtime::{testing, Context, HandlerError, Json};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Greet { name: String }
    ///
    /// let f = testing::serve(Json::from_fn(|g: Greet, _: &Context| {
    ///     Ok::<_, HandlerError>(format!("Hello, {}", g.name))
    /// }));
    /// assert_eq!(f.invoke(r#"{"name":"FC"}"#).text(), r#""Hello, FC""#);
    /// let bad = f.invoke(r#"{"nom":"FC"}"#);
    /// assert!(bad.is_function_error() && bad.text().contains("missing field `name`"));
    /// ```
    pub fn from_fn(f: F) -> Self {
        Json(JsonFn {
            f,
            types: PhantomData,
        })
    }
}

/// Decodes an event, or says where and why it does not fit `T`.
fn decode<T: DeserializeOwned>(event: &[u8]) -> Result<T, HandlerError> {
    serde_json::from_slice(event).map_err(|e| {
        let at = offset(event, e.line(), e.column());
        let path = path_at(event, at);
        // serde_json's message ends with " at line L column C": the path says it better.
        let text = e.to_string();
        let msg = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(m, _)| m);
        let msg = if path.is_empty() {
            msg.to_string()
        } else {
            format!("{path}: {msg}")
        };
        HandlerError::new("InvalidEvent", msg)
    })
}

/// The byte offset of serde_json's 1-based line and column (a column counts bytes).
fn offset(input: &[u8], line: usize, column: usize) -> usize {
    let mut at = 0;
    for _ in 1..line {
        match input[at..].iter().position(|&b| b == b'\n') {
            Some(n) => at += n + 1,
            None => return input.len(),
        }
    }
    (at + column).min(input.len())
}

/// The JSON path (`a.b[2].c`) of the value being read at byte `at`: the keys and indexes
/// of the containers open there, and the key whose value it is.
fn path_at(input: &[u8], at: usize) -> String {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    // The last string read, which becomes a key if a ':' follows.
    let mut last_string: Option<String> = None;
    while i < at.min(input.len()) {
        match input[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < input.len() && input[i] != b'"' {
                    i += if input[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(input.len());
                last_string = Some(String::from_utf8_lossy(&input[start..end]).into_owned());
            }
            b'{' => stack.push(Frame::Object { key: None }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { key }) = stack.last_mut() {
                    *key = last_string.take();
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key }) => *key = None,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for f in &stack {
        match f {
            Frame::Object { key: Some(k) } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Obj {
        size: i64,
        key: String,
    }
    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Rec {
        oss: Oss,
    }
    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Oss {
        object: Obj,
    }
    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Ev {
        events: Vec<Rec>,
    }

    #[test]
    fn decode_errors_name_the_field() {
        // (event, expected message prefix)
        let cases = [
            (
                r#"{"events":[{"oss":{"object":{"size":"big","key":"k"}}}]}"#,
                r#"events[0].oss.object.size: invalid type: string "big", expected i64"#,
            ),
            (
                r#"{"events":[{"oss":{"object":{"size":1,"key":"k"}}},{"oss":{"object":{"size":2}}}]}"#,
                "events[1].oss.object: missing field `key`",
            ),
            (
                "{\n  \"events\": [\n    {\"oss\": {\"object\": {\"key\": 7, \"size\": 1}}}\n  ]\n}",
                "events[0].oss.object.key: invalid type: integer `7`, expected a string",
            ),
            (r#"{"events":"none"}"#, r#"events: invalid type: string "none""#),
            ("not json", "expected ident"),
            ("", "EOF while parsing a value"),
            (r#"{"events":[]}x"#, "trailing characters"),
        ];
        for (event, want) in cases {
            let e = decode::<Ev>(event.as_bytes()).err().unwrap();
            assert_eq!(e.error_type(), "InvalidEvent");
            assert!(
                e.message().starts_with(want),
                "{event}\n  got  {}\n  want {want}",
                e.message()
            );
        }
        assert!(decode::<Ev>(
            br#"{"events":[{"oss":{"object":{"size":1,"key":"k","extra":true}}}]}"#
        )
        .is_ok());
    }

    #[test]
    fn path_table() {
        let input = br#"{"a":{"b":[1,{"c":"x,y:z"},3]},"d":"\"q\""}"#;
        // (byte offset, path)
        let cases = [
            (0, ""),
            (5, "a"),
            (11, "a.b[0]"),
            (19, "a.b[1].c"),
            (27, "a.b[2]"),
            (37, "d"),
        ];
        for (at, want) in cases {
            assert_eq!(
                path_at(input, at),
                want,
                "at {at}: {}",
                String::from_utf8_lossy(&input[..at])
            );
        }
    }
}
