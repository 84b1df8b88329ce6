//! Full-dimensional convex polytopes of `R^d` by their vertices and facet incidences.

use std::sync::Arc;

use super::incidence::Incidence;
use super::{
    cond_radius, crossing, extent_of, loose, point_bound, rounding_radius, worth_conditioning,
    Cell, Filter, Map, Mode, Split, NO_TAG, UNKNOWN, UNKNOWN_PLANE,
};
use crate::control::Control;
use crate::error::{invalid, Result};
use crate::regions::exact::ExactPolytope;

/// A full-dimensional convex polytope of `R^d`: vertices (with error radii) and their
/// facet [`Incidence`]s.
///
/// [`Cell::split`] needs no LP: with vertices classified `<0`, `0`, `>0`, both parts have
/// interior exactly when both strict classes occur; the new vertices are the crossings of
/// the edges between the strict classes ([`Incidence::plan`]). Cost `O(V² · F/64)` for `V`
/// vertices and `F` facets (`O(V³ · F/64)` at degenerate vertices). Facets with fewer
/// than `d` vertices (never true facets) are dropped after each cut.
#[derive(Debug, Clone, PartialEq)]
pub struct VPolytope {
    d: usize,
    /// `V × d`, row-major.
    verts: Vec<f64>,
    /// Error radius of every vertex.
    r: Vec<f64>,
    /// `max |x_c| + r` over vertices.
    extent: f64,
    rmax: f64,
    facets: Incidence,
    /// The map of every facet: `nf` rows `[α, β (d), err]` (`err = ∞` when unknown).
    planes: Vec<f64>,
    /// The exact polytope this one rounds (domains built from half-spaces).
    exact: Option<Arc<ExactPolytope>>,
    /// The tag of every facet's cut ([`Cell::split_tagged`]; [`NO_TAG`] for the
    /// domain's facets and untagged cuts); empty when no facet is tagged.
    tags: Vec<u32>,
}

/// Largest dimension of a [`VPolytope::boxed`] domain (`2^d` vertices).
pub const MAX_BOX_DIM: usize = 20;

impl VPolytope {
    fn with(
        d: usize,
        verts: Vec<f64>,
        r: Vec<f64>,
        facets: Incidence,
        planes: Vec<f64>,
        tags: Vec<u32>,
    ) -> Self {
        let (extent, rmax) = extent_of(verts.chunks(d).zip(r.iter().copied()));
        VPolytope {
            tags,
            d,
            verts,
            r,
            extent,
            rmax,
            facets,
            planes,
            exact: None,
        }
    }

    /// The box `[lo, hi]` (`lo < hi` in every coordinate, `d ≤` [`MAX_BOX_DIM`]).
    pub fn boxed(lo: &[f64], hi: &[f64]) -> Result<Self> {
        let d = lo.len();
        if d == 0 || hi.len() != d {
            return Err(invalid(
                "lo/hi",
                format!(
                    "expected two points of the same dimension >= 1, got {} and {}",
                    lo.len(),
                    hi.len()
                ),
            ));
        }
        if d > MAX_BOX_DIM {
            return Err(invalid(
                "lo/hi",
                format!(
                    "a box of dimension {d} has 2^{d} vertices (at most {MAX_BOX_DIM} dimensions)"
                ),
            ));
        }
        if lo.iter().chain(hi).any(|v| !v.is_finite()) || lo.iter().zip(hi).any(|(a, b)| a >= b) {
            return Err(invalid(
                "lo/hi",
                "must be finite with lo < hi in every coordinate",
            ));
        }
        let nv = 1usize << d;
        let mut verts = Vec::with_capacity(nv * d);
        for m in 0..nv {
            for c in 0..d {
                verts.push(if m >> c & 1 == 1 { hi[c] } else { lo[c] });
            }
        }
        // Facet 2c + up is x_c = lo_c (up = 0) or hi_c: the exact map x_c − bound.
        let mut planes = vec![0.0; 2 * d * (d + 2)];
        for c in 0..d {
            for (up, bound) in [lo[c], hi[c]].into_iter().enumerate() {
                let row = &mut planes[(2 * c + up) * (d + 2)..(2 * c + up + 1) * (d + 2)];
                row[0] = -bound;
                row[1 + c] = 1.0;
            }
        }
        Ok(Self::with(
            d,
            verts,
            vec![0.0; nv],
            Incidence::boxed(d),
            planes,
            Vec::new(),
        ))
    }

    /// The bounded polytope `{x : A x ≤ b}` (`A` is `m × d`, row-major) with non-empty
    /// interior, built in exact arithmetic: a large box cut by every half-space; a vertex
    /// left on the box means the polytope is unbounded (the box grows up to `1e100` times
    /// the scale of `b` before that is decided).
    /// Ctrl-C (`ctrl`) is checked between half-spaces.
    pub fn from_halfspaces(a: &[f64], b: &[f64], d: usize, ctrl: &Control) -> Result<Self> {
        let m = b.len();
        if d == 0 || a.len() != m * d || m == 0 {
            return Err(invalid(
                "A/b",
                format!("expected A of shape (m, {d}) and b of shape (m,) with m >= 1"),
            ));
        }
        if a.iter().chain(b).any(|v| !v.is_finite()) {
            return Err(invalid("A/b", "must be finite"));
        }
        let rows: Vec<&[f64]> = a.chunks(d).collect();
        if let Some(i) = rows.iter().position(|r| r.iter().all(|&x| x == 0.0)) {
            return Err(invalid("A", format!("row {i} is zero")));
        }
        if d > MAX_BOX_DIM {
            return Err(invalid(
                "A",
                format!("dimension {d} is above {MAX_BOX_DIM}"),
            ));
        }
        let exact_rows: Vec<_> = rows
            .iter()
            .zip(b)
            .map(|(r, bi)| ExactPolytope::halfspace(r, *bi))
            .collect();
        let scale = rows
            .iter()
            .zip(b)
            .map(|(r, bi)| bi.abs() / r.iter().map(|x| x.abs()).fold(0.0, f64::max))
            .fold(1.0, f64::max);
        for factor in [1e6, 1e30, 1e100] {
            let big = (factor * scale).min(f64::MAX / 4.0);
            let bx = VPolytope::boxed(&vec![-big; d], &vec![big; d])?;
            let mut p = bx.to_exact();
            for (ra, rb) in &exact_rows {
                ctrl.check()?;
                p = p.split(rb, ra).0.ok_or_else(|| {
                    invalid("A/b", "the polytope {x : A x <= b} has empty interior")
                })?;
            }
            // Bounded iff no vertex is left on the box.
            let mut out = VPolytope::from_exact(&p);
            if out.verts.iter().all(|x| x.abs() < big * (1.0 - 1e-9)) {
                out.exact = Some(Arc::new(p));
                return Ok(out);
            }
        }
        Err(invalid("A/b", "the polytope {x : A x <= b} is unbounded"))
    }

    /// Number of vertices.
    pub fn n_vertices(&self) -> usize {
        self.verts.len() / self.d
    }

    /// Vertices, `V × d` row-major.
    pub fn coords(&self) -> &[f64] {
        &self.verts
    }

    /// The volume, from the vertices and facets (no convex hull; see
    /// [`super::volume`]).
    pub fn volume(&self) -> f64 {
        super::volume::volume(self.d, &self.verts, &self.facets)
    }
}

impl VPolytope {
    /// Replace the radius of every loose vertex `x` (radius `r`) with `pick(x, r)` by its
    /// conditioning bound ([`cond_radius`] on `d` of its facets' planes) when smaller;
    /// `false` when nothing changed (or no planes are tracked: tolerance mode).
    fn tighten_where(&mut self, pick: impl Fn(&[f64], f64) -> bool) -> bool {
        let (d, w) = (self.d, self.d + 2);
        if self.planes.len() < self.facets.nf * w {
            return false; // tolerance mode: no planes
        }
        let mut changed = false;
        let mut rows: Vec<&[f64]> = Vec::with_capacity(d);
        for v in 0..self.n_vertices() {
            let x = &self.verts[v * d..(v + 1) * d];
            if !loose(self.r[v], x) || !pick(x, self.r[v]) {
                continue;
            }
            rows.clear();
            rows.extend(
                self.facets
                    .facets_of(v)
                    .take(d)
                    .map(|id| &self.planes[id * w..(id + 1) * w]),
            );
            if let Some(c) = cond_radius(x, &rows) {
                if c < self.r[v] {
                    self.r[v] = c;
                    changed = true;
                }
            }
        }
        if changed {
            (self.extent, self.rmax) = extent_of(self.verts.chunks(d).zip(self.r.iter().copied()));
        }
        changed
    }
}

/// The planes of a polytope being cut (the old numbering's rows, `[alpha, beta, err]`,
/// plus the cut as id `nf`), tracked in the exact modes only.
struct Planes<'a> {
    old: &'a [f64],
    cut: Vec<f64>,
    nf: usize,
    w: usize,
    track: bool,
}

impl<'a> Planes<'a> {
    fn new(p: &'a VPolytope, f: &Map<'_>, track: bool) -> Self {
        let w = p.d + 2;
        let mut cut = Vec::with_capacity(w);
        cut.push(f.alpha);
        cut.extend_from_slice(f.beta);
        cut.push(f.err);
        Planes {
            old: &p.planes,
            cut,
            nf: p.facets.nf,
            w,
            track,
        }
    }

    #[inline]
    fn plane(&self, id: usize) -> &[f64] {
        if id == self.nf {
            &self.cut
        } else {
            &self.old[id * self.w..(id + 1) * self.w]
        }
    }

    /// The rows of a part's planes: those kept (`None`: all, the cut last).
    fn kept(&self, kept: &Option<Vec<usize>>) -> Vec<f64> {
        if !self.track {
            return Vec::new();
        }
        match kept {
            None => (0..=self.nf)
                .flat_map(|id| self.plane(id).iter().copied())
                .collect(),
            Some(ids) => ids
                .iter()
                .flat_map(|&id| self.plane(id).iter().copied())
                .collect(),
        }
    }
}

impl VPolytope {
    /// The new vertices where the cut crosses `edges` (judged `j` at their ends), with
    /// their error radii, row-major.
    fn crossings(
        &self,
        edges: &[(usize, usize)],
        j: &[(f64, i8, f64)],
        mode: Mode,
        planes: &Planes<'_>,
    ) -> (Vec<f64>, Vec<f64>) {
        let d = self.d;
        let mut new = Vec::with_capacity(edges.len() * d);
        let mut new_r = Vec::with_capacity(edges.len());
        let mut rows: Vec<&[f64]> = Vec::with_capacity(d);
        for &(u, v) in edges {
            let (xu, xv) = (
                &self.verts[u * d..(u + 1) * d],
                &self.verts[v * d..(v + 1) * d],
            );
            let r = match mode {
                Mode::Tol(_) => {
                    let t = j[u].0 / (j[u].0 - j[v].0);
                    new.extend(xu.iter().zip(xv).map(|(a, b)| a + t * (b - a)));
                    0.0
                }
                Mode::Exact | Mode::Rational => {
                    let cut = planes.plane(planes.nf);
                    let eu = j[u].2.min(point_bound(cut, xu, self.r[u]));
                    let ev = j[v].2.min(point_bound(cut, xv, self.r[v]));
                    let (ju, jv) = ((j[u].0, eu), (j[v].0, ev));
                    let r = crossing(xu, self.r[u], ju, xv, self.r[v], jv, &mut new);
                    let wv = &new[new.len() - d..];
                    if planes.track && worth_conditioning(r, wv) {
                        self.planes_through(u, v, planes, &mut rows);
                        cond_radius(wv, &rows).map_or(r, |c| c.min(r))
                    } else {
                        r
                    }
                }
            };
            new_r.push(r);
        }
        (new, new_r)
    }

    /// The `d` planes a new vertex on edge `(u, v)` lies on: `d - 1` of the facets that
    /// `u` and `v` share, and the cut.
    #[inline]
    fn planes_through<'p>(
        &self,
        u: usize,
        v: usize,
        planes: &'p Planes<'_>,
        rows: &mut Vec<&'p [f64]>,
    ) {
        rows.clear();
        let (ru, rv) = (self.facets.row(u), self.facets.row(v));
        'f: for (wi, (a, b)) in ru.iter().zip(rv).enumerate() {
            let mut rest = a & b;
            while rest != 0 {
                let id = wi * 64 + rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if rows.len() + 1 == self.d {
                    break 'f;
                }
                rows.push(planes.plane(id));
            }
        }
        rows.push(planes.plane(planes.nf));
    }

    /// One side of a cut: the old vertices `old`, then the new ones; the facets' tags
    /// are the kept facets' (`kept`, `None`: all, the cut's `tag` last).
    #[allow(clippy::too_many_arguments)]
    fn part(
        &self,
        old: &[usize],
        facets: Incidence,
        planes: Vec<f64>,
        kept: &Option<Vec<usize>>,
        tag: u32,
        new: &[f64],
        new_r: &[f64],
    ) -> Self {
        // Empty when nothing is tagged (see `tags`).
        let tag_of = |id: usize| {
            if id == self.facets.nf {
                tag
            } else {
                self.tags.get(id).copied().unwrap_or(NO_TAG)
            }
        };
        let tags = if tag == NO_TAG && self.tags.is_empty() {
            Vec::new()
        } else {
            match kept {
                None => (0..=self.facets.nf).map(tag_of).collect(),
                Some(ids) => ids.iter().map(|&id| tag_of(id)).collect(),
            }
        };
        let d = self.d;
        let mut verts = Vec::with_capacity((old.len() + new_r.len()) * d);
        let mut r = Vec::with_capacity(old.len() + new_r.len());
        for &v in old {
            verts.extend_from_slice(&self.verts[v * d..(v + 1) * d]);
            r.push(self.r[v]);
        }
        verts.extend_from_slice(new);
        r.extend_from_slice(new_r);
        VPolytope::with(d, verts, r, facets, planes, tags)
    }

    /// The vertices on a facet tagged `a` and on one tagged `b` (`a ≠ b`, neither
    /// [`NO_TAG`]), as a mask; `None` when there is none.
    fn on_tagged_pair(&self, (a, b): (u32, u32)) -> Option<Vec<bool>> {
        if a == NO_TAG || b == NO_TAG || a == b {
            return None;
        }
        let ids = |t: u32| -> Vec<usize> {
            (0..self.tags.len())
                .filter(|&i| self.tags[i] == t)
                .collect()
        };
        let (fa, fb) = (ids(a), ids(b));
        if fa.is_empty() || fb.is_empty() {
            return None;
        }
        let has = |row: &[u64], id: usize| row[id / 64] >> (id % 64) & 1 == 1;
        let mask: Vec<bool> = (0..self.n_vertices())
            .map(|v| {
                let row = self.facets.row(v);
                fa.iter().any(|&i| has(row, i)) && fb.iter().any(|&i| has(row, i))
            })
            .collect();
        mask.iter().any(|&m| m).then_some(mask)
    }
}

impl Cell for VPolytope {
    fn facet_tags(&self) -> Vec<u32> {
        let mut t: Vec<u32> = self.tags.iter().copied().filter(|&t| t != NO_TAG).collect();
        t.sort_unstable();
        t.dedup();
        t
    }
    fn dim(&self) -> usize {
        self.d
    }
    fn vertices(&self) -> impl Iterator<Item = (&[f64], f64)> {
        self.verts.chunks(self.d).zip(self.r.iter().copied())
    }
    fn extent(&self) -> f64 {
        self.extent
    }
    fn radius(&self) -> f64 {
        self.rmax
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
        // Vertices known to lie on `f = 0` (exact modes; the caller's guarantee).
        let zeros = match (zero, mode) {
            (Some(pair), Mode::Exact | Mode::Rational) => self.on_tagged_pair(pair),
            _ => None,
        };
        let j = match &zeros {
            None => {
                // Most cuts miss the cell: decide that without allocating.
                match self.side(f, mode) {
                    Ok(Some(false)) => return Ok((Some(self), None)),
                    Ok(Some(true)) => return Ok((None, Some(self))),
                    Ok(None) => {}
                    Err(_) => return Err(self),
                }
                let Ok(j) = self.judge_all(f, mode) else {
                    return Err(self);
                };
                j
            }
            Some(mask) => {
                let Ok(j) = self.judge_known(f, mode, |i| mask[i]) else {
                    return Err(self);
                };
                if !j.iter().any(|x| x.1 == 1) {
                    return Ok((Some(self), None));
                }
                if !j.iter().any(|x| x.1 == -1) {
                    return Ok((None, Some(self)));
                }
                j
            }
        };
        let side: Vec<i8> = j.iter().map(|x| x.1).collect();
        let plan = self.facets.plan(self.d, &side);
        // Planes are tracked in the exact modes only (for tightening radii).
        let planes = Planes::new(&self, f, !matches!(mode, Mode::Tol(_)));
        let (new, new_r) = self.crossings(&plan.edges, &j, mode, &planes);
        let (pn, pp) = (planes.kept(&plan.neg_kept), planes.kept(&plan.pos_kept));
        Ok((
            Some(self.part(
                &plan.neg,
                plan.neg_inc,
                pn,
                &plan.neg_kept,
                tag,
                &new,
                &new_r,
            )),
            Some(self.part(
                &plan.pos,
                plan.pos_inc,
                pp,
                &plan.pos_kept,
                tag,
                &new,
                &new_r,
            )),
        ))
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
    fn tighten(&mut self) -> bool {
        self.tighten_where(|_, _| true)
    }
    fn tighten_for(&mut self, f: &Map<'_>, mode: Mode) -> bool {
        let filter = Filter::new(f, mode, self.extent, self.rmax);
        self.tighten_where(|x, r| filter.judge(f, x, r).1 == UNKNOWN)
    }
    fn to_exact(&self) -> ExactPolytope {
        match &self.exact {
            Some(e) => (**e).clone(),
            None => ExactPolytope::from_f64(self.d, &self.verts, self.facets.clone()),
        }
    }
    fn from_exact(e: &ExactPolytope) -> Self {
        let verts = e.to_f64();
        let r = verts.chunks(e.k).map(rounding_radius).collect();
        let mut planes = vec![0.0; e.facets.nf * (e.k + 2)];
        planes
            .iter_mut()
            .skip(e.k + 1)
            .step_by(e.k + 2)
            .for_each(|x| *x = UNKNOWN_PLANE);
        Self::with(e.k, verts, r, e.facets.clone(), planes, Vec::new())
    }
}
