//! The process entry point without std's runtime set-up, for binaries whose start-up time
//! is the product (`fc-runtime` itself; any function through [`entry!`](crate::entry)).
//!
//! Before `main`, std's runtime makes ~12 system calls that a function server does not
//! need on its start path: a SIGSEGV/SIGBUS handler with an alternate signal stack for the
//! main thread (and then one per thread spawned), the thread's name, and so on. [`start`]
//! does only what this server relies on: descriptors 0–2 open (else `/dev/null`, so no
//! socket ever becomes "stdout"), SIGPIPE ignored (a client gone mid-answer is an error
//! return, not death), and the arguments captured (std captures them only in its own
//! start-up on musl). What is given up: a stack overflow ends the process by a plain
//! SIGSEGV instead of std's "has overflowed its stack" message. Child processes are
//! unaffected: std resets SIGPIPE to its default in every child it spawns.

use std::ffi::{c_char, CStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use super::SIGPIPE;

extern "C" {
    pub(super) static environ: *const *const c_char;
    fn signal(signum: i32, handler: usize) -> usize;
    fn poll(fds: *mut PollFd, nfds: u64, timeout: i32) -> i32;
    fn open(path: *const c_char, flags: i32, ...) -> i32;
}

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

const SIG_IGN: usize = 1;
const POLLNVAL: i16 = 0x20;
const O_RDWR: i32 = 2;

/// The arguments [`start`] captured (none when std's own `main` ran).
static ARGS: OnceLock<Vec<OsString>> = OnceLock::new();

/// The process's arguments: those [`start`] captured, else std's.
pub(crate) fn args() -> Vec<String> {
    let lossy = |a: OsString| {
        a.into_string()
            .unwrap_or_else(|a| a.to_string_lossy().into())
    };
    match ARGS.get() {
        Some(args) => args.iter().cloned().map(lossy).collect(),
        None => std::env::args_os().map(lossy).collect(),
    }
}

/// The environment variables whose names `keep` accepts, as UTF-8 name/value pairs, in one
/// pass over `environ` that copies only what it keeps (`std::env::vars_os` copies every
/// variable; a `getenv` per name scans them all each time). Non-UTF-8 entries are skipped,
/// as `std::env::var` reports them absent.
pub(crate) fn env_vars(keep: impl Fn(&[u8]) -> bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // SAFETY: `environ` is the C runtime's NULL-terminated array of NUL-terminated
    // `NAME=value` strings. Nothing in this crate changes the environment, and std's
    // `set_var` (the only other writer) is `unsafe` and documented as not to be called
    // while other code reads the environment, so the array is stable while it is read here.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            let entry = CStr::from_ptr(*p).to_bytes();
            p = p.add(1);
            let Some(eq) = entry.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (name, value) = (&entry[..eq], &entry[eq + 1..]);
            if keep(name) {
                if let (Ok(n), Ok(v)) = (std::str::from_utf8(name), std::str::from_utf8(value)) {
                    out.push((n.to_owned(), v.to_owned()));
                }
            }
        }
    }
    out
}

/// Runs `main` as the process's program, from the C entry point [`entry!`](crate::entry)
/// declares, and returns its exit status (101 if it panicked, as std's `main` does).
///
/// # Safety
///
/// `argv` must point to `argc` valid NUL-terminated strings, as the C runtime passes them
/// to `main`; call it once, before any other thread exists.
#[doc(hidden)]
pub unsafe fn start(argc: i32, argv: *const *const c_char, main: fn()) -> i32 {
    let mut fds = [0, 1, 2].map(|fd| PollFd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three `pollfd`s for the duration of the call; a zero
    // timeout never blocks.
    let polled = unsafe { poll(fds.as_mut_ptr(), 3, 0) };
    if polled > 0 {
        for _closed in fds.iter().filter(|f| f.revents & POLLNVAL != 0) {
            // SAFETY: a NUL-terminated path and plain flags. The lowest free descriptor is
            // the closed one, in order (what std's runtime does too).
            unsafe { open(c"/dev/null".as_ptr(), O_RDWR) };
        }
    }
    // SAFETY: ignoring a signal installs no handler code; always sound.
    unsafe { signal(SIGPIPE, SIG_IGN) };
    let args = (0..argc.max(0) as usize)
        .map(|i| {
            // SAFETY: the caller guarantees `argv[0..argc]` are valid C strings.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            OsString::from_vec(arg.to_bytes().to_vec())
        })
        .collect();
    let _ = ARGS.set(args);
    match catch_unwind(AssertUnwindSafe(main)) {
        Ok(()) => 0,
        Err(_) => 101,
    }
}

/// Declares the process's C `main` to run `f` without std's runtime set-up (see the
/// module docs for what that skips and what it keeps): put `#![no_main]` at the top of
/// the binary's `main.rs` and this macro where `fn main` was. A start-up that is shorter by
/// about a dozen system calls; for programs whose cold start matters, such as a function
/// that FC starts for a request.
///
/// ```no_run
/// #![no_main]
/// use fc_runtime::{Context, HandlerError};
///
/// fn serve() {
///     fc_runtime::run(|event: Vec<u8>, _: &Context| Ok::<_, HandlerError>(event))
/// }
///
/// fc_runtime::entry!(serve);
/// ```
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        extern "C" fn main(argc: i32, argv: *const *const ::std::ffi::c_char) -> i32 {
            // SAFETY: the C runtime calls `main` once, on the only thread, with `argv`
            // holding `argc` valid C strings.
            unsafe { $crate::__start(argc, argv, $main) }
        }
    };
}
