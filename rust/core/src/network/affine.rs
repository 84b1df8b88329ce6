//! Affine maps `x ↦ W x + b`, with `W` dense (row-major) or sparse (compressed rows),
//! and the linear parameterization of their entries.
//!
//! **Sparse weights.** Convolutions and average pooling are affine maps whose matrix has
//! few non-zeros per row; [`Csr`] stores row `i`'s entries `col[ptr[i]..ptr[i+1]]`
//! (strictly increasing) with values `val[..]`, so memory grows with the number of
//! weights, not with inputs × outputs. Every algorithm reads rows through [`Affine::row`]
//! (or the dense / sparse fast paths of the hot loops).
//!
//! **Parameters.** The parameter Jacobian (docs/math.md section 4) differentiates with
//! respect to the layer's parameters `θ`. By default every stored weight and bias is
//! one parameter (dense: `W` row-major then `b`; sparse: the non-zeros in storage order
//! then `b`). A structured layer may instead declare its stored entries as a linear
//! function of fewer parameters, [`Params`]: a convolution's entries are copies of its
//! kernel (weight sharing), and an average pooling composed into the next convolution
//! makes every entry a sum of kernel entries times `1/k`.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::error::{invalid, Result};

/// A sparse matrix in compressed rows: row `i` holds `col[ptr[i]..ptr[i+1]]` (strictly
/// increasing column indices) with values `val[ptr[i]..ptr[i+1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    pub ptr: Vec<usize>,
    pub col: Vec<u32>,
    pub val: Vec<f64>,
}

impl Csr {
    /// Check the structure of an `n_rows × n_cols` matrix; `name` prefixes errors.
    pub fn new(
        ptr: Vec<usize>,
        col: Vec<u32>,
        val: Vec<f64>,
        n_rows: usize,
        n_cols: usize,
        name: &str,
    ) -> Result<Self> {
        if ptr.len() != n_rows + 1 || ptr[0] != 0 {
            return Err(invalid(
                name,
                format!(
                    "row pointers must have {} entries starting at 0, got {} entries",
                    n_rows + 1,
                    ptr.len()
                ),
            ));
        }
        let nnz = ptr[n_rows];
        if col.len() != nnz || val.len() != nnz {
            return Err(invalid(
                name,
                format!(
                    "the row pointers end at {nnz} but there are {} column indices and {} values",
                    col.len(),
                    val.len()
                ),
            ));
        }
        for i in 0..n_rows {
            let (s, e) = (ptr[i], ptr[i + 1]);
            if s > e {
                return Err(invalid(
                    name,
                    format!("row pointers must not decrease (row {i}: {s} > {e})"),
                ));
            }
            let cols = &col[s..e];
            if let Some(&c) = cols.iter().find(|&&c| c as usize >= n_cols) {
                return Err(invalid(
                    name,
                    format!("row {i} has column {c}, outside 0..{n_cols}"),
                ));
            }
            if cols.windows(2).any(|p| p[0] >= p[1]) {
                return Err(invalid(
                    name,
                    format!("the columns of row {i} must be strictly increasing (no duplicates)"),
                ));
            }
        }
        if val.iter().any(|v| !v.is_finite()) {
            return Err(invalid(name, "values must be finite (no NaN or inf)"));
        }
        Ok(Csr { ptr, col, val })
    }

    /// Number of stored entries.
    #[inline]
    pub fn nnz(&self) -> usize {
        self.col.len()
    }

    /// Row `i`: its column indices and values.
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (s, e) = (self.ptr[i], self.ptr[i + 1]);
        (&self.col[s..e], &self.val[s..e])
    }
}

/// The weight matrix of an [`Affine`] map.
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// `n_out × n_in`, row-major.
    Dense(Vec<f64>),
    /// Compressed rows.
    Sparse(Csr),
}

/// The stored entries of a layer (its weights in storage order, then its `n_out`
/// biases) as a linear function of `n` parameters: entry `r` is `Σ_p coef[r, p] θ_p`.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub coef: Csr,
    pub n: usize,
}

/// One row of a weight matrix: dense values, or sparse columns and values.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    Dense(&'a [f64]),
    Sparse(&'a [u32], &'a [f64]),
}

impl<'a> Row<'a> {
    /// The `(column, value)` entries (every column of a dense row).
    #[inline]
    pub fn iter(self) -> impl Iterator<Item = (usize, f64)> + 'a {
        let (cols, vals) = match self {
            Row::Dense(v) => (None, v),
            Row::Sparse(c, v) => (Some(c), v),
        };
        vals.iter()
            .enumerate()
            .map(move |(k, &v)| (cols.map_or(k, |c| c[k] as usize), v))
    }

    /// The values only (the non-zeros of a sparse row).
    #[inline]
    pub fn values(self) -> &'a [f64] {
        match self {
            Row::Dense(v) | Row::Sparse(_, v) => v,
        }
    }

    /// `Σ_j w_j z_j`.
    #[inline]
    pub fn dot(self, z: &[f64]) -> f64 {
        match self {
            Row::Dense(w) => w.iter().zip(z).map(|(a, b)| a * b).sum(),
            Row::Sparse(c, w) => c.iter().zip(w).map(|(&j, a)| a * z[j as usize]).sum(),
        }
    }

    /// `‖w‖₁`.
    #[inline]
    pub fn l1(self) -> f64 {
        self.values().iter().map(|w| w.abs()).sum()
    }
}

/// An affine map `x ↦ W x + b` with `W` of shape `(n_out, n_in)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Affine {
    pub weights: Weights,
    pub b: Vec<f64>,
    pub n_out: usize,
    pub n_in: usize,
    /// The parameterization of the stored entries; `None`: one parameter each.
    pub params: Option<Params>,
}

impl Affine {
    /// A dense map; checks shapes and finiteness, `name` prefixes error messages.
    pub fn new(w: Vec<f64>, b: Vec<f64>, n_out: usize, n_in: usize, name: &str) -> Result<Self> {
        check_shape(n_out, n_in, name)?;
        if w.len() != n_out * n_in {
            return Err(invalid(
                name,
                format!("weights have {} entries, expected {n_out}*{n_in}", w.len()),
            ));
        }
        if w.iter().any(|v| !v.is_finite()) {
            return Err(invalid(
                name,
                "weights and biases must be finite (no NaN or inf)",
            ));
        }
        Self::with(Weights::Dense(w), b, n_out, n_in, name)
    }

    /// A sparse map with the rows of `w` (see [`Csr::new`] for the checks).
    pub fn sparse(w: Csr, b: Vec<f64>, n_out: usize, n_in: usize, name: &str) -> Result<Self> {
        check_shape(n_out, n_in, name)?;
        if w.ptr.len() != n_out + 1 {
            return Err(invalid(
                name,
                format!("expected {} row pointers, got {}", n_out + 1, w.ptr.len()),
            ));
        }
        Self::with(Weights::Sparse(w), b, n_out, n_in, name)
    }

    fn with(weights: Weights, b: Vec<f64>, n_out: usize, n_in: usize, name: &str) -> Result<Self> {
        if b.len() != n_out {
            return Err(invalid(
                name,
                format!("bias has {} entries, expected {n_out}", b.len()),
            ));
        }
        if b.iter().any(|v| !v.is_finite()) {
            return Err(invalid(
                name,
                "weights and biases must be finite (no NaN or inf)",
            ));
        }
        Ok(Affine {
            weights,
            b,
            n_out,
            n_in,
            params: None,
        })
    }

    /// Declare the stored entries a linear function of `n` parameters (`coef` has one
    /// row per stored weight, then one per bias, and `n` columns).
    pub fn with_params(mut self, coef: Csr, n: usize, name: &str) -> Result<Self> {
        let rows = self.n_entries() + self.n_out;
        if coef.ptr.len() != rows + 1 {
            return Err(invalid(
                name,
                format!(
                    "the parameterization needs one row per stored weight and bias ({rows}), got {}",
                    coef.ptr.len().saturating_sub(1)
                ),
            ));
        }
        if coef.col.iter().any(|&c| c as usize >= n) {
            return Err(invalid(
                name,
                format!("the parameterization refers to a parameter outside 0..{n}"),
            ));
        }
        self.params = Some(Params { coef, n });
        Ok(self)
    }

    /// Row `i` of `W`.
    #[inline]
    pub fn row(&self, i: usize) -> Row<'_> {
        match &self.weights {
            Weights::Dense(w) => Row::Dense(&w[i * self.n_in..(i + 1) * self.n_in]),
            Weights::Sparse(s) => {
                let (c, v) = s.row(i);
                Row::Sparse(c, v)
            }
        }
    }

    /// The storage index of row `i`'s first weight.
    #[inline]
    pub fn row_start(&self, i: usize) -> usize {
        match &self.weights {
            Weights::Dense(_) => i * self.n_in,
            Weights::Sparse(s) => s.ptr[i],
        }
    }

    /// Number of stored weights (`n_out · n_in` dense, the non-zeros sparse).
    #[inline]
    pub fn n_entries(&self) -> usize {
        match &self.weights {
            Weights::Dense(w) => w.len(),
            Weights::Sparse(s) => s.nnz(),
        }
    }

    /// All stored weights, in storage order.
    #[inline]
    pub fn values(&self) -> &[f64] {
        match &self.weights {
            Weights::Dense(w) => w,
            Weights::Sparse(s) => &s.val,
        }
    }

    /// All stored weights, in storage order, for rebuilding a map with new values.
    pub fn values_mut(&mut self) -> &mut [f64] {
        match &mut self.weights {
            Weights::Dense(w) => w,
            Weights::Sparse(s) => &mut s.val,
        }
    }

    /// Number of parameters (see [`Params`]).
    pub fn n_params(&self) -> usize {
        self.params
            .as_ref()
            .map_or(self.n_entries() + self.n_out, |p| p.n)
    }

    /// `‖w_i‖₁` of every row.
    pub fn row_l1(&self) -> Vec<f64> {
        (0..self.n_out).map(|i| self.row(i).l1()).collect()
    }

    /// `out (rows × n_out) = z (rows × n_in) · Wᵀ` (no bias), sequential.
    #[inline]
    pub(crate) fn product(&self, z: &[f64], rows: usize, out: &mut [f64]) {
        let (n, m) = (self.n_out, self.n_in);
        match &self.weights {
            Weights::Dense(w) => {
                let lhs = MatRef::from_row_major_slice(&z[..rows * m], rows, m);
                let rhs = MatRef::from_row_major_slice(w, n, m).transpose();
                let dst = MatMut::from_row_major_slice_mut(&mut out[..rows * n], rows, n);
                matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
                crate::cpu::clean_upper_state();
            }
            Weights::Sparse(s) => sparse_product(s, z, rows, n, m, out),
        }
    }
}

/// Points per panel of [`sparse_product`].
const PANEL: usize = 16;

/// `out = z Wᵀ` for `rows` rows of `z` and a sparse `W` (`n × m`). Panels of
/// [`PANEL`] points are transposed so that every stored weight updates `PANEL`
/// independent sums at once (vectorized); each sum still adds its terms in the row's
/// storage order, as a per-point dot product would (the serial dependency of one dot
/// product per point made this latency-bound: 4x slower on LeNet's convolutions).
fn sparse_product(s: &Csr, z: &[f64], rows: usize, n: usize, m: usize, out: &mut [f64]) {
    let mut zt = vec![0.0f64; m * PANEL];
    for r0 in (0..rows).step_by(PANEL) {
        let p = PANEL.min(rows - r0);
        if p < PANEL {
            zt.fill(0.0);
        }
        for q in 0..p {
            let zr = &z[(r0 + q) * m..(r0 + q + 1) * m];
            for (j, &v) in zr.iter().enumerate() {
                zt[j * PANEL + q] = v;
            }
        }
        for i in 0..n {
            let (c, v) = s.row(i);
            let mut acc = [0.0f64; PANEL];
            for (&j, &a) in c.iter().zip(v) {
                let col = &zt[j as usize * PANEL..(j as usize + 1) * PANEL];
                for (t, &x) in acc.iter_mut().zip(col) {
                    *t += a * x;
                }
            }
            for (q, &t) in acc.iter().enumerate().take(p) {
                out[(r0 + q) * n + i] = t;
            }
        }
    }
}

fn check_shape(n_out: usize, n_in: usize, name: &str) -> Result<()> {
    if n_out == 0 || n_in == 0 {
        return Err(invalid(
            name,
            format!("weights must have non-zero shape, got ({n_out}, {n_in})"),
        ));
    }
    if n_in > u32::MAX as usize {
        return Err(invalid(
            name,
            format!("at most 2^32 - 1 inputs per layer, got {n_in}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Rng;

    /// The panelled sparse product is, bit for bit, one dot product per point in each
    /// row's storage order, for block sizes that are and are not multiples of the panel.
    #[test]
    fn sparse_product_is_the_per_point_dot_product() {
        let (n, m) = (9, 23);
        let mut rng = Rng::new(5, 0);
        let (mut ptr, mut col, mut val) = (vec![0], Vec::new(), Vec::new());
        for i in 0..n {
            for j in (0..m).filter(|j| (i * 7 + j * 3) % 4 != 0) {
                col.push(j as u32);
                val.push(rng.normal());
            }
            ptr.push(col.len());
        }
        let s = Csr::new(ptr, col, val, n, m, "w").unwrap();
        for rows in [1, PANEL - 1, PANEL, 2 * PANEL + 3] {
            let z: Vec<f64> = (0..rows * m).map(|_| rng.normal()).collect();
            let mut out = vec![f64::NAN; rows * n];
            sparse_product(&s, &z, rows, n, m, &mut out);
            for r in 0..rows {
                for i in 0..n {
                    let (c, v) = s.row(i);
                    let mut want = 0.0f64;
                    for (&j, &a) in c.iter().zip(v) {
                        want += a * z[r * m + j as usize];
                    }
                    assert_eq!(
                        out[r * n + i].to_bits(),
                        want.to_bits(),
                        "rows={rows} r={r} i={i}"
                    );
                }
            }
        }
    }
}
