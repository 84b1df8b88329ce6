//! A convex polytope of `R^k` (`k ≥ 1`) with exact rational vertices: homogeneous
//! integer coordinates `(X, w)`, `w > 0`, for the point `X / w`, and facet incidences.
//! Cuts are the combinatorial cuts of [`Incidence::plan`] with exact signs, so the
//! result is exact arithmetic's answer: a part exists iff it has interior.

use num_bigint::BigInt;
use num_traits::{One, Zero};

use super::lin::sign_at;
use super::num::{ratio_to_f64, reduce, to_ints};
use crate::regions::cells::incidence::Incidence;

/// A polytope with non-empty interior (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct ExactPolytope {
    pub k: usize,
    /// `V × (k + 1)`, row-major; the last entry of a row is the denominator `w > 0`.
    pub verts: Vec<BigInt>,
    pub facets: Incidence,
}

impl ExactPolytope {
    /// The polytope with these float vertices (exact dyadic values) and incidences.
    pub fn from_f64(k: usize, verts: &[f64], facets: Incidence) -> Self {
        let mut out = Vec::with_capacity(verts.len() / k * (k + 1));
        for v in verts.chunks(k) {
            let (ints, e) = to_ints(v);
            // v_c = ints_c 2^e: with e < 0 the denominator is 2^-e.
            if e >= 0 {
                out.extend(ints.into_iter().map(|x| x << e as usize));
                out.push(BigInt::one());
            } else {
                let mut row = ints;
                row.push(BigInt::one() << (-e) as usize);
                reduce(&mut row);
                out.extend(row);
            }
        }
        ExactPolytope {
            k,
            verts: out,
            facets,
        }
    }

    /// The half-space `row · x ≤ b` as the map `(−b) + row · x ≤ 0` in integers:
    /// `(β, α)`.
    pub fn halfspace(row: &[f64], b: f64) -> (Vec<BigInt>, BigInt) {
        let mut all = row.to_vec();
        all.push(-b);
        let (mut ints, _) = to_ints(&all);
        let alpha = ints.pop().unwrap_or_default();
        (ints, alpha)
    }

    /// Number of vertices.
    pub fn n_vertices(&self) -> usize {
        self.verts.len() / (self.k + 1)
    }

    fn vertex(&self, v: usize) -> &[BigInt] {
        &self.verts[v * (self.k + 1)..(v + 1) * (self.k + 1)]
    }

    /// Vertices rounded to floats, `V × k`.
    pub fn to_f64(&self) -> Vec<f64> {
        let k = self.k;
        self.verts
            .chunks(k + 1)
            .flat_map(|x| {
                x[..k]
                    .iter()
                    .map(move |c| ratio_to_f64(c, &x[k]))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Signs of `a + b · s` at the vertices.
    pub fn signs(&self, a: &BigInt, b: &[BigInt]) -> Vec<i8> {
        self.verts
            .chunks(self.k + 1)
            .map(|x| sign_at(a, b, x))
            .collect()
    }

    /// Which side of `a + b · s = 0` the whole polytope lies on (`Some(false)`: `≤ 0`),
    /// or `None` when the hyperplane cuts its interior. `b ≠ 0` or `a ≠ 0`.
    pub fn side(&self, a: &BigInt, b: &[BigInt]) -> Option<bool> {
        let s = self.signs(a, b);
        match (s.contains(&-1), s.contains(&1)) {
            (true, true) => None,
            (false, _) => Some(s.contains(&1)),
            (true, false) => Some(false),
        }
    }

    /// The parts where `a + b · s ≤ 0` and `≥ 0` (`None` for a part without interior).
    pub fn split(self, a: &BigInt, b: &[BigInt]) -> (Option<Self>, Option<Self>) {
        match self.split_kept(a, b) {
            Parts::Whole(below, p) => {
                if below {
                    (Some(p), None)
                } else {
                    (None, Some(p))
                }
            }
            Parts::Cut(lo, hi) => (Some(lo.0), Some(hi.0)),
        }
    }

    /// [`ExactPolytope::split`], saying which facets each part keeps.
    pub fn split_kept(self, a: &BigInt, b: &[BigInt]) -> Parts {
        let side = self.signs(a, b);
        if !side.contains(&1) {
            return Parts::Whole(true, self);
        }
        if !side.contains(&-1) {
            return Parts::Whole(false, self);
        }
        let k = self.k;
        let plan = self.facets.plan(k, &side);
        let mut new = Vec::with_capacity(plan.edges.len() * (k + 1));
        let value = |x: &[BigInt]| {
            let mut g = a * &x[k];
            for (bc, xc) in b.iter().zip(x) {
                g += bc * xc;
            }
            g
        };
        for &(u, v) in &plan.edges {
            let (xu, xv) = (self.vertex(u), self.vertex(v));
            // With f(u) = gu / wu < 0 < f(v) = gv / wv, the crossing is
            // (gv U − gu V) / (gv wu − gu wv) in homogeneous coordinates.
            let (gu, gv) = (value(xu), value(xv));
            let mut row: Vec<BigInt> = xu.iter().zip(xv).map(|(p, q)| &gv * p - &gu * q).collect();
            reduce(&mut row);
            new.extend(row);
        }
        let part = |old: &[usize], facets: Incidence| {
            let mut verts = Vec::with_capacity((old.len() + plan.edges.len()) * (k + 1));
            for &v in old {
                verts.extend_from_slice(self.vertex(v));
            }
            verts.extend_from_slice(&new);
            ExactPolytope { k, verts, facets }
        };
        let (lo, hi) = (part(&plan.neg, plan.neg_inc), part(&plan.pos, plan.pos_inc));
        Parts::Cut((lo, plan.neg_kept), (hi, plan.pos_kept))
    }
}

/// The result of [`ExactPolytope::split_kept`].
pub enum Parts {
    /// The polytope lies on one side (`true`: `≤ 0`), touching the hyperplane at most.
    Whole(bool, ExactPolytope),
    /// Both parts, `≤ 0` then `≥ 0`, each with the old ids of the facets it keeps in
    /// new-id order (`None`: every old id kept, in order). The cut's facet is old id
    /// `nf` (the polytope's facet count before the cut).
    Cut(
        (ExactPolytope, Option<Vec<usize>>),
        (ExactPolytope, Option<Vec<usize>>),
    ),
}

/// `true` when all entries are zero.
pub fn all_zero(a: &BigInt, b: &[BigInt]) -> bool {
    a.is_zero() && b.iter().all(Zero::is_zero)
}
