//! Affine maps of a cell's coordinates in float, with proven error bounds.
//!
//! A layer's values on a cell are `z = a + B s` (`B` is `n × k`); `err[j]` bounds
//! `|z*_j(s) − z_j(s)|` on the true cell, where `z*` is what exact arithmetic gives. For
//! `h = W z + b` with `m` inputs, `|h*_i − h_i| ≤ Σ_j |w_ij| err_j + γ_{m+1} (|b_i| +
//! Σ_j |w_ij| zb_j)` with `zb_j = |a_j| + ‖B_j‖₁ · extent` ([`tight_err`]); [`cheap_err`]
//! replaces both sums by `‖w_i‖₁` times their largest term (`O(n)` per layer).

use crate::network::{Activation, Affine, Layer, Weights};

const EPS: f64 = f64::EPSILON;
/// A bound of the absolute error of an underflowing product (at most half the smallest
/// subnormal): the smallest *normal* number, so that the error bounds never compute
/// with subnormals (each such product or sum costs a microcode assist, ~100 cycles:
/// with `5e-324` here, `err_from` alone took a quarter of a LeNet walk).
const ETA: f64 = f64::MIN_POSITIVE;

/// The affine map `z = a + B s` of one layer's values on a cell (`B` is `n × k`), with
/// error bounds `err` (empty when not tracked).
#[derive(Debug, Clone, PartialEq)]
pub struct Lin {
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    pub err: Vec<f64>,
}

impl Lin {
    /// Append rows `rows` of `src` (maps of `k` coordinates) with their errors: the
    /// inputs a layer carries past its units (skip connections).
    pub fn extend_rows(&mut self, src: &Lin, rows: &[usize], k: usize) {
        let track = self.err.len() == self.a.len();
        for &i in rows {
            self.a.push(src.a[i]);
            self.b.extend_from_slice(&src.b[i * k..(i + 1) * k]);
            if track {
                self.err.push(src.err.get(i).copied().unwrap_or(0.0));
            }
        }
    }

    /// Append every row of `other`.
    pub fn append(&mut self, other: &Lin) {
        self.a.extend_from_slice(&other.a);
        self.b.extend_from_slice(&other.b);
        self.err.extend_from_slice(&other.err);
    }
}

/// `W z + b` on a cell, as an affine map of `s`: with `z = a + B s` this is
/// `(W a + b) + (W B) s` (the one fused loop, the hot path of every layer). No errors.
pub fn apply(affine: &Affine, z: &Lin, k: usize) -> Lin {
    match k {
        1 => apply_k::<1>(affine, z),
        2 => apply_k::<2>(affine, z),
        3 => apply_k::<3>(affine, z),
        4 => apply_k::<4>(affine, z),
        5 => apply_k::<5>(affine, z),
        6 => apply_k::<6>(affine, z),
        7 => apply_k::<7>(affine, z),
        8 => apply_k::<8>(affine, z),
        _ => apply_dyn(affine, z, k),
    }
}

fn apply_k<const K: usize>(affine: &Affine, z: &Lin) -> Lin {
    match &affine.weights {
        Weights::Dense(w) => apply_dense::<K>(affine, w, z),
        Weights::Sparse(s) => apply_rows::<K, _, _>(affine, z, |i| {
            let (c, v) = s.row(i);
            c.iter().map(|&j| j as usize).zip(v.iter().copied())
        }),
    }
}

/// [`apply_k`] over the `(column, weight)` entries `row(i)` of each row.
#[inline(always)]
fn apply_rows<const K: usize, F, I>(affine: &Affine, z: &Lin, row: F) -> Lin
where
    F: Fn(usize) -> I,
    I: Iterator<Item = (usize, f64)>,
{
    let n = affine.n_out;
    let mut ha = vec![0.0; n];
    let mut hb = vec![0.0; n * K];
    for i in 0..n {
        let mut a = affine.b[i];
        let mut b = [0.0f64; K];
        for (j, wj) in row(i) {
            a += wj * z.a[j];
            let zb = &z.b[j * K..(j + 1) * K];
            for c in 0..K {
                b[c] += wj * zb[c];
            }
        }
        ha[i] = a;
        hb[i * K..(i + 1) * K].copy_from_slice(&b);
    }
    Lin {
        a: ha,
        b: hb,
        err: Vec::new(),
    }
}

/// [`apply_k`] for a dense layer, four rows at a time: each input's `K + 1` values are
/// loaded once for the four rows, and the `4 (K + 1)` sums are independent (the per-row
/// loop waits on one addition chain per coefficient). Inputs that are identically zero
/// (an inactive ReLU unit, a third to a half of them) are skipped: their terms are zeros,
/// so only the sign of a zero result can differ from the full sum. Each row sums its
/// other terms in the order of [`apply_rows`].
fn apply_dense<const K: usize>(affine: &Affine, w: &[f64], z: &Lin) -> Lin {
    const R: usize = 4;
    let (n, m) = (affine.n_out, affine.n_in);
    let mut ha = vec![0.0; n];
    let mut hb = vec![0.0; n * K];
    let (za, zb) = (&z.a[..m], &z.b[..m * K]);
    let nz: Vec<usize> = (0..m)
        .filter(|&j| za[j] != 0.0 || zb[j * K..(j + 1) * K].iter().any(|&x| x != 0.0))
        .collect();
    let blocks = n / R;
    for blk in 0..blocks {
        let i0 = blk * R;
        let rows: [&[f64]; R] = std::array::from_fn(|r| &w[(i0 + r) * m..(i0 + r + 1) * m]);
        let mut a: [f64; R] = std::array::from_fn(|r| affine.b[i0 + r]);
        let mut b = [[0.0f64; K]; R];
        for &j in &nz {
            let zj = za[j];
            let zbj: &[f64; K] = zb[j * K..(j + 1) * K].try_into().expect("K values");
            for r in 0..R {
                let wj = rows[r][j];
                a[r] += wj * zj;
                for c in 0..K {
                    b[r][c] += wj * zbj[c];
                }
            }
        }
        for r in 0..R {
            ha[i0 + r] = a[r];
            hb[(i0 + r) * K..(i0 + r + 1) * K].copy_from_slice(&b[r]);
        }
    }
    for i in blocks * R..n {
        let mut a = affine.b[i];
        let mut b = [0.0f64; K];
        let row = &w[i * m..(i + 1) * m];
        for &j in &nz {
            let wj = row[j];
            a += wj * za[j];
            for c in 0..K {
                b[c] += wj * zb[j * K + c];
            }
        }
        ha[i] = a;
        hb[i * K..(i + 1) * K].copy_from_slice(&b);
    }
    Lin {
        a: ha,
        b: hb,
        err: Vec::new(),
    }
}

/// A dense layer's weights in blocks of four rows stored column by column (entry
/// `(4 t + r, j)` at `(t m + j) 4 + r`): the four rows' weights of one input are one
/// contiguous vector load ([`apply_blocked`]).
pub struct DenseBlocks {
    w: Vec<f64>,
}

impl DenseBlocks {
    /// The blocks of a dense layer; `None` for a sparse one, and for a layer of more
    /// than 2^24 weights (a copy of more than 128 MB: such a layer's products are
    /// bound by memory traffic anyway).
    pub fn of(affine: &Affine) -> Option<Self> {
        let Weights::Dense(w) = &affine.weights else {
            return None;
        };
        let (n, m) = (affine.n_out, affine.n_in);
        if w.len() > 1 << 24 {
            return None;
        }
        let mut out = vec![0.0; (n / 4) * m * 4];
        for t in 0..n / 4 {
            for j in 0..m {
                for r in 0..4 {
                    out[(t * m + j) * 4 + r] = w[(4 * t + r) * m + j];
                }
            }
        }
        Some(DenseBlocks { w: out })
    }
}

/// [`apply`] for a dense layer with its [`DenseBlocks`], bitwise the same maps: every
/// row sums the same terms in the same order (identically zero inputs skipped, each
/// product rounded, then added: no fused multiply-add), eight rows at a time in AVX
/// lanes when the CPU has AVX (the per-row loops otherwise and for the last rows).
pub fn apply_blocked(affine: &Affine, blocks: &DenseBlocks, z: &Lin, k: usize) -> Lin {
    match k {
        1 => apply_blocked_k::<1>(affine, blocks, z),
        2 => apply_blocked_k::<2>(affine, blocks, z),
        3 => apply_blocked_k::<3>(affine, blocks, z),
        4 => apply_blocked_k::<4>(affine, blocks, z),
        _ => apply(affine, z, k),
    }
}

fn apply_blocked_k<const K: usize>(affine: &Affine, blocks: &DenseBlocks, z: &Lin) -> Lin {
    let Weights::Dense(w) = &affine.weights else {
        return apply(affine, z, K);
    };
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        let (n, m) = (affine.n_out, affine.n_in);
        let mut ha = vec![0.0; n];
        let mut hb = vec![0.0; n * K];
        let (za, zb) = (&z.a[..m], &z.b[..m * K]);
        let nz = nonzero_inputs::<K>(za, zb);
        let pairs = n / 8;
        for t in 0..pairs {
            let cols = &blocks.w[2 * t * m * 4..(2 * t + 2) * m * 4];
            let bias: &[f64; 8] = affine.b[8 * t..8 * t + 8].try_into().expect("8 rows");
            // SAFETY: the CPU has AVX (checked above); the kernel checks its indices.
            let (a, b) = unsafe { two_blocks_avx::<K>(cols, m, bias, &nz, za, zb) };
            ha[8 * t..8 * t + 8].copy_from_slice(&a);
            for r in 0..8 {
                for c in 0..K {
                    hb[(8 * t + r) * K + c] = b[c][r];
                }
            }
        }
        for i in 8 * pairs..n {
            let (a, b) = dense_row::<K>(&w[i * m..(i + 1) * m], affine.b[i], &nz, za, zb);
            ha[i] = a;
            hb[i * K..(i + 1) * K].copy_from_slice(&b);
        }
        return Lin {
            a: ha,
            b: hb,
            err: Vec::new(),
        };
    }
    apply(affine, z, K)
}

/// The inputs that are not identically zero (their terms are the only nonzero ones).
#[inline]
fn nonzero_inputs<const K: usize>(za: &[f64], zb: &[f64]) -> Vec<usize> {
    (0..za.len())
        .filter(|&j| za[j] != 0.0 || zb[j * K..(j + 1) * K].iter().any(|&x| x != 0.0))
        .collect()
}

/// One row of a dense product over the inputs `nz`, in their order.
#[inline]
fn dense_row<const K: usize>(
    row: &[f64],
    bias: f64,
    nz: &[usize],
    za: &[f64],
    zb: &[f64],
) -> (f64, [f64; K]) {
    let mut a = bias;
    let mut b = [0.0f64; K];
    for &j in nz {
        let wj = row[j];
        a += wj * za[j];
        for c in 0..K {
            b[c] += wj * zb[j * K + c];
        }
    }
    (a, b)
}

/// Rows `8 t .. 8 t + 8` of a dense product (two blocks of [`DenseBlocks`], `cols`),
/// each row's terms in the order of `nz`: the constant terms and, per coordinate `c`,
/// the slopes, as `([a; 8], [[b_c; 8]; K])`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn two_blocks_avx<const K: usize>(
    cols: &[f64],
    m: usize,
    bias: &[f64; 8],
    nz: &[usize],
    za: &[f64],
    zb: &[f64],
) -> ([f64; 8], [[f64; 8]; K]) {
    use std::arch::x86_64::*;
    // Every index below is checked here once: `nz` is increasing, below `m`.
    assert!(cols.len() == 8 * m && za.len() >= m && zb.len() >= m * K);
    assert!(nz.last().is_none_or(|&j| j < m));
    let (c0, c1) = (cols.as_ptr(), cols.as_ptr().add(4 * m));
    let mut a0 = _mm256_loadu_pd(bias.as_ptr());
    let mut a1 = _mm256_loadu_pd(bias.as_ptr().add(4));
    let mut b0 = [_mm256_setzero_pd(); K];
    let mut b1 = [_mm256_setzero_pd(); K];
    for &j in nz {
        let w0 = _mm256_loadu_pd(c0.add(4 * j));
        let w1 = _mm256_loadu_pd(c1.add(4 * j));
        let x = _mm256_set1_pd(*za.get_unchecked(j));
        a0 = _mm256_add_pd(a0, _mm256_mul_pd(w0, x));
        a1 = _mm256_add_pd(a1, _mm256_mul_pd(w1, x));
        let zj = zb.as_ptr().add(j * K);
        for c in 0..K {
            let y = _mm256_set1_pd(*zj.add(c));
            b0[c] = _mm256_add_pd(b0[c], _mm256_mul_pd(w0, y));
            b1[c] = _mm256_add_pd(b1[c], _mm256_mul_pd(w1, y));
        }
    }
    let mut a = [0.0f64; 8];
    _mm256_storeu_pd(a.as_mut_ptr(), a0);
    _mm256_storeu_pd(a[4..].as_mut_ptr(), a1);
    let mut b = [[0.0f64; 8]; K];
    for c in 0..K {
        _mm256_storeu_pd(b[c].as_mut_ptr(), b0[c]);
        _mm256_storeu_pd(b[c][4..].as_mut_ptr(), b1[c]);
    }
    (a, b)
}

fn apply_dyn(affine: &Affine, z: &Lin, k: usize) -> Lin {
    let n = affine.n_out;
    if is_identity(z, k) {
        // The identity slice of a full-dimensional domain: `W I + b` is `W`, `b` exactly
        // (every other term is a zero), without the `n × k × k` product.
        let mut hb = vec![0.0; n * k];
        for i in 0..n {
            for (j, wj) in affine.row(i).iter() {
                hb[i * k + j] += wj;
            }
        }
        return Lin {
            a: affine.b.clone(),
            b: hb,
            err: Vec::new(),
        };
    }
    let mut ha = vec![0.0; n];
    let mut hb = vec![0.0; n * k];
    // Inputs that are zero on the cell (inactive ReLUs) add only zeros: skipped, the
    // sums are the same.
    let live: Vec<bool> = (0..z.a.len())
        .map(|j| z.a[j] != 0.0 || z.b[j * k..(j + 1) * k].iter().any(|&x| x != 0.0))
        .collect();
    for i in 0..n {
        let b = &mut hb[i * k..(i + 1) * k];
        let mut a = affine.b[i];
        for (j, wj) in affine.row(i).iter() {
            if !live[j] {
                continue;
            }
            a += wj * z.a[j];
            axpy(b, wj, &z.b[j * k..(j + 1) * k]);
        }
        ha[i] = a;
    }
    Lin {
        a: ha,
        b: hb,
        err: Vec::new(),
    }
}

/// `b += w x`, in AVX lanes where the CPU has them (separate multiply and add, no FMA:
/// the same rounding, so bitwise the same sums).
#[inline]
fn axpy(b: &mut [f64], w: f64, x: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX (checked above).
        unsafe { axpy_avx(b, w, x) };
        return;
    }
    for (bc, xc) in b.iter_mut().zip(x) {
        *bc += w * xc;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn axpy_avx(b: &mut [f64], w: f64, x: &[f64]) {
    for (bc, xc) in b.iter_mut().zip(x) {
        *bc += w * xc;
    }
}

/// Whether `z` is the identity map of `R^k` (origin 0, unit directions).
fn is_identity(z: &Lin, k: usize) -> bool {
    z.a.len() == k
        && z.b.len() == k * k
        && z.a.iter().all(|&v| v == 0.0)
        && z.b.chunks(k).enumerate().all(|(j, row)| {
            row.iter()
                .enumerate()
                .all(|(c, &v)| v == if c == j { 1.0 } else { 0.0 })
        })
}

/// `|a_j| + ‖B_j‖₁ ext`: a bound of `|z_j|` on a cell of extent `ext`, per input `j`.
#[inline]
pub fn input_bounds(z: &Lin, k: usize, ext: f64) -> Vec<f64> {
    z.a.iter()
        .zip(z.b.chunks(k.max(1)))
        .map(|(a, b)| a.abs() + b.iter().map(|x| x.abs()).sum::<f64>() * ext)
        .collect()
}

/// `|b_i| + Σ_j |w_ij| zb_j`: a bound of `Σ |terms|` of unit `i`'s value `W z + b`, given
/// the input bounds `zb`. Rounding errors of the computed map are below `~n_in · ε` times it.
#[inline]
pub fn term_bound(affine: &Affine, i: usize, zb: &[f64]) -> f64 {
    affine.b[i].abs()
        + affine
            .row(i)
            .iter()
            .map(|(j, w)| w.abs() * zb[j])
            .sum::<f64>()
}

/// The error bound of unit `i` from `Σ|w_ij| err_j` and its term bound `terms`.
#[inline]
fn err_from(prop: f64, terms: f64, any_term: bool, m: usize, k: usize, ext: f64) -> f64 {
    let c = (m + 2) as f64;
    let under = if any_term {
        c * ETA * (1.0 + k as f64 * ext)
    } else {
        0.0
    };
    (prop + c * EPS * terms + under) * (1.0 + 2.0 * (m + 4) as f64 * EPS)
}

/// Cheap error bounds of `W z + b` for every unit (`row_l1[i] = ‖w_i‖₁`, `zb` from
/// [`input_bounds`], `zerr` the input's errors), computed as a sum of at most `m + 1`
/// rounded terms (`m = n_in` for [`apply`]; more for the walk's incremental
/// updates, whose `zb` also bounds the terms they subtract).
#[inline]
pub fn cheap_err(
    affine: &Affine,
    row_l1: &[f64],
    zb: &[f64],
    zerr: &[f64],
    k: usize,
    ext: f64,
    m: usize,
) -> Vec<f64> {
    let zmax = zb.iter().fold(0.0f64, |a, &b| a.max(b));
    let emax = zerr.iter().fold(0.0f64, |a, &b| a.max(b));
    (0..affine.n_out)
        .map(|i| {
            err_from(
                row_l1[i] * emax,
                affine.b[i].abs() + row_l1[i] * zmax,
                row_l1[i] * zmax > 0.0,
                m,
                k,
                ext,
            )
        })
        .collect()
}

/// The tight error bound of unit `i` of `W z + b` (see the module documentation);
/// `m` as for [`cheap_err`].
#[inline]
pub fn tight_err(
    affine: &Affine,
    i: usize,
    zb: &[f64],
    zerr: &[f64],
    k: usize,
    ext: f64,
    m: usize,
) -> f64 {
    let prop: f64 = affine.row(i).iter().map(|(j, w)| w.abs() * zerr[j]).sum();
    let terms = term_bound(affine, i, zb);
    err_from(prop, terms, terms > affine.b[i].abs(), m, k, ext)
}

/// The error of `slope · h` for a map `h` with error `e` and coefficients `(α, β)`.
#[inline]
pub fn scaled_err(slope: f64, e: f64, alpha: f64, beta: &[f64], ext: f64) -> f64 {
    let mag = alpha.abs() + beta.iter().map(|b| b.abs()).sum::<f64>() * ext;
    (slope.abs() * e + 2.0 * EPS * slope.abs() * mag + ETA * (1.0 + beta.len() as f64 * ext))
        * (1.0 + 4.0 * EPS)
}

/// The error of the difference `p − q` of two maps with errors `ep`, `eq`; `(α, β)` the
/// computed difference.
#[inline]
pub fn diff_err(ep: f64, eq: f64, alpha: f64, beta: &[f64], ext: f64) -> f64 {
    let mag = alpha.abs() + beta.iter().map(|b| b.abs()).sum::<f64>() * ext;
    (ep + eq + 2.0 * EPS * mag) * (1.0 + 4.0 * EPS)
}

/// Whether `α + β·s` is zero up to rounding on a cell of extent `ext`, given the bound
/// `mag` of its terms and the length `n` of the sums that formed it (tolerance mode: such
/// a map is treated as identically zero).
#[inline]
pub fn numerically_zero(alpha: f64, beta: &[f64], ext: f64, mag: f64, n: usize) -> bool {
    alpha.abs() + beta.iter().map(|b| b.abs()).sum::<f64>() * ext
        <= 8.0 * (n + 2) as f64 * f64::EPSILON * mag
}

/// One piece of a max unit: the map, its error, its term bound and its known sign on
/// the cell (`1`: `≥ 0` and not identically zero, `-1`: `≤ 0`, `0`: unknown).
#[derive(Clone, Copy)]
pub struct Piece<'p> {
    pub a: f64,
    pub b: &'p [f64],
    pub err: f64,
    pub mag: f64,
    pub sign: i8,
}

/// The pieces of every unit of a max layer (maxout, max-pooling) on a cell: the rows
/// of one map (the layer input itself for pooling, borrowed; the pieces' maps for
/// maxout), with their term bounds and known signs, and which rows make each unit.
/// Nothing is allocated per piece.
pub struct Pieces<'a> {
    rows: std::borrow::Cow<'a, Lin>,
    /// Term bounds per row (a bound of `Σ |terms|`); empty unless `mags` was asked.
    mag: Vec<f64>,
    /// Known signs per row; empty when unknown.
    signs: Vec<i8>,
    units: Units<'a>,
    k: usize,
}

enum Units<'a> {
    /// Unit `u` is rows `u·q .. u·q + q` (maxout of rank `q`).
    Rank(usize, usize),
    /// Unit `u` is rows `windows[u]` (max-pooling).
    Windows(&'a [Vec<usize>]),
}

impl<'a> Pieces<'a> {
    /// The pieces of `layer` given its input `z` on a cell of dimension `k` and extent
    /// `ext`; `signs` are the known signs of the inputs (pooling layers only, empty when
    /// unknown); term bounds are computed only when `mags` (tolerance mode uses them).
    pub fn new(
        layer: &'a Layer,
        row_l1: &[f64],
        z: &'a Lin,
        signs: Vec<i8>,
        k: usize,
        ext: f64,
        mags: bool,
    ) -> Self {
        match layer {
            Layer::Dense { affine, activation } => {
                let q = match activation {
                    Activation::Maxout(q) => *q,
                    _ => 1,
                };
                let zb = input_bounds(z, k, ext);
                let mut h = apply(affine, z, k);
                h.err = cheap_err(affine, row_l1, &zb, &z.err, k, ext, affine.n_in);
                let mag = if mags {
                    (0..affine.n_out)
                        .map(|i| term_bound(affine, i, &zb))
                        .collect()
                } else {
                    Vec::new()
                };
                Pieces {
                    rows: std::borrow::Cow::Owned(h),
                    mag,
                    signs: Vec::new(),
                    units: Units::Rank(affine.n_out / q, q),
                    k,
                }
            }
            Layer::MaxPool { windows, .. } => Pieces {
                rows: std::borrow::Cow::Borrowed(z),
                mag: if mags {
                    input_bounds(z, k, ext)
                } else {
                    Vec::new()
                },
                signs,
                units: Units::Windows(windows),
                k,
            },
        }
    }

    /// Number of units.
    #[inline]
    pub fn len(&self) -> usize {
        match self.units {
            Units::Rank(n, _) => n,
            Units::Windows(w) => w.len(),
        }
    }

    /// Whether the layer has no unit.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of pieces of unit `u`.
    #[inline(always)]
    pub fn n_pieces(&self, u: usize) -> usize {
        match self.units {
            Units::Rank(_, q) => q,
            Units::Windows(w) => w[u].len(),
        }
    }

    /// The row of piece `r` of unit `u`.
    #[inline(always)]
    pub fn row(&self, u: usize, r: usize) -> usize {
        match self.units {
            Units::Rank(_, q) => u * q + r,
            Units::Windows(w) => w[u][r],
        }
    }

    /// The known sign of piece `r` of unit `u` (`0`: unknown).
    #[inline(always)]
    pub fn sign(&self, u: usize, r: usize) -> i8 {
        self.signs.get(self.row(u, r)).copied().unwrap_or(0)
    }

    /// Whether the known signs of the rows are given.
    #[inline]
    pub fn has_signs(&self) -> bool {
        !self.signs.is_empty()
    }

    /// The known sign of row `i` (`0`: unknown).
    #[inline(always)]
    pub fn row_sign(&self, i: usize) -> i8 {
        self.signs.get(i).copied().unwrap_or(0)
    }

    /// Number of rows (pieces of all units, or the pooled inputs).
    #[inline]
    pub fn n_rows(&self) -> usize {
        self.rows.a.len()
    }

    /// The map of row `i` (a piece of some unit) with its error.
    #[inline]
    pub fn row_map(&self, i: usize) -> (f64, &[f64], f64) {
        let k = self.k;
        (
            self.rows.a[i],
            &self.rows.b[i * k..(i + 1) * k],
            self.rows.err[i],
        )
    }

    /// The number of pieces of unit `u` known to be active (sign `1`) and the first
    /// of them (`0` when none).
    #[inline(always)]
    pub fn active(&self, u: usize) -> (usize, usize) {
        let (mut active, mut first) = (0usize, 0usize);
        for r in 0..self.n_pieces(u) {
            if self.sign(u, r) == 1 {
                if active == 0 {
                    first = r;
                }
                active += 1;
            }
        }
        (active, first)
    }

    /// Piece `r` of unit `u`.
    #[inline(always)]
    pub fn piece(&self, u: usize, r: usize) -> Piece<'_> {
        let (i, k) = (self.row(u, r), self.k);
        Piece {
            a: self.rows.a[i],
            b: &self.rows.b[i * k..(i + 1) * k],
            err: self.rows.err[i],
            mag: self.mag.get(i).copied().unwrap_or(0.0),
            sign: self.signs.get(i).copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Rng;

    /// The column-blocked kernel gives bitwise [`apply`]'s maps, for every unrolled `K`
    /// and row counts that are and are not multiples of eight, with zero inputs.
    #[test]
    fn column_blocked_apply_is_bitwise_apply() {
        let mut rng = Rng::new(9, 0);
        for (n_out, n_in) in [(1, 3), (4, 5), (8, 2), (13, 9), (17, 1), (40, 33)] {
            let w = (0..n_out * n_in).map(|_| rng.normal()).collect();
            let b = (0..n_out).map(|_| rng.normal()).collect();
            let affine = Affine::new(w, b, n_out, n_in, "dense").unwrap();
            let blocks = DenseBlocks::of(&affine).unwrap();
            for k in 1..=5 {
                let mut z = Lin {
                    a: (0..n_in).map(|_| rng.normal()).collect(),
                    b: (0..n_in * k).map(|_| rng.normal()).collect(),
                    err: Vec::new(),
                };
                if n_in > 2 {
                    z.a[1] = 0.0;
                    z.b[k..2 * k].fill(0.0);
                }
                let bits = |l: &Lin| {
                    l.a.iter()
                        .chain(&l.b)
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                };
                let got = apply_blocked(&affine, &blocks, &z, k);
                assert_eq!(
                    bits(&got),
                    bits(&apply(&affine, &z, k)),
                    "{n_out}x{n_in} k={k}"
                );
            }
        }
    }

    /// The blocked dense kernel gives bitwise the per-row sums (the order of every
    /// row's terms is kept), for row counts that are and are not multiples of four and
    /// every unrolled `K`; the per-row reference is the dynamic kernel.
    #[test]
    fn blocked_dense_apply_is_bitwise_the_per_row_sum() {
        let mut rng = Rng::new(7, 0);
        for (n_out, n_in) in [(1, 3), (4, 5), (7, 9), (13, 1), (16, 33)] {
            let w = (0..n_out * n_in).map(|_| rng.normal() * 1e3).collect();
            let b = (0..n_out).map(|_| rng.normal()).collect();
            let affine = Affine::new(w, b, n_out, n_in, "dense").unwrap();
            for k in 1..=8 {
                let z = Lin {
                    a: (0..n_in).map(|_| rng.normal()).collect(),
                    b: (0..n_in * k).map(|_| rng.normal() * 1e-3).collect(),
                    err: Vec::new(),
                };
                let (got, want) = (apply(&affine, &z, k), apply_dyn(&affine, &z, k));
                let bits =
                    |l: &Lin| -> Vec<u64> { l.a.iter().chain(&l.b).map(|x| x.to_bits()).collect() };
                assert_eq!(bits(&got), bits(&want), "n_out={n_out} n_in={n_in} k={k}");
                // Zero inputs are skipped: the same values (a zero's sign may differ).
                let mut zz = z.clone();
                for j in (0..n_in).step_by(2) {
                    zz.a[j] = 0.0;
                    zz.b[j * k..(j + 1) * k].fill(0.0);
                }
                let (got, want) = (apply(&affine, &zz, k), apply_dyn(&affine, &zz, k));
                assert_eq!(got.a, want.a, "zeros n_out={n_out} n_in={n_in} k={k}");
                assert_eq!(got.b, want.b, "zeros n_out={n_out} n_in={n_in} k={k}");
            }
        }
    }
}
