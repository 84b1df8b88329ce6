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

thread_local! {
    /// The cancel flag of the [`Control::scope`] running on this thread, if any.
    static CURRENT: std::cell::Cell<*const AtomicBool> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Whether the computation running on this thread (inside [`Control::scope`]) was asked
/// to stop. For deep kernels that take no `Control` (a cell's cut): they stop early
/// with a partial, discarded result, and the caller's next [`Control::check`] returns
/// the error.
#[inline]
pub fn cancel_requested() -> bool {
    CURRENT.with(|c| {
        let p = c.get();
        // SAFETY: a non-null pointer is only stored by `Control::scope`, for the duration
        // of its call, while the `Control` it points into is borrowed; it is restored
        // (also on unwind) before `scope` returns. Work stolen by this thread inside the
        // call runs its own `scope` and restores in turn (strictly nested).
        !p.is_null() && unsafe { (*p).load(Ordering::Relaxed) }
    })
}

impl Control {
    /// Run `f` with this control as the thread's current one, so that
    /// [`cancel_requested`] sees its flag inside `f`.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore(*const AtomicBool);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let prev = CURRENT.with(|c| c.replace(&self.cancel as *const AtomicBool));
        let _restore = Restore(prev);
        f()
    }

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
