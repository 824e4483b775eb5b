//! How the fleet lets instances go: the idle ones after `--instance-idle` (FC reclaims
//! them), and all of them at the gateway's stop — each with `GET /pre-stop`, then SIGTERM,
//! the grace period and SIGKILL (`Instance::stop`).
//!
//! Deciding only; the hook and the signals are the instance's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Fleet, Phase};
use crate::instance::{describe_stop, Instance};
use crate::util::{human, say};

impl Fleet {
    /// Stops the instances idle for longer than `--instance-idle` (`GET /pre-stop`, then
    /// SIGTERM), as FC reclaims them. Called periodically.
    pub fn reap_idle(&self) {
        let Some(idle) = self.scale.idle else {
            return;
        };
        let idle_ones: Vec<(usize, Arc<Instance>)> = {
            let mut st = self.lock();
            self.drop_dead(&mut st);
            let mut out = Vec::new();
            st.members.retain(|m| match &m.phase {
                Phase::Ready(i) if m.in_flight == 0 && m.idle_since.elapsed() >= idle => {
                    out.push((m.no, i.clone()));
                    false
                }
                _ => true,
            });
            out
        };
        for (no, inst) in idle_ones {
            let hook = inst.pre_stop();
            inst.close_connections();
            say(format!(
                "fc-local: instance #{no} idle for {}: {hook}; {}",
                human(idle),
                describe_stop(inst.stop(self.opts.grace))
            ));
        }
    }

    /// At the gateway's stop: no new calls; waits (up to `limit`) for the calls in flight,
    /// then `GET /pre-stop` and stops every instance.
    pub fn shutdown(&self, limit: Duration) {
        let end = Instant::now() + limit;
        let members = {
            let mut st = self.lock();
            st.stopping = true;
            while st.members.iter().any(|m| m.in_flight > 0) && Instant::now() < end {
                st.waiters += 1;
                st = self
                    .changed
                    .wait_timeout(st, end.saturating_duration_since(Instant::now()))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                st.waiters -= 1;
            }
            std::mem::take(&mut st.members)
        };
        for m in members {
            if let Phase::Ready(inst) = m.phase {
                let hook = inst.pre_stop();
                inst.close_connections();
                say(format!(
                    "fc-local: instance #{}: {hook}; function {}",
                    m.no,
                    describe_stop(inst.stop(self.opts.grace))
                ));
            }
        }
    }

    /// True once [`Fleet::shutdown`] began.
    pub fn stopping(&self) -> bool {
        self.lock().stopping
    }
}
