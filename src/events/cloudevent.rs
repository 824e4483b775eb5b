//! CloudEvents 1.0 as EventBridge delivers them to FC (MNS queue, RocketMQ, Kafka,
//! RabbitMQ, MQTT triggers), with Alibaba's `aliyun*` extension attributes; and batches,
//! which arrive as an array of events or of JSON strings holding one each.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};

/// One CloudEvent; `data` is `T` (any JSON by default).
///
/// ```
/// use fc_runtime::events::CloudEvent;
///
/// let e: CloudEvent = serde_json::from_str(
///     r#"{"specversion":"1.0","id":"1","source":"acs:mns","type":"mns:Queue:SendMessage","data":{"messageBody":"hi"},"aliyunregionid":"cn-hangzhou"}"#,
/// ).unwrap();
/// assert_eq!((e.event_type.as_str(), e.aliyunregionid.as_str()), ("mns:Queue:SendMessage", "cn-hangzhou"));
/// assert_eq!(e.data["messageBody"], "hi");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, bound(deserialize = "T: DeserializeOwned + Default"))]
pub struct CloudEvent<T = serde_json::Value> {
    /// The event's id.
    pub id: String,
    /// Where it comes from (`acs:mns`, `acs:alikafka`, …).
    pub source: String,
    /// `1.0`.
    pub specversion: String,
    /// Its type (`mns:Queue:SendMessage`, `alikafka:Topic:Message`, …).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The content type of `data`.
    pub datacontenttype: String,
    /// The resource it is about.
    pub subject: String,
    /// When it happened (ISO 8601).
    pub time: String,
    /// The payload.
    pub data: T,
    /// Alibaba Cloud account of the event.
    pub aliyunaccountid: String,
    /// When EventBridge published it.
    pub aliyunpublishtime: String,
    /// The account the event originated in.
    pub aliyunoriginalaccountid: String,
    /// The event bus.
    pub aliyuneventbusname: String,
    /// The region.
    pub aliyunregionid: String,
    /// The publisher's address.
    pub aliyunpublishaddr: String,
}

/// Several CloudEvents: a batch as EventBridge delivers it — an array of events, or an array
/// of JSON strings each holding one (Kafka's documented shape) — or a single event.
///
/// ```
/// use fc_runtime::events::CloudEvents;
///
/// let batch = r#"["{\"id\":\"1\",\"type\":\"alikafka:Topic:Message\",\"data\":{\"topic\":\"t\"}}"]"#;
/// let events: CloudEvents = serde_json::from_str(batch).unwrap();
/// assert_eq!(events.0[0].data["topic"], "t");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CloudEvents<T = serde_json::Value>(pub Vec<CloudEvent<T>>);

impl<'de, T: DeserializeOwned + Default> Deserialize<'de> for CloudEvents<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let one = |v: serde_json::Value| -> Result<CloudEvent<T>, D::Error> {
            match v {
                serde_json::Value::String(s) => serde_json::from_str(&s).map_err(D::Error::custom),
                v => serde_json::from_value(v).map_err(D::Error::custom),
            }
        };
        match v {
            serde_json::Value::Array(items) => items
                .into_iter()
                .map(one)
                .collect::<Result<_, _>>()
                .map(CloudEvents),
            v => Ok(CloudEvents(vec![one(v)?])),
        }
    }
}
