//! Mapping of core errors to Python exceptions.

use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::PyErr;
use regions_core::Error;

create_exception!(
    _core,
    LimitExceededError,
    PyRuntimeError,
    "A limit was reached; the exact answer was not computed (never a truncated result)."
);

/// Convert a core error into the matching Python exception.
pub fn to_pyerr(e: Error) -> PyErr {
    match e {
        Error::InvalidArgument { .. } => PyValueError::new_err(e.to_string()),
        Error::Cancelled => PyKeyboardInterrupt::new_err("regions: computation cancelled"),
        Error::LimitExceeded { .. } => LimitExceededError::new_err(e.to_string()),
    }
}
