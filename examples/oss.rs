//! A typed OSS-trigger function (feature `events`): each uploaded object is reported with
//! its bucket, key and size; an event that is not an OSS event is a function error that
//! names the field that did not fit.
//!
//! `cargo run --features events --example oss`, then
//! `fc-local invoke --port 9000 --event-template oss` (or any client posting to `/invoke`).

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
    fc_runtime::run_json(
        |e: OssEvent, ctx: &Context| -> Result<Vec<Seen>, HandlerError> {
            if e.events.is_empty() {
                return Err(HandlerError::new(
                    "NoRecords",
                    "the OSS event has no records",
                ));
            }
            Ok(e.events
                .into_iter()
                .map(|r| {
                    log::info!(
                        "{} {}/{} in {}",
                        r.event_name,
                        r.oss.bucket.name,
                        r.oss.object.key,
                        ctx.region
                    );
                    Seen {
                        bucket: r.oss.bucket.name,
                        key: r.oss.object.key,
                        size: r.oss.object.size,
                    }
                })
                .collect())
        },
    )
}
