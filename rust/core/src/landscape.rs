//! Activation regions in parameter space (MATH.md section 3; Karhadkar, Murray,
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
//!   its rank modulo random primes ([`crate::exact`]). `wrt = All` adds `11ᵀ`
//!   (`rank [J | 1]`). Cost `O(n² m / 64 + n² D + n³)` per pattern.

use faer::{MatRef, Par};
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, Result};
use crate::exact::{max_rank_over_primes, random_primes, Pow2};
use crate::linalg;
use crate::random::Rng;

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

/// Pattern `A` (`m × n`, packed rows of `words(n)` u64) of one parameter draw:
/// `w` is `m × d` row-major, `b` has `m` entries (ignored without bias).
pub fn pattern_of(data: &Data, w: &[f64], b: &[f64], m: usize, out: &mut [u64]) {
    let (n, d, wd) = (data.n, data.d, words(data.n));
    out.fill(0);
    for i in 0..m {
        let wi = &w[i * d..(i + 1) * d];
        let bi = if data.bias { b[i] } else { 0.0 };
        let row = &mut out[i * wd..(i + 1) * wd];
        for (word, start) in row.iter_mut().zip((0..n).step_by(64)) {
            let mut bits = 0u64;
            for j in start..n.min(start + 64) {
                let x = data.row(j);
                let h: f64 = wi.iter().zip(x).map(|(w, x)| w * x).sum();
                bits |= ((h + bi > 0.0) as u64) << (j - start);
            }
            *word = bits;
        }
    }
}

/// Patterns of `t` parameter draws (`w`: `t × m × d`, `b`: `t × m`), in parallel.
/// Returns `t × m × words(n)` packed words.
pub fn patterns(
    data: &Data,
    w: &[f64],
    b: &[f64],
    t: usize,
    m: usize,
    ctrl: &Control,
) -> Result<Vec<u64>> {
    let d = data.d;
    if w.len() != t * m * d || (data.bias && b.len() != t * m) {
        return Err(invalid(
            "W/b",
            format!("expected W of {t}×{m}×{d} and b of {t}×{m} values"),
        ));
    }
    let wd = words(data.n);
    let mut out = vec![0u64; t * m * wd];
    out.par_chunks_mut(m * wd)
        .enumerate()
        .try_for_each(|(k, chunk)| {
            ctrl.check()?;
            let bk: &[f64] = if data.bias {
                &b[k * m..(k + 1) * m]
            } else {
                &[]
            };
            pattern_of(data, &w[k * m * d..(k + 1) * m * d], bk, m, chunk);
            ctrl.advance(1);
            Ok(())
        })?;
    Ok(out)
}

#[inline]
fn bit(a: &[u64], wd: usize, i: usize, j: usize) -> bool {
    a[i * wd + j / 64] >> (j % 64) & 1 == 1
}

/// Which parameters the Jacobian is taken with respect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrt {
    /// First-layer weights and biases `(w_i, b_i)`.
    First,
    /// All parameters; with every `v_i ≠ 0` the rank is `rank [J | 1]`.
    All,
}

/// The first-layer Jacobian `J` (`n × mD`, row-major) of pattern `a` (`m` packed rows)
/// with output weights `v` (`m` values; `None` = all ones). Column `i·D + c` holds
/// `v_i A_ij x̃_jc`.
pub fn jacobian(data: &Data, a: &[u64], m: usize, v: Option<&[f64]>) -> Vec<f64> {
    let (n, dim, wd) = (data.n, data.dim, words(data.n));
    let cols = m * dim;
    let mut j_mat = vec![0.0; n * cols];
    for j in 0..n {
        let x = data.row(j);
        let row = &mut j_mat[j * cols..(j + 1) * cols];
        for i in 0..m {
            if bit(a, wd, i, j) {
                let vi = v.map_or(1.0, |v| v[i]);
                for c in 0..dim {
                    row[i * dim + c] = vi * x[c];
                }
            }
        }
    }
    j_mat
}

/// Numerical rank of a row-major matrix: `#{σ > tol}`, `tol = σ_max·max(r, c)·ε` by
/// default (NumPy's `matrix_rank`). With `want_margin`, also `σ_min(r,c) / σ_max` (0 for
/// a zero matrix), the margin of a full-rank decision (else NaN when a certificate
/// decided without singular values).
pub fn numerical_rank(
    a: &[f64],
    rows: usize,
    cols: usize,
    tol: Option<f64>,
    want_margin: bool,
) -> Result<(usize, f64)> {
    rank_with(a, rows, cols, tol, rows.max(cols), want_margin)
}

/// Rank with NumPy's semantics, where the default tolerance uses `tol_dim` in place
/// of `max(rows, cols)` (for a matrix that stands for a larger one with the same
/// singular values). Without `want_margin` the rank is certified from a
/// column-pivoted QR `A P = Q R` when possible: with `R₁₁` the leading `r × r` block,
/// `σ_r ≥ 1/‖R₁₁⁻¹‖_F`, `σ_{r+1} ≤ ‖R₂₂‖_F` and `|R₀₀| ≤ σ_max ≤ ‖R‖_F`, so `r` is the
/// rank whenever both bounds clear the tolerance interval; otherwise the singular
/// values (faer's SVD of `A`) decide. The margin is NaN when it was not computed.
pub fn rank_with(
    a: &[f64],
    rows: usize,
    cols: usize,
    tol: Option<f64>,
    tol_dim: usize,
    want_margin: bool,
) -> Result<(usize, f64)> {
    if rows == 0 || cols == 0 {
        return Ok((0, 0.0));
    }
    let m = MatRef::from_row_major_slice(a, rows, cols);
    let c = tol_dim as f64 * f64::EPSILON;
    let fro = |r: MatRef<'_, f64>| r.norm_l2();
    if rows.min(cols) >= LARGE {
        // Large matrices: one unpivoted QR on the pool, then the full-rank certificate
        // σ_min(R) ≥ 1/‖R⁻¹‖_F (blocked, k³/3 flops), else the singular values of R.
        // Measured at 3000 × 25720: QR 4.5 s, certificate 0.1 s, SVD of R 4 s.
        let r = linalg::qr_r(linalg::tall_copy(m), linalg::LARGE_PAR);
        let k = r.nrows();
        if !want_margin {
            let cut = tol.unwrap_or(fro(r.as_ref()) * c);
            if linalg::inverse_frobenius(r.as_ref(), linalg::LARGE_PAR)
                .is_some_and(|f| 1.0 / f > cut)
            {
                return Ok((k, f64::NAN));
            }
        }
        return rank_from_singular_values(
            &linalg::singular_values(r.as_ref(), linalg::LARGE_PAR)?,
            tol,
            c,
        );
    }
    if !want_margin {
        let r = linalg::col_piv_qr_r(linalg::tall_copy(m), Par::Seq);
        let k = r.nrows();
        let (tol_lo, tol_hi) = match tol {
            Some(t) => (t, t),
            None => (r[(0, 0)].abs() * c, fro(r.as_ref()) * c),
        };
        let rank = (0..k).take_while(|&i| r[(i, i)].abs() > tol_hi).count();
        let trailing = fro(r.submatrix(rank, rank, k - rank, k - rank));
        let lead_ok = rank == 0
            || linalg::inverse_frobenius(r.submatrix(0, 0, rank, rank), Par::Seq)
                .is_some_and(|f| 1.0 / f > tol_hi);
        if lead_ok && trailing <= tol_lo {
            return Ok((rank, f64::NAN));
        }
    }
    rank_from_singular_values(&linalg::singular_values(m, Par::Seq)?, tol, c)
}

/// NumPy's rule on singular values (largest first): the count above `tol`, by default
/// `σ_max · c`; with the margin `σ_min / σ_max`.
fn rank_from_singular_values(s: &[f64], tol: Option<f64>, c: f64) -> Result<(usize, f64)> {
    let smax = s.first().copied().unwrap_or(0.0);
    let tol = tol.unwrap_or(smax * c);
    let margin = if smax > 0.0 {
        s.last().copied().unwrap_or(0.0) / smax
    } else {
        0.0
    };
    Ok((s.iter().filter(|&&x| x > tol).count(), margin))
}

/// Smallest side from which [`rank_with`] takes the large-matrix path.
const LARGE: usize = 512;

/// Whether `σ_min(rows, cols)` of a row-major matrix certainly exceeds `cut`
/// (`1/‖R⁻¹‖_F > cut` for the R of a thin QR).
fn certified_full_rank(a: &[f64], rows: usize, cols: usize, cut: f64) -> bool {
    let m = MatRef::from_row_major_slice(a, rows, cols);
    let r = linalg::qr_r(linalg::tall_copy(m), Par::Seq);
    linalg::inverse_frobenius(r.as_ref(), Par::Seq).is_some_and(|f| 1.0 / f > cut)
}

/// The first-layer Jacobian with duplicate neurons merged: neurons with equal patterns
/// give equal column blocks up to `v_i`, so one block weighted by `sqrt(Σ v_i²)` has
/// the same `JJᵀ` (hence the same singular values); all-zero patterns are dropped.
/// Returns the matrix and its number of columns.
fn merged_jacobian(
    data: &Data,
    a: &[u64],
    m: usize,
    v: Option<&[f64]>,
    wrt: Wrt,
) -> (Vec<f64>, usize) {
    let (n, dim, wd) = (data.n, data.dim, words(data.n));
    let mut set = crate::patterns::PatternSet::new(wd);
    let mut weight2: Vec<f64> = Vec::new();
    for i in 0..m {
        let key = &a[i * wd..(i + 1) * wd];
        let vi = v.map_or(1.0, |v| v[i]);
        if vi == 0.0 || key.iter().all(|&w| w == 0) {
            continue;
        }
        let id = set
            .insert(key, crate::patterns::hash_words(key), 0, 1)
            .expect("fewer than 2^32 neurons");
        if id == weight2.len() {
            weight2.push(vi * vi);
        } else {
            weight2[id] += vi * vi;
        }
    }
    let k = weight2.len();
    let extra = (wrt == Wrt::All) as usize;
    let cols = k * dim + extra;
    let mut j_mat = vec![0.0; n * cols];
    for (id, w2) in weight2.iter().enumerate() {
        let key = set.key(id);
        let w = w2.sqrt();
        for j in 0..n {
            if key[j / 64] >> (j % 64) & 1 == 1 {
                let x = data.row(j);
                for c in 0..dim {
                    j_mat[j * cols + id * dim + c] = w * x[c];
                }
            }
        }
    }
    if extra == 1 {
        for j in 0..n {
            j_mat[j * cols + cols - 1] = 1.0;
        }
    }
    (j_mat, cols)
}

/// Exact rank of `J` (or `[J | 1]` for [`Wrt::All`]) from the Gram matrix
/// `(AᵀA) ∘ (X̃X̃ᵀ)` modulo `primes` (see [`max_rank_over_primes`]). Neurons with `v_i = 0` are dropped.
pub fn exact_jacobian_rank(
    data: &Data,
    a: &[u64],
    m: usize,
    v: Option<&[f64]>,
    wrt: Wrt,
    primes: &[u64],
) -> usize {
    let (n, dim, wd) = (data.n, data.dim, words(data.n));
    // Per point, the set of active neurons (bits over m).
    let mw = m.div_ceil(64).max(1);
    let mut cols = vec![0u64; n * mw];
    for i in 0..m {
        if v.is_some_and(|v| v[i] == 0.0) {
            continue;
        }
        for (w, &word) in a[i * wd..(i + 1) * wd].iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                let j = w * 64 + rest.trailing_zeros() as usize;
                cols[j * mw + i / 64] |= 1 << (i % 64);
                rest &= rest - 1;
            }
        }
    }
    let mut ata = vec![0u64; n * n];
    for j in 0..n {
        for k in j..n {
            let c: u32 = (0..mw)
                .map(|w| (cols[j * mw + w] & cols[k * mw + w]).count_ones())
                .sum();
            ata[j * n + k] = c as u64;
            ata[k * n + j] = c as u64;
        }
    }
    let full = n.min(m * dim + (wrt == Wrt::All) as usize);
    let mut g = vec![0.0f64; n * n];
    let mut xm = vec![0u64; n * dim];
    max_rank_over_primes(primes, full, |md| {
        let pow2 = Pow2::new(md);
        for (o, &x) in xm.iter_mut().zip(&data.xt) {
            *o = md.from_f64_with(x, &pow2);
        }
        for j in 0..n {
            let xj = &xm[j * dim..(j + 1) * dim];
            for k in j..n {
                // Products are below 2^52: sums of 1024 of them fit reduce()'s 2^62.
                let xk = &xm[k * dim..(k + 1) * dim];
                let dot = xj.chunks(1024).zip(xk.chunks(1024)).fold(0, |acc, (a, b)| {
                    md.reduce(acc + md.reduce(a.iter().zip(b).map(|(a, b)| a * b).sum()))
                });
                let mut e = md.mul(ata[j * n + k], dot);
                if wrt == Wrt::All {
                    e = md.reduce(e + 1);
                }
                g[j * n + k] = e as f64;
                g[k * n + j] = e as f64;
            }
        }
        md.rank_f64(&mut g, n, n)
    })
}

/// How to decide ranks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RankRule {
    /// Singular values with a tolerance (`None`: NumPy's default).
    Numerical(Option<f64>),
    /// Exact over Q, modulo this many random primes (seeded).
    Exact { primes: usize, seed: u64 },
}

/// Rank (and, when `want_margin`, the margin `σ_min/σ_max`; else NaN, and always NaN
/// for exact ranks) of the Jacobian of one pattern. Numerical ranks follow NumPy's
/// `matrix_rank` on the full Jacobian (duplicate neurons are merged without changing
/// the singular values).
pub fn jacobian_rank(
    data: &Data,
    a: &[u64],
    m: usize,
    v: Option<&[f64]>,
    wrt: Wrt,
    rule: RankRule,
    want_margin: bool,
) -> Result<(usize, f64)> {
    match rule {
        RankRule::Numerical(tol) => {
            let (j, cols) = merged_jacobian(data, a, m, v, wrt);
            let n = data.n;
            let tol_dim = n.max(m * data.dim + (wrt == Wrt::All) as usize);
            // NumPy's tolerance with σ_max bounded by ‖J‖_F.
            let cut = |fro: f64| tol.unwrap_or(fro * tol_dim as f64 * f64::EPSILON);
            // Certify full rank from the Gram matrix.
            if !want_margin && linalg::gram_certifies_full_rank(&j, n, cols, cut) {
                return Ok((n, f64::NAN));
            }
            // Certify full rank from the first ~2n columns: σ_n(J) ≥ σ_n(J_sub) (more
            // columns never lower it).
            let sub = (2 * n).div_ceil(data.dim) * data.dim;
            if !want_margin && cols >= 2 * sub {
                let fro = j.iter().map(|x| x * x).sum::<f64>().sqrt();
                let js: Vec<f64> = j
                    .chunks(cols)
                    .flat_map(|row| row[..sub].iter().copied())
                    .collect();
                if certified_full_rank(&js, n, sub, cut(fro)) {
                    return Ok((n, f64::NAN));
                }
            }
            rank_with(&j, n, cols, tol, tol_dim, want_margin)
        }
        RankRule::Exact { primes, seed } => {
            let ps = random_primes(primes, seed);
            Ok((exact_jacobian_rank(data, a, m, v, wrt, &ps), f64::NAN))
        }
    }
}

/// Ranks of a batch of `t` patterns (`t × m × words(n)`), in parallel.
pub fn jacobian_ranks(
    data: &Data,
    a: &[u64],
    t: usize,
    m: usize,
    v: Option<&[f64]>,
    wrt: Wrt,
    rule: RankRule,
    want_margin: bool,
    ctrl: &Control,
) -> Result<Vec<(usize, f64)>> {
    let wd = words(data.n);
    if a.len() != t * m * wd {
        return Err(invalid(
            "A",
            format!("expected {t} patterns of {m} rows of {wd} words"),
        ));
    }
    if v.is_some_and(|v| v.len() != m) {
        return Err(invalid("v", format!("expected {m} output weights")));
    }
    (0..t)
        .into_par_iter()
        .map(|k| {
            ctrl.check()?;
            let r = jacobian_rank(
                data,
                &a[k * m * wd..(k + 1) * m * wd],
                m,
                v,
                wrt,
                rule,
                want_margin,
            );
            ctrl.advance(1);
            r
        })
        .collect()
}

/// How activation patterns are sampled (MATH.md section 3; always report which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Random parameters: `Init::Torch` (PyTorch's `nn.Linear` default `U(±1/√d)`
    /// for weights and biases) or `Init::Gaussian` (`N(0, 1)` entries).
    Init(Init),
    /// `A` uniform over `{0,1}^{m×n}` (the count measure of the theorems).
    Uniform,
    /// Each neuron's row uniform over the realizable dichotomies of the data.
    Nonempty,
}

/// Parameter initializations of [`Scheme::Init`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    Torch,
    Gaussian,
}

/// Draw one pattern (`m` packed rows) under `scheme` with `rng`. `dichotomies`
/// (packed rows) is required for [`Scheme::Nonempty`].
pub fn sample_pattern(
    data: &Data,
    m: usize,
    scheme: Scheme,
    dichotomies: Option<&[u64]>,
    rng: &mut Rng,
    out: &mut [u64],
) {
    let (n, d, wd) = (data.n, data.d, words(data.n));
    match scheme {
        Scheme::Init(init) => {
            let bound = 1.0 / (d as f64).sqrt();
            let draw = |rng: &mut Rng| match init {
                Init::Torch => bound * (2.0 * rng.next_f64() - 1.0),
                Init::Gaussian => rng.normal(),
            };
            let w: Vec<f64> = (0..m * d).map(|_| draw(rng)).collect();
            let b: Vec<f64> = (0..m).map(|_| draw(rng)).collect();
            pattern_of(data, &w, &b, m, out);
        }
        Scheme::Uniform => {
            out.fill(0);
            for i in 0..m {
                for k in 0..wd {
                    let bits = if k + 1 == wd && n % 64 != 0 {
                        (1u64 << (n % 64)) - 1
                    } else {
                        u64::MAX
                    };
                    out[i * wd + k] = rng.next_u64() & bits;
                }
            }
        }
        Scheme::Nonempty => {
            let dich = dichotomies.expect("dichotomies are required for the nonempty scheme");
            let count = dich.len() / wd;
            for i in 0..m {
                let r = rng.below(count as u64) as usize;
                out[i * wd..(i + 1) * wd].copy_from_slice(&dich[r * wd..(r + 1) * wd]);
            }
        }
    }
}

/// Data of a phase-diagram trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDist {
    /// `U[0, 1]^{n×d}` (the Karhadkar et al. protocol).
    Uniform01,
    /// Standard Gaussian.
    Gaussian,
}

/// Draw `n × d` data.
pub fn sample_data(n: usize, d: usize, dist: DataDist, rng: &mut Rng) -> Vec<f64> {
    (0..n * d)
        .map(|_| match dist {
            DataDist::Uniform01 => rng.next_f64(),
            DataDist::Gaussian => rng.normal(),
        })
        .collect()
}

/// Relative tolerance of the degeneracy decisions of [`neuron_patterns`].
pub const DEGENERACY_TOL: f64 = 1e-10;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Orthonormal basis (modified Gram–Schmidt, twice) of the span of `vs`.
fn span_basis(vs: &[&[f64]], dim: usize) -> Vec<Vec<f64>> {
    let scale = vs.iter().map(|v| dot(v, v).sqrt()).fold(0.0, f64::max);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for v in vs {
        let mut r = v.to_vec();
        for _ in 0..2 {
            for q in &basis {
                let c = dot(&r, q);
                r.iter_mut().zip(q).for_each(|(x, y)| *x -= c * y);
            }
        }
        let norm = dot(&r, &r).sqrt();
        if norm > DEGENERACY_TOL * scale {
            r.iter_mut().for_each(|x| *x /= norm);
            basis.push(r);
            if basis.len() == dim {
                break;
            }
        }
    }
    basis
}

/// Chambers of the central arrangement with normals `vs` (vectors of `R^dim`, in
/// global point order `idx`): calls `emit` with the set of points positive on each
/// open chamber, as packed bits over the global indices.
fn chambers(
    vs: &[Vec<f64>],
    idx: &[usize],
    wd: usize,
    ctrl: &Control,
    emit: &mut dyn FnMut(&[u64]) -> Result<()>,
) -> Result<()> {
    ctrl.check()?;
    let dim = vs.first().map_or(0, Vec::len);
    let norms: Vec<f64> = vs.iter().map(|v| dot(v, v).sqrt()).collect();
    let scale = norms.iter().copied().fold(0.0, f64::max);
    let live: Vec<usize> = (0..vs.len())
        .filter(|&k| norms[k] > DEGENERACY_TOL * scale.max(f64::MIN_POSITIVE))
        .collect();
    if live.is_empty() || scale == 0.0 {
        return emit(&vec![0u64; wd]);
    }
    let refs: Vec<&[f64]> = live.iter().map(|&k| vs[k].as_slice()).collect();
    let basis = span_basis(&refs, dim);
    let r = basis.len();
    // Coordinates in the span.
    let coords: Vec<Vec<f64>> = live
        .iter()
        .map(|&k| basis.iter().map(|q| dot(&vs[k], q)).collect())
        .collect();
    let gidx: Vec<usize> = live.iter().map(|&k| idx[k]).collect();
    if r == 1 {
        for sign in [1.0, -1.0] {
            let mut key = vec![0u64; wd];
            for (c, &g) in coords.iter().zip(&gidx) {
                if sign * c[0] > 0.0 {
                    key[g / 64] |= 1 << (g % 64);
                }
            }
            emit(&key)?;
        }
        return Ok(());
    }
    // Independent normals: every sign combination is a chamber.
    if coords.len() == r {
        for mask in 0u64..(1 << r) {
            let mut key = vec![0u64; wd];
            for (q, &g) in gidx.iter().enumerate() {
                if mask >> q & 1 == 1 {
                    key[g / 64] |= 1 << (g % 64);
                }
            }
            emit(&key)?;
        }
        return Ok(());
    }
    // Rays: lines where r-1 independent hyperplanes meet. Each chamber touches one.
    let cn: Vec<f64> = coords.iter().map(|c| dot(c, c).sqrt()).collect();
    let mut seen_z: std::collections::HashSet<Vec<u64>> = std::collections::HashSet::new();
    let k = r - 1;
    let mut comb: Vec<usize> = (0..k).collect();
    loop {
        let sub: Vec<&[f64]> = comb.iter().map(|&q| coords[q].as_slice()).collect();
        let b = span_basis(&sub, r);
        if b.len() == k {
            // Normal of the subset: the standard basis vector with the largest residual.
            let mut w0 = vec![0.0; r];
            let mut best = -1.0;
            for e in 0..r {
                let mut res = vec![0.0; r];
                res[e] = 1.0;
                for q in &b {
                    let c = dot(&res, q);
                    res.iter_mut().zip(q).for_each(|(x, y)| *x -= c * y);
                }
                let nr = dot(&res, &res).sqrt();
                if nr > best {
                    best = nr;
                    w0 = res.iter().map(|x| x / nr).collect();
                }
            }
            let proj: Vec<f64> = coords.iter().map(|c| dot(c, &w0)).collect();
            let zmask: Vec<bool> = proj
                .iter()
                .zip(&cn)
                .map(|(p, n)| p.abs() <= DEGENERACY_TOL * n)
                .collect();
            let zkey: Vec<u64> = {
                let mut z = vec![0u64; coords.len().div_ceil(64)];
                for (q, &on) in zmask.iter().enumerate() {
                    if on {
                        z[q / 64] |= 1 << (q % 64);
                    }
                }
                z
            };
            if seen_z.insert(zkey) {
                let zv: Vec<Vec<f64>> = (0..coords.len())
                    .filter(|&q| zmask[q])
                    .map(|q| coords[q].clone())
                    .collect();
                let zi: Vec<usize> = (0..coords.len())
                    .filter(|&q| zmask[q])
                    .map(|q| gidx[q])
                    .collect();
                let mut local: Vec<Vec<u64>> = Vec::new();
                chambers(&zv, &zi, wd, ctrl, &mut |key| {
                    local.push(key.to_vec());
                    Ok(())
                })?;
                for sign in [1.0, -1.0] {
                    let mut base = vec![0u64; wd];
                    for (q, &g) in gidx.iter().enumerate() {
                        if !zmask[q] && sign * proj[q] > 0.0 {
                            base[g / 64] |= 1 << (g % 64);
                        }
                    }
                    for l in &local {
                        let key: Vec<u64> = base.iter().zip(l).map(|(a, b)| a | b).collect();
                        emit(&key)?;
                    }
                }
            }
        }
        // Next combination of k out of coords.len().
        let nvec = coords.len();
        let mut i = k;
        loop {
            if i == 0 {
                return Ok(());
            }
            i -= 1;
            if comb[i] < nvec - k + i {
                comb[i] += 1;
                for t in i + 1..k {
                    comb[t] = comb[t - 1] + 1;
                }
                break;
            }
        }
    }
}

/// Every pattern `[x̃_j·w > 0]_j` realized by one ReLU unit on an open set of
/// parameters (the chambers of the arrangement `{w : x̃_j·w = 0}`; with a bias these
/// are all dichotomies by affine hyperplanes). Returns packed rows (`words(n)` each),
/// sorted. For data in general position the count is Cover's `C(n, D)`; repeated or
/// collinear points give their true, smaller count. Degeneracy is decided with the
/// relative tolerance [`DEGENERACY_TOL`]. Cost `O(C(n, D-1) · n · D)`.
pub fn neuron_patterns(data: &Data, max_patterns: usize, ctrl: &Control) -> Result<Vec<u64>> {
    let wd = words(data.n);
    let vs: Vec<Vec<f64>> = (0..data.n).map(|j| data.row(j).to_vec()).collect();
    let idx: Vec<usize> = (0..data.n).collect();
    let mut set = crate::patterns::PatternSet::new(wd);
    chambers(&vs, &idx, wd, ctrl, &mut |key| {
        set.insert(key, crate::patterns::hash_words(key), 0, 1)?;
        if set.len() > max_patterns {
            return Err(crate::error::Error::LimitExceeded {
                name: "max_patterns".into(),
                limit: max_patterns as u64,
                message: "more realizable neuron patterns than the limit".into(),
            });
        }
        Ok(())
    })?;
    let mut keys: Vec<Vec<u64>> = (0..set.len()).map(|i| set.key(i).to_vec()).collect();
    keys.sort_unstable_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
    Ok(keys.concat())
}

/// Ranks of `t` sampled patterns of width `m` on fixed data (trial `k` draws from
/// stream `k` of `seed`, so results never depend on the thread count).
#[allow(clippy::too_many_arguments)]
pub fn sample_ranks(
    data: &Data,
    m: usize,
    t: usize,
    scheme: Scheme,
    wrt: Wrt,
    rule: RankRule,
    seed: u64,
    ctrl: &Control,
) -> Result<Vec<(usize, f64)>> {
    let dich = if scheme == Scheme::Nonempty {
        Some(neuron_patterns(data, usize::MAX, ctrl)?)
    } else {
        None
    };
    let wd = words(data.n);
    (0..t)
        .into_par_iter()
        .map_init(
            || vec![0u64; m * wd],
            |buf, k| {
                ctrl.check()?;
                let mut rng = Rng::new(seed, k as u64);
                sample_pattern(data, m, scheme, dich.as_deref(), &mut rng, buf);
                let r = jacobian_rank(data, buf, m, None, wrt, rule, false);
                ctrl.advance(1);
                r
            },
        )
        .collect()
}

/// A phase diagram over cells `(n, m)` with `trials` each: every trial draws its own
/// data (`dist`, `n × d`) and pattern, from stream `(cell, trial)` of `seed`.
/// Returns per cell `(number of full-rank trials, sum of ranks)`.
#[allow(clippy::too_many_arguments)]
pub fn phase_diagram(
    cells: &[(usize, usize)],
    d: usize,
    trials: usize,
    dist: DataDist,
    bias: bool,
    scheme: Scheme,
    wrt: Wrt,
    rule: RankRule,
    seed: u64,
    ctrl: &Control,
) -> Result<Vec<(u64, u64)>> {
    let total = cells.len() * trials;
    let ranks: Vec<(usize, bool)> = (0..total)
        .into_par_iter()
        .map(|flat| {
            ctrl.check()?;
            let (c, k) = (flat / trials, flat % trials);
            let (n, m) = cells[c];
            let mut rng = Rng::new(seed, ((c as u64) << 32) | k as u64);
            let x = sample_data(n, d, dist, &mut rng);
            let data = Data::new(&x, n, d, bias)?;
            let dich = if scheme == Scheme::Nonempty {
                Some(neuron_patterns(&data, usize::MAX, ctrl)?)
            } else {
                None
            };
            let mut a = vec![0u64; m * words(n)];
            sample_pattern(&data, m, scheme, dich.as_deref(), &mut rng, &mut a);
            let (r, _) = jacobian_rank(&data, &a, m, None, wrt, rule, false)?;
            ctrl.advance(1);
            Ok((r, r == n))
        })
        .collect::<Result<_>>()?;
    Ok((0..cells.len())
        .map(|c| {
            let rs = &ranks[c * trials..(c + 1) * trials];
            (
                rs.iter().filter(|r| r.1).count() as u64,
                rs.iter().map(|r| r.0 as u64).sum(),
            )
        })
        .collect())
}

/// `t` patterns of width `m` sampled on fixed data (`t × m × words(n)`); pattern `k`
/// is the one [`sample_ranks`] uses for trial `k` under the same seed.
pub fn sample_patterns(
    data: &Data,
    m: usize,
    t: usize,
    scheme: Scheme,
    seed: u64,
    ctrl: &Control,
) -> Result<Vec<u64>> {
    let dich = if scheme == Scheme::Nonempty {
        Some(neuron_patterns(data, usize::MAX, ctrl)?)
    } else {
        None
    };
    let wd = words(data.n);
    let mut out = vec![0u64; t * m * wd];
    out.par_chunks_mut((m * wd).max(1))
        .enumerate()
        .try_for_each(|(k, chunk)| {
            ctrl.check()?;
            let mut rng = Rng::new(seed, k as u64);
            sample_pattern(data, m, scheme, dich.as_deref(), &mut rng, chunk);
            Ok(())
        })?;
    Ok(out)
}
