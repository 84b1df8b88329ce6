//! Certified interior points of regions (issue 30 item 3).
//!
//! [`certify`] decides, for a float64 point `x` and a pattern `s`, whether `x` lies
//! strictly inside the region of `s`: every unit's decision at `x` is the pattern's and
//! strict (a ReLU's pre-activation non-zero, a max unit's winner strictly above the other
//! pieces), so a neighbourhood of `x` has pattern `s`. A forward pass with proven error
//! bounds decides almost every point; the rest are redone in exact integers. A unit
//! identically zero near `x` is inactive without a boundary (a pruned unit, or one whose
//! terms cancel): the filter knows the structural zeros (every term a zero weight or a
//! locally-zero input, zero bias), the exact path every zero map (value and gradient 0).
//!
//! [`exact_point`] builds the region's cell exactly (the domain cut by the pattern's
//! inequalities, rational vertices) and returns its vertex average, a rational point
//! strictly inside, in input coordinates: for regions thinner than the float grid,
//! where no float64 candidate is strictly inside.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use super::exact::lin::{rectify, ExactLayer};
use super::exact::num::to_ints;
use super::exact::{ExactLin, ExactNet, ExactPolytope};
use super::Slice;
use crate::bits::get_field;
use crate::network::{Activation, Affine, Layer, Network};

/// A layer's inputs at a point: values, error bounds, and "identically zero near the
/// point" flags.
struct At {
    z: Vec<f64>,
    e: Vec<f64>,
    lz: Vec<bool>,
}

/// Row `i` of `affine` at `at`: value, error bound, locally zero.
fn row_at(affine: &Affine, i: usize, at: &At) -> (f64, f64, bool) {
    let (mut h, mut mag, mut err, mut n) = (affine.b[i], affine.b[i].abs(), 0.0, 1usize);
    let mut lz = affine.b[i] == 0.0;
    for (j, w) in affine.row(i).iter() {
        if w == 0.0 {
            continue;
        }
        lz &= at.lz[j];
        let t = w * at.z[j];
        h += t;
        mag += t.abs();
        err += w.abs() * at.e[j];
        n += 1;
    }
    let g = (n + 2) as f64 * f64::EPSILON;
    (
        h,
        (err + g * mag) * (1.0 + 4.0 * f64::EPSILON) + f64::MIN_POSITIVE,
        lz,
    )
}

/// The index of the strict winner among pieces `(value, err, lz)`, `Err(())` when
/// undecided. Locally-zero pieces are equal to each other everywhere near the point:
/// the lowest of them stands for all.
fn winner(pieces: &[(f64, f64, bool)]) -> Result<usize, ()> {
    let first_lz = pieces.iter().position(|p| p.2);
    let live: Vec<usize> = (0..pieces.len())
        .filter(|&r| !pieces[r].2 || Some(r) == first_lz)
        .collect();
    let best = *live
        .iter()
        .max_by(|&&a, &&b| pieces[a].0.total_cmp(&pieces[b].0).then(b.cmp(&a)))
        .ok_or(())?;
    let lo = pieces[best].0 - pieces[best].1;
    if live
        .iter()
        .all(|&q| q == best || pieces[q].0 + pieces[q].1 < lo)
    {
        Ok(best)
    } else {
        Err(())
    }
}

/// `Some(true)`: `x` is strictly inside the region of `pat`; `Some(false)`: certainly
/// not; `None`: the float bounds cannot tell.
fn certify_float(net: &Network, x: &[f64], pat: &[u64]) -> Option<bool> {
    let mut at = At {
        z: x.to_vec(),
        e: vec![0.0; x.len()],
        lz: vec![false; x.len()],
    };
    for (l, layer) in net.layers().iter().enumerate() {
        let (off, bits) = (net.offsets()[l], layer.bits() as usize);
        let code = |u: usize| get_field(pat, off + u * bits, bits as u32) as usize;
        let mut next = At {
            z: Vec::new(),
            e: Vec::new(),
            lz: Vec::new(),
        };
        match layer {
            Layer::Dense { affine, activation } => match activation {
                Activation::Relu | Activation::LeakyRelu(_) => {
                    let slope = match activation {
                        Activation::LeakyRelu(s) => *s,
                        _ => 0.0,
                    };
                    for i in 0..affine.n_out {
                        let (h, err, lz) = row_at(affine, i, &at);
                        let on = if lz {
                            false
                        } else if h > err {
                            true
                        } else if h < -err {
                            false
                        } else {
                            return None;
                        };
                        if on != (code(i) == 1) {
                            return Some(false);
                        }
                        if on {
                            next.push(h, err, false);
                        } else if lz || slope == 0.0 {
                            next.push(0.0, 0.0, true);
                        } else {
                            let v = slope * h;
                            next.push(
                                v,
                                slope * err + f64::EPSILON * v.abs() + f64::MIN_POSITIVE,
                                false,
                            );
                        }
                    }
                }
                Activation::Maxout(k) => {
                    for u in 0..affine.n_out / k {
                        let pieces: Vec<_> =
                            (0..*k).map(|r| row_at(affine, u * k + r, &at)).collect();
                        let w = winner(&pieces).ok()?;
                        if w != code(u) {
                            return Some(false);
                        }
                        next.push(pieces[w].0, pieces[w].1, pieces[w].2);
                    }
                }
            },
            Layer::MaxPool { windows, .. } => {
                for (u, win) in windows.iter().enumerate() {
                    let pieces: Vec<_> =
                        win.iter().map(|&j| (at.z[j], at.e[j], at.lz[j])).collect();
                    let w = winner(&pieces).ok()?;
                    if w != code(u) {
                        return Some(false);
                    }
                    next.push(pieces[w].0, pieces[w].1, pieces[w].2);
                }
            }
        }
        for &j in net.carry(l) {
            next.push(at.z[j], at.e[j], at.lz[j]);
        }
        at = next;
    }
    Some(true)
}

impl At {
    fn push(&mut self, z: f64, e: f64, lz: bool) {
        self.z.push(z);
        self.e.push(e);
        self.lz.push(lz);
    }
}

/// Whether `x` lies strictly inside the region of `pat` (see the module docs): the
/// float filter, then exact integers at the point.
pub fn certify(net: &Network, exact: &ExactNet, x: &[f64], pat: &[u64]) -> bool {
    match certify_float(net, x, pat) {
        Some(v) => v,
        None => certify_exact(net, exact, x, pat),
    }
}

/// One inequality of a pattern, `g = a + b · s ≥ 0` on the region (`g` a map of the
/// cell's coordinates). `tie`: when `g` is identically zero, whether the pattern's rules
/// accept it (an equal piece of higher index, a ReLU unit that is zero and inactive).
pub(crate) struct Ineq {
    pub a: BigInt,
    pub b: Vec<BigInt>,
    pub tie: bool,
}

impl Ineq {
    /// A ReLU / leaky-ReLU unit's inequality from its pre-activation `a + b · s`:
    /// `≥ 0` when active, `≤ 0` (accepting a zero map) when not.
    pub(crate) fn relu(a: &BigInt, b: &[BigInt], on: bool) -> Self {
        if on {
            Ineq {
                a: a.clone(),
                b: b.to_vec(),
                tie: false,
            }
        } else {
            Ineq {
                a: -a,
                b: b.iter().map(|x| -x).collect(),
                tie: true,
            }
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.a.is_zero() && self.b.iter().all(Zero::is_zero)
    }
}

/// Follow the pattern `pat` through the layers from the input maps `z0`, handing every
/// inequality of the pattern to `visit` (layer by layer, unit by unit); stops and returns
/// `false` as soon as `visit` does.
pub(crate) fn follow_pattern(
    net: &Network,
    exact: &ExactNet,
    z0: ExactLin,
    pat: &[u64],
    mut visit: impl FnMut(Ineq) -> bool,
) -> bool {
    let mut z = z0;
    for l in 0..net.layers().len() {
        let h = pre_activation(exact, l, &z);
        match layer_step(net, exact, l, h.as_ref(), &z, pat, &mut visit) {
            Some(next) => z = next,
            None => return false,
        }
    }
    true
}

/// Layer `l`'s pre-activation maps on its input maps `z` (`None` for a pooling layer,
/// which compares its inputs).
pub(crate) fn pre_activation(exact: &ExactNet, l: usize, z: &ExactLin) -> Option<ExactLin> {
    match &exact.layers[l] {
        ExactLayer::Dense { affine, .. } => Some(affine.apply(z)),
        ExactLayer::MaxPool { .. } => None,
    }
}

/// One layer of [`follow_pattern`]: the inequalities of layer `l`'s fields of `pat`
/// (`h`: [`pre_activation`] of the input maps `z`), then the next layer's input maps
/// (`None` when `visit` stopped).
pub(crate) fn layer_step(
    net: &Network,
    exact: &ExactNet,
    l: usize,
    h: Option<&ExactLin>,
    z: &ExactLin,
    pat: &[u64],
    mut visit: impl FnMut(Ineq) -> bool,
) -> Option<ExactLin> {
    let diff = |h: &ExactLin, w: usize, q: usize, tie: bool| {
        let (a, b) = h.diff(w, q);
        Ineq { a, b, tie }
    };
    let (off, bits) = (net.offsets()[l], net.layers()[l].bits() as usize);
    let code = |u: usize| get_field(pat, off + u * bits, bits as u32) as usize;
    let next = match (&exact.layers[l], h) {
        (
            ExactLayer::Dense {
                activation, slope, ..
            },
            Some(h),
        ) => match activation {
            Activation::Maxout(k) => {
                let mut rows = Vec::new();
                for u in 0..h.len() / k {
                    let w = code(u);
                    for q in (0..*k).filter(|&q| q != w) {
                        if !visit(diff(h, u * k + w, u * k + q, w < q)) {
                            return None;
                        }
                    }
                    rows.push(u * k + w);
                }
                h.select(rows.into_iter())
            }
            _ => {
                for i in 0..h.len() {
                    let (a, b) = h.row(i);
                    if !visit(Ineq::relu(a, b, code(i) == 1)) {
                        return None;
                    }
                }
                rectify(h, |i| code(i) == 1, slope)
            }
        },
        (ExactLayer::Dense { .. }, None) => unreachable!("a dense layer has pre-activation maps"),
        (ExactLayer::MaxPool { windows }, _) => {
            let mut rows = Vec::new();
            for (u, win) in windows.iter().enumerate() {
                let w = code(u);
                for q in (0..win.len()).filter(|&q| q != w) {
                    if !visit(diff(z, win[w], win[q], w < q)) {
                        return None;
                    }
                }
                rows.push(win[w]);
            }
            z.select(rows.into_iter())
        }
    };
    Some(next.with_rows(z, net.carry(l)))
}

/// [`certify`] in exact integers: every value as an affine map of the displacement `y`
/// around `x` on the pattern's pieces (`a`: the value at `x`, `B`: its gradient), so
/// that a map identically zero near `x` (`a = 0`, `B = 0`: a unit whose terms cancel, not
/// only a pruned one) is no boundary: every inequality is strict at `x`, or identically
/// zero and accepted by the tie rules.
fn certify_exact(net: &Network, exact: &ExactNet, x: &[f64], pat: &[u64]) -> bool {
    let n0 = x.len();
    let (ints, e) = to_ints(x);
    let e0 = e.min(0);
    let a: Vec<BigInt> = ints.into_iter().map(|v| v << (e - e0) as usize).collect();
    let mut b = vec![BigInt::zero(); n0 * n0];
    for j in 0..n0 {
        b[j * n0 + j] = BigInt::one() << (-e0) as usize;
    }
    let z0 = ExactLin { e: e0, k: n0, a, b };
    follow_pattern(net, exact, z0, pat, |g| {
        if g.is_zero() {
            g.tie
        } else {
            g.a.is_positive()
        }
    })
}

/// A rational point strictly inside the region of `pat` in the cell `domain` of
/// `slice` (exact vertices), in input coordinates: `(numerators, denominator)` with
/// `denominator > 0`, or `None` when the region has no interior there. The region's
/// cell is the domain cut by every inequality of the pattern, exactly; the point is the
/// average of its vertices.
pub fn exact_point(
    net: &Network,
    exact: &ExactNet,
    slice: &Slice,
    domain: ExactPolytope,
    pat: &[u64],
) -> Option<(Vec<BigInt>, BigInt)> {
    let k = domain.k;
    let z0 = slice.exact(k);
    let mut cell = Some(domain);
    follow_pattern(net, exact, z0.clone(), pat, |g| {
        if !g.is_zero() {
            cell = cell.take().and_then(|c| c.split(&g.a, &g.b).1);
        }
        cell.is_some()
    });
    let cell = cell?;
    // The vertex average s = num / den (vertices are (X, w) with w > 0).
    let kk = k + 1;
    let nv = cell.n_vertices();
    let lcm = cell
        .verts
        .chunks(kk)
        .fold(BigInt::one(), |m, v| m.lcm(&v[k]));
    let mut num = vec![BigInt::zero(); k];
    for v in cell.verts.chunks(kk) {
        let f = &lcm / &v[k];
        for (n, x) in num.iter_mut().zip(v) {
            *n += x * &f;
        }
    }
    let den = lcm * BigInt::from(nv);
    // x = 2^e (a + B s) = 2^e (a den + B num) / den.
    let mut xn: Vec<BigInt> = (0..z0.len())
        .map(|j| {
            let (a, b) = z0.row(j);
            b.iter()
                .zip(&num)
                .fold(a * &den, |acc, (bc, nc)| acc + bc * nc)
        })
        .collect();
    let mut xd = den;
    if z0.e >= 0 {
        xn.iter_mut().for_each(|v| *v <<= z0.e as usize);
    } else {
        xd <<= (-z0.e) as usize;
    }
    let g = xn.iter().fold(xd.clone(), |g, v| g.gcd(v));
    if g > BigInt::one() {
        xn.iter_mut().for_each(|v| *v /= &g);
        xd /= &g;
    }
    Some((xn, xd))
}
