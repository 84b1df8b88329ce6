//! 1D max-pooling (windows `{js..js+k-1}`): transfer-vector counts, matrix powers,
//! the generating function and the linear recurrence of the counts.

use num_bigint::{BigInt, BigUint};
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, Result};

/// Windows of a 1D pooling: `{js, …, js+k-1}` for `j < m = ⌊(n-k)/s⌋ + 1`.
pub fn windows_1d(n: usize, k: usize, s: usize) -> Result<Vec<Vec<usize>>> {
    check_1d(n, k, s)?;
    Ok((0..(n - k) / s + 1)
        .map(|j| (j * s..j * s + k).collect())
        .collect())
}

fn check_1d(n: usize, k: usize, s: usize) -> Result<()> {
    if k == 0 || s == 0 {
        return Err(invalid(if k == 0 { "k" } else { "stride" }, "must be >= 1"));
    }
    if k > n {
        return Err(invalid(
            "k",
            format!("window {k} is larger than the input {n}"),
        ));
    }
    Ok(())
}

/// The transfer matrix of 1D pooling: `M[p][q] = 1` unless the winner at offset `p`
/// of window `j` lies in window `j+1` and the winner at offset `q` of window `j+1`
/// lies in window `j` and they differ (a 2-cycle).
fn transfer_1d(k: usize, s: usize) -> Vec<Vec<u8>> {
    (0..k)
        .map(|p| {
            (0..k)
                .map(|q| u8::from(!(p >= s && q + s < k && p - s != q)))
                .collect()
        })
        .collect()
}

fn mat_mul(a: &[Vec<BigUint>], b: &[Vec<BigUint>]) -> Vec<Vec<BigUint>> {
    let k = a.len();
    (0..k)
        .into_par_iter()
        .map(|i| {
            (0..k)
                .map(|j| {
                    let mut s = BigUint::ZERO;
                    for (l, bl) in b.iter().enumerate() {
                        if a[i][l] != BigUint::ZERO && bl[j] != BigUint::ZERO {
                            s += &a[i][l] * &bl[j];
                        }
                    }
                    s
                })
                .collect()
        })
        .collect()
}

/// Vertices of 1D max-pooling with `n` inputs, window `k`, stride `s` (exact).
/// Transfer-vector recursion with prefix sums (`O(m·k)` additions) for small `m`;
/// binary powering of the transfer matrix for large `m`.
pub fn count_vertices_1d(n: usize, k: usize, s: usize, ctrl: &Control) -> Result<BigUint> {
    count_1d_with(n, k, s, 20_000, ctrl)
}

/// [`count_vertices_1d`] with the number of windows above which matrix powering is used.
fn count_1d_with(
    n: usize,
    k: usize,
    s: usize,
    power_above: usize,
    ctrl: &Control,
) -> Result<BigUint> {
    check_1d(n, k, s)?;
    let m = (n - k) / s + 1;
    if k == 1 {
        return Ok(BigUint::from(1u8)); // every window is one input: one linear region
    }
    if m <= power_above || k > 64 {
        // v[p]: completions of windows j..m-1 when window j's winner has offset p.
        let mut v = vec![BigUint::from(1u8); k];
        let low = k.saturating_sub(s); // offsets q < low of window j+1 lie in window j
        for step in 1..m {
            if step % 256 == 0 {
                ctrl.check()?;
            }
            let all: BigUint = v.iter().sum();
            let low_sum: BigUint = v[..low].iter().sum();
            let mut next = Vec::with_capacity(k);
            for p in 0..k {
                if p >= s && low > 0 {
                    // forbidden q: q < low and q != p - s  (p - s < low always)
                    next.push(&all - &low_sum + &v[p - s]);
                } else {
                    next.push(all.clone());
                }
            }
            v = next;
            ctrl.advance(1);
        }
        return Ok(v.iter().sum());
    }
    let t = transfer_1d(k, s);
    let mut base: Vec<Vec<BigUint>> = t
        .iter()
        .map(|r| r.iter().map(|&x| BigUint::from(x)).collect())
        .collect();
    let mut acc: Option<Vec<Vec<BigUint>>> = None;
    let mut e = m - 1;
    while e > 0 {
        ctrl.check()?;
        if e & 1 == 1 {
            acc = Some(match acc {
                None => base.clone(),
                Some(a) => mat_mul(&a, &base),
            });
        }
        e >>= 1;
        if e > 0 {
            base = mat_mul(&base, &base);
        }
    }
    Ok(match acc {
        None => BigUint::from(k),
        Some(a) => a.iter().flat_map(|r| r.iter()).sum(),
    })
}

/// Characteristic polynomial `det(λI − M) = λ^k + c_{k-1}λ^{k-1} + … + c_0` of an
/// integer matrix (Faddeev–LeVerrier, exact integer divisions). Returns `[c_0..c_k]`.
fn charpoly(m: &[Vec<BigInt>], ctrl: &Control) -> Result<Vec<BigInt>> {
    let k = m.len();
    let mut c = vec![BigInt::from(0); k + 1];
    c[k] = BigInt::from(1);
    let mut a: Vec<Vec<BigInt>> = vec![vec![BigInt::from(0); k]; k]; // M_0 = 0
    for i in 1..=k {
        // M_i = M · M_{i-1} + c_{k-i+1} I
        let mut next = vec![vec![BigInt::from(0); k]; k];
        for r in 0..k {
            ctrl.check()?;
            for col in 0..k {
                let mut s = BigInt::from(0);
                for l in 0..k {
                    s += &m[r][l] * &a[l][col];
                }
                if r == col {
                    s += &c[k - i + 1];
                }
                next[r][col] = s;
            }
        }
        a = next;
        let mut tr = BigInt::from(0);
        for r in 0..k {
            for l in 0..k {
                tr += &m[r][l] * &a[l][r];
            }
        }
        c[k - i] = -tr / BigInt::from(i);
        ctrl.advance(1);
    }
    Ok(c)
}

/// Generating function `Σ_{m≥0} V_m x^m = N(x) / D(x)` of 1D pooling with window `k`
/// and stride `s` (`V_m`: vertices with `m` windows, `V_0 = 1`). Returns integer
/// coefficients `(N, D)`, constant term first, `D(0) = 1`; `D(x) = det(I − xM)` for
/// the transfer matrix `M`, so the fraction need not be in lowest terms.
pub fn generating_function_1d(
    k: usize,
    s: usize,
    ctrl: &Control,
) -> Result<(Vec<BigInt>, Vec<BigInt>)> {
    if k == 0 || s == 0 {
        return Err(invalid(if k == 0 { "k" } else { "stride" }, "must be >= 1"));
    }
    let t = transfer_1d(k, s);
    let mb: Vec<Vec<BigInt>> = t
        .iter()
        .map(|r| r.iter().map(|&x| BigInt::from(x)).collect())
        .collect();
    let c = charpoly(&mb, ctrl)?;
    // D(x) = x^k p(1/x) = 1 + c_{k-1} x + … + c_0 x^k
    let den: Vec<BigInt> = (0..=k).map(|i| c[k - i].clone()).collect();
    // First k+1 terms V_0..V_k, then N = D · V truncated at degree k.
    let mut v = vec![BigInt::from(1)];
    let mut vec_: Vec<BigInt> = vec![BigInt::from(1); k];
    for _ in 1..=k {
        ctrl.check()?;
        v.push(vec_.iter().sum());
        vec_ = (0..k)
            .map(|p| {
                (0..k)
                    .filter(|&q| t[p][q] == 1)
                    .map(|q| vec_[q].clone())
                    .sum()
            })
            .collect();
    }
    let num: Vec<BigInt> = (0..=k)
        .map(|d| (0..=d).map(|i| &den[i] * &v[d - i]).sum())
        .collect();
    let mut num = num;
    while num.len() > 1 && num.last() == Some(&BigInt::from(0)) {
        num.pop();
    }
    let mut den = den;
    while den.len() > 1 && den.last() == Some(&BigInt::from(0)) {
        den.pop();
    }
    Ok((num, den))
}

/// Linear recurrence of the 1D counts: `V_m = Σ_{i=1}^{r} a_i V_{m-i}` for all
/// `m > k` (from the denominator of [`generating_function_1d`]). Returns `[a_1..a_r]`.
pub fn recurrence_1d(k: usize, s: usize, ctrl: &Control) -> Result<Vec<BigInt>> {
    let (_, den) = generating_function_1d(k, s, ctrl)?;
    Ok(den[1..].iter().map(|c| -c.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_vector_and_matrix_power_agree() {
        let c = Control::new();
        for (k, s) in [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (3, 4), (6, 1)] {
            for m in [1, 2, 3, 7, 64, 129] {
                let n = k + (m - 1) * s;
                assert_eq!(
                    count_1d_with(n, k, s, usize::MAX, &c).unwrap(),
                    count_1d_with(n, k, s, 0, &c).unwrap(),
                    "k={k} s={s} m={m}"
                );
            }
        }
    }
}
