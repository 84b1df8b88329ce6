//! Activation regions in parameter space (docs/math.md section 3; Karhadkar, Murray,
//! Tseran, Montúfar 2023).
//!
//! Data `X` is `n × d` (one row per point), `x̃_j = (x_j, 1)` with a bias (`D = d + 1`)
//! or `x̃_j = x_j` without (`D = d`). The pattern of first-layer parameters `(W, b)`
//! is `A ∈ {0,1}^{m×n}`, `A_ij = [w_i·x_j + b_i > 0]`. In the region of `A` the
//! Jacobian of `(f(x_1)..f(x_n))` with respect to `(w_i, b_i)` is the row-wise
//! Khatri–Rao product `J_j = (v_1 A_1j x̃_j, …, v_m A_mj x̃_j)` (`n × mD`).
//!
//! * Numerical rank: singular values (faer), NumPy's default tolerance
//!   `σ_max · max(rows, cols) · ε` unless `tol` is given.
//! * Exact rank: `rank J = rank JJᵀ` over Q and `JJᵀ = (AᵀA) ∘ (X̃X̃ᵀ)` when every
//!   `v_i ≠ 0` (rank does not depend on `v`), an `n × n` matrix formed with popcounts;
//!   its rank modulo random primes ([`crate::linalg::modp`]). `wrt = All` adds `11ᵀ`
//!   (`rank [J | 1]`). Cost `O(n² m / 64 + n² D + n³)` per pattern.
//!
//! Files: [`patterns`] (the pattern of parameters on the data), [`jacobian`] (the
//! Jacobian and its rank), `chambers` (every pattern of one neuron), `sample`
//! (random parameters, rank statistics, phase diagrams).

mod chambers;
mod jacobian;
mod patterns;
mod sample;

pub use chambers::neuron_patterns;
pub use jacobian::{exact_jacobian_rank, jacobian, jacobian_rank, jacobian_ranks, RankRule, Wrt};
pub use patterns::{pattern_of, patterns};
pub use sample::{
    phase_diagram, sample_data, sample_pattern, sample_patterns, sample_ranks, DataDist, Init,
    Scheme,
};

use crate::error::{invalid, Result};

/// A data set with its augmented rows `x̃_j`.
#[derive(Debug, Clone)]
pub struct Data {
    /// `n × dim` row-major augmented data.
    pub xt: Vec<f64>,
    pub n: usize,
    pub d: usize,
    pub dim: usize,
    pub bias: bool,
}

impl Data {
    /// Wrap `n × d` data (row-major), appending a column of ones when `bias`.
    pub fn new(x: &[f64], n: usize, d: usize, bias: bool) -> Result<Self> {
        if n == 0 || d == 0 || x.len() != n * d {
            return Err(invalid(
                "X",
                format!(
                    "expected a non-empty ({n}, {d}) array, got {} values",
                    x.len()
                ),
            ));
        }
        let dim = d + bias as usize;
        let mut xt = Vec::with_capacity(n * dim);
        for row in x.chunks(d) {
            xt.extend_from_slice(row);
            if bias {
                xt.push(1.0);
            }
        }
        Ok(Data {
            xt,
            n,
            d,
            dim,
            bias,
        })
    }

    /// Row `j` of the augmented data.
    #[inline]
    pub fn row(&self, j: usize) -> &[f64] {
        &self.xt[j * self.dim..(j + 1) * self.dim]
    }
}

/// Words per packed pattern row of `n` points.
pub fn words(n: usize) -> usize {
    n.div_ceil(64).max(1)
}
