//! Typed events of FC's triggers (feature `events`), for `fc_runtime::run_json` and
//! `fc_runtime::Json`: field names and types from Alibaba's documentation and the `events`
//! package of its Go SDK, written here with serde. Unknown fields are ignored and missing
//! optional ones default, so a newer platform does not break a function; every type is
//! tested against the sample event FC's documentation shows (`src/events/samples/`).
//!
//! | trigger | type |
//! |---|---|
//! | OSS | [`OssEvent`] |
//! | time (timer) | [`TimerEvent`] (its `payload` is the string configured, as FC sends it) |
//! | Simple Log Service | [`SlsEvent`] |
//! | MNS topic (JSON format) | [`MnsTopicEvent`] |
//! | EventBridge-based (MNS queue, RocketMQ, Kafka, RabbitMQ, MQTT, …) | [`CloudEvent`], [`CloudEvents`] for batches; [`MnsQueueEvent`] |
//! | HTTP trigger of an FC 3.0 event function | [`HttpTriggerEvent`] → [`HttpTriggerResponse`] |
//!
//! ```
//! use fc_runtime::events::OssEvent;
//!
//! let event = r#"{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss",
//!   "region":"cn-hangzhou","oss":{"bucket":{"name":"photos"},"object":{"key":"a.jpg","size":7}}}]}"#;
//! let e: OssEvent = serde_json::from_str(event).unwrap();
//! assert_eq!((e.events[0].oss.bucket.name.as_str(), e.events[0].oss.object.size), ("photos", 7));
//! ```
//!
//! Decoding only: nothing here talks to OSS, SLS or MNS.

mod cloudevent;
mod http_trigger;
mod mns;
mod oss;
mod sls;
mod timer;

pub use cloudevent::{CloudEvent, CloudEvents};
pub use http_trigger::{
    HttpRequestContext, HttpRequestInfo, HttpTriggerEvent, HttpTriggerResponse,
};
pub use mns::{MnsQueueData, MnsQueueEvent, MnsTopicEvent};
pub use oss::{
    OssBucket, OssEvent, OssInfo, OssObject, OssObjectMeta, OssRecord, OssRequestParameters,
    OssResponseElements, OssUserIdentity,
};
pub use sls::{SlsEvent, SlsSource};
pub use timer::TimerEvent;

#[cfg(test)]
mod tests;
