//! The `fc-runtime` binary: the built-in function (`builtin.rs`) on the runtime. Built on
//! the library's public API only. Its `main` is [`fc_runtime::entry!`]'s: no std runtime
//! set-up before the first answer (cold start is this binary's headline).

#![deny(unsafe_code)]
// The test harness brings its own `main`.
#![cfg_attr(not(test), no_main)]

mod builtin;

#[cfg_attr(test, allow(dead_code))]
fn serve() {
    fc_runtime::run(builtin::Builtin::from_env())
}

#[cfg(not(test))]
fc_runtime::entry!(serve);
