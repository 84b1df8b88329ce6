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

use regions_core::Control;

use crate::errors::{value_error, Result};
use crate::network::{slice, CoreNetwork};
use crate::run::{run, run_limited, TimeLimit};

/// What every region result carries: per region its packed pattern and its affine
/// map on the cell's coordinates (`out_a` the offsets, `out_b` the linear parts).
struct Common {
    patterns: Py<PyArray2<u64>>,
    out_a: Py<PyArray2<f64>>,
    out_b: Py<PyArray3<f64>>,
}

fn common<C>(py: Python<'_>, net: &CoreNetwork, regs: &[SliceRegion<C>], k: usize) -> Common {
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
    Common {
        patterns: array2(py, pats, r, w),
        out_a: array2(py, oa, r, m),
        out_b: PyArray3::from_owned_array(
            py,
            Array3::from_shape_vec((r, m, k), ob).expect("shape"),
        )
        .unbind(),
    }
}

fn array2<T: numpy::Element>(
    py: Python<'_>,
    v: Vec<T>,
    rows: usize,
    cols: usize,
) -> Py<PyArray2<T>> {
    PyArray2::from_owned_array(py, Array2::from_shape_vec((rows, cols), v).expect("shape")).unbind()
}

/// How signs are decided: exact (filtered floats, redone exactly when undecided;
/// `tol = None` or `0`), exact rational arithmetic throughout (`rational`), or the
/// user's explicit tolerance.
fn options(max_regions: u64, count_only: bool, tol: Option<f64>, rational: bool) -> Options {
    let mode = match tol {
        _ if rational => Mode::Rational,
        None => Mode::Exact,
        Some(0.0) => Mode::Exact,
        Some(t) => Mode::Tol(t),
    };
    Options {
        max_regions,
        count_only,
        mode,
        ..Options::default()
    }
}

/// The time limit of a region walk (`max_seconds`, counting regions).
fn limit(max_seconds: Option<f64>) -> TimeLimit<'static> {
    max_seconds.map(|s| (s, "regions"))
}

/// How a region walk decided its signs: `steps` cell-layer steps, of which
/// `exact_steps` were redone in exact arithmetic.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct WalkStats {
    pub steps: u64,
    pub exact_steps: u64,
}

#[pymethods]
impl WalkStats {
    fn __repr__(&self) -> String {
        format!(
            "WalkStats(steps={}, exact_steps={})",
            self.steps, self.exact_steps
        )
    }
}

impl From<Stats> for WalkStats {
    fn from(s: Stats) -> Self {
        WalkStats {
            steps: s.steps,
            exact_steps: s.exact_steps,
        }
    }
}

/// Regions on a segment: `intervals` `(R, 2)` of `t`, patterns `(R, words)`, maps
/// `out_a` `(R, m)`, `out_b` `(R, m, 1)`; arrays empty with `count_only`.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct SegmentRegions {
    pub count: u64,
    pub intervals: Py<PyArray2<f64>>,
    pub patterns: Py<PyArray2<u64>>,
    pub out_a: Py<PyArray2<f64>>,
    pub out_b: Py<PyArray3<f64>>,
    pub stats: Py<WalkStats>,
}

/// Regions on a 2D slice: `polygons` (one `(k, 2)` array of `(u, v)` vertices per
/// region), patterns, maps `out_a` `(R, m)`, `out_b` `(R, m, 2)`.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct PlaneRegions {
    pub count: u64,
    pub polygons: Vec<Py<PyArray2<f64>>>,
    pub patterns: Py<PyArray2<u64>>,
    pub out_a: Py<PyArray2<f64>>,
    pub out_b: Py<PyArray3<f64>>,
    pub stats: Py<WalkStats>,
}

/// Regions in a full-dimensional domain: the vertices of all regions stacked
/// `(V, d)`, `offsets` `(R + 1,)` (region `i` has rows `offsets[i]..offsets[i+1]`),
/// `interior` points `(R, d)`, patterns, maps `out_a` `(R, m)`, `out_b` `(R, m, d)`,
/// `volumes` `(R,)` for `d >= 3` (empty otherwise).
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct DomainRegions {
    pub count: u64,
    pub vertices: Py<PyArray2<f64>>,
    pub offsets: Py<PyArray1<u64>>,
    pub interior: Py<PyArray2<f64>>,
    pub patterns: Py<PyArray2<u64>>,
    pub out_a: Py<PyArray2<f64>>,
    pub out_b: Py<PyArray3<f64>>,
    pub volumes: Py<PyArray1<f64>>,
    pub stats: Py<WalkStats>,
}

/// Regions on the segment p + t (q - p), t in [0, 1].
#[pyfunction]
#[pyo3(signature = (net, p, q, max_regions, count_only=false, tol=None, rational=false, n_threads=None, progress=None, max_seconds=None))]
#[allow(clippy::too_many_arguments)]
pub fn regions_on_segment<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    p: PyReadonlyArray1<'py, f64>,
    q: PyReadonlyArray1<'py, f64>,
    max_regions: u64,
    count_only: bool,
    tol: Option<f64>,
    rational: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    max_seconds: Option<f64>,
) -> Result<SegmentRegions> {
    let (ps, qs) = (slice(&p, "p")?, slice(&q, "q")?);
    if ps.len() != qs.len() {
        return Err(value_error(format!(
            "p, q: expected two points of the same dimension, got {} and {}",
            ps.len(),
            qs.len()
        )));
    }
    let sl = Slice::through(ps, qs);
    let opts = options(max_regions, count_only, tol, rational);
    let out = run_limited(py, n_threads, progress.as_ref(), limit(max_seconds), |c| {
        regions_in(&net.inner, &sl, Interval::new(0.0, 1.0), opts, c)
    })?;
    let regs = &out.regions;
    let iv: Vec<f64> = regs.iter().flat_map(|g| g.cell.t).collect();
    let c = common(py, net, regs, 1);
    Ok(SegmentRegions {
        count: out.count,
        intervals: array2(py, iv, regs.len(), 2),
        patterns: c.patterns,
        out_a: c.out_a,
        out_b: c.out_b,
        stats: Py::new(py, WalkStats::from(out.stats))?,
    })
}

/// Regions on the plane origin + u e1 + v e2 inside a convex polygon of the (u, v)
/// plane (vertices counter-clockwise). With `through`, e1 and e2 are the points x1,
/// x2 of the plane x0 + u (x1 - x0) + v (x2 - x0), kept exactly.
#[pyfunction]
#[pyo3(signature = (net, origin, e1, e2, domain, max_regions, count_only=false, tol=None, rational=false, through=false, n_threads=None, progress=None, max_seconds=None))]
#[allow(clippy::too_many_arguments)]
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
    rational: bool,
    through: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    max_seconds: Option<f64>,
) -> Result<PlaneRegions> {
    let o = slice(&origin, "origin")?;
    let mut dirs = slice(&e1, "e1")?.to_vec();
    dirs.extend_from_slice(slice(&e2, "e2")?);
    let sl = if through {
        Slice::through(o, &dirs)
    } else {
        Slice::new(o, &dirs)
    };
    let opts = options(max_regions, count_only, tol, rational);
    let domain = Polygon::checked(domain)?;
    let out = run_limited(py, n_threads, progress.as_ref(), limit(max_seconds), |c| {
        regions_in(&net.inner, &sl, domain, opts, c)
    })?;
    let regs = &out.regions;
    let polygons = regs
        .iter()
        .map(|g| {
            let flat: Vec<f64> = g.cell.pts.iter().flat_map(|v| [v[0], v[1]]).collect();
            array2(py, flat, g.cell.pts.len(), 2)
        })
        .collect();
    let c = common(py, net, regs, 2);
    Ok(PlaneRegions {
        count: out.count,
        polygons,
        patterns: c.patterns,
        out_a: c.out_a,
        out_b: c.out_b,
        stats: Py::new(py, WalkStats::from(out.stats))?,
    })
}

/// Regions of the network in the box [lo, hi].
#[pyfunction]
#[pyo3(signature = (net, lo, hi, max_regions, count_only=false, tol=None, rational=false, n_threads=None, progress=None, max_seconds=None))]
#[allow(clippy::too_many_arguments)]
pub fn regions_in_box<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    lo: PyReadonlyArray1<'py, f64>,
    hi: PyReadonlyArray1<'py, f64>,
    max_regions: u64,
    count_only: bool,
    tol: Option<f64>,
    rational: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    max_seconds: Option<f64>,
) -> Result<DomainRegions> {
    let (lo, hi) = (slice(&lo, "lo")?, slice(&hi, "hi")?);
    let opts = options(max_regions, count_only, tol, rational);
    if count_only {
        // Counts above d = 6 walk the box in halfspace form (any dimension).
        let n = &net.inner;
        let out = run_limited(py, n_threads, progress.as_ref(), limit(max_seconds), |c| {
            regions_core::regions::box_count(n, lo, hi, opts, c)
        })?;
        return domain_result(py, net, out, Vec::new());
    }
    domain_regions(
        py,
        net,
        |_| VPolytope::boxed(lo, hi),
        opts,
        n_threads,
        progress,
        max_seconds,
    )
}

/// Regions of the network in the bounded polytope {x : a x <= b}.
#[pyfunction]
#[pyo3(signature = (net, a, b, max_regions, count_only=false, tol=None, rational=false, n_threads=None, progress=None, max_seconds=None))]
#[allow(clippy::too_many_arguments)]
pub fn regions_in_polytope<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    max_regions: u64,
    count_only: bool,
    tol: Option<f64>,
    rational: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    max_seconds: Option<f64>,
) -> Result<DomainRegions> {
    let (d, a, b) = (a.shape()[1], slice(&a, "A")?, slice(&b, "b")?);
    let opts = options(max_regions, count_only, tol, rational);
    let make = |c: &Control| VPolytope::from_halfspaces(a, b, d, c);
    domain_regions(py, net, make, opts, n_threads, progress, max_seconds)
}

/// The regions in the domain that `make` builds (on the pool, so that building a
/// polytope of many inequalities releases the GIL and honours Ctrl-C too).
#[allow(clippy::too_many_arguments)]
fn domain_regions(
    py: Python<'_>,
    net: &CoreNetwork,
    make: impl FnOnce(&Control) -> regions_core::Result<VPolytope> + Send,
    opts: Options,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
    max_seconds: Option<f64>,
) -> Result<DomainRegions> {
    let d = net.inner.input_dim();
    // Volumes from the cells' vertices and facets, on the pool (d >= 3; 2D regions are
    // polygons whose areas Python takes by the shoelace formula).
    let (out, vols) = run_limited(py, n_threads, progress.as_ref(), limit(max_seconds), |c| {
        let out = core_regions::domain_regions(&net.inner, make(c)?, opts, c)?;
        let vols: Vec<f64> = if d >= 3 {
            use rayon::prelude::*;
            out.regions.par_iter().map(|g| g.cell.volume()).collect()
        } else {
            Vec::new()
        };
        Ok((out, vols))
    })?;
    domain_result(py, net, out, vols)
}

/// The Python result of a domain walk (`vols`: the regions' volumes, or empty).
fn domain_result(
    py: Python<'_>,
    net: &CoreNetwork,
    out: core_regions::Outcome<VPolytope>,
    vols: Vec<f64>,
) -> Result<DomainRegions> {
    let d = net.inner.input_dim();
    let regs = &out.regions;
    let mut offsets = Vec::with_capacity(regs.len() + 1);
    offsets.push(0u64);
    let mut flat = Vec::new();
    for g in regs {
        flat.extend_from_slice(g.cell.coords());
        offsets.push((flat.len() / d) as u64);
    }
    let n_vertices = flat.len() / d;
    let inner: Vec<f64> = regs.iter().flat_map(|g| g.cell.interior()).collect();
    let c = common(py, net, regs, d);
    Ok(DomainRegions {
        count: out.count,
        vertices: array2(py, flat, n_vertices, d),
        offsets: PyArray1::from_vec(py, offsets).unbind(),
        interior: array2(py, inner, regs.len(), d),
        patterns: c.patterns,
        out_a: c.out_a,
        out_b: c.out_b,
        volumes: PyArray1::from_vec(py, vols).unbind(),
        stats: Py::new(py, WalkStats::from(out.stats))?,
    })
}

/// Regions of all of `R^d`: per region a point inside (`interior` `(R, d)`), patterns,
/// the output maps on the input (`out_a` `(R, m)`, `out_b` `(R, m, d)`) and generators:
/// the region is `conv(points) + cone(rays)`, region `i` owning rows
/// `point_offsets[i]..point_offsets[i+1]` of `points` `(P, d)` and likewise of `rays`;
/// arrays empty with `count_only`.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct SpaceRegions {
    pub count: u64,
    pub interior: Py<PyArray2<f64>>,
    pub patterns: Py<PyArray2<u64>>,
    pub out_a: Py<PyArray2<f64>>,
    pub out_b: Py<PyArray3<f64>>,
    pub points: Py<PyArray2<f64>>,
    pub point_offsets: Py<PyArray1<u64>>,
    pub rays: Py<PyArray2<f64>>,
    pub ray_offsets: Py<PyArray1<u64>>,
    pub stats: Py<WalkStats>,
}

/// Regions of the network on all of its input space.
#[pyfunction]
#[pyo3(signature = (net, max_regions, count_only=false, tol=None, rational=false, n_threads=None, progress=None, max_seconds=None))]
#[allow(clippy::too_many_arguments)]
pub fn regions_in_space<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    max_regions: u64,
    count_only: bool,
    tol: Option<f64>,
    rational: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    max_seconds: Option<f64>,
) -> Result<SpaceRegions> {
    let opts = options(max_regions, count_only, tol, rational);
    let n = &net.inner;
    let out = run_limited(py, n_threads, progress.as_ref(), limit(max_seconds), |c| {
        core_regions::space::space_regions(n, opts, c)
    })?;
    let (d, m, w) = (n.input_dim(), n.output_dim(), n.n_words());
    let regs = &out.regions;
    let r = regs.len();
    let stack = |part: fn(&core_regions::space::SpaceRegion) -> &Vec<f64>| {
        let mut offsets = vec![0u64];
        let mut flat = Vec::new();
        for g in regs {
            flat.extend_from_slice(part(g));
            offsets.push((flat.len() / d.max(1)) as u64);
        }
        let rows = flat.len() / d.max(1);
        (
            array2(py, flat, rows, d),
            PyArray1::from_vec(py, offsets).unbind(),
        )
    };
    let (points, point_offsets) = stack(|g| &g.points);
    let (rays, ray_offsets) = stack(|g| &g.rays);
    let cat = |part: fn(&core_regions::space::SpaceRegion) -> &Vec<f64>| -> Vec<f64> {
        regs.iter().flat_map(|g| part(g).iter().copied()).collect()
    };
    let pats: Vec<u64> = regs
        .iter()
        .flat_map(|g| g.pattern.iter().copied())
        .collect();
    Ok(SpaceRegions {
        count: out.count,
        interior: array2(py, cat(|g| &g.interior), r, d),
        patterns: array2(py, pats, r, w),
        out_a: array2(py, cat(|g| &g.out_a), r, m),
        out_b: PyArray3::from_owned_array(
            py,
            Array3::from_shape_vec((r, m, d), cat(|g| &g.out_b)).expect("shape"),
        )
        .unbind(),
        points,
        point_offsets,
        rays,
        ray_offsets,
        stats: Py::new(py, WalkStats::from(out.stats))?,
    })
}

/// For each row x of `x`, the number of regions meeting the box [x - r, x + r].
#[pyfunction]
#[pyo3(signature = (net, x, radius, max_regions, tol=None, rational=false, n_threads=None, progress=None, method="auto"))]
#[allow(clippy::too_many_arguments)]
pub fn local_region_counts<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    x: PyReadonlyArray2<'py, f64>,
    radius: f64,
    max_regions: u64,
    tol: Option<f64>,
    rational: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    method: &str,
) -> Result<Bound<'py, PyArray1<u64>>> {
    let xs = slice(&x, "X")?;
    let opts = options(max_regions, true, tol, rational);
    let method = match method {
        "auto" => core_regions::LocalMethod::Auto,
        "vertices" => core_regions::LocalMethod::Vertices,
        "halfspaces" => core_regions::LocalMethod::Halfspaces,
        other => {
            return Err(value_error(format!(
                "method: expected 'auto', 'vertices' or 'halfspaces', got {other:?}"
            )))
        }
    };
    let counts = run(py, n_threads, progress.as_ref(), |c| {
        core_regions::local_counts(&net.inner, xs, radius, opts, method, c)
    })?;
    Ok(PyArray1::from_vec(py, counts))
}

/// Connected components of the graph on `0..n` with edges `pairs` (`m × 2`), labelled
/// in order of each component's first vertex.
#[pyfunction]
pub fn components<'py>(
    py: Python<'py>,
    n: usize,
    pairs: PyReadonlyArray2<'py, i64>,
) -> Result<Bound<'py, PyArray1<i64>>> {
    if pairs.shape()[1] != 2 {
        return Err(value_error(format!(
            "pairs: expected an m x 2 array, got shape {:?}",
            pairs.shape()
        )));
    }
    let p = slice(&pairs, "pairs")?;
    Ok(PyArray1::from_vec(
        py,
        regions_core::unionfind::components(n, p)?,
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> Result<()> {
    m.add_class::<WalkStats>()?;
    m.add_class::<SegmentRegions>()?;
    m.add_class::<PlaneRegions>()?;
    m.add_class::<DomainRegions>()?;
    m.add_class::<SpaceRegions>()?;
    m.add_function(wrap_pyfunction!(regions_on_segment, m)?)?;
    m.add_function(wrap_pyfunction!(regions_on_plane, m)?)?;
    m.add_function(wrap_pyfunction!(regions_in_box, m)?)?;
    m.add_function(wrap_pyfunction!(regions_in_polytope, m)?)?;
    m.add_function(wrap_pyfunction!(regions_in_space, m)?)?;
    m.add_function(wrap_pyfunction!(local_region_counts, m)?)?;
    m.add_function(wrap_pyfunction!(components, m)?)?;
    Ok(())
}
