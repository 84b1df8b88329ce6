//! Dyadic rationals: every float64 is `m · 2^e` with integer `m`, so vectors of floats
//! scale to integer vectors exactly (docs/math.md section 2, "Exactness").

use num_bigint::BigInt;
use num_traits::{ToPrimitive, Zero};

/// `x = m · 2^e` exactly, `m` odd (or `(0, 0)` for zero). `x` must be finite.
pub fn decompose(x: f64) -> (i64, i64) {
    if x == 0.0 {
        return (0, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = (bits & ((1u64 << 52) - 1)) as i64;
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1i64 << 52), exp - 1075)
    };
    let tz = m.trailing_zeros() as i64;
    let m = m >> tz;
    (if bits >> 63 == 1 { -m } else { m }, e + tz)
}

/// Integers `n_i` and one exponent `e` with `xs[i] = n_i · 2^e` exactly.
pub fn to_ints(xs: &[f64]) -> (Vec<BigInt>, i64) {
    let parts: Vec<(i64, i64)> = xs.iter().map(|&x| decompose(x)).collect();
    let e = parts
        .iter()
        .filter(|p| p.0 != 0)
        .map(|p| p.1)
        .min()
        .unwrap_or(0);
    let ints = parts
        .iter()
        .map(|&(m, pe)| {
            if m == 0 {
                BigInt::zero()
            } else {
                BigInt::from(m) << ((pe - e) as usize)
            }
        })
        .collect();
    (ints, e)
}

/// `x · 2^e`, without intermediate overflow.
pub fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 && x.is_finite() && x != 0.0 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 && x != 0.0 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e as i32)
}

/// `n · 2^e` rounded to a float (within two ulps).
pub fn to_f64(n: &BigInt, e: i64) -> f64 {
    if n.is_zero() {
        return 0.0;
    }
    let shift = n.bits() as i64 - 64;
    if shift > 0 {
        ldexp((n >> shift as usize).to_f64().unwrap_or(0.0), e + shift)
    } else {
        ldexp(n.to_f64().unwrap_or(0.0), e)
    }
}

/// `n / d` rounded to a float (within two ulps), `d > 0`.
pub fn ratio_to_f64(n: &BigInt, d: &BigInt) -> f64 {
    if n.is_zero() {
        return 0.0;
    }
    let s = 64 + d.bits() as i64 - n.bits() as i64;
    if s > 0 {
        to_f64(&((n << s as usize) / d), -s)
    } else {
        to_f64(&(n / d), 0)
    }
}

/// `gcd(|a|, |b|)`. When one side fits in 64 bits, one remainder of the other by it and
/// a word gcd: `num-bigint`'s binary gcd costs O(bits) big shifts even when one side is
/// small (the usual case after the first pair of a vector).
pub fn gcd(a: &BigInt, b: &BigInt) -> BigInt {
    use num_integer::Integer;
    let (sa, sb) = (a.magnitude(), b.magnitude());
    let word = |small: &num_bigint::BigUint, big: &num_bigint::BigUint| -> Option<BigInt> {
        let s = small.to_u64()?;
        if s == 0 {
            return Some(BigInt::from(big.clone()));
        }
        let r = (big % s).to_u64().unwrap_or(0);
        Some(BigInt::from(s.gcd(&r)))
    };
    if sa.bits() <= 64 {
        if let Some(g) = word(sa, sb) {
            return g;
        }
    }
    if sb.bits() <= 64 {
        if let Some(g) = word(sb, sa) {
            return g;
        }
    }
    BigInt::from(lehmer(sa.clone(), sb.clone()))
}

/// `gcd(a, b)` by Lehmer's method (Knuth, TAOCP 4.5.2, Algorithm L): the quotients of
/// Euclid's algorithm on the leading 63 bits stand for many big steps, applied at once as
/// one 2 x 2 combination. About 5x fewer big operations than the binary gcd of
/// `num-bigint` on the few-hundred-bit vertex rows of the exact cells.
fn lehmer(mut a: num_bigint::BigUint, mut b: num_bigint::BigUint) -> num_bigint::BigUint {
    use num_integer::Integer;
    if a < b {
        std::mem::swap(&mut a, &mut b);
    }
    while b.bits() > 64 {
        let shift = a.bits() - 63;
        let mut x = (&a >> shift).to_u64().unwrap_or(0) as i128;
        let mut y = (&b >> shift).to_u64().unwrap_or(0) as i128;
        let (mut ca, mut cb, mut cc, mut cd) = (1i128, 0i128, 0i128, 1i128);
        while y + cc != 0 && y + cd != 0 {
            let q = (x + ca) / (y + cc);
            if q != (x + cb) / (y + cd) {
                break;
            }
            (ca, cc) = (cc, ca - q * cc);
            (cb, cd) = (cd, cb - q * cd);
            (x, y) = (y, x - q * y);
        }
        if cb == 0 {
            let r = &a % &b;
            a = b;
            b = r;
        } else {
            let (ia, ib) = (BigInt::from(a), BigInt::from(b));
            let na = &ia * ca + &ib * cb;
            let nb = ia * cc + ib * cd;
            a = na.into_parts().1;
            b = nb.into_parts().1;
        }
    }
    if b.is_zero() {
        return a;
    }
    let s = b.to_u64().unwrap_or(1);
    let r = (&a % s).to_u64().unwrap_or(0);
    num_bigint::BigUint::from(s.gcd(&r))
}

/// Divide a homogeneous vector by the gcd of its entries (the last entry stays > 0).
pub fn reduce(v: &mut [BigInt]) {
    let mut g = BigInt::zero();
    for x in v.iter() {
        if !x.is_zero() {
            g = gcd(&g, x);
            if g == BigInt::from(1) {
                return;
            }
        }
    }
    if g > BigInt::from(1) {
        for x in v.iter_mut() {
            *x /= &g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompose_round_trips() {
        for x in [
            1.0,
            -3.5,
            0.1,
            1e-310,
            -5e-324,
            1e300,
            2f64.powi(-40),
            f64::MAX,
        ] {
            let (m, e) = decompose(x);
            assert_eq!(ldexp(m as f64, e), x);
            assert_eq!(to_f64(&BigInt::from(m), e), x);
        }
        let (ints, e) = to_ints(&[0.5, 3.0, 0.0, -0.25]);
        assert_eq!(e, -2);
        assert_eq!(ints, [2, 12, 0, -1].map(BigInt::from));
        assert_eq!(ratio_to_f64(&BigInt::from(1), &BigInt::from(3)), 1.0 / 3.0);
    }

    #[test]
    fn lehmer_gcd_equals_the_binary_gcd() {
        use num_integer::Integer;
        // Products with a planted common factor, sizes 1 to 40 words, and coprime pairs.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut big = |words: usize| -> BigInt {
            let mut x = BigInt::from(next() | 1);
            for _ in 1..words {
                x = (x << 64) + BigInt::from(next());
            }
            x
        };
        for n in 0..400 {
            let (wa, wb, wg) = (1 + n % 13, 1 + n % 7 * 3, n % 5);
            let g = if wg == 0 { BigInt::from(1) } else { big(wg) };
            let (a, b) = (big(wa) * &g, -(big(wb) * &g));
            assert_eq!(gcd(&a, &b), a.gcd(&b), "case {n}");
            assert_eq!(gcd(&b, &a), a.gcd(&b), "case {n} swapped");
        }
        assert_eq!(gcd(&BigInt::zero(), &BigInt::from(-12)), BigInt::from(12));
        let p = BigInt::from(1u8) << 300;
        assert_eq!(
            gcd(&p, &(&p * 3 + (BigInt::from(1u8) << 200))),
            BigInt::from(1u8) << 200
        );
    }
}
