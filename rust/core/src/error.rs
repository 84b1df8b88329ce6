//! The error type of `regions-core`.

/// Everything that can go wrong in the core. The Python bindings map
/// [`Error::InvalidArgument`] to `ValueError`, [`Error::Cancelled`] to
/// `KeyboardInterrupt` and [`Error::LimitExceeded`] to `regions.LimitExceededError`.
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
}

/// Result alias of the core.
pub type Result<T> = std::result::Result<T, Error>;

/// Build an [`Error::InvalidArgument`].
pub fn invalid(name: &str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name: name.to_string(),
        message: message.into(),
    }
}
