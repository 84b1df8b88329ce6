//! The blocked forward pass: per layer one matrix product, then one fused pass that
//! adds the bias, records the pattern codes and applies the activation in place.

use super::{Activation, Layer, Network};
use crate::bits::put_field;

/// Where a layer writes its pattern codes: the packed rows (if kept), their width in
/// words, the layer's first bit and its bits per unit.
struct Codes<'a> {
    patterns: Option<&'a mut [u64]>,
    words: usize,
    offset: usize,
    bits: u32,
}

/// The most scratch memory one thread's forward pass holds (two buffers).
const MAX_SCRATCH_BYTES: usize = 256 << 20;

impl Codes<'_> {
    /// Write unit `u`'s code of row `r`, if patterns are kept.
    #[inline]
    fn put(&mut self, r: usize, u: usize, code: usize) {
        if let Some(p) = self.patterns.as_deref_mut() {
            let row = &mut p[r * self.words..(r + 1) * self.words];
            put_field(
                row,
                self.offset + u * self.bits as usize,
                self.bits,
                code as u64,
            );
        }
    }
}

/// The first index of the maximum of `values` and the maximum (ties go to the lowest
/// index, the pattern convention).
#[inline]
pub(crate) fn first_max(mut values: impl Iterator<Item = f64>) -> (usize, f64) {
    let mut best = values.next().unwrap_or(f64::NEG_INFINITY);
    let mut arg = 0usize;
    for (q, t) in values.enumerate() {
        if t > best {
            best = t;
            arg = q + 1;
        }
    }
    (arg, best)
}

/// Maxout of rank `k` of `rows` rows of pieces without bias `h`, compacted in place to
/// one value per unit, with the winning pieces as codes.
fn maxout_rows(h: &mut [f64], rows: usize, bias: &[f64], k: usize, out: &mut Codes<'_>) {
    let n = bias.len();
    let units = n / k;
    for r in 0..rows {
        for u in 0..units {
            let src = r * n + u * k;
            let pieces = (0..k).map(|q| h[src + q] + bias[u * k + q]);
            let (arg, best) = first_max(pieces);
            // In-place compaction: the destination index never exceeds the source.
            h[r * units + u] = best;
            out.put(r, u, arg);
        }
    }
}

/// Max-pooling of `rows` rows of `input` (`n_in` wide) over `windows` into `next`, with
/// the winning window positions as codes.
fn maxpool_rows(
    input: &[f64],
    next: &mut [f64],
    rows: usize,
    windows: &[Vec<usize>],
    n_in: usize,
    out: &mut Codes<'_>,
) {
    let units = windows.len();
    for r in 0..rows {
        let row = &input[r * n_in..(r + 1) * n_in];
        for (u, w) in windows.iter().enumerate() {
            let (arg, best) = first_max(w.iter().map(|&i| row[i]));
            next[r * units + u] = best;
            out.put(r, u, arg);
        }
    }
}

/// Scratch buffers of one worker for [`Network::forward_block`].
#[derive(Debug, Default, Clone)]
pub struct Workspace {
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Network {
    fn max_scratch(&self) -> usize {
        self.layers
            .iter()
            .enumerate()
            .map(|(l, layer)| layer.scratch().max(self.width(l)))
            .chain([self.output.n_out, self.input_dim()])
            .max()
            .unwrap_or(1)
    }

    /// Evaluate `rows` rows of `x` (row-major, `rows × input_dim`). Writes the packed
    /// patterns (`rows × n_words`) into `patterns` and the outputs (`rows × output_dim`)
    /// into `output` when given. Slices must have exactly those lengths. Returns the
    /// first row whose last hidden layer has a value that is not finite (the pass
    /// overflowed float64: an `inf` or `NaN` reached it, and the pattern bits computed
    /// from it may be wrong), or `None`.
    ///
    /// Over 80 lines on purpose: the ReLU pass is inline (a helper function was slower).
    pub fn forward_block(
        &self,
        x: &[f64],
        rows: usize,
        ws: &mut Workspace,
        mut patterns: Option<&mut [u64]>,
        output: Option<&mut [f64]>,
    ) -> Option<usize> {
        let n0 = self.input_dim();
        debug_assert_eq!(x.len(), rows * n0);
        // Very wide layers: the scratch of a whole block (two buffers of `rows` times the
        // widest layer) could exceed the memory; evaluate sub-blocks of fewer rows (each
        // row is independent), so the scratch stays under `MAX_SCRATCH_BYTES` per thread.
        let max_rows = (MAX_SCRATCH_BYTES / (16 * self.max_scratch().max(1))).max(1);
        if rows > max_rows {
            let (words, m) = (self.n_words(), self.output_dim());
            let mut patterns = patterns;
            let mut output = output;
            let mut bad = None;
            for r0 in (0..rows).step_by(max_rows) {
                let r = max_rows.min(rows - r0);
                let b = self.forward_block(
                    &x[r0 * n0..(r0 + r) * n0],
                    r,
                    ws,
                    patterns
                        .as_deref_mut()
                        .map(|p| &mut p[r0 * words..(r0 + r) * words]),
                    output.as_deref_mut().map(|o| &mut o[r0 * m..(r0 + r) * m]),
                );
                bad = bad.or(b.map(|b| r0 + b));
            }
            return bad;
        }
        let need = rows * self.max_scratch();
        if ws.a.len() < need {
            ws.a.resize(need, 0.0);
            ws.b.resize(need, 0.0);
        }
        let words = self.n_words();
        if let Some(p) = patterns.as_deref_mut() {
            p.fill(0);
        }
        // `cur` holds the current layer's input; the first layer reads x directly.
        let mut cur_is_x = true;
        let (mut cur, mut next) = (&mut ws.a, &mut ws.b);
        for (l, (layer, &offset)) in self.layers.iter().zip(&self.offsets).enumerate() {
            let input: &[f64] = if cur_is_x { x } else { cur };
            let mut out = Codes {
                patterns: patterns.as_deref_mut(),
                words,
                offset,
                bits: layer.bits(),
            };
            match layer {
                Layer::Dense {
                    affine,
                    activation: Activation::Maxout(k),
                } => {
                    affine.product(input, rows, next);
                    maxout_rows(next, rows, &affine.b, *k, &mut out);
                }
                Layer::Dense { affine, activation } => {
                    affine.product(input, rows, next);
                    let slope = match *activation {
                        Activation::LeakyRelu(a) => a,
                        _ => 0.0,
                    };
                    // The ReLU pass stays inline here: as a separate function (even
                    // `#[inline(always)]`) it ran 9-13% slower (benches/compare.py).
                    let n = affine.n_out;
                    for r in 0..rows {
                        let h = &mut next[r * n..(r + 1) * n];
                        match out.patterns.as_deref_mut() {
                            Some(p) => bias_sign_activate(
                                &mut p[r * words..(r + 1) * words],
                                offset,
                                h,
                                &affine.b,
                                slope,
                            ),
                            None => {
                                for (v, &b) in h.iter_mut().zip(&affine.b) {
                                    let t = *v + b;
                                    *v = if t > 0.0 { t } else { slope * t };
                                }
                            }
                        }
                    }
                }
                Layer::MaxPool { windows, n_in } => {
                    maxpool_rows(input, next, rows, windows, *n_in, &mut out)
                }
            }
            append_carry(
                input,
                layer.n_in(),
                next,
                rows,
                layer.units(),
                &self.carry[l],
            );
            std::mem::swap(&mut cur, &mut next);
            cur_is_x = false;
        }
        // The last hidden layer's values: an overflow anywhere before reaches them as
        // `inf` or `NaN` (an `inf` times any weight is `inf` or `NaN`; a ReLU maps
        // `-inf` to 0, whose bit, inactive, is right).
        let w = self.output.n_in;
        let bad = if cur_is_x {
            None
        } else {
            (0..rows).find(|&r| cur[r * w..(r + 1) * w].iter().any(|v| !v.is_finite()))
        };
        if let Some(out) = output {
            let input: &[f64] = if cur_is_x { x } else { cur };
            self.output.product(input, rows, out);
            let m = self.output.n_out;
            for r in 0..rows {
                for (v, &b) in out[r * m..(r + 1) * m].iter_mut().zip(&self.output.b) {
                    *v += b;
                }
            }
        }
        bad
    }
}

/// Widen `rows` rows of `units` values in `next` (packed) to rows of `units + carry`,
/// the carried inputs (`input` has rows of `n_in`) after the units.
fn append_carry(
    input: &[f64],
    n_in: usize,
    next: &mut [f64],
    rows: usize,
    units: usize,
    carry: &[usize],
) {
    if carry.is_empty() {
        return;
    }
    let w = units + carry.len();
    // Last row first: a row's new place never starts before its old one.
    for r in (0..rows).rev() {
        next.copy_within(r * units..(r + 1) * units, r * w);
        let src = &input[r * n_in..(r + 1) * n_in];
        for (d, &i) in next[r * w + units..(r + 1) * w].iter_mut().zip(carry) {
            *d = src[i];
        }
    }
}

/// Fused pass over one row of a ReLU / leaky layer: `t = h_j + b_j`, record the bit
/// `[t > 0]` at `offset + j`, and store the activation `t > 0 ? t : slope·t` in place.
/// Bits are gathered 64 at a time in a register and written with one `put_field`.
#[inline]
fn bias_sign_activate(p: &mut [u64], offset: usize, h: &mut [f64], b: &[f64], slope: f64) {
    for (c, (hc, bc)) in h.chunks_mut(64).zip(b.chunks(64)).enumerate() {
        let mut acc = 0u64;
        for (j, (v, &bj)) in hc.iter_mut().zip(bc).enumerate() {
            let t = *v + bj;
            let on = t > 0.0;
            acc |= (on as u64) << j;
            *v = if on { t } else { slope * t };
        }
        put_field(p, offset + 64 * c, hc.len() as u32, acc);
    }
}
