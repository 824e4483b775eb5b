//! # fc-runtime
//!
//! A fast, correct custom runtime for Alibaba Cloud Function Compute (FC) and other
//! push-HTTP FaaS platforms (Knative / Cloud Run, Tencent SCF web functions, Huawei
//! FunctionGraph HTTP functions). FC starts your program, waits until it listens on
//! `0.0.0.0:9000`, and sends every call to it as HTTP: event invocations as
//! `POST /invoke`, HTTP triggers as themselves, lifecycle hooks as `/initialize`,
//! `/pre-freeze`, `/pre-stop`. This crate is that server: a blocking HTTP/1.1 server on
//! `std::net` with a bounded thread pool, built for a ~millisecond cold start and a static
//! binary of a few hundred KiB.
//!
//! ## Quick start
//!
//! An event function in one line; build it for `x86_64-unknown-linux-musl` and ship the
//! binary as `bootstrap`:
//!
//! ```no_run
//! use fc_runtime::{Context, HandlerError};
//!
//! fn main() {
//!     fc_runtime::run(|event: Vec<u8>, ctx: &Context| -> Result<String, HandlerError> {
//!         log::info!("invoked as {}", ctx.function_name); // carries the request id
//!         Ok(format!("Hello, {}", String::from_utf8_lossy(&event)))
//!     })
//! }
//! ```
//!
//! HTTP routes and lifecycle hooks come from implementing [`Handler`]; handlers are plain
//! values and unit-test without a server:
//!
//! ```
//! use fc_runtime::{Context, Handler, HandlerError, Request, Response};
//!
//! struct Api;
//!
//! impl Handler for Api {
//!     fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
//!         Ok(event)
//!     }
//!     fn http(&self, req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
//!         Ok(match (req.method.as_str(), req.path.as_str()) {
//!             ("GET", "/health") => Response::ok("ok"),
//!             _ => Response::new(404),
//!         })
//!     }
//! }
//!
//! assert_eq!(Api.invoke(b"ping".to_vec(), &Context::default()).unwrap(), b"ping");
//! ```
//!
//! For tests and embedding, [`Server`] binds, reports its address, and stops through a
//! [`ShutdownHandle`]:
//!
//! ```
//! use fc_runtime::{Config, Context, HandlerError, Server};
//! use std::io::{Read, Write};
//!
//! let config = Config { host: "127.0.0.1".into(), port: 0, ..Config::default() };
//! let server = Server::bind(&config).unwrap();
//! let addr = server.local_addr().unwrap();
//! let stop = server.shutdown_handle();
//! let t = std::thread::spawn(move || {
//!     server.serve(|e: Vec<u8>, _: &Context| Ok::<_, HandlerError>(e)).unwrap()
//! });
//! let mut s = std::net::TcpStream::connect(addr).unwrap();
//! s.write_all(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi").unwrap();
//! let mut out = String::new();
//! s.read_to_string(&mut out).unwrap();
//! assert!(out.starts_with("HTTP/1.1 200 OK") && out.ends_with("\r\n\r\nhi"));
//! stop.shutdown();
//! t.join().unwrap();
//! ```
//!
//! ## Layout
//! [`http`] is HTTP/1.1 without sockets, [`fc`] the platform contract without I/O, the
//! server runs them on threads. `ARCHITECTURE.md` in the repository has the codemap.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod builtin;
mod config;
pub mod fc;
pub mod http;
mod json;
pub mod logging;
mod server;

pub use config::{help, CliError, Config, Memory, MemorySource, Opt, OPTIONS};
pub use fc::{Context, Credentials, Handler, HandlerError, Secret};
pub use http::{Headers, Limits, Request, RequestBody, Response, ResponseBody};
pub use server::{Server, ShutdownHandle};

/// Stop signals for programs that run next to or around a function (the `fc-local` tool):
/// route SIGTERM/SIGINT to a listener's accept loop, ask whether one arrived, send SIGTERM.
/// The same hook [`Server::handle_signals`] installs.
pub mod signals {
    pub use crate::server::signal::{install, stop_requested, terminate};
}

/// Runs `handler` as the process's function: reads flags and environment, binds and listens
/// first, then installs the logger and the SIGTERM hook, prints the start-up line and FC's
/// `inited` marker, and serves until SIGTERM/SIGINT. Exits the process: 0 after a graceful
/// stop, 1 if it cannot listen, 2 on bad configuration.
pub fn run<H: Handler>(handler: H) -> ! {
    let name = std::env::args()
        .next()
        .and_then(|p| p.rsplit('/').next().map(str::to_owned))
        .unwrap_or_else(|| "fc-runtime".into());
    let config = match Config::from_process() {
        Ok(c) => c,
        Err(CliError::Help) => {
            print!("{}", help(&name));
            std::process::exit(0)
        }
        Err(CliError::Version) => {
            println!("{name} {}", env!("CARGO_PKG_VERSION"));
            std::process::exit(0)
        }
        Err(CliError::Bad(msg)) => {
            eprintln!("{name}: {msg}");
            std::process::exit(2)
        }
    };
    let server = match Server::bind(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "{name}: cannot listen on {}:{}: {e}",
                config.host, config.port
            );
            std::process::exit(1)
        }
    };
    logging::init();
    if let Err(e) = server.handle_signals() {
        log::warn!("cannot install the SIGTERM hook: {e}");
    }
    let port = server.local_addr().map_or(config.port, |a| a.port());
    // One write for both lines: the summary, then FC's optional readiness marker.
    print!(
        "{}\nFunctionCompute fc-runtime runtime inited.\n",
        server.config().summary(port)
    );
    match server.serve(handler) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            log::error!("server failed: {e}");
            std::process::exit(1)
        }
    }
}
