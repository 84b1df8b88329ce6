//! Activation patterns of first-layer parameters on the data: `A_ij = [w_i·x_j + b_i > 0]`.

use rayon::prelude::*;

use super::{words, Data};
use crate::control::Control;
use crate::error::{invalid, try_zeroed, Result};

/// Pattern `A` (`m × n`, packed rows of `words(n)` u64) of one parameter draw:
/// `w` is `m × d` row-major, `b` has `m` entries (ignored without bias). Returns the
/// first `(unit, point)` whose pre-activation is not finite (`w·x + b` overflowed
/// float64: its sign is then unknown), or `None`.
pub fn pattern_of(
    data: &Data,
    w: &[f64],
    b: &[f64],
    m: usize,
    out: &mut [u64],
) -> Option<(usize, usize)> {
    let (n, d, wd) = (data.n, data.d, words(data.n));
    out.fill(0);
    let mut bad = None;
    for i in 0..m {
        let wi = &w[i * d..(i + 1) * d];
        let bi = if data.bias { b[i] } else { 0.0 };
        let row = &mut out[i * wd..(i + 1) * wd];
        for (word, start) in row.iter_mut().zip((0..n).step_by(64)) {
            let mut bits = 0u64;
            for j in start..n.min(start + 64) {
                let x = data.row(j);
                let h: f64 = wi.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + bi;
                if !h.is_finite() && bad.is_none() {
                    bad = Some((i, j));
                }
                bits |= ((h > 0.0) as u64) << (j - start);
            }
            *word = bits;
        }
    }
    bad
}

/// The error for a pre-activation that overflowed (see [`pattern_of`]).
pub(crate) fn overflow_error(names: &str, (i, j): (usize, usize)) -> crate::error::Error {
    invalid(
        names,
        format!(
            "w·x + b overflows float64 for unit {i} on point {j} (its sign is unknown); \
             scale the data or the weights"
        ),
    )
}

/// Patterns of `t` parameter draws (`w`: `t × m × d`, `b`: `t × m`), in parallel.
/// Returns `t × m × words(n)` packed words.
pub fn patterns(
    data: &Data,
    w: &[f64],
    b: &[f64],
    t: usize,
    m: usize,
    ctrl: &Control,
) -> Result<Vec<u64>> {
    let d = data.d;
    if w.len() != t * m * d || (data.bias && b.len() != t * m) {
        return Err(invalid(
            "W/b",
            format!("expected W of {t}×{m}×{d} and b of {t}×{m} values"),
        ));
    }
    let wd = words(data.n);
    let mut out = try_zeroed::<u64>(&[t, m, wd], "the patterns")?;
    out.par_chunks_mut(m * wd)
        .enumerate()
        .try_for_each(|(k, chunk)| {
            ctrl.check()?;
            let bk: &[f64] = if data.bias {
                &b[k * m..(k + 1) * m]
            } else {
                &[]
            };
            if let Some(at) = pattern_of(data, &w[k * m * d..(k + 1) * m * d], bk, m, chunk) {
                return Err(overflow_error("X, W, b", at));
            }
            ctrl.advance(1);
            Ok(())
        })?;
    Ok(out)
}
