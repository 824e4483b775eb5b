//! `fc-local`: run any custom runtime the way Function Compute does. `invoke` sends one
//! event invocation, `serve` is an HTTP-trigger gateway, `selftest` checks a server against
//! the contract. See `fc-local --help` and the README's "Local development".
//!
//! A separate binary built on the library's public API only: its server (the gateway's
//! inbound side), its HTTP client (every call to the function) and its process supervisor
//! (starting, health-checking and stopping the function). It adds no dependency and does
//! not change `fc-runtime`'s size.

#![deny(unsafe_code)]

mod api;
mod cli;
mod failure;
mod fleet;
mod gateway;
mod instance;
mod invoke;
mod logs;
mod package;
mod platform;
mod procfs;
mod runner;
mod scaffold;
mod selftest;
mod sha256;
mod templates;
mod util;
mod zip;

fn main() {
    // As a container's entrypoint (PID 1), orphans of the function's tree are ours to reap.
    if let Err(e) = fc_runtime::process::reap_orphans() {
        eprintln!("fc-local: cannot start reaping orphans: {e}");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match cli::parse(&args) {
        Ok(cli::Command::Help) => {
            print!("{}", cli::HELP);
            0
        }
        Ok(cli::Command::Version) => {
            println!("fc-local {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Ok(cli::Command::Invoke(o)) => invoke::run(o),
        Ok(cli::Command::Serve(o)) => gateway::run(o),
        Ok(cli::Command::Selftest(o)) => selftest::run(o),
        Ok(cli::Command::New(args)) => match scaffold::parse(&args) {
            Ok(Some(o)) => scaffold::run(o),
            Ok(None) => {
                print!("{}", scaffold::HELP);
                0
            }
            Err(msg) => {
                eprintln!("fc-local new: {msg}");
                2
            }
        },
        Ok(cli::Command::Package(args)) => match package::parse(&args) {
            Ok(Some(o)) => package::run(o),
            Ok(None) => {
                print!("{}", package::HELP);
                0
            }
            Err(msg) => {
                eprintln!("fc-local package: {msg}");
                2
            }
        },
        Err(msg) => {
            eprintln!("fc-local: {msg} (see fc-local --help)");
            2
        }
    };
    std::process::exit(code)
}
