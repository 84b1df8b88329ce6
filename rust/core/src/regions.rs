//! Exact linear regions of a network on a segment, a 2D slice or a full-dimensional
//! polytope of input space (MATH.md section 2), for any input dimension.
//!
//! Regions live in the coordinates `s` of a cell: a slice `x = o + Σ_c s_c e_c` (`k = 1`:
//! a segment, `s ∈ [0, 1]`; `k = 2`: a polygon of a plane) or the input itself (`k = d`,
//! a [`VPolytope`]). Every hidden unit is the maximum of affine *pieces*: ReLU is
//! `max(0, h)`, leaky ReLU `max(αh, h)`, maxout its `k` pieces, max-pooling its window;
//! the pattern entry is the index of the maximizing piece (lowest on ties, so a
//! pre-activation of exactly 0 is inactive).
//!
//! Algorithm (cell splitting, depth first): a cell carries the affine map `z = a + B s`
//! of the current layer's input. A ReLU layer first drops the units whose hyperplane
//! misses the cell, then cuts by the others recursively (lower side first, the two
//! sides in parallel with `rayon::join`); each part records the side it lies on, so the
//! pattern is read off the cuts, never re-evaluated. A max unit keeps, for each piece
//! `r`, the part where `p_r ≥ p_q` for every other piece `q` (convex, so nothing is
//! merged). Each finished part descends to the next layer. Results come in a fixed order,
//! so they never depend on the thread count. For ReLU networks memory is bounded by the
//! recursion depth, so `count_only` streams (13.3 million regions of a 4-48-48-48
//! network counted with 38 MB peak RSS).
//! Cost per cell and layer: `O(n_l · n_{l-1} · (k+1))` flops plus the cuts.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, Error, Result};
use crate::network::{put_field, Activation, Affine, Layer, Network};

/// Default relative tolerance of the cuts: a vertex where `|f| ≤ tol · (|α| + ‖β‖₁ ·
/// extent)` lies on the boundary `f = 0` (so cutting through a vertex makes no sliver);
/// on segments and planes, parts whose length or area is below `tol^k · |domain|` are
/// dropped as well.
pub const TOL: f64 = 1e-12;

/// A convex cell with non-empty interior: an interval, a polygon or a polytope.
pub trait Cell: Clone + Send + Sync {
    /// Dimension `k` of the cell's coordinates.
    fn dim(&self) -> usize;
    /// The parts of the cell where `f(s) = alpha + beta·s` is `≤ 0` and `≥ 0` (`None`
    /// for a part without interior), with the relative tolerance `tol`.
    fn split(self, alpha: f64, beta: &[f64], tol: f64) -> (Option<Self>, Option<Self>);
    /// Which side of `f = 0` the whole cell lies on (`Some(false)`: `f ≤ 0`,
    /// `Some(true)`: `f ≥ 0`), or `None` when `f = 0` cuts it (the test of `split`).
    fn side(&self, alpha: f64, beta: &[f64], tol: f64) -> Option<bool>;
    /// A point strictly inside.
    fn interior(&self) -> Vec<f64>;
    /// `max |s_c|` over the cell (the scale of rounding errors in affine maps on it).
    fn extent(&self) -> f64;
    /// Length, area or volume.
    fn measure(&self) -> f64;
    /// Whether to drop the cell as a sliver of measure below `min` (cells whose measure
    /// is expensive rely on the vertex tolerance alone).
    fn negligible(&self, min: f64) -> bool {
        self.measure() <= min
    }
}

/// The side of a cell from the extreme values of `f` on its vertices.
fn classify(lo: f64, hi: f64, scale: f64) -> Option<bool> {
    if hi <= scale {
        Some(false)
    } else if lo >= -scale {
        Some(true)
    } else {
        None
    }
}

/// The scale of `|f|` on a cell: `tol · (|α| + ‖β‖₁ · extent)`.
fn cut_scale(alpha: f64, beta: &[f64], extent: f64, tol: f64) -> f64 {
    (tol * (alpha.abs() + beta.iter().map(|b| b.abs()).sum::<f64>() * extent)).max(f64::MIN_POSITIVE)
}

/// An interval `[lo, hi]` of a segment parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval(pub f64, pub f64);

impl Cell for Interval {
    fn dim(&self) -> usize {
        1
    }
    fn split(self, alpha: f64, beta: &[f64], tol: f64) -> (Option<Self>, Option<Self>) {
        let (f0, f1) = (alpha + beta[0] * self.0, alpha + beta[0] * self.1);
        let scale = cut_scale(alpha, beta, self.0.abs().max(self.1.abs()), tol);
        let (neg0, neg1) = (f0 < -scale, f1 < -scale);
        let (pos0, pos1) = (f0 > scale, f1 > scale);
        if !(pos0 || pos1) {
            return (Some(self), None);
        }
        if !(neg0 || neg1) {
            return (None, Some(self));
        }
        let t = -alpha / beta[0];
        let (a, b) = (Interval(self.0, t), Interval(t, self.1));
        if neg0 { (Some(a), Some(b)) } else { (Some(b), Some(a)) }
    }
    fn side(&self, alpha: f64, beta: &[f64], tol: f64) -> Option<bool> {
        let (f0, f1) = (alpha + beta[0] * self.0, alpha + beta[0] * self.1);
        let scale = cut_scale(alpha, beta, self.0.abs().max(self.1.abs()), tol);
        classify(f0.min(f1), f0.max(f1), scale)
    }
    fn interior(&self) -> Vec<f64> {
        vec![0.5 * (self.0 + self.1)]
    }
    fn extent(&self) -> f64 {
        self.0.abs().max(self.1.abs())
    }
    fn measure(&self) -> f64 {
        self.1 - self.0
    }
}

/// A convex polygon, vertices counter-clockwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon(pub Vec<[f64; 2]>);

impl Polygon {
    /// The rectangle `[u0, u1] × [v0, v1]`.
    pub fn rect(u0: f64, u1: f64, v0: f64, v1: f64) -> Self {
        Polygon(vec![[u0, v0], [u1, v0], [u1, v1], [u0, v1]])
    }
}

impl Cell for Polygon {
    fn dim(&self) -> usize {
        2
    }
    fn split(self, alpha: f64, beta: &[f64], tol: f64) -> (Option<Self>, Option<Self>) {
        let pts = &self.0;
        let f: Vec<f64> = pts.iter().map(|p| alpha + beta[0] * p[0] + beta[1] * p[1]).collect();
        let extent = pts.iter().map(|p| p[0].abs().max(p[1].abs())).fold(0.0, f64::max);
        let scale = cut_scale(alpha, beta, extent, tol);
        let side: Vec<i8> = f.iter().map(|&x| if x > scale { 1 } else if x < -scale { -1 } else { 0 }).collect();
        if !side.contains(&1) {
            return (Some(self), None);
        }
        if !side.contains(&-1) {
            return (None, Some(self));
        }
        let (mut neg, mut pos) = (Vec::new(), Vec::new());
        let n = pts.len();
        for i in 0..n {
            let j = (i + 1) % n;
            match side[i] {
                -1 => neg.push(pts[i]),
                1 => pos.push(pts[i]),
                _ => {
                    neg.push(pts[i]);
                    pos.push(pts[i]);
                }
            }
            if side[i] * side[j] == -1 {
                let t = f[i] / (f[i] - f[j]);
                let q = [pts[i][0] + t * (pts[j][0] - pts[i][0]), pts[i][1] + t * (pts[j][1] - pts[i][1])];
                neg.push(q);
                pos.push(q);
            }
        }
        let keep = |p: Vec<[f64; 2]>| (p.len() >= 3).then_some(Polygon(p));
        (keep(neg), keep(pos))
    }
    fn side(&self, alpha: f64, beta: &[f64], tol: f64) -> Option<bool> {
        let (mut lo, mut hi, mut extent) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
        for p in &self.0 {
            let f = alpha + beta[0] * p[0] + beta[1] * p[1];
            lo = lo.min(f);
            hi = hi.max(f);
            extent = extent.max(p[0].abs().max(p[1].abs()));
        }
        classify(lo, hi, cut_scale(alpha, beta, extent, tol))
    }
    fn extent(&self) -> f64 {
        self.0.iter().fold(0.0, |m, p| m.max(p[0].abs()).max(p[1].abs()))
    }
    fn interior(&self) -> Vec<f64> {
        // Area centroid (strictly inside a non-degenerate convex polygon).
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        let p = &self.0;
        for i in 0..p.len() {
            let (x0, y0, x1, y1) = (p[i][0], p[i][1], p[(i + 1) % p.len()][0], p[(i + 1) % p.len()][1]);
            let cr = x0 * y1 - x1 * y0;
            a += cr;
            cx += (x0 + x1) * cr;
            cy += (y0 + y1) * cr;
        }
        if a.abs() < f64::MIN_POSITIVE {
            let n = p.len() as f64;
            return vec![p.iter().map(|q| q[0]).sum::<f64>() / n, p.iter().map(|q| q[1]).sum::<f64>() / n];
        }
        vec![cx / (3.0 * a), cy / (3.0 * a)]
    }
    fn measure(&self) -> f64 {
        let p = &self.0;
        0.5 * (0..p.len()).map(|i| {
            let j = (i + 1) % p.len();
            p[i][0] * p[j][1] - p[j][0] * p[i][1]
        }).sum::<f64>()
    }
}

/// A full-dimensional convex polytope of `R^d` by its vertices and their incidences:
/// bit `f` of a vertex's row says it lies on facet hyperplane `f`.
///
/// [`Cell::split`] needs no LP. With vertices classified `<0`, `0`, `>0` (with the
/// tolerance), both parts have interior exactly when both strict classes occur; the new
/// vertices are the crossings of the edges between the strict classes, where vertices
/// `u, v` span an edge iff `S = F(u) ∩ F(v)` has at least `d − 1` facets and no other
/// vertex lies on all of `S` (the combinatorial test of the double description method,
/// exact for any polytope, simple or not; at a simple vertex the first condition
/// suffices). A new vertex lies on `S` and the cut. Cost `O(V² · F/64)` for `V` vertices
/// and `F` facets (`O(V³ · F/64)` at degenerate vertices). Facets with fewer than `d`
/// vertices (never true facets) are dropped after each cut.
#[derive(Debug, Clone, PartialEq)]
pub struct VPolytope {
    d: usize,
    /// `V × d`, row-major.
    verts: Vec<f64>,
    /// Facet ids in use: `0..nf`.
    nf: usize,
    /// `max |x_c|` over vertices (the scale of the cut tolerance).
    extent: f64,
    /// Words per incidence row.
    words: usize,
    /// `V × words`.
    inc: Vec<u64>,
}

fn extent(verts: &[f64]) -> f64 {
    verts.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Largest dimension of a [`VPolytope::boxed`] domain (`2^d` vertices).
pub const MAX_BOX_DIM: usize = 20;

impl VPolytope {
    /// The box `[lo, hi]` (`lo < hi` in every coordinate, `d ≤` [`MAX_BOX_DIM`]).
    pub fn boxed(lo: &[f64], hi: &[f64]) -> Result<Self> {
        let d = lo.len();
        if d == 0 || hi.len() != d {
            return Err(invalid("lo/hi", format!("expected two points of the same dimension >= 1, got {} and {}", lo.len(), hi.len())));
        }
        if d > MAX_BOX_DIM {
            return Err(invalid("lo/hi", format!("a box of dimension {d} has 2^{d} vertices (at most {MAX_BOX_DIM} dimensions)")));
        }
        if lo.iter().chain(hi).any(|v| !v.is_finite()) || lo.iter().zip(hi).any(|(a, b)| a >= b) {
            return Err(invalid("lo/hi", "must be finite with lo < hi in every coordinate"));
        }
        let nv = 1usize << d;
        let words = (2 * d).div_ceil(64);
        let mut verts = Vec::with_capacity(nv * d);
        let mut inc = vec![0u64; nv * words];
        for m in 0..nv {
            for c in 0..d {
                let up = m >> c & 1 == 1;
                verts.push(if up { hi[c] } else { lo[c] });
                let f = 2 * c + up as usize;
                inc[m * words + f / 64] |= 1 << (f % 64);
            }
        }
        Ok(VPolytope { d, nf: 2 * d, extent: extent(&verts), verts, words, inc })
    }

    /// The bounded polytope `{x : A x ≤ b}` (`A` is `m × d`, row-major) with non-empty
    /// interior: cut a large box by every half-space, check that no vertex is left on
    /// the box, then cut again from the tight bounding box (for accuracy).
    pub fn from_halfspaces(a: &[f64], b: &[f64], d: usize, tol: f64) -> Result<Self> {
        let m = b.len();
        if d == 0 || a.len() != m * d || m == 0 {
            return Err(invalid("A/b", format!("expected A of shape (m, {d}) and b of shape (m,) with m >= 1")));
        }
        if a.iter().chain(b).any(|v| !v.is_finite()) {
            return Err(invalid("A/b", "must be finite"));
        }
        let rows: Vec<&[f64]> = a.chunks(d).collect();
        if let Some(i) = rows.iter().position(|r| r.iter().all(|&x| x == 0.0)) {
            return Err(invalid("A", format!("row {i} is zero")));
        }
        let cut = |start: VPolytope| -> Result<VPolytope> {
            let mut p = start;
            for (i, r) in rows.iter().enumerate() {
                p = p.split(-b[i], r, tol).0.ok_or_else(|| invalid("A/b", "the polytope {x : A x <= b} has empty interior"))?;
            }
            Ok(p)
        };
        let scale = rows.iter().zip(b).map(|(r, bi)| bi.abs() / r.iter().map(|x| x * x).sum::<f64>().sqrt()).fold(1.0, f64::max);
        let big = 1e6 * scale;
        let loose = cut(VPolytope::boxed(&vec![-big; d], &vec![big; d])?)?;
        if loose.verts.iter().any(|x| x.abs() >= big * (1.0 - 1e-9)) {
            return Err(invalid("A/b", "the polytope {x : A x <= b} is unbounded"));
        }
        let (mut lo, mut hi) = (vec![f64::INFINITY; d], vec![f64::NEG_INFINITY; d]);
        for v in loose.verts.chunks(d) {
            for c in 0..d {
                lo[c] = lo[c].min(v[c]);
                hi[c] = hi[c].max(v[c]);
            }
        }
        let pad: Vec<f64> = lo.iter().zip(&hi).map(|(l, h)| 0.05 * (h - l) + 1e-9 * (l.abs() + h.abs())).collect();
        let lo: Vec<f64> = lo.iter().zip(&pad).map(|(l, p)| l - p).collect();
        let hi: Vec<f64> = hi.iter().zip(&pad).map(|(h, p)| h + p).collect();
        cut(VPolytope::boxed(&lo, &hi)?)
    }

    /// Number of vertices.
    pub fn n_vertices(&self) -> usize {
        self.verts.len() / self.d
    }

    /// Vertices, `V × d` row-major.
    pub fn vertices(&self) -> &[f64] {
        &self.verts
    }

    fn row(&self, v: usize) -> &[u64] {
        &self.inc[v * self.words..(v + 1) * self.words]
    }

    /// Whether `u, v` span an edge (see the type's documentation); `simple_u` says
    /// whether `u` lies on exactly `d` facets.
    fn adjacent(&self, u: usize, v: usize, simple_u: bool, s: &mut [u64]) -> bool {
        let mut count = 0;
        for (w, (a, b)) in s.iter_mut().zip(self.row(u).iter().zip(self.row(v))) {
            *w = a & b;
            count += w.count_ones() as usize;
        }
        if count + 1 < self.d {
            return false;
        }
        // At a simple vertex (exactly d facets, hence independent normals) any d − 1 of
        // its facets cut out an edge, so sharing d − 1 facets is enough.
        if count + 1 == self.d && simple_u {
            return true;
        }
        (0..self.n_vertices()).all(|w| w == u || w == v || s.iter().zip(self.row(w)).any(|(a, b)| a & !b != 0))
    }

    /// The part with these vertex rows (incidences over `nf` facet ids in `words`
    /// words), dropping facets with fewer than `d` vertices and renumbering the rest.
    fn compact(d: usize, verts: Vec<f64>, inc: Vec<u64>, nf: usize, words: usize) -> Self {
        let nv = verts.len() / d;
        let mut count = vec![0u32; nf];
        for row in inc.chunks(words) {
            for (w, &word) in row.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    count[w * 64 + rest.trailing_zeros() as usize] += 1;
                    rest &= rest - 1;
                }
            }
        }
        if count.iter().all(|&c| c as usize >= d) {
            return VPolytope { d, nf, extent: extent(&verts), verts, words, inc };
        }
        let mut new_id = vec![u32::MAX; nf];
        let mut kept = 0;
        for (f, &c) in count.iter().enumerate() {
            if c as usize >= d {
                new_id[f] = kept;
                kept += 1;
            }
        }
        let nw = (kept as usize).div_ceil(64).max(1);
        let mut out = vec![0u64; nv * nw];
        for (v, row) in inc.chunks(words).enumerate() {
            for (w, &word) in row.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    let g = new_id[w * 64 + rest.trailing_zeros() as usize];
                    if g != u32::MAX {
                        out[v * nw + g as usize / 64] |= 1 << (g % 64);
                    }
                    rest &= rest - 1;
                }
            }
        }
        VPolytope { d, nf: kept as usize, extent: extent(&verts), verts, words: nw, inc: out }
    }
}

impl Cell for VPolytope {
    fn dim(&self) -> usize {
        self.d
    }
    fn side(&self, alpha: f64, beta: &[f64], tol: f64) -> Option<bool> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for x in self.verts.chunks(self.d) {
            let v = alpha + x.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>();
            lo = lo.min(v);
            hi = hi.max(v);
        }
        classify(lo, hi, cut_scale(alpha, beta, self.extent, tol))
    }
    fn split(self, alpha: f64, beta: &[f64], tol: f64) -> (Option<Self>, Option<Self>) {
        let (d, nv) = (self.d, self.n_vertices());
        // Most cuts miss the cell: decide that without allocating.
        match self.side(alpha, beta, tol) {
            Some(false) => return (Some(self), None),
            Some(true) => return (None, Some(self)),
            None => {}
        }
        let scale = cut_scale(alpha, beta, self.extent, tol);
        let g: Vec<f64> = self.verts.chunks(d).map(|x| alpha + x.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>()).collect();
        let side: Vec<i8> = g.iter().map(|&x| if x > scale { 1 } else if x < -scale { -1 } else { 0 }).collect();
        if !side.contains(&1) {
            return (Some(self), None);
        }
        if !side.contains(&-1) {
            return (None, Some(self));
        }
        // The new facet takes id `nf`, widening the rows when they are full.
        let f = self.nf;
        let words = if f == self.words * 64 { self.words + 1 } else { self.words };
        let mut row = vec![0u64; words];
        let cap = nv + nv / 2 + 2;
        let (mut vn, mut vp) = (Vec::with_capacity(cap * d), Vec::with_capacity(cap * d));
        let (mut inn, mut inp) = (Vec::with_capacity(cap * words), Vec::with_capacity(cap * words));
        for (v, &sv) in side.iter().enumerate() {
            row[..self.words].copy_from_slice(self.row(v));
            row[self.words..].fill(0);
            if sv == 0 {
                row[f / 64] |= 1 << (f % 64);
            }
            let x = &self.verts[v * d..(v + 1) * d];
            if sv <= 0 {
                vn.extend_from_slice(x);
                inn.extend_from_slice(&row);
            }
            if sv >= 0 {
                vp.extend_from_slice(x);
                inp.extend_from_slice(&row);
            }
        }
        let mut s = vec![0u64; self.words];
        let pos: Vec<usize> = (0..nv).filter(|&v| side[v] > 0).collect();
        for u in (0..nv).filter(|&u| side[u] < 0) {
            let simple_u = self.row(u).iter().map(|w| w.count_ones() as usize).sum::<usize>() == d;
            for &v in &pos {
                if !self.adjacent(u, v, simple_u, &mut s) {
                    continue;
                }
                let t = g[u] / (g[u] - g[v]);
                for c in 0..d {
                    let (a, b) = (self.verts[u * d + c], self.verts[v * d + c]);
                    let w = a + t * (b - a);
                    vn.push(w);
                    vp.push(w);
                }
                row[..self.words].copy_from_slice(&s);
                row[self.words..].fill(0);
                row[f / 64] |= 1 << (f % 64);
                inn.extend_from_slice(&row);
                inp.extend_from_slice(&row);
            }
        }
        (Some(Self::compact(d, vn, inn, f + 1, words)), Some(Self::compact(d, vp, inp, f + 1, words)))
    }
    fn extent(&self) -> f64 {
        self.extent
    }
    /// The average of the vertices.
    fn interior(&self) -> Vec<f64> {
        let (d, nv) = (self.d, self.n_vertices());
        let mut c = vec![0.0; d];
        for x in self.verts.chunks(d) {
            for (ci, xi) in c.iter_mut().zip(x) {
                *ci += xi;
            }
        }
        c.iter().map(|v| v / nv as f64).collect()
    }
    /// Not computed here (NaN): the Python layer measures regions on request.
    fn measure(&self) -> f64 {
        f64::NAN
    }
    fn negligible(&self, _min: f64) -> bool {
        false
    }
}

/// The affine map `z = a + B s` of one layer's values on a cell (`B` is `n × k`).
#[derive(Debug, Clone, PartialEq)]
pub struct Lin {
    pub a: Vec<f64>,
    pub b: Vec<f64>,
}

/// One region on the slice.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceRegion<C> {
    pub cell: C,
    /// Packed pattern (the layout of [`Network`]).
    pub pattern: Vec<u64>,
    /// The network output on the cell as an affine map of `s`.
    pub output: Lin,
}

/// `W z + b` on a cell, as an affine map of `s`: with `z = a + B s` this is
/// `(W a + b) + (W B) s` (the one fused loop, the hot path of every layer).
fn apply(affine: &Affine, z: &Lin, k: usize) -> Lin {
    match k {
        1 => apply_k::<1>(affine, z),
        2 => apply_k::<2>(affine, z),
        3 => apply_k::<3>(affine, z),
        4 => apply_k::<4>(affine, z),
        5 => apply_k::<5>(affine, z),
        6 => apply_k::<6>(affine, z),
        7 => apply_k::<7>(affine, z),
        8 => apply_k::<8>(affine, z),
        _ => apply_dyn(affine, z, k),
    }
}

fn apply_k<const K: usize>(affine: &Affine, z: &Lin) -> Lin {
    let (n, m) = (affine.n_out, affine.n_in);
    let mut ha = vec![0.0; n];
    let mut hb = vec![0.0; n * K];
    for i in 0..n {
        let w = &affine.w[i * m..(i + 1) * m];
        let mut a = affine.b[i];
        let mut b = [0.0f64; K];
        for (j, &wj) in w.iter().enumerate() {
            a += wj * z.a[j];
            let zb = &z.b[j * K..(j + 1) * K];
            for c in 0..K {
                b[c] += wj * zb[c];
            }
        }
        ha[i] = a;
        hb[i * K..(i + 1) * K].copy_from_slice(&b);
    }
    Lin { a: ha, b: hb }
}

fn apply_dyn(affine: &Affine, z: &Lin, k: usize) -> Lin {
    let (n, m) = (affine.n_out, affine.n_in);
    let mut ha = vec![0.0; n];
    let mut hb = vec![0.0; n * k];
    for i in 0..n {
        let w = &affine.w[i * m..(i + 1) * m];
        let b = &mut hb[i * k..(i + 1) * k];
        let mut a = affine.b[i];
        for (j, &wj) in w.iter().enumerate() {
            a += wj * z.a[j];
            for (bc, zc) in b.iter_mut().zip(&z.b[j * k..(j + 1) * k]) {
                *bc += wj * zc;
            }
        }
        ha[i] = a;
    }
    Lin { a: ha, b: hb }
}

/// `|a_j| + ‖B_j‖₁ ext`: a bound of `|z_j|` on a cell of extent `ext`, per input `j`.
fn input_bounds(z: &Lin, k: usize, ext: f64) -> Vec<f64> {
    z.a.iter().zip(z.b.chunks(k.max(1))).map(|(a, b)| a.abs() + b.iter().map(|x| x.abs()).sum::<f64>() * ext).collect()
}

/// `|b_i| + Σ_j |w_ij| zb_j`: a bound of `Σ |terms|` of unit `i`'s value `W z + b`, given
/// the input bounds `zb`. Rounding errors of the computed map are below `~n_in · ε` times it.
fn term_bound(affine: &Affine, i: usize, zb: &[f64]) -> f64 {
    let m = affine.n_in;
    affine.b[i].abs() + affine.w[i * m..(i + 1) * m].iter().zip(zb).map(|(w, z)| w.abs() * z).sum::<f64>()
}

/// Whether `α + β·s` is zero up to rounding on a cell of extent `ext`, given the bound
/// `mag` of its terms and the length `n` of the sums that formed it: such a map is
/// treated as identically zero (cancellation, e.g. `(x + 1) − x − 1` of integer weights),
/// which is exact arithmetic's answer whenever the true map is zero.
fn numerically_zero(alpha: f64, beta: &[f64], ext: f64, mag: f64, n: usize) -> bool {
    alpha.abs() + beta.iter().map(|b| b.abs()).sum::<f64>() * ext <= 8.0 * (n + 2) as f64 * f64::EPSILON * mag
}

/// The pieces of every unit of a layer as affine maps of `s`, given the layer input.
fn pieces(layer: &Layer, z: &Lin, k: usize) -> Vec<Vec<Lin>> {
    let row = |a: f64, b: &[f64]| Lin { a: vec![a], b: b.to_vec() };
    match layer {
        Layer::Dense { affine, activation } => {
            let n = affine.n_out;
            let Lin { a: ha, b: hb } = apply(affine, z, k);
            match *activation {
                Activation::Relu => (0..n).map(|i| vec![row(0.0, &vec![0.0; k]), row(ha[i], &hb[i * k..(i + 1) * k])]).collect(),
                Activation::LeakyRelu(al) => (0..n)
                    .map(|i| {
                        let scaled: Vec<f64> = hb[i * k..(i + 1) * k].iter().map(|x| al * x).collect();
                        vec![row(al * ha[i], &scaled), row(ha[i], &hb[i * k..(i + 1) * k])]
                    })
                    .collect(),
                Activation::Maxout(q) => (0..n / q).map(|u| (0..q).map(|r| row(ha[u * q + r], &hb[(u * q + r) * k..(u * q + r + 1) * k])).collect()).collect(),
            }
        }
        Layer::MaxPool { windows, .. } => windows.iter().map(|w| w.iter().map(|&i| row(z.a[i], &z.b[i * k..(i + 1) * k])).collect()).collect(),
    }
}

/// A cell in the making: the cell, its packed pattern so far and the map of the
/// current layer's input.
type Part<C> = (C, Vec<u64>, Lin);


/// One ReLU / leaky-ReLU layer on one cell: the units' maps `h = ha + hb s` on the cell,
/// the bits of the units whose hyperplane misses the cell, and the units that cut it.
struct ReluStep<'a> {
    ha: Vec<f64>,
    hb: Vec<f64>,
    slope: f64,
    offset: usize,
    pat: &'a [u64],
    common: Vec<u64>,
    cutting: Vec<usize>,
}

impl<'a> ReluStep<'a> {
    /// Units whose hyperplane misses the whole cell set their bit once (`common`); only
    /// the others are tried on the parts.
    /// `row_l1[i] = ‖w_i‖₁` bounds the terms of unit `i` cheaply (`|b_i| + ‖w_i‖₁ max_j
    /// |z_j|`); the exact bound is formed only for units that pass that first test.
    #[allow(clippy::too_many_arguments)]
    fn new<C: Cell>(affine: &Affine, row_l1: &[f64], slope: f64, cell: &C, pat: &'a [u64], z: &Lin, offset: usize, tol: f64) -> Self {
        let (n, m, k) = (affine.n_out, affine.n_in, cell.dim());
        let Lin { a: mut ha, b: mut hb } = apply(affine, z, k);
        let ext = cell.extent();
        let zb = input_bounds(z, k, ext);
        let zmax = zb.iter().fold(0.0f64, |a, &b| a.max(b));
        let mut common = vec![0u64; n.div_ceil(64)];
        let mut cutting = Vec::new();
        for i in 0..n {
            let beta = &hb[i * k..(i + 1) * k];
            let upper = affine.b[i].abs() + row_l1[i] * zmax;
            let zero = numerically_zero(ha[i], beta, ext, upper, m) && numerically_zero(ha[i], beta, ext, term_bound(affine, i, &zb), m);
            if zero {
                // Identically zero on the cell: inactive, no cut, output exactly 0.
                ha[i] = 0.0;
                hb[i * k..(i + 1) * k].fill(0.0);
                continue;
            }
            let beta = &hb[i * k..(i + 1) * k];
            let side = if beta.iter().all(|&x| x == 0.0) { Some(ha[i] > 0.0) } else { cell.side(ha[i], beta, tol) };
            match side {
                Some(true) => common[i / 64] |= 1 << (i % 64),
                Some(false) => {}
                None => cutting.push(i),
            }
        }
        ReluStep { ha, hb, slope, offset, pat, common, cutting }
    }

    /// The pattern and the next layer's input map of a finished part with unit bits `bits`.
    fn finish(&self, bits: &[u64], k: usize) -> (Vec<u64>, Lin) {
        let n = self.ha.len();
        let mut pattern = self.pat.to_vec();
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n * k);
        for i in 0..n {
            let on = bits[i / 64] >> (i % 64) & 1 == 1;
            if on {
                put_field(&mut pattern, self.offset + i, 1, 1);
            }
            let f = if on { 1.0 } else { self.slope };
            a.push(f * self.ha[i]);
            b.extend(self.hb[i * k..(i + 1) * k].iter().map(|x| f * x));
        }
        (pattern, Lin { a, b })
    }
}

/// A max step (maxout, max-pooling): for each unit and each piece `r`, the part where
/// `p_r ≥ p_q` for all `q` (ties go to the lowest index).
fn split_max<C: Cell>(layer: &Layer, cell: C, pat: &[u64], z: &Lin, offset: usize, opts: &Options) -> Vec<Part<C>> {
    let k = cell.dim();
    let bits = layer.bits();
    let ps = pieces(layer, z, k);
    let ext = cell.extent();
    // Bounds of the terms of every piece (for the rounding test of their differences).
    let zb = input_bounds(z, k, ext);
    let (mags, n_in): (Vec<f64>, usize) = match layer {
        Layer::Dense { affine, .. } => ((0..affine.n_out).map(|i| term_bound(affine, i, &zb)).collect(), affine.n_in),
        Layer::MaxPool { .. } => (zb, 1),
    };
    let mag = |u: usize, r: usize| match layer {
        Layer::Dense { activation: Activation::Maxout(q), .. } => mags[u * q + r],
        Layer::Dense { .. } => mags[u], // relu / leaky take the ReLU path; kept for completeness
        Layer::MaxPool { windows, .. } => mags[windows[u][r]],
    };
    let mut parts: Vec<(C, Vec<usize>)> = vec![(cell, Vec::new())];
    for (u, unit) in ps.iter().enumerate() {
        let mut out = Vec::with_capacity(parts.len() * 2);
        for (p, codes) in &parts {
            'piece: for r in 0..unit.len() {
                let mut cur = p.clone();
                for q in (0..unit.len()).filter(|&q| q != r) {
                    // Keep p_q - p_r ≤ 0.
                    let mut alpha = unit[q].a[0] - unit[r].a[0];
                    let mut beta: Vec<f64> = unit[q].b.iter().zip(&unit[r].b).map(|(x, y)| x - y).collect();
                    if numerically_zero(alpha, &beta, ext, mag(u, r) + mag(u, q), n_in) {
                        // Equal pieces up to rounding: a tie.
                        alpha = 0.0;
                        beta.fill(0.0);
                    }
                    if beta.iter().all(|&x| x == 0.0) {
                        if alpha > 0.0 || (alpha == 0.0 && q < r) {
                            continue 'piece; // p_r never wins on this cell
                        }
                        continue;
                    }
                    match cur.split(alpha, &beta, opts.tol).0.filter(|c| !c.negligible(opts.min_measure)) {
                        Some(c) => cur = c,
                        None => continue 'piece,
                    }
                }
                let mut c = codes.clone();
                c.push(r);
                out.push((cur, c));
            }
        }
        parts = out;
    }
    parts
        .into_iter()
        .map(|(c, codes)| {
            let mut pattern = pat.to_vec();
            let mut a = Vec::with_capacity(codes.len());
            let mut b = Vec::with_capacity(codes.len() * k);
            for (u, &r) in codes.iter().enumerate() {
                put_field(&mut pattern, offset + u * bits as usize, bits, r as u64);
                a.push(ps[u][r].a[0]);
                b.extend_from_slice(&ps[u][r].b);
            }
            (c, pattern, Lin { a, b })
        })
        .collect()
}

/// Settings of a region computation.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Relative tolerance of the cuts ([`TOL`] by default).
    pub tol: f64,
    /// Raise [`Error::LimitExceeded`] beyond this many regions.
    pub max_regions: u64,
    /// Count only: return no regions (memory bounded by the depth of the walk).
    pub count_only: bool,
    /// Slivers below this measure are dropped (set from the domain).
    pub min_measure: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options { tol: TOL, max_regions: u64::MAX, count_only: false, min_measure: 0.0 }
    }
}

struct Walk<'a> {
    net: &'a Network,
    /// `‖w_i‖₁` of every unit of every dense layer (empty for pooling layers).
    row_l1: Vec<Vec<f64>>,
    opts: Options,
    found: std::sync::atomic::AtomicU64,
    ctrl: &'a Control,
    /// Report each region found as one unit of progress.
    report: bool,
}

impl Walk<'_> {
    fn leaf<C: Cell>(&self, cell: C, pattern: Vec<u64>, z: &Lin) -> Result<(u64, Vec<SliceRegion<C>>)> {
        let n = self.found.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n > self.opts.max_regions {
            return Err(Error::LimitExceeded {
                name: "max_regions".into(),
                limit: self.opts.max_regions,
                message: format!("the domain has more than {} regions", self.opts.max_regions),
            });
        }
        if self.report {
            self.ctrl.advance(1);
        }
        if self.opts.count_only {
            return Ok((1, Vec::new()));
        }
        let k = cell.dim();
        Ok((1, vec![SliceRegion { output: apply(self.net.output(), z, k), cell, pattern }]))
    }

    /// Regions below `cell` from layer `l` on, in a fixed order.
    fn descend<C: Cell>(&self, l: usize, cell: C, pat: Vec<u64>, z: Lin) -> Result<(u64, Vec<SliceRegion<C>>)> {
        self.ctrl.check()?;
        let layers = self.net.layers();
        if l == layers.len() {
            return self.leaf(cell, pat, &z);
        }
        let (layer, offset) = (&layers[l], self.net.offsets()[l]);
        let slope = match layer {
            Layer::Dense { activation: Activation::Relu, .. } => Some(0.0),
            Layer::Dense { activation: Activation::LeakyRelu(s), .. } => Some(*s),
            _ => None,
        };
        if let (Some(slope), Layer::Dense { affine, .. }) = (slope, layer) {
            let step = ReluStep::new(affine, &self.row_l1[l], slope, &cell, &pat, &z, offset, self.opts.tol);
            let bits = step.common.clone();
            return self.cut(l, &step, 0, cell, bits);
        }
        let parts = split_max(layer, cell, &pat, &z, offset, &self.opts);
        let below: Vec<(u64, Vec<SliceRegion<C>>)> =
            parts.into_par_iter().map(|(c, p, z)| self.descend(l + 1, c, p, z)).collect::<Result<_>>()?;
        let total = below.iter().map(|b| b.0).sum();
        Ok((total, below.into_iter().flat_map(|b| b.1).collect()))
    }

    /// Cut `cell` by the cutting units `step.cutting[j..]` of layer `l`, depth first
    /// (lower side first, both sides in parallel with `rayon::join`), then descend. Memory
    /// is bounded by the depth of the recursion, not by the number of parts.
    fn cut<C: Cell>(&self, l: usize, step: &ReluStep<'_>, j: usize, cell: C, bits: Vec<u64>) -> Result<(u64, Vec<SliceRegion<C>>)> {
        let Some(&i) = step.cutting.get(j) else {
            if self.opts.count_only && l + 1 == self.net.layers().len() {
                return self.leaf(cell, Vec::new(), &Lin { a: Vec::new(), b: Vec::new() });
            }
            let (pattern, z) = step.finish(&bits, cell.dim());
            return self.descend(l + 1, cell, pattern, z);
        };
        let k = cell.dim();
        let keep = |c: Option<C>| c.filter(|c| !c.negligible(self.opts.min_measure));
        let (lo, hi) = cell.split(step.ha[i], &step.hb[i * k..(i + 1) * k], self.opts.tol);
        let with_bit = |mut b: Vec<u64>| {
            b[i / 64] |= 1 << (i % 64);
            b
        };
        match (keep(lo), keep(hi)) {
            (Some(lo), Some(hi)) => {
                let on = with_bit(bits.clone());
                let (a, b) = rayon::join(|| self.cut(l, step, j + 1, lo, bits), || self.cut(l, step, j + 1, hi, on));
                let (mut a, b) = (a?, b?);
                a.1.extend(b.1);
                Ok((a.0 + b.0, a.1))
            }
            (Some(lo), None) => self.cut(l, step, j + 1, lo, bits),
            (None, Some(hi)) => self.cut(l, step, j + 1, hi, with_bit(bits)),
            (None, None) => Ok((0, Vec::new())),
        }
    }
}

/// Regions of `net` on the cell `domain` of the slice `x = origin + Σ_c s_c dirs[c]`
/// (`dirs` holds `k = domain.dim()` directions of dimension `n0`, row after row; for a
/// full-dimensional domain, `origin = 0` and the identity). Returns the count and,
/// unless `opts.count_only`, the regions (segments in order along the segment).
pub fn regions_in<C: Cell>(net: &Network, origin: &[f64], dirs: &[f64], domain: C, opts: Options, ctrl: &Control) -> Result<(u64, Vec<SliceRegion<C>>)> {
    walk(net, origin, dirs, domain, opts, ctrl, true)
}

fn walk<C: Cell>(net: &Network, origin: &[f64], dirs: &[f64], domain: C, opts: Options, ctrl: &Control, report: bool) -> Result<(u64, Vec<SliceRegion<C>>)> {
    let (n0, k) = (net.input_dim(), domain.dim());
    if origin.len() != n0 || dirs.len() != n0 * k {
        return Err(invalid("origin/directions", format!("expected points of dimension {n0}")));
    }
    if origin.iter().chain(dirs).any(|v| !v.is_finite()) {
        return Err(invalid("origin/directions", "must be finite"));
    }
    if !(opts.tol >= 0.0 && opts.tol < 1e-3) {
        return Err(invalid("tol", format!("must be in [0, 1e-3), got {}", opts.tol)));
    }
    // z_0 = origin + D s with D[j][c] = dirs[c][j].
    let mut b0 = vec![0.0; n0 * k];
    for c in 0..k {
        for j in 0..n0 {
            b0[j * k + c] = dirs[c * n0 + j];
        }
    }
    let m = domain.measure();
    let opts = Options { min_measure: if m.is_finite() { opts.tol.powi(k as i32) * m.abs() } else { 0.0 }, ..opts };
    let row_l1 = net
        .layers()
        .iter()
        .map(|layer| match layer {
            Layer::Dense { affine, .. } => affine.w.chunks(affine.n_in).map(|r| r.iter().map(|w| w.abs()).sum()).collect(),
            Layer::MaxPool { .. } => Vec::new(),
        })
        .collect();
    let walk = Walk { net, row_l1, opts, found: std::sync::atomic::AtomicU64::new(0), ctrl, report };
    let (count, mut regions) = walk.descend(0, domain, vec![0u64; net.n_words()], Lin { a: origin.to_vec(), b: b0 })?;
    if k == 1 {
        regions.sort_by(|a, b| a.cell.interior()[0].total_cmp(&b.cell.interior()[0]));
    }
    Ok((count, regions))
}

/// Regions of `net` on a slice (see [`regions_in`]), all of them.
pub fn slice_regions<C: Cell>(net: &Network, origin: &[f64], dirs: &[f64], domain: C, max_regions: usize, ctrl: &Control) -> Result<Vec<SliceRegion<C>>> {
    let opts = Options { max_regions: max_regions as u64, ..Options::default() };
    Ok(regions_in(net, origin, dirs, domain, opts, ctrl)?.1)
}

/// The identity slice of `R^d` (origin 0, unit directions), for full-dimensional domains.
pub fn identity_slice(d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut dirs = vec![0.0; d * d];
    for c in 0..d {
        dirs[c * d + c] = 1.0;
    }
    (vec![0.0; d], dirs)
}

/// Regions of `net` in a full-dimensional polytope of its input space (progress: one
/// unit per region).
pub fn domain_regions(net: &Network, domain: VPolytope, opts: Options, ctrl: &Control) -> Result<(u64, Vec<SliceRegion<VPolytope>>)> {
    domain_walk(net, domain, opts, ctrl, true)
}

fn domain_walk(net: &Network, domain: VPolytope, opts: Options, ctrl: &Control, report: bool) -> Result<(u64, Vec<SliceRegion<VPolytope>>)> {
    if domain.dim() != net.input_dim() {
        return Err(invalid("domain", format!("has dimension {}, the network's input has {}", domain.dim(), net.input_dim())));
    }
    let (o, dirs) = identity_slice(domain.dim());
    walk(net, &o, &dirs, domain, opts, ctrl, report)
}

/// Exact local complexity: for each of the `n` points (rows of `x`), the number of
/// regions meeting the box `[x − r, x + r]`; in parallel over points (progress: one
/// unit per point; `max_regions` applies to each box).
pub fn local_counts(net: &Network, x: &[f64], radius: f64, opts: Options, ctrl: &Control) -> Result<Vec<u64>> {
    let d = net.input_dim();
    if x.len() % d != 0 {
        return Err(invalid("X", format!("expected rows of dimension {d}")));
    }
    if !(radius.is_finite() && radius > 0.0) {
        return Err(invalid("radius", format!("must be finite and > 0, got {radius}")));
    }
    let opts = Options { count_only: true, ..opts };
    x.par_chunks(d)
        .map(|p| {
            let lo: Vec<f64> = p.iter().map(|v| v - radius).collect();
            let hi: Vec<f64> = p.iter().map(|v| v + radius).collect();
            let count = domain_walk(net, VPolytope::boxed(&lo, &hi)?, opts, ctrl, false)?.0;
            ctrl.advance(1);
            Ok(count)
        })
        .collect()
}
