//! The function's instances as FC keeps them: each takes up to `--concurrency` calls at
//! once; a call that finds every instance full starts a new one (a cold start, said so on
//! stderr) up to `--max-instances`, and past that gets FC's 429; an instance that crashed
//! is dropped (the next call starts another); one idle for `--instance-idle` is stopped
//! with `GET /pre-stop`, as FC reclaims idle instances.
//!
//! A call holds a [`Lease`] on its instance for as long as it is in flight — its answer
//! streamed, its WebSocket open — and the lease's drop frees the place. Starting and
//! stopping processes is [`Instance`]'s; this module only decides when.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::cli::{Opts, Scale, Start};
use crate::instance::Instance;
use crate::util::{human, say};

/// Where an instance is in its life.
enum Phase {
    /// Being started by the call that needed it; later calls may wait for it.
    Starting,
    Ready(Arc<Instance>),
    /// Its start failed; the waiters are told why, then it is removed.
    Failed(String),
}

struct Member {
    no: usize,
    /// Seen exited (asked once per acquire: the question is a system call).
    exited: bool,
    /// The port it was given (0 until a free one was picked).
    port: u16,
    phase: Phase,
    in_flight: usize,
    idle_since: Instant,
}

impl Member {
    fn usable(&self) -> bool {
        match &self.phase {
            Phase::Starting => true,
            Phase::Ready(_) => !self.exited,
            Phase::Failed(_) => false,
        }
    }
}

struct State {
    members: Vec<Member>,
    stopping: bool,
    /// Threads waiting on `changed` (a lease's drop wakes them only if there are any: the
    /// wake-up is a system call on every call otherwise).
    waiters: usize,
}

/// Why a call got no instance.
pub enum NoInstance {
    /// Every instance is full and there are `--max-instances` of them.
    Exhausted {
        concurrency: usize,
        instances: usize,
    },
    /// The instance started for this call did not come up (FC's words, first line).
    StartFailed(String),
    /// The gateway is stopping.
    Stopping,
}

/// The instances of one function.
pub struct Fleet {
    opts: Opts,
    scale: Scale,
    state: Mutex<State>,
    changed: Condvar,
    numbers: AtomicUsize,
}

/// A place on an instance, held while a call is in flight.
pub struct Lease {
    fleet: Arc<Fleet>,
    no: usize,
    pub inst: Arc<Instance>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut st = self.fleet.lock();
        if let Some(m) = st.members.iter_mut().find(|m| m.no == self.no) {
            m.in_flight -= 1;
            m.idle_since = Instant::now();
        }
        if st.waiters > 0 {
            self.fleet.changed.notify_all();
        }
    }
}

impl Fleet {
    pub fn new(opts: &Opts, scale: Scale) -> Arc<Fleet> {
        let mut scale = scale;
        if matches!(opts.start, Start::Attach) {
            // A server we did not start is one instance.
            scale.max_instances = 1;
        }
        Arc::new(Fleet {
            opts: opts.clone(),
            scale,
            state: Mutex::new(State {
                members: Vec::new(),
                stopping: false,
                waiters: 0,
            }),
            changed: Condvar::new(),
            numbers: AtomicUsize::new(1),
        })
    }

    pub fn scale(&self) -> Scale {
        self.scale
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place on an instance: the fullest one with room (FC fills an instance before it
    /// starts another), else a new instance, else — until `wait_until` — the first place
    /// freed.
    pub fn acquire(self: &Arc<Self>, wait_until: Option<Instant>) -> Result<Lease, NoInstance> {
        let mut st = self.lock();
        loop {
            if st.stopping {
                return Err(NoInstance::Stopping);
            }
            self.drop_dead(&mut st);
            let room = st
                .members
                .iter_mut()
                .filter(|m| m.usable() && m.in_flight < self.scale.concurrency)
                .max_by_key(|m| (matches!(m.phase, Phase::Ready(_)), m.in_flight));
            if let Some(m) = room {
                m.in_flight += 1;
                let no = m.no;
                return self.lease_when_ready(st, no);
            }
            if st.members.len() < self.scale.max_instances {
                let no = self.numbers.fetch_add(1, Ordering::Relaxed);
                let port = self.port_for(&st);
                st.members.push(Member {
                    no,
                    exited: false,
                    port,
                    phase: Phase::Starting,
                    in_flight: 1,
                    idle_since: Instant::now(),
                });
                drop(st);
                return self.start(no, port);
            }
            let now = Instant::now();
            match wait_until {
                Some(t) if t > now => {
                    st.waiters += 1;
                    st = self
                        .changed
                        .wait_timeout(st, t - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                    st.waiters -= 1;
                }
                _ => {
                    return Err(NoInstance::Exhausted {
                        concurrency: self.scale.concurrency,
                        instances: st.members.len(),
                    })
                }
            }
        }
    }

    /// The first instance gets `--port`; more get free ports (the function must listen on
    /// `FC_CUSTOM_LISTEN_PORT` to scale out here; on FC each has a machine of its own).
    fn port_for(&self, st: &State) -> u16 {
        let p = self.opts.port;
        if p != 0 && st.members.iter().any(|m| m.port == p) {
            0
        } else {
            p
        }
    }

    /// Starts instance `no` (its place already counted for the caller) and wakes the calls
    /// that wait for it.
    fn start(self: &Arc<Self>, no: usize, port: u16) -> Result<Lease, NoInstance> {
        let t = Instant::now();
        let mut o = self.opts.clone();
        o.port = port;
        let started = Instance::start(&o);
        let mut st = self.lock();
        let Some(m) = st.members.iter_mut().find(|m| m.no == no) else {
            return Err(NoInstance::Stopping);
        };
        match started {
            Ok(inst) => {
                let inst = Arc::new(inst);
                say(format!(
                    "fc-local: cold start: instance #{no} ({}) on port {} ready in {}",
                    inst.id,
                    inst.port,
                    human(t.elapsed())
                ));
                m.port = inst.port;
                m.phase = Phase::Ready(inst.clone());
                self.changed.notify_all();
                Ok(Lease {
                    fleet: self.clone(),
                    no,
                    inst,
                })
            }
            Err(e) => {
                let first = e.lines().next().unwrap_or_default().to_string();
                let hint = if port == 0 && no > 1 {
                    "\nhint: this instance was given a free port in FC_CUSTOM_LISTEN_PORT; a function that listens on a fixed port cannot scale out on one machine (--max-instances 1)"
                } else {
                    ""
                };
                say(format!("fc-local: instance #{no} did not start: {e}{hint}"));
                m.phase = Phase::Failed(first.clone());
                m.in_flight -= 1;
                self.changed.notify_all();
                Err(NoInstance::StartFailed(first))
            }
        }
    }

    /// Waits while instance `no` starts; the lease once it is ready.
    fn lease_when_ready(
        self: &Arc<Self>,
        mut st: MutexGuard<'_, State>,
        no: usize,
    ) -> Result<Lease, NoInstance> {
        loop {
            let Some(m) = st.members.iter_mut().find(|m| m.no == no) else {
                return Err(NoInstance::Stopping);
            };
            match &m.phase {
                Phase::Ready(i) => {
                    return Ok(Lease {
                        fleet: self.clone(),
                        no,
                        inst: i.clone(),
                    })
                }
                Phase::Failed(why) => {
                    let why = why.clone();
                    m.in_flight -= 1;
                    return Err(NoInstance::StartFailed(why));
                }
                Phase::Starting => {
                    st.waiters += 1;
                    st = self.changed.wait(st).unwrap_or_else(|p| p.into_inner());
                    st.waiters -= 1;
                }
            }
        }
    }

    /// Removes instances that failed to start or exited and have no call left on them.
    fn drop_dead(&self, st: &mut State) {
        for m in st.members.iter_mut() {
            if let Phase::Ready(i) = &m.phase {
                m.exited = m.exited || i.exit_status().is_some();
            }
        }
        st.members.retain(|m| {
            let keep = m.usable() || m.in_flight > 0;
            if !keep {
                if let Phase::Ready(i) = &m.phase {
                    say(format!(
                        "fc-local: instance #{}: the function exited ({}); starting a new instance when a call needs one",
                        m.no,
                        i.exit_status().map(|s| s.to_string()).unwrap_or_default()
                    ));
                }
            }
            keep
        });
    }
}

mod retire;
