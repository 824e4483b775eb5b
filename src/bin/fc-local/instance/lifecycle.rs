//! What FC does to an instance besides calling it: the start for traffic (launched, the
//! loopback refusal, `/initialize`), `/pre-stop`, and the words for how it ended.
//!
//! Calls go through [`Instance::call`]; processes are `Instance::launch`'s and `stop`'s.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use fc_runtime::process::Stopped;

use super::{FcCall, Instance};
use crate::cli::Opts;
use crate::util::{human, request_id, say};

impl Instance {
    /// Starts an instance for traffic, as FC would: launched (output echoed), refused if FC
    /// could not reach it, initialized when configured.
    pub fn start(o: &Opts) -> Result<Instance, String> {
        let inst = Instance::launch(o, true)?;
        if let Some(s) = inst.spawned {
            say(format!(
                "fc-local: {} listening on port {} after {}",
                inst.command,
                inst.port,
                human(inst.listening - s)
            ));
        }
        inst.loopback_only()?;
        if o.function.initializer {
            let d = inst.initialize()?;
            say(format!("fc-local: POST /initialize -> 2xx in {}", human(d)));
        }
        Ok(inst)
    }

    /// FC cannot reach a server that listens on loopback only: say so now, in FC's words.
    pub fn loopback_only(&self) -> Result<(), String> {
        use crate::procfs::{listeners, Bind};
        let binds = listeners(self.port);
        if binds.is_empty() || binds.iter().any(|b| !matches!(b, Bind::Loopback(_))) {
            return Ok(());
        }
        Err(format!(
            "Function instance health check failed on port {} in 120 seconds.\n\
             hint: the server listens on {binds:?} only; FC connects from outside the instance: listen on 0.0.0.0",
            self.port
        ))
    }

    /// `GET /pre-stop`, as FC calls it before it stops an instance; one line for people.
    pub fn pre_stop(&self) -> String {
        if !self.started() || self.exit_status().is_some() {
            return "GET /pre-stop skipped (not running here)".into();
        }
        let rid = request_id();
        let r = self.call(FcCall {
            method: "GET",
            target: "/pre-stop",
            headers: Vec::new(),
            body: b"",
            control_path: Some("/pre-stop"),
            request_id: &rid,
            timeout: self.function.timeout,
            fields: Vec::new(),
        });
        match r.and_then(|mut r| r.read_to_vec(1 << 20).map(|_| r.status)) {
            Ok(status) => format!("GET /pre-stop -> {status}"),
            Err(e) => format!("GET /pre-stop failed: {e}"),
        }
    }

    /// `POST /initialize` as FC does before the first call, when configured.
    pub fn initialize(&self) -> Result<Duration, String> {
        let rid = request_id();
        let t = Instant::now();
        let fail =
            |why: String| format!("Function initialization failed (RequestId: {rid}): {why}");
        let mut r = self
            .call(FcCall {
                method: "POST",
                target: "/initialize",
                headers: Vec::new(),
                body: b"",
                control_path: Some("/initialize"),
                request_id: &rid,
                timeout: self.function.init_timeout,
                fields: Vec::new(),
            })
            .map_err(|e| fail(e.to_string()))?;
        let body = r.read_to_vec(1 << 20).map_err(|e| fail(e.to_string()))?;
        if !(200..300).contains(&r.status) {
            return Err(fail(format!(
                "status {}: {}",
                r.status,
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(t.elapsed())
    }
}

/// One line for people about a stop.
pub fn describe_stop(s: Option<Stopped>) -> String {
    match s {
        None => "not started here: left running".into(),
        Some(Stopped::AlreadyExited(status)) => {
            format!("had exited already ({})", describe(status))
        }
        Some(Stopped::Exited { status, after }) => {
            format!("{} {} after SIGTERM", describe(status), human(after))
        }
        Some(Stopped::Killed { grace }) => {
            format!("still running {} after SIGTERM: killed", human(grace))
        }
    }
}

pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => status.to_string(),
    }
}
