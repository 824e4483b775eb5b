//! What the command line describes: how the function is reached ([`Start`]), its FC
//! settings ([`Function`], [`Credentials`]), the gateway's scale and signature keys, and
//! every subcommand's options ([`Opts`]). Plain data; `cli.rs` parses into it.

use std::path::PathBuf;
use std::time::Duration;

/// How the function is reached.
#[derive(Clone)]
pub enum Start {
    /// Run `DIR/bootstrap` by absolute path, working directory `DIR`.
    Code(PathBuf),
    /// Run this command (after `--`), in the current directory.
    Command(Vec<String>),
    /// Talk to a server already listening on `--port`.
    Attach,
}

/// The function role's STS credentials; passed only when given, never printed.
#[derive(Clone, Default)]
pub struct Credentials {
    pub id: String,
    pub secret: String,
    pub token: String,
}

/// The function's configuration, as FC would hold it.
#[derive(Clone)]
pub struct Function {
    pub name: String,
    pub handler: String,
    pub memory_mb: u32,
    pub timeout: Duration,
    pub region: String,
    pub account_id: String,
    pub service: String,
    pub qualifier: String,
    pub initializer: bool,
    pub init_timeout: Duration,
    pub credentials: Option<Credentials>,
    pub env: Vec<(String, String)>,
}

/// `--verify-signature`'s key pair: API requests must be signed with it. Kept out of
/// every message but the key id.
#[derive(Clone)]
pub struct Keys {
    pub id: String,
    secret: String,
}

impl Keys {
    /// The secret, for signing only (never printed).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// `AK:SK`.
    pub fn parse(s: &str) -> Result<Keys, String> {
        match s.split_once(':') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => Ok(Keys {
                id: id.into(),
                secret: secret.into(),
            }),
            _ => Err("--verify-signature wants ACCESS_KEY_ID:ACCESS_KEY_SECRET".into()),
        }
    }
}

/// How many instances `serve` may run, and how full each may get.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Calls in flight per instance (FC's instance concurrency; default 1, FC's default).
    pub concurrency: usize,
    /// Instances at most (a fixed `--port` is given to the first; more get free ports).
    pub max_instances: usize,
    /// An instance idle this long is stopped with `GET /pre-stop` (`None`: never).
    pub idle: Option<Duration>,
}

/// Every option of every subcommand (each subcommand reads the ones it documents).
#[derive(Clone)]
pub struct Opts {
    pub start: Start,
    pub port: u16,
    pub function: Function,
    pub start_timeout: Duration,
    pub verbose: bool,
    pub event: Option<String>,
    pub repeat: u32,
    pub listen: String,
    pub fc2_prefix: bool,
    pub idle: Duration,
    pub grace: Duration,
    pub scale: Scale,
    /// `--verify-signature AK:SK`: API requests must be signed with this pair.
    pub verify: Option<Keys>,
    /// Attempts per asynchronous call (FC's default: 3).
    pub async_attempts: u32,
    /// `--event-template NAME`.
    pub template: Option<String>,
    /// `--print-event`: print the event and start nothing.
    pub print_event: bool,
    /// `--stream-path PATH`: where selftest finds a streamed (chunked) answer.
    pub stream_path: Option<String>,
}
