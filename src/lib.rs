//! # fc-runtime
//!
//! A fast, correct custom runtime for Alibaba Cloud Function Compute (FC) and other
//! push-HTTP FaaS platforms (Knative / Cloud Run, Tencent SCF web functions, Huawei
//! FunctionGraph HTTP functions). FC starts your program, waits until it listens on
//! `0.0.0.0:9000`, and sends every call to it as HTTP: event invocations as
//! `POST /invoke`, HTTP triggers as themselves, lifecycle hooks as `/initialize`,
//! `/pre-freeze`, `/pre-stop`. This crate is that server: a blocking HTTP/1.1 server on
//! `std::net` with a bounded thread pool, built for a sub-millisecond cold start and a
//! static binary of a few hundred KiB.
//!
//! ## An event function
//!
//! Build it for `x86_64-unknown-linux-musl` and ship the binary as `bootstrap`:
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
//! [`run`] reads flags and `FCRT_*` variables into a [`Config`], listens, prints FC's marker
//! lines around every call, puts the request id on every log line, answers a failure in
//! FC's shape (`404` + `x-fc-status: 404` for an event), and drains on SIGTERM.
//!
//! ## HTTP routes and lifecycle hooks
//!
//! Implement [`Handler`]: only `invoke` is required. A handler sees a [`Request`] (its
//! body a bounded reader) and the [`Context`] FC sent (request id, function settings,
//! deadline, the role's [`Credentials`] as [`Secret`]s), and returns a [`Response`] or a
//! [`HandlerError`]. Handlers are plain values and unit-test without a server:
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
//! ## Embedding and tests
//!
//! [`Server`] binds, reports its address, serves a handler (or plain HTTP with
//! [`Server::serve_http`]) and stops through a [`ShutdownHandle`]:
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
//! ## Around a function
//!
//! Tools that run next to a function — the `fc-local` emulator, or fc-runtime fronting an
//! app written in another language — use [`client`] (pooled keep-alive HTTP/1.1 with a
//! safe retry and deadlines everywhere) and [`process`] (start a command in its own process
//! group, wait until it is ready, stop it with a grace period). [`json`] escapes strings for
//! hand-written JSON; [`units`] reads sizes and durations in the syntax of every flag.
//!
//! `ARCHITECTURE.md` in the repository has the codemap and the invariants.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod base64;
pub mod client;
mod config;
#[cfg(feature = "events")]
pub mod events;
mod exec;
mod fc;
mod http;
pub mod json;
mod logging;
pub mod process;
mod server;
mod sys;
pub mod testing;

pub use config::{App, Config, Setting};
pub use fc::{Context, Credentials, Handler, HandlerError, Secret, SpanContext, Tracing};
#[cfg(feature = "json")]
pub use fc::{Json, JsonFn, JsonHandler};
pub use http::{
    Headers, Limits, OnUpgrade, Request, RequestBody, Response, ResponseBody, StopSignal, Upgraded,
    Version,
};
pub use server::{blocking, splice, Background, Server, ShutdownHandle};

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use http::fuzzing;
#[doc(hidden)]
pub use sys::entry::start as __start;

/// Sizes and durations in the syntax every flag and `FCRT_*` variable takes (`32MiB`,
/// `500ms`, `1.5s`, `15m`), for tools and functions that read settings of their own.
pub mod units {
    pub use crate::config::values::{duration, size};
}

/// Runs `handler` as the process's function: reads flags and environment, binds and listens
/// first, then installs the logger and the SIGTERM hook, prints the start-up line and FC's
/// `inited` marker, and serves until SIGTERM/SIGINT. Exits the process: 0 after a graceful
/// stop, 1 if it cannot listen, 2 on bad configuration.
///
/// Given an app (`-- COMMAND`, or `FCRT_EXEC`; see [`App`]), it fronts that app instead of
/// `handler` (exec mode): it exits 1 if the app does not become ready or exits on its own.
pub fn run<H: Handler>(handler: H) -> ! {
    use config::CliError;
    let name = sys::entry::args()
        .into_iter()
        .next()
        .and_then(|p| p.rsplit('/').next().map(str::to_owned))
        .unwrap_or_else(|| "fc-runtime".into());
    let config = match Config::from_process() {
        Ok(c) => c,
        Err(CliError::Help) => {
            print!("{}", config::help(&name));
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
    if !config.app.command.is_empty() {
        std::process::exit(exec::run(config, &name));
    }
    // The stop hook goes in before the socket listens (two system calls): a SIGTERM that
    // comes right after the platform's health check connected is then a graceful stop, not
    // a kill by the default action.
    let hook = process::catch_stop_signals();
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
    match hook {
        Ok(()) => server.point_stop_hook(),
        Err(e) => log::warn!("cannot install the SIGTERM hook: {e}"),
    }
    let port = match config.port {
        0 => server.local_addr().map_or(0, |a| a.port()),
        port => port,
    };
    // One write for both lines: the summary, then FC's optional readiness marker (straight
    // to descriptor 1, as marker lines go: no `Stdout` buffer or lock set up for it).
    let mut lines = server.summary(&name, port);
    lines.push_str("\nFunctionCompute fc-runtime runtime inited.\n");
    let _ = sys::write_stdout(lines.as_bytes());
    match server.serve(handler) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            log::error!("server failed: {e}");
            std::process::exit(1)
        }
    }
}

/// Runs a closure of typed events as the process's function (as [`run`] does for
/// bytes): each event decoded into `T`, each result encoded from `R`.
///
/// ```no_run
/// use fc_runtime::{Context, HandlerError};
///
/// #[derive(serde::Deserialize)]
/// struct Resize { key: String, width: u32 }
///
/// fn main() {
///     fc_runtime::run_json(|r: Resize, _: &Context| -> Result<_, HandlerError> {
///         Ok(serde_json::json!({ "resized": r.key, "width": r.width }))
///     })
/// }
/// ```
#[cfg(feature = "json")]
pub fn run_json<F, T, R, E>(f: F) -> !
where
    F: Fn(T, &Context) -> Result<R, E> + Send + Sync + 'static,
    T: serde::de::DeserializeOwned + 'static,
    R: serde::Serialize + 'static,
    E: Into<HandlerError> + 'static,
{
    run(Json::from_fn(f))
}
