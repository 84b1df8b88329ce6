//! Bindings of `regions_core::maxpool`: exact vertex and face counts of max-pooling.

use num_bigint::{BigInt, BigUint};
use numpy::ndarray::Array2;
use numpy::PyArray2;
use pyo3::prelude::*;
use regions_core::maxpool;

use crate::errors::Result;
use crate::run::run;

/// Vertices of Σ Δ_{W_j} by the frontier DP (order: None = automatic).
#[pyfunction]
#[pyo3(signature = (windows, n, order=None, max_states=usize::MAX, n_threads=None, progress=None))]
pub fn maxpool_count_vertices(
    py: Python<'_>,
    windows: Vec<Vec<usize>>,
    n: usize,
    order: Option<Vec<usize>>,
    max_states: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<BigUint> {
    let f = maxpool::compact(&windows, n)?;
    let order = order.unwrap_or_else(|| maxpool::auto_order(&f.windows, f.n));
    run(py, n_threads, progress.as_ref(), |c| {
        maxpool::count_vertices_exact(&f.windows, f.n, &order, max_states, c)
    })
}

/// A window order for the frontier DP and the frontier width it needs.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct WindowOrder {
    pub order: Vec<usize>,
    pub width: usize,
}

/// The automatic window order and the DP width it needs.
/// Check a window family over inputs `0..n` (the one rule set: non-empty windows,
/// indices in range, no repeated index); `ValueError` naming the window at fault.
#[pyfunction]
pub fn maxpool_validate(windows: Vec<Vec<usize>>, n: usize) -> Result<()> {
    Ok(maxpool::validate(&windows, n)?)
}

#[pyfunction]
pub fn maxpool_auto_order(windows: Vec<Vec<usize>>, n: usize) -> Result<WindowOrder> {
    let f = maxpool::compact(&windows, n)?;
    let order = maxpool::auto_order(&f.windows, f.n);
    let width = maxpool::frontier_width(&f.windows, f.n, &order);
    Ok(WindowOrder { order, width })
}

/// The 1D generating function `Σ_m N(m) z^m = numerator(z) / denominator(z)`, as
/// coefficient lists (constant term first).
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct GeneratingFunction {
    pub numerator: Vec<BigInt>,
    pub denominator: Vec<BigInt>,
}

/// Vertices of 1D pooling (n inputs, window k, stride s).
#[pyfunction]
#[pyo3(signature = (n, k, stride, n_threads=None, progress=None))]
pub fn maxpool_count_vertices_1d(
    py: Python<'_>,
    n: usize,
    k: usize,
    stride: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<BigUint> {
    run(py, n_threads, progress.as_ref(), |c| {
        maxpool::count_vertices_1d(n, k, stride, c)
    })
}

/// Vertices of 2D pooling on a grid (padding "valid").
#[pyfunction]
#[pyo3(signature = (shape, window, stride, max_states=usize::MAX, n_threads=None, progress=None))]
pub fn maxpool_count_vertices_2d(
    py: Python<'_>,
    shape: (usize, usize),
    window: (usize, usize),
    stride: (usize, usize),
    max_states: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<BigUint> {
    run(py, n_threads, progress.as_ref(), |c| {
        maxpool::count_vertices_2d(shape, window, stride, max_states, c)
    })
}

/// Windows of a 2D pooling, row-major.
#[pyfunction]
pub fn maxpool_windows_2d(
    shape: (usize, usize),
    window: (usize, usize),
    stride: (usize, usize),
) -> Result<Vec<Vec<usize>>> {
    Ok(maxpool::windows_2d(shape, window, stride)?)
}

/// (numerator, denominator) coefficients of the 1D generating function.
#[pyfunction]
#[pyo3(signature = (k, stride, n_threads=None, progress=None))]
pub fn maxpool_generating_function_1d(
    py: Python<'_>,
    k: usize,
    stride: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<GeneratingFunction> {
    let (numerator, denominator) = run(py, n_threads, progress.as_ref(), |c| {
        maxpool::generating_function_1d(k, stride, c)
    })?;
    Ok(GeneratingFunction {
        numerator,
        denominator,
    })
}

/// Coefficients a_1..a_r of the 1D recurrence.
#[pyfunction]
#[pyo3(signature = (k, stride, n_threads=None, progress=None))]
pub fn maxpool_recurrence_1d(
    py: Python<'_>,
    k: usize,
    stride: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<Vec<BigInt>> {
    run(py, n_threads, progress.as_ref(), |c| {
        maxpool::recurrence_1d(k, stride, c)
    })
}

/// Every vertex as a winner tuple, shape (count, m).
#[pyfunction]
#[pyo3(signature = (windows, n, limit, n_threads=None, progress=None))]
pub fn maxpool_vertices<'py>(
    py: Python<'py>,
    windows: Vec<Vec<usize>>,
    n: usize,
    limit: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyArray2<i64>>> {
    let m = windows.len();
    let v = run(py, n_threads, progress.as_ref(), |c| {
        let f = maxpool::compact(&windows, n)?;
        let v = maxpool::vertices(&f.windows, f.n, limit, c)?;
        Ok((v, f.labels))
    })?;
    let (v, labels) = v;
    let rows = v.len().checked_div(m).unwrap_or(0);
    // In place (usize and i64 have the same size): no second buffer.
    let flat: Vec<i64> = v.into_iter().map(|e| labels[e] as i64).collect();
    Ok(PyArray2::from_owned_array(
        py,
        Array2::from_shape_vec((rows, m), flat).expect("shape"),
    ))
}

/// f-vector (f_0..f_d) of the Minkowski sum.
#[pyfunction]
#[pyo3(signature = (windows, n, max_faces, n_threads=None, progress=None))]
pub fn maxpool_f_vector(
    py: Python<'_>,
    windows: Vec<Vec<usize>>,
    n: usize,
    max_faces: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<Vec<u64>> {
    run(py, n_threads, progress.as_ref(), |c| {
        let f = maxpool::compact(&windows, n)?;
        maxpool::f_vector(&f.windows, f.n, max_faces, c)
    })
}

/// Dimension of Σ Δ_{W_j}.
#[pyfunction]
pub fn maxpool_minkowski_dim(windows: Vec<Vec<usize>>, n: usize) -> Result<usize> {
    let f = maxpool::compact(&windows, n)?;
    Ok(maxpool::minkowski_dim(&f.windows, f.n))
}

pub fn register(m: &Bound<'_, PyModule>) -> Result<()> {
    m.add_class::<WindowOrder>()?;
    m.add_class::<GeneratingFunction>()?;
    m.add_function(wrap_pyfunction!(maxpool_count_vertices, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_auto_order, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_validate, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_count_vertices_1d, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_count_vertices_2d, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_windows_2d, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_generating_function_1d, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_recurrence_1d, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_vertices, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_f_vector, m)?)?;
    m.add_function(wrap_pyfunction!(maxpool_minkowski_dim, m)?)?;
    Ok(())
}
