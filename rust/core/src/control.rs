//! Cancellation and progress for long computations.
//!
//! Every long algorithm takes a `&Control`. Workers call [`Control::check`] between
//! blocks of work (so a cancel request is honoured within one block) and
//! [`Control::advance`] to report finished units of work. The Python bindings poll
//! the counter for the progress bar and set the cancel flag on Ctrl-C.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Shared cancel flag and progress counter.
#[derive(Debug, Default)]
pub struct Control {
    cancel: AtomicBool,
    progress: AtomicU64,
}

impl Control {
    /// A fresh control: not cancelled, progress 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the workers to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether a stop was requested.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once a stop was requested.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Report `n` more finished units of work.
    #[inline]
    pub fn advance(&self, n: u64) {
        self.progress.fetch_add(n, Ordering::Relaxed);
    }

    /// Units of work finished so far.
    pub fn progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }
}
