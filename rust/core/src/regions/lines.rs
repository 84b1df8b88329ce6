//! The regions of one layer of lines in a rectangle, counted without visiting them.
//!
//! A network of two inputs with one hidden ReLU (or leaky ReLU) layer cuts the plane by
//! the lines `a_i x + b_i y + c_i = 0` of its units. Adding the distinct lines that
//! cross the rectangle's interior one at a time, line `j` is cut by the earlier lines in
//! `D_j` distinct points strictly inside the rectangle and adds `D_j + 1` regions, so
//! the count is `1 + Σ_j (1 + D_j)` (concurrent, parallel and coincident lines
//! included). That is `O(n²)` predicates and a sort per line, instead of `O(n)` work per
//! region for the walk (`~n²/2` regions): a 20,000-unit layer has about 2·10⁸ regions.
//!
//! Exact: every predicate (a corner's side, a crossing inside the rectangle, two
//! crossings on a line being the same point) is a sign of a polynomial of degree at
//! most three in the float64 data, decided by a float filter with a proven error bound
//! and, when that cannot decide, in integers (`exact::num::to_ints`: each line's
//! `(a, b, c)` scaled to integers, which changes no sign).

use std::collections::HashSet;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};
use rayon::prelude::*;

use super::exact::num::to_ints;
use crate::control::Control;
use crate::error::{Error, Result};

/// Relative error bound of a sum of at most three products rounded in float64
/// (generous: `3ε` would do).
const G: f64 = 4.0 * f64::EPSILON;

/// A line `a x + b y + c = 0` with its exact integer form.
struct Line {
    f: [f64; 3],
    n: [BigInt; 3],
}

/// The rectangle `[lo, hi]` with its bounds as integers over a common power of two
/// (`one` is `1` on that scale).
struct Rect {
    lo: [f64; 2],
    hi: [f64; 2],
    n_lo: [BigInt; 2],
    n_hi: [BigInt; 2],
    one: BigInt,
}

fn sign_of(v: &BigInt) -> i8 {
    if v.is_positive() {
        1
    } else if v.is_negative() {
        -1
    } else {
        0
    }
}

/// The sign of `v` given `|v − v*| ≤ e`, or `None`.
#[inline]
fn filtered(v: f64, e: f64) -> Option<i8> {
    if v > e {
        Some(1)
    } else if v < -e {
        Some(-1)
    } else if e == 0.0 {
        Some(0)
    } else {
        None
    }
}

/// The crossing of two lines in homogeneous coordinates `(x, y, w)` (the point
/// `(x / w, y / w)`), in float with error bounds.
#[inline]
fn cross_f(l: &[f64; 3], m: &[f64; 3]) -> ([f64; 3], [f64; 3]) {
    let t = |p: f64, q: f64| (p - q, G * (p.abs() + q.abs()));
    let (x, ex) = t(l[1] * m[2], l[2] * m[1]);
    let (y, ey) = t(l[2] * m[0], l[0] * m[2]);
    let (w, ew) = t(l[0] * m[1], l[1] * m[0]);
    ([x, y, w], [ex, ey, ew])
}

fn cross_n(l: &[BigInt; 3], m: &[BigInt; 3]) -> [BigInt; 3] {
    [
        &l[1] * &m[2] - &l[2] * &m[1],
        &l[2] * &m[0] - &l[0] * &m[2],
        &l[0] * &m[1] - &l[1] * &m[0],
    ]
}

impl Rect {
    fn new(lo: [f64; 2], hi: [f64; 2]) -> Self {
        let (n, _) = to_ints(&[lo[0], lo[1], hi[0], hi[1], 1.0]);
        Rect {
            lo,
            hi,
            n_lo: [n[0].clone(), n[1].clone()],
            n_hi: [n[2].clone(), n[3].clone()],
            one: n[4].clone(),
        }
    }

    /// The side of line `l` at corner `(x, y)` (`ix`, `iy`: 0 for `lo`, 1 for `hi`).
    fn corner_side(&self, l: &Line, ix: usize, iy: usize) -> i8 {
        let x = if ix == 0 { self.lo[0] } else { self.hi[0] };
        let y = if iy == 0 { self.lo[1] } else { self.hi[1] };
        let (p, q) = (l.f[0] * x, l.f[1] * y);
        let v = p + q + l.f[2];
        if let Some(s) = filtered(v, G * (p.abs() + q.abs() + l.f[2].abs())) {
            return s;
        }
        let nx = if ix == 0 {
            &self.n_lo[0]
        } else {
            &self.n_hi[0]
        };
        let ny = if iy == 0 {
            &self.n_lo[1]
        } else {
            &self.n_hi[1]
        };
        sign_of(&(&l.n[0] * nx + &l.n[1] * ny + &l.n[2] * &self.one))
    }

    /// Whether the line crosses the rectangle's interior (corners strictly on both sides).
    fn crossed_by(&self, l: &Line) -> bool {
        let s: Vec<i8> = [(0, 0), (1, 0), (1, 1), (0, 1)]
            .iter()
            .map(|&(i, j)| self.corner_side(l, i, j))
            .collect();
        s.contains(&1) && s.contains(&-1)
    }

    /// Whether the crossing `p` (float `v` with errors `e`; exact `n` computed on
    /// demand) lies strictly inside the rectangle.
    fn holds(&self, v: &[f64; 3], e: &[f64; 3], n: impl Fn() -> [BigInt; 3]) -> bool {
        let mut exact: Option<[BigInt; 3]> = None;
        let ws = match filtered(v[2], e[2]) {
            Some(s) => s,
            None => sign_of(&exact.get_or_insert_with(&n)[2]),
        };
        if ws == 0 {
            return false; // parallel lines
        }
        // (coordinate − lo) · w and (hi − coordinate) · w must both be > 0 · sign(w).
        for c in 0..2 {
            for (bound, nb, dir) in [
                (self.lo[c], &self.n_lo[c], 1.0),
                (self.hi[c], &self.n_hi[c], -1.0),
            ] {
                let q = bound * v[2];
                let s = dir * (v[c] - q);
                let err = e[c] + bound.abs() * e[2] + G * (v[c].abs() + q.abs());
                let sign = match filtered(s, err) {
                    Some(s) => s,
                    None => {
                        let p = exact.get_or_insert_with(&n);
                        let d = &p[c] * &self.one - nb * &p[2];
                        sign_of(&d) * dir as i8
                    }
                };
                if sign * ws <= 0 {
                    return false;
                }
            }
        }
        true
    }
}

/// Line `l` as integers: `(a, b, c)` scaled by a power of two, divided by their gcd,
/// the first non-zero of `(a, b)` positive (a canonical form: equal for equal lines).
fn canonical(f: &[f64; 3]) -> [BigInt; 3] {
    let (mut n, _) = to_ints(f);
    let g = n.iter().fold(BigInt::zero(), |g, x| g.gcd(x));
    if !g.is_zero() {
        for x in n.iter_mut() {
            *x /= &g;
        }
    }
    let lead = if n[0].is_zero() { &n[1] } else { &n[0] };
    if lead.is_negative() {
        for x in n.iter_mut() {
            *x = -&*x;
        }
    }
    [n[0].clone(), n[1].clone(), n[2].clone()]
}

/// The number of regions that the lines `a_i x + b_i y + c_i = 0` (`lines[i] = [a, b,
/// c]`, finite) cut the rectangle `[lo, hi]` into, exactly (see the module docs).
/// Progress: one unit per region, reported per line.
pub fn count_in_rect(
    lines: &[[f64; 3]],
    lo: [f64; 2],
    hi: [f64; 2],
    ctrl: &Control,
) -> Result<u64> {
    let rect = Rect::new(lo, hi);
    // The distinct lines that cross the interior, in their first order.
    let mut seen = HashSet::new();
    let mut ls = Vec::new();
    for f in lines {
        if f[0] == 0.0 && f[1] == 0.0 {
            continue;
        }
        let line = Line {
            f: *f,
            n: canonical(f),
        };
        if rect.crossed_by(&line) && seen.insert(line.n.clone()) {
            ls.push(line);
        }
    }
    ctrl.check()?;
    let per_line: Vec<u64> = (0..ls.len())
        .into_par_iter()
        .with_min_len(8)
        .map_init(
            || (Vec::new(), Vec::new()),
            |(iv, wild), j| {
                ctrl.check()?;
                let d = distinct_crossings(&ls, j, &rect, iv, wild);
                ctrl.advance(d + 1);
                Ok(d + 1)
            },
        )
        .collect::<Result<_>>()?;
    Ok(1 + per_line.iter().sum::<u64>())
}

/// `D_j`: the distinct points strictly inside the rectangle where line `j` meets the
/// lines before it.
/// (`iv`, `wild`: buffers reused between the lines of a thread.)
fn distinct_crossings(
    ls: &[Line],
    j: usize,
    rect: &Rect,
    iv: &mut Vec<(i64, f64, usize)>,
    wild: &mut Vec<usize>,
) -> u64 {
    let lj = &ls[j];
    let (a, b) = (lj.f[0], lj.f[1]);
    // Crossings by their parameter along line j, `t = (−b x + a y) / w`, as intervals
    // `[t − e, t + e]` holding the true value (the lower end as an integer key in the
    // order of the floats); `wild`: `w` too small to bound `t`.
    iv.clear();
    wild.clear();
    for (i, li) in ls[..j].iter().enumerate() {
        let (v, e) = cross_f(&li.f, &lj.f);
        if !rect.holds(&v, &e, || cross_n(&li.n, &lj.n)) {
            continue;
        }
        let (p, q) = (-b * v[0], a * v[1]);
        let tn = p + q;
        let etn = b.abs() * e[0] + a.abs() * e[1] + G * (p.abs() + q.abs());
        let w = v[2].abs();
        if w <= 2.0 * e[2] {
            wild.push(i);
            continue;
        }
        let t = tn / v[2];
        let et = (etn + t.abs() * e[2]) / (w - e[2]) * (1.0 + G) + G * t.abs() + f64::MIN_POSITIVE;
        iv.push((order_key(t - et), t + et, i));
    }
    iv.sort_unstable_by_key(|x| x.0);
    // Same point ⇔ lines i, k, j concurrent: the crossing of (i, j) lies on line k.
    let same = |i: usize, k: usize| -> bool {
        let (v, e) = cross_f(&ls[i].f, &lj.f);
        let lk = &ls[k].f;
        let terms = [v[0] * lk[0], v[1] * lk[1], v[2] * lk[2]];
        let s: f64 = terms.iter().sum();
        let err = e[0] * lk[0].abs()
            + e[1] * lk[1].abs()
            + e[2] * lk[2].abs()
            + G * terms.iter().map(|t| t.abs()).sum::<f64>();
        match filtered(s, err) {
            Some(s) => s == 0,
            None => {
                let p = cross_n(&ls[i].n, &lj.n);
                let lk = &ls[k].n;
                (&p[0] * &lk[0] + &p[1] * &lk[1] + &p[2] * &lk[2]).is_zero()
            }
        }
    };
    let mut distinct = 0u64;
    let mut cluster: Vec<usize> = Vec::new();
    let mut top = f64::NEG_INFINITY;
    let mut flush = |cluster: &mut Vec<usize>| {
        for (m, &i) in cluster.iter().enumerate() {
            if !cluster[..m].iter().any(|&k| same(i, k)) {
                distinct += 1;
            }
        }
        cluster.clear();
    };
    for &(key, hi, i) in iv.iter() {
        let lo = from_key(key);
        if lo > top && !cluster.is_empty() {
            flush(&mut cluster);
        }
        cluster.push(i);
        top = if cluster.len() == 1 { hi } else { top.max(hi) };
    }
    flush(&mut cluster);
    // A crossing whose parameter could not be bounded: new unless it is a point seen
    // already (exact concurrency tests against every other crossing).
    for (m, &i) in wild.iter().enumerate() {
        if !iv.iter().any(|&(_, _, k)| same(i, k)) && !wild[..m].iter().any(|&k| same(i, k)) {
            distinct += 1;
        }
    }
    distinct
}

/// An integer whose order is the order of the (non-NaN) floats.
#[inline]
fn order_key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ ((((b >> 63) as u64) >> 1) as i64)
}

/// The float of [`order_key`].
#[inline]
fn from_key(k: i64) -> f64 {
    f64::from_bits((k ^ ((((k >> 63) as u64) >> 1) as i64)) as u64)
}

/// `Err` with [`Error::LimitExceeded`] when `count > max`.
pub(crate) fn check_limit(count: u64, max: u64) -> Result<u64> {
    if count > max {
        return Err(Error::LimitExceeded {
            name: "max_regions".into(),
            limit: max,
            message: format!("the domain has more than {max} regions"),
        });
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(lines: &[[f64; 3]]) -> u64 {
        count_in_rect(lines, [-1.0, -1.0], [1.0, 1.0], &Control::default()).unwrap()
    }

    #[test]
    fn order_keys_sort_like_the_floats() {
        let xs = [-1e300, -2.5, -1e-300, -0.0, 0.0, 1e-310, 3.0, 1e308];
        for w in xs.windows(2) {
            assert!(order_key(w[0]) <= order_key(w[1]));
            assert_eq!(from_key(order_key(w[0])).to_bits(), w[0].to_bits());
        }
    }

    #[test]
    fn concurrent_parallel_coincident_and_boundary_lines() {
        // Three lines through the origin: 6; a fourth through it: 8.
        let star = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]];
        assert_eq!(count(&star), 6);
        assert_eq!(count(&[star[0], star[1], star[2], [1.0, -1.0, 0.0]]), 8);
        // Coincident (scaled, opposite) and parallel lines.
        assert_eq!(
            count(&[[1.0, 0.0, 0.5], [-2.0, 0.0, -1.0], [1.0, 0.0, -0.5]]),
            3
        );
        // Along an edge, through a corner only, outside, zero: nothing.
        assert_eq!(
            count(&[
                [1.0, 0.0, 1.0],
                [1.0, 1.0, 2.0],
                [0.0, 1.0, 5.0],
                [0.0, 0.0, 1.0]
            ]),
            1
        );
        // Two lines meeting at (1, 0), on the right edge: 3 regions, not 4.
        assert_eq!(count(&[[1.0, 1.0, -1.0], [1.0, -1.0, -1.0]]), 3);
        // General position: 1 + n + pairs inside.
        assert_eq!(
            count(&[[1.0, 0.0, 0.1], [0.0, 1.0, 0.2], [1.0, 1.0, 0.05]]),
            7
        );
    }
}
