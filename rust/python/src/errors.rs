//! The one error conversion of the bindings.
//!
//! Every binding returns [`Result<T>`] (= `Result<T, BindError>`), so `?` works on
//! both core results ([`regions_core::Error`]) and PyO3 results; pyo3 turns a
//! [`BindError`] into the Python exception at the boundary:
//! `InvalidArgument` → `ValueError`, `Cancelled` → `KeyboardInterrupt`,
//! `LimitExceeded` → [`LimitExceededError`] (a `RuntimeError`), `OutOfMemory` →
//! `MemoryError`.

use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::PyErr;
use regions_core::Error;

create_exception!(
    _core,
    LimitExceededError,
    PyRuntimeError,
    "A limit was reached; the exact answer was not computed (never a truncated result)."
);

/// A Python exception on its way out of a binding.
#[derive(Debug)]
pub struct BindError(PyErr);

/// The result type of every binding.
pub type Result<T> = std::result::Result<T, BindError>;

impl From<Error> for BindError {
    fn from(e: Error) -> Self {
        BindError(match e {
            Error::InvalidArgument { .. } => PyValueError::new_err(e.to_string()),
            Error::Cancelled => PyKeyboardInterrupt::new_err("regions: computation cancelled"),
            Error::LimitExceeded { .. } => LimitExceededError::new_err(e.to_string()),
            Error::OutOfMemory { .. } => PyMemoryError::new_err(e.to_string()),
        })
    }
}

impl From<PyErr> for BindError {
    fn from(e: PyErr) -> Self {
        BindError(e)
    }
}

impl From<BindError> for PyErr {
    fn from(e: BindError) -> Self {
        e.0
    }
}

/// A `ValueError` naming the argument at fault.
pub fn value_error(message: impl Into<String>) -> BindError {
    BindError(PyValueError::new_err(message.into()))
}
