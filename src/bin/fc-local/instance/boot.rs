//! What FC does with a start command before the health check: resolve `DIR/bootstrap` by
//! absolute path, refuse one that is missing, not executable, or a script that cannot exec
//! (CRLF line endings, no shebang), and word spawn failures the way FC's console does.
//!
//! Builds the `Command`; does not run it.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::Start;

/// The command to run, its display form, and `FC_FUNC_CODE_PATH`.
pub fn command(start: &Start) -> Result<(Command, String, String), String> {
    match start {
        Start::Code(dir) => {
            let dir = std::fs::canonicalize(dir)
                .map_err(|e| format!("code directory {}: {e}", dir.display()))?;
            let boot = dir.join("bootstrap");
            check_bootstrap(&boot)?;
            let mut c = Command::new(&boot);
            c.current_dir(&dir);
            Ok((c, boot.display().to_string(), dir.display().to_string()))
        }
        Start::Command(argv) => {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
            Ok((c, argv.join(" "), cwd.display().to_string()))
        }
        Start::Attach => unreachable!("attach starts nothing"),
    }
}

/// FC's start failures for a bootstrap, reported before trying it.
fn check_bootstrap(boot: &Path) -> Result<(), String> {
    let shown = boot.display();
    let meta = std::fs::metadata(boot).map_err(|_| {
        format!("Failed to start function instance. Error: the file {shown} is not exist")
    })?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(format!(
            "Function instance exited unexpectedly(code 13, message:permission denied) with start command '{shown}'.\n\
             hint: bootstrap must be an executable file: chmod 755 bootstrap (and keep the mode in the zip)"
        ));
    }
    let mut head = Vec::new();
    let _ = std::fs::File::open(boot).and_then(|f| f.take(64 << 10).read_to_end(&mut head));
    if let Some(why) = script_problem(&head) {
        return Err(format!(
            "Function instance exited unexpectedly(code 127, message:no such file or directory) with start command '{shown}'.\n\
             hint: {why}"
        ));
    }
    Ok(())
}

/// What makes a bootstrap script fail to exec on Linux, judged from its first bytes.
fn script_problem(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x7fELF") {
        return None;
    }
    if !head.starts_with(b"#!") {
        return Some(
            "bootstrap is neither a binary nor a script with a shebang line (#!/bin/bash)",
        );
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or(head);
    if first.ends_with(b"\r") || head.windows(2).any(|w| w == b"\r\n") {
        return Some(
            "bootstrap has CRLF (Windows) line endings: the kernel looks for an interpreter named '...\\r'; convert it to LF (dos2unix bootstrap)",
        );
    }
    None
}

pub fn spawn_error(e: &std::io::Error, command: &str) -> String {
    let (code, msg) = match e.raw_os_error() {
        Some(2) => (127, "no such file or directory"),
        Some(13) => (13, "permission denied"),
        Some(8) => (126, "exec format error"),
        _ => (1, "cannot start"),
    };
    format!(
        "Function instance exited unexpectedly(code {code}, message:{msg}) with start command '{command}'.\n({e})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_problem_table() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"\x7fELF\x02\x01", None),
            (b"#!/bin/sh\nexec ./srv\n", None),
            (b"#!/bin/bash\r\nexec ./srv\r\n", Some("CRLF")),
            (b"#!/bin/sh\nexec ./srv\r\n", Some("CRLF")),
            (b"exec ./srv\n", Some("shebang")),
        ];
        for &(head, want) in cases {
            let got = script_problem(head);
            match want {
                None => assert!(got.is_none(), "{head:?}: {got:?}"),
                Some(w) => assert!(got.is_some_and(|g| g.contains(w)), "{head:?}: {got:?}"),
            }
        }
    }
}
