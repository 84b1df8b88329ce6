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
//!
//! Files: this module (the model and the pattern layout), `affine` (dense and sparse
//! affine maps and their parameterization) and `forward` (the blocked forward pass).

use crate::bits::{get_field, index_bits};

mod affine;
mod forward;
mod homogenize;

pub use affine::{Affine, Csr, Params, Row, Weights};

use crate::error::{invalid, Result};
pub(crate) use forward::first_max;
pub use forward::Workspace;

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
///
/// **Skip connections** (residual blocks) are carried inputs: hidden layer `l` may pass
/// on some of its inputs unchanged, `carry[l]` (indices into its input), appended after
/// its units. Layer `l`'s output (the next layer's input) is `[units; input[carry[l]]]`,
/// of width [`Network::width`]; carried values have no pattern entry and cut nothing.
/// `relu(x + f(x))` is a layer computing `f`'s hidden units that carries `x`, then a
/// layer whose affine map reads both (`[W, I]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    layers: Vec<Layer>,
    /// Per hidden layer, the inputs it passes on after its units (mostly empty).
    carry: Vec<Vec<usize>>,
    output: Affine,
    /// Bit offset of each layer's first unit in the packed pattern.
    offsets: Vec<usize>,
    total_bits: usize,
}

impl Network {
    /// Build a network, checking that consecutive layers fit together.
    pub fn new(layers: Vec<Layer>, output: Affine) -> Result<Self> {
        let carry = vec![Vec::new(); layers.len()];
        Self::with_carry(layers, carry, output)
    }

    /// Build a network whose hidden layer `l` also passes on its inputs `carry[l]`
    /// (skip connections, see the type's docs).
    pub fn with_carry(layers: Vec<Layer>, carry: Vec<Vec<usize>>, output: Affine) -> Result<Self> {
        if carry.len() != layers.len() {
            return Err(invalid(
                "carry",
                format!(
                    "expected one list per hidden layer ({}), got {}",
                    layers.len(),
                    carry.len()
                ),
            ));
        }
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
                            "expects {} inputs but the previous layer has {prev} outputs",
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
            if let Some(&i) = carry[l].iter().find(|&&i| i >= layer.n_in()) {
                return Err(invalid(
                    &format!("carry[{l}]"),
                    format!(
                        "index {i} is out of range for the layer's {} inputs",
                        layer.n_in()
                    ),
                ));
            }
            offsets.push(bits);
            bits += layer.units() * layer.bits() as usize;
            width = Some(layer.units() + carry[l].len());
        }
        if let Some(prev) = width {
            if output.n_in != prev {
                return Err(invalid(
                    "output layer",
                    format!(
                        "expects {} inputs but the last hidden layer has {prev} outputs",
                        output.n_in
                    ),
                ));
            }
        }
        Ok(Network {
            layers,
            carry,
            output,
            offsets,
            total_bits: bits,
        })
    }

    /// The hidden layers.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The inputs hidden layer `l` passes on after its units.
    pub fn carry(&self, l: usize) -> &[usize] {
        &self.carry[l]
    }

    /// Whether some layer carries inputs (a skip connection).
    pub fn has_carry(&self) -> bool {
        self.carry.iter().any(|c| !c.is_empty())
    }

    /// Width of hidden layer `l`'s output: its units, then its carried inputs.
    pub fn width(&self, l: usize) -> usize {
        self.layers[l].units() + self.carry[l].len()
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
