//! SIGINT and SIGTERM for `spikegpu run`: the first one is noted and the run stops at the next
//! chunk boundary, writes what it recorded and a summary marked interrupted, and exits 130 or
//! 143; a second SIGINT exits at once (130). Installed only by the command-line tool; a
//! library user's process keeps its own handlers.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// SIGINT's number.
pub const SIGINT: i32 = 2;
/// SIGTERM's number.
pub const SIGTERM: i32 = 15;

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    // Only async-signal-safe work here: an atomic exchange and _exit.
    let first = RECEIVED.swap(signal, Ordering::SeqCst);
    if first == SIGINT && signal == SIGINT {
        // SAFETY: _exit is async-signal-safe and ends the process without running anything.
        unsafe { libc::_exit(128 + SIGINT) };
    }
    if first != 0 {
        RECEIVED.store(first, Ordering::SeqCst);
    }
}

/// Installs the handlers for SIGINT and SIGTERM (a no-op where there are no POSIX signals).
pub fn install() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only touches an atomic and calls _exit, both async-signal-safe.
        unsafe { libc::signal(signal, on_signal as *const () as libc::sighandler_t) };
    }
}

/// The first SIGINT or SIGTERM received since [`install`], if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The signal's name for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}
