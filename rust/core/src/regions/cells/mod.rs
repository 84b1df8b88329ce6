//! Convex cells of a slice's coordinates `s ∈ R^k`: [`Interval`] (`k = 1`), [`Polygon`]
//! (`k = 2`) and [`VPolytope`] (any `k`), and the *filtered predicates* that cut them.
//!
//! **Filtered predicates** (the CGAL / Shewchuk discipline). A cell's vertices are float
//! approximations of exact rational points, each with an error radius `r` (`‖v − v*‖∞ ≤
//! r`); an affine map `f = α + β·s` comes with `err`, a bound of `|f* − f|` over the true
//! cell (`f*` is the map exact arithmetic gives). The sign of `f*(v*)` is decided from
//! `g = fl(f(v))` when `|g|` exceeds the proven bound `err + ‖β‖₁ r + γ_{k+1}(|α| +
//! Σ|β_c v_c|)`; otherwise the predicate is [`Undecided`] and the walk redoes the cell in
//! exact arithmetic ([`crate::regions::exact`]). A new vertex on the edge `u–v` gets the
//! radius `max(r_u, r_v) + |t − t*| (‖v − u‖∞ + r_u + r_v)` plus its rounding, with
//! `|t − t*| ≤ max(E_u, E_v) / (|g_u| + |g_v| − E_u − E_v)` (`E` the bounds of the two
//! decisions). So every cut the float path takes is the one exact arithmetic takes.
//!
//! [`Mode::Tol`] instead treats vertices within `tol · (|α| + ‖β‖₁ · extent)` of `f = 0`
//! as on it (the user's explicit choice to merge slivers thinner than that).

mod hcell;
pub mod incidence;
mod interval;
mod polygon;
pub mod volume;
mod vpolytope;

pub use hcell::HCell;
pub use interval::Interval;
pub use polygon::Polygon;
pub use vpolytope::{VPolytope, MAX_BOX_DIM};

use crate::regions::exact::ExactPolytope;

/// Default relative tolerance of [`Mode::Tol`] when a caller asks for the float mode.
pub const TOL: f64 = 1e-12;

/// How the walk decides signs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Exact arithmetic's answer (filtered float predicates, exact when undecided).
    Exact,
    /// Vertices within the relative tolerance of a hyperplane lie on it.
    Tol(f64),
    /// Exact arithmetic throughout, no float filter (slow: the oracle of [`Mode::Exact`]).
    Rational,
}

/// A sign the float filter could not decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undecided;

/// A decision of the float path, or [`Undecided`].
pub type Verdict<T> = std::result::Result<T, Undecided>;

/// The two parts of a cut, or the cell back when a sign was undecided.
pub type Split<C> = std::result::Result<(Option<C>, Option<C>), C>;

/// The tag of a cell edge that no tagged cut made ([`Cell::split_tagged`]).
pub const NO_TAG: u32 = u32::MAX;

/// Sign code of an undecided vertex.
pub const UNKNOWN: i8 = 2;

const EPS: f64 = f64::EPSILON;
/// A bound of the absolute error of an underflowing product (at most half the smallest
/// subnormal): the smallest *normal* number, so that the error bounds never compute
/// with subnormals (each such product or sum costs a microcode assist, ~100 cycles:
/// with `5e-324` here, `err_from` alone took a quarter of a LeNet walk).
const ETA: f64 = f64::MIN_POSITIVE;

/// An affine map `α + β·s` on a cell with `err ≥ |f* − f|` on the true cell.
#[derive(Debug, Clone, Copy)]
pub struct Map<'a> {
    pub alpha: f64,
    pub beta: &'a [f64],
    pub err: f64,
}

/// `(a + γ mag)` rounded up: a proven bound of the error of `α + β·v` evaluated in
/// float with `k` terms, given the map's own error `a`.
#[inline]
fn bound(a: f64, mag: f64, k: usize) -> f64 {
    let c = (k + 2) as f64;
    (a + c * EPS * mag) * (1.0 + 8.0 * EPS) + c * ETA
}

/// Sign decisions of one map on one cell.
pub struct Filter {
    mode: Mode,
    /// `Tol`: the tolerance scale; `Exact`: a bound valid at every vertex.
    uniform: f64,
    err: f64,
    l1: f64,
    k: usize,
}

impl Filter {
    pub fn new(f: &Map<'_>, mode: Mode, extent: f64, rmax: f64) -> Self {
        let l1: f64 = f.beta.iter().map(|b| b.abs()).sum();
        let k = f.beta.len();
        let uniform = match mode {
            Mode::Tol(t) => (t * (f.alpha.abs() + l1 * extent)).max(f64::MIN_POSITIVE),
            Mode::Exact | Mode::Rational => {
                bound(f.err + l1 * rmax, f.alpha.abs() + l1 * extent, k)
            }
        };
        Filter {
            mode,
            uniform,
            err: f.err,
            l1,
            k,
        }
    }

    /// `(g, sign, bound)` of `f` at the vertex `x` of radius `r`: sign `-1`, `1`, `0` (on
    /// the hyperplane, tolerance mode only) or [`UNKNOWN`].
    #[inline]
    pub fn judge(&self, f: &Map<'_>, x: &[f64], r: f64) -> (f64, i8, f64) {
        let g = f.alpha + f.beta.iter().zip(x).map(|(b, v)| b * v).sum::<f64>();
        match self.mode {
            Mode::Tol(_) => (
                g,
                if g > self.uniform {
                    1
                } else if g < -self.uniform {
                    -1
                } else {
                    0
                },
                0.0,
            ),
            Mode::Exact | Mode::Rational => {
                if g.abs() > self.uniform {
                    return (g, if g > 0.0 { 1 } else { -1 }, self.uniform);
                }
                let mag = f.alpha.abs()
                    + f.beta
                        .iter()
                        .zip(x)
                        .map(|(b, v)| (b * v).abs())
                        .sum::<f64>();
                let e = bound(self.err + self.l1 * r, mag, self.k);
                (
                    g,
                    if g > e {
                        1
                    } else if g < -e {
                        -1
                    } else {
                        UNKNOWN
                    },
                    e,
                )
            }
        }
    }
}

/// The proven bound of the error of `f(x)` evaluated in float at a vertex `x` of radius
/// `r` (`row`: `[α, β, err]`), the per-vertex bound of [`Filter::judge`]: the bound
/// a decision by the uniform bound returns is larger, and new vertices interpolated
/// with it get radii that grow with the cell's largest radius.
#[inline]
pub(crate) fn point_bound(row: &[f64], x: &[f64], r: f64) -> f64 {
    let k = x.len();
    let beta = &row[1..k + 1];
    let (mut l1, mut mag) = (0.0f64, row[0].abs());
    for (b, v) in beta.iter().zip(x) {
        l1 += b.abs();
        mag += (b * v).abs();
    }
    bound(row[k + 1] + l1 * r, mag, k)
}

/// The crossing of `f = 0` on the edge `u–v` (`gu`, `gv` of opposite certified signs,
/// `eu`, `ev` their bounds), appended to `out`; returns its error radius.
#[inline]
pub fn crossing(
    xu: &[f64],
    ru: f64,
    (gu, eu): (f64, f64),
    xv: &[f64],
    rv: f64,
    (gv, ev): (f64, f64),
    out: &mut Vec<f64>,
) -> f64 {
    let t = gu / (gu - gv);
    let (mut dmax, mut mag) = (0.0f64, 0.0f64);
    for (a, b) in xu.iter().zip(xv) {
        out.push(a + t * (b - a));
        dmax = dmax.max((b - a).abs());
        mag = mag.max(a.abs() + b.abs());
    }
    let dt = eu.max(ev) / (gu.abs() + gv.abs() - eu - ev) + 3.0 * EPS;
    (ru.max(rv) + dt * (dmax + ru + rv) + 3.0 * EPS * mag) * (1.0 + 8.0 * EPS) + ETA
}

/// Rows of a plane table: `[α, β_1..β_k, err]` (`err = ∞`: unknown plane).
pub(crate) const UNKNOWN_PLANE: f64 = f64::INFINITY;

/// Whether an interpolated radius `r` at `w` is worth replacing by [`cond_radius`]
/// (interpolation bounds compound along chains of cuts; the conditioning bound does not).
/// At `1e-6` of the scale most new vertices keep their interpolated radius (with the
/// per-vertex bounds of [`point_bound`] they grow about 2x per generation of cuts, so
/// a chain reaches it after some 20 cuts); vertices a later sign leaves undecided are
/// tightened on demand ([`Cell::tighten_for`]). Measured (2 threads, counts of
/// `benches/exactness.py` networks): `1e-9` 1.28x / 1.37x / 1.48x the tolerance mode in
/// d = 3 / 4 / 6, `1e-6` 1.21x / 1.34x / 1.42x; much larger thresholds let the cells'
/// largest radius weaken the uniform filters and cost more.
#[inline]
pub(crate) fn worth_conditioning(r: f64, w: &[f64]) -> bool {
    r > 1e-6 * (1.0 + w.iter().fold(0.0f64, |m, x| m.max(x.abs())))
}

/// Whether [`Cell::tighten`] should recompute the radius `r` at `w`.
#[inline]
pub(crate) fn loose(r: f64, w: &[f64]) -> bool {
    r > 1e-11 * (1.0 + w.iter().fold(0.0f64, |m, x| m.max(x.abs())))
}

/// A proven bound of `‖w − w*‖∞` for a float point `w` whose true counterpart `w*` lies
/// on the `k` hyperplanes `planes` (rows `[α, β, err]`, `err` bounding `|f* − f|` at
/// `w*`): with `A` the matrix of the `β`, `A (w − w*) = f(w) − f(w*)` and `|f(w*)| ≤ err`,
/// so `‖w − w*‖∞ ≤ ‖A⁻¹‖∞ max_i (|f_i(w)| + err_i)`. `‖A⁻¹‖∞ ≤ ‖R‖∞ / (1 − δ)` for an
/// approximate inverse `R` with `‖I − R A‖∞ ≤ δ < 1` (bounded with its rounding). `None`
/// when a plane is unknown or `A` is too ill-conditioned to certify.
pub(crate) fn cond_radius(w: &[f64], planes: &[&[f64]]) -> Option<f64> {
    let k = w.len();
    if planes.len() != k || planes.iter().any(|p| !p[k + 1].is_finite()) {
        return None;
    }
    // Fixed sizes up to 8 (loops the compiler unrolls, no bounds checks in the hot
    // loops); the same operations in the same order as the general case.
    match k {
        2 => cond_radius_k::<2>(w, planes),
        3 => cond_radius_k::<3>(w, planes),
        4 => cond_radius_k::<4>(w, planes),
        5 => cond_radius_k::<5>(w, planes),
        6 => cond_radius_k::<6>(w, planes),
        7 => cond_radius_k::<7>(w, planes),
        8 => cond_radius_k::<8>(w, planes),
        _ => cond_radius_any(w, planes),
    }
}

/// [`cond_radius`] for `K` coordinates (`K <= 8`).
#[allow(clippy::needless_range_loop)] // fixed-size kernel: indices read clearer
fn cond_radius_k<const K: usize>(w: &[f64], planes: &[&[f64]]) -> Option<f64> {
    let mut a = [[0.0f64; 8]; 8];
    let mut alpha = [0.0f64; 8];
    let mut err = [0.0f64; 8];
    for i in 0..K {
        a[i][..K].copy_from_slice(&planes[i][1..K + 1]);
        alpha[i] = planes[i][0];
        err[i] = planes[i][K + 1];
    }
    // Gauss–Jordan with partial pivoting on [A | I].
    let mut m = [[0.0f64; 16]; 8];
    for i in 0..K {
        m[i][..K].copy_from_slice(&a[i][..K]);
        m[i][K + i] = 1.0;
    }
    for c in 0..K {
        let mut piv = c;
        for r in c + 1..K {
            if m[r][c].abs().total_cmp(&m[piv][c].abs()).is_ge() {
                piv = r;
            }
        }
        if m[piv][c] == 0.0 {
            return None;
        }
        m.swap(c, piv);
        let inv = 1.0 / m[c][c];
        for j in 0..2 * K {
            m[c][j] *= inv;
        }
        let pr = m[c];
        for (i, row) in m.iter_mut().enumerate().take(K) {
            let f = row[c];
            if i != c && f != 0.0 {
                for j in 0..2 * K {
                    row[j] -= f * pr[j];
                }
            }
        }
    }
    let gamma = (K + 2) as f64 * EPS;
    let (mut delta, mut norm_r) = (0.0f64, 0.0f64);
    for i in 0..K {
        let (mut c, mut abs) = ([0.0f64; 8], [0.0f64; 8]);
        for l in 0..K {
            let rl = m[i][K + l];
            for j in 0..K {
                let t = rl * a[l][j];
                c[j] += t;
                abs[j] += t.abs();
            }
        }
        let mut row = 0.0;
        for j in 0..K {
            row += (if i == j { 1.0 - c[j] } else { -c[j] }).abs() + gamma * abs[j];
        }
        delta = delta.max(row);
        let mut nr = 0.0;
        for l in 0..K {
            nr += m[i][K + l].abs();
        }
        norm_r = norm_r.max(nr);
    }
    let delta = delta * (1.0 + 4.0 * gamma) + ETA;
    if delta.is_nan() || delta >= 0.5 {
        return None;
    }
    let mut res = 0.0f64;
    for i in 0..K {
        let (mut s, mut sm) = (0.0, 0.0);
        for j in 0..K {
            s += a[i][j] * w[j];
            sm += (a[i][j] * w[j]).abs();
        }
        let (g, mag) = (alpha[i] + s, alpha[i].abs() + sm);
        res = res.max(g.abs() + bound(err[i], mag, K));
    }
    Some(norm_r / (1.0 - delta) * res * (1.0 + 8.0 * gamma) + ETA)
}

/// [`cond_radius`] for any number of coordinates.
fn cond_radius_any(w: &[f64], planes: &[&[f64]]) -> Option<f64> {
    let k = w.len();
    // Gauss–Jordan with partial pivoting on [A | I], on the stack up to k = 8 (it runs
    // for most new vertices of exact walks in d >= 4: no allocation, row slices).
    let n2 = 2 * k;
    let mut stack = [0.0f64; 128];
    let mut heap = Vec::new();
    let m: &mut [f64] = if k * n2 <= stack.len() {
        &mut stack[..k * n2]
    } else {
        heap.resize(k * n2, 0.0);
        &mut heap
    };
    for (i, p) in planes.iter().enumerate() {
        m[i * n2..i * n2 + k].copy_from_slice(&p[1..k + 1]);
        m[i * n2 + k + i] = 1.0;
    }
    let mut piv_row = [0.0f64; 32];
    let mut piv_heap = Vec::new();
    let pr: &mut [f64] = if n2 <= piv_row.len() {
        &mut piv_row[..n2]
    } else {
        piv_heap.resize(n2, 0.0);
        &mut piv_heap
    };
    for c in 0..k {
        let piv = (c..k).max_by(|&a, &b| m[a * n2 + c].abs().total_cmp(&m[b * n2 + c].abs()))?;
        if m[piv * n2 + c] == 0.0 {
            return None;
        }
        if piv != c {
            for j in 0..n2 {
                m.swap(c * n2 + j, piv * n2 + j);
            }
        }
        let inv = 1.0 / m[c * n2 + c];
        for (x, y) in pr.iter_mut().zip(&mut m[c * n2..(c + 1) * n2]) {
            *y *= inv;
            *x = *y;
        }
        for (i, row) in m.chunks_exact_mut(n2).enumerate() {
            let f = row[c];
            if i != c && f != 0.0 {
                for (x, p) in row.iter_mut().zip(pr.iter()) {
                    *x -= f * p;
                }
            }
        }
    }
    let m: &[f64] = m;
    let gamma = (k + 2) as f64 * EPS;
    let (mut delta, mut norm_r) = (0.0f64, 0.0f64);
    // Row i of R A and of |R| |A|, accumulated over l in order (rows of A contiguous).
    let (mut c, mut abs) = ([0.0f64; 16], [0.0f64; 16]);
    let (mut c_heap, mut abs_heap) = (Vec::new(), Vec::new());
    let (c, abs): (&mut [f64], &mut [f64]) = if k <= c.len() {
        (&mut c[..k], &mut abs[..k])
    } else {
        c_heap.resize(k, 0.0);
        abs_heap.resize(k, 0.0);
        (&mut c_heap, &mut abs_heap)
    };
    for i in 0..k {
        let ri = &m[i * n2 + k..(i + 1) * n2];
        c.fill(0.0);
        abs.fill(0.0);
        for (l, &rl) in ri.iter().enumerate() {
            for ((cj, aj), &al) in c.iter_mut().zip(abs.iter_mut()).zip(&planes[l][1..k + 1]) {
                let t = rl * al;
                *cj += t;
                *aj += t.abs();
            }
        }
        let row: f64 = (0..k)
            .map(|j| (if i == j { 1.0 - c[j] } else { -c[j] }).abs() + gamma * abs[j])
            .sum();
        delta = delta.max(row);
        norm_r = norm_r.max(ri.iter().map(|x| x.abs()).sum::<f64>());
    }
    let delta = delta * (1.0 + 4.0 * gamma) + ETA;
    if delta.is_nan() || delta >= 0.5 {
        return None;
    }
    let res = planes.iter().fold(0.0f64, |mx, p| {
        let g = p[0] + p[1..k + 1].iter().zip(w).map(|(b, x)| b * x).sum::<f64>();
        let mag = p[0].abs()
            + p[1..k + 1]
                .iter()
                .zip(w)
                .map(|(b, x)| (b * x).abs())
                .sum::<f64>();
        mx.max(g.abs() + bound(p[k + 1], mag, k))
    });
    Some(norm_r / (1.0 - delta) * res * (1.0 + 8.0 * gamma) + ETA)
}

/// A convex cell with non-empty interior: an interval, a polygon or a polytope.
pub trait Cell: Clone + Send + Sync + Sized {
    /// Dimension `k` of the cell's coordinates.
    fn dim(&self) -> usize;
    /// The vertices with their error radii.
    fn vertices(&self) -> impl Iterator<Item = (&[f64], f64)>;
    /// `max_c |s_c| + r` over the vertices: bounds `‖s‖∞` on the true cell.
    fn extent(&self) -> f64;
    /// The largest vertex radius.
    fn radius(&self) -> f64;
    /// The parts of the cell where `f ≤ 0` and `f ≥ 0` (`None` for a part without
    /// interior).
    fn split(self, f: &Map<'_>, mode: Mode) -> Split<Self>;
    /// [`Cell::split`], where the cut's new edges (facets) carry `tag`, and, in the exact
    /// modes, a vertex between two edges tagged `zero` (in either order) is taken to lie
    /// exactly on `f = 0`: the caller guarantees that `f*` vanishes where the two tagged
    /// cuts' true hyperplanes meet (for instance `f = h_q − h_r` with `q`, `r` the ReLU
    /// units whose hyperplanes are those cuts). Cells without tags (intervals,
    /// polytopes) ignore both.
    fn split_tagged(
        self,
        f: &Map<'_>,
        mode: Mode,
        _tag: u32,
        _zero: Option<(u32, u32)>,
    ) -> Split<Self> {
        self.split(f, mode)
    }
    /// A point strictly inside.
    fn interior(&self) -> Vec<f64>;
    /// Length, area or volume (NaN when not computed).
    fn measure(&self) -> f64;
    /// The distinct tags of the cell's facets other than [`NO_TAG`] (cells that keep
    /// no tags: none).
    fn facet_tags(&self) -> Vec<u32> {
        Vec::new()
    }
    /// Whether to drop the cell as a sliver of measure below `min` (tolerance mode).
    fn negligible(&self, min: f64) -> bool {
        self.measure() <= min
    }
    /// The same cell with exact vertices (for domains, whose vertices are exact floats).
    fn to_exact(&self) -> ExactPolytope;
    /// The float cell of an exact one.
    fn from_exact(e: &ExactPolytope) -> Self;
    /// Replace loose vertex radii by their conditioning bound (`cond_radius`), after a
    /// sign the filter could not decide; `false` when nothing changed (then the walk goes
    /// exact). Radii from interpolation compound along chains of cuts, so they are
    /// tightened on demand rather than at every new vertex.
    fn tighten(&mut self) -> bool {
        false
    }
    /// [`Cell::tighten`] for the vertices whose sign of `f` the filter leaves undecided
    /// only (cheaper when most vertices are far from `f = 0`).
    fn tighten_for(&mut self, _f: &Map<'_>, _mode: Mode) -> bool {
        self.tighten()
    }
    /// A box holding the cell, when it is known without the vertices (cells in
    /// halfspace form); `None`: the box of the vertices.
    fn bounding_box(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        None
    }
    /// Whether the walk may redo this cell in exact arithmetic when a sign is undecided
    /// (it needs the domain's vertices); `false`: an undecided sign is an error.
    fn exact_fallback(&self) -> bool {
        true
    }
    /// Intervals: start where `prev` ends (a no-op for other cells).
    fn set_lower_end(&mut self, _prev: &Self) {}

    /// Which side of `f = 0` the whole cell lies on (`Some(false)`: `f ≤ 0`,
    /// `Some(true)`: `f ≥ 0`), or `None` when `f = 0` cuts it.
    fn side(&self, f: &Map<'_>, mode: Mode) -> Verdict<Option<bool>> {
        let filter = Filter::new(f, mode, self.extent(), self.radius());
        let (mut neg, mut pos, mut unknown) = (false, false, false);
        for (x, r) in self.vertices() {
            match filter.judge(f, x, r).1 {
                -1 => neg = true,
                1 => pos = true,
                UNKNOWN => unknown = true,
                _ => {}
            }
            if neg && pos {
                return Ok(None);
            }
        }
        if unknown {
            return Err(Undecided);
        }
        Ok(Some(pos))
    }

    /// `(g, sign, bound)` of `f` at every vertex; [`Undecided`] if a sign is unknown.
    fn judge_all(&self, f: &Map<'_>, mode: Mode) -> Verdict<Vec<(f64, i8, f64)>> {
        self.judge_known(f, mode, |_| false)
    }

    /// [`Cell::judge_all`], with the vertices `i` where `zero(i)` known to lie exactly on
    /// `f = 0` (sign 0; the caller's guarantee, see [`Cell::split_tagged`]).
    fn judge_known(
        &self,
        f: &Map<'_>,
        mode: Mode,
        zero: impl Fn(usize) -> bool,
    ) -> Verdict<Vec<(f64, i8, f64)>> {
        let filter = Filter::new(f, mode, self.extent(), self.radius());
        let out: Vec<(f64, i8, f64)> = self
            .vertices()
            .enumerate()
            .map(|(i, (x, r))| {
                if zero(i) {
                    (0.0, 0, 0.0)
                } else {
                    filter.judge(f, x, r)
                }
            })
            .collect();
        if out.iter().any(|j| j.1 == UNKNOWN) {
            return Err(Undecided);
        }
        Ok(out)
    }
}

/// Max radius and extent of float vertices with radii.
pub(crate) fn extent_of<'a>(vs: impl Iterator<Item = (&'a [f64], f64)>) -> (f64, f64) {
    vs.fold((0.0f64, 0.0f64), |(e, rm), (x, r)| {
        (x.iter().fold(e, |m, v| m.max(v.abs() + r)), rm.max(r))
    })
}

/// The radius of a float rounded from an exact rational (two ulps).
pub(crate) fn rounding_radius(x: &[f64]) -> f64 {
    x.iter().fold(0.0f64, |m, v| m.max(v.abs())) * 4.0 * EPS + 4.0 * ETA
}

/// The bounding box of a cell's float vertices (centre `c`, half-widths `h`, rounded
/// up), for a sign test of a whole cell in `O(k)` instead of `O(vertices · k)`: most
/// units of a layer are far from a small cell, and [`CellBox::side`] decides them from
/// the value at the centre.
pub struct CellBox {
    c: Vec<f64>,
    h: Vec<f64>,
    extent: f64,
    rmax: f64,
}

impl CellBox {
    /// The box of `cell`'s vertices.
    pub fn of<C: Cell>(cell: &C) -> Self {
        let k = cell.dim();
        let (lo, hi) = cell.bounding_box().unwrap_or_else(|| {
            let (mut lo, mut hi) = (vec![f64::INFINITY; k], vec![f64::NEG_INFINITY; k]);
            for (x, _) in cell.vertices() {
                for i in 0..k {
                    lo[i] = lo[i].min(x[i]);
                    hi[i] = hi[i].max(x[i]);
                }
            }
            (lo, hi)
        });
        let c: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| 0.5 * (a + b)).collect();
        // |v_i - c_i| for every vertex, with the subtraction's rounding (relative ε).
        let h = (0..k)
            .map(|i| (hi[i] - c[i]).max(c[i] - lo[i]) * (1.0 + 4.0 * EPS))
            .collect();
        CellBox {
            c,
            h,
            extent: cell.extent(),
            rmax: cell.radius(),
        }
    }

    /// The centre of the box.
    #[inline]
    pub fn centre(&self) -> &[f64] {
        &self.c
    }

    /// The value `g` of `f` at the box's centre and a margin: in the exact modes, the
    /// true map (within its error `f.err`) lies in `[g - margin, g + margin]` at every
    /// point of the cell (the bound covers the map error, the vertex radii, the rounding
    /// of the centre value and the box's half-widths); in tolerance mode `|g| > margin`
    /// puts every vertex beyond the tolerance on one side.
    #[inline]
    pub fn centre_value(&self, f: &Map<'_>, mode: Mode) -> (f64, f64) {
        let k = f.beta.len();
        let l1: f64 = f.beta.iter().map(|b| b.abs()).sum();
        let mag = f.alpha.abs() + l1 * self.extent;
        let g = f.alpha + f.beta.iter().zip(&self.c).map(|(b, v)| b * v).sum::<f64>();
        let spread: f64 = f
            .beta
            .iter()
            .zip(&self.h)
            .map(|(b, h)| b.abs() * h)
            .sum::<f64>()
            * (1.0 + 2.0 * (k + 2) as f64 * EPS);
        let margin = match mode {
            Mode::Tol(t) => t * mag + 2.0 * bound(0.0, mag, k),
            Mode::Exact | Mode::Rational => bound(f.err + l1 * self.rmax, mag, k),
        } + spread;
        (g, margin)
    }

    /// The side of `f = 0` the whole cell lies on, when its value at the centre decides
    /// it for the whole box; `None` when the box does not decide (then ask the cell's
    /// vertices, [`Cell::side`]). Whenever this decides, [`Cell::side`] decides the
    /// same: in the exact modes the bound covers the map error, the vertex radii, the
    /// rounding of the centre value and the box's half-widths; in tolerance mode every
    /// vertex is then beyond the tolerance on the same side.
    #[inline]
    pub fn side(&self, f: &Map<'_>, mode: Mode) -> Option<bool> {
        let (g, margin) = self.centre_value(f, mode);
        if g > margin {
            Some(true)
        } else if g < -margin {
            Some(false)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod box_tests {
    use super::*;
    use crate::random::Rng;

    /// Whenever the bounding box decides a side, the vertex test does not contradict
    /// it, and in the exact mode the true values at the vertices (maps evaluated in
    /// f64 with a margin far above rounding) have that sign. Maps are drawn through or
    /// near the polygon, at several scales, and far away.
    #[test]
    fn box_decisions_agree_with_the_vertices() {
        let mut rng = Rng::new(9, 0);
        let mut decided = 0;
        for trial in 0..4000 {
            let s = [1e-6, 1.0, 1e6][trial % 3];
            let (u0, v0) = (rng.normal() * s, rng.normal() * s);
            let (du, dv) = ((rng.next_f64() + 1e-3) * s, (rng.next_f64() + 1e-3) * s);
            let cell = Polygon::new(vec![
                [u0, v0],
                [u0 + du, v0],
                [u0 + du, v0 + dv],
                [u0, v0 + dv * 0.5],
            ]);
            let beta = [rng.normal(), rng.normal()];
            // Through a point of the cell, shifted by a random multiple of its size.
            let (pu, pv) = (u0 + du * rng.next_f64(), v0 + dv * rng.next_f64());
            let shift = rng.normal() * s * [0.0, 1e-12, 1e-3, 1.0, 10.0][trial % 5];
            let alpha = -(beta[0] * pu + beta[1] * pv) + shift;
            let err = [0.0, 1e-14 * s, 1e-3 * s][trial % 3];
            let f = Map {
                alpha,
                beta: &beta,
                err,
            };
            for mode in [Mode::Exact, Mode::Tol(1e-10)] {
                let Some(side) = CellBox::of(&cell).side(&f, mode) else {
                    continue;
                };
                decided += 1;
                if let Ok(v) = cell.side(&f, mode) {
                    assert_eq!(v, Some(side), "trial {trial} {mode:?}");
                }
            }
        }
        assert!(decided > 1000);
    }
}
