//! MNS: the topic trigger's JSON event, and the queue trigger's (an EventBridge
//! [`CloudEvent`]).

use serde::{Deserialize, Serialize};

use super::CloudEvent;

/// What an MNS topic trigger sends when its event format is JSON (in STREAM format the
/// event is the message body itself).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct MnsTopicEvent {
    /// The topic's account.
    pub topic_owner: String,
    /// The message body.
    pub message: String,
    /// The subscriber's account.
    pub subscriber: String,
    /// When it was published (Unix milliseconds).
    pub publish_time: i64,
    /// The subscription.
    pub subscription_name: String,
    /// The body's MD5.
    #[serde(rename = "MessageMD5")]
    pub message_md5: String,
    /// The topic.
    pub topic_name: String,
    /// The message id.
    pub message_id: String,
}

/// What an MNS queue trigger (EventBridge-based) sends.
pub type MnsQueueEvent = CloudEvent<MnsQueueData>;

/// The `data` of an [`MnsQueueEvent`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MnsQueueData {
    /// MNS's request id.
    pub request_id: String,
    /// The message id.
    pub message_id: String,
    /// The message body.
    pub message_body: String,
}
