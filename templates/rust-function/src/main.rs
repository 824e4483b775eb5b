//! An OSS-triggered function: for each uploaded object, report its bucket, key and size.
//!
//! Try it locally:   fc-local invoke --event-template oss -- cargo run -q
//! Package it:       fc-local package        (target/fc/{{name}}.zip, bootstrap inside)
//! Deploy it:        s deploy                (Serverless Devs, see s.yaml)

use fc_runtime::events::OssEvent;
use fc_runtime::{Context, HandlerError};
use serde::Serialize;

#[derive(Serialize)]
struct Seen {
    bucket: String,
    key: String,
    size: i64,
}

fn main() {
    fc_runtime::run_json(|e: OssEvent, ctx: &Context| -> Result<Vec<Seen>, HandlerError> {
        if e.events.is_empty() {
            return Err(HandlerError::new("NoRecords", "the OSS event has no records"));
        }
        let mut seen = Vec::new();
        for r in e.events {
            log::info!("{} {}/{} in {}", r.event_name, r.oss.bucket.name, r.oss.object.key, ctx.region);
            seen.push(Seen {
                bucket: r.oss.bucket.name,
                key: r.oss.object.key,
                size: r.oss.object.size,
            });
        }
        Ok(seen)
    })
}
