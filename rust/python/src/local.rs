//! Bindings of `regions_core::local`: distances to the region boundary and boundary
//! counts within a radius.

use numpy::{PyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use regions_core::local;

use crate::errors::{value_error, Result};
use crate::network::{slice, CoreNetwork};
use crate::run::run;

/// Per point: the distance to the boundary of its activation region, the nearest
/// boundary's hidden unit (-1: none, distance inf) and the number of units whose
/// boundary is within the radius (zeros without a radius).
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct Margins {
    pub distance: Py<PyArray1<f64>>,
    pub unit: Py<PyArray1<i64>>,
    pub within: Py<PyArray1<u64>>,
}

/// [`Margins`] of the rows of `x`.
#[pyfunction]
#[pyo3(signature = (net, x, radius=None, n_threads=None, progress=None))]
pub fn local_margins<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    x: PyReadonlyArray2<'py, f64>,
    radius: Option<f64>,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Margins> {
    let s = x.shape();
    if s[1] != net.inner.input_dim() {
        return Err(value_error(format!(
            "X: expected shape (N, {}), got ({}, {})",
            net.inner.input_dim(),
            s[0],
            s[1]
        )));
    }
    let n = s[0];
    let xs = slice(&x, "X")?;
    let m = run(py, n_threads, progress.as_ref(), |c| {
        local::margins(&net.inner, xs, n, radius, c)
    })?;
    Ok(Margins {
        distance: PyArray1::from_vec(py, m.distance).unbind(),
        unit: PyArray1::from_vec(py, m.unit).unbind(),
        within: PyArray1::from_vec(py, m.within).unbind(),
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> Result<()> {
    m.add_class::<Margins>()?;
    m.add_function(wrap_pyfunction!(local_margins, m)?)?;
    Ok(())
}
