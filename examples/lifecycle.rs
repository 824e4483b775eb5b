//! Lifecycle hooks sharing state with the handler: `/initialize` loads once, invocations
//! count, `/pre-freeze` reports, `/pre-stop` flushes.
//!
//! `cargo run --example lifecycle`, then
//! `curl -X POST localhost:9000/initialize; curl -X POST localhost:9000/invoke -d x`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use fc_runtime::{Context, Handler, HandlerError};

#[derive(Default)]
struct Counter {
    greeting: OnceLock<String>,
    calls: AtomicU64,
}

impl Handler for Counter {
    fn initialize(&self, ctx: &Context) -> Result<(), HandlerError> {
        // Expensive set-up belongs here, once per instance, not in every call.
        let _ = self
            .greeting
            .set(format!("Hello from {}", ctx.function_name));
        Ok(())
    }

    fn invoke(&self, _event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        let greeting = self
            .greeting
            .get()
            .ok_or_else(|| HandlerError::new("NotInitialized", "call /initialize first"))?;
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(format!("{greeting}: call #{n}").into_bytes())
    }

    fn pre_freeze(&self, _: &Context) -> Result<(), HandlerError> {
        log::info!(
            "freezing after {} calls",
            self.calls.load(Ordering::Relaxed)
        );
        Ok(())
    }

    fn pre_stop(&self, _: &Context) -> Result<(), HandlerError> {
        log::info!(
            "stopping: flushed {} calls",
            self.calls.load(Ordering::Relaxed)
        );
        Ok(())
    }
}

fn main() {
    fc_runtime::run(Counter::default())
}
