//! The Simple Log Service (SLS) trigger's event: which shard range to read.

use serde::{Deserialize, Serialize};

/// What an SLS trigger sends: the logstore shard and cursor range to read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SlsEvent {
    /// The time of the cursor (Unix seconds).
    pub cursor_time: i64,
    /// The SLS job's name.
    pub job_name: String,
    /// The trigger's configured function parameter (any JSON; `{}` when none).
    pub parameter: serde_json::Value,
    /// Where to read.
    pub source: SlsSource,
    /// The task's id.
    pub task_id: String,
}

/// The shard range of an [`SlsEvent`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SlsSource {
    /// The first cursor (inclusive).
    pub begin_cursor: String,
    /// The last cursor (exclusive).
    pub end_cursor: String,
    /// The SLS endpoint to read from.
    pub endpoint: String,
    /// The logstore.
    pub logstore_name: String,
    /// The project.
    pub project_name: String,
    /// The shard.
    pub shard_id: i64,
}
