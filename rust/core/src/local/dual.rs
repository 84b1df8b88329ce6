//! Lagrangian bounds of a linear function over a box cut by half-spaces: the building
//! block of exact local region counts in high dimension (issue 11 item 1; the design is
//! in docs/DEVELOPING.md, "Issue 11 item 1").
//!
//! A cell of a local count is `P = {y ∈ [lo, hi] : A y ≥ b}` with few cuts (`m` rows of
//! `A`, `m ≪ d`). For every `λ ≥ 0` (weak duality),
//!
//! `min_{y ∈ P} g·y ≥ λᵀb + min_{y ∈ box} (g − Aᵀλ)·y = λᵀb + Σ_i min(c_i lo_i, c_i hi_i)`
//!
//! with `c = g − Aᵀλ`, evaluated in `O(md)`. [`lower_bound`] returns a float that is a
//! proven lower bound of the left side whatever `λ ≥ 0` is (the rounding of every step
//! is bounded), so a multiplier found by any heuristic is a certificate: a unit whose
//! map `g·y + g0` has a positive lower bound on `P` does not cut the cell. A child cell
//! only adds a cut, so the parent's `λ` (0 on the new cut) stays valid. [`improve`]
//! raises the bound by exact coordinate ascent on the dual (a concave piecewise-linear
//! function of one multiplier at a time); by LP duality the best `λ` gives the minimum
//! itself, and any `λ` gives a valid bound.
//!
//! Used by the halfspace cells of local counts ([`crate::regions::HCell`]), which add
//! certified interior points and an LP as the last resort.

const EPS: f64 = f64::EPSILON;

/// `γ_n = n ε / (1 − n ε)`, rounded up generously (`n ε < 1/2` assumed: `2 n ε`).
#[inline]
fn gamma(n: usize) -> f64 {
    2.0 * n as f64 * EPS
}

/// A proven lower bound of `min g·y` over `{y ∈ [lo, hi] : A y ≥ b}` (`A` is `m × d`,
/// row-major) from the multipliers `lambda` (`m` values; negative or non-finite ones
/// are treated as 0). `-∞` when the box is unbounded in a direction the bound needs, or
/// the inputs are not finite. When the cell is empty any value is a valid bound.
pub fn lower_bound(g: &[f64], a: &[f64], b: &[f64], lo: &[f64], hi: &[f64], lambda: &[f64]) -> f64 {
    let (d, m) = (g.len(), b.len());
    debug_assert!(a.len() == m * d && lo.len() == d && hi.len() == d && lambda.len() == m);
    let lam = |j: usize| {
        let l = lambda[j];
        if l.is_finite() && l > 0.0 {
            l
        } else {
            0.0
        }
    };
    // λᵀb and its absolute terms.
    let (mut sum, mut abs_sum) = (0.0f64, 0.0f64);
    for (j, bj) in b.iter().enumerate() {
        let t = lam(j) * bj;
        sum += t;
        abs_sum += t.abs();
    }
    // c_i = g_i − Σ_j λ_j A_ji with |c*_i − c_i| ≤ γ_{m+1} (|g_i| + Σ_j λ_j |A_ji|) =: e_i;
    // the box term min(c*_i lo_i, c*_i hi_i) ≥ min(c_i lo_i, c_i hi_i) − e_i max(|lo_i|, |hi_i|).
    let mut slack = 0.0f64;
    for i in 0..d {
        let (mut c, mut mag) = (g[i], g[i].abs());
        for j in 0..m {
            let t = lam(j) * a[j * d + i];
            c -= t;
            mag += t.abs();
        }
        // (Each of the m products may also underflow, by at most MIN_POSITIVE.)
        let e = gamma(m + 1) * mag + m as f64 * f64::MIN_POSITIVE;
        let t = (c * lo[i]).min(c * hi[i]);
        sum += t;
        abs_sum += t.abs();
        slack += e * lo[i].abs().max(hi[i].abs());
    }
    // The sum of m + d rounded products (each rounding relative ε, underflow at most
    // MIN_POSITIVE per product), then the slack and the bound's own rounding.
    let n = m + d + 1;
    let err = (gamma(n) * abs_sum + slack + n as f64 * f64::MIN_POSITIVE) * (1.0 + gamma(n + 4));
    let out = sum - err;
    if out.is_nan() {
        f64::NEG_INFINITY
    } else {
        // One more rounding of the subtraction: step down by one relative ulp.
        out - out.abs() * 2.0 * EPS - f64::MIN_POSITIVE
    }
}

/// The dual function `φ(λ) = λᵀb + Σ_i min(c_i lo_i, c_i hi_i)`, in float (no bound:
/// the search's objective only).
fn dual_value(g: &[f64], a: &[f64], b: &[f64], lo: &[f64], hi: &[f64], lambda: &[f64]) -> f64 {
    let d = g.len();
    let mut s: f64 = lambda.iter().zip(b).map(|(l, b)| l * b).sum();
    for i in 0..d {
        let c = g[i]
            - lambda
                .iter()
                .enumerate()
                .map(|(j, l)| l * a[j * d + i])
                .sum::<f64>();
        s += (c * lo[i]).min(c * hi[i]);
    }
    s
}

/// Multipliers that raise [`lower_bound`]: `sweeps` rounds of exact coordinate ascent
/// on the dual from `lambda` (each multiplier in turn set to a maximizer of the concave
/// piecewise-linear `φ` along it, over `λ_j ≥ 0`). Deterministic; the result is only
/// a heuristic's (the bound it gives is proven by [`lower_bound`]).
pub fn improve(
    g: &[f64],
    a: &[f64],
    b: &[f64],
    lo: &[f64],
    hi: &[f64],
    lambda: &[f64],
    sweeps: usize,
) -> Vec<f64> {
    let (d, m) = (g.len(), b.len());
    let mut lam: Vec<f64> = lambda
        .iter()
        .map(|&l| if l.is_finite() { l.max(0.0) } else { 0.0 })
        .collect();
    // c = g − Aᵀλ, kept up to date.
    let mut c: Vec<f64> = (0..d)
        .map(|i| g[i] - (0..m).map(|j| lam[j] * a[j * d + i]).sum::<f64>())
        .collect();
    let mut kinks: Vec<(f64, f64)> = Vec::with_capacity(d);
    for _ in 0..sweeps {
        for j in 0..m {
            // Along λ_j = t: c_i(t) = c0_i − t A_ji with c0 = c + λ_j A_j. φ(t) = t b_j +
            // Σ_i min(c_i(t) lo_i, c_i(t) hi_i) + const; its slope at t is b_j − Σ_i A_ji
            // y_i(t), y_i = lo_i where c_i(t) > 0, hi_i where c_i(t) < 0. Each i with
            // A_ji ≠ 0 has one kink at t_i = c0_i / A_ji, where the slope drops by
            // |A_ji| (hi_i − lo_i).
            let row = &a[j * d..(j + 1) * d];
            let mut slope = b[j];
            kinks.clear();
            for i in 0..d {
                let aji = row[i];
                if aji == 0.0 {
                    continue;
                }
                let c0 = c[i] + lam[j] * aji;
                let ti = c0 / aji;
                // For t below the kink (t → -∞ side) y_i is the value at small t.
                let y_small = if aji > 0.0 { lo[i] } else { hi[i] }; // c_i(t) > 0 iff t < ti when aji > 0
                slope -= aji * y_small;
                kinks.push((ti, aji.abs() * (hi[i] - lo[i])));
            }
            // The slope at t = 0+ : pass the kinks at t ≤ 0 (unsorted), then walk the
            // others in increasing order while the slope stays positive (sorted lazily:
            // most searches stop after a few kinks).
            let mut t_best = 0.0f64;
            kinks.retain(|&(t, drop)| {
                if t <= 0.0 {
                    slope -= drop;
                    false
                } else {
                    true
                }
            });
            let mut k = 0;
            let mut sorted_upto = 0;
            while slope > 0.0 && k < kinks.len() {
                if k == sorted_upto {
                    // Sort the next block of the smallest remaining kinks.
                    let rest = &mut kinks[k..];
                    let take = (2 * (sorted_upto + 8)).min(rest.len());
                    if take < rest.len() {
                        rest.select_nth_unstable_by(take, |x, y| x.0.total_cmp(&y.0));
                    }
                    rest[..take].sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
                    sorted_upto = k + take;
                }
                t_best = kinks[k].0;
                slope -= kinks[k].1;
                k += 1;
            }
            if slope > 0.0 || !t_best.is_finite() {
                continue; // unbounded along λ_j (the cell is empty) or no finite kink: keep
            }
            let old = lam[j];
            for i in 0..d {
                c[i] += (old - t_best) * row[i];
            }
            lam[j] = t_best.max(0.0);
        }
    }
    // Keep the start when the search did not help (rounding in `c`).
    if dual_value(g, a, b, lo, hi, &lam) >= dual_value(g, a, b, lo, hi, lambda) {
        lam
    } else {
        lambda
            .iter()
            .map(|&l| if l.is_finite() { l.max(0.0) } else { 0.0 })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Rng;
    use num_bigint::BigInt;

    /// The minimum of `g·y` over the cell by brute force (small `d`): every vertex is
    /// the solution of `d` active constraints (box faces or cuts); keep the feasible
    /// ones. `None` when no vertex is feasible (empty cell).
    fn brute_min(g: &[f64], a: &[f64], b: &[f64], lo: &[f64], hi: &[f64]) -> Option<f64> {
        let (d, m) = (g.len(), b.len());
        // Constraints as (row, rhs): cuts, y_i = lo_i, y_i = hi_i.
        let mut rows: Vec<(Vec<f64>, f64)> = (0..m)
            .map(|j| (a[j * d..(j + 1) * d].to_vec(), b[j]))
            .collect();
        for i in 0..d {
            let mut e = vec![0.0; d];
            e[i] = 1.0;
            rows.push((e.clone(), lo[i]));
            rows.push((e, hi[i]));
        }
        let n = rows.len();
        let mut best: Option<f64> = None;
        let mut idx: Vec<usize> = (0..d).collect();
        loop {
            // Solve the d × d system by Gaussian elimination with partial pivoting.
            let mut mat: Vec<Vec<f64>> = idx
                .iter()
                .map(|&r| {
                    let mut v = rows[r].0.clone();
                    v.push(rows[r].1);
                    v
                })
                .collect();
            let mut ok = true;
            for col in 0..d {
                let p = (col..d)
                    .max_by(|&x, &y| mat[x][col].abs().total_cmp(&mat[y][col].abs()))
                    .unwrap();
                if mat[p][col].abs() < 1e-12 {
                    ok = false;
                    break;
                }
                mat.swap(col, p);
                let pivot = mat[col].clone();
                for (r, row) in mat.iter_mut().enumerate() {
                    if r != col {
                        let f = row[col] / pivot[col];
                        for (x, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                            *x -= f * p;
                        }
                    }
                }
            }
            if ok {
                let y: Vec<f64> = (0..d).map(|r| mat[r][d] / mat[r][r]).collect();
                let inside = (0..d).all(|i| y[i] >= lo[i] - 1e-9 && y[i] <= hi[i] + 1e-9)
                    && (0..m)
                        .all(|j| (0..d).map(|i| a[j * d + i] * y[i]).sum::<f64>() >= b[j] - 1e-9);
                if inside {
                    let v: f64 = g.iter().zip(&y).map(|(p, q)| p * q).sum();
                    best = Some(best.map_or(v, |b: f64| b.min(v)));
                }
            }
            // Next combination of d rows out of n.
            let mut t = d;
            while t > 0 && idx[t - 1] == n - d + t - 1 {
                t -= 1;
            }
            if t == 0 {
                break;
            }
            idx[t - 1] += 1;
            for s in t..d {
                idx[s] = idx[s - 1] + 1;
            }
        }
        best
    }

    /// `(g, A, b, lo, hi)`.
    type Cell = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

    /// A random cell: a box around a point `x0` and `m` cuts through points near `x0`
    /// (so that the cell is nonempty), with small-integer and Gaussian entries.
    fn cell(rng: &mut Rng, d: usize, m: usize) -> Cell {
        let x0: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let r = 0.5 + rng.below(3) as f64;
        let lo: Vec<f64> = x0.iter().map(|x| x - r).collect();
        let hi: Vec<f64> = x0.iter().map(|x| x + r).collect();
        let integer = rng.below(2) == 0;
        let mut a = Vec::with_capacity(m * d);
        let mut b = Vec::with_capacity(m);
        for _ in 0..m {
            let row: Vec<f64> = (0..d)
                .map(|_| {
                    if integer {
                        rng.below(5) as f64 - 2.0
                    } else {
                        rng.normal()
                    }
                })
                .collect();
            let at: f64 = row.iter().zip(&x0).map(|(p, q)| p * q).sum();
            b.push(at - 0.3 * r * rng.normal().abs());
            a.extend(row);
        }
        let g: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        (g, a, b, lo, hi)
    }

    /// Any multipliers give a bound at most the true minimum; the improved multipliers
    /// give a bound at least the start's and, by LP duality, near the minimum.
    #[test]
    fn bounds_are_below_the_minimum_and_improve_to_it() {
        let mut rng = Rng::new(11, 0);
        let mut close = 0;
        let mut cases = 0;
        for _ in 0..300 {
            let d = 1 + rng.below(4) as usize;
            let m = 1 + rng.below(4) as usize;
            let (g, a, b, lo, hi) = cell(&mut rng, d, m);
            let Some(min) = brute_min(&g, &a, &b, &lo, &hi) else {
                continue;
            };
            cases += 1;
            let scale = 1.0 + min.abs();
            for _ in 0..5 {
                let lam: Vec<f64> = (0..m).map(|_| rng.normal().abs() * 2.0).collect();
                let lb = lower_bound(&g, &a, &b, &lo, &hi, &lam);
                assert!(lb <= min + 1e-9 * scale, "{lb} > {min}");
            }
            let zero = vec![0.0; m];
            let start = lower_bound(&g, &a, &b, &lo, &hi, &zero);
            let lam = improve(&g, &a, &b, &lo, &hi, &zero, 20);
            assert!(lam.iter().all(|&l| l >= 0.0 && l.is_finite()));
            let lb = lower_bound(&g, &a, &b, &lo, &hi, &lam);
            assert!(lb <= min + 1e-9 * scale, "{lb} > {min}");
            assert!(lb >= start - 1e-9 * scale, "{lb} < {start}");
            if min - lb <= 1e-6 * scale {
                close += 1;
            }
        }
        assert!(cases > 200, "{cases}");
        // Coordinate ascent can stall on a nonsmooth dual; it reaches the minimum on
        // most cells.
        assert!(close * 10 >= cases * 7, "{close} of {cases}");
    }

    /// `x ≤ p / q` exactly (`q > 0`), `x` a finite float.
    fn le_exact(x: f64, p: &BigInt, q: &BigInt) -> bool {
        let (m, e) = crate::regions::exact::num::decompose(x);
        let lhs = BigInt::from(m) * q;
        if e >= 0 {
            (lhs << e as usize) <= *p
        } else {
            lhs <= (p.clone() << (-e) as usize)
        }
    }

    /// Rounding is accounted for: one-dimensional cells with integer data of up to 53
    /// bits and multipliers `fl(g / a)` (the dual optimum, rounded), where the float
    /// evaluation of the dual lands above the minimum; the bound stays below the
    /// minimum computed exactly in rationals (it fails without the error terms).
    #[test]
    fn bounds_survive_rounding() {
        let mut rng = Rng::new(5, 0);
        let mut tight = 0;
        for _ in 0..5000 {
            let g = ((rng.below(1 << 52) | 1) as f64) * if rng.below(2) == 0 { 1.0 } else { -1.0 };
            let a = ((3 + 2 * rng.below(48)) as f64) * if rng.below(2) == 0 { 1.0 } else { -1.0 };
            let k = rng.below(8) as i32;
            let (lo, hi) = (-(2f64.powi(k)), 2f64.powi(k));
            let y0 = rng.below(1 << (k + 1)) as f64 - hi;
            let b = a * y0 + (rng.below(5) as f64 - 2.0);
            // Exact minimum of g y over [lo, hi] ∩ {a y ≥ b}: y ≥ b/a (a > 0) or y ≤ b/a.
            let (ai, bi, gi) = (a as i64, b as i64, g as i64);
            let (qa, pa) = (BigInt::from(ai.abs()), BigInt::from(bi * ai.signum())); // b/a = pa/qa
            let lo_q = BigInt::from(lo as i64) * &qa;
            let hi_q = BigInt::from(hi as i64) * &qa;
            let (l, h) = if ai > 0 {
                (pa.clone().max(lo_q), hi_q)
            } else {
                (lo_q, pa.clone().min(hi_q))
            };
            if l > h {
                continue; // empty
            }
            // min = g * (l or h) / qa.
            let min_p = if gi > 0 {
                BigInt::from(gi) * &l
            } else {
                BigInt::from(gi) * &h
            };
            for lam in [g / a, (g / a).abs(), 0.0, (g / a).abs() * 0.999] {
                let lb = lower_bound(&[g], &[a], &[b], &[lo], &[hi], &[lam]);
                assert!(
                    le_exact(lb, &min_p, &qa),
                    "lb {lb} above the minimum, g={g} a={a} b={b} k={k}"
                );
                // How often the plain float dual would have been above the minimum.
                let plain = super::dual_value(&[g], &[a], &[b], &[lo], &[hi], &[lam.max(0.0)]);
                if !le_exact(plain, &min_p, &qa) {
                    tight += 1;
                }
            }
        }
        assert!(
            tight > 50,
            "the float dual was above the minimum only {tight} times"
        );
    }
}
