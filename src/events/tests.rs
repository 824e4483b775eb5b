//! Every type against the sample event FC's documentation shows (`samples/`, copied from
//! Alibaba's trigger pages and the Go SDK's `events` READMEs), plus tolerance of fields
//! this crate does not know.

use super::*;

fn sample<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn oss_sample() {
    let e: OssEvent = sample(include_str!("samples/oss.json"));
    let r = &e.events[0];
    assert_eq!(
        (
            r.event_name.as_str(),
            r.event_source.as_str(),
            r.region.as_str()
        ),
        ("ObjectCreated:PutObject", "acs:oss", "cn-shenzhen")
    );
    assert_eq!(r.event_time, "2022-06-10T06:21:35.000Z");
    assert_eq!(r.oss.bucket.name, "testbucket");
    assert_eq!(
        r.oss.bucket.arn,
        "acs:oss:cn-shenzhen:1581223139******:bucketname"
    );
    assert_eq!(
        (
            r.oss.object.key.as_str(),
            r.oss.object.size,
            r.oss.object.delta_size
        ),
        ("image/a.jpg", 29203, 29203)
    );
    assert_eq!(r.oss.object.e_tag, "7D73E1052AF595535DE90994F4C3E6D5");
    assert_eq!(r.oss.object.object_meta.mime_type, "image/jpeg");
    assert_eq!(r.oss.rule_id, "7c5a5ccfb06114a4d1ea8867e3916eb543d84e7c");
    assert_eq!(r.request_parameters.source_ip_address, "106.23.**.**");
    assert_eq!(r.response_elements.request_id, "62A2E2EFD0DEFE3930847A6E");
    assert_eq!(r.user_identity.principal_id, "1581224182******");
}

#[test]
fn timer_sample() {
    let e: TimerEvent = sample(include_str!("samples/timer.json"));
    assert_eq!(
        (
            e.trigger_time.as_str(),
            e.trigger_name.as_str(),
            e.payload.as_str()
        ),
        ("2022-07-29T10:02:58Z", "TestTimer", "TestPayload")
    );
    // The payload is a string even when it holds JSON: not flattened into the event.
    let e: TimerEvent = sample(r#"{"triggerTime":"t","triggerName":"n","payload":"{\"a\":1}"}"#);
    assert_eq!(e.payload, r#"{"a":1}"#);
    assert_eq!(e.payload_json::<serde_json::Value>().unwrap()["a"], 1);
}

#[test]
fn sls_sample() {
    let e: SlsEvent = sample(include_str!("samples/sls.json"));
    assert_eq!(e.cursor_time, 1655645277);
    assert_eq!(e.job_name, "39955366992fd7a0ee85a9e1ecba042a5c737682");
    assert_eq!(e.parameter, serde_json::json!({}));
    assert_eq!(e.source.logstore_name, "function-log");
    assert_eq!(
        e.source.endpoint,
        "http://cn-shenzhen-intranet.log.aliyuncs.com"
    );
    assert_eq!(
        (e.source.begin_cursor.as_str(), e.source.shard_id),
        ("MTY1NDUzOTMyNjA5GFH1MzYyNf==", 0)
    );
    assert_eq!(e.task_id, "617efabb-8dc3-41fv-b908-7cbc********");
}

#[test]
fn mns_topic_sample() {
    let e: MnsTopicEvent = sample(include_str!("samples/mns-topic.json"));
    assert_eq!(
        (e.message.as_str(), e.topic_name.as_str()),
        ("mock mns message", "fc-example")
    );
    assert_eq!(
        (e.publish_time, e.message_md5.as_str()),
        (1658235558094, "652BF0E6297840015247C3xxxxxxx")
    );
    assert_eq!(e.subscription_name, "test-5bf13c7e");
}

#[test]
fn mns_queue_sample_is_a_cloudevent() {
    let e: MnsQueueEvent = sample(include_str!("samples/mns-queue.json"));
    assert_eq!(
        (e.specversion.as_str(), e.event_type.as_str()),
        ("1.0", "mns:Queue:SendMessage")
    );
    assert_eq!(
        e.subject,
        "acs:mns:cn-hangzhou:164901546557****:queues/zeus"
    );
    assert_eq!(e.data.message_body, "TEST");
    assert_eq!(e.data.message_id, "C6DB60D1574661357FA227277445****");
    assert_eq!(
        (e.aliyunregionid.as_str(), e.aliyuneventbusname.as_str()),
        ("cn-chengdu", "MNS-Function-mnstrigger")
    );
    assert_eq!(e.aliyunpublishtime, "2021-10-15T07:06:34.028Z");
    assert_eq!(e.aliyunpublishaddr, "42.120.XX.XX");
}

#[test]
fn kafka_batch_of_strings() {
    let batch: CloudEvents = sample(include_str!("samples/kafka-batch.json"));
    assert_eq!(batch.0.len(), 1);
    let e = &batch.0[0];
    assert_eq!(
        (e.source.as_str(), e.event_type.as_str()),
        ("acs:alikafka", "alikafka:Topic:Message")
    );
    assert_eq!(
        (e.data["topic"].as_str(), e.data["offset"].as_i64()),
        (Some("HelloTopic"), Some(3))
    );
    assert_eq!(e.aliyunaccountid, "1938858730552836");
    // A single event and an array of events decode too.
    let one: CloudEvents = sample(include_str!("samples/mns-queue.json"));
    assert_eq!(one.0[0].data["messageBody"], "TEST");
    let two: CloudEvents<MnsQueueData> = sample(&format!(
        "[{0},{0}]",
        include_str!("samples/mns-queue.json")
    ));
    assert_eq!(two.0[1].data.message_body, "TEST");
    assert!(serde_json::from_str::<CloudEvents>(r#"["not json"]"#).is_err());
}

#[test]
fn http_trigger_sample() {
    let e: HttpTriggerEvent = sample(include_str!("samples/http-trigger.json"));
    assert_eq!(
        (e.version.as_str(), e.raw_path.as_str()),
        ("v1", "/example")
    );
    assert_eq!(e.body_bytes().unwrap(), b"Hello FC!");
    assert_eq!(e.headers["header2"], "value1,value2");
    assert_eq!(e.query_parameters["parameter1"], "value1");
    let http = &e.request_context.http;
    assert_eq!(
        (
            http.method.as_str(),
            http.protocol.as_str(),
            http.user_agent.as_str()
        ),
        ("GET", "HTTP/1.1", "PostmanRuntime/7.32.3")
    );
    assert_eq!(e.request_context.time_epoch, "1693896071895");
    assert_eq!(e.request_context.domain_prefix, "<http-trigger-id>");
    // The answer, as FC reads it.
    let r = HttpTriggerResponse::text(200, "ok").with_header("Content-Type", "text/plain");
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"statusCode":200,"headers":{"Content-Type":"text/plain"},"isBase64Encoded":false,"body":"ok"}"#
    );
    let e: HttpTriggerEvent = sample(r#"{"body":"!!","isBase64Encoded":true}"#);
    assert_eq!(e.body_bytes(), None);
}

#[test]
fn unknown_fields_are_ignored_and_missing_ones_default() {
    let e: OssEvent = sample(
        r#"{"events":[{"eventName":"x","newField":{"a":[1]},"oss":{"object":{"key":"k","future":1}}}],"more":true}"#,
    );
    assert_eq!(
        (
            e.events[0].event_name.as_str(),
            e.events[0].oss.object.key.as_str(),
            e.events[0].oss.object.size
        ),
        ("x", "k", 0)
    );
    let t: TimerEvent = sample("{}");
    assert_eq!(t, TimerEvent::default());
}
