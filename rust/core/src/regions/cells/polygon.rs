//! Convex polygons of a plane's coordinates `(u, v)`.

use super::incidence::Incidence;
use super::{
    cond_radius, crossing, extent_of, loose, point_bound, rounding_radius, worth_conditioning,
    Cell, Map, Mode, Split, NO_TAG, UNKNOWN_PLANE,
};
use crate::error::{invalid, Result};
use crate::regions::exact::num::to_ints;
use crate::regions::exact::ExactPolytope;
use num_traits::Signed;

/// A convex polygon, vertices counter-clockwise, with their error radii.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub pts: Vec<[f64; 2]>,
    pub r: Vec<f64>,
    /// The map `[α, β_u, β_v, err]` of edge `i` (from vertex `i` to `i + 1`); `err = ∞`
    /// when unknown.
    pub lines: Vec<[f64; 4]>,
    /// The tag of edge `i`'s cut ([`Cell::split_tagged`]; [`NO_TAG`] for the domain's
    /// edges and untagged cuts); empty when no edge is tagged (no allocation for walks
    /// that tag nothing).
    pub tags: Vec<u32>,
}

const UNKNOWN_LINE: [f64; 4] = [0.0, 0.0, 0.0, UNKNOWN_PLANE];

impl Polygon {
    /// The polygon with these exact vertices (counter-clockwise).
    pub fn new(pts: Vec<[f64; 2]>) -> Self {
        let n = pts.len();
        let ext = pts
            .iter()
            .fold(0.0f64, |m, p| m.max(p[0].abs()).max(p[1].abs()));
        let lines = (0..n)
            .map(|i| {
                let (p, q) = (pts[i], pts[(i + 1) % n]);
                // (q_v − p_v)(u − p_u) − (q_u − p_u)(v − p_v), with a generous bound of
                // its rounding over the polygon.
                let (du, dv) = (q[0] - p[0], q[1] - p[1]);
                let err = 16.0
                    * f64::EPSILON
                    * (dv.abs() * (p[0].abs() + ext) + du.abs() * (p[1].abs() + ext))
                    + 1e-300;
                [du * p[1] - dv * p[0], dv, -du, err]
            })
            .collect();
        Polygon {
            pts,
            r: vec![0.0; n],
            lines,
            tags: Vec::new(),
        }
    }

    /// [`Polygon::new`] after checking, in exact arithmetic on the float64 vertices,
    /// that they are finite, at least 3, without repeated consecutive vertices, and
    /// form a convex polygon in counter-clockwise order: every vertex lies on the left
    /// of (or on) every edge, and some vertex strictly on the left (`O(n²)` exact
    /// orientation tests; user polygons are small).
    pub fn checked(pts: Vec<[f64; 2]>) -> Result<Self> {
        let n = pts.len();
        if n < 3 {
            return Err(invalid(
                "polygon",
                format!("need at least 3 vertices, got {n}"),
            ));
        }
        if pts.iter().flatten().any(|v| !v.is_finite()) {
            return Err(invalid("polygon", "vertices must be finite"));
        }
        let flat: Vec<f64> = pts.iter().flatten().copied().collect();
        let (ints, _) = to_ints(&flat);
        let at = |i: usize| (&ints[2 * (i % n)], &ints[2 * (i % n) + 1]);
        let mut strict = false;
        for i in 0..n {
            let ((pu, pv), (qu, qv)) = (at(i), at(i + 1));
            if pu == qu && pv == qv {
                return Err(invalid(
                    "polygon",
                    format!("vertices {i} and {} coincide", (i + 1) % n),
                ));
            }
            let (du, dv) = (qu - pu, qv - pv);
            for j in 0..n {
                let (wu, wv) = at(j);
                let cross = &du * (wv - pv) - &dv * (wu - pu);
                if cross.is_negative() {
                    return Err(invalid(
                        "polygon",
                        format!(
                            "must be convex with counter-clockwise vertices: vertex {j} is on \
                             the right of edge {i} -> {}",
                            (i + 1) % n
                        ),
                    ));
                }
                strict |= cross.is_positive();
            }
        }
        if !strict {
            return Err(invalid(
                "polygon",
                "has zero area (all vertices on one line)",
            ));
        }
        Ok(Self::new(pts))
    }

    fn empty() -> Self {
        Polygon {
            pts: Vec::new(),
            r: Vec::new(),
            lines: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The tag of edge `i`.
    #[inline]
    fn tag(&self, i: usize) -> u32 {
        self.tags.get(i).copied().unwrap_or(NO_TAG)
    }

    /// The rectangle `[u0, u1] × [v0, v1]`.
    pub fn rect(u0: f64, u1: f64, v0: f64, v1: f64) -> Self {
        Polygon::new(vec![[u0, v0], [u1, v0], [u1, v1], [u0, v1]])
    }
}

impl Cell for Polygon {
    fn facet_tags(&self) -> Vec<u32> {
        let mut t: Vec<u32> = self.tags.iter().copied().filter(|&t| t != NO_TAG).collect();
        t.sort_unstable();
        t.dedup();
        t
    }
    fn dim(&self) -> usize {
        2
    }
    fn vertices(&self) -> impl Iterator<Item = (&[f64], f64)> {
        self.pts
            .iter()
            .map(|p| p.as_slice())
            .zip(self.r.iter().copied())
    }
    fn extent(&self) -> f64 {
        extent_of(self.vertices()).0
    }
    fn radius(&self) -> f64 {
        self.r.iter().copied().fold(0.0, f64::max)
    }
    fn split(self, f: &Map<'_>, mode: Mode) -> Split<Self> {
        self.split_tagged(f, mode, NO_TAG, None)
    }
    fn split_tagged(
        self,
        f: &Map<'_>,
        mode: Mode,
        tag: u32,
        zero: Option<(u32, u32)>,
    ) -> Split<Self> {
        let n = self.pts.len();
        // A vertex between two edges tagged `zero` lies exactly on `f = 0` (exact modes;
        // the caller's guarantee): sign 0 instead of the filter's undecided.
        let on_zero = |i: usize| match zero {
            Some((a, b)) if a != NO_TAG && b != NO_TAG && a != b => {
                let (p, q) = (self.tag((i + n - 1) % n), self.tag(i));
                (p == a && q == b) || (p == b && q == a)
            }
            _ => false,
        };
        let exact = !matches!(mode, Mode::Tol(_));
        let Ok(j) = self.judge_known(f, mode, |i| exact && on_zero(i)) else {
            return Err(self);
        };
        if !j.iter().any(|x| x.1 == 1) {
            return Ok((Some(self), None));
        }
        if !j.iter().any(|x| x.1 == -1) {
            return Ok((None, Some(self)));
        }
        let pts = &self.pts;
        let (mut neg, mut pos) = (Polygon::empty(), Polygon::empty());
        let tagged = tag != NO_TAG || !self.tags.is_empty();
        let cut = [
            f.alpha,
            f.beta[0],
            f.beta[1],
            if matches!(mode, Mode::Tol(_)) {
                UNKNOWN_PLANE
            } else {
                f.err
            },
        ];
        let mut q = Vec::with_capacity(2);
        for i in 0..n {
            let k = (i + 1) % n;
            let (si, sk) = (j[i].1, j[k].1);
            // The edge leaving a kept vertex is edge i, unless the vertex is on the cut
            // (sign 0) and the next vertex on the other side: then the part's boundary
            // follows the cut.
            if si <= 0 {
                let along = si == 0 && sk == 1;
                neg.pts.push(pts[i]);
                neg.r.push(self.r[i]);
                neg.lines.push(if along { cut } else { self.lines[i] });
                if tagged {
                    neg.tags.push(if along { tag } else { self.tag(i) });
                }
            }
            if si >= 0 {
                let along = si == 0 && sk == -1;
                pos.pts.push(pts[i]);
                pos.r.push(self.r[i]);
                pos.lines.push(if along { cut } else { self.lines[i] });
                if tagged {
                    pos.tags.push(if along { tag } else { self.tag(i) });
                }
            }
            if si * sk == -1 {
                q.clear();
                let r = match mode {
                    Mode::Tol(_) => {
                        let t = j[i].0 / (j[i].0 - j[k].0);
                        q.extend([
                            pts[i][0] + t * (pts[k][0] - pts[i][0]),
                            pts[i][1] + t * (pts[k][1] - pts[i][1]),
                        ]);
                        0.0
                    }
                    Mode::Exact | Mode::Rational => {
                        let ei = j[i].2.min(point_bound(&cut, &pts[i], self.r[i]));
                        let ek = j[k].2.min(point_bound(&cut, &pts[k], self.r[k]));
                        let r = crossing(
                            &pts[i],
                            self.r[i],
                            (j[i].0, ei),
                            &pts[k],
                            self.r[k],
                            (j[k].0, ek),
                            &mut q,
                        );
                        if worth_conditioning(r, &q) {
                            cond_radius(&q, &[&self.lines[i], &cut]).map_or(r, |c| c.min(r))
                        } else {
                            r
                        }
                    }
                };
                // Leaving a side, the part's boundary follows the cut; entering it, edge i.
                for (part, leaving) in [(&mut neg, si < 0), (&mut pos, si > 0)] {
                    part.pts.push([q[0], q[1]]);
                    part.r.push(r);
                    part.lines.push(if leaving { cut } else { self.lines[i] });
                    if tagged {
                        part.tags.push(if leaving { tag } else { self.tag(i) });
                    }
                }
            }
        }
        let keep = |p: Polygon| (p.pts.len() >= 3).then_some(p);
        Ok((keep(neg), keep(pos)))
    }
    fn interior(&self) -> Vec<f64> {
        // Area centroid (strictly inside a non-degenerate convex polygon).
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        let p = &self.pts;
        for i in 0..p.len() {
            let (x0, y0, x1, y1) = (
                p[i][0],
                p[i][1],
                p[(i + 1) % p.len()][0],
                p[(i + 1) % p.len()][1],
            );
            let cr = x0 * y1 - x1 * y0;
            a += cr;
            cx += (x0 + x1) * cr;
            cy += (y0 + y1) * cr;
        }
        if a.abs() < f64::MIN_POSITIVE {
            let n = p.len() as f64;
            return vec![
                p.iter().map(|q| q[0]).sum::<f64>() / n,
                p.iter().map(|q| q[1]).sum::<f64>() / n,
            ];
        }
        vec![cx / (3.0 * a), cy / (3.0 * a)]
    }
    fn measure(&self) -> f64 {
        let p = &self.pts;
        0.5 * (0..p.len())
            .map(|i| {
                let j = (i + 1) % p.len();
                p[i][0] * p[j][1] - p[j][0] * p[i][1]
            })
            .sum::<f64>()
    }
    fn tighten(&mut self) -> bool {
        let n = self.pts.len();
        let mut changed = false;
        for i in 0..n {
            if loose(self.r[i], &self.pts[i]) {
                if let Some(c) = cond_radius(
                    &self.pts[i],
                    &[&self.lines[(i + n - 1) % n], &self.lines[i]],
                ) {
                    if c < self.r[i] {
                        self.r[i] = c;
                        changed = true;
                    }
                }
            }
        }
        changed
    }
    fn to_exact(&self) -> ExactPolytope {
        let flat: Vec<f64> = self.pts.iter().flatten().copied().collect();
        ExactPolytope::from_f64(2, &flat, Incidence::cycle(self.pts.len()))
    }
    fn from_exact(e: &ExactPolytope) -> Self {
        let v = e.to_f64();
        let n = v.len() / 2;
        let (cx, cy) = (
            v.iter().step_by(2).sum::<f64>() / n as f64,
            v.iter().skip(1).step_by(2).sum::<f64>() / n as f64,
        );
        let mut pts: Vec<[f64; 2]> = v.chunks(2).map(|p| [p[0], p[1]]).collect();
        pts.sort_by(|a, b| {
            (a[1] - cy)
                .atan2(a[0] - cx)
                .total_cmp(&(b[1] - cy).atan2(b[0] - cx))
        });
        let r = pts.iter().map(|p| rounding_radius(p)).collect();
        let lines = vec![UNKNOWN_LINE; pts.len()];
        Polygon {
            pts,
            r,
            lines,
            tags: Vec::new(),
        }
    }
}
