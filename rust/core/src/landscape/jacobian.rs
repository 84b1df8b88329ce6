//! The first-layer Jacobian in the region of a pattern, and its rank: numerical
//! (singular values, with certificates) or exact (modulo primes).

use rayon::prelude::*;

use super::{words, Data};
use crate::bits::get_bit;
use crate::control::Control;
use crate::error::{invalid, try_zeroed, Result};
use crate::linalg;
use crate::linalg::modp::{max_rank_over_primes, random_primes, Pow2};
use crate::linalg::rank::{certified_full_rank, rank_with};

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
/// The matrix is asked for before it is used ([`crate::Error::OutOfMemory`] naming it).
pub fn jacobian(data: &Data, a: &[u64], m: usize, v: Option<&[f64]>) -> Result<Vec<f64>> {
    let (n, dim, wd) = (data.n, data.dim, words(data.n));
    let cols = m * dim;
    let mut j_mat = try_zeroed::<f64>(&[n, m, dim], "the Jacobian")?;
    for j in 0..n {
        let x = data.row(j);
        let row = &mut j_mat[j * cols..(j + 1) * cols];
        for i in 0..m {
            if get_bit(&a[i * wd..], j) {
                let vi = v.map_or(1.0, |v| v[i]);
                for c in 0..dim {
                    row[i * dim + c] = vi * x[c];
                }
            }
        }
    }
    Ok(j_mat)
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
) -> Result<(Vec<f64>, usize)> {
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
            .insert(key, crate::hashset::hash_words(key), 0, 1)
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
    let mut j_mat = try_zeroed::<f64>(&[n, cols], "the Jacobian")?;
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
    Ok((j_mat, cols))
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
            let (j, cols) = merged_jacobian(data, a, m, v, wrt)?;
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

/// Ranks of a batch of `t` patterns (`t × m × words(n)`), in parallel: [`jacobian_rank`]
/// of each pattern, plus the batch shape and the control.
#[allow(clippy::too_many_arguments)] // jacobian_rank's arguments, the batch and control
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
            // Under the control's scope: large eliminations and factorizations stop
            // within a panel on Ctrl-C (their partial result is discarded here).
            let r = ctrl.scope(|| {
                jacobian_rank(
                    data,
                    &a[k * m * wd..(k + 1) * m * wd],
                    m,
                    v,
                    wrt,
                    rule,
                    want_margin,
                )
            });
            ctrl.check()?;
            ctrl.advance(1);
            r
        })
        .collect()
}
