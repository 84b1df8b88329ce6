//! Exact adjacency of regions (issue 30 item 2): regions `L` and `M` of a `k`-dimensional
//! cell are adjacent when their closures share a piece `T` of dimension `k − 1`.
//!
//! **Adjacent regions have equal facets.** `T` lies in a hyperplane `H` (the regions'
//! interiors are disjoint); let `F = cl L ∩ H` and `G = cl M ∩ H`, facets of `L` and `M`.
//! Every unit's pre-activation `z_w` is continuous, so the affine maps `z_w^L` (`w`'s map
//! under `L`'s pattern) and `z_w^M` agree on `T`, hence on all of `H`. A unit that is not
//! identically zero on `H` has the same sign at the generic points of `T` from both
//! sides, so `L` and `M` impose the same inequality on `H`; a unit identically zero on
//! `H` imposes none on either. So `F = G`: the two sides subdivide `H` alike. Conversely,
//! two regions with a common `(k − 1)`-dimensional facet are adjacent. Hence: `L` and
//! `M` are adjacent iff some facet of `L` and some facet of `M` have the same vertex set.
//!
//! **How, fast** ([`adjacency`], ReLU and leaky-ReLU networks in `k ≥ 2`): the walk
//! again, with every cut tagged by its unit. Across a facet made by unit `u` of a region
//! whose signs the float filter all decided strictly lies the region whose pattern is
//! that region's with `u`'s bit flipped (the proof is at [`adjacency`]): a hash lookup,
//! no arithmetic. The regions the float filter did not decide strictly (degenerate
//! networks: coincident units, vertices on hyperplanes, dead units) take the exact
//! cells below among themselves.
//!
//! **How, from exact cells** ([`cell_adjacency`]). Each region's cell is built exactly (rational vertices in reduced homogeneous
//! integers, a canonical form; facet incidences, [`ExactPolytope`]) by cutting the
//! domain with its pattern's inequalities; regions that agree on the first layers share
//! those layers' exact maps and cuts (a descent over the distinct prefixes), and a float
//! test with a proven error bound skips the inequalities that do not touch the cell.
//! Facets made by a unit (not the domain's) are hashed by their sorted vertex rows;
//! equal hashes are compared exactly. In `k ≥ 4` a facet id left with `k` vertices on a
//! face of lower dimension is dropped by an exact rank test.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use rayon::prelude::*;

use super::cells::incidence::Incidence;
use super::cells::Cell;
use super::exact::lin::{rectify, ExactLayer};
use super::exact::num::{gcd, to_f64};
use super::exact::polytope::Parts;
use super::exact::ExactLin;
use super::exact::{ExactNet, ExactPolytope};
use super::interior::{layer_step, pre_activation, Ineq};
use super::space::facets as space_facets;
use super::{walk_from, Options, Slice, VPolytope};
use crate::bits::get_field;
use crate::control::Control;
use crate::error::Result;
use crate::network::{Activation, Layer, Network};

/// A region's exact cell; `made[f]`: facet `f` was made by a unit (not the domain).
#[derive(Clone)]
struct Region {
    cell: ExactPolytope,
    made: Vec<bool>,
}

/// A cell being built: the exact polytope, which facets a unit made, and its vertices
/// in float (`fv`, `V × k`, within two ulps).
#[derive(Clone)]
struct Partial {
    cell: ExactPolytope,
    made: Vec<bool>,
    fv: Vec<f64>,
}

impl Partial {
    fn new(domain: &ExactPolytope) -> Self {
        Partial {
            cell: domain.clone(),
            made: vec![false; domain.facets.nf],
            fv: domain.to_f64(),
        }
    }

    /// Which side of `a + b · s = 0` the cell lies on strictly (`Some(true)`: `> 0`),
    /// decided in float with a proven error bound; `None` when the floats cannot tell.
    fn float_side(&self, a: &BigInt, b: &[BigInt]) -> Option<bool> {
        let row = scaled(a, b);
        self.float_side_of(row[0], &row[1..])
    }

    /// [`Partial::float_side`] of the row `alpha + beta · s` made by [`scaled`] (a
    /// positive multiple of the exact row within two ulps per entry).
    fn float_side_of(&self, alpha: f64, beta: &[f64]) -> Option<bool> {
        let k = self.cell.k;
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
            Some(true) => true,
            Some(false) => false,
            None => self.cut_exact(g),
        }
    }

    /// [`Partial::cut`] in exact arithmetic, for a non-zero inequality whose float test
    /// was undecided.
    fn cut_exact(&mut self, g: Ineq) -> bool {
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
                self.made.push(true);
                if let Some(old) = kept {
                    self.made = old.iter().map(|&o| self.made[o]).collect();
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
            for (f, made) in self.made.iter_mut().enumerate() {
                if *made && rank(&self.cell, f) < k {
                    *made = false;
                }
            }
        }
        Region {
            cell: self.cell,
            made: self.made,
        }
    }
}

/// `(a, b)` as floats scaled by a common power of two (largest entry near `2^60`), each
/// within two ulps: the same sign everywhere as the exact row.
fn scaled(a: &BigInt, b: &[BigInt]) -> Vec<f64> {
    let top = b.iter().fold(a.bits(), |m, x| m.max(x.bits())) as i64;
    let e = -(top - 60).max(0);
    std::iter::once(a).chain(b).map(|x| to_f64(x, e)).collect()
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
    h: Option<ExactLin>,
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
    let h = h.or_else(|| pre_activation(&cx.exact, l, z));
    let last = l + 1 == net.layers().len();
    // ReLU / leaky ReLU: every child tests every unit, so the rows' floats are made once.
    let relu = match (&cx.exact.layers[l], &h) {
        (
            ExactLayer::Dense {
                activation, slope, ..
            },
            Some(h),
        ) if !matches!(activation, Activation::Maxout(_)) => {
            let rows: Vec<Vec<f64>> = (0..h.len())
                .map(|i| {
                    let (a, b) = h.row(i);
                    scaled(a, b)
                })
                .collect();
            Some((h, slope, rows))
        }
        _ => None,
    };
    // The children's next maps and next pre-activations along the sorted children, each
    // from the previous one by the columns whose bits differ (siblings differ in few
    // bits): O(changed n k) instead of O(n_in n k) per child.
    let chained: Option<Vec<(ExactLin, ExactLin)>> = match (&relu, cx.exact.layers.get(l + 1)) {
        (Some((h, slope, _)), Some(ExactLayer::Dense { affine, .. }))
            if net.carry(l).is_empty() =>
        {
            let off = net.offsets()[l];
            let bit = |i: usize, r: usize| get_field(pat(i), off + r, 1) == 1;
            let mut out: Vec<(ExactLin, ExactLin)> = Vec::with_capacity(groups.len());
            let mut ok = true;
            for (c, g) in groups.iter().enumerate() {
                let z2 = rectify(h, |r| bit(g[0], r), slope);
                let h2 = match out.last() {
                    None => affine.apply(&z2),
                    Some((z1, h1)) => {
                        let prev = groups[c - 1][0];
                        let cols: Vec<usize> = (0..h.len())
                            .filter(|&r| bit(g[0], r) != bit(prev, r))
                            .collect();
                        let mut h2 = h1.clone();
                        if !affine.apply_delta(&mut h2, z1, &z2, &cols) {
                            ok = false;
                            break;
                        }
                        h2
                    }
                };
                out.push((z2, h2));
            }
            ok.then_some(out)
        }
        _ => None,
    };
    let pre: Vec<Option<(ExactLin, ExactLin)>> = match chained {
        Some(v) => v.into_iter().map(Some).collect(),
        None => (0..groups.len()).map(|_| None).collect(),
    };
    groups
        .into_iter()
        .zip(pre)
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(|(g, pre)| {
            if cx.ctrl.is_cancelled() {
                return Vec::new();
            }
            let mut p = part.clone();
            if let (Some((z2, h2)), Some((h, slope, rows))) = (pre, &relu) {
                // The cuts only: the next maps are made.
                let kept = cx
                    .ctrl
                    .scope(|| relu_step(net, l, h, slope, rows, z, pat(g[0]), &mut p, true));
                return match kept {
                    Some(_) => descend(cx, l + 1, &z2, Some(h2), p, g),
                    None => Vec::new(),
                };
            }
            let next = cx.ctrl.scope(|| match &relu {
                Some((h, slope, rows)) => {
                    relu_step(net, l, h, slope, rows, z, pat(g[0]), &mut p, last)
                }
                None => {
                    let mut ok = true;
                    let next = layer_step(net, &cx.exact, l, h.as_ref(), z, pat(g[0]), |ineq| {
                        ok = p.cut(ineq);
                        ok
                    });
                    next.filter(|_| ok)
                }
            });
            match next {
                Some(z2) => descend(cx, l + 1, &z2, None, p, g),
                None => Vec::new(),
            }
        })
        .collect()
}

/// A ReLU / leaky-ReLU layer of [`descend`]: cut `p` by unit `i`'s inequality (`h_i ≥ 0`
/// when active, `−h_i ≥ 0` when not) unless its float row `rows[i]` decides the side;
/// then the next layer's maps (none after the last hidden layer). `None` when the cell
/// has no interior left.
#[allow(clippy::too_many_arguments)]
fn relu_step(
    net: &Network,
    l: usize,
    h: &ExactLin,
    slope: &Option<(BigInt, i64)>,
    rows: &[Vec<f64>],
    z: &ExactLin,
    pat: &[u64],
    p: &mut Partial,
    last: bool,
) -> Option<ExactLin> {
    let off = net.offsets()[l];
    let on = |i: usize| get_field(pat, off + i, 1) == 1;
    let mut neg = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let side = if on(i) {
            p.float_side_of(row[0], &row[1..])
        } else {
            neg.clear();
            neg.extend(row.iter().map(|x| -x));
            p.float_side_of(neg[0], &neg[1..])
        };
        match side {
            Some(true) => continue,
            Some(false) => return None,
            None => {}
        }
        let (a, b) = h.row(i);
        let g = Ineq::relu(a, b, on(i));
        if g.is_zero() {
            continue;
        }
        if !p.cut_exact(g) {
            return None;
        }
    }
    if last {
        return Some(ExactLin {
            e: 0,
            k: z.k,
            a: Vec::new(),
            b: Vec::new(),
        });
    }
    Some(rectify(h, on, slope).with_rows(z, net.carry(l)))
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

/// The vertices of facet `f` of `cell`.
fn facet_vertices(cell: &ExactPolytope, f: usize) -> impl Iterator<Item = usize> + '_ {
    let words = cell.facets.words;
    (0..cell.n_vertices())
        .filter(move |&v| cell.facets.inc[v * words + f / 64] >> (f % 64) & 1 == 1)
}

/// How a cell's vertex rows map to coordinates shared by several slices.
#[derive(Clone, Copy, Debug)]
enum Lift {
    /// As they are (one slice).
    Plain,
    /// The top facet `t = 1` of the homogenization surface ([`super::space`]): `(u, 1)`.
    Top,
    /// The side facet `x_i = ±1` (`true`: `+1`): `u` is `x` without `x_i`, then `t`.
    Side(usize, bool),
}

/// Facet `f` of `cell` as its sorted vertex rows (reduced homogeneous integers, hence
/// canonical: equal rows are equal points), mapped by `lift` (inserting `±w` or `w`
/// keeps a row reduced).
fn signature(cell: &ExactPolytope, f: usize, lift: Lift) -> Vec<Cow<'_, [BigInt]>> {
    let k1 = cell.k + 1;
    let mut rows: Vec<Cow<'_, [BigInt]>> = facet_vertices(cell, f)
        .map(|v| {
            let row = &cell.verts[v * k1..(v + 1) * k1];
            let (u, w) = row.split_at(cell.k);
            match lift {
                Lift::Plain => Cow::Borrowed(row),
                Lift::Top => Cow::Owned(u.iter().chain(w).chain(w).cloned().collect()),
                Lift::Side(i, up) => {
                    let s = if up { w[0].clone() } else { -&w[0] };
                    let mut out: Vec<BigInt> = Vec::with_capacity(k1 + 1);
                    out.extend_from_slice(&u[..i]);
                    out.push(s);
                    out.extend_from_slice(&u[i..]);
                    out.push(w[0].clone());
                    Cow::Owned(out)
                }
            }
        })
        .collect();
    rows.sort_unstable();
    rows
}

/// The adjacent pairs `(i, j)`, `i < j`, sorted, of the regions of `patterns` (`R ×
/// n_words`, row-major) in the cell `domain` of `slice` (`exact_domain`: the same cell
/// in exact arithmetic). Regions without interior are skipped. Stops on Ctrl-C (`ctrl`).
///
/// **From the walk's facets** (ReLU and leaky-ReLU networks, `k ≥ 2`). The domain is
/// walked again in the exact mode with every cut tagged by its unit
/// ([`Options::facets`]). Take a region `L` whose every sign was decided strictly by
/// the float filter (no vertex ever on a hyperplane, no map exactly zero on a cell
/// unless zero by its weights: otherwise the walk took the exact path and `L` is not
/// *clean*), and a facet `F ⊂ H` of `L` made by unit `u`. Then no other unit `v`
/// vanishes identically on `H` under `L`'s maps: if one did, the cell `A ⊇ L` on which
/// the later of `u`, `v` was decided would have `≥ k` vertices on `H` (the face `A ∩ H
/// ⊇ F`) where that unit's map is exactly 0, an undecided sign. So every unit but `u`
/// is non-zero at the relative interior points `p` of `F` (a unit zero at one such
/// point and of one sign on `cl L` vanishes on `H`), keeps its sign on both sides of
/// `H` near `p` (pre-activations are continuous), and `u`'s map, the same on both
/// sides (no earlier unit changes), changes sign. The region across `F` is the one
/// whose pattern is `L`'s with `u`'s bit flipped; `p` lies inside the domain (the cut
/// crossed the interior of `A`), so that region is in the set. In a clean history
/// every vertex lies on exactly `k` facets, so every tagged facet left with vertices
/// is a true facet. Regions that are not clean, and regions whose neighbour is not in
/// `patterns` (sets made with a tolerance), are decided from their exact cells
/// ([`cell_adjacency`]) among themselves; their pairs with clean regions are found
/// from the clean side.
///
/// Max-pooling and maxout networks, and segments, take [`cell_adjacency`] for all.
pub fn adjacency<C: Cell>(
    net: &Network,
    slice: &Slice,
    domain: C,
    exact_domain: &ExactPolytope,
    patterns: &[u64],
    ctrl: &Control,
) -> Result<Vec<(usize, usize)>> {
    let w = net.n_words().max(1);
    let n = patterns.len() / w;
    if n < 2 || domain.dim() < 2 || !is_relu(net) || net.n_words() == 0 {
        return cell_adjacency(net, slice, exact_domain, patterns, ctrl);
    }
    let index = index_of(patterns, w);
    let walked = flip_pairs(net, slice, domain, &index, true, ctrl)?;
    let mut pairs = walked.pairs;
    let mut unclean = walked.unclean;
    let mut seen = vec![false; n];
    for &i in &walked.seen {
        seen[i] = true;
    }
    unclean.extend((0..n).filter(|&i| !seen[i]));
    unclean.sort_unstable();
    unclean.dedup();
    if unclean.len() >= 2 {
        let sub: Vec<u64> = unclean
            .iter()
            .flat_map(|&i| patterns[i * w..(i + 1) * w].iter().copied())
            .collect();
        let among = cell_adjacency(net, slice, exact_domain, &sub, ctrl)?;
        pairs.extend(among.into_iter().map(|(a, b)| (unclean[a], unclean[b])));
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

/// Whether every layer is ReLU or leaky ReLU (the flip lemma's networks).
fn is_relu(net: &Network) -> bool {
    net.layers().iter().all(|l| {
        matches!(
            l,
            Layer::Dense {
                activation: Activation::Relu | Activation::LeakyRelu(_),
                ..
            }
        )
    })
}

/// Each pattern's first row (`w` words per row).
fn index_of(patterns: &[u64], w: usize) -> HashMap<&[u64], usize> {
    let mut index: HashMap<&[u64], usize> = HashMap::with_capacity(patterns.len() / w);
    for (i, p) in patterns.chunks(w).enumerate() {
        index.entry(p).or_insert(i);
    }
    index
}

/// What one facet walk found about the regions of `index` (row numbers).
struct Walked {
    /// Pairs across the facets of clean regions (the flip lemma).
    pairs: Vec<(usize, usize)>,
    /// Regions walked but not clean, or with a neighbour not in `index`.
    unclean: Vec<usize>,
    /// Every region of `index` the walk met, in the walk's order.
    seen: Vec<usize>,
}

/// Walk `domain` of `slice`; with `flip` (ReLU / leaky networks) in the facet mode,
/// pairing each clean region with the region across each facet ([`adjacency`]); without,
/// every region met is unclean.
fn flip_pairs<C: Cell>(
    net: &Network,
    slice: &Slice,
    domain: C,
    index: &HashMap<&[u64], usize>,
    flip: bool,
    ctrl: &Control,
) -> Result<Walked> {
    let opts = Options {
        facets: flip,
        maps: false,
        ..Options::default()
    };
    let out = walk_from(net, slice, domain, opts, ctrl, false)?;
    let own: Vec<Option<usize>> = out
        .regions
        .iter()
        .map(|r| index.get(r.pattern.as_slice()).copied())
        .collect();
    ctrl.check()?;
    // (pairs, unclean) of every walked region of the set.
    type Found = (Vec<(usize, usize)>, Option<usize>);
    let found: Vec<Found> = out
        .regions
        .par_iter()
        .zip(&own)
        .filter_map(|(r, &i)| {
            let i = i?;
            let Some(tags) = &r.facets else {
                return Some((Vec::new(), Some(i)));
            };
            let mut q = r.pattern.clone();
            let mut pairs = Vec::with_capacity(tags.len());
            for &t in tags {
                let (word, bit) = (t as usize / 64, t % 64);
                q[word] ^= 1 << bit;
                let j = index.get(q.as_slice()).copied();
                q[word] ^= 1 << bit;
                match j {
                    Some(j) if j != i => pairs.push((i.min(j), i.max(j))),
                    _ => return Some((Vec::new(), Some(i))),
                }
            }
            Some((pairs, None))
        })
        .collect();
    ctrl.check()?;
    let mut walked = Walked {
        pairs: Vec::new(),
        unclean: Vec::new(),
        seen: own.into_iter().flatten().collect(),
    };
    for (p, u) in found {
        walked.pairs.extend(p);
        walked.unclean.extend(u);
    }
    Ok(walked)
}

/// The exact cells of the regions `patterns` in `domain` of `slice` (`None`: no
/// interior); `ridge[f]`: domain facet `f` is paired like a unit's facet.
fn exact_regions(
    net: &Network,
    slice: &Slice,
    domain: &ExactPolytope,
    ridge: Option<&[bool]>,
    patterns: &[u64],
    ctrl: &Control,
) -> Vec<Option<Region>> {
    let w = net.n_words().max(1);
    let n = patterns.len() / w;
    let cx = Ctx {
        net,
        exact: ExactNet::new(net),
        patterns,
        w,
        ctrl,
    };
    let mut start = Partial::new(domain);
    if let Some(r) = ridge {
        start.made.copy_from_slice(r);
    }
    let mut regions: Vec<Option<Region>> = (0..n).map(|_| None).collect();
    for (i, r) in descend(
        &cx,
        0,
        &slice.exact(domain.k),
        None,
        start,
        (0..n).collect(),
    ) {
        regions[i] = Some(r);
    }
    regions
}

/// The pairs `(a, b)`, `a < b`, of owners (`items[..].0`) of two cells with a paired
/// facet (`made`) of equal vertex sets, each vertex row mapped by its item's `lift`.
fn matched_pairs(items: &[(usize, &Region, Lift)], ctrl: &Control) -> Result<Vec<(usize, usize)>> {
    // Every paired facet, keyed by a hash of its vertex set.
    let mut keys: Vec<(u64, usize, usize)> = items
        .par_iter()
        .enumerate()
        .flat_map_iter(|(r, (_, reg, lift))| {
            let mut out = Vec::new();
            for (f, &made) in reg.made.iter().enumerate() {
                if made {
                    let mut h = DefaultHasher::new();
                    signature(&reg.cell, f, *lift).hash(&mut h);
                    out.push((h.finish(), r, f));
                }
            }
            out
        })
        .collect();
    keys.par_sort_unstable();
    // Equal vertex sets among equal hashes (runs of two, but for collisions).
    let runs: Vec<&[(u64, usize, usize)]> = keys
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|r| r.len() > 1)
        .collect();
    let mut pairs: Vec<(usize, usize)> = runs
        .par_iter()
        .flat_map_iter(|run| {
            let mut out = Vec::new();
            for (i, a) in run.iter().enumerate() {
                for b in &run[i + 1..] {
                    let ((ra, l, la), (rb, m, lb)) = (&items[a.1], &items[b.1]);
                    if ra != rb && signature(&l.cell, a.2, *la) == signature(&m.cell, b.2, *lb) {
                        out.push((*ra.min(rb), *ra.max(rb)));
                    }
                }
            }
            out
        })
        .collect();
    ctrl.check()?;
    pairs.sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

/// [`adjacency`] from every region's exact cell: the facets made by a unit with equal
/// exact vertex sets (see the module docs).
pub fn cell_adjacency(
    net: &Network,
    slice: &Slice,
    domain: &ExactPolytope,
    patterns: &[u64],
    ctrl: &Control,
) -> Result<Vec<(usize, usize)>> {
    let regions = exact_regions(net, slice, domain, None, patterns, ctrl);
    ctrl.check()?;
    let items: Vec<(usize, &Region, Lift)> = regions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().map(|r| (i, r, Lift::Plain)))
        .collect();
    matched_pairs(&items, ctrl)
}

/// The adjacent pairs `(i, j)`, `i < j`, sorted, of the regions of all of `R^d`
/// (`patterns`: the regions of [`super::space::space_regions`], `R × n_words`): their
/// closures share a piece of dimension `d − 1` (unbounded regions included).
///
/// The regions are the cones of the homogenized network `F` over `t > 0`, met on the
/// `2d + 1` facets of the surface `S` (the module docs of [`super::space`]). Two cones
/// share a `d`-dimensional piece exactly when their traces on `S` share a piece of
/// dimension `d − 1` (each ray with `t > 0` meets `S` once): on one facet of `S`, a
/// facet of both traces inside it, found as in [`adjacency`] (flip the unit; exact
/// cells for unclean traces); or on a *ridge* where two facets of `S` meet, when the
/// cones' common hyperplane contains the ridge. Then the unit of that hyperplane is
/// exactly zero on `≥ d` vertices of each trace's ancestors on the ridge, so both
/// traces are unclean: their exact cells, vertices lifted to `(x, t)`, have equal
/// ridge facets (the equal-facets argument in `(x, t)`), and the pairs are matched
/// among the unclean traces of all facets at once.
pub fn space_adjacency(
    net: &Network,
    patterns: &[u64],
    ctrl: &Control,
) -> Result<Vec<(usize, usize)>> {
    let d = net.input_dim();
    let w = net.n_words().max(1);
    let n = patterns.len() / w;
    if n < 2 || net.n_words() == 0 {
        return Ok(Vec::new());
    }
    let h = net.homogenized()?;
    let index = index_of(patterns, w);
    let flip = is_relu(net);
    let mut pairs = Vec::new();
    let mut cells: Vec<(usize, Region, Lift)> = Vec::new();
    for (slice, lo, hi, side) in space_facets(d) {
        ctrl.check()?;
        let domain = VPolytope::boxed(&lo, &hi)?;
        let exact = domain.to_exact();
        let walked = flip_pairs(&h, &slice, domain, &index, flip, ctrl)?;
        pairs.extend(walked.pairs);
        let mut unclean = walked.unclean;
        unclean.sort_unstable();
        unclean.dedup();
        if unclean.is_empty() {
            continue;
        }
        // Box facet 2c + up is s_c = lo_c (up = 0) or hi_c; on a side facet the last
        // coordinate is t, and t = 0 (infinity) is no ridge.
        let ridge: Vec<bool> = (0..2 * d)
            .map(|f| side.is_none() || f != 2 * (d - 1))
            .collect();
        let sub: Vec<u64> = unclean
            .iter()
            .flat_map(|&i| patterns[i * w..(i + 1) * w].iter().copied())
            .collect();
        let regs = exact_regions(&h, &slice, &exact, Some(&ridge), &sub, ctrl);
        let lift = match side {
            None => Lift::Top,
            Some((i, s)) => Lift::Side(i, s > 0.0),
        };
        cells.extend(
            unclean
                .iter()
                .zip(regs)
                .filter_map(|(&i, r)| r.map(|r| (i, r, lift))),
        );
    }
    let items: Vec<(usize, &Region, Lift)> = cells.iter().map(|(i, r, l)| (*i, r, *l)).collect();
    pairs.extend(matched_pairs(&items, ctrl)?);
    pairs.par_sort_unstable();
    pairs.dedup();
    Ok(pairs)
}
