//! The patterns a single neuron takes on the data: the chambers of the central
//! arrangement of the hyperplanes `{(w, b) : w·x_j + b = 0}` in parameter space.

use super::{words, Data};
use crate::control::Control;
use crate::error::{invalid, Result};
use crate::hashset::{hash_words, WordMap};

/// Relative tolerance of the degeneracy decisions of [`neuron_patterns`].
pub const DEGENERACY_TOL: f64 = 1e-10;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Orthonormal basis (modified Gram–Schmidt, twice) of the span of `vs`.
fn span_basis(vs: &[&[f64]], dim: usize) -> Vec<Vec<f64>> {
    let scale = vs.iter().map(|v| dot(v, v).sqrt()).fold(0.0, f64::max);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for v in vs {
        let mut r = v.to_vec();
        for _ in 0..2 {
            for q in &basis {
                let c = dot(&r, q);
                r.iter_mut().zip(q).for_each(|(x, y)| *x -= c * y);
            }
        }
        let norm = dot(&r, &r).sqrt();
        if norm > DEGENERACY_TOL * scale {
            r.iter_mut().for_each(|x| *x /= norm);
            basis.push(r);
            if basis.len() == dim {
                break;
            }
        }
    }
    basis
}

/// Chambers of the central arrangement with normals `vs` (vectors of `R^dim`, in
/// global point order `idx`): calls `emit` with the set of points positive on each
/// open chamber, as packed bits over the global indices. Each recursion level works on
/// the hyperplanes through a ray, whose rank is smaller, so the depth is at most the
/// dimension: `max_rank` is the rank the caller's ray allows, and a span that does not
/// shrink (rank decisions at the tolerance that disagree, as for data scaled by 1e10)
/// is an error instead of an endless recursion.
fn chambers(
    vs: &[Vec<f64>],
    idx: &[usize],
    wd: usize,
    max_rank: usize,
    ctrl: &Control,
    emit: &mut dyn FnMut(&[u64]) -> Result<()>,
) -> Result<()> {
    ctrl.check()?;
    let Some((coords, gidx)) = span_coords(vs, idx, max_rank)? else {
        return emit(&vec![0u64; wd]);
    };
    let r = coords[0].len();
    if r == 1 {
        for sign in [1.0, -1.0] {
            emit(&key_where(&gidx, wd, |q| sign * coords[q][0] > 0.0))?;
        }
        return Ok(());
    }
    // Independent normals: every sign combination is a chamber.
    if coords.len() == r {
        for mask in 0u64..(1 << r) {
            emit(&key_where(&gidx, wd, |q| mask >> q & 1 == 1))?;
        }
        return Ok(());
    }
    // Rays: lines where r-1 independent hyperplanes meet. Each chamber touches one.
    let cn: Vec<f64> = coords.iter().map(|c| dot(c, c).sqrt()).collect();
    let mut seen_z: WordMap<()> = WordMap::new(coords.len().div_ceil(64).max(1));
    let k = r - 1;
    let mut comb: Vec<usize> = (0..k).collect();
    loop {
        let sub: Vec<&[f64]> = comb.iter().map(|&q| coords[q].as_slice()).collect();
        let b = span_basis(&sub, r);
        if b.len() == k {
            let w0 = ray_direction(&b, r);
            let proj: Vec<f64> = coords.iter().map(|c| dot(c, &w0)).collect();
            let on_ray = |q: usize| proj[q].abs() <= DEGENERACY_TOL * cn[q];
            let all: Vec<usize> = (0..coords.len()).collect();
            let z = key_where(&all, seen_z.words(), on_ray);
            if seen_z.insert_new(&z, hash_words(&z), ())? {
                let zq: Vec<usize> = (0..coords.len()).filter(|&q| on_ray(q)).collect();
                let zv: Vec<Vec<f64>> = zq.iter().map(|&q| coords[q].clone()).collect();
                let zi: Vec<usize> = zq.iter().map(|&q| gidx[q]).collect();
                let mut local: Vec<Vec<u64>> = Vec::new();
                chambers(&zv, &zi, wd, r - 1, ctrl, &mut |key| {
                    local.push(key.to_vec());
                    Ok(())
                })?;
                for sign in [1.0, -1.0] {
                    let base = key_where(&gidx, wd, |q| !on_ray(q) && sign * proj[q] > 0.0);
                    for l in &local {
                        let key: Vec<u64> = base.iter().zip(l).map(|(a, b)| a | b).collect();
                        emit(&key)?;
                    }
                }
            }
        }
        if !next_combination(&mut comb, coords.len()) {
            return Ok(());
        }
    }
}

/// Normals in coordinates of their span (one row per normal) and their global indices.
type SpanCoords = (Vec<Vec<f64>>, Vec<usize>);

/// The normals that are not numerically zero, in coordinates of an orthonormal basis
/// of their span, with their global indices; `None` when every normal is zero. An
/// error when the span's rank exceeds `max_rank` (see [`chambers`]).
fn span_coords(vs: &[Vec<f64>], idx: &[usize], max_rank: usize) -> Result<Option<SpanCoords>> {
    let dim = vs.first().map_or(0, Vec::len);
    let norms: Vec<f64> = vs.iter().map(|v| dot(v, v).sqrt()).collect();
    let scale = norms.iter().copied().fold(0.0, f64::max);
    let live: Vec<usize> = (0..vs.len())
        .filter(|&k| norms[k] > DEGENERACY_TOL * scale.max(f64::MIN_POSITIVE))
        .collect();
    if live.is_empty() || scale == 0.0 {
        return Ok(None);
    }
    let refs: Vec<&[f64]> = live.iter().map(|&k| vs[k].as_slice()).collect();
    let basis = span_basis(&refs, dim);
    let r = basis.len();
    if r > max_rank {
        return Err(invalid(
            "X",
            format!(
                "the points are too close to degenerate for the relative tolerance {DEGENERACY_TOL:e} \
                 (a sub-arrangement of rank {max_rank} came out of rank {r}); rescale or centre the data"
            ),
        ));
    }
    let coords = live
        .iter()
        .map(|&k| basis.iter().map(|q| dot(&vs[k], q)).collect())
        .collect();
    Ok(Some((coords, live.iter().map(|&k| idx[k]).collect())))
}

/// A packed row of `wd` words with bit `gidx[q]` set for every `q` where `pred(q)`.
fn key_where(gidx: &[usize], wd: usize, pred: impl Fn(usize) -> bool) -> Vec<u64> {
    let mut key = vec![0u64; wd];
    for (q, &g) in gidx.iter().enumerate() {
        if pred(q) {
            key[g / 64] |= 1 << (g % 64);
        }
    }
    key
}

/// A unit vector orthogonal to the orthonormal `b` (`r - 1` vectors in `R^r`): the
/// residual of the standard basis vector with the largest residual.
fn ray_direction(b: &[Vec<f64>], r: usize) -> Vec<f64> {
    let mut w0 = vec![0.0; r];
    let mut best = -1.0;
    for e in 0..r {
        let mut res = vec![0.0; r];
        res[e] = 1.0;
        for q in b {
            let c = dot(&res, q);
            res.iter_mut().zip(q).for_each(|(x, y)| *x -= c * y);
        }
        let nr = dot(&res, &res).sqrt();
        if nr > best {
            best = nr;
            w0 = res.iter().map(|x| x / nr).collect();
        }
    }
    w0
}

/// Advance `comb` (increasing indices) to the next combination of `comb.len()` out
/// of `n` in lexicographic order; `false` after the last one.
fn next_combination(comb: &mut [usize], n: usize) -> bool {
    let k = comb.len();
    let mut i = k;
    loop {
        if i == 0 {
            return false;
        }
        i -= 1;
        if comb[i] < n - k + i {
            comb[i] += 1;
            for t in i + 1..k {
                comb[t] = comb[t - 1] + 1;
            }
            return true;
        }
    }
}

/// The data rows after an affine change of coordinates that leaves the dichotomies
/// unchanged, so that the relative degeneracy tolerance sees the data's own spread and
/// not its offset or units: with a bias each coordinate is centred on its mid-range and
/// divided by its half-range (an affine bijection of input space), without one each is
/// divided by its largest magnitude (a positive diagonal map fixes the origin). A
/// constant coordinate becomes 0 (with a bias) or ±1. Near `f64::MAX` the differences
/// are taken in halves so that nothing overflows.
fn normalized_rows(data: &Data) -> Vec<Vec<f64>> {
    let (n, d) = (data.n, data.d);
    let mut shift = vec![0.0; d];
    let mut half = vec![1.0; d];
    for c in 0..d {
        let col = (0..n).map(|j| data.row(j)[c]);
        let (lo, hi) = col.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let (s, h) = if data.bias {
            let range = hi - lo;
            if range.is_finite() {
                (lo + 0.5 * range, 0.5 * range)
            } else {
                (0.5 * lo + 0.5 * hi, 0.5 * hi - 0.5 * lo)
            }
        } else {
            (0.0, lo.abs().max(hi.abs()))
        };
        shift[c] = s;
        if h > 0.0 && h.is_finite() {
            half[c] = h;
        } else if data.bias {
            half[c] = f64::INFINITY; // constant: (x - s) / inf = 0
        }
    }
    (0..n)
        .map(|j| {
            let row = data.row(j);
            let mut v: Vec<f64> = (0..d)
                .map(|c| {
                    let t = (row[c] - shift[c]) / half[c];
                    if t.is_finite() {
                        t
                    } else {
                        (0.5 * row[c] - 0.5 * shift[c]) / (0.5 * half[c])
                    }
                })
                .collect();
            v.extend_from_slice(&row[d..]); // the bias coordinate, 1
            v
        })
        .collect()
}

/// Every pattern `[x̃_j·w > 0]_j` realized by one ReLU unit on an open set of
/// parameters (the chambers of the arrangement `{w : x̃_j·w = 0}`; with a bias these
/// are all dichotomies by affine hyperplanes). Returns packed rows (`words(n)` each),
/// sorted. For data in general position the count is Cover's `C(n, D)`; repeated or
/// collinear points give their true, smaller count. Degeneracy is decided with the
/// relative tolerance [`DEGENERACY_TOL`] on the data in normalized coordinates
/// (`normalized_rows`), so the count does not change when the data are translated or
/// rescaled. Cost `O(C(n, D-1) · n · D)`.
pub fn neuron_patterns(data: &Data, max_patterns: usize, ctrl: &Control) -> Result<Vec<u64>> {
    let wd = words(data.n);
    let vs = normalized_rows(data);
    let idx: Vec<usize> = (0..data.n).collect();
    let mut set = crate::patterns::PatternSet::new(wd);
    chambers(&vs, &idx, wd, data.dim, ctrl, &mut |key| {
        set.insert(key, crate::hashset::hash_words(key), 0, 1)?;
        if set.len() > max_patterns {
            return Err(crate::error::Error::LimitExceeded {
                name: "max_patterns".into(),
                limit: max_patterns as u64,
                message: "more realizable neuron patterns than the limit".into(),
            });
        }
        Ok(())
    })?;
    let mut keys: Vec<Vec<u64>> = (0..set.len()).map(|i| set.key(i).to_vec()).collect();
    keys.sort_unstable_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
    Ok(keys.concat())
}
