//! The OSS trigger's event: one or more records of an object operation.

use serde::{Deserialize, Serialize};

/// What an OSS trigger sends: the records of the operations that matched its rule.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct OssEvent {
    /// The records (one per object operation).
    pub events: Vec<OssRecord>,
}

/// One object operation.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OssRecord {
    /// `ObjectCreated:PutObject`, `ObjectRemoved:DeleteObject`, … (without the `oss:`
    /// prefix the trigger's configuration uses).
    pub event_name: String,
    /// `acs:oss`.
    pub event_source: String,
    /// When it happened (ISO 8601, UTC).
    pub event_time: String,
    /// `1.0`.
    pub event_version: String,
    /// The bucket and the object.
    pub oss: OssInfo,
    /// The bucket's region.
    pub region: String,
    /// Who asked.
    pub request_parameters: OssRequestParameters,
    /// OSS's answer.
    pub response_elements: OssResponseElements,
    /// The account that made the request.
    pub user_identity: OssUserIdentity,
}

/// The bucket and object of an [`OssRecord`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OssInfo {
    /// The bucket.
    pub bucket: OssBucket,
    /// The object.
    pub object: OssObject,
    /// `1.0`.
    pub oss_schema_version: String,
    /// The id of the trigger's rule.
    pub rule_id: String,
}

/// A bucket.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OssBucket {
    /// `acs:oss:<region>:<account>:<bucket>`.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// The owning account.
    pub owner_identity: String,
    /// Empty unless virtual.
    pub virtual_bucket: String,
}

/// An object.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OssObject {
    /// Change in size (bytes; negative for a smaller overwrite).
    pub delta_size: i64,
    /// Its ETag.
    pub e_tag: String,
    /// Its key (URL-encoded by OSS when it holds special characters).
    pub key: String,
    /// Metadata.
    pub object_meta: OssObjectMeta,
    /// Its size in bytes.
    pub size: i64,
}

/// An object's metadata.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OssObjectMeta {
    /// Its MIME type.
    pub mime_type: String,
}

/// Who made the request.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct OssRequestParameters {
    /// The client's address (masked in FC's samples).
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
}

/// OSS's answer to the request.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OssResponseElements {
    /// OSS's request id.
    pub request_id: String,
}

/// The account of the request.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OssUserIdentity {
    /// Its principal id.
    pub principal_id: String,
}
