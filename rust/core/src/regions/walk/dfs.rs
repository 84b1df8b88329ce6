//! The bounded depth-first driver shared by the float walk and the exact one.

use super::super::SliceRegion;
use crate::control::Control;
use rayon::prelude::*;

use crate::error::Result;

/// Regions found below a cell: their number and (unless counting) the regions.
pub(crate) type Found<C> = (u64, Vec<SliceRegion<C>>);

/// Two-sided splits per layer that run their sides in parallel (2^24 tasks at most);
/// deeper splits use an explicit stack (see [`bounded_dfs`]).
pub(crate) const PAR_DEPTH: usize = 24;

/// A side of a cut in progress: the next cutting unit to apply, the cell, and the bits
/// of the units it is on the positive side of.
pub(crate) type Side<C> = (usize, C, Vec<u64>);

/// What one cut does with a side: the finished regions below it, two sides, one side,
/// or nothing (the cell was empty).
pub(crate) enum Next<S, C> {
    Done(Found<C>),
    Two(S, S),
    /// Any number of sides, in order (the pieces of a max unit).
    Many(Vec<S>),
    One(S),
    Empty,
}

impl<X, C> Next<Side<X>, C> {
    /// The sides after cutting by unit `i` (`hi` has bit `i` set), at unit `j + 1`.
    pub(crate) fn sides(j: usize, lo: Option<X>, hi: Option<X>, bits: Vec<u64>, i: usize) -> Self {
        let with_bit = |mut b: Vec<u64>| {
            b[i / 64] |= 1 << (i % 64);
            b
        };
        match (lo, hi) {
            (Some(lo), Some(hi)) => {
                let on = with_bit(bits.clone());
                Next::Two((j + 1, lo, bits), (j + 1, hi, on))
            }
            (Some(lo), None) => Next::One((j + 1, lo, bits)),
            (None, Some(hi)) => Next::One((j + 1, hi, with_bit(bits))),
            (None, None) => Next::Empty,
        }
    }
}

/// Depth-first over the sides of a layer's cuts, lower side first: the first
/// [`PAR_DEPTH`] two-sided splits run both sides in parallel (`rayon::join`), deeper
/// ones go on an explicit stack, so the call depth is at most `PAR_DEPTH` whatever the
/// number of cutting units (a recursion per unit overflowed worker stacks at 10^4
/// units, issue 14) and the regions come out in the same order either way. Shared by
/// the float walk and the exact one.
pub(crate) fn bounded_dfs<S: Send, C: Send>(
    start: S,
    depth: usize,
    ctrl: &Control,
    step: &(impl Fn(S) -> Result<Next<S, C>> + Sync),
) -> Result<Found<C>> {
    let mut found: Found<C> = (0, Vec::new());
    let mut add = |below: Found<C>| {
        found.0 += below.0;
        found.1.extend(below.1);
    };
    // The current side, then the pending ones (no allocation until a deep split).
    let mut pending = Vec::new();
    let mut next = Some(start);
    while let Some(mut side) = next.take().or_else(|| pending.pop()) {
        loop {
            // A relaxed atomic load per cut: Ctrl-C is seen within one cut, also on
            // the last layer's counting path where no region descends further.
            ctrl.check()?;
            match ctrl.scope(|| step(side))? {
                Next::Done(below) => {
                    add(below);
                    break;
                }
                Next::Two(lo, hi) if depth < PAR_DEPTH => {
                    let (a, b) = rayon::join(
                        || bounded_dfs(lo, depth + 1, ctrl, step),
                        || bounded_dfs(hi, depth + 1, ctrl, step),
                    );
                    let (a, b) = (a?, b?);
                    add(a);
                    add(b);
                    break;
                }
                Next::Two(lo, hi) => {
                    pending.push(hi);
                    side = lo;
                }
                Next::Many(sides) if sides.len() > 1 && depth < PAR_DEPTH => {
                    let below: Vec<Found<C>> = sides
                        .into_par_iter()
                        .map(|s| bounded_dfs(s, depth + 1, ctrl, step))
                        .collect::<Result<_>>()?;
                    below.into_iter().for_each(&mut add);
                    break;
                }
                Next::Many(mut sides) => {
                    sides.reverse();
                    match sides.pop() {
                        Some(first) => {
                            pending.extend(sides);
                            side = first;
                        }
                        None => break,
                    }
                }
                Next::One(s) => side = s,
                Next::Empty => break,
            }
        }
    }
    Ok(found)
}
