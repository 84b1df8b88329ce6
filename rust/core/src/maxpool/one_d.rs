//! 1D max-pooling (windows `{js..js+k-1}`): transfer-vector counts, matrix powers,
//! the generating function and the linear recurrence of the counts.

use num_bigint::{BigInt, BigUint};
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{check_budget, invalid, try_with_capacity, Result};

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
    if m == 1 {
        return Ok(BigUint::from(k)); // one window: each of its k inputs wins somewhere
    }
    // The count has at least t log2(k) bits, t = ceil(m / ceil(k/s)) pairwise disjoint
    // windows (their Minkowski sum, a product of t simplices, has k^t vertices, and
    // adding polytopes never loses vertices): refused up front when that cannot be held.
    let t = (m as u64).div_ceil(k.div_ceil(s) as u64);
    let at_least = t.saturating_mul((usize::BITS - 1 - k.leading_zeros()) as u64);
    check_budget(
        at_least / 8,
        &format!("the count itself (at least {at_least} bits: {m} windows of {k} inputs)"),
    )?;
    // Every count at step j is at most k^j: entries grow by at most log2(k) bits per
    // window, which bounds the memory of the next steps before they run.
    let bits_per_step = (usize::BITS - (k - 1).leading_zeros()) as u64;
    if m <= power_above || k > 64 {
        // v[p]: completions of windows j..m-1 when window j's winner has offset p.
        let mut v: Vec<BigUint> = try_with_capacity(k, 0, "the 1D transfer vector")?;
        v.resize(k, BigUint::from(1u8));
        let low = k.saturating_sub(s); // offsets q < low of window j+1 lie in window j
        for step in 1..m {
            if step % 256 == 1 {
                ctrl.check()?;
                // The vector and the next one over the coming 256 steps.
                let bits = v.iter().map(|x| x.bits()).max().unwrap_or(0) + 256 * bits_per_step;
                let bytes = (2 * k as u64).saturating_mul(bits / 8 + 32);
                check_budget(
                    bytes,
                    &format!("the 1D vertex counts ({k} entries of up to {bits} bits)"),
                )?;
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
    let max_bits = |x: &[Vec<BigUint>]| x.iter().flatten().map(|v| v.bits()).max().unwrap_or(0);
    while e > 0 {
        ctrl.check()?;
        // A product's entries have at most the factors' bits plus log2(k) + 1: the
        // three matrices of the next products, bounded before they are formed.
        let bits =
            2 * max_bits(&base) + max_bits(acc.as_deref().unwrap_or(&base)) + 2 * bits_per_step + 2;
        let bytes = (3 * (k * k) as u64).saturating_mul(bits / 8 + 32);
        check_budget(
            bytes,
            &format!("the 1D transfer-matrix powers ({k}x{k} entries of up to {bits} bits)"),
        )?;
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
    // The transfer matrix, then three k x k big-integer matrices in the characteristic
    // polynomial, whose entries have at most k (log2(k) + 1) bits.
    let bits = (k as u64).saturating_mul(usize::BITS as u64 - k.leading_zeros() as u64 + 1);
    let entries = (k as u64).saturating_mul(k as u64);
    let bytes = entries.saturating_mul(4 * 32 + bits / 8);
    check_budget(
        bytes,
        &format!("the {k}x{k} transfer matrix and its characteristic polynomial"),
    )?;
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
