//! Signals, both ways: the ones a supervisor sends to its child's process group
//! ([`Signal`]), and the stop signals it receives itself — caught, so that SIGTERM or a
//! terminal's Ctrl-C lets it stop its children properly instead of ending it on the spot.

use std::io;

use crate::sys;

/// A signal for [`Child::signal`](super::Child::signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: finish and exit.
    Term,
    /// SIGINT: what a terminal's Ctrl-C sends.
    Int,
    /// SIGKILL: no choice.
    Kill,
}

impl Signal {
    pub(super) fn number(self) -> i32 {
        match self {
            Signal::Term => sys::SIGTERM,
            Signal::Int => sys::SIGINT,
            Signal::Kill => sys::SIGKILL,
        }
    }
}

/// Catches SIGTERM and SIGINT from now on: they set a flag ([`stop_requested`]) instead of
/// ending the process, so its owner can stop its children properly. A [`Server`] that
/// [handles signals](crate::Server::handle_signals) stops on the same signals.
///
/// [`Server`]: crate::Server
pub fn catch_stop_signals() -> io::Result<()> {
    sys::install_stop_hook()
}

/// True once SIGTERM or SIGINT arrived (after [`catch_stop_signals`] or a server's
/// [`handle_signals`](crate::Server::handle_signals)).
pub fn stop_requested() -> bool {
    sys::stop_requested()
}
