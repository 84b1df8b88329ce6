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
    if wd == 0 || t * m == 0 {
        return Ok(out);
    }
    // Blocks of units across all draws (about 4·10^6 multiply-adds each), in parallel,
    // with a Ctrl-C check per block: one draw of 10^5 units on 10^5 points was one
    // task without a check (Ctrl-C honoured 21.7 s late, then not at all).
    let per = (4_000_000 / (data.n * d.max(1)).max(1)).clamp(1, 4096);
    out.par_chunks_mut(per * wd)
        .enumerate()
        .try_for_each(|(blk, chunk)| {
            ctrl.check()?;
            let (s, e) = (blk * per, blk * per + chunk.len() / wd);
            let bk: &[f64] = if data.bias { &b[s..e] } else { &[] };
            if let Some((i, j)) = pattern_of(data, &w[s * d..e * d], bk, e - s, chunk) {
                return Err(overflow_error("X, W, b", ((s + i) % m, j)));
            }
            // Progress counts draws: those whose last unit is in this block.
            let done = (s..e).filter(|g| (g + 1) % m == 0).count();
            ctrl.advance(done as u64);
            Ok(())
        })?;
    Ok(out)
}
