//! `--event-template NAME`: sample events in the shapes FC's triggers send, from Alibaba's
//! documentation (the trigger pages and the `events` READMEs of aliyun/fc-runtime-go-sdk),
//! with this run's time and `--region` filled in where the samples carry them.
//!
//! Text only; `invoke` sends or prints it.

use crate::cli::Function;

/// The templates: name, what sends it, and its text with `{time_s}`/`{time_ms}` (ISO 8601),
/// `{epoch}`/`{epoch_ms}`, `{region}` and `{account}` to fill in.
const TEMPLATES: [(&str, &str, &str); 5] = [
    (
        "timer",
        "a time trigger (payload as configured, a string)",
        r#"{"triggerTime":"{time_s}","triggerName":"timer-trigger","payload":"awesome-fc"}"#,
    ),
    (
        "oss",
        "an OSS trigger (ObjectCreated:PutObject)",
        r#"{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","eventTime":"{time_ms}","eventVersion":"1.0","oss":{"bucket":{"arn":"acs:oss:{region}:{account}:testbucket","name":"testbucket","ownerIdentity":"{account}","virtualBucket":""},"object":{"deltaSize":29203,"eTag":"7D73E1052AF595535DE90994F4C3E6D5","key":"image/a.jpg","objectMeta":{"mimeType":"image/jpeg"},"size":29203},"ossSchemaVersion":"1.0","ruleId":"7c5a5ccfb06114a4d1ea8867e3916eb543d84e7c"},"region":"{region}","requestParameters":{"sourceIPAddress":"106.23.0.1"},"responseElements":{"requestId":"62A2E2EFD0DEFE3930847A6E"},"userIdentity":{"principalId":"{account}"}}]}"#,
    ),
    (
        "sls",
        "a Simple Log Service (SLS) trigger",
        r#"{"cursorTime":{epoch},"jobName":"39955366992fd7a0ee85a9e1ecba042a5c737682","parameter":{},"source":{"beginCursor":"MTY1NDUzOTMyNjA5GFH1MzYyNf==","endCursor":"MTY1NDUzOTMyNjA5GFH1MzYyOQ==","endpoint":"http://{region}-intranet.log.aliyuncs.com","logstoreName":"function-log","projectName":"aliyun-fc-{region}-logs","shardId":0},"taskId":"617efabb-8dc3-41fa-b908-7cbc00000000"}"#,
    ),
    (
        "mns-topic",
        "an MNS topic trigger (event format JSON)",
        r#"{"TopicOwner":"{account}","Message":"hello topic","Subscriber":"{account}","PublishTime":{epoch_ms},"SubscriptionName":"test-5bf13c7e","MessageMD5":"652BF0E6297840015247C30000000000","TopicName":"fc-example","MessageId":"3405CA51807661353B3000000000000"}"#,
    ),
    (
        "cloudevent",
        "an EventBridge-based trigger (here MNS queue; RocketMQ, Kafka, RabbitMQ and MQTT send the same CloudEvents 1.0 envelope)",
        r#"{"id":"c2g71017-6f65-fhcf-a814-a396fc8d0000","source":"MNS-Function-mnstrigger","specversion":"1.0","type":"mns:Queue:SendMessage","datacontenttype":"application/json; charset=utf-8","subject":"acs:mns:{region}:{account}:queues/zeus","time":"{time_ms}","aliyunaccountid":"{account}","aliyunpublishtime":"{time_ms}","aliyunoriginalaccountid":"{account}","aliyuneventbusname":"MNS-Function-mnstrigger","aliyunregionid":"{region}","aliyunpublishaddr":"42.120.0.1","data":{"requestId":"606EA3074344430D4C810000","messageId":"C6DB60D1574661357FA2272774450000","messageBody":"TEST"}}"#,
    ),
];

/// The names, one per line with what sends each, for `--event-template list`.
pub fn list() -> String {
    TEMPLATES
        .iter()
        .map(|(n, what, _)| format!("{n:<11} {what}\n"))
        .collect()
}

/// The event `name` stands for, filled in for `f` at `now` (seconds and milliseconds since
/// the epoch).
pub fn render(name: &str, f: &Function, now_ms: u64) -> Result<String, String> {
    let Some((_, _, text)) = TEMPLATES.iter().find(|(n, _, _)| *n == name) else {
        return Err(format!(
            "no event template '{name}'; there are: {}",
            TEMPLATES.map(|(n, _, _)| n).join(", ")
        ));
    };
    let secs = now_ms / 1000;
    Ok(text
        .replace("{time_s}", &iso(secs, None))
        .replace("{time_ms}", &iso(secs, Some(now_ms % 1000)))
        .replace("{epoch_ms}", &now_ms.to_string())
        .replace("{epoch}", &secs.to_string())
        .replace("{region}", &f.region)
        .replace("{account}", &f.account_id))
}

/// `2026-11-29T07:13:31Z` (or `.123Z`).
fn iso(secs: u64, millis: Option<u64>) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let frac = millis.map_or(String::new(), |ms| format!(".{ms:03}"));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The function a command line describes.
    fn function() -> Function {
        let args: Vec<String> = "invoke --region cn-shenzhen --account-id 1581223139000000"
            .split(' ')
            .map(String::from)
            .collect();
        match crate::cli::parse(&args) {
            Ok(crate::cli::Command::Invoke(o)) => o.function,
            _ => panic!("not parsed"),
        }
    }

    #[test]
    fn every_template_is_filled_json() {
        for (name, _, _) in TEMPLATES {
            let t = render(name, &function(), 1_795_936_411_123).unwrap();
            for hole in ["{time", "{epoch", "{region}", "{account}"] {
                assert!(!t.contains(hole), "{name}: {hole} left in {t}");
            }
            // Balanced braces and quotes: a cheap well-formedness check (the integration
            // tests parse them with Python's json).
            assert_eq!(t.matches('{').count(), t.matches('}').count(), "{name}");
            assert_eq!(t.matches('"').count() % 2, 0, "{name}");
        }
    }

    #[test]
    fn fields_table() {
        let f = function();
        let cases = [
            ("timer", r#""triggerTime":"2026-11-29T07:13:31Z""#),
            ("oss", r#""eventTime":"2026-11-29T07:13:31.123Z""#),
            ("oss", r#""region":"cn-shenzhen""#),
            ("sls", r#""cursorTime":1795936411,"#),
            ("mns-topic", r#""PublishTime":1795936411123,"#),
            ("cloudevent", r#""aliyunregionid":"cn-shenzhen""#),
        ];
        for (name, want) in cases {
            let t = render(name, &f, 1_795_936_411_123).unwrap();
            assert!(t.contains(want), "{name}: {want} not in {t}");
        }
        assert!(render("nope", &f, 0).unwrap_err().contains("timer, oss"));
        assert_eq!(iso(951_782_400, None), "2000-02-29T00:00:00Z");
        assert_eq!(iso(0, Some(7)), "1970-01-01T00:00:00.007Z");
    }
}
