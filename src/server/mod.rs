//! The blocking TCP server: bind, accept, place each connection on the [`pool`], run the
//! HTTP connection loop on it, answer 503 when nothing can take it, and stop gracefully.
//!
//! The only place (with the pool) that creates threads and touches sockets. The acceptor
//! never blocks on a client: placement and the 503 are non-blocking. It never exits on an
//! `accept` error; it logs it and backs off. Stop (SIGTERM/SIGINT or a [`ShutdownHandle`])
//! closes the listener at once, closes idle connections and lets requests in flight finish
//! within the grace period, answered with `Connection: close`.

mod paced;
mod pool;
pub(crate) mod signal;
mod worker;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::config::{self, Config, Memory, MemorySource};
use crate::fc::{Dispatcher, Handler};
use crate::http::BodyBudget;
use crate::logging::StdoutMarkers;
use pool::{Placement, Pool};
use worker::{worker, Adjust, Shared};

/// The answer when every worker is busy with a real request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
Content-Length: 75\r\nRetry-After: 1\r\nConnection: close\r\n\r\n\
{\"errorMessage\":\"all workers busy with requests\",\"errorType\":\"ServerBusy\"}\n";

/// A bound listener, ready to serve.
pub struct Server {
    listener: Arc<TcpListener>,
    config: Config,
    adjust: Adjust,
    stop: Arc<AtomicBool>,
}

/// Stops a running [`Server::serve`] from another thread, like SIGTERM does.
#[derive(Clone)]
pub struct ShutdownHandle {
    listener: Arc<TcpListener>,
    stop: Arc<AtomicBool>,
}

impl ShutdownHandle {
    /// Stops accepting now and starts the graceful drain.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        signal::wake(&self.listener);
    }
}

impl Server {
    /// Binds and listens on the configured host and port, after deriving the worker cap
    /// and body budget left at 0 from the instance memory (see [`Config::resolve`]).
    pub fn bind(config: &Config) -> io::Result<Server> {
        let auto = (config.max_workers == 0, config.body_budget == 0);
        let config = config.clone().resolve(config::probe);
        let probed = matches!(
            config.memory,
            Some(Memory {
                source: MemorySource::Cgroup | MemorySource::Physical | MemorySource::Fallback,
                ..
            })
        );
        let adjust = match auto {
            (workers, budget) if probed && (workers || budget) => {
                Adjust::FromHeader { workers, budget }
            }
            _ => Adjust::Fixed,
        };
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        Ok(Server {
            listener: Arc::new(listener),
            config,
            adjust,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The configuration in force, with derived values filled in.
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
        signal::install(&self.listener)
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || signal::stop_requested()
    }

    /// Serves `handler` until stopped, then drains. Returns once every request in flight
    /// was answered or the grace period ran out.
    pub fn serve<H: Handler>(mut self, handler: H) -> io::Result<()> {
        let markers = Arc::new(StdoutMarkers::new());
        let config = std::mem::take(&mut self.config);
        let shared = Arc::new(Shared::new(
            Pool::new(config.max_workers, config.worker_idle),
            Dispatcher::new(handler, markers, config.strip_base_path),
            BodyBudget::new(config.body_budget, config.body_wait),
            config,
            self.adjust,
        ));
        let pool = &shared.pool;
        let mut backoff = Duration::from_millis(5);
        while !self.stopping() {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    backoff = Duration::from_millis(5);
                    if self.stopping() {
                        break;
                    }
                    self.place(&shared, stream);
                }
                Err(_) if self.stopping() => break,
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
        signal::uninstall();
        drop(self.listener);
        let grace = shared.config.grace;
        log::info!("stopping: draining requests in flight (grace {grace:?})");
        let busy = pool.drain(grace);
        if busy > 0 {
            log::warn!("grace period over with {busy} request(s) still running");
        }
        Ok(())
    }

    fn place<H: Handler>(&self, shared: &Arc<Shared<H>>, stream: TcpStream) {
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
}

/// The fast 503: never blocks the acceptor.
fn reject(mut stream: TcpStream) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    // Discard what already arrived, so closing sends FIN, not a reset that could beat the
    // answer to the client.
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    let _ = stream.write_all(BUSY);
    let _ = stream.shutdown(Shutdown::Write);
    log::warn!("all workers busy with requests: answered 503");
}

#[cfg(test)]
mod tests {
    #[test]
    fn busy_answer_is_framed_exactly() {
        let s = std::str::from_utf8(super::BUSY).unwrap();
        let (head, body) = s.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{s}"
        );
    }
}
