//! 2D max-pooling on a grid: its windows, and vertex counts that reduce to the 1D
//! case or run the frontier DP along the longer side.

use num_bigint::BigUint;

use super::{count_vertices_1d, count_vertices_exact};
use crate::control::Control;
use crate::error::{invalid, try_with_capacity, Result};

/// Windows of a 2D pooling on an `R × C` grid (cell `(r, c)` is input `r·C + c`):
/// `kr × kc` blocks with strides `(sr, sc)`, padding "valid", in row-major order.
pub fn windows_2d(
    shape: (usize, usize),
    window: (usize, usize),
    stride: (usize, usize),
) -> Result<Vec<Vec<usize>>> {
    check_2d(shape, window, stride)?;
    let ((rr, cc), (kr, kc), (sr, sc)) = (shape, window, stride);
    let count = ((rr - kr) / sr + 1).saturating_mul((cc - kc) / sc + 1);
    let size = kr.saturating_mul(kc);
    let what = format!("the {count} windows of {kr}x{kc} inputs");
    let inner = (count as u64)
        .saturating_mul(size as u64)
        .saturating_mul(std::mem::size_of::<usize>() as u64);
    let mut out = try_with_capacity(count, inner, &what)?;
    for i in 0..(rr - kr) / sr + 1 {
        for j in 0..(cc - kc) / sc + 1 {
            let mut w = Vec::with_capacity(kr * kc);
            for r in i * sr..i * sr + kr {
                for c in j * sc..j * sc + kc {
                    w.push(r * cc + c);
                }
            }
            out.push(w);
        }
    }
    Ok(out)
}

/// Check a 2D pooling: positive windows and strides, windows inside the grid. Needs no
/// memory in the grid size.
fn check_2d(shape: (usize, usize), window: (usize, usize), stride: (usize, usize)) -> Result<()> {
    let ((rr, cc), (kr, kc), (sr, sc)) = (shape, window, stride);
    if kr == 0 || kc == 0 {
        return Err(invalid(
            "window",
            format!("must be positive, got {kr}x{kc}"),
        ));
    }
    if sr == 0 || sc == 0 {
        return Err(invalid(
            "stride",
            format!("must be positive, got {sr}x{sc}"),
        ));
    }
    if kr > rr || kc > cc {
        return Err(invalid(
            "window",
            format!("{kr}x{kc} is larger than the grid {rr}x{cc}"),
        ));
    }
    Ok(())
}

/// Vertices of 2D max-pooling (padding "valid"). One row (or column) of windows is
/// the 1D case with `k = kr·kc`, `s = kr·sc` (cells flattened column-major); otherwise
/// the frontier DP sweeps window rows along the longer side, so that the frontier
/// spans the shorter side (the grid is transposed when it has more columns than rows).
pub fn count_vertices_2d(
    shape: (usize, usize),
    window: (usize, usize),
    stride: (usize, usize),
    max_states: usize,
    ctrl: &Control,
) -> Result<BigUint> {
    check_2d(shape, window, stride)?;
    let ((rr, cc), (kr, kc), (sr, sc)) = (shape, window, stride);
    let (wrows, wcols) = ((rr - kr) / sr + 1, (cc - kc) / sc + 1);
    if wrows == 1 {
        return count_vertices_1d(kr * (kc + (wcols - 1) * sc), kr * kc, kr * sc, ctrl);
    }
    if wcols == 1 {
        return count_vertices_1d(kc * (kr + (wrows - 1) * sr), kr * kc, kc * sr, ctrl);
    }
    let (shape, window, stride) = if cc > rr {
        ((cc, rr), (kc, kr), (sc, sr))
    } else {
        (shape, window, stride)
    };
    let w = windows_2d(shape, window, stride)?;
    let order: Vec<usize> = (0..w.len()).collect();
    count_vertices_exact(&w, shape.0 * shape.1, &order, max_states, ctrl)
}
