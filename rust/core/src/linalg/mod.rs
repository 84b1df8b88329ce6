//! Dense linear algebra on faer with explicit parallelism.
//!
//! faer's convenience methods (`Mat::qr`, `singular_values`) use a process-wide
//! parallelism setting; these wrappers take a [`Par`] instead. Small matrices use
//! [`Par::Seq`] inside the core's own parallel loops. Large ones use [`LARGE_PAR`]: a
//! fixed split of 4 tasks run on the current rayon pool, so the floating-point result
//! never depends on the number of threads (the split, not the pool, decides the order
//! of operations; checked bitwise by `examples/large_rank_timing.rs`).

//!
//! Files: this module (dense QR, SVD and full-rank certificates on faer), [`rank`]
//! (numerical rank with NumPy's semantics), [`modp`] (exact rank over Q of float64
//! matrices, modulo primes).

pub mod modp;
pub mod rank;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::qr::{col_pivoting, no_pivoting};
use faer::{Mat, MatRef, Par};

use crate::error::{Error, Result};

/// Parallelism for one large factorization (a fixed split: deterministic results).
pub const LARGE_PAR: Par = Par::Rayon(match std::num::NonZeroUsize::new(4) {
    Some(n) => n,
    None => unreachable!(),
});

/// An owned copy of `A` or `Aᵀ`, whichever has at least as many rows as columns (a
/// thin QR of it has a square `R` with the singular values of `A`).
pub fn tall_copy(m: MatRef<'_, f64>) -> Mat<f64> {
    if m.ncols() > m.nrows() {
        m.transpose().to_owned()
    } else {
        m.to_owned()
    }
}

fn upper(a: &Mat<f64>) -> Mat<f64> {
    let k = a.ncols().min(a.nrows());
    Mat::from_fn(k, k, |i, j| if i <= j { a[(i, j)] } else { 0.0 })
}

/// The `k × k` factor `R` of a thin Householder QR of a tall matrix (`2 r c² − ⅔ c³`
/// flops for `r × c`), factored in place.
pub fn qr_r(mut tall: Mat<f64>, par: Par) -> Mat<f64> {
    let (r, c) = tall.shape();
    let bs = no_pivoting::factor::recommended_block_size::<f64>(r, c);
    let mut q = Mat::<f64>::zeros(bs, r.min(c));
    let mut mem = MemBuffer::new(no_pivoting::factor::qr_in_place_scratch::<f64>(
        r,
        c,
        bs,
        par,
        Default::default(),
    ));
    no_pivoting::factor::qr_in_place(
        tall.as_mut(),
        q.as_mut(),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    upper(&tall)
}

/// Columns per panel of [`qr_r_panels`].
const PANEL: usize = 256;

/// [`qr_r`] by panels of 256 columns: each panel is factored (faer's blocked
/// Householder QR), then its block reflector is applied to the columns after it; the
/// caller's Ctrl-C ([`crate::control::cancel_requested`]) is honoured between panels,
/// so a large factorization stops within one panel (`2 r c · 256` flops).
pub fn qr_r_panels(mut tall: Mat<f64>, par: Par) -> Result<Mat<f64>> {
    use faer::linalg::householder;
    use faer::reborrow::{Reborrow, ReborrowMut};
    let (m, n) = tall.shape();
    let k = m.min(n);
    for j0 in (0..k).step_by(PANEL) {
        if crate::control::cancel_requested() {
            return Err(Error::Cancelled);
        }
        let w = PANEL.min(k - j0);
        let bs = no_pivoting::factor::recommended_block_size::<f64>(m - j0, w);
        let mut q = Mat::<f64>::zeros(bs, w);
        let rest = n - j0 - w;
        let mut mem = MemBuffer::new(
            no_pivoting::factor::qr_in_place_scratch::<f64>(m - j0, w, bs, par, Default::default())
                .or(householder::apply_block_householder_sequence_transpose_on_the_left_in_place_scratch::<f64>(
                    m - j0,
                    bs,
                    rest,
                )),
        );
        let (left, right) = tall.as_mut().split_at_col_mut(j0 + w);
        let mut panel = left.submatrix_mut(j0, j0, m - j0, w);
        no_pivoting::factor::qr_in_place(
            panel.rb_mut(),
            q.as_mut(),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        );
        if rest > 0 {
            householder::apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj(
                panel.rb(),
                q.as_ref(),
                faer::Conj::No,
                right.submatrix_mut(j0, 0, m - j0, rest),
                par,
                MemStack::new(&mut mem),
            );
        }
    }
    Ok(upper(&tall))
}

/// The `k × k` factor `R` of a column-pivoted QR `A P = Q R` of a tall matrix
/// (`|R₀₀| ≥ |R₁₁| ≥ …`); the permutation is not needed by the rank certificates.
pub fn col_piv_qr_r(mut tall: Mat<f64>, par: Par) -> Mat<f64> {
    let (r, c) = tall.shape();
    let bs = col_pivoting::factor::recommended_block_size::<f64>(r, c);
    let mut q = Mat::<f64>::zeros(bs, r.min(c));
    let (mut perm, mut perm_inv) = (vec![0usize; c], vec![0usize; c]);
    let mut mem = MemBuffer::new(col_pivoting::factor::qr_in_place_scratch::<usize, f64>(
        r,
        c,
        bs,
        par,
        Default::default(),
    ));
    col_pivoting::factor::qr_in_place(
        tall.as_mut(),
        q.as_mut(),
        &mut perm,
        &mut perm_inv,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    upper(&tall)
}

/// Singular values, largest first.
pub fn singular_values(m: MatRef<'_, f64>, par: Par) -> Result<Vec<f64>> {
    let (r, c) = m.shape();
    let mut s = faer::diag::Diag::<f64>::zeros(r.min(c));
    let no = faer::linalg::svd::ComputeSvdVectors::No;
    let mut mem = MemBuffer::new(faer::linalg::svd::svd_scratch::<f64>(
        r,
        c,
        no,
        no,
        par,
        Default::default(),
    ));
    faer::linalg::svd::svd(
        m,
        s.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|e| Error::InvalidArgument {
        name: "matrix".into(),
        message: format!("SVD did not converge: {e:?}"),
    })?;
    Ok(s.column_vector().iter().copied().collect())
}

/// `‖R⁻¹‖_F` of a square upper-triangular `R` by a blocked triangular inverse (`k³/3`
/// flops), or `None` for a zero pivot or overflow. `σ_min(R) ≥ 1/‖R⁻¹‖_F`.
pub fn inverse_frobenius(r: MatRef<'_, f64>, par: Par) -> Option<f64> {
    let k = r.nrows();
    if (0..k).any(|i| r[(i, i)] == 0.0) {
        return None;
    }
    let mut inv = Mat::<f64>::zeros(k, k);
    faer::linalg::triangular_inverse::invert_upper_triangular(inv.as_mut(), r, par);
    let f = (0..k)
        .map(|j| (0..=j).map(|i| inv[(i, j)] * inv[(i, j)]).sum::<f64>())
        .sum::<f64>()
        .sqrt();
    f.is_finite().then_some(f)
}

/// Whether a wide matrix (`rows ≤ cols`, row-major) certainly has `σ_min > cut(‖A‖_F)`,
/// from the Cholesky factor of its Gram matrix: `G = fl(A Aᵀ) = L Lᵀ − E`, so
/// `σ_min(A)² ≥ 1/‖L⁻¹‖_F² − ‖E‖ − ‖fl(AAᵀ) − AAᵀ‖`, with both errors below
/// `(γ_cols + γ_{rows+1}) ‖A‖_F²` (Higham's bounds), doubled for safety. About half the
/// flops of a QR and at matrix-multiply speed; it decides only when `σ_min/σ_max` is
/// above ~`sqrt(rows · cols · ε)`, otherwise the caller falls back to a QR.
pub fn gram_certifies_full_rank(
    a: &[f64],
    rows: usize,
    cols: usize,
    cut: impl Fn(f64) -> f64,
) -> bool {
    if rows == 0 || rows > cols {
        return false;
    }
    let m = MatRef::from_row_major_slice(a, rows, cols);
    let mut g = Mat::<f64>::zeros(rows, rows);
    faer::linalg::matmul::matmul(
        g.as_mut(),
        faer::Accum::Replace,
        m,
        m.transpose(),
        1.0,
        Par::Seq,
    );
    let trace: f64 = (0..rows).map(|i| g[(i, i)]).sum();
    let mut mem = MemBuffer::new(
        faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch::<f64>(
            rows,
            Par::Seq,
            Default::default(),
        ),
    );
    let ok = faer::linalg::cholesky::llt::factor::cholesky_in_place(
        g.as_mut(),
        Default::default(),
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    );
    if ok.is_err() {
        return false;
    }
    // The factor is in the lower triangle; its transpose is upper triangular.
    let lt = Mat::<f64>::from_fn(rows, rows, |i, j| if i <= j { g[(j, i)] } else { 0.0 });
    let Some(f) = inverse_frobenius(lt.as_ref(), Par::Seq) else {
        return false;
    };
    let u = f64::EPSILON / 2.0;
    let gamma = |k: usize| k as f64 * u / (1.0 - k as f64 * u);
    let fro2 = trace * (1.0 + 2.0 * gamma(cols));
    let err = 2.0 * (gamma(cols) + 1.1 * gamma(rows + 1)) * fro2;
    let lower = 0.9 / (f * f) - err;
    let c = cut(fro2.sqrt());
    lower > c * c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_certificate_decides_only_clear_cases() {
        let (r, c) = (4, 7);
        let mut a = vec![0.0; r * c];
        for i in 0..r {
            a[i * c + i] = 1.0 + i as f64;
            a[i * c + r + i % 3] = 0.5;
        }
        let numpy_cut = |fro: f64| fro * c as f64 * f64::EPSILON;
        assert!(gram_certifies_full_rank(&a, r, c, numpy_cut));
        // σ_min = 1e-7 · σ_max: full rank for NumPy, but below what a Gram can certify.
        let mut b = a.clone();
        b[3 * c + 3] = 1e-7;
        b[3 * c + r] = 0.0;
        assert!(!gram_certifies_full_rank(&b, r, c, numpy_cut));
        // Rank deficient: a repeated row.
        let mut d = a.clone();
        let row: Vec<f64> = d[..c].to_vec();
        d[c..2 * c].copy_from_slice(&row);
        assert!(!gram_certifies_full_rank(&d, r, c, numpy_cut));
        // An explicit tolerance above σ_min refuses.
        assert!(!gram_certifies_full_rank(&a, r, c, |_| 100.0));
    }
}

#[cfg(test)]
mod panel_tests {
    use super::*;

    /// The panel QR gives the same `|R_ii|` as one whole factorization (up to rounding)
    /// on a matrix wider than two panels, and stops at once when cancelled.
    #[test]
    fn panels_match_the_whole_qr_and_stop_on_cancel() {
        let (m, n) = (700, 600);
        let mut s = 1u64;
        let a = Mat::from_fn(m, n, |_, _| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        });
        let whole = qr_r(a.clone(), Par::Seq);
        let panels = qr_r_panels(a.clone(), Par::Seq).unwrap();
        for i in 0..n {
            let (x, y) = (whole[(i, i)].abs(), panels[(i, i)].abs());
            assert!((x - y).abs() <= 1e-9 * x, "{i}: {x} vs {y}");
        }
        let ctrl = crate::control::Control::new();
        ctrl.cancel();
        assert!(ctrl.scope(|| qr_r_panels(a, Par::Seq)).is_err());
    }
}
