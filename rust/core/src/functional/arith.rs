//! The arithmetic of the Jacobian passes: float64, or `F_p` for exact ranks.

use crate::linalg::modp::{Modp, Pow2};

/// The arithmetic of the Jacobian passes: float64, or `F_p` for exact ranks.
pub(super) trait Arith: Sync {
    type T: Copy + PartialEq;
    fn of(&self, x: f64) -> Self::T;
    fn zero(&self) -> Self::T;
    fn add(&self, a: Self::T, b: Self::T) -> Self::T;
    fn mul(&self, a: Self::T, b: Self::T) -> Self::T;
    /// The value stored in the Jacobian buffer (a residue is stored as a float).
    fn store(&self, a: Self::T) -> f64;
}

pub(super) struct Float;

impl Arith for Float {
    type T = f64;
    fn of(&self, x: f64) -> f64 {
        x
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn add(&self, a: f64, b: f64) -> f64 {
        a + b
    }
    fn mul(&self, a: f64, b: f64) -> f64 {
        a * b
    }
    fn store(&self, a: f64) -> f64 {
        a
    }
}

/// `F_p` with residues below `2^26` (stored exactly as floats for [`Modp::rank_f64`]).
pub(super) struct ModP<'a> {
    pub m: &'a Modp,
    pub pow2: Pow2,
}

impl Arith for ModP<'_> {
    type T = u64;
    fn of(&self, x: f64) -> u64 {
        self.m.from_f64_with(x, &self.pow2)
    }
    fn zero(&self) -> u64 {
        0
    }
    fn add(&self, a: u64, b: u64) -> u64 {
        let s = a + b;
        if s >= self.m.p {
            s - self.m.p
        } else {
            s
        }
    }
    fn mul(&self, a: u64, b: u64) -> u64 {
        self.m.mul(a, b)
    }
    fn store(&self, a: u64) -> f64 {
        a as f64
    }
}
