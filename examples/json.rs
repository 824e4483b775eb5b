//! A typed JSON function (feature `json`): the event decodes into `Order`, the result
//! encodes from `Receipt`; an event that does not fit is a function error naming the field.
//!
//! `cargo run --features json --example json`, then
//! `curl -s localhost:9000/invoke -d '{"id":7,"items":[{"sku":"a","qty":2}]}'`.

use fc_runtime::{Context, HandlerError};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Item {
    sku: String,
    qty: u32,
}

#[derive(Deserialize)]
struct Order {
    id: u64,
    items: Vec<Item>,
}

#[derive(Serialize)]
struct Receipt {
    id: u64,
    units: u32,
    skus: Vec<String>,
}

fn main() {
    fc_runtime::run_json(|o: Order, ctx: &Context| -> Result<Receipt, HandlerError> {
        if o.items.is_empty() {
            return Err(HandlerError::new(
                "EmptyOrder",
                format!("order {} has no items", o.id),
            ));
        }
        log::info!("order {} in {}", o.id, ctx.function_name);
        Ok(Receipt {
            id: o.id,
            units: o.items.iter().map(|i| i.qty).sum(),
            skus: o.items.into_iter().map(|i| i.sku).collect(),
        })
    })
}
