//! Integration tests: real servers on loopback, spoken to with raw `TcpStream`s.
//!
//! `client` holds a minimal response reader; each other module covers one area.

/// The `fc-runtime` binary's built-in function, compiled here too: it is written against
/// the public API, so it runs in-process like any user's handler.
#[path = "../../src/bin/fc-runtime/builtin.rs"]
#[allow(dead_code)]
mod builtin;

mod binary;
mod calls;
mod client;
mod errors;
mod exec;
mod fc;
mod http;
mod local;
mod package;
mod platform;
mod pool;
mod rust_api;
mod supervisor;

use std::net::SocketAddr;
use std::thread::JoinHandle;

use fc_runtime::{Config, Handler, Server, ShutdownHandle};

/// An in-process server on 127.0.0.1 with an ephemeral port, stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: ShutdownHandle,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start<H: Handler>(tweak: impl FnOnce(&mut Config), handler: H) -> TestServer {
        let mut config = Config {
            host: "127.0.0.1".into(),
            port: 0,
            ..Config::default()
        };
        tweak(&mut config);
        let server = Server::bind(&config).expect("bind");
        let addr = server.local_addr().unwrap();
        let stop = server.shutdown_handle();
        let thread = std::thread::spawn(move || server.serve(handler).unwrap());
        TestServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the server and waits for its drain to finish.
    pub fn stop(mut self) {
        self.stop.shutdown();
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.shutdown();
    }
}
