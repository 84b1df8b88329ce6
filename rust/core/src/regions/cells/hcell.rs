//! Cells of input space in halfspace form, for exact local counts in any dimension
//! (issue 11 item 1; the design is in docs/DEVELOPING.md, "Issue 11 item 1").
//!
//! An [`HCell`] is `P* = {y ∈ [lo, hi] : f*_j(y) > 0 for every cut j}` (the interior),
//! where each cut is a float map `f_j = α_j + β_j·y` with `|f*_j − f_j| ≤ err_j` on the
//! box (the walk's maps, [`Map`]). It has no vertices (a box of `R^784` has `2^784`):
//! every decision is a *certificate*, checked with proven rounding bounds:
//!
//! - **a side is empty** (`f* ≥ 0` on the cell, or `≤ 0`): a proven lower bound of
//!   `min f*` over `P' = {y ∈ box : β_j·y ≥ −α_j − err_j} ⊇ P*` that is `≥ 0`, from
//!   Lagrange multipliers ([`crate::local::dual`]: any `λ ≥ 0` gives a valid bound;
//!   [`improve`] searches a good one);
//! - **a side has interior**: a float point strictly inside the box, with every cut
//!   certified `> 0` and `f` certified of that sign ([`Filter::judge`] with radius 0: the
//!   point is exact, only the maps carry errors). Every cell keeps one such point
//!   ([`Cell::interior`]); a cut's two children get the two witnesses that proved it.
//!
//! Per side, in order: the ray from the cell's point along `∓β` (steepest); the LP
//! `min ∓f` over the float cell by a dual simplex for a box and few cuts
//! ([`crate::local::simplex`]: its multipliers for the bound, its minimizer, a vertex of
//! the cell, as the ray's target); coordinate ascent on the dual ([`improve`]) and the
//! ray toward the box vertex minimizing its Lagrangian; the interior-point solver
//! (clarabel) for the same LP and for a max-slack point. Rays stop halfway between the
//! crossing of `f = 0` and the first constraint they meet. When neither a bound
//! nor a witness decides, the side is [`Undecided`], and the walk's exact fallback
//! (which needs the cell's vertices) is refused with an error
//! ([`Cell::exact_fallback`]); `local_counts` then redoes that box with the vertex
//! method when its dimension allows.
//!
//! Cost per decision `O(m d)` for `m` cuts, plus `O(iterations · m d)` for the simplex
//! when a ray does not decide.

use std::sync::{Arc, Mutex};

use super::{Cell, Filter, Map, Mode, Split, Undecided, Verdict};
use crate::local::dual::{improve, lower_bound};
use crate::local::simplex::minimize;
use crate::regions::exact::ExactPolytope;

/// Rounds of coordinate ascent on the dual before a side is left undecided.
const SWEEPS: usize = 4;

/// What an ancestor (or this cell) learned about a map's two sides: per side (`f < 0`,
/// `f > 0`), `Some(None)` proven empty (so on every part too), `Some(Some(p))` a witness
/// (valid here when `p` is still inside), `None` unknown.
#[derive(Debug)]
struct Memo {
    alpha: f64,
    err: f64,
    beta: Vec<f64>,
    sides: [Option<Option<Vec<f64>>>; 2],
}

impl Memo {
    fn is(&self, f: &Map<'_>) -> bool {
        self.alpha.to_bits() == f.alpha.to_bits()
            && self.err.to_bits() == f.err.to_bits()
            && self.beta.as_slice() == f.beta
    }
}

/// A full-dimensional cell `box ∩ {f*_j ≥ 0}` of input space with a certified interior
/// point (see the module docs).
#[derive(Debug)]
pub struct HCell {
    d: usize,
    lo: Arc<[f64]>,
    hi: Arc<[f64]>,
    /// Cut maps oriented so that the cell is where they are `≥ 0`: `β` rows (`m × d`),
    /// `α`, `err`, and the dual's right-hand sides `b_j ≤ −α_j − err_j`.
    a: Vec<f64>,
    alpha: Vec<f64>,
    err: Vec<f64>,
    b: Vec<f64>,
    /// A point strictly inside the true cell.
    w: Vec<f64>,
    extent: f64,
    /// The decisions of this cell and its ancestors (latest last): a part inherits them,
    /// so a witness that is still inside and a side proven empty need no new search.
    /// Each cell has its own list (copied, never shared), so that what a cell decides
    /// depends only on its own history, not on the order threads run.
    memo: Mutex<Vec<Arc<Memo>>>,
}

impl Clone for HCell {
    fn clone(&self) -> Self {
        HCell {
            d: self.d,
            lo: self.lo.clone(),
            hi: self.hi.clone(),
            a: self.a.clone(),
            alpha: self.alpha.clone(),
            err: self.err.clone(),
            b: self.b.clone(),
            w: self.w.clone(),
            extent: self.extent,
            memo: Mutex::new(self.memo.lock().map(|m| m.clone()).unwrap_or_default()),
        }
    }
}

/// What a map does on a cell.
enum Decision {
    /// `f* ≤ 0` on the cell (`false`) or `≥ 0` (`true`).
    Side(bool),
    /// Both sides have interior: witnesses of `f* < 0` and `f* > 0`.
    Cut(Vec<f64>, Vec<f64>),
}

impl HCell {
    /// The box `[lo, hi]` with the point `w` strictly inside (`None` otherwise).
    pub fn boxed(lo: &[f64], hi: &[f64], w: &[f64]) -> Option<Self> {
        let d = lo.len();
        if hi.len() != d
            || w.len() != d
            || (0..d)
                .any(|i| !(lo[i] < w[i] && w[i] < hi[i] && lo[i].is_finite() && hi[i].is_finite()))
        {
            return None;
        }
        let extent = lo.iter().chain(hi).fold(0.0f64, |m, v| m.max(v.abs()));
        Some(HCell {
            d,
            lo: lo.into(),
            hi: hi.into(),
            a: Vec::new(),
            alpha: Vec::new(),
            err: Vec::new(),
            b: Vec::new(),
            w: w.to_vec(),
            extent,
            memo: Mutex::new(Vec::new()),
        })
    }

    /// Number of cuts.
    pub fn n_cuts(&self) -> usize {
        self.alpha.len()
    }

    fn cut(&self, j: usize) -> Map<'_> {
        Map {
            alpha: self.alpha[j],
            beta: &self.a[j * self.d..(j + 1) * self.d],
            err: self.err[j],
        }
    }

    /// Whether the float point `p` is certified strictly inside the true cell.
    fn inside(&self, p: &[f64], mode: Mode) -> bool {
        if (0..self.d).any(|i| !(self.lo[i] < p[i] && p[i] < self.hi[i])) {
            return false;
        }
        (0..self.n_cuts()).all(|j| {
            let f = self.cut(j);
            Filter::new(&f, mode, self.extent, 0.0).judge(&f, p, 0.0).1 == 1
        })
    }

    /// A proven lower bound of `σ f*` over the cell (`σ = ±1`), with the multipliers
    /// used (searched by [`improve`] when the cell has cuts).
    fn bound(&self, f: &Map<'_>, sigma: f64) -> (f64, Vec<f64>) {
        let m = self.n_cuts();
        let lam = if m == 0 {
            Vec::new()
        } else {
            let g: Vec<f64> = f.beta.iter().map(|x| sigma * x).collect();
            improve(
                &g,
                &self.a,
                &self.b,
                &self.lo,
                &self.hi,
                &vec![0.0; m],
                SWEEPS,
            )
        };
        (self.bound_with(f, sigma, &lam), lam)
    }

    /// A proven lower bound of `σ f*` over the cell from the multipliers `lam`.
    fn bound_with(&self, f: &Map<'_>, sigma: f64, lam: &[f64]) -> f64 {
        let g: Vec<f64> = f.beta.iter().map(|x| sigma * x).collect();
        let lb = lower_bound(&g, &self.a, &self.b, &self.lo, &self.hi, lam);
        // σ f* ≥ σ α + β·y − err: the sum rounded down.
        let s = lb + sigma * f.alpha;
        let out = s
            - s.abs() * 2.0 * f64::EPSILON
            - f.err * (1.0 + 2.0 * f64::EPSILON)
            - f64::MIN_POSITIVE;
        if out.is_nan() {
            f64::NEG_INFINITY
        } else {
            out
        }
    }

    /// A witness of `sign(f*) = σ` on the ray `w + t v` (`t > 0`), halfway between the
    /// crossing of `f = 0` and the first constraint the ray meets.
    fn ray(&self, f: &Map<'_>, v: &[f64], sigma: f64, mode: Mode) -> Option<Vec<f64>> {
        let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
        let fw = f.alpha + dot(f.beta, &self.w);
        let rate = dot(f.beta, v);
        if sigma * rate <= 0.0 || rate.is_nan() {
            return None;
        }
        let t0 = (-fw / rate).max(0.0);
        let mut tmax = f64::INFINITY;
        for (i, &vi) in v.iter().enumerate() {
            if vi > 0.0 {
                tmax = tmax.min((self.hi[i] - self.w[i]) / vi);
            } else if vi < 0.0 {
                tmax = tmax.min((self.lo[i] - self.w[i]) / vi);
            }
        }
        for j in 0..self.n_cuts() {
            let c = self.cut(j);
            let r = dot(c.beta, v);
            if r < 0.0 {
                let slack = c.alpha + dot(c.beta, &self.w);
                tmax = tmax.min(slack / -r);
            }
        }
        if !(tmax.is_finite() && tmax > t0) {
            return None;
        }
        // Try the midpoint, then points nearer the crossing (thin cells).
        let mut t = 0.5 * (t0 + tmax);
        for _ in 0..4 {
            let p: Vec<f64> = self.w.iter().zip(v).map(|(w, v)| w + t * v).collect();
            let s = Filter::new(f, mode, self.extent, 0.0).judge(f, &p, 0.0).1;
            if s as f64 == sigma && self.inside(&p, mode) {
                return Some(p);
            }
            t = 0.5 * (t0 + t);
        }
        None
    }

    /// The box vertex minimizing `(g − Aᵀλ)·y` (`g = σ β`), the direction from `w` to
    /// it.
    fn toward_lagrangian(&self, f: &Map<'_>, sigma: f64, lam: &[f64]) -> Vec<f64> {
        let d = self.d;
        (0..d)
            .map(|i| {
                let c = sigma * f.beta[i]
                    - lam
                        .iter()
                        .enumerate()
                        .map(|(j, l)| l * self.a[j * d + i])
                        .sum::<f64>();
                let y = if c > 0.0 {
                    self.lo[i]
                } else if c < 0.0 {
                    self.hi[i]
                } else {
                    self.w[i]
                };
                y - self.w[i]
            })
            .collect()
    }

    /// The interior-point solution `(x, z)` of `min g·y` ([`Self::lp`], coordinates
    /// centred at `w`) as a minimizer clamped to the box (an IPM's point leaves it by its
    /// tolerance) and the cuts' multipliers `≥ 0`.
    fn clamped(&self, x: Vec<f64>, z: Vec<f64>) -> (Vec<f64>, Vec<f64>) {
        let y = (0..self.d)
            .map(|i| (x[i] + self.w[i]).clamp(self.lo[i], self.hi[i]))
            .collect();
        (y, z[..self.n_cuts()].iter().map(|&z| z.max(0.0)).collect())
    }

    /// The Chebyshev-like centre of the side `σ f > 0` of the cell: the point that
    /// maximizes the smallest slack `s` of the box faces, the cuts and `σ f` (each
    /// normalized by its row's norm), when `s > 0`: a witness candidate deep inside.
    fn lp_centre(&self, f: &Map<'_>, sigma: f64) -> Option<Vec<f64>> {
        let mut g = vec![0.0; self.d + 1];
        g[self.d] = -1.0;
        let (x, _) = self.lp(&g, Some((f, sigma)))?;
        (x[self.d] > 0.0).then(|| (0..self.d).map(|i| x[i] + self.w[i]).collect())
    }

    /// Solve `min g·x` (clarabel) for `x = u` (`y = w + u`, rows `−A u ≤ A w − b`,
    /// `u ≤ hi − w`, `−u ≤ w − lo`), or, with `side = (f, σ)`, for `x = (u, s)` with the
    /// slack `s` (times each row's 2-norm) added to every row, the row `σ f(w + u) ≥
    /// s ‖β‖` and `s ≤ 1`. The solution and the rows' multipliers.
    fn lp(&self, g: &[f64], side: Option<(&Map<'_>, f64)>) -> Option<(Vec<f64>, Vec<f64>)> {
        use clarabel::algebra::CscMatrix;
        use clarabel::solver::{
            DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus,
        };
        let (d, m) = (self.d, self.n_cuts());
        let slack = side.is_some();
        let n = if slack { d + 1 } else { d };
        let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
        // Rows `Σ coef_i u_i (+ norm s) ≤ rhs`, gathered by column.
        let mut cols: Vec<Vec<(usize, f64)>> = vec![Vec::with_capacity(m + 3); n];
        let mut rhs: Vec<f64> = Vec::with_capacity(m + 2 * d + 2);
        let mut dense_row = |coef: &[f64], scale: f64, b: f64, norm: f64, rhs: &mut Vec<f64>| {
            let r = rhs.len();
            for (i, &v) in coef.iter().enumerate() {
                if v != 0.0 {
                    cols[i].push((r, scale * v));
                }
            }
            if slack {
                cols[d].push((r, norm));
            }
            rhs.push(b);
        };
        for j in 0..m {
            let a = &self.a[j * d..(j + 1) * d];
            dense_row(
                a,
                -1.0,
                dot(a, &self.w) - self.b[j],
                dot(a, a).sqrt(),
                &mut rhs,
            );
        }
        if let Some((f, sigma)) = side {
            // −σ β·u + s ‖β‖ ≤ σ f(w)
            let fw = sigma * (f.alpha + dot(f.beta, &self.w));
            dense_row(f.beta, -sigma, fw, dot(f.beta, f.beta).sqrt(), &mut rhs);
        }
        for i in 0..d {
            for (sign, b) in [
                (1.0, self.hi[i] - self.w[i]),
                (-1.0, self.w[i] - self.lo[i]),
            ] {
                let r = rhs.len();
                cols[i].push((r, sign));
                if slack {
                    cols[d].push((r, 1.0));
                }
                rhs.push(b);
            }
        }
        if slack {
            let r = rhs.len();
            cols[d].push((r, 1.0));
            rhs.push(1.0);
        }
        let rows = rhs.len();
        let mut colptr = Vec::with_capacity(n + 1);
        let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
        colptr.push(0);
        for c in &cols {
            for &(r, v) in c {
                rowval.push(r);
                nzval.push(v);
            }
            colptr.push(rowval.len());
        }
        let a = CscMatrix::new(rows, n, colptr, rowval, nzval);
        let p = CscMatrix::<f64>::zeros((n, n));
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .max_iter(100)
            .build()
            .ok()?;
        let cones = [NonnegativeConeT(rows)];
        let mut solver = DefaultSolver::new(&p, g, &a, &rhs, &cones, settings).ok()?;
        solver.solve();
        let sol = &solver.solution;
        if !matches!(
            sol.status,
            SolverStatus::Solved | SolverStatus::AlmostSolved
        ) {
            return None;
        }
        Some((sol.x.clone(), sol.z.clone()))
    }

    /// Whether side `σ` of `f` (`f* σ > 0`) has interior: `Ok(Some(witness))`,
    /// `Ok(None)` when proven empty, [`Undecided`] otherwise.
    fn side_of(&self, f: &Map<'_>, sigma: f64, mode: Mode) -> Verdict<Option<Vec<f64>>> {
        let steep: Vec<f64> = f.beta.iter().map(|b| sigma * b).collect();
        if let Some(p) = self.ray(f, &steep, sigma, mode) {
            return Ok(Some(p));
        }
        // Empty when −σ f* ≥ 0 on the cell: a lower bound of −σ f.
        let empty_at = match mode {
            Mode::Tol(t) => {
                let l1: f64 = f.beta.iter().map(|b| b.abs()).sum();
                -t * (f.alpha.abs() + l1 * self.extent)
            }
            Mode::Exact | Mode::Rational => 0.0,
        };
        let g: Vec<f64> = f.beta.iter().map(|b| -sigma * b).collect();
        // The dual simplex (cheap for few cuts): its multipliers for the bound, its
        // minimizer (a vertex of the cell) for the ray.
        if self.n_cuts() > 0 {
            if let Some((y, lam)) = minimize(&g, &self.a, &self.b, &self.lo, &self.hi) {
                if self.bound_with(f, -sigma, &lam) >= empty_at {
                    return Ok(None);
                }
                let v: Vec<f64> = y.iter().zip(&self.w).map(|(y, w)| y - w).collect();
                if let Some(p) = self.ray(f, &v, sigma, mode) {
                    return Ok(Some(p));
                }
            }
        }
        let (lb, lam) = self.bound(f, -sigma);
        if lb >= empty_at {
            return Ok(None);
        }
        let v = self.toward_lagrangian(f, -sigma, &lam);
        if let Some(p) = self.ray(f, &v, sigma, mode) {
            return Ok(Some(p));
        }
        // The interior-point LP (the rare hard case): its multipliers for the bound,
        // its minimizer for the ray.
        let lp = if self.n_cuts() > 0 {
            self.lp(&g, None).map(|(x, z)| self.clamped(x, z))
        } else {
            None
        };
        if let Some((y, lam)) = lp {
            if self.bound_with(f, -sigma, &lam) >= empty_at {
                return Ok(None);
            }
            let v: Vec<f64> = y.iter().zip(&self.w).map(|(y, w)| y - w).collect();
            if let Some(p) = self.ray(f, &v, sigma, mode) {
                return Ok(Some(p));
            }
        }
        // A point deep inside the side, certified directly.
        if let Some(p) = self.lp_centre(f, sigma) {
            let s = Filter::new(f, mode, self.extent, 0.0).judge(f, &p, 0.0).1;
            if s as f64 == sigma && self.inside(&p, mode) {
                return Ok(Some(p));
            }
        }
        Err(Undecided)
    }

    fn decide(&self, f: &Map<'_>, mode: Mode) -> Verdict<Decision> {
        let known = self
            .memo
            .lock()
            .ok()
            .and_then(|m| m.iter().rev().find(|e| e.is(f)).cloned());
        let s = Filter::new(f, mode, self.extent, 0.0)
            .judge(f, &self.w, 0.0)
            .1;
        let side = |k: usize, sigma: f64| -> Verdict<Option<Vec<f64>>> {
            if s as f64 == sigma {
                return Ok(Some(self.w.clone()));
            }
            match known.as_ref().and_then(|e| e.sides[k].as_ref()) {
                Some(None) => return Ok(None),
                Some(Some(p)) if self.inside(p, mode) => return Ok(Some(p.clone())),
                _ => {}
            }
            self.side_of(f, sigma, mode)
        };
        let neg = side(0, -1.0)?;
        let pos = side(1, 1.0)?;
        if let Ok(mut m) = self.memo.lock() {
            m.push(Arc::new(Memo {
                alpha: f.alpha,
                err: f.err,
                beta: f.beta.to_vec(),
                sides: [Some(neg.clone()), Some(pos.clone())],
            }));
        }
        match (neg, pos) {
            (Some(n), Some(p)) => Ok(Decision::Cut(n, p)),
            (None, Some(_)) => Ok(Decision::Side(true)),
            (Some(_), None) => Ok(Decision::Side(false)),
            (None, None) => Err(Undecided), // both proven empty: not a cell
        }
    }

    /// The cell with the cut `σ f ≥ 0` added and interior point `w`.
    fn with_cut(&self, f: &Map<'_>, sigma: f64, w: Vec<f64>) -> Self {
        let mut out = self.clone();
        out.a.extend(f.beta.iter().map(|b| sigma * b));
        let alpha = sigma * f.alpha;
        out.alpha.push(alpha);
        out.err.push(f.err);
        // β·y ≥ −α − err on the true cell: the right side rounded down.
        let rhs = -alpha - f.err;
        out.b
            .push(rhs - rhs.abs() * 2.0 * f64::EPSILON - f64::MIN_POSITIVE);
        out.w = w;
        out
    }
}

impl Cell for HCell {
    fn dim(&self) -> usize {
        self.d
    }
    /// None: the cell is in halfspace form (see [`Cell::bounding_box`]).
    fn vertices(&self) -> impl Iterator<Item = (&[f64], f64)> {
        std::iter::empty()
    }
    fn extent(&self) -> f64 {
        self.extent
    }
    fn radius(&self) -> f64 {
        0.0
    }
    fn bounding_box(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        Some((self.lo.to_vec(), self.hi.to_vec()))
    }
    fn side(&self, f: &Map<'_>, mode: Mode) -> Verdict<Option<bool>> {
        Ok(match self.decide(f, mode)? {
            Decision::Side(s) => Some(s),
            Decision::Cut(..) => None,
        })
    }
    fn split(self, f: &Map<'_>, mode: Mode) -> Split<Self> {
        match self.decide(f, mode) {
            Ok(Decision::Side(false)) => Ok((Some(self), None)),
            Ok(Decision::Side(true)) => Ok((None, Some(self))),
            Ok(Decision::Cut(n, p)) => {
                let lo = self.with_cut(f, -1.0, n);
                let hi = self.with_cut(f, 1.0, p);
                Ok((Some(lo), Some(hi)))
            }
            Err(Undecided) => Err(self),
        }
    }
    fn interior(&self) -> Vec<f64> {
        self.w.clone()
    }
    fn measure(&self) -> f64 {
        f64::NAN
    }
    fn negligible(&self, _min: f64) -> bool {
        false
    }
    fn exact_fallback(&self) -> bool {
        false
    }
    fn to_exact(&self) -> ExactPolytope {
        unreachable!("HCell has no exact fallback (Cell::exact_fallback is false)")
    }
    fn from_exact(_e: &ExactPolytope) -> Self {
        unreachable!("HCell has no exact fallback (Cell::exact_fallback is false)")
    }
}
