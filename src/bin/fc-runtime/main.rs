//! The `fc-runtime` binary: the built-in function (`builtin.rs`) on the runtime. Built on
//! the library's public API only.

#![deny(unsafe_code)]

mod builtin;

fn main() {
    fc_runtime::run(builtin::Builtin::from_env())
}
