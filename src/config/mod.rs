//! [`Config`]: every setting of the runtime, from command-line flags, `FCRT_*` environment
//! variables (a zip without a wrapper script has no other way to pass them) and the
//! platform's port variables. One table ([`OPTIONS`]) drives parsing, defaults and `--help`.
//!
//! Precedence: flag > `FCRT_*` > (port only) `FC_CUSTOM_LISTEN_PORT` > `FC_SERVER_PORT` >
//! `PORT` > default. Parsing is pure: the caller passes the arguments and an env lookup.
//! What derives from the instance's memory is [`Capacity`]'s business, not parsing's.

use std::time::Duration;

use crate::http::Limits;

mod memory;
mod options;
pub(crate) mod values;

pub(crate) use memory::{megabytes, platform, probe_files, Capacity};
pub(crate) use options::OPTIONS;

/// A setting that is either derived (`Auto`) or given (`Fixed`).
///
/// ```
/// use fc_runtime::{Config, Setting};
///
/// let config = Config { max_workers: Setting::Fixed(8), ..Config::default() };
/// assert_eq!(config.body_budget, Setting::Auto);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting<T> {
    /// Derive it (from the instance's memory).
    Auto,
    /// This value.
    Fixed(T),
}

/// All runtime settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to bind (`0.0.0.0`: FC requires it).
    pub host: String,
    /// Port to bind (0: any free port).
    pub port: u16,
    /// Instance memory in bytes. `Auto`: what Function Compute states
    /// (`FC_FUNCTION_MEMORY_SIZE`), else the cgroup limit or physical memory, read only
    /// when something is left to derive.
    pub memory: Setting<u64>,
    /// Most worker threads (each serves one connection at a time). `Auto`: one per 256 KiB
    /// of memory, 16 to 1,024.
    pub max_workers: Setting<usize>,
    /// Most request-body bytes in flight over all requests. `Auto`: a quarter of memory.
    pub body_budget: Setting<u64>,
    /// How long a request waits for body budget before its 503.
    pub body_wait: Duration,
    /// Stack size of worker threads, in bytes.
    pub stack_size: usize,
    /// How long an idle worker thread waits for work before exiting.
    pub worker_idle: Duration,
    /// Window of the response rate rule: each must move `min_rate ×` this many bytes, and
    /// no write stalls longer. Zero: none.
    pub write_timeout: Duration,
    /// How long requests in flight may run after SIGTERM.
    pub grace: Duration,
    /// Strip the FC 2.0 `x-fc-base-path` prefix from passthrough paths.
    pub strip_base_path: bool,
    /// HTTP limits and timeouts.
    pub limits: Limits,
    /// Exec mode: an app to start and front (`fc-runtime -- node server.js`).
    pub app: App,
}

/// Exec mode: fc-runtime in front of an app written in any language. With a `command`,
/// [`run`](crate::run) starts it, waits until it is ready, and serves FC's calls by
/// proxying them to it (events to `event_path`, HTTP triggers as they are, lifecycle hooks
/// at their own paths), keeping FC's contract for it.
#[derive(Clone, Debug)]
pub struct App {
    /// The app's command and arguments; empty: no app (serve the handler).
    pub command: Vec<String>,
    /// Port the app listens on, on 127.0.0.1; given to it as `PORT`, `FC_CUSTOM_LISTEN_PORT`
    /// and `FC_SERVER_PORT`. `Auto`: 8080, or 8081 when fc-runtime itself listens on 8080.
    pub port: Setting<u16>,
    /// Ready when `GET` of this path answers below 500; `None`: when a TCP connect works.
    pub ready_path: Option<String>,
    /// How long the app has to become ready.
    pub ready_timeout: Duration,
    /// Where event invocations go, as `POST`.
    pub event_path: String,
    /// An event answered with this status or above is FC's function error.
    pub error_status: u16,
}

impl Default for App {
    fn default() -> App {
        App {
            command: Vec::new(),
            port: Setting::Auto,
            ready_path: None,
            ready_timeout: Duration::from_secs(120),
            event_path: "/invoke".into(),
            error_status: 500,
        }
    }
}

impl App {
    /// The app's port in force when fc-runtime listens on `listen`.
    pub(crate) fn port_for(&self, listen: u16) -> u16 {
        match self.port {
            Setting::Fixed(p) => p,
            Setting::Auto if listen == 8080 => 8081,
            Setting::Auto => 8080,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: "0.0.0.0".into(),
            port: 9000,
            memory: Setting::Auto,
            max_workers: Setting::Auto,
            body_budget: Setting::Auto,
            body_wait: Duration::from_secs(1),
            stack_size: 1024 * 1024,
            worker_idle: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(30),
            strip_base_path: true,
            limits: Limits::default(),
            app: App::default(),
        }
    }
}

/// Why parsing did not produce a config.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CliError {
    /// `--help` was asked for.
    Help,
    /// `--version` was asked for.
    Version,
    /// A bad flag or value, with the message to show.
    Bad(String),
}

/// The address `host` names: an IPv4 or IPv6 literal (brackets allowed), or `localhost`.
/// Never a DNS lookup: a server binds an address it has, and the resolver would add ~10 KiB
/// to the binary for a name no platform uses.
pub(crate) fn bind_ip(host: &str) -> Result<std::net::IpAddr, String> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    literal
        .unwrap_or(host)
        .parse()
        .map_err(|_| "not an IP address (or localhost)".to_owned())
}

/// Platform port variables, in order of precedence after `FCRT_PORT`.
const PORT_VARS: [&str; 3] = ["FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT", "PORT"];

impl Config {
    /// Parses `args` (without the program name) over the environment given by `env`.
    pub(crate) fn parse<I, E>(args: I, env: E) -> Result<Config, CliError>
    where
        I: IntoIterator<Item = String>,
        E: Fn(&str) -> Option<String>,
    {
        let mut c = Config::default();
        for opt in OPTIONS {
            if let Some(v) = env(opt.env) {
                (opt.set)(&mut c, &v)
                    .map_err(|e| CliError::Bad(format!("{}={v:?}: {e}", opt.env)))?;
            } else if opt.flag == "port" {
                if let Some((var, v)) = PORT_VARS.iter().find_map(|k| env(k).map(|v| (k, v))) {
                    (opt.set)(&mut c, &v)
                        .map_err(|e| CliError::Bad(format!("{var}={v:?}: {e}")))?;
                }
            }
        }
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-h" | "--help" => return Err(CliError::Help),
                "-V" | "--version" => return Err(CliError::Version),
                "--" => {
                    c.app.command = args.collect();
                    if c.app.command.is_empty() {
                        return Err(CliError::Bad("no command after --".into()));
                    }
                    break;
                }
                _ => {}
            }
            let Some(body) = arg.strip_prefix("--") else {
                return Err(CliError::Bad(format!(
                    "unexpected argument {arg:?} (see --help)"
                )));
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (body, None),
            };
            let Some(opt) = OPTIONS.iter().find(|o| o.flag == name) else {
                return Err(CliError::Bad(format!("unknown flag --{name} (see --help)")));
            };
            let value = match inline.or_else(|| args.next()) {
                Some(v) => v,
                None => return Err(CliError::Bad(format!("--{name} needs a value"))),
            };
            (opt.set)(&mut c, &value)
                .map_err(|e| CliError::Bad(format!("--{name} {value:?}: {e}")))?;
        }
        if !c.app.command.is_empty() && c.app.port_for(c.port) == c.port {
            return Err(CliError::Bad(format!(
                "--app-port {} is the port fc-runtime listens on; pick another",
                c.port
            )));
        }
        Ok(c)
    }

    /// Reads the process's arguments and environment. The environment is read in one pass,
    /// keeping the variables this reads (all named `FC…`, and `PORT`): a `getenv` per option
    /// would scan FC's whole environment some 40 times, a third of the instructions between
    /// exec and the first answer.
    pub(crate) fn from_process() -> Result<Config, CliError> {
        let env = crate::sys::entry::env_vars(|k| k.starts_with(b"FC") || k == b"PORT");
        Config::parse(crate::sys::entry::args().into_iter().skip(1), |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    /// The one start-up line: effective port, capacity and limits.
    /// The start-up line. It names the program: `fc-runtime 0.1.0` for our own binary, a
    /// user's binary by its name (deployed as `bootstrap`: by the function's,
    /// `FC_FUNCTION_NAME`) with the runtime's version after it.
    pub(crate) fn summary(&self, program: &str, capacity: &Capacity, port: u16) -> String {
        let l = &self.limits;
        let fc_name = (program == "bootstrap")
            .then(|| std::env::var("FC_FUNCTION_NAME").ok())
            .flatten()
            .filter(|n| !n.is_empty());
        let name = fc_name.as_deref().unwrap_or(program);
        let (open, close) = if name == "fc-runtime" {
            (" ", "")
        } else {
            (" (fc-runtime ", ")")
        };
        format!(
            "{name}{open}{}{close} listening on {}:{} memory={} workers<={} body-budget={} max-head={} max-target={} max-headers={} max-body={} head-timeout={:?} body-timeout={:?} idle-timeout={:?} grace={:?}",
            env!("CARGO_PKG_VERSION"),
            self.host,
            port,
            capacity.memory_text(),
            capacity.workers,
            capacity.body_budget,
            l.max_head,
            l.max_target,
            l.max_headers,
            capacity.max_body(l),
            l.head_timeout,
            l.body_timeout,
            l.idle_timeout,
            self.grace
        )
    }
}

/// The `--help` text, generated from [`OPTIONS`].
pub(crate) fn help(program: &str) -> String {
    let mut s = format!(
        "{program} {}: a Function Compute custom runtime (HTTP on 0.0.0.0:9000)\n\n\
         Usage: {program} [--flag value | --flag=value]... [-- COMMAND [ARGS...]]\n\n\
         With a COMMAND (or FCRT_EXEC) it starts that app and fronts it (exec mode).\n\
         Every flag can also be set by its environment variable; flags win.\n\
         Sizes take B, KiB, MiB, GiB (or K, M, G); durations take ms, s, m, h (bare = s).\n\n",
        env!("CARGO_PKG_VERSION")
    );
    for o in OPTIONS {
        s.push_str(&format!(
            "  --{:<16} {:<22} default {:<8} {}\n",
            o.flag, o.env, o.default, o.help
        ));
    }
    s.push_str("  --help, -h                                               this text\n");
    s.push_str("  --version, -V                                            the version\n");
    s.push_str("\nLogging: RUST_LOG (default info), lines on stdout as `<UTC time> <request id> [LEVEL] msg`.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// (arguments, environment, expected)
    type Case<T> = (
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
        T,
    );

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Config, CliError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::parse(args.iter().map(|s| s.to_string()), |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_in_table_match_default() {
        let mut c = Config::default();
        for o in OPTIONS {
            (o.set)(&mut c, o.default).unwrap();
        }
        assert_eq!(format!("{c:?}"), format!("{:?}", Config::default()));
        assert!(Config::default().limits.idle_timeout >= Duration::from_secs(15 * 60));
    }

    #[test]
    fn port_precedence_table() {
        let cases: &[Case<u16>] = &[
            (&[], &[], 9000),
            (&[], &[("PORT", "8080")], 8080),
            (&[], &[("PORT", "8080"), ("FC_SERVER_PORT", "7000")], 7000),
            (
                &[],
                &[
                    ("FC_SERVER_PORT", "7000"),
                    ("FC_CUSTOM_LISTEN_PORT", "7001"),
                ],
                7001,
            ),
            (
                &[],
                &[("FC_CUSTOM_LISTEN_PORT", "7001"), ("FCRT_PORT", "7002")],
                7002,
            ),
            (&["--port", "7003"], &[("FCRT_PORT", "7002")], 7003),
            (&["--port=0"], &[], 0),
        ];
        for &(args, env, port) in cases {
            assert_eq!(parse(args, env).unwrap().port, port, "{args:?} {env:?}");
        }
    }

    #[test]
    fn values_table() {
        let c = parse(
            &[
                "--max-body",
                "1MiB",
                "--head-timeout=500ms",
                "--idle-timeout",
                "15m",
                "--strip-base-path",
                "off",
                "--max-workers",
                "4",
            ],
            &[
                ("FCRT_MAX_HEAD", "16K"),
                ("FCRT_GRACE", "2"),
                ("FCRT_MAX_WORKERS", "9"),
            ],
        )
        .unwrap();
        assert_eq!(c.limits.max_body, 1 << 20);
        assert_eq!(c.limits.max_head, 16 << 10);
        assert_eq!(c.limits.head_timeout, Duration::from_millis(500));
        assert_eq!(c.limits.idle_timeout, Duration::from_secs(900));
        assert_eq!(c.grace, Duration::from_secs(2));
        assert_eq!(c.max_workers, Setting::Fixed(4));
        assert!(!c.strip_base_path);
        for (host, ip) in [
            ("0.0.0.0", "0.0.0.0"),
            ("127.0.0.1", "127.0.0.1"),
            ("localhost", "127.0.0.1"),
            ("::", "::"),
            ("[::1]", "::1"),
        ] {
            let c = parse(&["--host", host], &[]).unwrap();
            assert_eq!(bind_ip(&c.host).unwrap().to_string(), ip);
        }
    }

    #[test]
    fn exec_mode_table() {
        // (args, env, command, app port)
        let cases: &[Case<(&[&str], u16)>] = &[
            (&[], &[], (&[], 8080)),
            (
                &["--", "node", "server.js"],
                &[],
                (&["node", "server.js"], 8080),
            ),
            (
                &[],
                &[("FCRT_EXEC", "node 'my app.js'")],
                (&["node", "my app.js"], 8080),
            ),
            // flags before `--` are ours; after it, the app's
            (
                &["--port", "9001", "--", "app", "--port", "1"],
                &[],
                (&["app", "--port", "1"], 8080),
            ),
            // Knative gives us 8080: the app gets 8081
            (&["--", "app"], &[("PORT", "8080")], (&["app"], 8081)),
            (&["--app-port", "3000", "--", "app"], &[], (&["app"], 3000)),
        ];
        for &(args, env, (command, port)) in cases {
            let c = parse(args, env).unwrap();
            assert_eq!(c.app.command, command, "{args:?} {env:?}");
            assert_eq!(c.app.port_for(c.port), port, "{args:?} {env:?}");
        }
        let bad: &[Case<&str>] = &[
            (&["--"], &[], "no command after --"),
            (
                &["--port", "3000", "--app-port", "3000", "--", "a"],
                &[],
                "is the port",
            ),
            (&["--ready-path", "healthz"], &[], "must start with /"),
            (&["--error-status", "99"], &[], "not a status"),
            (&[], &[("FCRT_EXEC", "node 'open")], "unterminated"),
        ];
        for &(args, env, msg) in bad {
            match parse(args, env) {
                Err(CliError::Bad(m)) => assert!(m.contains(msg), "{args:?}: {m}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn memory_derivation_table() {
        use memory::{from_megabytes, Memory, MemorySource};
        const MIB: u64 = 1 << 20;
        // What the platform states comes from the test's environment; the files say 1 GiB.
        let platform = |env: &[(&str, &str)]| {
            env.iter()
                .find(|(k, _)| *k == "FC_FUNCTION_MEMORY_SIZE")
                .and_then(|(_, v)| from_megabytes(v))
        };
        let files = || Memory {
            bytes: 1024 * MIB,
            source: MemorySource::Physical,
        };
        // (args, env, memory source, workers, body budget, max body)
        type Row = (
            &'static [&'static str],
            &'static [(&'static str, &'static str)],
            MemorySource,
            usize,
            u64,
            u64,
        );
        let cases: &[Row] = &[
            (&[], &[], MemorySource::Physical, 1024, 256 * MIB, 32 * MIB),
            (
                &[],
                &[("FC_FUNCTION_MEMORY_SIZE", "128")],
                MemorySource::Platform,
                512,
                32 * MIB,
                32 * MIB,
            ),
            // a smaller instance: the body limit shrinks to the budget
            (
                &[],
                &[("FC_FUNCTION_MEMORY_SIZE", "64")],
                MemorySource::Platform,
                256,
                16 * MIB,
                16 * MIB,
            ),
            (
                &["--memory", "128MiB"],
                &[("FC_FUNCTION_MEMORY_SIZE", "3072")],
                MemorySource::Flag,
                512,
                32 * MIB,
                32 * MIB,
            ),
            // explicit values win over the derivation
            (
                &["--max-workers", "7", "--body-budget", "4MiB"],
                &[("FC_FUNCTION_MEMORY_SIZE", "128")],
                MemorySource::Platform,
                7,
                4 * MIB,
                4 * MIB,
            ),
            (
                &["--max-workers=auto"],
                &[("FCRT_MEMORY", "256M")],
                MemorySource::Flag,
                1024,
                64 * MIB,
                32 * MIB,
            ),
        ];
        for &(args, env, source, workers, budget, max_body) in cases {
            let c = parse(args, env).unwrap();
            let cap = Capacity::resolve(&c, platform(env), files);
            assert_eq!(cap.memory.unwrap().source, source, "{args:?} {env:?}");
            assert_eq!(
                (cap.workers, cap.body_budget, cap.max_body(&c.limits)),
                (workers, budget, max_body),
                "{args:?} {env:?}"
            );
        }
        // nothing left to derive: no probe at all
        let c = parse(&["--max-workers", "3", "--body-budget", "1M"], &[]).unwrap();
        let cap = Capacity::resolve(&c, None, || panic!("probed"));
        assert_eq!((cap.workers, cap.memory), (3, None));
    }

    #[test]
    fn errors_table() {
        let bad: &[Case<&str>] = &[
            (&["--nope"], &[], "unknown flag --nope"),
            (&["--port"], &[], "needs a value"),
            (&["--port", "x"], &[], "--port \"x\": not a number"),
            (&["--port", "70000"], &[], "not a number"),
            (&["stray"], &[], "unexpected argument"),
            (&["--max-body", "3XB"], &[], "unknown size unit"),
            (&["--grace", "3d"], &[], "unknown duration unit"),
            (&["--max-workers", "0"], &[], "at least 1"),
            (&["--memory", "0"], &[], "at least 1"),
            (&["--body-budget", "lots"], &[], "not a size"),
            (&["--host", "example.com"], &[], "not an IP address"),
            (&["--head-timeout", "0"], &[], "more than 0"),
            (&[], &[("PORT", "http")], "PORT=\"http\""),
            (&[], &[("FCRT_MAX_BODY", "-1")], "FCRT_MAX_BODY"),
        ];
        for &(args, env, msg) in bad {
            match parse(args, env) {
                Err(CliError::Bad(m)) => assert!(m.contains(msg), "{args:?}: {m}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        assert_eq!(parse(&["--help"], &[]).unwrap_err(), CliError::Help);
        assert_eq!(parse(&["-V"], &[]).unwrap_err(), CliError::Version);
    }

    #[test]
    fn help_lists_every_flag() {
        let h = help("fc-runtime");
        for o in OPTIONS {
            assert!(
                h.contains(&format!("--{}", o.flag)) && h.contains(o.env) && h.contains(o.default)
            );
        }
    }
}
