//! Exact adjacency of regions (issue 30 item 2): regions `L` and `M` of a `k`-dimensional
//! cell are adjacent when their closures share a `(k − 1)`-dimensional piece `S`.
//!
//! **Where to look.** Let `u` be the first field (in packed order) where the patterns of
//! `L` and `M` differ. Every earlier field agrees, so `u`'s map `g` (a ReLU unit's
//! pre-activation, or the difference of two pieces of a max unit) is the same affine
//! function on both, and `L`, `M` lie on opposite sides of `g = 0`: `S` lies in that
//! hyperplane `H`. No earlier inequality of either pattern vanishes on `H` (both regions
//! satisfy it, from both sides of `H`), so, building `L`'s cell by cutting the domain
//! with the pattern's inequalities in order, the facet of `L` on `H` is made by `u`'s
//! inequality, and the same holds for `M`. Hence every adjacent pair is found among the
//! facets made by the same unit `u` in regions whose patterns agree before `u` (the
//! facets are grouped by `u` and a hash of that prefix: a collision only merges groups,
//! and the exact test below decides every pair).
//!
//! **The test.** Each region's cell is built exactly (rational vertices, facet
//! incidences, [`ExactPolytope`]), each facet labelled with the inequality that made it.
//! Facets `F` of `L` and `G` of `M` give a piece of dimension `k − 1` iff their
//! inequalities are opposite (the same hyperplane, the regions on its two sides) and `F`,
//! cut by `M`'s other unit facets restricted to `H` (in the coordinates of `H` without
//! one on which it is not constant), keeps an interior. `M`'s facets on the domain's
//! boundary need no cut: `F` lies in the domain. Float boxes of the facets (widened
//! beyond the conversion error) skip pairs that cannot meet.

use std::collections::HashMap;

use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use rayon::prelude::*;

use super::cells::incidence::Incidence;
use super::exact::num::ratio_to_f64;
use super::exact::num::{gcd, to_f64};
use super::exact::polytope::Parts;
use super::exact::ExactLin;
use super::exact::{ExactNet, ExactPolytope};
use super::interior::{layer_step, pre_activation, Ineq};
use super::Slice;
use crate::bits::get_field;
use crate::control::Control;
use crate::error::Result;
use crate::network::Network;

/// A facet made by the inequality `a + b · s ≥ 0` (primitive integers) of the unit
/// whose field starts at bit `unit`.
#[derive(Clone)]
struct Made {
    unit: usize,
    bits: u32,
    a: BigInt,
    b: Vec<BigInt>,
}

/// A region's exact cell, each facet labelled with the index of its inequality in
/// `made` (`None`: a facet of the domain).
#[derive(Clone)]
struct Region {
    cell: ExactPolytope,
    label: Vec<Option<usize>>,
    made: Vec<Made>,
}

/// `(a, b)` divided by the gcd of its entries (orientation kept).
fn primitive(mut a: BigInt, mut b: Vec<BigInt>) -> (BigInt, Vec<BigInt>) {
    let g = b.iter().fold(a.abs(), |g, x| gcd(&g, x));
    if g > BigInt::one() {
        a /= &g;
        b.iter_mut().for_each(|x| *x /= &g);
    }
    (a, b)
}

/// A cell being built: the exact polytope, its facets' labels, the inequalities that
/// made them, and its vertices in float (`fv`, `V × k`, within two ulps).
#[derive(Clone)]
struct Partial {
    cell: ExactPolytope,
    label: Vec<Option<usize>>,
    made: Vec<Made>,
    fv: Vec<f64>,
}

impl Partial {
    fn new(domain: &ExactPolytope) -> Self {
        Partial {
            cell: domain.clone(),
            label: vec![None; domain.facets.nf],
            made: Vec::new(),
            fv: domain.to_f64(),
        }
    }

    /// Which side of `a + b · s = 0` the cell lies on strictly (`Some(true)`: `> 0`),
    /// decided in float with a proven error bound; `None` when the floats cannot tell.
    fn float_side(&self, a: &BigInt, b: &[BigInt]) -> Option<bool> {
        let k = self.cell.k;
        let top = b.iter().fold(a.bits(), |m, x| m.max(x.bits())) as i64;
        let e = -(top - 60).max(0);
        let alpha = to_f64(a, e);
        let beta: Vec<f64> = b.iter().map(|x| to_f64(x, e)).collect();
        // Coefficients and vertices within two ulps each: every term within (4 + 2) eps
        // relative, the sum of k + 1 terms within (k + 1) eps of its magnitude; the
        // underflow of a coefficient or vertex below 2^-1000 is the absolute slack.
        let c = (16 + 2 * k) as f64 * f64::EPSILON;
        let (mut pos, mut neg) = (true, true);
        for v in self.fv.chunks(k) {
            let (mut g, mut mag, mut l1) = (alpha, alpha.abs(), 1.0);
            for (bc, vc) in beta.iter().zip(v) {
                let t = bc * vc;
                g += t;
                mag += t.abs();
                l1 += vc.abs();
            }
            let bound = c * mag + l1 * 1e-290;
            pos &= g > bound;
            neg &= g < -bound;
            if !pos && !neg {
                return None;
            }
        }
        if pos {
            Some(true)
        } else {
            Some(false)
        }
    }

    /// Keep the part where inequality `g` holds; `false` when none is left.
    fn cut(&mut self, g: Ineq) -> bool {
        if g.is_zero() {
            return true;
        }
        match self.float_side(&g.a, &g.b) {
            Some(true) => return true,
            Some(false) => return false,
            None => {}
        }
        let k = self.cell.k;
        let empty = ExactPolytope {
            k,
            verts: Vec::new(),
            facets: Incidence {
                nf: 0,
                words: 1,
                inc: Vec::new(),
            },
        };
        let c = std::mem::replace(&mut self.cell, empty);
        match c.split_kept(&g.a, &g.b) {
            Parts::Whole(false, c) => {
                self.cell = c;
                true
            }
            Parts::Whole(true, _) => false,
            Parts::Cut(_, (hi, kept)) => {
                let (a, b) = primitive(g.a, g.b);
                self.label.push(Some(self.made.len()));
                self.made.push(Made {
                    unit: g.unit,
                    bits: g.bits,
                    a,
                    b,
                });
                if let Some(old) = kept {
                    self.label = old.iter().map(|&o| self.label[o]).collect();
                }
                self.fv = hi.to_f64();
                self.cell = hi;
                true
            }
        }
    }

    /// The finished region: in `k >= 4` a facet id can be left with `k` or more vertices
    /// on a face of lower dimension (a square in `R^4`), which is no facet; in `k <= 3`
    /// any `k` vertices of a face span a facet.
    fn finish(mut self) -> Region {
        let k = self.cell.k;
        if k >= 4 {
            for (f, lab) in self.label.iter_mut().enumerate() {
                if lab.is_some() && rank(&self.cell, f) < k {
                    *lab = None;
                }
            }
        }
        Region {
            cell: self.cell,
            label: self.label,
            made: self.made,
        }
    }
}

/// What the descent over layers shares.
struct Ctx<'a> {
    net: &'a Network,
    exact: ExactNet,
    patterns: &'a [u64],
    w: usize,
    ctrl: &'a Control,
}

/// The cells of the regions `idx` (patterns that agree on every layer before `l`),
/// whose common cell after layer `l − 1` is `part` and whose layer-`l` input maps are
/// `z`. Regions agreeing on layer `l` share its pre-activation maps, its cuts and the
/// next layer's maps, so the exact maps are computed once per distinct prefix.
fn descend(
    cx: &Ctx<'_>,
    l: usize,
    z: &ExactLin,
    part: Partial,
    mut idx: Vec<usize>,
) -> Vec<(usize, Region)> {
    let net = cx.net;
    if l == net.layers().len() {
        let region = part.finish();
        let last = idx.pop().expect("a group is never empty");
        let mut out: Vec<(usize, Region)> = idx.into_iter().map(|i| (i, region.clone())).collect();
        out.push((last, region));
        return out;
    }
    let lo = net.offsets()[l];
    let hi = lo + net.layers()[l].units() * net.layers()[l].bits() as usize;
    let pat = |i: usize| &cx.patterns[i * cx.w..(i + 1) * cx.w];
    let key = |i: usize| -> Vec<u64> {
        (lo..hi)
            .step_by(64)
            .map(|s| get_field(pat(i), s, (hi - s).min(64) as u32))
            .collect()
    };
    let mut keyed: Vec<(Vec<u64>, usize)> = idx.drain(..).map(|i| (key(i), i)).collect();
    keyed.sort_unstable();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (n, (k, i)) in keyed.iter().enumerate() {
        if n == 0 || keyed[n - 1].0 != *k {
            groups.push(Vec::new());
        }
        groups.last_mut().expect("pushed").push(*i);
    }
    let h = pre_activation(&cx.exact, l, z);
    groups
        .into_par_iter()
        .flat_map_iter(|g| {
            if cx.ctrl.is_cancelled() {
                return Vec::new();
            }
            let mut p = part.clone();
            let mut ok = true;
            let next = cx.ctrl.scope(|| {
                layer_step(net, &cx.exact, l, h.as_ref(), z, pat(g[0]), |ineq| {
                    ok = p.cut(ineq);
                    ok
                })
            });
            match next {
                Some(z2) if ok => descend(cx, l + 1, &z2, p, g),
                _ => Vec::new(),
            }
        })
        .collect()
}

/// The rank of the homogeneous vertex rows `(X, w)` of facet `f` (`k` for a facet of
/// dimension `k − 1`), by fraction-free elimination.
fn rank(cell: &ExactPolytope, f: usize) -> usize {
    let k = cell.k;
    let mut rows: Vec<Vec<BigInt>> = facet_vertices(cell, f)
        .map(|v| cell.verts[v * (k + 1)..(v + 1) * (k + 1)].to_vec())
        .collect();
    let mut r = 0;
    for c in 0..=k {
        let Some(p) = (r..rows.len()).find(|&i| !rows[i][c].is_zero()) else {
            continue;
        };
        rows.swap(r, p);
        let (top, rest) = rows.split_at_mut(r + 1);
        let piv = &top[r];
        for row in rest.iter_mut() {
            if row[c].is_zero() {
                continue;
            }
            let m = row[c].clone();
            for t in c..=k {
                row[t] = &row[t] * &piv[c] - &m * &piv[t];
            }
            let g = row.iter().fold(BigInt::zero(), |g, x| gcd(&g, x));
            if g > BigInt::one() {
                row.iter_mut().for_each(|x| *x /= &g);
            }
        }
        r += 1;
    }
    r
}

/// One facet made by a unit: its region, facet id, side (the unit's field) and a float
/// box containing it.
struct FacetRef {
    region: usize,
    facet: usize,
    side: u64,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

/// A hash of the first `n` bits of `pat`.
fn prefix_hash(pat: &[u64], n: usize) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ n as u64;
    for (w, &word) in pat.iter().enumerate().take(n.div_ceil(64)) {
        let bits = n - 64 * w;
        let x = if bits >= 64 {
            word
        } else {
            word & ((1u64 << bits) - 1)
        };
        h = (h ^ x).wrapping_mul(0x1000_0000_01b3).rotate_left(29) ^ (w as u64);
    }
    h
}

/// The vertices of facet `f` of `cell`.
fn facet_vertices(cell: &ExactPolytope, f: usize) -> impl Iterator<Item = usize> + '_ {
    let words = cell.facets.words;
    (0..cell.n_vertices())
        .filter(move |&v| cell.facets.inc[v * words + f / 64] >> (f % 64) & 1 == 1)
}

/// A float box around facet `f` of `cell`, wider than the rounding of its vertices.
fn facet_box(cell: &ExactPolytope, f: usize) -> (Vec<f64>, Vec<f64>) {
    let k = cell.k;
    let (mut lo, mut hi) = (vec![f64::INFINITY; k], vec![f64::NEG_INFINITY; k]);
    for v in facet_vertices(cell, f) {
        let x = &cell.verts[v * (k + 1)..(v + 1) * (k + 1)];
        for c in 0..k {
            let y = ratio_to_f64(&x[c], &x[k]);
            // `ratio_to_f64` is within two ulps; subnormals get an absolute margin.
            let m = y.abs() * 1e-14 + 1e-300;
            lo[c] = lo[c].min(y - m);
            hi[c] = hi[c].max(y + m);
        }
    }
    (lo, hi)
}

/// Whether facet `f` of `l` and facet `g` of `m` share a piece of dimension `k − 1`.
fn share(l: &Region, f: usize, m: &Region, g: usize) -> bool {
    let (Some(i), Some(j)) = (l.label[f], m.label[g]) else {
        return false;
    };
    let (p, q) = (&l.made[i], &m.made[j]);
    if p.a != -&q.a || p.b.iter().zip(&q.b).any(|(x, y)| x != &-y) {
        return false;
    }
    let k = l.cell.k;
    if k == 1 {
        return true;
    }
    // Coordinates of H: drop coordinate c (b_c ≠ 0): s_c = −(a + Σ_{j≠c} b_j s_j) / b_c.
    let c =
        p.b.iter()
            .position(|x| !x.is_zero())
            .expect("a facet's normal is non-zero");
    let (ha, hb) = (&p.a, &p.b);
    let sgn = if hb[c].is_negative() {
        -BigInt::one()
    } else {
        BigInt::one()
    };
    // F: the vertices of l on facet f, coordinate c dropped; its facets: l's others.
    let words = l.cell.facets.words;
    let mut verts = Vec::new();
    let mut inc = Vec::new();
    for v in facet_vertices(&l.cell, f) {
        let x = &l.cell.verts[v * (k + 1)..(v + 1) * (k + 1)];
        verts.extend(
            x.iter()
                .enumerate()
                .filter(|&(t, _)| t != c)
                .map(|(_, y)| y.clone()),
        );
        let row = &l.cell.facets.inc[v * words..(v + 1) * words];
        inc.extend_from_slice(row);
        let n = inc.len();
        inc[n - words + f / 64] &= !(1u64 << (f % 64));
    }
    let facets = Incidence {
        nf: l.cell.facets.nf,
        words,
        inc,
    }
    .compact(k - 1);
    let mut piece = ExactPolytope {
        k: k - 1,
        verts,
        facets,
    };
    for (h, lab) in m.label.iter().enumerate() {
        let Some(j) = *lab else { continue };
        if h == g {
            continue;
        }
        let r = &m.made[j];
        // r on H, times |b_c|: sgn (b_c α − β_c a) + Σ_{j≠c} sgn (b_c β_j − β_c b_j) s_j.
        let a2 = &sgn * (&hb[c] * &r.a - &r.b[c] * ha);
        let b2: Vec<BigInt> = (0..k)
            .filter(|&t| t != c)
            .map(|t| &sgn * (&hb[c] * &r.b[t] - &r.b[c] * &hb[t]))
            .collect();
        if b2.iter().all(Zero::is_zero) {
            if a2.is_negative() {
                return false;
            }
            continue;
        }
        match piece.split(&a2, &b2).1 {
            Some(p) => piece = p,
            None => return false,
        }
    }
    true
}

/// The adjacent pairs `(i, j)`, `i < j`, sorted, of the regions of `patterns` (`R ×
/// n_words`, row-major) in the cell `domain` of `slice`. Regions without interior are
/// skipped. Stops on Ctrl-C (`ctrl`).
pub fn adjacency(
    net: &Network,
    slice: &Slice,
    domain: &ExactPolytope,
    patterns: &[u64],
    ctrl: &Control,
) -> Result<Vec<(usize, usize)>> {
    let w = net.n_words().max(1);
    let n = patterns.len() / w;
    let cx = Ctx {
        net,
        exact: ExactNet::new(net),
        patterns,
        w,
        ctrl,
    };
    let mut regions: Vec<Option<Region>> = (0..n).map(|_| None).collect();
    for (i, r) in descend(
        &cx,
        0,
        &slice.exact(domain.k),
        Partial::new(domain),
        (0..n).collect(),
    ) {
        regions[i] = Some(r);
    }
    ctrl.check()?;
    let mut groups: HashMap<(usize, u64), Vec<FacetRef>> = HashMap::new();
    for (r, reg) in regions.iter().enumerate() {
        let Some(reg) = reg else { continue };
        let pat = &patterns[r * w..(r + 1) * w];
        for (f, lab) in reg.label.iter().enumerate() {
            let Some(i) = *lab else { continue };
            let (unit, bits) = (reg.made[i].unit, reg.made[i].bits);
            let (lo, hi) = facet_box(&reg.cell, f);
            groups
                .entry((unit, prefix_hash(pat, unit)))
                .or_default()
                .push(FacetRef {
                    region: r,
                    facet: f,
                    side: get_field(pat, unit, bits),
                    lo,
                    hi,
                });
        }
    }
    let mut groups: Vec<Vec<FacetRef>> = groups.into_values().collect();
    let mut pairs: Vec<(usize, usize)> = groups
        .par_iter_mut()
        .flat_map_iter(|g| {
            if ctrl.is_cancelled() {
                return Vec::new();
            }
            ctrl.scope(|| pairs_in(g, &regions))
        })
        .collect();
    ctrl.check()?;
    pairs.sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

/// The sharing pairs of one group, by a sweep over the facets' boxes.
fn pairs_in(g: &mut [FacetRef], regions: &[Option<Region>]) -> Vec<(usize, usize)> {
    let Some(first) = g.first() else {
        return Vec::new();
    };
    let k = first.lo.len();
    // Sweep along the axis where the group spreads most.
    let spread = |c: usize| {
        let lo = g.iter().map(|f| f.lo[c]).fold(f64::INFINITY, f64::min);
        let hi = g.iter().map(|f| f.hi[c]).fold(f64::NEG_INFINITY, f64::max);
        hi - lo
    };
    let ax = (0..k)
        .max_by(|&a, &b| spread(a).total_cmp(&spread(b)))
        .unwrap_or(0);
    g.sort_by(|a, b| a.lo[ax].total_cmp(&b.lo[ax]));
    let mut out = Vec::new();
    for i in 0..g.len() {
        for j in i + 1..g.len() {
            if g[j].lo[ax] > g[i].hi[ax] {
                break;
            }
            let (a, b) = (&g[i], &g[j]);
            if a.side == b.side
                || a.region == b.region
                || (0..k).any(|c| a.lo[c] > b.hi[c] || b.lo[c] > a.hi[c])
            {
                continue;
            }
            let (Some(l), Some(m)) = (&regions[a.region], &regions[b.region]) else {
                continue;
            };
            if share(l, a.facet, m, b.facet) {
                out.push((a.region.min(b.region), a.region.max(b.region)));
            }
        }
    }
    out
}
