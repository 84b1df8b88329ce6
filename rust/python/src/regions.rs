//! Bindings of `regions_core::regions`: exact regions on segments and 2D slices.

use numpy::ndarray::{Array2, Array3};
use numpy::{PyArray2, PyArray3, PyReadonlyArray1};
use pyo3::prelude::*;
use regions_core::regions::{slice_regions, Interval, Polygon, SliceRegion};

use crate::network::{slice, CoreNetwork};
use crate::run::run;

type Arrays<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f64>>);

fn common<'py, C>(py: Python<'py>, net: &CoreNetwork, regs: &[SliceRegion<C>], k: usize) -> (Arrays<'py>, Bound<'py, PyArray3<f64>>) {
    let (r, w, m) = (regs.len(), net.inner.n_words(), net.inner.output_dim());
    let pats: Vec<u64> = regs.iter().flat_map(|g| g.pattern.iter().copied()).collect();
    let oa: Vec<f64> = regs.iter().flat_map(|g| g.output.a.iter().copied()).collect();
    let ob: Vec<f64> = regs.iter().flat_map(|g| g.output.b.iter().copied()).collect();
    (
        (
            PyArray2::from_owned_array(py, Array2::from_shape_vec((r, w), pats).expect("shape")),
            PyArray2::from_owned_array(py, Array2::from_shape_vec((r, m), oa).expect("shape")),
        ),
        PyArray3::from_owned_array(py, Array3::from_shape_vec((r, m, k), ob).expect("shape")),
    )
}

/// Regions on the segment p + t (q - p): (intervals (R, 2), patterns, out_a, out_b).
#[pyfunction]
#[pyo3(signature = (net, p, q, max_regions, n_threads=None, progress=None))]
#[allow(clippy::type_complexity)]
pub fn regions_on_segment<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    p: PyReadonlyArray1<'py, f64>,
    q: PyReadonlyArray1<'py, f64>,
    max_regions: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray3<f64>>)> {
    let (ps, qs) = (slice(&p, "p")?, slice(&q, "q")?);
    let dir: Vec<f64> = qs.iter().zip(ps).map(|(a, b)| a - b).collect();
    let regs = run(py, n_threads, progress.as_ref(), |c| slice_regions(&net.inner, ps, &dir, Interval(0.0, 1.0), max_regions, c))?;
    let iv: Vec<f64> = regs.iter().flat_map(|g| [g.cell.0, g.cell.1]).collect();
    let ((pats, oa), ob) = common(py, net, &regs, 1);
    Ok((PyArray2::from_owned_array(py, Array2::from_shape_vec((regs.len(), 2), iv).expect("shape")), pats, oa, ob))
}

/// Regions on the plane origin + u e1 + v e2 inside a convex polygon of the (u, v)
/// plane (vertices counter-clockwise): (polygons, patterns, out_a, out_b).
#[pyfunction]
#[pyo3(signature = (net, origin, e1, e2, domain, max_regions, n_threads=None, progress=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn regions_on_plane<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    origin: PyReadonlyArray1<'py, f64>,
    e1: PyReadonlyArray1<'py, f64>,
    e2: PyReadonlyArray1<'py, f64>,
    domain: Vec<[f64; 2]>,
    max_regions: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(Vec<Bound<'py, PyArray2<f64>>>, Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray3<f64>>)> {
    let o = slice(&origin, "origin")?;
    let mut dirs = slice(&e1, "e1")?.to_vec();
    dirs.extend_from_slice(slice(&e2, "e2")?);
    let regs = run(py, n_threads, progress.as_ref(), |c| slice_regions(&net.inner, o, &dirs, Polygon(domain), max_regions, c))?;
    let polys = regs
        .iter()
        .map(|g| {
            let flat: Vec<f64> = g.cell.0.iter().flat_map(|v| [v[0], v[1]]).collect();
            PyArray2::from_owned_array(py, Array2::from_shape_vec((g.cell.0.len(), 2), flat).expect("shape"))
        })
        .collect();
    let ((pats, oa), ob) = common(py, net, &regs, 2);
    Ok((polys, pats, oa, ob))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(regions_on_segment, m)?)?;
    m.add_function(wrap_pyfunction!(regions_on_plane, m)?)?;
    Ok(())
}
