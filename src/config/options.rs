//! [`OPTIONS`]: the one table of settings — flag, `FCRT_*` variable, default (in the syntax
//! the flag takes) and help — from which `Config::parse` and `--help` are both driven.
//! Each entry's setter parses its value into the [`Config`]; nothing else lives here.

use super::values::{auto, boolean, duration, nonzero, num, positive, size, words};
use super::{Config, Setting};

type Setter = fn(&mut Config, &str) -> Result<(), String>;

/// One setting: flag, environment variable, default (as text) and help.
pub(crate) struct Opt {
    /// The flag, without `--`.
    pub flag: &'static str,
    /// The environment variable.
    pub env: &'static str,
    /// The default, in the syntax the flag accepts.
    pub default: &'static str,
    /// One line of help.
    pub help: &'static str,
    pub(super) set: Setter,
}

/// Every setting.
pub(crate) const OPTIONS: &[Opt] = &[
    Opt {
        flag: "port",
        env: "FCRT_PORT",
        default: "9000",
        help: "port to listen on (else FC_CUSTOM_LISTEN_PORT, FC_SERVER_PORT, PORT)",
        set: |c, v| num(v).map(|n| c.port = n),
    },
    Opt {
        flag: "host",
        env: "FCRT_HOST",
        default: "0.0.0.0",
        help: "IP address to bind, or localhost (FC needs 0.0.0.0)",
        set: |c, v| {
            super::bind_ip(v.trim())?;
            c.host = v.trim().to_owned();
            Ok(())
        },
    },
    Opt {
        flag: "memory",
        env: "FCRT_MEMORY",
        default: "auto",
        help:
            "instance memory to derive defaults from (auto: FC_FUNCTION_MEMORY_SIZE, cgroup, RAM)",
        set: |c, v| {
            auto(v, |v| size(v).and_then(|n| positive(n as usize)))
                .map(|b| c.memory = b.map_or(Setting::Auto, |b| Setting::Fixed(b as u64)))
        },
    },
    Opt {
        flag: "max-workers",
        env: "FCRT_MAX_WORKERS",
        default: "auto",
        help: "most worker threads = connections served at once (auto: memory/256KiB, 16..1024)",
        set: |c, v| {
            auto(v, |v| num(v).and_then(positive))
                .map(|n| c.max_workers = n.map_or(Setting::Auto, Setting::Fixed))
        },
    },
    Opt {
        flag: "body-budget",
        env: "FCRT_BODY_BUDGET",
        default: "auto",
        help: "request-body bytes in flight over all requests (auto: memory/4)",
        set: |c, v| {
            auto(v, |v| size(v).and_then(|n| positive(n as usize)))
                .map(|n| c.body_budget = n.map_or(Setting::Auto, |n| Setting::Fixed(n as u64)))
        },
    },
    Opt {
        flag: "body-wait",
        env: "FCRT_BODY_WAIT",
        default: "1s",
        help: "a body waits this long for budget, then 503",
        set: |c, v| duration(v).map(|d| c.body_wait = d),
    },
    Opt {
        flag: "stack-size",
        env: "FCRT_STACK_SIZE",
        default: "1MiB",
        help: "stack size of each worker thread",
        set: |c, v| {
            size(v)
                .and_then(|n| positive(n as usize))
                .map(|n| c.stack_size = n.max(64 * 1024))
        },
    },
    Opt {
        flag: "worker-idle",
        env: "FCRT_WORKER_IDLE",
        default: "10s",
        help: "an idle worker thread exits after this",
        set: |c, v| duration(v).map(|d| c.worker_idle = d),
    },
    Opt {
        flag: "max-head",
        env: "FCRT_MAX_HEAD",
        default: "32KiB",
        help: "request line + headers (431 beyond)",
        set: |c, v| size(v).map(|n| c.limits.max_head = n as usize),
    },
    Opt {
        flag: "max-target",
        env: "FCRT_MAX_TARGET",
        default: "8KiB",
        help: "request-target length (414 beyond)",
        set: |c, v| size(v).map(|n| c.limits.max_target = n as usize),
    },
    Opt {
        flag: "max-headers",
        env: "FCRT_MAX_HEADERS",
        default: "256",
        help: "number of header fields (431 beyond)",
        set: |c, v| num(v).and_then(positive).map(|n| c.limits.max_headers = n),
    },
    Opt {
        flag: "max-body",
        env: "FCRT_MAX_BODY",
        default: "32MiB",
        help: "request body (413 beyond; never above the body budget)",
        set: |c, v| size(v).map(|n| c.limits.max_body = n),
    },
    Opt {
        flag: "max-drain",
        env: "FCRT_MAX_DRAIN",
        default: "256KiB",
        help: "unread body discarded to keep a connection alive",
        set: |c, v| size(v).map(|n| c.limits.drain_max = n),
    },
    Opt {
        flag: "head-timeout",
        env: "FCRT_HEAD_TIMEOUT",
        default: "10s",
        help: "deadline for a whole head once it started (408)",
        set: |c, v| {
            duration(v)
                .and_then(nonzero)
                .map(|d| c.limits.head_timeout = d)
        },
    },
    Opt {
        flag: "body-timeout",
        env: "FCRT_BODY_TIMEOUT",
        default: "30s",
        help: "longest stall reading a body (408); 0 = none",
        set: |c, v| duration(v).map(|d| c.limits.body_timeout = d),
    },
    Opt {
        flag: "min-rate",
        env: "FCRT_MIN_RATE",
        default: "1KiB",
        help: "least bytes/s: a body's average after 10s, a response's per write window; 0 = none",
        set: |c, v| size(v).map(|n| c.limits.min_rate = n),
    },
    Opt {
        flag: "write-timeout",
        env: "FCRT_WRITE_TIMEOUT",
        default: "30s",
        help: "a response must move min-rate x this per window (and never stall longer); 0 = none",
        set: |c, v| duration(v).map(|d| c.write_timeout = d),
    },
    Opt {
        flag: "idle-timeout",
        env: "FCRT_IDLE_TIMEOUT",
        default: "20m",
        help: "idle keep-alive connections kept this long (FC needs >= 15m); 0 = forever",
        set: |c, v| duration(v).map(|d| c.limits.idle_timeout = d),
    },
    Opt {
        flag: "grace",
        env: "FCRT_GRACE",
        default: "30s",
        help: "time for requests in flight after SIGTERM",
        set: |c, v| duration(v).map(|d| c.grace = d),
    },
    Opt {
        flag: "strip-base-path",
        env: "FCRT_STRIP_BASE_PATH",
        default: "true",
        help: "strip the FC 2.0 x-fc-base-path prefix from HTTP paths",
        set: |c, v| boolean(v).map(|b| c.strip_base_path = b),
    },
    Opt {
        flag: "exec",
        env: "FCRT_EXEC",
        default: "",
        help: "exec mode: the app's command, as words (or after --)",
        set: |c, v| words(v).map(|w| c.app.command = w),
    },
    Opt {
        flag: "app-port",
        env: "FCRT_APP_PORT",
        default: "auto",
        help: "exec: the app's port, given to it as PORT (auto: 8080, 8081 if taken by us)",
        set: |c, v| {
            auto(v, |v| {
                num::<u16>(v).and_then(|p| positive(p.into()).map(|_| p))
            })
            .map(|p| c.app.port = p.map_or(Setting::Auto, Setting::Fixed))
        },
    },
    Opt {
        flag: "ready-path",
        env: "FCRT_READY_PATH",
        default: "",
        help: "exec: ready when GET of this path answers < 500 (empty: a TCP connect)",
        set: |c, v| {
            let v = v.trim();
            if !v.is_empty() && !v.starts_with('/') {
                return Err("must start with /".into());
            }
            c.app.ready_path = Some(v.to_owned()).filter(|p| !p.is_empty());
            Ok(())
        },
    },
    Opt {
        flag: "ready-timeout",
        env: "FCRT_READY_TIMEOUT",
        default: "120s",
        help: "exec: how long the app has to become ready",
        set: |c, v| {
            duration(v)
                .and_then(nonzero)
                .map(|d| c.app.ready_timeout = d)
        },
    },
    Opt {
        flag: "event-path",
        env: "FCRT_EVENT_PATH",
        default: "/invoke",
        help: "exec: where events go, as POST",
        set: |c, v| {
            let v = v.trim();
            if !v.starts_with('/') {
                return Err("must start with /".into());
            }
            c.app.event_path = v.to_owned();
            Ok(())
        },
    },
    Opt {
        flag: "error-status",
        env: "FCRT_ERROR_STATUS",
        default: "500",
        help: "exec: an event answered with this status or above is a function error",
        set: |c, v| {
            num::<u16>(v)
                .ok()
                .filter(|s| (200..=599).contains(s))
                .map(|s| c.app.error_status = s)
                .ok_or_else(|| "not a status from 200 to 599".into())
        },
    },
];
