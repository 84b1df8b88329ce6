//! The homogenization of a network: `F(x, t) = t · f(x / t)` for `t > 0`.
//!
//! Every activation (ReLU, leaky ReLU, maxout, max-pooling) is positively homogeneous,
//! so `F` is the network itself with each bias `b` replaced by `b · t`: the new input
//! `t` is appended after `x`, every hidden layer carries it (last, after its own
//! carried inputs), and every affine map reads it in one more column holding its
//! biases (biases become 0). Nothing is rounded: the new weights are the old weights
//! and biases.
//!
//! The pattern of `F` at `(x, t)`, `t > 0`, is the pattern of `f` at `x / t` (same
//! units, same layout), so the activation regions of `f` on all of `R^d` are the
//! cones of `F`'s regions over the open half-space `t > 0` (`regions::space`).

use super::{Affine, Csr, Layer, Network, Weights};
use crate::error::Result;

impl Network {
    /// The homogenized network `F(x, t) = t · f(x / t)` of `d + 1` inputs (see the module
    /// docs); its parameterizations are dropped (it serves region walks only).
    pub fn homogenized(&self) -> Result<Network> {
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                Ok(match layer {
                    Layer::Dense { affine, activation } => Layer::Dense {
                        affine: bias_column(affine, &format!("layer {l}"))?,
                        activation: *activation,
                    },
                    Layer::MaxPool { windows, n_in } => Layer::MaxPool {
                        windows: windows.clone(),
                        n_in: n_in + 1,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let carry = self
            .carry
            .iter()
            .zip(&self.layers)
            .map(|(c, layer)| {
                let mut c = c.clone();
                c.push(layer.n_in());
                c
            })
            .collect();
        Network::with_carry(layers, carry, bias_column(&self.output, "output layer")?)
    }
}

/// `[W, b]` with zero biases: the map `(z, t) ↦ W z + b t`.
fn bias_column(a: &Affine, name: &str) -> Result<Affine> {
    let (n_out, n_in) = (a.n_out, a.n_in);
    let zeros = vec![0.0; n_out];
    match &a.weights {
        Weights::Dense(w) => {
            let mut out = Vec::with_capacity(n_out * (n_in + 1));
            for (row, &b) in w.chunks(n_in.max(1)).take(n_out).zip(&a.b) {
                out.extend_from_slice(&row[..n_in]);
                out.push(b);
            }
            // A map with no inputs has no rows in `w`.
            if n_in == 0 {
                out = a.b.clone();
            }
            Affine::new(out, zeros, n_out, n_in + 1, name)
        }
        Weights::Sparse(s) => {
            let mut ptr = Vec::with_capacity(n_out + 1);
            let mut col = Vec::with_capacity(s.nnz() + n_out);
            let mut val = Vec::with_capacity(s.nnz() + n_out);
            ptr.push(0);
            for i in 0..n_out {
                let (c, v) = s.row(i);
                col.extend_from_slice(c);
                val.extend_from_slice(v);
                if a.b[i] != 0.0 {
                    col.push(n_in as u32);
                    val.push(a.b[i]);
                }
                ptr.push(col.len());
            }
            let csr = Csr::new(ptr, col, val, n_out, n_in + 1, name)?;
            Affine::sparse(csr, zeros, n_out, n_in + 1, name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Activation, Workspace};

    /// `F(x, t) = t f(x / t)`: the patterns agree at `x / t` and the outputs scale by
    /// `t`, for a dense ReLU layer, a sparse leaky layer, maxout and pooling with a
    /// carried input.
    #[test]
    fn homogenized_network_is_t_times_f_of_x_over_t() {
        let dense =
            |w: Vec<f64>, b: Vec<f64>, n_out, n_in| Affine::new(w, b, n_out, n_in, "t").unwrap();
        let l0 = Layer::Dense {
            affine: dense(
                vec![1.0, -2.0, 0.5, 3.0, -1.0, 1.0],
                vec![0.25, -1.0, 2.0],
                3,
                2,
            ),
            activation: Activation::Relu,
        };
        let sp = Csr::new(
            vec![0, 2, 3],
            vec![0, 2, 4],
            vec![1.5, -0.5, 2.0],
            2,
            5,
            "s",
        )
        .unwrap();
        let l1 = Layer::Dense {
            affine: Affine::sparse(sp, vec![-0.5, 0.75], 2, 5, "s").unwrap(),
            activation: Activation::LeakyRelu(0.1),
        };
        let l2 = Layer::Dense {
            affine: dense(
                vec![1.0, 2.0, -1.0, 0.5, 0.0, 1.0, 2.0, -3.0],
                vec![1.0, 0.0, -2.0, 0.5],
                4,
                2,
            ),
            activation: Activation::Maxout(2),
        };
        let l3 = Layer::MaxPool {
            windows: vec![vec![0, 1]],
            n_in: 2,
        };
        let out = dense(vec![2.0, -1.0], vec![0.3], 1, 2);
        let net = Network::with_carry(
            vec![l0, l1, l2, l3],
            vec![vec![0, 1], vec![], vec![], vec![1]],
            out,
        )
        .unwrap();
        let h = net.homogenized().unwrap();
        assert_eq!(h.input_dim(), 3);
        assert_eq!(h.n_words(), net.n_words());
        let mut ws = Workspace::default();
        for (x, t) in [([0.3, -0.7], 0.5), ([-2.0, 1.0], 2.0), ([1.0, 1.0], 1.0)] {
            let xt = [x[0] / t, x[1] / t];
            let (mut pa, mut pb) = (vec![0u64; 1], vec![0u64; 1]);
            let (mut oa, mut ob) = (vec![0.0; 1], vec![0.0; 1]);
            net.forward_block(&xt, 1, &mut ws, Some(&mut pa), Some(&mut oa));
            h.forward_block(&[x[0], x[1], t], 1, &mut ws, Some(&mut pb), Some(&mut ob));
            assert_eq!(pa, pb);
            assert!(
                (oa[0] * t - ob[0]).abs() < 1e-12,
                "{} vs {}",
                oa[0] * t,
                ob[0]
            );
        }
    }
}
