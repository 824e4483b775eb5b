//! What the sequential checks share ([`Ctx`]): where to call and with which settings,
//! every answer's fields (for the reserved-header check) and the invoke's request id (for
//! the marker check). Calls go through the instance's one call path.

use std::time::Duration;

use super::{Check, Verdict, NAMES};
use crate::cli::{Function, Opts};
use crate::instance::{FcCall, Instance};

pub(super) type Headers = Vec<(String, Vec<u8>)>;

/// An answer, read whole.
pub(super) struct Answer {
    pub status: u16,
    /// Its `x-fc-status` field.
    pub fc_status: Option<String>,
    pub body: Vec<u8>,
}

/// What the sequential checks share: where to call, the replies seen (for the
/// reserved-header check) and the invoke's request id (for the markers).
pub struct Ctx<'a> {
    pub(super) inst: &'a Instance,
    /// `--stream-path`: where the function streams an answer.
    pub(super) stream_path: Option<String>,
    pub(super) function: Function,
    pub(super) timeout: Duration,
    seen: Vec<(String, Vec<u8>)>,
    pub(super) invoke_id: Option<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(inst: &'a Instance, o: &Opts) -> Ctx<'a> {
        Ctx {
            inst,
            stream_path: o.stream_path.clone(),
            function: o.function.clone(),
            timeout: o.function.timeout.min(Duration::from_secs(60)),
            seen: Vec::new(),
            invoke_id: None,
        }
    }

    /// One call as FC makes it (FC's fields for `control_path` added to `headers`).
    pub(super) fn call(
        &mut self,
        method: &str,
        target: &str,
        headers: Headers,
        body: &[u8],
        control_path: Option<&str>,
        rid: &str,
    ) -> Result<Answer, String> {
        let mut r = self
            .inst
            .call(FcCall {
                method,
                target,
                headers,
                body,
                control_path,
                request_id: rid,
                timeout: self.timeout,
                fields: Vec::new(),
            })
            .map_err(|e| e.to_string())?;
        let body = r.read_to_vec(128 << 20).map_err(|e| e.to_string())?;
        self.seen
            .extend(r.headers.iter().map(|(n, v)| (n.to_string(), v.to_vec())));
        Ok(Answer {
            status: r.status,
            fc_status: r.header("x-fc-status").map(str::to_owned),
            body,
        })
    }

    /// `POST /invoke` with an event body, as FC sends it.
    pub(super) fn invoke(
        &mut self,
        extra: Headers,
        body: &[u8],
        control_path: Option<&str>,
        rid: &str,
    ) -> Result<Answer, String> {
        let mut h = vec![(
            "Content-Type".to_string(),
            b"application/octet-stream".to_vec(),
        )];
        h.extend(extra);
        self.call("POST", "/invoke", h, body, control_path, rid)
    }

    /// Any `x-fc-*` (but `x-fc-status`) fails; `server` or `content-disposition: attachment`
    /// warns (FC drops them). Framing fields are the server's job and not judged.
    pub fn reserved(&self) -> Check {
        let name = NAMES[10];
        let mut fc = Vec::new();
        let mut dropped = Vec::new();
        for (n, v) in &self.seen {
            let l = n.to_ascii_lowercase();
            if l.starts_with("x-fc-") && l != "x-fc-status" {
                fc.push(n.clone());
            } else if l == "server"
                || (l == "content-disposition"
                    && String::from_utf8_lossy(v)
                        .to_ascii_lowercase()
                        .contains("attachment"))
            {
                dropped.push(n.clone());
            }
        }
        fc.dedup();
        dropped.dedup();
        if !fc.is_empty() {
            return Check::new(
                name,
                Verdict::Fail,
                format!(
                    "answers carry {}: x-fc-* is the platform's (echoed request headers?)",
                    fc.join(", ")
                ),
            );
        }
        if !dropped.is_empty() {
            return Check::new(
                name,
                Verdict::Warn,
                format!("answers carry {}: FC strips it", dropped.join(", ")),
            );
        }
        Check::new(
            name,
            Verdict::Pass,
            format!("{} fields seen, none reserved", self.seen.len()),
        )
    }
}
