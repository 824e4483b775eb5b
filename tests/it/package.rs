//! A user's own crate, outside this repository, from `fc-local new` to FC's zip with
//! `fc-local package`, unpacked with Info-ZIP's `unzip` (modes kept, as FC keeps them) and
//! run by `fc-local invoke` with FC's documented OSS event.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::local::LOCAL;

#[test]
fn a_new_crate_packages_to_a_zip_that_fc_local_invokes() {
    let root = std::env::temp_dir().join(format!("fcrt-package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let krate = root.join("hello-fn");
    let o = Command::new(LOCAL)
        .arg("new")
        .arg(&krate)
        .args(["--fc-runtime", env!("CARGO_MANIFEST_DIR")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["Cargo.toml", "src/main.rs", "s.yaml", ".gitignore"] {
        assert!(krate.join(f).is_file(), "{f}");
    }
    // A target directory of its own under ours: rebuilt incrementally on the next run, and
    // package follows CARGO_TARGET_DIR through cargo's messages.
    let target = concat!(env!("CARGO_MANIFEST_DIR"), "/target/package-test");
    let o = Command::new(LOCAL)
        .arg("package")
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("hello-fn: static x86_64-unknown-linux-musl binary"),
        "{out}"
    );
    let zip = krate.join("target/fc/hello-fn.zip");
    assert!(zip.is_file(), "{out}");
    let code = root.join("code");
    let o = Command::new("unzip")
        .args(["-q", "-o"])
        .arg(&zip)
        .arg("-d")
        .arg(&code)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mode = std::fs::metadata(code.join("bootstrap"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    let o = Command::new(LOCAL)
        .args([
            "invoke",
            "--port",
            "0",
            "--name",
            "hello-fn",
            "--event-template",
            "oss",
            "--code",
        ])
        .arg(&code)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{out}\n{err}");
    assert_eq!(
        out,
        r#"[{"bucket":"testbucket","key":"image/a.jpg","size":29203}]"#
    );
    // The start-up line names the function, not the library.
    assert!(err.contains("hello-fn (fc-runtime "), "{err}");
    // An event that is not an OSS event: a function error naming the field.
    let o = Command::new(LOCAL)
        .args([
            "invoke",
            "--port",
            "0",
            "--event",
            r#"{"events":[{"oss":{"object":{"size":"big"}}}]}"#,
            "--code",
        ])
        .arg(&code)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("events[0].oss.object.size: invalid type: string"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
