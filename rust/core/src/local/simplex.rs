//! A dual simplex for `min g·y` over a box cut by few half-spaces,
//! `P = {y ∈ [lo, hi] : A y ≥ b}` with `m ≪ d` rows: the LP of exact local counts in
//! high dimension (issue 11 item 1), specialized to that structure.
//!
//! The box's minimizing vertex (`y_i = lo_i` where `g_i ≥ 0`, else `hi_i`) with the
//! slacks `s = A y − b` basic is dual feasible, so the dual simplex starts there with no
//! phase 1 and only `m × m` basis matrices: an iteration costs `O(m d)` (one row of
//! `B⁻¹ N`) plus `O(m²)`. The generic solvers measured for this LP (clarabel, microlp:
//! docs/DEVELOPING.md, "LP candidates measured") factor `d + m` variables and take
//! milliseconds in `d = 784`; this takes tens of microseconds for tens of cuts.
//!
//! It is a float heuristic like them: the walk uses its multipliers only through
//! [`super::dual::lower_bound`] (a proven bound for any `λ ≥ 0`) and its minimizer
//! only as the direction of a ray whose points are certified; a failure (iteration
//! cap, a tiny pivot, no entering variable) returns `None`, and the caller falls back
//! to the interior-point solver.

/// Relative feasibility tolerance of the basic variables.
const FEAS: f64 = 1e-11;
/// Smallest pivot accepted, relative to the row's largest entry.
const PIVOT: f64 = 1e-9;

/// A ratio-test candidate `(ratio, |pivot|, variable)`, ordered by ratio, then by the
/// larger pivot first.
struct Cand(f64, f64, usize);

impl PartialEq for Cand {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .total_cmp(&other.0)
            .then(other.1.total_cmp(&self.1))
            .then(self.2.cmp(&other.2))
    }
}

/// Solve `min g·y` subject to `A y ≥ b` (`A`: `m × d`, row-major) and `lo ≤ y ≤ hi`:
/// an approximate minimizer (clamped to the box) and the rows' multipliers `λ ≥ 0`, or
/// `None` when the method stops without an optimum (see the module docs).
pub fn minimize(
    g: &[f64],
    a: &[f64],
    b: &[f64],
    lo: &[f64],
    hi: &[f64],
) -> Option<(Vec<f64>, Vec<f64>)> {
    let (d, m) = (g.len(), b.len());
    debug_assert!(a.len() == m * d && lo.len() == d && hi.len() == d);
    // Variables 0..d are y, d..d+m the slacks s_j = A_j·y − b_j ≥ 0; the rows are
    // A y − s = b. `basis[r]` is row r's basic variable; `pos[v]` its row or NONE.
    const NONE: usize = usize::MAX;
    let n = d + m;
    let l = |v: usize| if v < d { lo[v] } else { 0.0 };
    let u = |v: usize| if v < d { hi[v] } else { f64::INFINITY };
    let mut x = vec![0.0; n];
    let mut dj = vec![0.0; n];
    for i in 0..d {
        x[i] = if g[i] >= 0.0 { lo[i] } else { hi[i] };
        dj[i] = g[i];
    }
    let mut basis: Vec<usize> = (d..n).collect();
    let mut pos = vec![NONE; n];
    for (r, &v) in basis.iter().enumerate() {
        pos[v] = r;
    }
    for j in 0..m {
        let row = &a[j * d..(j + 1) * d];
        x[d + j] = row.iter().zip(&x[..d]).map(|(p, q)| p * q).sum::<f64>() - b[j];
    }
    // B⁻¹ (m × m, row-major): the slack columns are −e_j, so B = −I.
    let mut binv = vec![0.0; m * m];
    for r in 0..m {
        binv[r * m + r] = -1.0;
    }
    let scale = |v: usize| {
        1.0 + l(v)
            .abs()
            .max(if u(v).is_finite() { u(v).abs() } else { 0.0 })
    };
    let mut alpha = vec![0.0; n];
    let mut col = vec![0.0; m];
    let mut cands: Vec<(f64, f64, usize)> = Vec::new();
    let mut flips: Vec<usize> = Vec::new();
    for _ in 0..(20 * (m + 10)) {
        // Leaving row: the largest bound violation (relative).
        let mut leave = None;
        let mut worst = 0.0;
        for (r, &v) in basis.iter().enumerate() {
            let tol = FEAS * scale(v);
            let (below, above) = (l(v) - x[v], x[v] - u(v));
            let viol = below.max(above);
            if viol > tol && viol / scale(v) > worst {
                worst = viol / scale(v);
                leave = Some((r, if below > 0.0 { 1.0 } else { -1.0 }));
            }
        }
        let Some((r, sigma)) = leave else {
            let y = (0..d).map(|i| x[i].clamp(lo[i], hi[i])).collect();
            let lam = (0..m).map(|j| dj[d + j].max(0.0)).collect();
            return Some((y, lam));
        };
        // Row r of B⁻¹ N: y columns A[:, i], slack columns −e_j.
        let rho = &binv[r * m..(r + 1) * m];
        alpha[..d].fill(0.0);
        for (j, &p) in rho.iter().enumerate() {
            if p != 0.0 {
                for (ai, &aji) in alpha[..d].iter_mut().zip(&a[j * d..(j + 1) * d]) {
                    *ai += p * aji;
                }
            }
        }
        for j in 0..m {
            alpha[d + j] = -rho[j];
        }
        let big = alpha
            .iter()
            .enumerate()
            .filter(|&(v, _)| pos[v] == NONE)
            .fold(0.0f64, |mx, (_, a)| mx.max(a.abs()));
        // Ratio test with bound flipping: candidates by the step `t` at which their
        // reduced cost reaches 0 as the leaving variable's moves to `σ t`. Passing a
        // boxed candidate flips it to its other bound, which lowers the leaving row's
        // violation by `|α| (u − l)`; the first candidate that would use it all up
        // enters (ties: the largest pivot).
        cands.clear();
        for v in 0..n {
            if pos[v] != NONE {
                continue;
            }
            let av = sigma * alpha[v];
            if av.abs() <= PIVOT * big {
                continue;
            }
            let at_upper = x[v] == u(v) && x[v] != l(v);
            let eligible = if at_upper { av > 0.0 } else { av < 0.0 };
            if !eligible {
                continue;
            }
            let dv = if at_upper { -dj[v] } else { dj[v] };
            cands.push((dv.max(0.0) / av.abs(), av.abs(), v));
        }
        // A heap (built in O(n)): usually only a few candidates are passed.
        let mut heap = std::collections::BinaryHeap::from(
            cands
                .drain(..)
                .map(|(ratio, av, v)| std::cmp::Reverse(Cand(ratio, av, v)))
                .collect::<Vec<_>>(),
        );
        let lv = basis[r];
        let target = if sigma > 0.0 { l(lv) } else { u(lv) };
        let mut slope = (x[lv] - target).abs();
        let mut enter = None;
        flips.clear();
        while let Some(std::cmp::Reverse(Cand(ratio, av, v))) = heap.pop() {
            let range = u(v) - l(v);
            let after = slope - av * range;
            if after > 0.0 && range.is_finite() {
                flips.push(v);
                slope = after;
            } else {
                enter = Some((v, ratio));
                break;
            }
        }
        let (q, t) = enter?;
        if !flips.is_empty() {
            // x_B −= B⁻¹ (Σ a_v Δ_v) over the flipped (boxed: y) columns.
            let mut shift = vec![0.0; m];
            for &v in &flips {
                let delta = if x[v] == u(v) {
                    l(v) - u(v)
                } else {
                    u(v) - l(v)
                };
                x[v] += delta;
                for (j, sj) in shift.iter_mut().enumerate() {
                    *sj += a[j * d + v] * delta;
                }
            }
            for (i, &bv) in basis.iter().enumerate() {
                x[bv] -= (0..m).map(|j| binv[i * m + j] * shift[j]).sum::<f64>();
            }
        }
        // Reduced costs.
        for v in 0..n {
            if pos[v] == NONE {
                dj[v] += sigma * t * alpha[v];
            }
        }
        dj[q] = 0.0;
        dj[lv] = sigma * t;
        // The entering column B⁻¹ a_q.
        if q < d {
            for (i, c) in col.iter_mut().enumerate() {
                *c = (0..m).map(|j| binv[i * m + j] * a[j * d + q]).sum();
            }
        } else {
            for (i, c) in col.iter_mut().enumerate() {
                *c = -binv[i * m + (q - d)];
            }
        }
        if col[r].abs() <= PIVOT * col.iter().fold(0.0f64, |mx, c| mx.max(c.abs())) {
            return None;
        }
        // Primal step: the leaving variable lands on its violated bound.
        let step = (x[lv] - target) / col[r];
        for (i, &bv) in basis.iter().enumerate() {
            x[bv] -= col[i] * step;
        }
        x[lv] = target;
        x[q] += step;
        // B⁻¹ update (Gauss–Jordan on the pivot column).
        let piv = col[r];
        for c in 0..m {
            binv[r * m + c] /= piv;
        }
        for i in 0..m {
            if i != r && col[i] != 0.0 {
                let f = col[i];
                for c in 0..m {
                    binv[i * m + c] -= f * binv[r * m + c];
                }
            }
        }
        pos[lv] = NONE;
        pos[q] = r;
        basis[r] = q;
        if !x.iter().all(|v| v.is_finite()) {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::dual::lower_bound;

    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// Cells around a point with cuts through the box: the minimizer is feasible and
    /// its objective equals the proven lower bound of its multipliers (so both are
    /// optimal), in several dimensions and numbers of cuts.
    #[test]
    fn optimum_matches_its_dual_bound() {
        let mut s = 7u64;
        for &(d, m) in &[(3usize, 2usize), (10, 6), (50, 20), (784, 40), (200, 120)] {
            for _ in 0..5 {
                let x: Vec<f64> = (0..d).map(|_| lcg(&mut s)).collect();
                let r = 0.05;
                let lo: Vec<f64> = x.iter().map(|v| v - r).collect();
                let hi: Vec<f64> = x.iter().map(|v| v + r).collect();
                let mut a: Vec<f64> = (0..m * d).map(|_| lcg(&mut s)).collect();
                // Degenerate rows: a duplicated cut, a zero row, small integers.
                if m >= 3 {
                    let first = a[..d].to_vec();
                    a[d..2 * d].copy_from_slice(&first);
                    a[2 * d..3 * d].fill(0.0);
                }
                if m >= 6 {
                    for v in &mut a[3 * d..6 * d] {
                        *v = (*v * 3.0).round();
                    }
                }
                // Cuts through points near x, oriented so that x satisfies them.
                let b: Vec<f64> = (0..m)
                    .map(|j| {
                        let row = &a[j * d..(j + 1) * d];
                        let ax: f64 = row.iter().zip(&x).map(|(p, q)| p * q).sum();
                        let l1: f64 = row.iter().map(|v| v.abs()).sum();
                        ax - 0.3 * r * l1 * (lcg(&mut s) + 1.0) / 2.0
                    })
                    .collect();
                let g: Vec<f64> = (0..d).map(|_| lcg(&mut s)).collect();
                let (y, lam) = minimize(&g, &a, &b, &lo, &hi).expect("optimum");
                let obj: f64 = g.iter().zip(&y).map(|(p, q)| p * q).sum();
                for j in 0..m {
                    let row = &a[j * d..(j + 1) * d];
                    let ay: f64 = row.iter().zip(&y).map(|(p, q)| p * q).sum();
                    assert!(ay >= b[j] - 1e-9 * (1.0 + b[j].abs()), "cut {j} violated");
                }
                let lb = lower_bound(&g, &a, &b, &lo, &hi, &lam);
                assert!(
                    lb <= obj + 1e-9 && obj - lb <= 1e-8 * (1.0 + obj.abs()),
                    "{d} {m}: {obj} vs {lb}"
                );
            }
        }
    }
}
