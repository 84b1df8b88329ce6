//! Reuse of a sparse layer's maps between neighbouring cells.
//!
//! The walk computes `h = W z + b` (as maps of the slice coordinates `s`) for every cell
//! that reaches a layer, although cells met one after the other (siblings in the
//! depth-first order) differ in a few input rows only: the units whose side or winning
//! piece changed, often none (a cut whose unit loses its pooling window). Each worker
//! thread keeps the last `(z, h)` of every ReLU layer and reuses `h` when `z` did not
//! change; for a sparse layer (a convolution), where an input row feeds few output
//! rows, it recomputes only the output rows that read the changed inputs.
//! A recomputed row runs the same operations in the same order as [`apply`], and an
//! unchanged row has bitwise equal inputs, so the result is bitwise the one of `apply`:
//! the error bounds, the counts and the order of the regions do not change.
//!
//! Second mechanism, for the parts of one max layer's cell ([`Base`],
//! [`apply_from_base`]): a sparse layer's map updated from a reference part's map on
//! the inputs that differ, two rounded products per changed entry. Not bitwise
//! `apply`'s, so it never goes through the per-thread cache (that would make the maps
//! depend on which thread saw which cell first); its error bounds count the extra
//! terms.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::super::affine::{apply, apply_blocked, DenseBlocks, Lin};
use crate::network::{Affine, Weights};

/// For each input of a sparse layer, the output rows that read it (compressed); for a
/// dense layer nothing (every row reads every input: only an unchanged input is reused).
pub(crate) struct Readers {
    ptr: Vec<usize>,
    rows: Vec<u32>,
    /// The weight of each `(input, reader)` entry of `rows`.
    vals: Vec<f64>,
    dense: bool,
}

impl Readers {
    /// Whether the layer is dense (only an unchanged input is reused).
    pub(crate) fn is_dense(&self) -> bool {
        self.dense
    }

    /// The output rows that read input `j` and their weights (a sparse layer).
    #[inline]
    fn entries(&self, j: usize) -> (&[u32], &[f64]) {
        let r = self.ptr[j]..self.ptr[j + 1];
        (&self.rows[r.clone()], &self.vals[r])
    }
    /// The readers of every input of `affine`.
    pub(crate) fn of(affine: &Affine) -> Option<Readers> {
        let Weights::Sparse(s) = &affine.weights else {
            return Some(Readers {
                ptr: Vec::new(),
                rows: Vec::new(),
                vals: Vec::new(),
                dense: true,
            });
        };
        let mut count = vec![0usize; affine.n_in + 1];
        for &c in &s.col {
            count[c as usize + 1] += 1;
        }
        for j in 0..affine.n_in {
            count[j + 1] += count[j];
        }
        let ptr = count.clone();
        let mut next = count;
        let mut rows = vec![0u32; s.col.len()];
        let mut vals = vec![0.0f64; s.col.len()];
        for i in 0..affine.n_out {
            let (cols, ws) = s.row(i);
            for (&c, &w) in cols.iter().zip(ws) {
                rows[next[c as usize]] = i as u32;
                vals[next[c as usize]] = w;
                next[c as usize] += 1;
            }
        }
        Some(Readers {
            ptr,
            rows,
            vals,
            dense: false,
        })
    }
}

/// A sparse layer's input and map on a reference part of a max layer's cell (the
/// winners decided on the whole cell, a fixed piece for each undecided unit): the
/// maps of the other parts are this map updated where their inputs differ
/// ([`apply_from_base`]). Deterministic: a part's map depends on the reference and
/// the part only, never on which thread met which part first.
pub(crate) struct Base {
    pub z: Lin,
    pub h: Lin,
}

/// `W z + b` for a sparse layer as `base.h` updated for the inputs `d` where `z`
/// differs from `base.z` (bitwise): each reader `i` of such an input `j` gets
/// `h_i − w_ij zbase_j + w_ij z_j` (two rounded products, two roundings of the sum).
/// Not bitwise [`apply`]'s: row `i` is a sum of at most `n_in + 1 + 2 |d|` rounded
/// terms whose absolute values are bounded by the input bounds of `z` plus, on `d`,
/// those of `base.z`; the caller's error bounds use that count and those bounds.
/// `None` when the update would cost more than a quarter of the full product.
pub(crate) fn apply_from_base(
    affine: &Affine,
    readers: &Readers,
    base: &Base,
    z: &Lin,
    k: usize,
) -> Option<(Lin, Vec<usize>)> {
    if readers.dense || base.z.a.len() != z.a.len() || base.h.a.len() != affine.n_out {
        return None;
    }
    let n_in = affine.n_in;
    let same = |j: usize| {
        base.z.a[j].to_bits() == z.a[j].to_bits()
            && base.z.b[j * k..(j + 1) * k]
                .iter()
                .zip(&z.b[j * k..(j + 1) * k])
                .all(|(x, y)| x.to_bits() == y.to_bits())
    };
    let d: Vec<usize> = (0..n_in).filter(|&j| !same(j)).collect();
    let work: usize = d.iter().map(|&j| readers.ptr[j + 1] - readers.ptr[j]).sum();
    if 8 * work > readers.rows.len() {
        return None;
    }
    let mut h = base.h.clone();
    for &j in &d {
        let (rows, ws) = readers.entries(j);
        let (old_a, new_a) = (base.z.a[j], z.a[j]);
        let (old_b, new_b) = (&base.z.b[j * k..(j + 1) * k], &z.b[j * k..(j + 1) * k]);
        for (&i, &w) in rows.iter().zip(ws) {
            let i = i as usize;
            h.a[i] = h.a[i] - w * old_a + w * new_a;
            for ((hb, ob), nb) in h.b[i * k..(i + 1) * k].iter_mut().zip(old_b).zip(new_b) {
                *hb = *hb - w * ob + w * nb;
            }
        }
    }
    Some((h, d))
}

/// A walk's identity for the per-thread caches (a new walk never reads an old entry).
pub(crate) fn next_walk_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

struct Entry {
    walk: u64,
    layer: usize,
    k: usize,
    z: Lin,
    h: Lin,
}

thread_local! {
    static LAST: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// At most this many layers are remembered per thread.
const SLOTS: usize = 8;

/// `W z + b` for layer `layer` of walk `walk` ([`apply`]'s result, bitwise), reusing
/// this thread's last result for that layer when `z` changed in few rows.
pub(crate) fn apply_reusing(
    walk: u64,
    layer: usize,
    affine: &Affine,
    readers: &Readers,
    z: &Lin,
    k: usize,
    blocks: Option<&DenseBlocks>,
) -> Lin {
    let apply = |affine: &Affine, z: &Lin, k: usize| match blocks {
        Some(blocks) => apply_blocked(affine, blocks, z, k),
        None => apply(affine, z, k),
    };
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let slot = last
            .iter()
            .position(|e| e.walk == walk && e.layer == layer && e.k == k);
        let Some(slot) = slot else {
            let h = apply(affine, z, k);
            if last.len() >= SLOTS || last.iter().any(|e| e.walk != walk) {
                last.retain(|e| e.walk == walk);
                if last.len() >= SLOTS {
                    last.remove(0);
                }
            }
            last.push(Entry {
                walk,
                layer,
                k,
                z: z.clone(),
                h: h.clone(),
            });
            return h;
        };
        let e = &mut last[slot];
        let changed: Vec<usize> = (0..affine.n_in)
            .filter(|&j| {
                e.z.a[j].to_bits() != z.a[j].to_bits()
                    || e.z.b[j * k..(j + 1) * k]
                        .iter()
                        .zip(&z.b[j * k..(j + 1) * k])
                        .any(|(x, y)| x.to_bits() != y.to_bits())
            })
            .collect();
        if changed.is_empty() {
            return e.h.clone();
        }
        // The rows that read a changed input; each is recomputed whole, so past half
        // of the rows the full product is as cheap.
        let mut mark = vec![false; affine.n_out];
        let mut rows: Vec<u32> = Vec::new();
        if !readers.dense {
            'scan: for &j in &changed {
                for &i in &readers.rows[readers.ptr[j]..readers.ptr[j + 1]] {
                    if !mark[i as usize] {
                        mark[i as usize] = true;
                        rows.push(i);
                        if 2 * rows.len() >= affine.n_out {
                            break 'scan;
                        }
                    }
                }
            }
        }
        if readers.dense || 2 * rows.len() >= affine.n_out {
            let h = apply(affine, z, k);
            e.z.clone_from(z);
            e.h.clone_from(&h);
            return h;
        }
        for &i in &rows {
            recompute_row(affine, z, k, i as usize, &mut e.h);
        }
        for &j in &changed {
            e.z.a[j] = z.a[j];
            e.z.b[j * k..(j + 1) * k].copy_from_slice(&z.b[j * k..(j + 1) * k]);
        }
        e.h.clone()
    })
}

/// Row `i` of `W z + b` into `h`, with exactly the operations of [`apply`].
#[inline]
fn recompute_row(affine: &Affine, z: &Lin, k: usize, i: usize, h: &mut Lin) {
    match k {
        1 => recompute_row_k::<1>(affine, z, i, h),
        2 => recompute_row_k::<2>(affine, z, i, h),
        3 => recompute_row_k::<3>(affine, z, i, h),
        4 => recompute_row_k::<4>(affine, z, i, h),
        _ => recompute_row_dyn(affine, z, k, i, h),
    }
}

/// [`recompute_row`] with the slice dimension known at compile time.
#[inline]
fn recompute_row_k<const K: usize>(affine: &Affine, z: &Lin, i: usize, h: &mut Lin) {
    let mut a = affine.b[i];
    let mut b = [0.0f64; K];
    for (j, wj) in affine.row(i).iter() {
        a += wj * z.a[j];
        let zb: &[f64; K] = z.b[j * K..(j + 1) * K].try_into().expect("K values");
        for c in 0..K {
            b[c] += wj * zb[c];
        }
    }
    h.a[i] = a;
    h.b[i * K..(i + 1) * K].copy_from_slice(&b);
}

/// [`recompute_row`] for any slice dimension.
fn recompute_row_dyn(affine: &Affine, z: &Lin, k: usize, i: usize, h: &mut Lin) {
    let b = &mut h.b[i * k..(i + 1) * k];
    b.fill(0.0);
    let mut a = affine.b[i];
    for (j, wj) in affine.row(i).iter() {
        a += wj * z.a[j];
        for (bc, zc) in b.iter_mut().zip(&z.b[j * k..(j + 1) * k]) {
            *bc += wj * zc;
        }
    }
    h.a[i] = a;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Csr;
    use crate::random::Rng;

    fn bits(l: &Lin) -> Vec<u64> {
        l.a.iter().chain(&l.b).map(|x| x.to_bits()).collect()
    }

    /// A dense layer: reused only when its input did not change, bitwise `apply`'s.
    #[test]
    fn dense_maps_are_reused_only_when_unchanged() {
        let (n_in, n_out, k) = (6, 5, 2);
        let mut rng = Rng::new(4, 0);
        let w = (0..n_in * n_out).map(|_| rng.normal()).collect();
        let b = (0..n_out).map(|_| rng.normal()).collect();
        let affine = Affine::new(w, b, n_out, n_in, "dense").unwrap();
        let readers = Readers::of(&affine).unwrap();
        assert!(readers.is_dense());
        let walk = next_walk_id();
        let mut z = Lin {
            a: (0..n_in).map(|_| rng.normal()).collect(),
            b: (0..n_in * k).map(|_| rng.normal()).collect(),
            err: Vec::new(),
        };
        for step in 0..20 {
            if step % 3 == 0 {
                z.a[step % n_in] = rng.normal();
            }
            let got = apply_reusing(walk, 0, &affine, &readers, &z, k, None);
            assert_eq!(bits(&got), bits(&apply(&affine, &z, k)), "step={step}");
        }
    }

    /// Maps updated from a reference (`apply_from_base`) stay within the (tight) error
    /// bound that counts `2 |d|` more terms and the reference's input bounds on `d`
    /// (without the latter it fails: the subtracted products' rounding is missed): against
    /// the exact value (integers of mixed scales, so that the float sums round, summed
    /// exactly in `i128`), over many random updates.
    #[test]
    fn maps_updated_from_a_reference_are_within_their_error_bound() {
        use super::super::super::affine::{input_bounds, tight_err};
        let (n_in, n_out, k) = (30, 24, 2);
        let mut rng = Rng::new(7, 0);
        let int = |rng: &mut Rng| -> f64 {
            let v = rng.below(7) as f64 - 3.0;
            v * 2f64.powi([0, 25, 50][rng.below(3) as usize])
        };
        let (mut ptr, mut col, mut val) = (vec![0], Vec::new(), Vec::new());
        for i in 0..n_out {
            for j in (i..i + 6).map(|j| j % n_in) {
                col.push(j as u32);
                val.push(int(&mut rng));
            }
            let (lo, hi) = (ptr[i], col.len());
            let mut row: Vec<(u32, f64)> = col[lo..hi]
                .iter()
                .copied()
                .zip(val[lo..hi].iter().copied())
                .collect();
            row.sort_by_key(|e| e.0);
            for (t, (c, v)) in row.into_iter().enumerate() {
                col[lo + t] = c;
                val[lo + t] = v;
            }
            ptr.push(col.len());
        }
        let csr = Csr::new(ptr, col, val, n_out, n_in, "w").unwrap();
        let b: Vec<f64> = (0..n_out).map(|_| int(&mut rng)).collect();
        let affine = Affine::sparse(csr, b, n_out, n_in, "layer").unwrap();
        let readers = Readers::of(&affine).unwrap();
        let lin = |rng: &mut Rng| Lin {
            a: (0..n_in).map(|_| int(rng)).collect(),
            b: (0..n_in * k).map(|_| int(rng)).collect(),
            err: vec![0.0; n_in],
        };
        let exact = |z: &Lin, i: usize, c: Option<usize>| -> i128 {
            let mut s = match c {
                None => affine.b[i] as i128,
                Some(_) => 0,
            };
            for (j, w) in affine.row(i).iter() {
                let x = match c {
                    None => z.a[j],
                    Some(c) => z.b[j * k + c],
                };
                s += w as i128 * x as i128;
            }
            s
        };
        let mut used = 0;
        for _ in 0..200 {
            let zbase = lin(&mut rng);
            let base = Base {
                h: apply(&affine, &zbase, k),
                z: zbase.clone(),
            };
            let mut z = zbase.clone();
            for _ in 0..1 + rng.below(2) {
                let j = rng.below(n_in as u64) as usize;
                z.a[j] = int(&mut rng);
                for c in 0..k {
                    z.b[j * k + c] = int(&mut rng);
                }
            }
            let Some((h, d)) = apply_from_base(&affine, &readers, &base, &z, k) else {
                continue;
            };
            used += 1;
            let ext = 1.0;
            let mut zb = input_bounds(&z, k, ext);
            for &j in &d {
                zb[j] += zbase.a[j].abs()
                    + zbase.b[j * k..(j + 1) * k]
                        .iter()
                        .map(|x| x.abs())
                        .sum::<f64>();
            }
            for i in 0..n_out {
                let err = tight_err(&affine, i, &zb, &z.err, k, ext, n_in + 2 * d.len());
                let mut dev = (h.a[i] as i128 - exact(&z, i, None)).abs() as f64;
                for c in 0..k {
                    dev += (h.b[i * k + c] as i128 - exact(&z, i, Some(c))).abs() as f64;
                }
                assert!(dev <= err, "row {i}: {dev} > {err}");
            }
        }
        assert!(used > 100, "{used}");
    }

    /// A banded sparse layer fed a sequence of inputs that change in a few rows at a
    /// time (and sometimes in most): every result is bitwise `apply`'s, for k = 2
    /// (the const-generic kernel) and k = 11 (the dynamic one).
    #[test]
    fn reused_maps_are_bitwise_those_of_apply() {
        let (n_in, n_out) = (40, 30);
        let mut rng = Rng::new(3, 0);
        let (mut ptr, mut col, mut val) = (vec![0], Vec::new(), Vec::new());
        for i in 0..n_out {
            for j in i..(i + 5).min(n_in) {
                col.push(j as u32);
                val.push(rng.normal());
            }
            ptr.push(col.len());
        }
        let csr = Csr::new(ptr, col, val, n_out, n_in, "w").unwrap();
        let b = (0..n_out).map(|_| rng.normal()).collect();
        let affine = Affine::sparse(csr, b, n_out, n_in, "layer").unwrap();
        let readers = Readers::of(&affine).unwrap();
        for k in [2usize, 11] {
            let walk = next_walk_id();
            let mut z = Lin {
                a: (0..n_in).map(|_| rng.normal()).collect(),
                b: (0..n_in * k).map(|_| rng.normal()).collect(),
                err: Vec::new(),
            };
            for step in 0..50 {
                let changes = if step % 7 == 6 { n_in } else { 1 + step % 3 };
                for _ in 0..changes {
                    let j = rng.below(n_in as u64) as usize;
                    z.a[j] = rng.normal();
                    z.b[j * k] = if step % 5 == 0 { -0.0 } else { rng.normal() };
                }
                let got = apply_reusing(walk, 1, &affine, &readers, &z, k, None);
                assert_eq!(
                    bits(&got),
                    bits(&apply(&affine, &z, k)),
                    "k={k} step={step}"
                );
            }
        }
    }
}
