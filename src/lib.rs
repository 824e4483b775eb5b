#![deny(unsafe_code)]
pub mod http;
pub mod fc { pub fn is_secret_header(n: &str) -> bool { n.eq_ignore_ascii_case("x-fc-access-key-secret") || n.eq_ignore_ascii_case("x-fc-security-token") } }
