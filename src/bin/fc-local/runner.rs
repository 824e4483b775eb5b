//! Asynchronous invocations (`X-Fc-Invocation-Type: Async`, on the API and on the HTTP
//! trigger): accepted at once, queued, and run in the background with FC's retry rule —
//! a function error (`x-fc-status: 404`), a timeout or a crash is retried, up to
//! `--async-attempts` attempts in all (FC's default: 3), after 0.5 s, 1 s, 2 s…; each retry
//! carries `x-fc-retry-count`. A call that finds every instance busy waits for one (FC
//! keeps async calls queued rather than refusing them).
//!
//! The queue is bounded (a full one refuses with 429) and is drained, not dropped, when the
//! gateway stops. Outcomes go to stderr, one line per attempt.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::failure::Failure;
use crate::fleet::{Fleet, NoInstance};
use crate::instance::FcCall;
use crate::platform::FcError;
use crate::util::{human, say};

/// Jobs queued at most.
const MAX_QUEUED: usize = 1000;
/// How long an async call waits for a place on an instance before it counts as a failed
/// attempt.
const WAIT_FOR_INSTANCE: Duration = Duration::from_secs(60);
/// Largest answer read back (and dropped) from an async call.
const MAX_ANSWER: u64 = 64 << 20;

/// One asynchronous call, owned.
pub struct Job {
    pub request_id: String,
    /// `x-fc-async-task-id` (FC 3.0), for the log lines.
    pub task_id: Option<String>,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub control_path: &'static str,
    pub fields: Vec<(&'static str, String)>,
}

struct Queue {
    jobs: VecDeque<Job>,
    running: usize,
    closed: bool,
}

/// The background runner.
pub struct Runner {
    fleet: Arc<Fleet>,
    timeout: Duration,
    attempts: u32,
    queue: Mutex<Queue>,
    work: Condvar,
    idle: Condvar,
}

impl Runner {
    /// `threads` workers; each job gets `attempts` attempts of at most `timeout`.
    pub fn start(
        fleet: Arc<Fleet>,
        timeout: Duration,
        attempts: u32,
        threads: usize,
    ) -> Arc<Runner> {
        let r = Arc::new(Runner {
            fleet,
            timeout,
            attempts: attempts.max(1),
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                running: 0,
                closed: false,
            }),
            work: Condvar::new(),
            idle: Condvar::new(),
        });
        for i in 0..threads.max(1) {
            let r2 = r.clone();
            let spawned = thread::Builder::new()
                .name(format!("fc-local-async-{i}"))
                .spawn(move || r2.work_loop());
            if let Err(e) = spawned {
                say(format!("fc-local: cannot start an async worker: {e}"));
            }
        }
        r
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a job; refused when the queue is full or closing.
    pub fn submit(&self, job: Job) -> Result<(), FcError> {
        let mut q = self.lock();
        if q.closed {
            return Err(FcError::new(
                503,
                "ServiceUnavailable",
                "fc-local is stopping",
            ));
        }
        if q.jobs.len() >= MAX_QUEUED {
            return Err(FcError::new(
                429,
                "ResourceExhausted",
                format!("{MAX_QUEUED} asynchronous calls are queued already"),
            ));
        }
        q.jobs.push_back(job);
        self.work.notify_one();
        Ok(())
    }

    /// Stops taking jobs and waits (up to `limit`) for the queued and running ones.
    pub fn finish(&self, limit: Duration) {
        let end = Instant::now() + limit;
        let mut q = self.lock();
        q.closed = true;
        self.work.notify_all();
        while (!q.jobs.is_empty() || q.running > 0) && Instant::now() < end {
            q = self
                .idle
                .wait_timeout(q, end.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        if !q.jobs.is_empty() || q.running > 0 {
            say(format!(
                "fc-local: stopping with {} asynchronous calls queued and {} running",
                q.jobs.len(),
                q.running
            ));
        }
    }

    fn work_loop(&self) {
        loop {
            let job = {
                let mut q = self.lock();
                loop {
                    if let Some(j) = q.jobs.pop_front() {
                        q.running += 1;
                        break j;
                    }
                    if q.closed {
                        return;
                    }
                    q = self.work.wait(q).unwrap_or_else(|p| p.into_inner());
                }
            };
            self.run(job);
            let mut q = self.lock();
            q.running -= 1;
            self.idle.notify_all();
        }
    }

    /// All attempts of one job.
    fn run(&self, mut job: Job) {
        let name = job
            .task_id
            .clone()
            .unwrap_or_else(|| job.request_id.clone());
        for attempt in 0..self.attempts {
            if attempt > 0 {
                thread::sleep(Duration::from_millis(500) * (1 << (attempt - 1)));
                job.fields.retain(|(n, _)| *n != "x-fc-retry-count");
                job.fields.push(("x-fc-retry-count", attempt.to_string()));
            }
            let t = Instant::now();
            let outcome = self.attempt(&job);
            let of = format!("{}/{}", attempt + 1, self.attempts);
            match outcome {
                Ok(()) => {
                    say(format!(
                        "fc-local: async {name} attempt {of}: succeeded in {}",
                        human(t.elapsed())
                    ));
                    return;
                }
                Err(Stop::Retry(why)) => {
                    say(format!("fc-local: async {name} attempt {of}: {why}"));
                }
                Err(Stop::Drop(why)) => {
                    say(format!("fc-local: async {name} dropped: {why}"));
                    return;
                }
            }
        }
        say(format!(
            "fc-local: async {name} failed after {} attempts",
            self.attempts
        ));
    }

    fn attempt(&self, job: &Job) -> Result<(), Stop> {
        let lease = match self.fleet.acquire(Some(Instant::now() + WAIT_FOR_INSTANCE)) {
            Ok(l) => l,
            Err(NoInstance::Stopping) => return Err(Stop::Drop("fc-local is stopping".into())),
            Err(e) => return Err(Stop::Retry(Failure::NoInstance(e).error().message)),
        };
        let reply = lease.inst.call(FcCall {
            method: &job.method,
            target: &job.target,
            headers: job.headers.clone(),
            body: &job.body,
            control_path: Some(job.control_path),
            request_id: &job.request_id,
            timeout: self.timeout,
            fields: job.fields.clone(),
        });
        let result = reply.and_then(|mut r| r.read_to_vec(MAX_ANSWER).map(|b| (r, b)));
        match result {
            Ok((r, _)) if r.header("x-fc-status") == Some("404") => Err(Stop::Retry(format!(
                "function error (status {}, x-fc-status 404)",
                r.status
            ))),
            Ok(_) => Ok(()),
            Err(e) => {
                let f = Failure::of_call(&lease.inst, e, self.timeout);
                Err(Stop::Retry(f.error().message))
            }
        }
    }
}

enum Stop {
    /// This attempt failed; the next may succeed.
    Retry(String),
    /// No attempt can succeed.
    Drop(String),
}
