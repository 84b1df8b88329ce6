//! The patterns a single neuron takes on the data: the chambers of the central
//! arrangement of the hyperplanes `{(w, b) : w·x_j + b = 0}` in parameter space,
//! decided exactly on the float64 data (issue 30 item 4).
//!
//! Every decision is the sign of a small determinant of data entries: with the data's
//! normals spanning a space of rank `r` and `cols` a set of `r` coordinates on which
//! the projection of that span is injective, the `r − 1` normals of a combination meet
//! in a ray `w`, and normal `q` is positive, negative or zero on it as
//! `det[c_comb; c_q]` (over `cols`) is; one global sign per ray does not matter, since
//! both signs of the ray are taken. The determinant is `Σ_k cof_k c_q[cols_k]` with the
//! combination's cofactors computed once, in float with a proven error bound (a
//! filter); a sign the filter cannot certify is recomputed in exact integers (the
//! float64 entries are dyadic rationals; Bareiss elimination on `BigInt`). So the count
//! is exact whatever the scale, offset or degeneracy of the data.

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use super::{words, Data};
use crate::control::Control;
use crate::error::Result;
use crate::hashset::{hash_words, WordMap};
use crate::regions::exact::num::to_ints;

/// Largest matrix order whose float determinant is filtered (`m!` terms); larger ones
/// are decided in exact integers directly.
const FILTER_MAX: usize = 4;

/// The entries the filter may multiply without underflow or overflow: `|x|` in
/// `[2^-150, 2^150]` (or 0), so a product of five stays normal.
fn filterable(x: f64) -> bool {
    x == 0.0 || (x.abs() >= 2f64.powi(-150) && x.abs() <= 2f64.powi(150))
}

/// `(value, bound)` of the determinant of `rows × cols` (`m ≤` [`FILTER_MAX`]) by the
/// permutation sum: `|value − det| ≤ bound` (each product of `m` factors and the sum of
/// `m!` terms rounded; entries [`filterable`]).
fn det_float(rows: &[&[f64]], cols: &[usize]) -> (f64, f64) {
    let m = cols.len();
    if m == 0 {
        return (1.0, 0.0);
    }
    let mut perm: Vec<usize> = (0..m).collect();
    let (mut sum, mut abs) = (0.0f64, 0.0f64);
    let mut terms = 0usize;
    permutations(&mut perm, 0, &mut |p, sign| {
        let mut t = 1.0f64;
        for (i, &c) in p.iter().enumerate() {
            t *= rows[i][cols[c]];
        }
        sum += sign * t;
        abs += t.abs();
        terms += 1;
    });
    let gamma = 1.01 * (m + terms) as f64 * f64::EPSILON;
    (sum, gamma * abs)
}

/// Calls `f(p, sign)` for every permutation of `perm[k..]` (Heap-free recursive swaps).
fn permutations(perm: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize], f64)) {
    fn rec(perm: &mut Vec<usize>, k: usize, sign: f64, f: &mut dyn FnMut(&[usize], f64)) {
        if k == perm.len() {
            f(perm, sign);
            return;
        }
        for i in k..perm.len() {
            perm.swap(k, i);
            rec(perm, k + 1, if i == k { sign } else { -sign }, f);
            perm.swap(k, i);
        }
    }
    rec(perm, k, 1.0, f);
}

/// The exact sign of the determinant of `rows × cols` (Bareiss elimination on the
/// entries as integers: each row scaled by a power of two, which keeps the sign).
fn det_sign_exact(rows: &[&[f64]], cols: &[usize]) -> i32 {
    let mut mat: Vec<Vec<BigInt>> = rows.iter().map(|r| row_ints(r, cols)).collect();
    let (rank, sign, _) = bareiss(&mut mat);
    if rank < cols.len() {
        0
    } else {
        sign
    }
}

/// The row's entries at `cols` as integers `n_c` with `row[c] = n_c 2^e` (one `e`).
fn row_ints(row: &[f64], cols: &[usize]) -> Vec<BigInt> {
    to_ints(&cols.iter().map(|&c| row[c]).collect::<Vec<_>>()).0
}

/// Fraction-free elimination with full pivoting on columns in order: the rank, the
/// sign of the leading `rank × rank` minor's determinant (row swaps counted; columns
/// taken in their order, so for a square matrix of full rank it is the determinant's
/// sign), and the pivot columns.
fn bareiss(mat: &mut [Vec<BigInt>]) -> (usize, i32, Vec<usize>) {
    let n = mat.len();
    let m = mat.first().map_or(0, Vec::len);
    let mut prev = BigInt::from(1);
    let mut sign = 1;
    let mut rank = 0;
    let mut pivots = Vec::new();
    for c in 0..m {
        if rank == n {
            break;
        }
        let Some(p) = (rank..n).find(|&i| !mat[i][c].is_zero()) else {
            continue;
        };
        if p != rank {
            mat.swap(p, rank);
            sign = -sign;
        }
        for i in rank + 1..n {
            for j in c + 1..m {
                let v = (&mat[rank][c] * &mat[i][j] - &mat[i][c] * &mat[rank][j]) / &prev;
                mat[i][j] = v;
            }
            mat[i][c] = BigInt::zero();
        }
        prev = mat[rank][c].clone();
        pivots.push(c);
        rank += 1;
    }
    let last = if rank > 0 {
        &mat[rank - 1][pivots[rank - 1]]
    } else {
        &prev
    };
    let s = if last.is_negative() { -sign } else { sign };
    (rank, s, pivots)
}

/// Chambers of the central arrangement with normals `vs` (all nonzero, of rank `r`,
/// the projection onto `cols` injective on their span; global point indices `idx`):
/// calls `emit` with the set of points positive on each open chamber, packed over the
/// global indices. Each level recurses on the normals through a ray (rank `r − 1`), so
/// the depth is at most the dimension.
#[allow(clippy::too_many_arguments)]
fn chambers(
    vs: &[&[f64]],
    idx: &[usize],
    r: usize,
    cols: &[usize],
    wd: usize,
    filter: bool,
    ctrl: &Control,
    emit: &mut dyn FnMut(&[u64]) -> Result<()>,
) -> Result<()> {
    ctrl.check()?;
    let n = vs.len();
    if r == 1 {
        // One line: every normal is a multiple of the first; its sign at `cols[0]`.
        for sign in [1.0, -1.0] {
            emit(&key_where(idx, wd, |q| sign * vs[q][cols[0]] > 0.0))?;
        }
        return Ok(());
    }
    if n == r {
        // Independent normals: every sign combination is a chamber.
        for mask in 0u64..(1 << r) {
            emit(&key_where(idx, wd, |q| mask >> q & 1 == 1))?;
        }
        return Ok(());
    }
    // Rays: where r − 1 independent normals' hyperplanes meet. Each chamber touches one.
    let mut seen_z: WordMap<()> = WordMap::new(n.div_ceil(64).max(1));
    let k = r - 1;
    let mut comb: Vec<usize> = (0..k).collect();
    let mut signs = vec![0i32; n];
    loop {
        ctrl.check()?;
        let rows: Vec<&[f64]> = comb.iter().map(|&q| vs[q]).collect();
        if let Some(cof) = cofactors(&rows, cols, filter) {
            for q in 0..n {
                signs[q] = if comb.contains(&q) {
                    0
                } else {
                    ray_sign(&rows, vs[q], cols, &cof, filter)
                };
            }
            let on_ray = |q: usize| signs[q] == 0;
            let all: Vec<usize> = (0..n).collect();
            let z = key_where(&all, seen_z.words(), on_ray);
            if seen_z.insert_new(&z, hash_words(&z), ())? {
                let zq: Vec<usize> = (0..n).filter(|&q| on_ray(q)).collect();
                let zv: Vec<&[f64]> = zq.iter().map(|&q| vs[q]).collect();
                let zi: Vec<usize> = zq.iter().map(|&q| idx[q]).collect();
                // Columns for the ray's span: drop one whose cofactor is nonzero.
                let drop = cof.iter().position(|c| c.1 != 0).unwrap_or(0);
                let sub_cols: Vec<usize> = (0..r).filter(|&c| c != drop).map(|c| cols[c]).collect();
                let mut local: Vec<Vec<u64>> = Vec::new();
                chambers(&zv, &zi, r - 1, &sub_cols, wd, filter, ctrl, &mut |key| {
                    local.push(key.to_vec());
                    Ok(())
                })?;
                for sign in [1, -1] {
                    let base = key_where(idx, wd, |q| sign * signs[q] > 0);
                    for l in &local {
                        let key: Vec<u64> = base.iter().zip(l).map(|(a, b)| a | b).collect();
                        emit(&key)?;
                    }
                }
            }
        }
        if !next_combination(&mut comb, n) {
            return Ok(());
        }
    }
}

/// A cofactor of the combination's ray: `(value, sign)` where `sign` is exact (0, ±1)
/// and `value` a float approximation, with the filter's bound.
type Cofactor = (f64, i32, f64);

/// The cofactors `cof_c = (−1)^(k+c) det(rows over cols \ {c})` of the row expansion
/// `det[rows; x] = Σ_c cof_c x[cols_c]`, with exact signs; `None` when every one is zero
/// (the rows are dependent: no ray).
fn cofactors(rows: &[&[f64]], cols: &[usize], filter: bool) -> Option<Vec<Cofactor>> {
    let r = cols.len();
    let k = rows.len();
    let mut out = Vec::with_capacity(r);
    for c in 0..r {
        let minor: Vec<usize> = (0..r).filter(|&j| j != c).map(|j| cols[j]).collect();
        let parity = if (k + c) % 2 == 0 { 1.0 } else { -1.0 };
        let (v, b) = if filter && k <= FILTER_MAX {
            det_float(rows, &minor)
        } else {
            (0.0, f64::INFINITY)
        };
        let s = if v.abs() > b {
            v.signum() as i32
        } else {
            det_sign_exact(rows, &minor)
        };
        let (v, b) = if s == 0 { (0.0, 0.0) } else { (v, b) };
        out.push((parity * v, (parity as i32) * s, b));
    }
    out.iter().any(|c| c.1 != 0).then_some(out)
}

/// The exact sign of `det[rows; x]` over `cols`: the filtered cofactor expansion, or
/// the exact determinant when the filter cannot decide.
fn ray_sign(rows: &[&[f64]], x: &[f64], cols: &[usize], cof: &[Cofactor], filter: bool) -> i32 {
    if rows.contains(&x) {
        return 0;
    }
    if filter && rows.len() <= FILTER_MAX && cof.iter().all(|c| c.2.is_finite()) {
        let (mut sum, mut err, mut abs) = (0.0f64, 0.0f64, 0.0f64);
        for (c, &(v, _, b)) in cof.iter().enumerate() {
            let xc = x[cols[c]];
            sum += v * xc;
            abs += (v * xc).abs();
            err += b * xc.abs();
        }
        let bound =
            err * (1.0 + 1e-10) + 1.01 * (cols.len() + 1) as f64 * f64::EPSILON * (abs + err);
        if sum.abs() > bound {
            return sum.signum() as i32;
        }
    }
    let mut all: Vec<&[f64]> = rows.to_vec();
    all.push(x);
    det_sign_exact(&all, cols)
}

/// A packed row of `wd` words with bit `gidx[q]` set for every `q` where `pred(q)`.
fn key_where(gidx: &[usize], wd: usize, pred: impl Fn(usize) -> bool) -> Vec<u64> {
    let mut key = vec![0u64; wd];
    for (q, &g) in gidx.iter().enumerate() {
        if pred(q) {
            key[g / 64] |= 1 << (g % 64);
        }
    }
    key
}

/// Advance `comb` (increasing indices) to the next combination of `comb.len()` out
/// of `n` in lexicographic order; `false` after the last one.
fn next_combination(comb: &mut [usize], n: usize) -> bool {
    let k = comb.len();
    let mut i = k;
    loop {
        if i == 0 {
            return false;
        }
        i -= 1;
        if comb[i] < n - k + i {
            comb[i] += 1;
            for t in i + 1..k {
                comb[t] = comb[t - 1] + 1;
            }
            return true;
        }
    }
}

/// Every pattern `[x̃_j·w > 0]_j` realized by one ReLU unit on an open set of
/// parameters (the chambers of the arrangement `{w : x̃_j·w = 0}`; with a bias these
/// are all dichotomies by affine hyperplanes). Returns packed rows (`words(n)` each),
/// sorted. For data in general position the count is Cover's `C(n, D)`; repeated or
/// collinear points give their true, smaller count, decided exactly on the float64
/// data (see the module docs): any scale or translation. Cost `O(C(n, D−1) · n · D)`
/// plus exact determinants where the data are degenerate.
pub fn neuron_patterns(data: &Data, max_patterns: usize, ctrl: &Control) -> Result<Vec<u64>> {
    let wd = words(data.n);
    let live: Vec<usize> = (0..data.n)
        .filter(|&j| data.row(j).iter().any(|&v| v != 0.0))
        .collect();
    let vs: Vec<&[f64]> = live.iter().map(|&j| data.row(j)).collect();
    let filter = data.xt.iter().all(|&x| filterable(x));
    let mut set = crate::patterns::PatternSet::new(wd);
    let mut add = |key: &[u64]| -> Result<()> {
        set.insert(key, crate::hashset::hash_words(key), 0, 1)?;
        if set.len() > max_patterns {
            return Err(crate::error::Error::LimitExceeded {
                name: "max_patterns".into(),
                limit: max_patterns as u64,
                message: "more realizable neuron patterns than the limit".into(),
            });
        }
        Ok(())
    };
    if vs.is_empty() {
        add(&vec![0u64; wd])?;
    } else {
        // The rank and a set of columns with a nonzero minor, exactly.
        let mut mat: Vec<Vec<BigInt>> = vs
            .iter()
            .map(|r| row_ints(r, &(0..data.dim).collect::<Vec<_>>()))
            .collect();
        let (r, _, cols) = bareiss(&mut mat);
        chambers(&vs, &live, r, &cols, wd, filter, ctrl, &mut add)?;
    }
    let mut keys: Vec<Vec<u64>> = (0..set.len()).map(|i| set.key(i).to_vec()).collect();
    keys.sort_unstable_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
    Ok(keys.concat())
}
