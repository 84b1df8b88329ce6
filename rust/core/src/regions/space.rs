//! Regions of all of `R^d`, exactly, by homogenization (`docs/math.md` section 2).
//!
//! `F(x, t) = t · f(x / t)` ([`Network::homogenized`]) has the pattern of `f` at `x / t`
//! for `t > 0`, and its regions are cones: the region `R_s` of `f` is
//! `{x / t : (x, t) ∈ C_s, t > 0}` for the cone `C_s` of `F` with pattern `s`. Every
//! cone that meets the open half-space `t > 0` meets the surface
//! `S = ∂[-1, 1]^{d+1} ∩ {t ≥ 0}` in a set with interior (in `S`), so the regions of
//! `R^d` are the distinct patterns of `F`'s regions on the `2d + 1` facets of `S`:
//! - the top facet `t = 1`, `x ∈ [-1, 1]^d` (the original network on the unit cube);
//! - the side facets `x_i = ±1`, `t ∈ [0, 1]`, the other coordinates in `[-1, 1]`,
//!   which hold the regions' parts outside the unit cube, down to infinity (`t = 0`).
//!
//! Each facet is an exact slice of `F`'s input (unit directions), walked by the exact
//! region walk; patterns are merged across facets (a region crossing a facet boundary
//! has a part on each). No box size is guessed: the count is exact for any network,
//! slabs and other regions without vertices included.
//!
//! Geometry: a part's vertex `(x, t)` is a point `x / t` of the region when `t > 0`
//! (rounded), and a recession direction `x` when `t = 0`; the region is
//! `conv(points) + cone(rays)`, bounded exactly when it has no ray. The points include
//! the region's vertices and, where the region crosses the unit cube's boundary, the
//! crossings (not extreme points).

use std::collections::HashMap;

use super::{walk_from, Lin, Options, Slice, Stats, VPolytope};
use crate::control::Control;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::regions::Cell;

/// One region of `R^d`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceRegion {
    /// Packed pattern (the layout of [`Network`]).
    pub pattern: Vec<u64>,
    /// A point strictly inside the region (in float: `x / t` of a part's interior point).
    pub interior: Vec<f64>,
    /// The output on the region, `a + B x` (`a`: `m`, `B`: `m × d` row-major).
    pub out_a: Vec<f64>,
    pub out_b: Vec<f64>,
    /// Points (rows of `d`): the region is `conv(points) + cone(rays)`.
    pub points: Vec<f64>,
    /// Recession directions (rows of `d`); empty when the region is bounded.
    pub rays: Vec<f64>,
}

/// The regions of `R^d` (empty with `count_only`) and their number.
#[derive(Debug, Clone)]
pub struct SpaceOutcome {
    pub count: u64,
    pub regions: Vec<SpaceRegion>,
    pub stats: Stats,
}

/// Which facet: `None` the top (`t = 1`), `Some((i, s))` the side `x_i = s`.
pub(super) type Side = Option<(usize, f64)>;

/// The `2d + 1` facets of `S` as slices of `F`'s input `(x, t)` with their boxes
/// `(lo, hi)`: the top facet first, then `x_i = −1`, `x_i = +1` for each `i`.
pub(super) fn facets(d: usize) -> Vec<(Slice, Vec<f64>, Vec<f64>, Side)> {
    let n = d + 1;
    let unit = |j: usize| {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        e
    };
    let mut out = Vec::with_capacity(2 * d + 1);
    let dirs: Vec<f64> = (0..d).flat_map(unit).collect();
    out.push((
        Slice::new(&unit(d), &dirs),
        vec![-1.0; d],
        vec![1.0; d],
        None,
    ));
    for i in 0..d {
        for s in [-1.0, 1.0] {
            let mut origin = vec![0.0; n];
            origin[i] = s;
            let dirs: Vec<f64> = (0..n).filter(|&j| j != i).flat_map(unit).collect();
            let mut lo = vec![-1.0; d];
            lo[d - 1] = 0.0;
            out.push((Slice::new(&origin, &dirs), lo, vec![1.0; d], Some((i, s))));
        }
    }
    out
}

/// `(x, t)` of the facet point `u` (`side`: `x_i = s`, `t` the last coordinate).
fn lift(u: &[f64], side: Side) -> (Vec<f64>, f64) {
    match side {
        None => (u.to_vec(), 1.0),
        Some((i, s)) => {
            let d = u.len();
            let mut x = Vec::with_capacity(d);
            x.extend_from_slice(&u[..i]);
            x.push(s);
            x.extend_from_slice(&u[i..d - 1]);
            (x, u[d - 1])
        }
    }
}

/// The output map `a + B x` of the region from `F`'s output on a facet part: `F = A x
/// + c t` there, so on the top facet the map is the part's, and on `x_i = s` the part's
/// constant is `s A_i` and its last coefficient `c` (exact: `s = ±1`).
fn output_map(out: &Lin, m: usize, d: usize, side: Side) -> (Vec<f64>, Vec<f64>) {
    match side {
        None => (out.a.clone(), out.b.clone()),
        Some((i, s)) => {
            let mut a = vec![0.0; m];
            let mut b = vec![0.0; m * d];
            for r in 0..m {
                let row = &out.b[r * d..(r + 1) * d];
                a[r] = row[d - 1];
                let dst = &mut b[r * d..(r + 1) * d];
                dst[..i].copy_from_slice(&row[..i]);
                dst[i] = s * out.a[r];
                dst[i + 1..].copy_from_slice(&row[i..d - 1]);
            }
            (a, b)
        }
    }
}

/// The regions of `net` on all of `R^d` (see the module docs): exact like the box walk
/// in [`super::Mode::Exact`] and [`super::Mode::Rational`]. `max_regions` bounds the
/// number of distinct regions; progress is one unit per new region, after each facet.
/// With `count_only` no geometry is kept (the patterns are, to merge the facets).
pub fn space_regions(net: &Network, opts: Options, ctrl: &Control) -> Result<SpaceOutcome> {
    let d = net.input_dim();
    let m = net.output_dim();
    let h = net.homogenized()?;
    // The facets' regions are kept (their patterns are merged), their output maps
    // only when the regions are returned.
    let walk_opts = Options {
        count_only: false,
        maps: !opts.count_only,
        ..opts
    };
    let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut regions: Vec<SpaceRegion> = Vec::new();
    let mut stats = Stats::default();
    for (slice, lo, hi, side) in facets(d) {
        ctrl.check()?;
        let out = walk_from(
            &h,
            &slice,
            VPolytope::boxed(&lo, &hi)?,
            walk_opts,
            ctrl,
            false,
        )?;
        stats.steps += out.stats.steps;
        stats.exact_steps += out.stats.exact_steps;
        let before = index.len();
        for g in out.regions {
            let next = index.len();
            let at = *index.entry(g.pattern.clone()).or_insert(next);
            if at == next {
                if index.len() as u64 > opts.max_regions {
                    return Err(Error::LimitExceeded {
                        name: "max_regions".into(),
                        limit: opts.max_regions,
                        message: format!("R^{d} has more than {} regions", opts.max_regions),
                    });
                }
                if opts.count_only {
                    continue;
                }
                let (x, t) = lift(&g.cell.interior(), side);
                let (out_a, out_b) = output_map(&g.output, m, d, side);
                regions.push(SpaceRegion {
                    pattern: g.pattern,
                    interior: x.iter().map(|v| v / t).collect(),
                    out_a,
                    out_b,
                    points: Vec::new(),
                    rays: Vec::new(),
                });
            }
            if opts.count_only {
                continue;
            }
            let r = &mut regions[at];
            for (u, _) in g.cell.vertices() {
                let (x, t) = lift(u, side);
                if t > 0.0 {
                    r.points.extend(x.iter().map(|v| v / t));
                } else {
                    r.rays.extend_from_slice(&x);
                }
            }
        }
        ctrl.advance((index.len() - before) as u64);
    }
    for r in &mut regions {
        dedup_rows(&mut r.points, d);
        dedup_rows(&mut r.rays, d);
    }
    Ok(SpaceOutcome {
        count: index.len() as u64,
        regions,
        stats,
    })
}

/// Sort the rows of `v` (length `d`) and drop exact duplicates.
fn dedup_rows(v: &mut Vec<f64>, d: usize) {
    if v.is_empty() || d == 0 {
        return;
    }
    let mut rows: Vec<&[f64]> = v.chunks(d).collect();
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows.dedup_by(|a, b| a.iter().zip(b.iter()).all(|(x, y)| x == y));
    *v = rows.concat();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Activation, Affine, Layer};

    fn one_layer(w: Vec<f64>, b: Vec<f64>, d: usize) -> Network {
        let n = b.len();
        let layer = Layer::Dense {
            affine: Affine::new(w, b, n, d, "l").unwrap(),
            activation: Activation::Relu,
        };
        Network::new(
            vec![layer],
            Affine::new(vec![1.0; n], vec![0.0], 1, n, "o").unwrap(),
        )
        .unwrap()
    }

    fn count(net: &Network) -> u64 {
        let opts = Options {
            count_only: true,
            ..Options::default()
        };
        space_regions(net, opts, &Control::default()).unwrap().count
    }

    /// Zaslavsky in general position: `Σ_{j ≤ d} C(n, j)`, with vertices far outside
    /// the unit cube.
    #[test]
    fn one_layer_in_general_position_counts_zaslavsky() {
        let w = vec![1.0, 0.3, -0.7, 1.1, 0.2, -1.9, 2.5, 0.4, -0.6, -0.8];
        let b = vec![40.0, -3.0, 0.5, 17.0, -90.0];
        assert_eq!(count(&one_layer(w, b, 2)), 1 + 5 + 10);
    }

    /// Parallel lines far away: slabs without vertices, none of them in the unit cube.
    #[test]
    fn slabs_without_vertices_are_counted() {
        let net = one_layer(
            vec![1.0, 2.0, 2.0, 4.0, -1.0, -2.0],
            vec![-100.0, 300.0, 7.0],
            2,
        );
        assert_eq!(count(&net), 4);
        let out = space_regions(&net, Options::default(), &Control::default()).unwrap();
        assert_eq!(out.count, 4);
        assert!(out.regions.iter().all(|r| !r.rays.is_empty()));
    }
}
