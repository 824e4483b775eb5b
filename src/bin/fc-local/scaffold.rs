//! `fc-local new DIR`: a function crate to start from — `templates/rust-function/` of this
//! repository (Cargo.toml, src/main.rs with a typed OSS handler, s.yaml) with the name and
//! the fc-runtime dependency filled in. The dependency is a path to an fc-runtime checkout:
//! `--fc-runtime PATH`, or the checkout this fc-local was built from.
//!
//! Writes files only; building and packaging are cargo's and `fc-local package`'s.

use std::path::{Path, PathBuf};

const CARGO_TOML: &str = include_str!("../../../templates/rust-function/Cargo.toml");
const MAIN_RS: &str = include_str!("../../../templates/rust-function/src/main.rs");
const S_YAML: &str = include_str!("../../../templates/rust-function/s.yaml");
const GITIGNORE: &str = include_str!("../../../templates/rust-function/gitignore");

pub const HELP: &str = "\
fc-local new: start a Function Compute function in Rust.

USAGE
  fc-local new DIR [--name NAME] [--fc-runtime PATH]

  Writes DIR/Cargo.toml, DIR/src/main.rs (a typed OSS-trigger handler), DIR/s.yaml
  (Serverless Devs) and DIR/.gitignore. NAME defaults to DIR's last component. The
  fc-runtime dependency points at PATH, a checkout of fc-runtime (default: the checkout
  this fc-local was built from). Then: cd DIR && fc-local package.
";

/// What to write.
pub struct Opts {
    dir: PathBuf,
    name: Option<String>,
    fc_runtime: Option<PathBuf>,
}

/// Parses the arguments after `new`.
pub fn parse(args: &[String]) -> Result<Option<Opts>, String> {
    let mut dir = None;
    let (mut name, mut fc_runtime) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--name" => name = Some(value()?),
            "--fc-runtime" => fc_runtime = Some(PathBuf::from(value()?)),
            f if f.starts_with('-') => return Err(format!("unknown new option '{f}'")),
            d if dir.is_none() => dir = Some(PathBuf::from(d)),
            extra => return Err(format!("unexpected argument '{extra}'")),
        }
    }
    let dir = dir.ok_or("fc-local new needs a directory")?;
    Ok(Some(Opts {
        dir,
        name,
        fc_runtime,
    }))
}

pub fn run(o: Opts) -> i32 {
    match scaffold(&o) {
        Ok(name) => {
            println!(
                "fc-local: created {name} in {}\n  cd {} && fc-local invoke --event-template oss -- cargo run -q\n  fc-local package    (then: s deploy)",
                o.dir.display(),
                o.dir.display()
            );
            0
        }
        Err(e) => {
            eprintln!("fc-local new: {e}");
            1
        }
    }
}

fn scaffold(o: &Opts) -> Result<String, String> {
    let name = match &o.name {
        Some(n) => n.clone(),
        None => o
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or("give --name (DIR has no last component)")?,
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        || !name.as_bytes()[0].is_ascii_lowercase()
    {
        return Err(format!(
            "'{name}' is not a crate name for a function (lower-case letters, digits, - and _, starting with a letter)"
        ));
    }
    let runtime = runtime_checkout(o.fc_runtime.as_deref())?;
    if o.dir.exists() && std::fs::read_dir(&o.dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(format!("{} exists and is not empty", o.dir.display()));
    }
    let dep = format!("path = {}", toml_string(&runtime.display().to_string()));
    let fill = |t: &str| t.replace("{{name}}", &name).replace("{{fc-runtime}}", &dep);
    let files = [
        ("Cargo.toml", fill(CARGO_TOML)),
        ("src/main.rs", fill(MAIN_RS)),
        ("s.yaml", fill(S_YAML)),
        (".gitignore", GITIGNORE.to_string()),
    ];
    for (path, text) in files {
        let p = o.dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    Ok(name)
}

/// The fc-runtime checkout the new crate depends on, made absolute.
fn runtime_checkout(given: Option<&Path>) -> Result<PathBuf, String> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = given.unwrap_or(built_from);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"fc-runtime\"") {
        return Err(format!(
            "{} is not an fc-runtime checkout: give --fc-runtime PATH",
            dir.display()
        ));
    }
    std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
