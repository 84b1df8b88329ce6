//! Intervals of a segment parameter.

use super::incidence::Incidence;
use super::{rounding_radius, Cell, Map, Mode, Split};
use crate::regions::exact::ExactPolytope;

/// The interval `[t[0], t[1]]` with the error radii `r` of its ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub t: [f64; 2],
    pub r: [f64; 2],
}

impl Interval {
    /// `[lo, hi]` with exact ends.
    pub fn new(lo: f64, hi: f64) -> Self {
        Interval {
            t: [lo, hi],
            r: [0.0; 2],
        }
    }
}

impl Cell for Interval {
    fn dim(&self) -> usize {
        1
    }
    fn vertices(&self) -> impl Iterator<Item = (&[f64], f64)> {
        [(&self.t[0..1], self.r[0]), (&self.t[1..2], self.r[1])].into_iter()
    }
    fn extent(&self) -> f64 {
        (self.t[0].abs() + self.r[0]).max(self.t[1].abs() + self.r[1])
    }
    fn radius(&self) -> f64 {
        self.r[0].max(self.r[1])
    }
    fn split(self, f: &Map<'_>, mode: Mode) -> Split<Self> {
        let Ok(j) = self.judge_all(f, mode) else {
            return Err(self);
        };
        let (s0, s1) = (j[0].1, j[1].1);
        if s0 < 1 && s1 < 1 {
            return Ok((Some(self), None));
        }
        if s0 > -1 && s1 > -1 {
            return Ok((None, Some(self)));
        }
        // The root of the map itself (not an interpolation), so that a boundary shared by
        // two cells (maxout pieces cut in different orders) gets the same float. The true
        // root t* has |f(t*)| ≤ err, so |t* − (−α/β)| ≤ err / |β|.
        let t = -f.alpha / f.beta[0];
        let r = match mode {
            Mode::Tol(_) => 0.0,
            Mode::Exact | Mode::Rational => {
                (f.err / f.beta[0].abs() + 2.0 * f64::EPSILON * t.abs())
                    * (1.0 + 4.0 * f64::EPSILON)
                    + f64::MIN_POSITIVE
            }
        };
        let a = Interval {
            t: [self.t[0], t],
            r: [self.r[0], r],
        };
        let b = Interval {
            t: [t, self.t[1]],
            r: [r, self.r[1]],
        };
        Ok(if s0 < 0 {
            (Some(a), Some(b))
        } else {
            (Some(b), Some(a))
        })
    }
    fn interior(&self) -> Vec<f64> {
        vec![0.5 * (self.t[0] + self.t[1])]
    }
    fn measure(&self) -> f64 {
        self.t[1] - self.t[0]
    }
    fn set_lower_end(&mut self, prev: &Self) {
        self.t[0] = prev.t[1];
        self.r[0] = prev.r[1];
    }
    fn to_exact(&self) -> ExactPolytope {
        ExactPolytope::from_f64(1, &self.t, Incidence::boxed(1))
    }
    fn from_exact(e: &ExactPolytope) -> Self {
        let v = e.to_f64();
        let (lo, hi) = (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        let r = rounding_radius(&[lo, hi]);
        Interval {
            t: [lo, hi],
            r: [r, r],
        }
    }
}
