//! `fc-local package`: a user's binary crate to what FC runs — a static musl build of the
//! binary as `bootstrap` (mode 0755) in `target/fc/<name>.zip` for a custom runtime, and
//! with `--image TAG` a `FROM scratch` image for a custom container (buildah or podman).
//!
//! It runs rustup (the musl target, when missing), cargo and the image builder through the
//! library's supervisor, checks the binary is static, writes the zip itself (`zip.rs`) and
//! says what it made and how big. It does not deploy.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use fc_runtime::process::Child;

use crate::zip;

const TARGET: &str = "x86_64-unknown-linux-musl";
/// The longest a build may take.
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);

pub const HELP: &str = "\
fc-local package: build a Rust binary crate for Function Compute.

USAGE
  fc-local package [--bin NAME] [--manifest-path PATH] [--image TAG]

  Builds NAME (default: the crate's only binary) for x86_64-unknown-linux-musl in release
  mode (rustup adds the target when missing), checks it is static, and writes
  target/fc/NAME.zip beside the crate's Cargo.toml with the binary as `bootstrap` (0755):
  the code of a custom runtime (runtime custom.debian10/11/12, command /code/bootstrap).
  --image TAG also builds a FROM scratch image (buildah or podman) whose entrypoint is the
  binary: a custom container.
";

/// What to package.
pub struct Opts {
    bin: Option<String>,
    manifest: PathBuf,
    image: Option<String>,
}

/// Parses the arguments after `package`.
pub fn parse(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts {
        bin: None,
        manifest: PathBuf::from("Cargo.toml"),
        image: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--bin" => o.bin = Some(value()?),
            "--manifest-path" => o.manifest = PathBuf::from(value()?),
            "--image" => o.image = Some(value()?),
            other => return Err(format!("unknown package option '{other}'")),
        }
    }
    Ok(Some(o))
}

pub fn run(o: Opts) -> i32 {
    match package(&o) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("fc-local package: {e}");
            1
        }
    }
}

fn package(o: &Opts) -> Result<(), String> {
    if !o.manifest.is_file() {
        return Err(format!(
            "{} not found: run it in the crate's directory or give --manifest-path",
            o.manifest.display()
        ));
    }
    ensure_target()?;
    let (name, exe) = build(o)?;
    let bytes = std::fs::read(&exe).map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
    if let Some(interp) = interpreter(&bytes) {
        return Err(format!(
            "{} is not static (it asks for {interp}); FC's custom runtime has no musl loader",
            exe.display()
        ));
    }
    let dir = o
        .manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("target/fc");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let zip_path = dir.join(format!("{name}.zip"));
    let archive = zip::write(&[zip::Entry {
        name: "bootstrap",
        data: &bytes,
        mode: 0o755,
    }]);
    std::fs::write(&zip_path, &archive)
        .map_err(|e| format!("cannot write {}: {e}", zip_path.display()))?;
    println!(
        "fc-local: {name}: static {TARGET} binary, {} ({} bytes) -> {} ({} bytes), bootstrap 0755",
        exe.display(),
        bytes.len(),
        zip_path.display(),
        archive.len()
    );
    if let Some(tag) = &o.image {
        image(tag, &bytes, &dir)?;
    }
    Ok(())
}

/// Adds the musl target with rustup when it is missing (no rustup: cargo may still have it).
fn ensure_target() -> Result<(), String> {
    let mut list = Command::new("rustup");
    list.args(["target", "list", "--installed"]);
    let installed = match output(list) {
        Ok((s, out)) if s.success() => out,
        _ => return Ok(()),
    };
    if installed.lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    eprintln!("fc-local: adding the {TARGET} target with rustup");
    let mut add = Command::new("rustup");
    add.args(["target", "add", TARGET]);
    match status(add)? {
        s if s.success() => Ok(()),
        s => Err(format!("rustup target add {TARGET}: {s}")),
    }
}

/// `cargo build --release --target musl`; the binary's name and path (from cargo's own
/// JSON messages, so a workspace or `CARGO_TARGET_DIR` is followed).
fn build(o: &Opts) -> Result<(String, PathBuf), String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["build", "--release", "--target", TARGET])
        .args(["--message-format", "json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(&o.manifest);
    if let Some(b) = &o.bin {
        cmd.args(["--bin", b]);
    }
    eprintln!("fc-local: cargo build --release --target {TARGET}");
    let (s, out) = output(cmd)?;
    if !s.success() {
        return Err(format!("cargo build failed ({s})"));
    }
    let bins: Vec<(String, PathBuf)> = out
        .lines()
        .filter(|l| l.contains(r#""reason":"compiler-artifact""#))
        .filter_map(|l| {
            let exe = json_field(l, "executable")?;
            let target = &l[l.find(r#""target":{"#)?..];
            Some((json_field(target, "name")?, PathBuf::from(exe)))
        })
        .collect();
    match (&o.bin, bins.as_slice()) {
        (Some(b), _) => bins
            .iter()
            .find(|(n, _)| n == b)
            .cloned()
            .ok_or(format!("cargo built no binary named {b}")),
        (None, [one]) => Ok(one.clone()),
        (None, []) => Err("the crate has no binary target".into()),
        (None, many) => Err(format!(
            "the crate has several binaries ({}): pick one with --bin",
            many.iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A `FROM scratch` image with the binary as its entrypoint.
fn image(tag: &str, binary: &[u8], dir: &Path) -> Result<(), String> {
    let ctx = dir.join("image");
    std::fs::create_dir_all(&ctx).map_err(|e| e.to_string())?;
    std::fs::write(ctx.join("bootstrap"), binary).map_err(|e| e.to_string())?;
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nCOPY --chmod=0755 bootstrap /bootstrap\nEXPOSE 9000\nENTRYPOINT [\"/bootstrap\"]\n",
    )
    .map_err(|e| e.to_string())?;
    let builders: [(&str, &[&str]); 2] =
        [("buildah", &["bud", "-t"]), ("podman", &["build", "-t"])];
    for (tool, args) in builders {
        let mut cmd = Command::new(tool);
        cmd.args(args).arg(tag).arg(&ctx);
        match status(cmd) {
            Ok(s) if s.success() => {
                println!("fc-local: image {tag} built with {tool} (FROM scratch, entrypoint /bootstrap, port 9000)");
                return Ok(());
            }
            Ok(s) => return Err(format!("{tool} failed ({s})")),
            Err(_) => continue,
        }
    }
    Err("--image needs buildah or podman".into())
}

/// Runs `cmd` with its output inherited; its exit status.
fn status(mut cmd: Command) -> Result<ExitStatus, String> {
    cmd.stdin(Stdio::null());
    let shown = format!("{cmd:?}");
    let child = Child::spawn(cmd).map_err(|e| format!("cannot run {shown}: {e}"))?;
    child
        .wait_timeout(BUILD_LIMIT)
        .ok_or(format!("{shown} still running after {BUILD_LIMIT:?}"))
}

/// Runs `cmd` with stdout captured (stderr inherited); its status and output.
fn output(mut cmd: Command) -> Result<(ExitStatus, String), String> {
    use std::io::Read;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped());
    let shown = format!("{cmd:?}");
    let mut child = Child::spawn(cmd).map_err(|e| format!("cannot run {shown}: {e}"))?;
    let mut out = String::new();
    if let Some(mut o) = child.take_stdout() {
        o.read_to_string(&mut out)
            .map_err(|e| format!("{shown}: {e}"))?;
    }
    let s = child
        .wait_timeout(BUILD_LIMIT)
        .ok_or(format!("{shown} still running after {BUILD_LIMIT:?}"))?;
    Ok((s, out))
}

/// The string value of `"field":"…"` in a JSON line (escapes `\\` and `\"` undone).
fn json_field(line: &str, field: &str) -> Option<String> {
    let start = line.find(&format!("\"{field}\":\""))? + field.len() + 4;
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

/// The dynamic loader an ELF binary asks for (`PT_INTERP`), if any.
fn interpreter(elf: &[u8]) -> Option<String> {
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 {
        return None;
    }
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let u64_at = |o: usize| {
        elf.get(o..o + 8).map_or(0, |b| {
            u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as usize
        })
    };
    let (phoff, phentsize, phnum) = (u64_at(32), u16_at(54), u16_at(56));
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let kind = elf.get(ph..ph + 4)?;
        if u32::from_le_bytes(kind.try_into().ok()?) == 3 {
            let (off, size) = (u64_at(ph + 8), u64_at(ph + 32));
            let path = elf.get(off..off + size)?;
            return Some(
                String::from_utf8_lossy(path)
                    .trim_end_matches('\0')
                    .to_string(),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_field_table() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"my-fn"},"executable":"/t/a \"b\"\\c"}"#;
        assert_eq!(
            json_field(line, "executable").as_deref(),
            Some(r#"/t/a "b"\c"#)
        );
        assert_eq!(json_field(line, "name").as_deref(), Some("my-fn"));
        assert_eq!(json_field(line, "missing"), None);
        assert_eq!(json_field(r#"{"executable":null}"#, "executable"), None);
    }

    #[test]
    fn interpreter_of_real_binaries() {
        // This test binary is dynamic (host target); /bin/sh too on Debian.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(interpreter(&me).is_some_and(|i| i.contains("ld-linux")));
        assert_eq!(interpreter(b"not an elf"), None);
    }
}
