//! Bindings of `regions_core::regions::interior`: certified interior points of regions
//! and exact rational ones where no float candidate is strictly inside.

use num_bigint::BigInt;
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use rayon::prelude::*;
use regions_core::regions::cells::incidence::Incidence;
use regions_core::regions::exact::{ExactNet, ExactPolytope};
use regions_core::regions::interior::{certify, exact_point};
use regions_core::regions::{Cell, Slice, VPolytope};

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
    let k = dirs.shape()[0];
    let (pat, o, dv) = (
        slice(&pattern, "pattern")?,
        slice(&origin, "origin")?,
        slice(&dirs, "dirs")?,
    );
    let (av, bv) = (slice(&a, "a")?, slice(&b, "b")?);
    if pat.len() != n.n_words() || o.len() != n.input_dim() || dirs.shape()[1] != n.input_dim() {
        return Err(value_error(
            "pattern, origin, dirs: shapes do not match the network",
        ));
    }
    let sl = if through {
        Slice::through(o, dv)
    } else {
        Slice::new(o, dv)
    };
    let out = run(py, None, None, |c| {
        let domain = match kind {
            "box" => VPolytope::boxed(av, bv)?.to_exact(),
            "polytope" => VPolytope::from_halfspaces(av, bv, k, c)?.to_exact(),
            "polygon" => ExactPolytope::from_f64(2, av, Incidence::cycle(av.len() / 2)),
            other => {
                return Err(regions_core::Error::InvalidArgument {
                    name: "kind".into(),
                    message: format!("expected 'box', 'polytope' or 'polygon', got {other:?}"),
                })
            }
        };
        Ok(exact_point(n, &ExactNet::new(n), &sl, domain, pat))
    })?;
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> Result<()> {
    m.add_function(wrap_pyfunction!(certify_interior, m)?)?;
    m.add_function(wrap_pyfunction!(exact_interior_point, m)?)?;
    Ok(())
}
