//! The command line: subcommand, flags, and the function's FC settings.
//!
//! Parsing only: nothing here starts processes or opens sockets. Credentials are kept out of
//! every `Debug` and message.

use std::path::PathBuf;
use std::time::Duration;

use fc_runtime::units;

/// What to run.
pub enum Command {
    Help,
    Version,
    Invoke(Opts),
    Serve(Opts),
    Selftest(Opts),
    /// `new` and `package` parse their own arguments (`scaffold.rs`, `package.rs`).
    New(Vec<String>),
    Package(Vec<String>),
}

#[cfg(test)]
pub use types::Credentials;
pub use types::{Function, Keys, Opts, Scale, Start};

mod types;

pub const HELP: &str = include_str!("cli/help.txt");

/// Flags that take a value.
const VALUED: &[&str] = &[
    "code",
    "port",
    "name",
    "handler",
    "memory",
    "timeout",
    "region",
    "account-id",
    "service",
    "initialization-timeout",
    "access-key-id",
    "access-key-secret",
    "security-token",
    "env",
    "start-timeout",
    "event",
    "repeat",
    "listen",
    "idle",
    "grace",
    "concurrency",
    "max-instances",
    "instance-idle",
    "verify-signature",
    "async-attempts",
    "event-template",
    "stream-path",
];

/// Flags that apply only to one subcommand.
const ONLY: &[(&str, &str)] = &[
    ("event", "invoke"),
    ("repeat", "invoke"),
    ("listen", "serve"),
    ("fc2-prefix", "serve"),
    ("idle", "selftest"),
    ("concurrency", "serve"),
    ("max-instances", "serve"),
    ("instance-idle", "serve"),
    ("verify-signature", "serve"),
    ("async-attempts", "serve"),
    ("event-template", "invoke"),
    ("print-event", "invoke"),
    ("stream-path", "selftest"),
];

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some(sub) = args.first() else {
        return Ok(Command::Help);
    };
    match sub.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "-V" | "--version" => return Ok(Command::Version),
        "invoke" | "serve" | "selftest" => {}
        "new" => return Ok(Command::New(args[1..].to_vec())),
        "package" => return Ok(Command::Package(args[1..].to_vec())),
        other => return Err(format!("unknown subcommand '{other}'")),
    }
    let mut o = Opts {
        start: Start::Code(PathBuf::from(".")),
        port: 9000,
        function: Function {
            name: String::new(),
            handler: "index.handler".into(),
            memory_mb: 512,
            timeout: Duration::from_secs(60),
            region: "cn-hangzhou".into(),
            account_id: "1234567890123456".into(),
            service: "fc-local".into(),
            qualifier: "LATEST".into(),
            initializer: false,
            init_timeout: Duration::from_secs(30),
            credentials: None,
            env: Vec::new(),
        },
        start_timeout: Duration::from_secs(120),
        verbose: false,
        event: None,
        repeat: 1,
        listen: "127.0.0.1:8000".into(),
        fc2_prefix: false,
        idle: Duration::from_secs(20),
        grace: Duration::from_secs(10),
        scale: Scale {
            concurrency: 1,
            max_instances: 10,
            idle: Some(Duration::from_secs(300)),
        },
        verify: None,
        async_attempts: 3,
        template: None,
        print_event: false,
        stream_path: None,
    };
    let (mut code, mut port_given, mut command) = (None, false, None);
    let mut i = 1;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            command = Some(args[i..].to_vec());
            break;
        }
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        let flag = match arg.as_str() {
            "-v" => "--verbose",
            a => a,
        };
        let Some(body) = flag.strip_prefix("--") else {
            return Err(format!(
                "unexpected argument '{arg}' (a command goes after --)"
            ));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if let Some((_, only)) = ONLY.iter().find(|(f, _)| *f == name) {
            if only != sub {
                return Err(format!("--{name} is a '{only}' option"));
            }
        }
        let value = if VALUED.contains(&name) {
            match inline {
                Some(v) => v,
                None => {
                    let v = args.get(i).ok_or(format!("--{name} needs a value"))?;
                    i += 1;
                    v.clone()
                }
            }
        } else if inline.is_some() {
            return Err(format!("--{name} takes no value"));
        } else {
            String::new()
        };
        set(&mut o, name, value, &mut code, &mut port_given)?;
    }
    o.start = match (command, code) {
        (Some(c), _) if c.is_empty() => return Err("nothing after --".into()),
        (Some(_), Some(_)) => return Err("give --code or a command, not both".into()),
        (Some(c), None) => Start::Command(c),
        (None, Some(dir)) => Start::Code(dir),
        (None, None) if port_given => Start::Attach,
        (None, None) => Start::Code(PathBuf::from(".")),
    };
    if o.function.name.is_empty() {
        o.function.name = default_name(&o.start);
    }
    Ok(match sub.as_str() {
        "invoke" => Command::Invoke(o),
        "serve" => Command::Serve(o),
        _ => Command::Selftest(o),
    })
}

fn set(
    o: &mut Opts,
    name: &str,
    v: String,
    code: &mut Option<PathBuf>,
    port_given: &mut bool,
) -> Result<(), String> {
    let dur = |v: &str| {
        units::duration(v).map_err(|e| format!("--{name}: '{v}' is not a duration ({e})"))
    };
    let f = &mut o.function;
    match name {
        "code" => *code = Some(PathBuf::from(v)),
        "port" => {
            o.port = v
                .parse()
                .map_err(|_| format!("--port: '{v}' is not a port"))?;
            *port_given = true;
        }
        "name" => f.name = v,
        "handler" => f.handler = v,
        "memory" => {
            f.memory_mb = v
                .parse()
                .ok()
                .filter(|&m| m > 0)
                .ok_or(format!("--memory: '{v}' is not a size in MB"))?
        }
        "timeout" => f.timeout = dur(&v)?,
        "region" => f.region = v,
        "account-id" => f.account_id = v,
        "service" => f.service = v,
        "initializer" => f.initializer = true,
        "initialization-timeout" => f.init_timeout = dur(&v)?,
        "access-key-id" => f.credentials.get_or_insert_with(Default::default).id = v,
        "access-key-secret" => f.credentials.get_or_insert_with(Default::default).secret = v,
        "security-token" => f.credentials.get_or_insert_with(Default::default).token = v,
        "env" => {
            let (k, val) = v
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or("--env wants KEY=VALUE")?;
            f.env.push((k.into(), val.into()));
        }
        "start-timeout" => o.start_timeout = dur(&v)?,
        "verbose" => o.verbose = true,
        "event" => o.event = Some(v),
        "repeat" => {
            o.repeat = v
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(format!("--repeat: '{v}' is not a positive count"))?
        }
        "listen" => o.listen = v,
        "fc2-prefix" => o.fc2_prefix = true,
        "idle" => o.idle = dur(&v)?,
        "grace" => o.grace = dur(&v)?,
        "concurrency" => o.scale.concurrency = count(name, &v, 200)?,
        "max-instances" => o.scale.max_instances = count(name, &v, 100)?,
        "instance-idle" => {
            let d = dur(&v)?;
            o.scale.idle = (!d.is_zero()).then_some(d);
        }
        "verify-signature" => o.verify = Some(Keys::parse(&v)?),
        "async-attempts" => o.async_attempts = count(name, &v, 10)? as u32,
        "event-template" => o.template = Some(v),
        "print-event" => o.print_event = true,
        "stream-path" => o.stream_path = Some(v),
        _ => return Err(format!("unknown option --{name}")),
    }
    Ok(())
}

/// A whole number in `1..=max`.
fn count(name: &str, v: &str, max: usize) -> Result<usize, String> {
    v.parse()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or(format!("--{name}: '{v}' is not a count from 1 to {max}"))
}

/// The code directory's name, as a deployment tool would name the function.
fn default_name(start: &Start) -> String {
    let dir = match start {
        Start::Code(d) => std::fs::canonicalize(d).ok(),
        _ => std::env::current_dir().ok(),
    };
    dir.and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "fc-local".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn start_selection_table() {
        // (command line, expected start: "code:DIR" | "cmd:ARGV0" | "attach")
        let cases = [
            ("invoke", "code:."),
            ("invoke --code fn", "code:fn"),
            ("invoke -- ./srv -x", "cmd:./srv"),
            ("selftest --port 9100", "attach"),
            ("selftest --port 9100 -- ./srv", "cmd:./srv"),
            ("serve --port=0 --code d", "code:d"),
        ];
        for (line, want) in cases {
            let Ok(Command::Invoke(o) | Command::Serve(o) | Command::Selftest(o)) =
                parse(&args(line))
            else {
                panic!("{line}: not parsed");
            };
            let got = match o.start {
                Start::Code(d) => format!("code:{}", d.display()),
                Start::Command(c) => format!("cmd:{}", c[0]),
                Start::Attach => "attach".into(),
            };
            assert_eq!(got, want, "{line}");
        }
    }

    #[test]
    fn refusals_table() {
        let cases = [
            ("launch", "unknown subcommand"),
            ("invoke --idle 5s", "'selftest' option"),
            ("serve --event x", "'invoke' option"),
            ("invoke --port", "needs a value"),
            ("invoke --port x", "not a port"),
            ("invoke --timeout 5d", "not a duration"),
            ("invoke --repeat 0", "positive count"),
            ("invoke --code a -- b", "not both"),
            ("invoke --", "nothing after --"),
            ("invoke stray", "unexpected argument"),
            ("invoke --fc2-prefix", "'serve' option"),
            ("invoke --bogus", "unknown option"),
            ("invoke --initializer=1", "takes no value"),
            ("invoke --env noequals", "KEY=VALUE"),
        ];
        for (line, want) in cases {
            match parse(&args(line)) {
                Err(e) => assert!(e.contains(want), "{line}: {e}"),
                Ok(_) => panic!("{line}: accepted"),
            }
        }
    }

    #[test]
    fn values_reach_the_function() {
        let Ok(Command::Invoke(o)) = parse(&args(
            "invoke --name f --memory 128 --timeout 3s --env A=b=c --repeat 3 --port 0 -- x",
        )) else {
            panic!()
        };
        assert_eq!(o.function.name, "f");
        assert_eq!(o.function.memory_mb, 128);
        assert_eq!(o.function.timeout, Duration::from_secs(3));
        assert_eq!(o.function.env, vec![("A".into(), "b=c".into())]);
        assert_eq!((o.repeat, o.port), (3, 0));
    }
}
