//! What can go wrong with a call once the gateway admitted it — no instance, a timeout, a
//! crash, a bad answer — and the one table ([`Failure::error`]) that turns each into FC's
//! status, code and message. The HTTP trigger answers these as platform errors; an event
//! invocation through the API counts the function's own failures (timeout, crash, bad
//! answer) as `UnhandledInvocationError`, as FC's error-handling page describes.
//!
//! Classifying only; the answers are written by the trigger and the API.

use std::time::{Duration, Instant};

use fc_runtime::client::CallError;

use crate::fleet::NoInstance;
use crate::instance::Instance;
use crate::platform::FcError;

/// Why a call has no answer from the function.
pub enum Failure {
    NoInstance(NoInstance),
    /// The function timeout passed (seconds).
    Timeout(u64),
    /// The process died with the call in flight (its exit, for people).
    Crashed(String),
    /// The function answered something FC could not pass on.
    BadResponse(String),
}

impl Failure {
    /// Classifies a failed call to `inst`. A broken connection may mean the process is
    /// dying: give it a moment to be seen exiting.
    pub fn of_call(inst: &Instance, e: CallError, timeout: Duration) -> Failure {
        let wait = match e {
            CallError::Closed | CallError::Send(_) | CallError::Malformed(_) => {
                Duration::from_millis(300)
            }
            _ => Duration::ZERO,
        };
        let t = Instant::now();
        let exited = loop {
            let status = inst.exit_status();
            if status.is_some() || t.elapsed() >= wait {
                break status;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        match (e, exited) {
            (_, Some(status)) => Failure::Crashed(status.to_string()),
            (CallError::Timeout, None) => Failure::Timeout(timeout.as_secs().max(1)),
            (CallError::HeadTooLarge, None) => {
                Failure::BadResponse("response headers are larger than the 8 KB limit".into())
            }
            (e, None) => Failure::BadResponse(format!("bad answer from the function: {e}")),
        }
    }

    /// The function's own failure (an event invocation's `UnhandledInvocationError`), as
    /// opposed to the platform's.
    pub fn is_function_error(&self) -> bool {
        !matches!(self, Failure::NoInstance(_))
    }

    /// FC's status, code and message: the one table.
    pub fn error(&self) -> FcError {
        match self {
            Failure::NoInstance(NoInstance::Exhausted {
                concurrency,
                instances,
            }) => FcError::new(
                429,
                "ResourceExhausted",
                format!(
                    "all {instances} instances are busy with {concurrency} calls each (--concurrency {concurrency}, --max-instances {instances})"
                ),
            ),
            Failure::NoInstance(NoInstance::StartFailed(why)) => {
                FcError::new(502, "FunctionNotStarted", why.clone())
            }
            Failure::NoInstance(NoInstance::Stopping) => {
                FcError::new(503, "ServiceUnavailable", "fc-local is stopping")
            }
            Failure::Timeout(secs) => FcError::new(
                502,
                "FunctionTimeout",
                format!("Function timed out after {secs} seconds"),
            ),
            Failure::Crashed(status) => FcError::new(
                502,
                "FunctionNotStarted",
                format!("Process exited unexpectedly before completing request ({status})"),
            ),
            Failure::BadResponse(msg) => FcError::new(502, "BadResponse", msg.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            (
                Failure::NoInstance(NoInstance::Exhausted {
                    concurrency: 2,
                    instances: 3,
                }),
                429,
                "ResourceExhausted",
                false,
            ),
            (
                Failure::NoInstance(NoInstance::StartFailed("x".into())),
                502,
                "FunctionNotStarted",
                false,
            ),
            (
                Failure::NoInstance(NoInstance::Stopping),
                503,
                "ServiceUnavailable",
                false,
            ),
            (Failure::Timeout(3), 502, "FunctionTimeout", true),
            (
                Failure::Crashed("exit status: 1".into()),
                502,
                "FunctionNotStarted",
                true,
            ),
            (Failure::BadResponse("x".into()), 502, "BadResponse", true),
        ];
        for (f, status, code, function) in cases {
            let e = f.error();
            assert_eq!((e.status, e.code), (status, code));
            assert_eq!(f.is_function_error(), function, "{code}");
        }
        assert!(Failure::Timeout(3)
            .error()
            .message
            .contains("timed out after 3 seconds"));
    }
}
