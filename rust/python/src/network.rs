//! `regions._core.CoreNetwork`: a network held in Rust, with the pattern kernels.

use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use regions_core::{patterns, Activation, Affine, Csr, Layer, Network};

use crate::errors::{value_error, BindError, Result};
use crate::run::run;

/// Borrow a C-contiguous array as a slice, or raise `ValueError` naming `name`.
pub fn slice<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    a: &'a numpy::PyReadonlyArray<'_, T, D>,
    name: &str,
) -> Result<&'a [T]> {
    a.as_slice()
        .map_err(|_| value_error(format!("{name}: array must be C-contiguous")))
}

/// Compressed rows `(ptr, col, val)` of an `n_rows × n_cols` matrix from Python arrays.
fn csr(t: &Bound<'_, PyTuple>, n_rows: usize, n_cols: usize, name: &str) -> Result<Csr> {
    let ptr: PyReadonlyArray1<'_, i64> = t.get_item(0)?.extract()?;
    let col: PyReadonlyArray1<'_, i64> = t.get_item(1)?.extract()?;
    let val: PyReadonlyArray1<'_, f64> = t.get_item(2)?.extract()?;
    let index = |v: i64, what: &str| {
        usize::try_from(v).map_err(|_| value_error(format!("{name}: negative {what} {v}")))
    };
    let ptr = slice(&ptr, name)?
        .iter()
        .map(|&v| index(v, "row pointer"))
        .collect::<Result<Vec<_>>>()?;
    let col = slice(&col, name)?
        .iter()
        .map(|&v| {
            u32::try_from(v)
                .map_err(|_| value_error(format!("{name}: column index {v} out of range")))
        })
        .collect::<Result<Vec<_>>>()?;
    Csr::new(ptr, col, slice(&val, name)?.to_vec(), n_rows, n_cols, name).map_err(BindError::from)
}

/// An affine map from `W` (a 2-D array, or a tuple `(ptr, col, val, n_in)` of compressed
/// rows), `b` and an optional parameterization `(ptr, col, val, n_params)`.
fn affine(
    w: &Bound<'_, PyAny>,
    b: &PyReadonlyArray1<'_, f64>,
    params: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> Result<Affine> {
    let bias = slice(b, name)?.to_vec();
    let map = if let Ok(t) = w.cast::<PyTuple>() {
        let n_in: usize = t.get_item(3)?.extract()?;
        let n_out = bias.len();
        Affine::sparse(csr(t, n_out, n_in, name)?, bias, n_out, n_in, name)?
    } else {
        let w: PyReadonlyArray2<'_, f64> = w.extract()?;
        let s = w.shape();
        Affine::new(slice(&w, name)?.to_vec(), bias, s[0], s[1], name)?
    };
    match params {
        Some(p) if !p.is_none() => {
            let t = p.cast::<PyTuple>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{name}: params must be a tuple (ptr, col, val, n_params)"
                ))
            })?;
            let n: usize = t.get_item(3)?.extract()?;
            let rows = map.n_entries() + map.n_out;
            Ok(map.with_params(csr(t, rows, n, name)?, n, name)?)
        }
        _ => Ok(map),
    }
}

fn array2<'py, T: numpy::Element>(
    py: Python<'py>,
    v: Vec<T>,
    rows: usize,
    cols: usize,
) -> Bound<'py, PyArray2<T>> {
    let a = Array2::from_shape_vec((rows, cols), v).expect("length matches shape");
    PyArray2::from_owned_array(py, a)
}

/// The distinct patterns of a point set in first-occurrence order: packed patterns
/// `(K, words)`, the row of each one's first occurrence, its number of occurrences,
/// and (if asked) for every row the position of its pattern.
#[pyclass(frozen, get_all, module = "regions._core")]
pub struct UniquePatterns {
    pub patterns: Py<PyArray2<u64>>,
    pub index: Py<PyArray1<u64>>,
    pub counts: Py<PyArray1<u64>>,
    pub inverse: Option<Py<PyArray1<u64>>>,
}

/// A network held in Rust. Hidden layers are tuples `("relu", W, b)`,
/// `("leaky_relu", W, b, alpha)`, `("maxout", W, b, k)` with `W` of shape `(n·k, in)`,
/// or `("maxpool", windows, n_in)`. `W` may instead be compressed rows
/// `(ptr, col, val, n_in)`, and a fifth item `(ptr, col, val, n_params)` declares the
/// layer's parameterization (`regions_core::Params`); the output layer likewise.
/// `carry[l]` lists the inputs hidden layer `l` passes on after its units (skip
/// connections, `regions_core::Network::with_carry`).
#[pyclass(frozen, module = "regions._core")]
pub struct CoreNetwork {
    pub inner: Network,
}

impl CoreNetwork {
    fn points<'a>(&self, x: &'a PyReadonlyArray2<'_, f64>) -> Result<(&'a [f64], usize)> {
        let s = x.shape();
        if s[1] != self.inner.input_dim() {
            return Err(value_error(format!(
                "X: expected shape (N, {}), got ({}, {})",
                self.inner.input_dim(),
                s[0],
                s[1]
            )));
        }
        Ok((slice(x, "X")?, s[0]))
    }
}

#[pymethods]
impl CoreNetwork {
    #[new]
    #[pyo3(signature = (hidden, out_w, out_b, out_params=None, carry=None))]
    fn new(
        hidden: Vec<Bound<'_, PyTuple>>,
        out_w: Bound<'_, PyAny>,
        out_b: PyReadonlyArray1<'_, f64>,
        out_params: Option<Bound<'_, PyAny>>,
        carry: Option<Vec<Vec<usize>>>,
    ) -> Result<Self> {
        let mut layers = Vec::with_capacity(hidden.len());
        for (l, t) in hidden.iter().enumerate() {
            let name = format!("layer {l}");
            let kind: String = t.get_item(0)?.extract()?;
            let layer = match kind.as_str() {
                "relu" | "leaky_relu" | "maxout" => {
                    let w = t.get_item(1)?;
                    let b: PyReadonlyArray1<'_, f64> = t.get_item(2)?.extract()?;
                    let params = if t.len() > 4 {
                        Some(t.get_item(4)?)
                    } else {
                        None
                    };
                    let activation = match kind.as_str() {
                        "relu" => Activation::Relu,
                        "leaky_relu" => Activation::LeakyRelu(t.get_item(3)?.extract()?),
                        _ => Activation::Maxout(t.get_item(3)?.extract()?),
                    };
                    Layer::Dense {
                        affine: affine(&w, &b, params.as_ref(), &name)?,
                        activation,
                    }
                }
                "maxpool" => Layer::MaxPool {
                    windows: t.get_item(1)?.extract()?,
                    n_in: t.get_item(2)?.extract()?,
                },
                other => {
                    return Err(PyTypeError::new_err(format!(
                        "{name}: unknown layer kind {other:?}"
                    ))
                    .into())
                }
            };
            layers.push(layer);
        }
        let output = affine(&out_w, &out_b, out_params.as_ref(), "output layer")?;
        let carry = carry.unwrap_or_else(|| vec![Vec::new(); layers.len()]);
        Ok(CoreNetwork {
            inner: Network::with_carry(layers, carry, output)?,
        })
    }

    #[getter]
    fn input_dim(&self) -> usize {
        self.inner.input_dim()
    }
    #[getter]
    fn output_dim(&self) -> usize {
        self.inner.output_dim()
    }
    #[getter]
    fn n_hidden(&self) -> usize {
        self.inner.n_hidden()
    }
    #[getter]
    fn n_words(&self) -> usize {
        self.inner.n_words()
    }
    #[getter]
    fn is_binary(&self) -> bool {
        self.inner.is_binary()
    }

    /// Outputs on the rows of X, shape (N, output_dim).
    #[pyo3(signature = (x, n_threads=None, progress=None))]
    fn forward<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        n_threads: Option<usize>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyArray2<f64>>> {
        let (xs, n) = self.points(&x)?;
        let out = run(py, n_threads, progress.as_ref(), |c| {
            patterns::forward(&self.inner, xs, n, c)
        })?;
        Ok(array2(py, out, n, self.inner.output_dim()))
    }

    /// Packed patterns, shape (N, n_words), dtype uint64.
    #[pyo3(signature = (x, n_threads=None, progress=None))]
    fn patterns_packed<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        n_threads: Option<usize>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyArray2<u64>>> {
        let (xs, n) = self.points(&x)?;
        let out = run(py, n_threads, progress.as_ref(), |c| {
            patterns::patterns_packed(&self.inner, xs, n, c)
        })?;
        Ok(array2(py, out, n, self.inner.n_words()))
    }

    /// Raise MemoryError now when the decoded patterns of `rows` points could not be
    /// allocated (before computing them: `decode` would refuse only afterwards).
    fn probe_decode(&self, rows: usize) -> Result<()> {
        let item = if self.inner.is_binary() { 1 } else { 4 };
        regions_core::error::probe(&[rows, self.inner.n_hidden()], item, "the decoded patterns")?;
        Ok(())
    }

    /// Decode packed patterns: bool (N, n_hidden) for ReLU/leaky networks, else int32.
    fn decode<'py>(
        &self,
        py: Python<'py>,
        packed: PyReadonlyArray2<'py, u64>,
    ) -> Result<Bound<'py, PyAny>> {
        let rows = packed.shape()[0];
        let ps = slice(&packed, "packed")?;
        let h = self.inner.n_hidden();
        Ok(if self.inner.is_binary() {
            let bits = py.detach(|| patterns::decode_bits(&self.inner, ps, rows))?;
            array2(py, bits, rows, h).into_any()
        } else {
            let codes = py.detach(|| patterns::decode_patterns(&self.inner, ps, rows))?;
            // Collected in place (same size): no second copy.
            let codes: Vec<i32> = codes.into_iter().map(|c| c as i32).collect();
            array2(py, codes, rows, h).into_any()
        })
    }

    /// Number of distinct patterns among the rows of X.
    #[pyo3(signature = (x, n_threads=None, progress=None))]
    fn count_patterns(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f64>,
        n_threads: Option<usize>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> Result<u64> {
        let (xs, n) = self.points(&x)?;
        run(py, n_threads, progress.as_ref(), |c| {
            patterns::count_patterns(&self.inner, xs, n, c)
        })
    }

    /// Distinct patterns in first-occurrence order.
    #[pyo3(signature = (x, return_inverse=false, n_threads=None, progress=None))]
    fn unique_patterns(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f64>,
        return_inverse: bool,
        n_threads: Option<usize>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> Result<UniquePatterns> {
        let (xs, n) = self.points(&x)?;
        let u = run(py, n_threads, progress.as_ref(), |c| {
            patterns::unique_patterns(&self.inner, xs, n, return_inverse, c)
        })?;
        let k = u.counts.len();
        Ok(UniquePatterns {
            patterns: array2(py, u.patterns, k, self.inner.n_words()).unbind(),
            index: PyArray1::from_vec(py, u.index).unbind(),
            counts: PyArray1::from_vec(py, u.counts).unbind(),
            inverse: u.inverse.map(|v| PyArray1::from_vec(py, v).unbind()),
        })
    }

    /// Distinct patterns among n_samples uniform points of the box [lo, hi].
    #[pyo3(signature = (lo, hi, n_samples, seed, n_threads=None, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn count_patterns_sampled(
        &self,
        py: Python<'_>,
        lo: PyReadonlyArray1<'_, f64>,
        hi: PyReadonlyArray1<'_, f64>,
        n_samples: u64,
        seed: u64,
        n_threads: Option<usize>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> Result<u64> {
        let (l, h) = (slice(&lo, "lo")?, slice(&hi, "hi")?);
        run(py, n_threads, progress.as_ref(), |c| {
            patterns::count_patterns_sampled(&self.inner, l, h, n_samples, seed, c)
        })
    }
}
