//! The time trigger's event.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a time trigger sends. `payload` is the trigger's configured payload as FC sends it:
/// a string, even when it holds JSON ([`TimerEvent::payload_json`] decodes that).
///
/// ```
/// use fc_runtime::events::TimerEvent;
///
/// let e: TimerEvent = serde_json::from_str(
///     r#"{"triggerTime":"2026-11-29T07:00:00Z","triggerName":"nightly","payload":"{\"days\":7}"}"#,
/// ).unwrap();
/// #[derive(serde::Deserialize)]
/// struct Job { days: u32 }
/// assert_eq!(e.payload_json::<Job>().unwrap().days, 7);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TimerEvent {
    /// When it fired (ISO 8601, UTC).
    pub trigger_time: String,
    /// The trigger's name.
    pub trigger_name: String,
    /// The configured payload, as a string.
    pub payload: String,
}

impl TimerEvent {
    /// The payload decoded as JSON (for a trigger configured with a JSON payload).
    pub fn payload_json<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(&self.payload)
    }
}
