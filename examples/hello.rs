//! The smallest event function: `POST /invoke` with `world` answers `Hello, world`.
//!
//! `cargo run --example hello -- --port 9000`, then
//! `curl -X POST localhost:9000/invoke -d world`.

use fc_runtime::{Context, HandlerError};

fn main() {
    fc_runtime::run(
        |event: Vec<u8>, ctx: &Context| -> Result<String, HandlerError> {
            if event.is_empty() {
                return Err(HandlerError::new("EmptyEvent", "send a name"));
            }
            log::info!(
                "greeting for {} ({:?} left)",
                ctx.function_name,
                ctx.remaining()
            );
            Ok(format!("Hello, {}", String::from_utf8_lossy(&event)))
        },
    )
}
