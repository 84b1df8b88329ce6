//! Exact rank over Q of matrices of float64 entries, modulo primes.
//!
//! Every finite float64 is a dyadic rational `m · 2^e`, and `Z[1/2] → F_p` (`p` odd)
//! is a ring homomorphism, so a float matrix maps exactly to `F_p`. Its rank over Q
//! equals its rank modulo all but finitely many primes and is never smaller; the
//! maximum over several random 31-bit primes is the exact rank with overwhelming
//! probability (MATH.md section 3).

use crate::random::Rng;

/// Modular arithmetic with a prime `p < 2^31` (Barrett reduction of 62-bit products).
#[derive(Debug, Clone, Copy)]
pub struct Modp {
    pub p: u64,
    barrett: u64,
}

impl Modp {
    pub fn new(p: u64) -> Self {
        assert!(p > 2 && p < (1 << 31));
        Modp { p, barrett: u64::MAX / p }
    }

    /// `a mod p` for `a < 2^62`.
    #[inline]
    pub fn reduce(&self, a: u64) -> u64 {
        let q = ((a as u128 * self.barrett as u128) >> 64) as u64;
        let mut r = a - q * self.p;
        while r >= self.p {
            r -= self.p;
        }
        r
    }

    #[inline]
    pub fn mul(&self, a: u64, b: u64) -> u64 {
        self.reduce(a * b)
    }

    pub fn pow(&self, mut b: u64, mut e: u64) -> u64 {
        let mut r = 1;
        b %= self.p;
        while e > 0 {
            if e & 1 == 1 {
                r = self.mul(r, b);
            }
            b = self.mul(b, b);
            e >>= 1;
        }
        r
    }

    pub fn inv(&self, a: u64) -> u64 {
        self.pow(a, self.p - 2)
    }

    /// The image of a finite float64 (a dyadic rational) in `F_p`.
    pub fn from_f64(&self, x: f64) -> u64 {
        if x == 0.0 {
            return 0;
        }
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7FF) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, e) = if exp == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp - 1075) };
        let m = mant % self.p;
        let scale = if e >= 0 { self.pow(2, e as u64) } else { self.pow(self.inv(2), (-e) as u64) };
        let v = self.mul(m, scale);
        if x < 0.0 && v != 0 {
            self.p - v
        } else {
            v
        }
    }

    /// Rank of a `rows × cols` matrix over `F_p` (entries `< p`), by elimination in place.
    pub fn rank(&self, a: &mut [u64], rows: usize, cols: usize) -> usize {
        let mut rank = 0;
        for c in 0..cols {
            if rank == rows {
                break;
            }
            let Some(piv) = (rank..rows).find(|&r| a[r * cols + c] != 0) else { continue };
            if piv != rank {
                for k in 0..cols {
                    a.swap(piv * cols + k, rank * cols + k);
                }
            }
            let inv = self.inv(a[rank * cols + c]);
            for k in c..cols {
                a[rank * cols + k] = self.mul(a[rank * cols + k], inv);
            }
            let (head, tail) = a.split_at_mut((rank + 1) * cols);
            let prow = &head[rank * cols..];
            for row in tail.chunks_mut(cols) {
                let f = row[c];
                if f != 0 {
                    let nf = self.p - f;
                    for k in c..cols {
                        row[k] = self.reduce(row[k] + nf * prow[k]);
                    }
                }
            }
            rank += 1;
        }
        rank
    }
}

fn is_prime(n: u64) -> bool {
    if n < 2 || n % 2 == 0 {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 2;
    }
    true
}

/// `count` distinct random primes in `[2^30, 2^31)` drawn from stream `(seed, 0x5052)`.
pub fn random_primes(count: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed, 0x5052);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let c = (1u64 << 30) + rng.below(1 << 30) | 1;
        if is_prime(c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Exact rank of a float64 matrix (row-major) as the maximum of its ranks modulo
/// `primes`; stops early at full rank.
pub fn exact_rank(a: &[f64], rows: usize, cols: usize, primes: &[u64]) -> usize {
    let full = rows.min(cols);
    let mut best = 0;
    let mut buf = vec![0u64; rows * cols];
    for &p in primes {
        let m = Modp::new(p);
        for (b, &x) in buf.iter_mut().zip(a) {
            *b = m.from_f64(x);
        }
        best = best.max(m.rank(&mut buf, rows, cols));
        if best == full {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dyadic_images_are_homomorphic() {
        let m = Modp::new(random_primes(1, 0)[0]);
        // Pairs whose sums and products are exact in float64.
        for (a, b) in [(0.5, 0.25), (-1.25, 0.0625), (3.0, 2f64.powi(-40)), (1e-300, 0.0), (-7.5, -2.0)] {
            let (pa, pb) = (m.from_f64(a), m.from_f64(b));
            assert_eq!(m.from_f64(a + b), (pa + pb) % m.p, "{a} + {b}");
            assert_eq!(m.from_f64(a * b), m.mul(pa, pb), "{a} * {b}");
        }
        assert_eq!(m.from_f64(-1.0), m.p - 1);
        assert_eq!(m.mul(m.from_f64(0.5), 2), 1);
    }

    #[test]
    fn ranks_of_known_matrices() {
        let primes = random_primes(3, 1);
        assert_eq!(exact_rank(&[1.0, 2.0, 2.0, 4.0], 2, 2, &primes), 1);
        assert_eq!(exact_rank(&[1.0, 2.0, 3.0, 4.0], 2, 2, &primes), 2);
        // Rank 1 with tiny entries that a float tolerance would call zero rank.
        assert_eq!(exact_rank(&[1e-200, 0.0, 0.0, 0.0], 2, 2, &primes), 1);
        // 0.1 + 0.2 != 0.3 in floats: rows (0.1, 0.2, 0.3) and (1, 2, 3) are independent
        // over Q because 3 * 0.1 (as dyadics) differs from 0.3.
        let r = exact_rank(&[0.1, 0.2, 0.30000000000000004, 1.0, 2.0, 3.0], 2, 3, &primes);
        assert_eq!(r, 2);
    }
}
