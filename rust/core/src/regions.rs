//! Exact linear regions of a network on a segment or a 2D slice of input space
//! (MATH.md section 2), for any input dimension.
//!
//! The slice is `x = o + Σ_c s_c e_c` (`k = 1`: a segment, `s ∈ [0, 1]`; `k = 2`: a
//! plane, `s` in a box). Every hidden unit is the maximum of affine *pieces*: ReLU is
//! `max(0, h)` (pieces `[0, h]`), leaky ReLU `max(αh, h)`, maxout its `k` pieces,
//! max-pooling the inputs of its window; the pattern entry is the index of the
//! maximizing piece (lowest on ties, so a pre-activation of exactly 0 is inactive).
//! Layer by layer each cell (an interval or a convex polygon, carrying the affine map
//! `z = a + B s` of the layer's input) is cut by the boundaries `piece_r = piece_q` of
//! every unit, each sub-cell gets the argmax at an interior point, and sub-cells of one
//! cell with equal patterns are merged (their union is convex). Cells are processed in
//! parallel; the order of the result does not depend on the thread count. Cost per
//! cell and layer: `O(n_l · n_{l-1} · (k+1))` flops plus the cuts.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, Error, Result};
use crate::network::{put_field, Activation, Affine, Layer, Network};

/// Relative tolerance of the cuts: a vertex whose value is within `TOL · scale` of a
/// boundary lies on it (so cutting through a vertex makes no sliver); parts whose
/// measure is below `TOL^k · |domain|` are dropped.
pub const TOL: f64 = 1e-12;

/// A convex cell of the slice: an interval (`k = 1`) or a polygon (`k = 2`).
pub trait Cell: Clone + Send + Sync {
    /// Dimension `k` of the slice.
    const K: usize;
    /// The parts of the cell where `f(s) = alpha + beta·s` is `≤ 0` and `≥ 0`.
    fn split(&self, alpha: f64, beta: &[f64]) -> (Option<Self>, Option<Self>);
    /// A point strictly inside.
    fn interior(&self) -> Vec<f64>;
    /// Length or area.
    fn measure(&self) -> f64;
    /// The convex union of cells known to form a convex set.
    fn union(cells: &[Self]) -> Self;
}

/// An interval `[lo, hi]` of a segment parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval(pub f64, pub f64);

impl Cell for Interval {
    const K: usize = 1;
    fn split(&self, alpha: f64, beta: &[f64]) -> (Option<Self>, Option<Self>) {
        let (f0, f1) = (alpha + beta[0] * self.0, alpha + beta[0] * self.1);
        let scale = TOL * (alpha.abs() + beta[0].abs() * (self.0.abs().max(self.1.abs()))).max(f64::MIN_POSITIVE);
        let (neg0, neg1) = (f0 < -scale, f1 < -scale);
        let (pos0, pos1) = (f0 > scale, f1 > scale);
        if !(pos0 || pos1) {
            return (Some(self.clone()), None);
        }
        if !(neg0 || neg1) {
            return (None, Some(self.clone()));
        }
        let t = -alpha / beta[0];
        let (a, b) = (Interval(self.0, t), Interval(t, self.1));
        if neg0 { (Some(a), Some(b)) } else { (Some(b), Some(a)) }
    }
    fn interior(&self) -> Vec<f64> {
        vec![0.5 * (self.0 + self.1)]
    }
    fn measure(&self) -> f64 {
        self.1 - self.0
    }
    fn union(cells: &[Self]) -> Self {
        Interval(cells.iter().map(|c| c.0).fold(f64::INFINITY, f64::min), cells.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max))
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
    const K: usize = 2;
    fn split(&self, alpha: f64, beta: &[f64]) -> (Option<Self>, Option<Self>) {
        let pts = &self.0;
        let f: Vec<f64> = pts.iter().map(|p| alpha + beta[0] * p[0] + beta[1] * p[1]).collect();
        let extent = pts.iter().map(|p| p[0].abs().max(p[1].abs())).fold(0.0, f64::max);
        let scale = TOL * (alpha.abs() + (beta[0].abs() + beta[1].abs()) * extent).max(f64::MIN_POSITIVE);
        let side: Vec<i8> = f.iter().map(|&x| if x > scale { 1 } else if x < -scale { -1 } else { 0 }).collect();
        if !side.contains(&1) {
            return (Some(self.clone()), None);
        }
        if !side.contains(&-1) {
            return (None, Some(self.clone()));
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
    fn union(cells: &[Self]) -> Self {
        // Convex hull (monotone chain) of all vertices.
        let mut pts: Vec<[f64; 2]> = cells.iter().flat_map(|c| c.0.iter().copied()).collect();
        pts.sort_by(|a, b| a.partial_cmp(b).expect("finite vertices"));
        pts.dedup();
        if pts.len() < 3 {
            return Polygon(pts);
        }
        let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
        let mut hull: Vec<[f64; 2]> = Vec::new();
        for pass in 0..2 {
            let start = hull.len();
            let iter: Box<dyn Iterator<Item = &[f64; 2]>> = if pass == 0 { Box::new(pts.iter()) } else { Box::new(pts.iter().rev()) };
            for &p in iter {
                while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
                    hull.pop();
                }
                hull.push(p);
            }
            hull.pop();
        }
        Polygon(hull)
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
    let (n, m) = (affine.n_out, affine.n_in);
    let mut ha = vec![0.0; n];
    let mut hb = vec![0.0; n * k];
    for i in 0..n {
        let w = &affine.w[i * m..(i + 1) * m];
        let mut a = affine.b[i];
        let mut b = [0.0f64; 2];
        for j in 0..m {
            a += w[j] * z.a[j];
            for c in 0..k {
                b[c] += w[j] * z.b[j * k + c];
            }
        }
        ha[i] = a;
        hb[i * k..(i + 1) * k].copy_from_slice(&b[..k]);
    }
    Lin { a: ha, b: hb }
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

/// The ReLU / leaky-ReLU step of [`slice_regions`] without piece lists: cut by each
/// unit's line `h_i = 0`, then group the parts by their packed layer pattern.
#[allow(clippy::too_many_arguments)]
fn split_relu<C: Cell>(affine: &Affine, slope: f64, cell: &C, pat: &[u64], z: &Lin, k: usize, offset: usize, min_measure: f64) -> Vec<(C, Vec<u64>, Lin)> {
    let n = affine.n_out;
    let Lin { a: ha, b: hb } = apply(affine, z, k);
    let mut parts = vec![cell.clone()];
    for i in 0..n {
        let beta = &hb[i * k..(i + 1) * k];
        if beta.iter().all(|&x| x == 0.0) {
            continue;
        }
        let mut out = Vec::with_capacity(parts.len() + 1);
        for p in &parts {
            let (lo, hi) = p.split(ha[i], beta);
            out.extend(lo.into_iter().chain(hi).filter(|c| c.measure() > min_measure));
        }
        parts = out;
    }
    let words = n.div_ceil(64);
    let mut index: std::collections::HashMap<Vec<u64>, usize> = std::collections::HashMap::new();
    let mut groups: Vec<(Vec<u64>, Vec<C>)> = Vec::new();
    for p in parts {
        let s = p.interior();
        let mut bits = vec![0u64; words];
        for i in 0..n {
            let h = ha[i] + hb[i * k..(i + 1) * k].iter().zip(&s).map(|(x, y)| x * y).sum::<f64>();
            if h > 0.0 {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        match index.get(&bits) {
            Some(&g) => groups[g].1.push(p),
            None => {
                index.insert(bits.clone(), groups.len());
                groups.push((bits, vec![p]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(bits, members)| {
            let merged = if members.len() == 1 { members.into_iter().next().expect("one") } else { C::union(&members) };
            let mut pattern = pat.to_vec();
            let mut a = Vec::with_capacity(n);
            let mut b = Vec::with_capacity(n * k);
            for i in 0..n {
                let on = bits[i / 64] >> (i % 64) & 1 == 1;
                if on {
                    put_field(&mut pattern, offset + i, 1, 1);
                }
                let f = if on { 1.0 } else { slope };
                a.push(f * ha[i]);
                b.extend(hb[i * k..(i + 1) * k].iter().map(|x| f * x));
            }
            (merged, pattern, Lin { a, b })
        })
        .collect()
}

/// Index of the maximizing piece at `s` (lowest on ties).
fn argmax(ps: &[Lin], s: &[f64]) -> usize {
    let val = |p: &Lin| p.a[0] + p.b.iter().zip(s).map(|(x, y)| x * y).sum::<f64>();
    let mut best = 0;
    let mut bv = val(&ps[0]);
    for (r, p) in ps.iter().enumerate().skip(1) {
        let v = val(p);
        if v > bv {
            best = r;
            bv = v;
        }
    }
    best
}

/// Regions of `net` on the slice `x = origin + Σ_c s_c dirs[c]` restricted to `domain`.
/// `max_regions` raises [`Error::LimitExceeded`] when exceeded. Segment regions come
/// in order along the segment.
pub fn slice_regions<C: Cell>(net: &Network, origin: &[f64], dirs: &[f64], domain: C, max_regions: usize, ctrl: &Control) -> Result<Vec<SliceRegion<C>>> {
    let (n0, k) = (net.input_dim(), C::K);
    if origin.len() != n0 || dirs.len() != n0 * k {
        return Err(invalid("origin/directions", format!("expected points of dimension {n0}")));
    }
    if origin.iter().chain(dirs).any(|v| !v.is_finite()) {
        return Err(invalid("origin/directions", "must be finite"));
    }
    let words = net.n_words();
    // z_0 = origin + D s with D[j][c] = dirs[c][j].
    let mut b0 = vec![0.0; n0 * k];
    for c in 0..k {
        for j in 0..n0 {
            b0[j * k + c] = dirs[c * n0 + j];
        }
    }
    let min_measure = TOL.powi(k as i32) * domain.measure().abs();
    let mut cells: Vec<(C, Vec<u64>, Lin)> = vec![(domain, vec![0u64; words], Lin { a: origin.to_vec(), b: b0 })];
    for (layer, &offset) in net.layers().iter().zip(net.offsets()) {
        let bits = layer.bits();
        let next: Vec<Vec<(C, Vec<u64>, Lin)>> = cells
            .par_iter()
            .map(|(cell, pat, z)| {
                ctrl.check()?;
                if let Layer::Dense { affine, activation: Activation::Relu | Activation::LeakyRelu(_) } = layer {
                    let slope = if let Layer::Dense { activation: Activation::LeakyRelu(a), .. } = layer { *a } else { 0.0 };
                    return Ok(split_relu(affine, slope, cell, pat, z, k, offset, min_measure));
                }
                let ps = pieces(layer, z, k);
                // Cut by every boundary piece_r = piece_q of every unit.
                let mut parts = vec![cell.clone()];
                for unit in &ps {
                    for r in 0..unit.len() {
                        for q in r + 1..unit.len() {
                            let alpha = unit[r].a[0] - unit[q].a[0];
                            let beta: Vec<f64> = unit[r].b.iter().zip(&unit[q].b).map(|(x, y)| x - y).collect();
                            if beta.iter().all(|&x| x == 0.0) {
                                continue; // parallel pieces: no boundary crosses the slice
                            }
                            let mut out = Vec::with_capacity(parts.len() + 4);
                            for p in &parts {
                                let (lo, hi) = p.split(alpha, &beta);
                                out.extend(lo.into_iter().chain(hi).filter(|c| c.measure() > min_measure));
                            }
                            parts = out;
                        }
                    }
                }
                // Patterns of the parts; merge parts with equal patterns.
                let mut groups: Vec<(Vec<usize>, Vec<C>)> = Vec::new();
                for p in parts {
                    let s = p.interior();
                    let codes: Vec<usize> = ps.iter().map(|u| argmax(u, &s)).collect();
                    match groups.iter_mut().find(|g| g.0 == codes) {
                        Some(g) => g.1.push(p),
                        None => groups.push((codes, vec![p])),
                    }
                }
                Ok(groups
                    .into_iter()
                    .map(|(codes, members)| {
                        let merged = if members.len() == 1 { members.into_iter().next().expect("one") } else { C::union(&members) };
                        let mut pattern = pat.clone();
                        let mut a = Vec::with_capacity(codes.len());
                        let mut b = Vec::with_capacity(codes.len() * k);
                        for (u, &r) in codes.iter().enumerate() {
                            put_field(&mut pattern, offset + u * bits as usize, bits, r as u64);
                            a.push(ps[u][r].a[0]);
                            b.extend_from_slice(&ps[u][r].b);
                        }
                        (merged, pattern, Lin { a, b })
                    })
                    .collect())
            })
            .collect::<Result<_>>()?;
        cells = next.into_iter().flatten().collect();
        if cells.len() > max_regions {
            return Err(Error::LimitExceeded {
                name: "max_regions".into(),
                limit: max_regions as u64,
                message: format!("more than {max_regions} cells after a hidden layer"),
            });
        }
        ctrl.advance(1);
    }
    if C::K == 1 {
        // Segments: regions in order along the segment.
        cells.sort_by(|a, b| a.0.interior()[0].total_cmp(&b.0.interior()[0]));
    }
    let out = net.output();
    Ok(cells
        .into_iter()
        .map(|(cell, pattern, z)| SliceRegion { output: apply(out, &z, k), cell, pattern })
        .collect())
}
