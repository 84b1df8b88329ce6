//! Bindings of `regions_core::landscape` and `regions_core::functional`.

use numpy::ndarray::{Array2, Array3};
use numpy::{
    PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use regions_core::functional;
use regions_core::landscape::{self, Data, DataDist, Init, RankRule, Scheme, Wrt};
use regions_core::linalg::modp as exact;

use crate::errors::{value_error, Result};
use crate::network::{slice, CoreNetwork};
use crate::run::run;

fn data(x: &PyReadonlyArray2<'_, f64>, bias: bool) -> Result<Data> {
    let s = x.shape();
    Ok(Data::new(slice(x, "X")?, s[0], s[1], bias)?)
}

/// The sampling scheme; `init` is checked whatever the scheme (an unknown name is an
/// error even where it would not be used).
fn scheme(name: &str, init: &str) -> Result<Scheme> {
    let init = match init {
        "torch" => Init::Torch,
        "gaussian" => Init::Gaussian,
        _ => {
            return Err(value_error(format!(
                "init: expected 'torch' or 'gaussian', got {init:?}"
            )))
        }
    };
    Ok(match name {
        "init" => Scheme::Init(init),
        "uniform" => Scheme::Uniform,
        "nonempty" => Scheme::Nonempty,
        _ => {
            return Err(value_error(format!(
                "scheme: expected 'init', 'uniform' or 'nonempty', got {name:?}"
            )))
        }
    })
}

fn wrt(name: &str) -> Result<Wrt> {
    match name {
        "first" => Ok(Wrt::First),
        "all" => Ok(Wrt::All),
        _ => Err(value_error(format!(
            "wrt: expected 'first' or 'all', got {name:?}"
        ))),
    }
}

fn rule(tol: Option<f64>, exact: bool, seed: u64) -> RankRule {
    if exact {
        RankRule::Exact {
            primes: exact::DEFAULT_PRIMES,
            seed,
        }
    } else {
        RankRule::Numerical(tol)
    }
}

fn packed3<'py>(
    py: Python<'py>,
    v: Vec<u64>,
    t: usize,
    m: usize,
    n: usize,
) -> Bound<'py, PyArray3<u64>> {
    PyArray3::from_owned_array(
        py,
        Array3::from_shape_vec((t, m, landscape::words(n)), v).expect("shape"),
    )
}

/// Packed patterns (T, m, words) of T parameter draws W (T, m, d), b (T, m).
#[pyfunction]
#[pyo3(signature = (x, w, b, bias, n_threads=None, progress=None))]
pub fn landscape_patterns<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    w: PyReadonlyArray3<'py, f64>,
    b: PyReadonlyArray2<'py, f64>,
    bias: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyArray3<u64>>> {
    let dt = data(&x, bias)?;
    let (t, m) = (w.shape()[0], w.shape()[1]);
    let (ws, bs) = (slice(&w, "W")?, slice(&b, "b")?);
    let out = run(py, n_threads, progress.as_ref(), |c| {
        landscape::patterns(&dt, ws, bs, t, m, c)
    })?;
    Ok(packed3(py, out, t, m, dt.n))
}

/// The first-layer Jacobian (n, m·D) of one packed pattern (m, words).
#[pyfunction]
#[pyo3(signature = (x, a, v, bias))]
pub fn landscape_jacobian<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    a: PyReadonlyArray2<'py, u64>,
    v: Option<PyReadonlyArray1<'py, f64>>,
    bias: bool,
) -> Result<Bound<'py, PyArray2<f64>>> {
    let dt = data(&x, bias)?;
    let m = a.shape()[0];
    let vs = match &v {
        Some(v) => Some(slice(v, "v")?),
        None => None,
    };
    let j = landscape::jacobian(&dt, slice(&a, "A")?, m, vs)?;
    Ok(PyArray2::from_owned_array(
        py,
        Array2::from_shape_vec((dt.n, m * dt.dim), j).expect("shape"),
    ))
}

/// Ranks of a batch of patterns and their margins `σ_min / σ_max` (NaN when exact, or
/// when a certificate decided without singular values).
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct Ranks {
    pub ranks: Py<PyArray1<u64>>,
    pub margins: Py<PyArray1<f64>>,
}

fn ranks(py: Python<'_>, res: &[(usize, f64)]) -> Ranks {
    Ranks {
        ranks: PyArray1::from_vec(py, res.iter().map(|x| x.0 as u64).collect()).unbind(),
        margins: PyArray1::from_vec(py, res.iter().map(|x| x.1).collect()).unbind(),
    }
}

/// The rank of one matrix and its margin `σ_min / σ_max` (NaN when exact, or when a
/// certificate decided without singular values).
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct Rank {
    pub rank: usize,
    pub margin: f64,
}

/// Per cell `(n, width)` of a phase diagram: the trials of full rank and the sum of
/// the ranks.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct PhaseDiagram {
    pub full_rank: Vec<u64>,
    pub rank_sum: Vec<u64>,
}

/// Ranks and margins of T packed patterns (T, m, words).
#[pyfunction]
#[pyo3(signature = (x, a, v, bias, wrt_, tol, exact, seed, want_margin=false, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn landscape_jacobian_ranks<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    a: PyReadonlyArray3<'py, u64>,
    v: Option<PyReadonlyArray1<'py, f64>>,
    bias: bool,
    wrt_: &str,
    tol: Option<f64>,
    exact: bool,
    seed: u64,
    want_margin: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Ranks> {
    let dt = data(&x, bias)?;
    let (t, m) = (a.shape()[0], a.shape()[1]);
    let vs = match &v {
        Some(v) => Some(slice(v, "v")?),
        None => None,
    };
    let (w, r, asl) = (wrt(wrt_)?, rule(tol, exact, seed), slice(&a, "A")?);
    let res = run(py, n_threads, progress.as_ref(), |c| {
        landscape::jacobian_ranks(&dt, asl, t, m, vs, w, r, want_margin, c)
    })?;
    Ok(ranks(py, &res))
}

/// Realizable patterns of one neuron, packed (count, words).
#[pyfunction]
#[pyo3(signature = (x, bias, max_patterns, n_threads=None, progress=None))]
pub fn landscape_neuron_patterns<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    bias: bool,
    max_patterns: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyArray2<u64>>> {
    let dt = data(&x, bias)?;
    let out = run(py, n_threads, progress.as_ref(), |c| {
        landscape::neuron_patterns(&dt, max_patterns, c)
    })?;
    let wd = landscape::words(dt.n);
    Ok(PyArray2::from_owned_array(
        py,
        Array2::from_shape_vec((out.len() / wd, wd), out).expect("shape"),
    ))
}

/// T sampled patterns of width m on fixed data, packed (T, m, words).
#[pyfunction]
#[pyo3(signature = (x, width, n_samples, scheme_, init, bias, seed, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn landscape_sample_patterns<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    width: usize,
    n_samples: usize,
    scheme_: &str,
    init: &str,
    bias: bool,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyArray3<u64>>> {
    let dt = data(&x, bias)?;
    let s = scheme(scheme_, init)?;
    let out = run(py, n_threads, progress.as_ref(), |c| {
        landscape::sample_patterns(&dt, width, n_samples, s, seed, c)
    })?;
    Ok(packed3(py, out, n_samples, width, dt.n))
}

/// Ranks and margins of T sampled patterns on fixed data.
#[pyfunction]
#[pyo3(signature = (x, width, n_samples, scheme_, init, bias, wrt_, tol, exact, seed, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn landscape_sample_ranks<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    width: usize,
    n_samples: usize,
    scheme_: &str,
    init: &str,
    bias: bool,
    wrt_: &str,
    tol: Option<f64>,
    exact: bool,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Ranks> {
    let dt = data(&x, bias)?;
    let (s, w, r) = (scheme(scheme_, init)?, wrt(wrt_)?, rule(tol, exact, seed));
    let res = run(py, n_threads, progress.as_ref(), |c| {
        landscape::sample_ranks(&dt, width, n_samples, s, w, r, seed, c)
    })?;
    Ok(ranks(py, &res))
}

/// Phase diagram: per cell (n, width), (full-rank trials, sum of ranks).
#[pyfunction]
#[pyo3(signature = (cells, d, trials, data_, bias, scheme_, init, wrt_, tol, exact, seed, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn landscape_phase_diagram(
    py: Python<'_>,
    cells: Vec<(usize, usize)>,
    d: usize,
    trials: usize,
    data_: &str,
    bias: bool,
    scheme_: &str,
    init: &str,
    wrt_: &str,
    tol: Option<f64>,
    exact: bool,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<PhaseDiagram> {
    let dist = match data_ {
        "uniform01" => DataDist::Uniform01,
        "gaussian" => DataDist::Gaussian,
        _ => {
            return Err(value_error(format!(
                "data: expected 'uniform01' or 'gaussian', got {data_:?}"
            )))
        }
    };
    let (s, w, r) = (scheme(scheme_, init)?, wrt(wrt_)?, rule(tol, exact, seed));
    let res = run(py, n_threads, progress.as_ref(), |c| {
        landscape::phase_diagram(&cells, d, trials, dist, bias, s, w, r, seed, c)
    })?;
    Ok(PhaseDiagram {
        full_rank: res.iter().map(|x| x.0).collect(),
        rank_sum: res.iter().map(|x| x.1).collect(),
    })
}

/// Rank of any float matrix: numerical (tol or NumPy's default) or exact (mod primes).
/// Returns (rank, σ_min/σ_max, or NaN when exact or not `margin` and certified without
/// singular values).
#[pyfunction]
#[pyo3(signature = (a, tol, exact, seed, margin=true, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn matrix_rank(
    py: Python<'_>,
    a: PyReadonlyArray2<'_, f64>,
    tol: Option<f64>,
    exact: bool,
    seed: u64,
    margin: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<Rank> {
    let (r, c) = (a.shape()[0], a.shape()[1]);
    let s = slice(&a, "A")?;
    run(py, n_threads, progress.as_ref(), |ctrl| {
        ctrl.scope(|| {
            if exact {
                Ok((
                    exact::exact_rank(s, r, c, &exact::random_primes(exact::DEFAULT_PRIMES, seed))?,
                    f64::NAN,
                ))
            } else {
                regions_core::linalg::rank::numerical_rank(s, r, c, tol, margin)
            }
        })
    })
    .map(|(rank, margin)| Rank { rank, margin })
}

/// The parameter Jacobian of a network on the rows of X: (N·n_out, P).
#[pyfunction]
#[pyo3(signature = (net, x, n_threads=None, progress=None))]
pub fn parameter_jacobian<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    x: PyReadonlyArray2<'py, f64>,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyArray2<f64>>> {
    let k = x.shape()[0];
    let xs = slice(&x, "X")?;
    let j = run(py, n_threads, progress.as_ref(), |c| {
        functional::parameter_jacobian(&net.inner, xs, k, c)
    })?;
    let p = functional::n_params(&net.inner);
    Ok(PyArray2::from_owned_array(
        py,
        Array2::from_shape_vec((k * net.inner.output_dim(), p), j).expect("shape"),
    ))
}

/// The exact batch functional dimension: the rank over Q of the parameter Jacobian on
/// the rows of X, built modulo primes from the dyadic inputs (routing decided exactly).
#[pyfunction]
#[pyo3(signature = (net, x, seed, n_threads=None, progress=None))]
pub fn exact_functional_rank<'py>(
    py: Python<'py>,
    net: &CoreNetwork,
    x: PyReadonlyArray2<'py, f64>,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> Result<usize> {
    let k = x.shape()[0];
    let xs = slice(&x, "X")?;
    let primes = exact::random_primes(exact::DEFAULT_PRIMES, seed);
    run(py, n_threads, progress.as_ref(), |c| {
        functional::exact_functional_rank(&net.inner, xs, k, &primes, c)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> Result<()> {
    m.add_class::<Ranks>()?;
    m.add_class::<Rank>()?;
    m.add_class::<PhaseDiagram>()?;
    m.add_function(wrap_pyfunction!(exact_functional_rank, m)?)?;
    m.add_function(wrap_pyfunction!(landscape_patterns, m)?)?;
    m.add_function(wrap_pyfunction!(landscape_jacobian, m)?)?;
    m.add_function(wrap_pyfunction!(landscape_jacobian_ranks, m)?)?;
    m.add_function(wrap_pyfunction!(landscape_neuron_patterns, m)?)?;
    m.add_function(wrap_pyfunction!(landscape_sample_patterns, m)?)?;
    m.add_function(wrap_pyfunction!(landscape_sample_ranks, m)?)?;
    m.add_function(wrap_pyfunction!(landscape_phase_diagram, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_rank, m)?)?;
    m.add_function(wrap_pyfunction!(parameter_jacobian, m)?)?;
    Ok(())
}
