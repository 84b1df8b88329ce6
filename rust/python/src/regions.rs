//! Bindings of `regions_core::regions`: exact regions on segments, 2D slices and
//! full-dimensional polytopes, and local counts.

use numpy::ndarray::{Array2, Array3};
use numpy::{
    PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use regions_core::regions::{
    self as core_regions, regions_in, Cell, Interval, Mode, Options, Polygon, Slice, SliceRegion,
    Stats, VPolytope,
};

use crate::errors::to_pyerr;
use crate::network::{slice, CoreNetwork};
use crate::run::run;

type Arrays<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f64>>);

fn common<'py, C>(
    py: Python<'py>,
    net: &CoreNetwork,
    regs: &[SliceRegion<C>],
    k: usize,
) -> (Arrays<'py>, Bound<'py, PyArray3<f64>>) {
    let (r, w, m) = (regs.len(), net.inner.n_words(), net.inner.output_dim());
    let pats: Vec<u64> = regs
        .iter()
        .flat_map(|g| g.pattern.iter().copied())
        .collect();
    let oa: Vec<f64> = regs
        .iter()
        .flat_map(|g| g.output.a.iter().copied())
        .collect();
    let ob: Vec<f64> = regs
        .iter()
        .flat_map(|g| g.output.b.iter().copied())
        .collect();
    (
        (
            PyArray2::from_owned_array(py, Array2::from_shape_vec((r, w), pats).expect("shape")),
            PyArray2::from_owned_array(py, Array2::from_shape_vec((r, m), oa).expect("shape")),
        ),
        PyArray3::from_owned_array(py, Array3::from_shape_vec((r, m, k), ob).expect("shape")),
    )
}

/// `tol = None` or `0`: exact; otherwise the tolerance mode.
fn options(max_regions: u64, count_only: bool, tol: Option<f64>) -> Options {
    let mode = match tol {
        None => Mode::Exact,
        Some(t) if t == 0.0 => Mode::Exact,
        // A negative tol asks for exact arithmetic throughout (Python's exact="rational").
        Some(t) if t < 0.0 => Mode::Rational,
        Some(t) => Mode::Tol(t),
    };
    Options {
        max_regions,
        count_only,
        mode,
        ..Options::default()
    }
}

/// How a region walk decided its signs: `steps` cell-layer steps, of which
/// `exact_steps` were redone in exact arithmetic.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct WalkStats {
    pub steps: u64,
    pub exact_steps: u64,
}

impl From<Stats> for WalkStats {
    fn from(s: Stats) -> Self {
        WalkStats {
            steps: s.steps,
            exact_steps: s.exact_steps,
        }
    }
}

/// Regions on the segment p + t (q - p): (count, intervals (R, 2), patterns, out_a,
/// out_b); arrays are empty with count_only.
#[pyfunction]
#[pyo3(signature = (net, p, q, max_regions, count_only=false, tol=None, n_threads=None, progress=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn regions_on_segment<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    p: PyReadonlyArray1<'py, f64>,
    q: PyReadonlyArray1<'py, f64>,
    max_regions: u64,
    count_only: bool,
    tol: Option<f64>,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(
    u64,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<u64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray3<f64>>,
    WalkStats,
)> {
    let (ps, qs) = (slice(&p, "p")?, slice(&q, "q")?);
    if ps.len() != qs.len() {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "p, q: expected two points of the same dimension, got {} and {}",
            ps.len(),
            qs.len()
        )));
    }
    let sl = Slice::through(ps, qs);
    let opts = options(max_regions, count_only, tol);
    let out = run(py, n_threads, progress.as_ref(), |c| {
        regions_in(&net.inner, &sl, Interval::new(0.0, 1.0), opts, c)
    })?;
    let regs = &out.regions;
    let iv: Vec<f64> = regs.iter().flat_map(|g| g.cell.t).collect();
    let ((pats, oa), ob) = common(py, net, regs, 1);
    Ok((
        out.count,
        PyArray2::from_owned_array(
            py,
            Array2::from_shape_vec((regs.len(), 2), iv).expect("shape"),
        ),
        pats,
        oa,
        ob,
        out.stats.into(),
    ))
}

/// Regions on the plane origin + u e1 + v e2 inside a convex polygon of the (u, v)
/// plane (vertices counter-clockwise): (count, polygons, patterns, out_a, out_b).
#[pyfunction]
#[pyo3(signature = (net, origin, e1, e2, domain, max_regions, count_only=false, tol=None, through=false, n_threads=None, progress=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn regions_on_plane<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    origin: PyReadonlyArray1<'py, f64>,
    e1: PyReadonlyArray1<'py, f64>,
    e2: PyReadonlyArray1<'py, f64>,
    domain: Vec<[f64; 2]>,
    max_regions: u64,
    count_only: bool,
    tol: Option<f64>,
    through: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(
    u64,
    Vec<Bound<'py, PyArray2<f64>>>,
    Bound<'py, PyArray2<u64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray3<f64>>,
    WalkStats,
)> {
    let o = slice(&origin, "origin")?;
    let mut dirs = slice(&e1, "e1")?.to_vec();
    dirs.extend_from_slice(slice(&e2, "e2")?);
    // `through`: e1, e2 are the points x1, x2 of the plane x0 + u (x1 - x0) + v (x2 - x0).
    let sl = if through {
        Slice::through(o, &dirs)
    } else {
        Slice::new(o, &dirs)
    };
    let opts = options(max_regions, count_only, tol);
    let out = run(py, n_threads, progress.as_ref(), |c| {
        regions_in(&net.inner, &sl, Polygon::new(domain), opts, c)
    })?;
    let regs = &out.regions;
    let polys = regs
        .iter()
        .map(|g| {
            let flat: Vec<f64> = g.cell.pts.iter().flat_map(|v| [v[0], v[1]]).collect();
            PyArray2::from_owned_array(
                py,
                Array2::from_shape_vec((g.cell.pts.len(), 2), flat).expect("shape"),
            )
        })
        .collect();
    let ((pats, oa), ob) = common(py, net, regs, 2);
    Ok((out.count, polys, pats, oa, ob, out.stats.into()))
}

/// A full-dimensional domain: a box (lo, hi) or a polytope {x : A x <= b}.
fn domain(
    lo_or_a: &PyReadonlyArray2<'_, f64>,
    hi_or_b: &PyReadonlyArray1<'_, f64>,
    is_box: bool,
) -> PyResult<VPolytope> {
    let a = slice(lo_or_a, "domain")?;
    let b = slice(hi_or_b, "domain")?;
    if is_box {
        VPolytope::boxed(a, b)
    } else {
        VPolytope::from_halfspaces(a, b, lo_or_a.shape()[1])
    }
    .map_err(to_pyerr)
}

/// Regions of the network in a full-dimensional domain: a box (`a` is lo as a (1, d)
/// array, `b` is hi) or the polytope {x : a x <= b}. Returns (count, the vertices of all
/// regions stacked (V, d), offsets (R + 1): region i has rows offsets[i]..offsets[i+1],
/// interior points (R, d), patterns, out_a, out_b, volumes (R,) for d >= 3, stats);
/// arrays are empty with count_only.
#[pyfunction]
#[pyo3(signature = (net, a, b, is_box, max_regions, count_only=false, tol=None, n_threads=None, progress=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn regions_in_domain<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    is_box: bool,
    max_regions: u64,
    count_only: bool,
    tol: Option<f64>,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(
    u64,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<u64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray3<f64>>,
    Bound<'py, PyArray1<f64>>,
    WalkStats,
)> {
    let opts = options(max_regions, count_only, tol);
    let dom = domain(&a, &b, is_box)?;
    let d = net.inner.input_dim();
    // Volumes from the cells' vertices and facets, on the pool (d >= 3; 2D regions are
    // polygons whose areas Python takes by the shoelace formula).
    let (out, vols) = run(py, n_threads, progress.as_ref(), |c| {
        let out = core_regions::domain_regions(&net.inner, dom, opts, c)?;
        let vols: Vec<f64> = if d >= 3 {
            use rayon::prelude::*;
            out.regions.par_iter().map(|g| g.cell.volume()).collect()
        } else {
            Vec::new()
        };
        Ok((out, vols))
    })?;
    let (count, regs) = (out.count, &out.regions);
    let mut offsets = Vec::with_capacity(regs.len() + 1);
    offsets.push(0u64);
    let mut flat = Vec::new();
    for g in regs {
        flat.extend_from_slice(g.cell.coords());
        offsets.push((flat.len() / d) as u64);
    }
    let verts = PyArray2::from_owned_array(
        py,
        Array2::from_shape_vec((flat.len() / d, d), flat).expect("shape"),
    );
    let inner: Vec<f64> = regs.iter().flat_map(|g| g.cell.interior()).collect();
    let inner = PyArray2::from_owned_array(
        py,
        Array2::from_shape_vec((regs.len(), d), inner).expect("shape"),
    );
    let ((pats, oa), ob) = common(py, net, regs, d);
    Ok((
        count,
        verts,
        PyArray1::from_vec(py, offsets),
        inner,
        pats,
        oa,
        ob,
        PyArray1::from_vec(py, vols),
        out.stats.into(),
    ))
}

/// For each row x of `x`, the number of regions meeting the box [x - r, x + r].
#[pyfunction]
#[pyo3(signature = (net, x, radius, max_regions, tol=None, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn local_region_counts<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    x: PyReadonlyArray2<'py, f64>,
    radius: f64,
    max_regions: u64,
    tol: Option<f64>,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let xs = slice(&x, "X")?;
    let opts = options(max_regions, true, tol);
    let counts = run(py, n_threads, progress.as_ref(), |c| {
        core_regions::local_counts(&net.inner, xs, radius, opts, c)
    })?;
    Ok(PyArray1::from_vec(py, counts))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<WalkStats>()?;
    m.add_function(wrap_pyfunction!(regions_on_segment, m)?)?;
    m.add_function(wrap_pyfunction!(regions_on_plane, m)?)?;
    m.add_function(wrap_pyfunction!(regions_in_domain, m)?)?;
    m.add_function(wrap_pyfunction!(local_region_counts, m)?)?;
    Ok(())
}
