//! The error type of `regions-core`.

/// Everything that can go wrong in the core. The Python bindings map
/// [`Error::InvalidArgument`] to `ValueError`, [`Error::Cancelled`] to
/// `KeyboardInterrupt`, [`Error::LimitExceeded`] to `regions.LimitExceededError` and
/// [`Error::OutOfMemory`] to `MemoryError`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An argument has the wrong shape or value; `name` is the argument.
    #[error("{name}: {message}")]
    InvalidArgument { name: String, message: String },
    /// The caller asked to stop (Ctrl-C in Python).
    #[error("the computation was cancelled")]
    Cancelled,
    /// A user-set or structural limit was reached; the answer would be truncated.
    #[error("limit reached: {name} = {limit} ({message})")]
    LimitExceeded {
        name: String,
        limit: u64,
        message: String,
    },
    /// Memory for `what` (`bytes` bytes, `u64::MAX` when the size itself overflows)
    /// could not be reserved; nothing was computed.
    #[error("cannot allocate {} for {what}", bytes_text(*bytes))]
    OutOfMemory { what: String, bytes: u64 },
}

fn bytes_text(bytes: u64) -> String {
    if bytes == u64::MAX {
        "more than 2^64 bytes".to_string()
    } else {
        format!(
            "{bytes} bytes ({:.1} GiB)",
            bytes as f64 / (1u64 << 30) as f64
        )
    }
}

/// Result alias of the core.
pub type Result<T> = std::result::Result<T, Error>;

/// An empty vector with room for `n` items, or [`Error::OutOfMemory`] naming `what`
/// when the memory cannot be had (never an abort). `extra_bytes` is memory the caller
/// will allocate besides (e.g. the items' own buffers): it is asked for once here, so
/// that a request too large fails before any work.
pub fn try_with_capacity<T>(n: usize, extra_bytes: u64, what: &str) -> Result<Vec<T>> {
    let bytes = (n as u64)
        .saturating_mul(std::mem::size_of::<T>() as u64)
        .saturating_add(extra_bytes);
    let oom = || Error::OutOfMemory {
        what: what.to_string(),
        bytes,
    };
    let extra = usize::try_from(extra_bytes).map_err(|_| oom())?;
    Vec::<u8>::new()
        .try_reserve_exact(extra)
        .map_err(|_| oom())?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| oom())?;
    Ok(v)
}

/// The memory this process may still allocate, as far as the system says: the smaller
/// of the available memory (`MemAvailable` in `/proc/meminfo`) and the room left under
/// the address-space limit (`RLIMIT_AS`, from `/proc/self/limits`, minus `VmSize`);
/// `u64::MAX` where that is not known (other systems).
pub fn memory_budget() -> u64 {
    fn kib_field(text: &str, key: &str) -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        let kib: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
        Some(kib.saturating_mul(1024))
    }
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let mut budget = read("/proc/meminfo")
        .and_then(|t| kib_field(&t, "MemAvailable:"))
        .unwrap_or(u64::MAX);
    let limit = read("/proc/self/limits").and_then(|t| {
        let line = t.lines().find(|l| l.starts_with("Max address space"))?;
        line["Max address space".len()..]
            .split_whitespace()
            .next()?
            .parse::<u64>()
            .ok()
    });
    if let Some(limit) = limit {
        let used = read("/proc/self/status")
            .and_then(|t| kib_field(&t, "VmSize:"))
            .unwrap_or(0);
        budget = budget.min(limit.saturating_sub(used));
    }
    budget
}

/// [`Error::OutOfMemory`] naming `what` when `bytes` exceed [`memory_budget`]: for
/// computations whose memory is not one allocation (big integers, tables that grow),
/// checked with a proven bound of what the next step needs, before it runs.
pub fn check_budget(bytes: u64, what: &str) -> Result<()> {
    if bytes > memory_budget() {
        return Err(Error::OutOfMemory {
            what: what.to_string(),
            bytes,
        });
    }
    Ok(())
}

/// Build an [`Error::InvalidArgument`].
pub fn invalid(name: &str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name: name.to_string(),
        message: message.into(),
    }
}

/// The number of items of a `dims[0] × dims[1] × …` array, or [`Error::OutOfMemory`]
/// naming `what` when it (times `item_bytes`) does not fit in the address space.
pub fn checked_len(dims: &[usize], item_bytes: usize, what: &str) -> Result<usize> {
    let n = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    match n.and_then(|n| n.checked_mul(item_bytes).map(|_| n)) {
        Some(n) if n.saturating_mul(item_bytes) <= isize::MAX as usize => Ok(n),
        _ => Err(Error::OutOfMemory {
            what: what.to_string(),
            bytes: u64::MAX,
        }),
    }
}

/// A zeroed `dims[0] × dims[1] × …` array, asked for before it is used:
/// [`Error::OutOfMemory`] naming `what` when it cannot be had (never an abort, never an
/// overflowed size).
pub fn try_zeroed<T: Clone + Default>(dims: &[usize], what: &str) -> Result<Vec<T>> {
    let n = checked_len(dims, std::mem::size_of::<T>(), what)?;
    let mut v = try_with_capacity(n, 0, what)?;
    v.resize(n, T::default());
    Ok(v)
}

/// Check that `dims` items of `item_bytes` could be had, without keeping them: for
/// working sets that each parallel task allocates for itself (asked for once, up front).
pub fn probe(dims: &[usize], item_bytes: usize, what: &str) -> Result<()> {
    let n = checked_len(dims, item_bytes, what)?;
    try_with_capacity::<u8>(0, (n * item_bytes) as u64, what).map(drop)
}
