//! The network model of docs/math.md section 1 and its blocked forward pass.
//!
//! A [`Network`] is a list of hidden [`Layer`]s followed by an affine output layer.
//! Weights are stored row-major in PyTorch's `(out, in)` convention; a maxout layer
//! of `n` units and rank `k` stores its `(n, k, in)` weights as an `(n·k, in)` matrix.
//!
//! **Activation pattern.** Every hidden unit owns a field of `bits` bits in a row of
//! `n_words` little-endian `u64` words: the fields are laid out unit after unit, layer
//! after layer, starting at bit 0 of word 0 (bit `j` of the row is bit `j % 64` of word
//! `j / 64`). A ReLU / leaky-ReLU unit has one bit, `[h > 0]` (exactly 0 is inactive);
//! a maxout unit of rank `k` or a max-pooling unit over `k` inputs stores the index of
//! its maximizing piece in `ceil(log2 k)` bits, ties broken by the lowest index.
//!
//! **Forward pass.** Rows are processed in blocks: per layer one matrix product (faer,
//! sequential; callers parallelize over blocks), then one fused pass that adds the
//! bias, records the pattern bits and applies the activation in place. Cost per block
//! of `r` rows: `O(r · Σ n_l n_{l-1})` flops, `O(r · max n_l)` memory.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::bits::{get_field, index_bits, put_field};
use crate::error::{invalid, Result};

/// An affine map `x ↦ W x + b` with `W` of shape `(n_out, n_in)`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Affine {
    pub w: Vec<f64>,
    pub b: Vec<f64>,
    pub n_out: usize,
    pub n_in: usize,
}

impl Affine {
    /// Check shapes and finiteness; `name` prefixes error messages.
    pub fn new(w: Vec<f64>, b: Vec<f64>, n_out: usize, n_in: usize, name: &str) -> Result<Self> {
        if n_out == 0 || n_in == 0 {
            return Err(invalid(
                name,
                format!("weights must have non-zero shape, got ({n_out}, {n_in})"),
            ));
        }
        if w.len() != n_out * n_in {
            return Err(invalid(
                name,
                format!("weights have {} entries, expected {n_out}*{n_in}", w.len()),
            ));
        }
        if b.len() != n_out {
            return Err(invalid(
                name,
                format!("bias has {} entries, expected {n_out}", b.len()),
            ));
        }
        if w.iter().chain(b.iter()).any(|v| !v.is_finite()) {
            return Err(invalid(
                name,
                "weights and biases must be finite (no NaN or inf)",
            ));
        }
        Ok(Affine { w, b, n_out, n_in })
    }

    /// `out (rows × n_out) = z (rows × n_in) · Wᵀ` (no bias), sequential.
    #[inline]
    fn product(&self, z: &[f64], rows: usize, out: &mut [f64]) {
        let lhs = MatRef::from_row_major_slice(&z[..rows * self.n_in], rows, self.n_in);
        let rhs = MatRef::from_row_major_slice(&self.w, self.n_out, self.n_in).transpose();
        let dst = MatMut::from_row_major_slice_mut(&mut out[..rows * self.n_out], rows, self.n_out);
        matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
    }
}

/// The activation of a hidden affine layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `max(t, 0)`.
    Relu,
    /// `max(t, αt)` with `0 < α < 1`.
    LeakyRelu(f64),
    /// Maxout of rank `k ≥ 2`: each unit is the max of `k` affine pieces.
    Maxout(usize),
}

/// A hidden layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Affine map followed by an activation. For maxout of rank `k`, the affine map
    /// has `units · k` outputs, piece `r` of unit `i` in row `i·k + r`.
    Dense {
        affine: Affine,
        activation: Activation,
    },
    /// Max-pooling: unit `j` is the max of the previous layer's units in `windows[j]`.
    MaxPool {
        windows: Vec<Vec<usize>>,
        n_in: usize,
    },
}

impl Layer {
    /// Number of hidden units (pattern entries) of the layer.
    pub fn units(&self) -> usize {
        match self {
            Layer::Dense {
                affine,
                activation: Activation::Maxout(k),
            } => affine.n_out / k,
            Layer::Dense { affine, .. } => affine.n_out,
            Layer::MaxPool { windows, .. } => windows.len(),
        }
    }

    /// Input dimension of the layer.
    pub fn n_in(&self) -> usize {
        match self {
            Layer::Dense { affine, .. } => affine.n_in,
            Layer::MaxPool { n_in, .. } => *n_in,
        }
    }

    /// Bits per unit in the packed pattern.
    pub fn bits(&self) -> u32 {
        match self {
            Layer::Dense {
                activation: Activation::Maxout(k),
                ..
            } => index_bits(*k),
            Layer::Dense { .. } => 1,
            Layer::MaxPool { windows, .. } => {
                index_bits(windows.iter().map(Vec::len).max().unwrap_or(1))
            }
        }
    }

    /// Width of the scratch buffer the layer needs per row.
    fn scratch(&self) -> usize {
        match self {
            Layer::Dense { affine, .. } => affine.n_out,
            Layer::MaxPool { windows, .. } => windows.len(),
        }
    }
}

/// A feed-forward piecewise-linear network: hidden layers, then an affine output.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    layers: Vec<Layer>,
    output: Affine,
    /// Bit offset of each layer's first unit in the packed pattern.
    offsets: Vec<usize>,
    total_bits: usize,
}

/// Where a layer writes its pattern codes: the packed rows (if kept), their width in
/// words, the layer's first bit and its bits per unit.
struct Codes<'a> {
    patterns: Option<&'a mut [u64]>,
    words: usize,
    offset: usize,
    bits: u32,
}

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

/// ReLU (`slope = 0`) or leaky ReLU of `rows` rows of pre-activations without bias
/// `h` (in place), with their pattern bits.
fn relu_rows(h: &mut [f64], rows: usize, bias: &[f64], slope: f64, out: &mut Codes<'_>) {
    let n = bias.len();
    for r in 0..rows {
        let h = &mut h[r * n..(r + 1) * n];
        match out.patterns.as_deref_mut() {
            Some(p) => bias_sign_activate(
                &mut p[r * out.words..(r + 1) * out.words],
                out.offset,
                h,
                bias,
                slope,
            ),
            None => {
                for (v, &b) in h.iter_mut().zip(bias) {
                    let t = *v + b;
                    *v = if t > 0.0 { t } else { slope * t };
                }
            }
        }
    }
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
    /// Build a network, checking that consecutive layers fit together.
    pub fn new(layers: Vec<Layer>, output: Affine) -> Result<Self> {
        let mut offsets = Vec::with_capacity(layers.len());
        let mut bits = 0usize;
        let mut width = None;
        for (l, layer) in layers.iter().enumerate() {
            let name = format!("layer {l}");
            if let Some(prev) = width {
                if layer.n_in() != prev {
                    return Err(invalid(
                        &name,
                        format!(
                            "expects {} inputs but the previous layer has {prev} units",
                            layer.n_in()
                        ),
                    ));
                }
            }
            match layer {
                Layer::Dense { affine, activation } => match *activation {
                    Activation::LeakyRelu(a) if !(a > 0.0 && a < 1.0) => {
                        return Err(invalid(&name, format!("leaky ReLU slope must be in (0, 1), got {a}")))
                    }
                    Activation::Maxout(k) if k < 2 || affine.n_out % k != 0 => {
                        return Err(invalid(&name, format!("maxout rank must be >= 2 and divide the number of pieces, got k={k}")))
                    }
                    _ => {}
                },
                Layer::MaxPool { windows, n_in } => {
                    crate::maxpool::validate(windows, *n_in).map_err(|e| invalid(&name, e.to_string()))?;
                }
            }
            offsets.push(bits);
            bits += layer.units() * layer.bits() as usize;
            width = Some(layer.units());
        }
        if let Some(prev) = width {
            if output.n_in != prev {
                return Err(invalid(
                    "output layer",
                    format!(
                        "expects {} inputs but the last hidden layer has {prev} units",
                        output.n_in
                    ),
                ));
            }
        }
        Ok(Network {
            layers,
            output,
            offsets,
            total_bits: bits,
        })
    }

    /// The hidden layers.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Bit offset of each hidden layer's first unit in the packed pattern.
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// The output layer.
    pub fn output(&self) -> &Affine {
        &self.output
    }

    /// Input dimension `n_0`.
    pub fn input_dim(&self) -> usize {
        self.layers.first().map_or(self.output.n_in, Layer::n_in)
    }

    /// Output dimension.
    pub fn output_dim(&self) -> usize {
        self.output.n_out
    }

    /// Total number of hidden units (entries of a pattern).
    pub fn n_hidden(&self) -> usize {
        self.layers.iter().map(Layer::units).sum()
    }

    /// Number of `u64` words in a packed pattern (at least 1).
    pub fn n_words(&self) -> usize {
        self.total_bits.div_ceil(64).max(1)
    }

    /// Whether every unit has a one-bit (ReLU / leaky) pattern entry.
    pub fn is_binary(&self) -> bool {
        self.layers.iter().all(|l| {
            matches!(
                l,
                Layer::Dense {
                    activation: Activation::Relu | Activation::LeakyRelu(_),
                    ..
                }
            )
        })
    }

    fn max_scratch(&self) -> usize {
        self.layers
            .iter()
            .map(Layer::scratch)
            .chain([self.output.n_out, self.input_dim()])
            .max()
            .unwrap_or(1)
    }

    /// Evaluate `rows` rows of `x` (row-major, `rows × input_dim`). Writes the packed
    /// patterns (`rows × n_words`) into `patterns` and the outputs (`rows × output_dim`)
    /// into `output` when given. Slices must have exactly those lengths.
    pub fn forward_block(
        &self,
        x: &[f64],
        rows: usize,
        ws: &mut Workspace,
        mut patterns: Option<&mut [u64]>,
        output: Option<&mut [f64]>,
    ) {
        let n0 = self.input_dim();
        debug_assert_eq!(x.len(), rows * n0);
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
        for (layer, &offset) in self.layers.iter().zip(&self.offsets) {
            let input: &[f64] = if cur_is_x { x } else { cur };
            let mut out = Codes {
                patterns: patterns.as_deref_mut(),
                words,
                offset,
                bits: layer.bits(),
            };
            match layer {
                Layer::Dense { affine, activation } => {
                    affine.product(input, rows, next);
                    match *activation {
                        Activation::Relu => relu_rows(next, rows, &affine.b, 0.0, &mut out),
                        Activation::LeakyRelu(a) => relu_rows(next, rows, &affine.b, a, &mut out),
                        Activation::Maxout(k) => maxout_rows(next, rows, &affine.b, k, &mut out),
                    }
                }
                Layer::MaxPool { windows, n_in } => {
                    maxpool_rows(input, next, rows, windows, *n_in, &mut out)
                }
            }
            std::mem::swap(&mut cur, &mut next);
            cur_is_x = false;
        }
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
    }

    /// Decode one packed pattern row into per-unit codes (bit or piece index).
    pub fn decode(&self, packed: &[u64], codes: &mut [u32]) {
        let mut u0 = 0;
        for (layer, &offset) in self.layers.iter().zip(&self.offsets) {
            let bits = layer.bits();
            for u in 0..layer.units() {
                codes[u0 + u] = get_field(packed, offset + u * bits as usize, bits) as u32;
            }
            u0 += layer.units();
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
