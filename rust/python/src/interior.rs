//! Bindings of `regions_core::regions::interior`: certified interior points of regions
//! and exact rational ones where no float candidate is strictly inside.

use num_bigint::BigInt;
use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use rayon::prelude::*;
use regions_core::control::Control;
use regions_core::regions::adjacency::{adjacency, cell_adjacency, space_adjacency};
use regions_core::regions::cells::incidence::Incidence;
use regions_core::regions::exact::{ExactNet, ExactPolytope};
use regions_core::regions::interior::{certify, exact_point};
use regions_core::regions::{Cell, Polygon, Slice, VPolytope};
use regions_core::Result as CoreResult;

use crate::errors::{value_error, Result};
use crate::network::{slice, CoreNetwork};
use crate::run::run;

/// For each row of `x` and of `patterns`, whether the point lies strictly inside the
/// region of the pattern (exact; see `regions_core::regions::interior`).
#[pyfunction]
#[pyo3(signature = (net, x, patterns, n_threads=None))]
pub fn certify_interior<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    x: PyReadonlyArray2<'py, f64>,
    patterns: PyReadonlyArray2<'py, u64>,
    n_threads: Option<usize>,
) -> Result<Bound<'py, PyArray1<bool>>> {
    let n = &net.inner;
    let (d, w) = (n.input_dim(), n.n_words());
    if x.shape()[1] != d || patterns.shape()[1] != w || x.shape()[0] != patterns.shape()[0] {
        return Err(value_error(format!(
            "x, patterns: expected (R, {d}) points and (R, {w}) packed patterns, got {:?} and {:?}",
            x.shape(),
            patterns.shape()
        )));
    }
    let (xs, ps) = (slice(&x, "x")?, slice(&patterns, "patterns")?);
    let out = run(py, n_threads, None, |c| {
        let exact = std::sync::OnceLock::new();
        let v: Vec<bool> = xs
            .par_chunks(d.max(1))
            .zip(ps.par_chunks(w))
            .map(|(p, pat)| certify(n, exact.get_or_init(|| ExactNet::new(n)), p, pat))
            .collect();
        c.check()?;
        Ok(v)
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// A rational point strictly inside the region of `pattern`, in input coordinates, as
/// `(numerators, denominator)`, or `None`. The cell: `kind` `"box"` (`a` one row: lo,
/// `b`: hi), `"polytope"` (`a x <= b`) or `"polygon"` (`a`: corners, counter-clockwise)
/// of the slice `origin + s @ dirs` (`through`: `dirs` are the end points, kept exact).
#[pyfunction]
#[pyo3(signature = (net, pattern, kind, origin, dirs, a, b, through=false))]
#[allow(clippy::too_many_arguments)]
pub fn exact_interior_point<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    pattern: PyReadonlyArray1<'py, u64>,
    kind: &str,
    origin: PyReadonlyArray1<'py, f64>,
    dirs: PyReadonlyArray2<'py, f64>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    through: bool,
) -> Result<Option<(Vec<BigInt>, BigInt)>> {
    let n = &net.inner;
    let pat = slice(&pattern, "pattern")?;
    let spec = Spec::new(
        n,
        pat.len() == n.n_words(),
        "pattern",
        &origin,
        &dirs,
        &a,
        &b,
        through,
    )?;
    let out = run(py, None, None, |c| {
        let domain = spec.domain(kind, c)?;
        Ok(exact_point(n, &ExactNet::new(n), &spec.slice, domain, pat))
    })?;
    Ok(out)
}

/// A cell spec of the exact bindings: the slice `origin + s @ dirs` and the domain's
/// arrays, checked against the network.
struct Spec<'a> {
    slice: Slice,
    k: usize,
    a: &'a [f64],
    b: &'a [f64],
}

impl<'a> Spec<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        n: &regions_core::network::Network,
        patterns_ok: bool,
        what: &str,
        origin: &'a PyReadonlyArray1<'_, f64>,
        dirs: &'a PyReadonlyArray2<'_, f64>,
        a: &'a PyReadonlyArray2<'_, f64>,
        b: &'a PyReadonlyArray1<'_, f64>,
        through: bool,
    ) -> Result<Self> {
        let (o, dv) = (slice(origin, "origin")?, slice(dirs, "dirs")?);
        if !patterns_ok || o.len() != n.input_dim() || dirs.shape()[1] != n.input_dim() {
            return Err(value_error(format!(
                "{what}, origin, dirs: shapes do not match the network"
            )));
        }
        Ok(Spec {
            slice: exact_slice(o, dv, through),
            k: dirs.shape()[0],
            a: slice(a, "a")?,
            b: slice(b, "b")?,
        })
    }

    fn domain(&self, kind: &str, c: &Control) -> CoreResult<ExactPolytope> {
        exact_domain(kind, self.a, self.b, self.k, c)
    }
}

/// The exact cell of a domain spec (see [`exact_interior_point`]).
fn exact_domain(
    kind: &str,
    a: &[f64],
    b: &[f64],
    k: usize,
    c: &Control,
) -> CoreResult<ExactPolytope> {
    Ok(match kind {
        "box" => VPolytope::boxed(a, b)?.to_exact(),
        "polytope" => VPolytope::from_halfspaces(a, b, k, c)?.to_exact(),
        "polygon" => ExactPolytope::from_f64(2, a, Incidence::cycle(a.len() / 2)),
        other => {
            return Err(regions_core::Error::InvalidArgument {
                name: "kind".into(),
                message: format!("expected 'box', 'polytope' or 'polygon', got {other:?}"),
            })
        }
    })
}

/// The slice `origin + s @ dirs` (`through`: `dirs` are end points, kept exact).
fn exact_slice(o: &[f64], dirs: &[f64], through: bool) -> Slice {
    if through {
        Slice::through(o, dirs)
    } else {
        Slice::new(o, dirs)
    }
}

/// The pairs `(i, j)`, `i < j`, of regions (rows of `patterns`) whose closures share a
/// piece of dimension `k − 1` in the domain spec (see [`exact_interior_point`]), exact
/// (see `regions_core::regions::adjacency`), as an int64 `(E, 2)` array. `cells`: from
/// every region's exact cell only (`cell_adjacency`, the slower second exact path that
/// the tests compare with).
#[pyfunction]
#[pyo3(signature = (net, patterns, kind, origin, dirs, a, b, through=false, n_threads=None, cells=false))]
#[allow(clippy::too_many_arguments)]
pub fn exact_adjacency<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    patterns: PyReadonlyArray2<'py, u64>,
    kind: &str,
    origin: PyReadonlyArray1<'py, f64>,
    dirs: PyReadonlyArray2<'py, f64>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    through: bool,
    n_threads: Option<usize>,
    cells: bool,
) -> Result<Bound<'py, PyArray2<i64>>> {
    let n = &net.inner;
    let ps = slice(&patterns, "patterns")?;
    let ok = patterns.shape()[1] == n.n_words();
    let spec = Spec::new(n, ok, "patterns", &origin, &dirs, &a, &b, through)?;
    let pairs = run(py, n_threads, None, |c| {
        let exact = spec.domain(kind, c)?;
        let (sl, k) = (&spec.slice, spec.k);
        if cells {
            return cell_adjacency(n, sl, &exact, ps, c);
        }
        match kind {
            "polygon" => {
                let corners: Vec<[f64; 2]> = spec.a.chunks(2).map(|p| [p[0], p[1]]).collect();
                adjacency(n, sl, Polygon::checked(corners)?, &exact, ps, c)
            }
            "box" => adjacency(n, sl, VPolytope::boxed(spec.a, spec.b)?, &exact, ps, c),
            _ => {
                let cell = VPolytope::from_halfspaces(spec.a, spec.b, k, c)?;
                adjacency(n, sl, cell, &exact, ps, c)
            }
        }
    })?;
    pairs_array(py, &pairs)
}

/// The pairs `(i, j)`, `i < j`, of regions of all of `R^d` (rows of `patterns`, the
/// regions of `regions_in_space`) whose closures share a piece of dimension `d − 1`,
/// exact (see `regions_core::regions::adjacency::space_adjacency`), as int64 `(E, 2)`.
#[pyfunction]
#[pyo3(signature = (net, patterns, n_threads=None))]
pub fn exact_space_adjacency<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    patterns: PyReadonlyArray2<'py, u64>,
    n_threads: Option<usize>,
) -> Result<Bound<'py, PyArray2<i64>>> {
    let n = &net.inner;
    let ps = slice(&patterns, "patterns")?;
    if patterns.shape()[1] != n.n_words() {
        return Err(value_error(format!(
            "patterns: expected (R, {}) packed patterns, got {:?}",
            n.n_words(),
            patterns.shape()
        )));
    }
    let pairs = run(py, n_threads, None, |c| space_adjacency(n, ps, c))?;
    pairs_array(py, &pairs)
}

/// `(E, 2)` int64 of pairs.
fn pairs_array<'py>(
    py: Python<'py>,
    pairs: &[(usize, usize)],
) -> Result<Bound<'py, PyArray2<i64>>> {
    let flat: Vec<i64> = pairs
        .iter()
        .flat_map(|&(i, j)| [i as i64, j as i64])
        .collect();
    Ok(PyArray1::from_vec(py, flat).reshape([pairs.len(), 2])?)
}

pub fn register(m: &Bound<'_, PyModule>) -> Result<()> {
    m.add_function(wrap_pyfunction!(exact_space_adjacency, m)?)?;
    m.add_function(wrap_pyfunction!(certify_interior, m)?)?;
    m.add_function(wrap_pyfunction!(exact_interior_point, m)?)?;
    m.add_function(wrap_pyfunction!(exact_adjacency, m)?)?;
    Ok(())
}
