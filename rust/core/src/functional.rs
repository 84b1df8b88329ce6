//! The parameter Jacobian of a deep network and its batch functional dimension
//! (MATH.md section 4).
//!
//! For inputs `z_1..z_k` off every region boundary the outputs are multilinear in the
//! layers, and the Jacobian of `E_Z(θ) = (F_θ(z_1), …, F_θ(z_k))` follows exactly from
//! the activation pattern: per input, one forward pass records every layer's input and
//! the routing of each unit (ReLU slope 1 or 0, leaky slope 1 or α, maxout winning
//! piece, max-pooling winning input), then one backward pass per output unit.
//!
//! **Layout.** Row `i·n_out + o` is output `o` of input `i`. Columns follow the layers
//! in order, each layer's weights row-major in PyTorch's `(out, in)` layout (maxout:
//! `(units, k, in)`), then its biases; the output layer last. Cost `O(k · n_out · P)`.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, Result};
use crate::network::{Activation, Layer, Network};

/// Number of parameters (weights and biases) of the network, output layer included.
pub fn n_params(net: &Network) -> usize {
    net.layers()
        .iter()
        .map(|l| match l {
            Layer::Dense { affine, .. } => affine.w.len() + affine.b.len(),
            Layer::MaxPool { .. } => 0,
        })
        .sum::<usize>()
        + net.output().w.len()
        + net.output().b.len()
}

enum Route {
    /// Derivative of the activation per unit.
    Slope(Vec<f64>),
    /// Winning piece (row of the affine map) per unit.
    Piece(Vec<usize>),
    /// Winning input per unit.
    Pool(Vec<usize>),
}

/// Write the `n_out` Jacobian rows of one input into `rows` (`n_out × P`).
fn rows_of_input(net: &Network, x: &[f64], rows: &mut [f64]) {
    let p = n_params(net);
    let mut inputs: Vec<Vec<f64>> = Vec::new();
    let mut routes: Vec<Route> = Vec::new();
    let mut z = x.to_vec();
    for layer in net.layers() {
        inputs.push(z.clone());
        match layer {
            Layer::Dense { affine, activation } => {
                let h: Vec<f64> = (0..affine.n_out)
                    .map(|i| {
                        affine.w[i * affine.n_in..(i + 1) * affine.n_in]
                            .iter()
                            .zip(&z)
                            .map(|(a, b)| a * b)
                            .sum::<f64>()
                            + affine.b[i]
                    })
                    .collect();
                match *activation {
                    Activation::Relu | Activation::LeakyRelu(_) => {
                        let a = if let Activation::LeakyRelu(a) = *activation {
                            a
                        } else {
                            0.0
                        };
                        routes.push(Route::Slope(
                            h.iter().map(|&t| if t > 0.0 { 1.0 } else { a }).collect(),
                        ));
                        z = h.iter().map(|&t| if t > 0.0 { t } else { a * t }).collect();
                    }
                    Activation::Maxout(k) => {
                        let units = affine.n_out / k;
                        let mut win = Vec::with_capacity(units);
                        z = (0..units)
                            .map(|u| {
                                let mut best = u * k;
                                for r in u * k + 1..(u + 1) * k {
                                    if h[r] > h[best] {
                                        best = r;
                                    }
                                }
                                win.push(best);
                                h[best]
                            })
                            .collect();
                        routes.push(Route::Piece(win));
                    }
                }
            }
            Layer::MaxPool { windows, .. } => {
                let mut win = Vec::with_capacity(windows.len());
                z = windows
                    .iter()
                    .map(|w| {
                        let mut best = w[0];
                        for &i in &w[1..] {
                            if z[i] > z[best] {
                                best = i;
                            }
                        }
                        win.push(best);
                        z[best]
                    })
                    .collect();
                routes.push(Route::Pool(win));
            }
        }
    }
    // Parameter offsets of each layer.
    let mut offsets = Vec::with_capacity(net.layers().len());
    let mut off = 0;
    for l in net.layers() {
        offsets.push(off);
        if let Layer::Dense { affine, .. } = l {
            off += affine.w.len() + affine.b.len();
        }
    }
    let out = net.output();
    for o in 0..out.n_out {
        let row = &mut rows[o * p..(o + 1) * p];
        row.fill(0.0);
        // Output layer: dF_o/dW_out[o, :] = z_L, dF_o/db_out[o] = 1.
        row[off + o * out.n_in..off + (o + 1) * out.n_in].copy_from_slice(&z);
        row[off + out.w.len() + o] = 1.0;
        let mut g: Vec<f64> = out.w[o * out.n_in..(o + 1) * out.n_in].to_vec();
        for (l, layer) in net.layers().iter().enumerate().rev() {
            let zin = &inputs[l];
            match (layer, &routes[l]) {
                (Layer::Dense { affine, .. }, route) => {
                    // Gradient with respect to the affine outputs (pieces for maxout).
                    let mut delta = vec![0.0; affine.n_out];
                    match route {
                        Route::Slope(s) => delta
                            .iter_mut()
                            .zip(s)
                            .zip(&g)
                            .for_each(|((d, s), g)| *d = s * g),
                        Route::Piece(win) => win.iter().zip(&g).for_each(|(&r, &gu)| delta[r] = gu),
                        Route::Pool(_) => unreachable!("dense layers never pool"),
                    }
                    let base = offsets[l];
                    let n_in = affine.n_in;
                    for (i, &di) in delta.iter().enumerate() {
                        if di != 0.0 {
                            for (c, &zc) in zin.iter().enumerate() {
                                row[base + i * n_in + c] = di * zc;
                            }
                            row[base + affine.w.len() + i] = di;
                        }
                    }
                    let mut gp = vec![0.0; n_in];
                    for (i, &di) in delta.iter().enumerate() {
                        if di != 0.0 {
                            for (c, gc) in gp.iter_mut().enumerate() {
                                *gc += affine.w[i * n_in + c] * di;
                            }
                        }
                    }
                    g = gp;
                }
                (Layer::MaxPool { n_in, .. }, Route::Pool(win)) => {
                    let mut gp = vec![0.0; *n_in];
                    for (&i, &gu) in win.iter().zip(&g) {
                        gp[i] += gu;
                    }
                    g = gp;
                }
                _ => unreachable!("routes follow layers"),
            }
        }
    }
}

/// The Jacobian of the outputs on `k` inputs (`x`: `k × input_dim`) with respect to
/// every parameter: `(k·n_out) × P`, row-major, layout in the module docs.
pub fn parameter_jacobian(net: &Network, x: &[f64], k: usize, ctrl: &Control) -> Result<Vec<f64>> {
    let d = net.input_dim();
    if x.len() != k * d {
        return Err(invalid("X", format!("expected {k} rows of {d} values")));
    }
    let (p, m) = (n_params(net), net.output_dim());
    let mut jac = vec![0.0; k * m * p];
    jac.par_chunks_mut(m * p)
        .enumerate()
        .try_for_each(|(i, rows)| {
            if i % 16 == 0 {
                ctrl.check()?;
            }
            rows_of_input(net, &x[i * d..(i + 1) * d], rows);
            ctrl.advance(1);
            Ok(())
        })?;
    Ok(jac)
}
