//! The blocking TCP server: bind, accept, place each connection on the [`pool`], run the
//! HTTP connection loop on it, answer 503 when nothing can take it, and stop gracefully.
//!
//! The only place (with the pool) that creates threads for serving and touches sockets.
//! What a request becomes is a [`Serve`]: FC's dispatcher around a [`Handler`]
//! ([`Server::serve`]) or a plain function of the request ([`Server::serve_http`]). The
//! acceptor never blocks on a client: placement and the 503 are non-blocking. It never exits
//! on an `accept` error; it logs it and backs off. Stop (SIGTERM/SIGINT or a
//! [`ShutdownHandle`]) closes the listener at once, closes idle connections and lets requests
//! in flight finish within the grace period, answered with `Connection: close`.

mod background;
mod markers;
mod paced;
mod pool;
mod splice;
mod worker;

pub use background::Background;
pub use splice::splice;

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::config::{self, Capacity, Config};
use crate::fc::{Dispatcher, Handler, Markers, Target};
use crate::http::{self, BodyBudget, HttpError, Request, Response, Window};
use crate::sys;
use markers::StdoutMarkers;
use paced::PacedWriter;
use pool::{Placement, Pool};
use worker::{worker, Shared};

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
    fn run(self, service: impl Serve) -> io::Result<()> {
        let service: Box<dyn Serve> = Box::new(service);
        let Server {
            listener,
            config,
            capacity,
            stop,
        } = self;
        let stopping = || stop.load(Ordering::SeqCst) || sys::stop_requested();
        let shared = Arc::new(Shared::new(
            Pool::new(capacity.workers, config.worker_idle),
            service,
            BodyBudget::new(capacity.body_budget, config.body_wait),
            config,
            capacity,
        ));
        let pool = &shared.pool;
        let mut backoff = Duration::from_millis(5);
        while !stopping() {
            match listener.accept() {
                Ok((stream, _)) => {
                    backoff = Duration::from_millis(5);
                    if stopping() {
                        break;
                    }
                    place(&shared, stream);
                }
                Err(_) if stopping() => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) => {
                    // EMFILE/ENFILE/ENOBUFS...: free a descriptor if an idle connection holds
                    // one, and back off so the loop never spins.
                    log::warn!("accept failed: {e}; retrying in {backoff:?}");
                    pool.evict_one();
                    thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
        sys::forget_listener();
        drop(listener);
        let grace = shared.config.grace;
        log::info!("stopping: draining requests in flight (grace {grace:?})");
        let busy = pool.drain(grace);
        if busy > 0 {
            log::warn!("grace period over with {busy} request(s) still running");
        }
        Ok(())
    }
}

fn place(shared: &Arc<Shared>, stream: TcpStream) {
    match shared.pool.dispatch(stream) {
        Placement::Queued => {}
        Placement::Reject(stream) => reject(stream),
        Placement::Spawn(slot, stream) => {
            let (shared2, slot2) = (shared.clone(), slot.clone());
            let spawned = thread::Builder::new()
                .name("fc-worker".into())
                .stack_size(shared.config.stack_size)
                .spawn(move || worker(&shared2, &slot2, stream));
            if let Err(e) = spawned {
                log::warn!("cannot start a worker thread: {e}");
                shared.pool.spawn_failed(&slot);
            }
        }
    }
}

/// The fast 503 when every worker is busy with a request in progress: the same answer as
/// any other refusal ([`http::refuse`] with `Overloaded`), written through the workers'
/// writer type (no second copy of the response writer in the binary, and no rate rule: a
/// zero window), and it never blocks the acceptor.
fn reject(stream: TcpStream) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    // Discard what already arrived, so closing sends FIN, not a reset that could beat the
    // answer to the client.
    let mut buf = [0u8; 4096];
    while let Ok(n) = (&stream).read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    let window = Window::new(Duration::ZERO, 0);
    let _ = http::refuse(
        &mut PacedWriter::new(&stream, &window),
        HttpError::Overloaded,
    );
    let _ = stream.shutdown(Shutdown::Write);
    log::warn!("all workers busy with requests: answered 503");
}
