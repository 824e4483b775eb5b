//! The `fc-runtime` binary: the built-in function on the runtime (see `fc_runtime::builtin`).

fn main() {
    fc_runtime::run(fc_runtime::builtin::Builtin::from_env())
}
