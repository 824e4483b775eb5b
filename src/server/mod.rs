//! The blocking TCP server: bind, accept, place each connection on the [`pool`], run the
//! HTTP connection loop on it, park it between requests in the [`room`] (the kernel's
//! readiness set) so an idle keep-alive connection holds no thread, answer 503 when nothing
//! can take a connection, and stop gracefully. Workers take the next connection that has
//! bytes from the room themselves, so under load a request costs no thread hand-off and
//! requests are served in the order they arrived. The thread that calls `serve` accepts and
//! serves the first connection itself, while an acceptor thread made before that `accept`
//! takes over accepting (cold start: no thread start between the first request and its
//! answer, and the room is made only after it); stop signals are blocked on every thread
//! but the acceptor.
//!
//! The only place (with the pool) that creates threads for serving and touches sockets.
//! What a request becomes is a [`Serve`]: FC's dispatcher around a [`Handler`]
//! ([`Server::serve`]) or a plain function of the request ([`Server::serve_http`]). The
//! acceptor never blocks on a client: placement and the 503 are non-blocking. It never exits
//! on an `accept` error; it logs it and backs off. Stop (SIGTERM/SIGINT or a
//! [`ShutdownHandle`]) closes the listener at once, closes idle connections and lets requests
//! in flight finish within the grace period, answered with `Connection: close`.

mod acceptor;
mod background;
mod blocking;
mod markers;
mod paced;
mod placement;
mod pool;
mod room;
mod slot;
mod splice;
mod worker;

pub use background::Background;
pub use blocking::blocking;
pub use splice::splice;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use crate::config::{self, Capacity, Config};
use crate::fc::{Dispatcher, Handler, Markers, Target};
use crate::http::{BodyBudget, Request, Response};
use crate::sys;
use acceptor::{Acceptor, Gate, Go};
use markers::StdoutMarkers;
use placement::{reject, work};
use pool::{Placement, Pool};
use room::Conn;
use worker::Shared;

/// A bound listener, ready to serve.
///
/// ```
/// use fc_runtime::{Config, Server};
///
/// let config = Config { host: "127.0.0.1".into(), port: 0, ..Config::default() };
/// let server = Server::bind(&config).unwrap();
/// assert_ne!(server.local_addr().unwrap().port(), 0);
/// ```
pub struct Server {
    listener: Arc<TcpListener>,
    config: Config,
    capacity: Capacity,
    stop: Arc<AtomicBool>,
}

/// Stops a running [`Server::serve`] from another thread, like SIGTERM does.
///
/// ```
/// use fc_runtime::{Config, Context, HandlerError, Server};
///
/// let server = Server::bind(&Config { host: "127.0.0.1".into(), port: 0, ..Config::default() }).unwrap();
/// let stop = server.shutdown_handle();
/// let t = std::thread::spawn(move || server.serve(|e: Vec<u8>, _: &Context| Ok::<_, HandlerError>(e)));
/// stop.shutdown();
/// t.join().unwrap().unwrap();
/// ```
#[derive(Clone)]
pub struct ShutdownHandle {
    listener: Arc<TcpListener>,
    stop: Arc<AtomicBool>,
}

impl ShutdownHandle {
    /// Stops accepting now and starts the graceful drain.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        sys::shutdown_read(self.listener.as_raw_fd());
    }
}

/// What the workers run for each request.
pub(crate) trait Serve: Send + Sync + 'static {
    fn serve(&self, req: Request<'_>) -> Response;
}

impl Serve for Dispatcher {
    fn serve(&self, req: Request<'_>) -> Response {
        self.handle(req)
    }
}

/// A plain function of the request: a panic in it is answered 500 and the server goes on.
struct Plain<F>(F);

impl<F> Serve for Plain<F>
where
    F: Fn(Request<'_>) -> Response + Send + Sync + 'static,
{
    fn serve(&self, req: Request<'_>) -> Response {
        catch_unwind(AssertUnwindSafe(|| (self.0)(req))).unwrap_or_else(|_| {
            log::error!("request handler panicked: answered 500");
            Response::new(500)
        })
    }
}

impl Server {
    /// Resolves the instance's capacity (see [`Config::memory`]), then binds and listens on
    /// the configured host and port.
    #[inline(never)] // start-up code: one copy for both callers of `run`
    pub fn bind(config: &Config) -> io::Result<Server> {
        let capacity = Capacity::resolve(config, config::platform(), config::probe_files);
        let ip = config::bind_ip(&config.host).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{:?}: {e}", config.host),
            )
        })?;
        let listener = TcpListener::bind(SocketAddr::new(ip, config.port))?;
        Ok(Server {
            listener: Arc::new(listener),
            config: config.clone(),
            capacity,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The configuration this server was bound with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops [`Server::serve`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            listener: self.listener.clone(),
            stop: self.stop.clone(),
        }
    }

    /// Makes SIGTERM and SIGINT stop this server gracefully (process-wide; for binaries).
    pub fn handle_signals(&self) -> io::Result<()> {
        sys::install_stop_hook()?;
        self.point_stop_hook();
        Ok(())
    }

    /// Points a stop hook installed earlier (`process::catch_stop_signals`, before the
    /// socket listened) at this listener, so a stop wakes `accept`.
    pub(crate) fn point_stop_hook(&self) {
        sys::watch_listener(self.listener.as_raw_fd());
    }

    /// The start-up line: port, capacity and limits.
    pub(crate) fn summary(&self, program: &str, port: u16) -> String {
        self.config.summary(program, &self.capacity, port)
    }

    /// Serves `handler` the way Function Compute calls a function — event invocations,
    /// HTTP passthrough and lifecycle hooks, with marker lines, request ids on log lines
    /// and FC's error shapes — until stopped, then drains. Returns once every request in
    /// flight was answered or the grace period ran out.
    pub fn serve<H: Handler>(self, handler: H) -> io::Result<()> {
        let markers = Arc::new(StdoutMarkers);
        let strip = self.config.strip_base_path;
        self.run(Dispatcher::new(handler, markers, strip))
    }

    /// Serves `target` under FC's contract (exec mode's app, behind its proxy).
    pub(crate) fn serve_target<T: Target>(self, target: T) -> io::Result<()> {
        let markers: Arc<dyn Markers> = Arc::new(StdoutMarkers);
        let strip = self.config.strip_base_path;
        self.run(Dispatcher::with_target(target, markers, strip))
    }

    /// Serves plain HTTP with the same limits, pool and graceful stop, but none of FC's
    /// rules: no routing, markers or reserved headers. For gateways and proxies in front of
    /// a function (`fc-local serve` is one); a panic in `f` is answered 500.
    ///
    /// ```
    /// use fc_runtime::{Config, Response, Server};
    ///
    /// let server = Server::bind(&Config { host: "127.0.0.1".into(), port: 0, ..Config::default() }).unwrap();
    /// let stop = server.shutdown_handle();
    /// let t = std::thread::spawn(move || server.serve_http(|req| Response::ok(req.path)));
    /// stop.shutdown();
    /// t.join().unwrap().unwrap();
    /// ```
    pub fn serve_http<F>(self, f: F) -> io::Result<()>
    where
        F: Fn(Request<'_>) -> Response + Send + Sync + 'static,
    {
        self.run(Plain(f))
    }

    /// The serving loop. The service is a trait object: one copy of the server, the worker
    /// and the connection loop in the binary whatever is served (a virtual call per
    /// request costs nothing next to its system calls).
    ///
    /// No thread start stands between the first request and its answer (cold start): the
    /// acceptor thread is made before the first `accept` (while the platform is still
    /// connecting), this thread accepts and serves the first connection itself, and the
    /// acceptor takes over accepting from then on. Stop signals are then blocked on this
    /// thread and on every worker, so they reach the acceptor (blocked in `accept`), as
    /// they reached the accepting main thread before, never a worker's socket call.
    fn run(self, service: impl Serve) -> io::Result<()> {
        let service: Box<dyn Serve> = Box::new(service);
        let Server {
            listener,
            config,
            capacity,
            stop,
        } = self;
        let shared = Arc::new(Shared::new(
            Pool::new(
                capacity.workers,
                config.worker_idle,
                config.limits.idle_timeout,
            ),
            service,
            BodyBudget::new(capacity.body_budget, config.body_wait),
            config,
            capacity,
        ));
        let acceptor = Acceptor {
            listener,
            stop,
            shared: shared.clone(),
        };
        let gate = Arc::new(Gate::default());
        let rest = {
            let (acceptor, gate) = (acceptor.clone(), gate.clone());
            thread::Builder::new()
                .name("fc-acceptor".into())
                .stack_size(shared.config.stack_size)
                .spawn(move || match gate.wait() {
                    Go::Accept => acceptor.serve(),
                    _ => Ok(()), // stopped before any connection
                })
        };
        let rest = match rest {
            Ok(rest) => rest,
            Err(e) => {
                log::warn!("cannot start the acceptor thread: {e}; accepting on this one");
                return acceptor.serve();
            }
        };
        // This thread serves with stop signals blocked; its caller gets its mask back.
        let finished = sys::with_stop_signals_blocked(|| {
            let first = acceptor.next().map(Conn::new);
            match first.map(|conn| shared.pool.dispatch(conn, &shared.room)) {
                // An empty pool always starts a worker for its first connection: this thread.
                Some(Placement::Spawn(slot, stream)) => {
                    gate.open(&rest, Go::Accept);
                    drop(acceptor);
                    work(&shared, &slot, stream);
                    None
                }
                Some(other) => {
                    if let Placement::Reject(conn) = other {
                        reject(&conn.stream);
                    }
                    gate.open(&rest, Go::Accept);
                    None
                }
                None => {
                    gate.open(&rest, Go::Stop);
                    Some(acceptor)
                }
            }
        });
        let result = rest
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the acceptor thread panicked")));
        match finished {
            Some(acceptor) => acceptor.finish(),
            None => result,
        }
    }
}
