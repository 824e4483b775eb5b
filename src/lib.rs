#![deny(unsafe_code)]
pub mod fc;
pub mod http;
mod json;
pub mod logging;
