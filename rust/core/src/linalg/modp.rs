//! Exact rank over Q of matrices of float64 entries, modulo primes.
//!
//! Every finite float64 is a dyadic rational `m · 2^e`, and `Z[1/2] → F_p` (`p` odd)
//! is a ring homomorphism, so a float matrix maps exactly to `F_p`. Its rank over Q
//! equals its rank modulo all but finitely many primes and is never larger; the
//! maximum over random primes is the exact rank with overwhelming probability
//! (docs/math.md section 3).
//!
//! Primes are drawn from `[2^25, 2^26)`, so products of residues are below `2^52` and
//! elimination runs in float64 arithmetic, which vectorizes (AVX2/AVX-512 chosen at run
//! time). A prime "fails" for a matrix only if it divides every nonzero maximal minor;
//! an `r`-minor of `b`-bit dyadics has at most `r·(b + log2 r)/25` such prime factors
//! among the ~1.9·10^6 primes of the range. The stopping rule ([`max_rank_over_primes`])
//! returns at once when the rank mod p is full (a certificate, since it cannot exceed
//! the rank over Q); otherwise it needs [`AGREE`] primes reporting the same maximum, so a
//! wrong (too small) answer needs [`AGREE`] independent failures.

use crate::random::Rng;

/// Modular arithmetic with a prime `p < 2^31` (Barrett reduction of 62-bit products);
/// [`Modp::rank_f64`] needs `p < 2^26`.
#[derive(Debug, Clone, Copy)]
pub struct Modp {
    pub p: u64,
    barrett: u64,
}

impl Modp {
    pub fn new(p: u64) -> Self {
        assert!(p > 2 && p < (1 << 31));
        Modp {
            p,
            barrett: u64::MAX / p,
        }
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
        self.from_f64_with(x, &Pow2::new(self))
    }

    /// [`Modp::from_f64`] with a precomputed table of powers of two.
    #[inline]
    pub fn from_f64_with(&self, x: f64, pow2: &Pow2) -> u64 {
        if x == 0.0 {
            return 0;
        }
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7FF) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp - 1075)
        };
        let v = self.mul(mant % self.p, pow2.get(self, e));
        if x < 0.0 && v != 0 {
            self.p - v
        } else {
            v
        }
    }

    /// Rank of a `rows × cols` row-major matrix over `F_p`, its residues stored as
    /// float64 (`p < 2^26`), by Gaussian elimination in float64 arithmetic (exact: every
    /// intermediate is an integer below `2^53`), destroying `a`. `O(rows · cols · rank)`.
    /// Stops early (a meaningless partial rank) when the caller's control asks to
    /// cancel ([`crate::control::cancel_requested`]); callers that run under
    /// `Control::scope` then return the interruption, never that rank.
    pub fn rank_f64(&self, a: &mut [f64], rows: usize, cols: usize) -> usize {
        assert!(self.p < (1 << 26), "float64 elimination needs p < 2^26");
        let (p, pinv) = (self.p as f64, 1.0 / self.p as f64);
        let mut rank = 0;
        for c in 0..cols {
            if rank == rows {
                break;
            }
            let Some(piv) = (rank..rows).find(|&r| a[r * cols + c] != 0.0) else {
                continue;
            };
            if piv != rank {
                for k in c..cols {
                    a.swap(piv * cols + k, rank * cols + k);
                }
            }
            let inv = self.inv(a[rank * cols + c] as u64) as f64;
            let (head, tail) = a.split_at_mut((rank + 1) * cols);
            let prow = &mut head[rank * cols + c..(rank + 1) * cols];
            for x in prow.iter_mut() {
                *x = reduce_f64(*x * inv, p, pinv);
            }
            let prow = &*prow;
            let eliminate = |row: &mut [f64]| {
                let f = row[c];
                if f != 0.0 {
                    axpy_mod(&mut row[c..], prow, p - f, p, pinv);
                }
            };
            // Rows are independent (exact arithmetic): in parallel when large.
            if tail.len() >= 1 << 18 {
                use rayon::prelude::*;
                tail.par_chunks_mut(cols).for_each(eliminate);
            } else {
                tail.chunks_mut(cols).for_each(eliminate);
            }
            rank += 1;
            // Ctrl-C of the caller's `Control::scope` (large eliminations only): the
            // partial rank is returned and discarded by the interrupted call.
            if rank % 8 == 0 && tail.len() >= 1 << 16 && crate::control::cancel_requested() {
                return rank;
            }
        }
        rank
    }
}

/// `2^e mod p` for every float64 exponent `e ∈ [-1074, 971]`, as products of two
/// table entries (`2^(64 h - 1074)` and `2^l`); built with ~100 multiplications.
pub struct Pow2 {
    high: [u64; 32],
    low: [u64; 64],
}

impl Pow2 {
    pub fn new(m: &Modp) -> Self {
        let mut low = [1u64; 64];
        for l in 1..64 {
            low[l] = m.mul(low[l - 1], 2);
        }
        let step = m.mul(low[63], 2); // 2^64
        let mut high = [m.pow(m.inv(2), 1074); 32];
        for h in 1..32 {
            high[h] = m.mul(high[h - 1], step);
        }
        Pow2 { high, low }
    }

    #[inline]
    fn get(&self, m: &Modp, e: i64) -> u64 {
        let k = (e + 1074) as usize;
        m.mul(self.high[k / 64], self.low[k % 64])
    }
}

/// `t mod p` for an integer-valued `0 ≤ t < 2^53` (round-to-nearest quotient, then one
/// correction; branch-free so that loops over it vectorize).
#[inline(always)]
fn reduce_f64(t: f64, p: f64, pinv: f64) -> f64 {
    const MAGIC: f64 = 6755399441055744.0; // 1.5 · 2^52: adding it rounds to an integer
    let q = (t * pinv + MAGIC) - MAGIC;
    let r = t - q * p;
    if r < 0.0 {
        r + p
    } else {
        r
    }
}

#[inline(always)]
fn axpy_mod_generic(row: &mut [f64], prow: &[f64], f: f64, p: f64, pinv: f64) {
    for (x, &y) in row.iter_mut().zip(prow) {
        *x = reduce_f64(*x + f * y, p, pinv);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn axpy_mod_avx512(row: &mut [f64], prow: &[f64], f: f64, p: f64, pinv: f64) {
    axpy_mod_generic(row, prow, f, p, pinv)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_mod_avx2(row: &mut [f64], prow: &[f64], f: f64, p: f64, pinv: f64) {
    axpy_mod_generic(row, prow, f, p, pinv)
}

/// `row ← (row + f · prow) mod p`, elementwise, with the widest vector unit available.
fn axpy_mod(row: &mut [f64], prow: &[f64], f: f64, p: f64, pinv: f64) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports the enabled features (checked just above).
            return unsafe { axpy_mod_avx512(row, prow, f, p, pinv) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: as above.
            return unsafe { axpy_mod_avx2(row, prow, f, p, pinv) };
        }
    }
    axpy_mod_generic(row, prow, f, p, pinv)
}

/// How many primes must report the same (non-full) maximal rank before it is accepted.
pub const AGREE: usize = 3;

/// The maximum of `rank_mod(p)` over `primes`, stopping at `full` (certain: a rank mod
/// p never exceeds the rank over Q) or once [`AGREE`] primes have reported the maximum.
pub fn max_rank_over_primes(
    primes: &[u64],
    full: usize,
    mut rank_mod: impl FnMut(&Modp) -> usize,
) -> usize {
    let (mut best, mut seen) = (0, 0);
    for &p in primes {
        let r = rank_mod(&Modp::new(p));
        if r == full {
            return r;
        }
        if r > best {
            (best, seen) = (r, 1);
        } else if r == best {
            seen += 1;
        }
        if seen >= AGREE {
            break;
        }
    }
    best
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

/// How many random primes the exact rules draw by default (enough for [`AGREE`]
/// agreeing primes after a few failures).
pub const DEFAULT_PRIMES: usize = 6;

/// `count` distinct random primes in `[2^25, 2^26)` drawn from stream `(seed, 0x5052)`.
/// The last answer is cached per thread (batched exact ranks ask for the same primes
/// thousands of times, and trial division costs ~0.1 ms).
pub fn random_primes(count: usize, seed: u64) -> Vec<u64> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(usize, u64, Vec<u64>)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((c, s, v)) if *c == count && *s == seed => v.clone(),
            _ => {
                let v = draw_primes(count, seed);
                *last = Some((count, seed, v.clone()));
                v
            }
        }
    })
}

fn draw_primes(count: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed, 0x5052);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let c = ((1u64 << 25) + rng.below(1 << 25)) | 1;
        if is_prime(c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Exact rank of a float64 matrix (row-major): [`max_rank_over_primes`] of its images.
/// `Err(Cancelled)` when the caller's control asked to stop (Ctrl-C within eight
/// pivots of a large elimination).
pub fn exact_rank(
    a: &[f64],
    rows: usize,
    cols: usize,
    primes: &[u64],
) -> crate::error::Result<usize> {
    let mut buf = vec![0.0; rows * cols];
    let rank = max_rank_over_primes(primes, rows.min(cols), |m| {
        if crate::control::cancel_requested() {
            return 0;
        }
        let pow2 = Pow2::new(m);
        for (b, &x) in buf.iter_mut().zip(a) {
            *b = m.from_f64_with(x, &pow2) as f64;
        }
        m.rank_f64(&mut buf, rows, cols)
    });
    if crate::control::cancel_requested() {
        return Err(crate::error::Error::Cancelled);
    }
    Ok(rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dyadic_images_are_homomorphic() {
        let m = Modp::new(random_primes(1, 0)[0]);
        // Pairs whose sums and products are exact in float64.
        for (a, b) in [
            (0.5, 0.25),
            (-1.25, 0.0625),
            (3.0, 2f64.powi(-40)),
            (1e-300, 0.0),
            (-7.5, -2.0),
        ] {
            let (pa, pb) = (m.from_f64(a), m.from_f64(b));
            assert_eq!(m.from_f64(a + b), (pa + pb) % m.p, "{a} + {b}");
            assert_eq!(m.from_f64(a * b), m.mul(pa, pb), "{a} * {b}");
        }
        assert_eq!(m.from_f64(-1.0), m.p - 1);
        assert_eq!(m.mul(m.from_f64(0.5), 2), 1);
    }

    #[test]
    fn float_kernel_matches_integer_arithmetic() {
        let mut rng = Rng::new(3, 0);
        for &p in random_primes(4, 2)
            .iter()
            .chain(&[(1u64 << 26) - 5, 33554467])
        {
            let m = Modp::new(p);
            let (pf, pinv) = (p as f64, 1.0 / p as f64);
            // Extremes first, then random residues; lengths cover vector tails.
            let mut row: Vec<u64> = vec![0, 1, p - 1, p - 1, p - 2];
            let mut prow: Vec<u64> = vec![p - 1, p - 1, p - 1, 0, p - 1];
            for _ in 0..70 {
                row.push(rng.below(p));
                prow.push(rng.below(p));
            }
            for f in [0, 1, p - 1, rng.below(p)] {
                let want: Vec<u64> = row
                    .iter()
                    .zip(&prow)
                    .map(|(&x, &y)| m.reduce(x + f * y))
                    .collect();
                let mut got: Vec<f64> = row.iter().map(|&x| x as f64).collect();
                let pr: Vec<f64> = prow.iter().map(|&x| x as f64).collect();
                axpy_mod(&mut got, &pr, f as f64, pf, pinv);
                assert_eq!(
                    got.iter().map(|&x| x as u64).collect::<Vec<_>>(),
                    want,
                    "p = {p}, f = {f}"
                );
            }
        }
    }

    #[test]
    fn agreement_rule() {
        let primes = [1, 2, 3, 4, 5, 6].map(|i| random_primes(6, 0)[i - 1]);
        let ranks = |rs: &'static [usize]| {
            let mut it = rs.iter();
            max_rank_over_primes(&primes, 5, |_| *it.next().unwrap())
        };
        assert_eq!(ranks(&[5]), 5);
        assert_eq!(ranks(&[3, 4, 4, 4]), 4);
        assert_eq!(ranks(&[4, 3, 4, 2, 4]), 4);
        assert_eq!(ranks(&[4, 4, 3, 3, 3, 3]), 4);
    }

    #[test]
    fn ranks_of_known_matrices() {
        let primes = random_primes(DEFAULT_PRIMES, 1);
        assert_eq!(exact_rank(&[1.0, 2.0, 2.0, 4.0], 2, 2, &primes).unwrap(), 1);
        assert_eq!(exact_rank(&[1.0, 2.0, 3.0, 4.0], 2, 2, &primes).unwrap(), 2);
        // Rank 1 with tiny entries that a float tolerance would call zero rank.
        assert_eq!(
            exact_rank(&[1e-200, 0.0, 0.0, 0.0], 2, 2, &primes).unwrap(),
            1
        );
        // 0.1 + 0.2 != 0.3 in floats: rows (0.1, 0.2, 0.3) and (1, 2, 3) are independent
        // over Q because 3 * 0.1 (as dyadics) differs from 0.3.
        let r = exact_rank(
            &[0.1, 0.2, 0.30000000000000004, 1.0, 2.0, 3.0],
            2,
            3,
            &primes,
        )
        .unwrap();
        assert_eq!(r, 2);
    }
}
