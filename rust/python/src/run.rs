//! The one mechanism for long calls, used by every binding that does real work.
//!
//! The work runs on a scoped thread inside a rayon pool of the requested size; the
//! calling thread releases the GIL and wakes every 50 ms to check for signals
//! (Ctrl-C sets the core's cancel flag, the workers stop at their next block, and the
//! call raises `KeyboardInterrupt`) and to feed the progress callback with the number
//! of units finished since the last call. A panic in the core is caught and raised as
//! `pyo3_runtime.PanicException`, never an abort.
//!
//! Pools are cached per size, at most [`MAX_POOLS`] of them (least recently used
//! dropped), and rebuilt in a `fork()`ed child, whose copies of the parent's pools have
//! no threads (issue 14: `multiprocessing` with the fork start method used to hang).
//! A reaper thread drops every pool but the most recently used one once it has been
//! idle for [`IDLE`], so an idle process holds one pool's threads (calls with
//! `n_threads` = 1..40 used to leave 150 threads behind). `n_threads` is at most
//! [`max_threads`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use pyo3::panic::PanicException;
use pyo3::prelude::*;
use rayon::ThreadPool;
use regions_core::{Control, Result as CoreResult};

use crate::errors::{value_error, Result};

static DEFAULT_THREADS: AtomicUsize = AtomicUsize::new(0);

/// At most this many pools are kept (least recently used first out); a dropped pool's
/// threads exit once their work is done.
const MAX_POOLS: usize = 4;

/// A cached pool unused for this long is dropped (its threads exit), except the most
/// recently used one.
const IDLE: Duration = Duration::from_secs(5);

/// The cached pools (size, pool, last use), most recently used last; the process that
/// built them, and the process whose reaper thread runs.
struct Pools {
    pid: u32,
    pools: Vec<(usize, Arc<ThreadPool>, Instant)>,
    reaper: u32,
}

fn pools() -> &'static Mutex<Pools> {
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    POOLS.get_or_init(|| {
        Mutex::new(Pools {
            pid: std::process::id(),
            pools: Vec::new(),
            reaper: 0,
        })
    })
}

/// Start this process's reaper thread once (again in a forked child, which has none):
/// every second it drops the cached pools idle for [`IDLE`] but the most recent one,
/// and never a pool a call is using (it holds a reference).
fn ensure_reaper(cache: &mut Pools) {
    if cache.reaper == cache.pid {
        return;
    }
    cache.reaper = cache.pid;
    let spawned = std::thread::Builder::new()
        .name("regions-pool-reaper".into())
        .spawn(|| loop {
            std::thread::sleep(Duration::from_secs(1));
            let mut cache = pools().lock().unwrap_or_else(|e| e.into_inner());
            if cache.pid != std::process::id() {
                return;
            }
            let now = Instant::now();
            let last = cache.pools.len().saturating_sub(1); // the most recently used
            let (keep, dropped): (Vec<_>, Vec<_>) = std::mem::take(&mut cache.pools)
                .into_iter()
                .enumerate()
                .partition(|(i, (_, pool, used))| {
                    *i == last || Arc::strong_count(pool) > 1 || now.duration_since(*used) < IDLE
                });
            cache.pools = keep.into_iter().map(|(_, e)| e).collect();
            drop(cache);
            drop(dropped); // the pools' threads exit outside the lock
        });
    if spawned.is_err() {
        cache.reaper = 0; // no reaper: pools stay cached (bounded by MAX_POOLS)
    }
}

fn hardware_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The largest `n_threads` accepted: 64, or 4 threads per hardware thread when that is
/// more. Beyond the hardware threads, more workers only add scheduling and memory
/// (each has its own stack and scratch) without computing faster.
pub fn max_threads() -> usize {
    (4 * hardware_threads()).max(64)
}

/// Set the default number of worker threads (0 restores "all cores").
#[pyfunction]
pub fn set_num_threads(n: usize) -> Result<()> {
    if n > max_threads() {
        return Err(value_error(format!(
            "n: at most {} threads on this machine ({} hardware threads), got {n}",
            max_threads(),
            hardware_threads()
        )));
    }
    DEFAULT_THREADS.store(n, Ordering::Relaxed);
    Ok(())
}

/// The default number of worker threads.
#[pyfunction]
pub fn get_num_threads() -> usize {
    match DEFAULT_THREADS.load(Ordering::Relaxed) {
        0 => hardware_threads(),
        n => n,
    }
}

fn pool(n_threads: Option<usize>) -> Result<Arc<ThreadPool>> {
    let n = match n_threads {
        Some(0) => return Err(value_error("n_threads: must be a positive integer, got 0")),
        Some(n) if n > max_threads() => {
            return Err(value_error(format!(
                "n_threads: at most {} on this machine ({} hardware threads; more workers \
                 only add overhead), got {n}",
                max_threads(),
                hardware_threads()
            )))
        }
        Some(n) => n,
        None => get_num_threads().min(max_threads()),
    };
    let mut cache = pools().lock().unwrap_or_else(|e| e.into_inner());
    // After fork() the child has the parent's pools but none of their threads: using
    // one would wait forever. Forget them (their threads are gone; dropping would signal
    // a registry shared with no one) and build new ones.
    let pid = std::process::id();
    if cache.pid != pid {
        std::mem::forget(std::mem::take(&mut cache.pools));
        cache.pid = pid;
    }
    ensure_reaper(&mut cache);
    if let Some(i) = cache.pools.iter().position(|(k, _, _)| *k == n) {
        let mut entry = cache.pools.remove(i);
        entry.2 = Instant::now();
        let p = entry.1.clone();
        cache.pools.push(entry);
        return Ok(p);
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("regions-worker-{i}"))
        .build()
        .map_err(|e| value_error(format!("n_threads: cannot start {n} threads: {e}")))?;
    let p = Arc::new(p);
    if cache.pools.len() >= MAX_POOLS {
        cache.pools.remove(0);
    }
    cache.pools.push((n, p.clone(), Instant::now()));
    Ok(p)
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_string()
    }
}

/// Run `work` without the GIL on `n_threads` workers with Ctrl-C and progress support.
/// `progress`, when given, is called with the number of newly finished units.
pub fn run<T, F>(
    py: Python<'_>,
    n_threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    work: F,
) -> Result<T>
where
    T: Send,
    F: FnOnce(&Control) -> CoreResult<T> + Send,
{
    run_limited(py, n_threads, progress, None, work)
}

/// A time limit of a region walk: `(seconds, what the progress counts)`.
pub type TimeLimit<'a> = Option<(f64, &'a str)>;

/// [`run`], stopped after `limit`'s seconds (checked with the signals, every 50 ms):
/// then a `LimitExceededError` whose `lower_bound` attribute is the number of units of
/// progress finished (regions found so far: a lower bound of the count, not the count).
pub fn run_limited<T, F>(
    py: Python<'_>,
    n_threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    limit: TimeLimit<'_>,
    work: F,
) -> Result<T>
where
    T: Send,
    F: FnOnce(&Control) -> CoreResult<T> + Send,
{
    let start = Instant::now();
    let mut timed_out = false;
    let pool = pool(n_threads)?;
    let ctrl = Control::new();
    let done = (Mutex::new(false), Condvar::new());
    std::thread::scope(|s| {
        let (ctrl_ref, done_ref) = (&ctrl, &done);
        let handle = s.spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| pool.install(|| work(ctrl_ref))));
            // Leave every worker with clean vector registers (see regions_core::cpu).
            pool.broadcast(|_| regions_core::cpu::clean_upper_state());
            *done_ref.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
            done_ref.1.notify_all();
            result
        });
        let mut reported = 0u64;
        let mut interrupted = None;
        loop {
            let finished = py.detach(|| {
                let guard = done_ref.0.lock().unwrap_or_else(|e| e.into_inner());
                let (guard, _) = done_ref
                    .1
                    .wait_timeout_while(guard, Duration::from_millis(50), |d| !*d)
                    .unwrap_or_else(|e| e.into_inner());
                *guard
            });
            if let Err(e) = py.check_signals() {
                ctrl.cancel();
                interrupted = Some(e);
                break;
            }
            if let Some(cb) = progress {
                let p = ctrl.progress();
                if p > reported {
                    if let Err(e) = cb.call1((p - reported,)) {
                        ctrl.cancel();
                        interrupted = Some(e);
                        break;
                    }
                    reported = p;
                }
            }
            if finished {
                break;
            }
            if let Some((secs, _)) = limit {
                if start.elapsed().as_secs_f64() > secs {
                    ctrl.cancel();
                    timed_out = true;
                    break;
                }
            }
        }
        let joined = py.detach(|| handle.join());
        if let Some(e) = interrupted {
            return Err(e.into());
        }
        if let (true, Some((secs, what))) = (timed_out, limit) {
            // Only a walk the limit cancelled: another error (a region limit reached
            // first) or a finished result stands as it is.
            if matches!(joined, Ok(Ok(Err(regions_core::Error::Cancelled)))) {
                let found = ctrl.progress();
                let err = crate::errors::LimitExceededError::new_err(format!(
                    "max_seconds: stopped after {secs} s with {found} {what} found so far: \
                     the count is at least {found} (a lower bound, not the count; \
                     the exception's lower_bound)"
                ));
                err.value(py).setattr("lower_bound", found)?;
                err.value(py).setattr("max_seconds", secs)?;
                return Err(err.into());
            }
        }
        match joined {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => Err(e.into()),
            Ok(Err(payload)) | Err(payload) => {
                Err(PanicException::new_err(panic_message(payload)).into())
            }
        }
    })
}

/// Test hook: a core computation that panics, to check that panics surface as
/// Python exceptions instead of aborting the interpreter.
#[pyfunction]
pub fn _panic_in_worker(py: Python<'_>) -> Result<()> {
    run(py, Some(2), None, |_| -> CoreResult<()> {
        panic!("deliberate panic for the test suite")
    })
}
