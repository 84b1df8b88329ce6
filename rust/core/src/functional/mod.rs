//! The parameter Jacobian of a deep network and its batch functional dimension
//! (docs/math.md section 4).
//!
//! For inputs `z_1..z_k` off every region boundary the outputs are multilinear in the
//! layers, and the Jacobian of `E_Z(θ) = (F_θ(z_1), …, F_θ(z_k))` follows exactly from
//! the activation pattern: per input, one forward pass records every layer's input and
//! the routing of each unit (ReLU slope 1 or 0, leaky slope 1 or α, maxout winning
//! piece, max-pooling winning input), then one backward pass per output unit.
//!
//! **Layout.** Row `i·n_out + o` is output `o` of input `i`. Columns follow the layers
//! in order, each layer's parameters: a dense layer's weights row-major in PyTorch's
//! `(out, in)` layout (maxout: `(units, k, in)`), then its biases; a sparse layer's
//! non-zeros in storage order, then its biases; a layer with a declared
//! parameterization ([`crate::network::Params`]: a convolution's kernel and bias) its
//! parameters. The output layer comes last. Cost `O(k · n_out · P)`.
//!
//! Files: `routes` (each unit's routing for an input, float or exact), `jacobian`
//! (the forward and backward passes of one input), `arith` (float64 or `F_p`).

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, try_zeroed, Result};

use crate::linalg::modp::{max_rank_over_primes, Pow2};
use crate::network::{Layer, Network};
use crate::regions::exact::ExactNet;

/// Number of parameters (weights and biases) of the network, output layer included.
pub fn n_params(net: &Network) -> usize {
    net.layers()
        .iter()
        .map(|l| match l {
            Layer::Dense { affine, .. } => affine.n_params(),
            Layer::MaxPool { .. } => 0,
        })
        .sum::<usize>()
        + net.output().n_params()
}

mod arith;
mod jacobian;
mod routes;

use arith::{Float, ModP};
use jacobian::jacobian_rows;
use routes::{routes_exact, routes_float};

/// How each unit passes its input on, for one input.
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
    jacobian_rows(net, x, &routes_float(net, x), &Float, rows);
}

/// The exact batch functional dimension (docs/math.md section 4): the rank over Q of the
/// parameter Jacobian at the float64 parameters and inputs (dyadic rationals). The
/// activation routing is decided in exact arithmetic (an input on a region boundary is
/// an error); the Jacobian is built modulo each prime directly from the dyadic inputs by
/// modular forward and backward passes (never from rounded float64 entries), and its
/// rank is [`max_rank_over_primes`] of those images. Never above the rank over Q.
pub fn exact_functional_rank(
    net: &Network,
    x: &[f64],
    k: usize,
    primes: &[u64],
    ctrl: &Control,
) -> Result<usize> {
    let d = net.input_dim();
    if x.len() != k * d {
        return Err(invalid("X", format!("expected {k} rows of {d} values")));
    }
    let enet = ExactNet::new(net);
    let routes: Vec<Vec<Route>> = x
        .par_chunks(d)
        .enumerate()
        .map(|(i, xi)| routes_exact(&enet, xi, i))
        .collect::<Result<_>>()?;
    let (p, m) = (n_params(net), net.output_dim());
    let mut buf = try_zeroed::<f64>(&[k, m, p], "the parameter Jacobian")?;
    let mut failed = None;
    let rank = max_rank_over_primes(primes, (k * m).min(p), |modp| {
        if failed.is_some() {
            return 0;
        }
        let ar = ModP {
            m: modp,
            pow2: Pow2::new(modp),
        };
        let res = buf
            .par_chunks_mut(m * p)
            .enumerate()
            .try_for_each(|(i, rows)| {
                if i % 16 == 0 {
                    ctrl.check()?;
                }
                jacobian_rows(net, &x[i * d..(i + 1) * d], &routes[i], &ar, rows);
                Ok(())
            });
        if let Err(e) = res {
            failed = Some(e);
            return 0;
        }
        // Under the control's scope the elimination stops within 8 pivots on Ctrl-C.
        ctrl.scope(|| modp.rank_f64(&mut buf, k * m, p))
    });
    if let Some(e) = failed {
        return Err(e);
    }
    ctrl.check()?;
    ctrl.advance(k as u64);
    Ok(rank)
}

/// The Jacobian of the outputs on `k` inputs (`x`: `k × input_dim`) with respect to
/// every parameter: `(k·n_out) × P`, row-major, layout in the module docs.
pub fn parameter_jacobian(net: &Network, x: &[f64], k: usize, ctrl: &Control) -> Result<Vec<f64>> {
    let d = net.input_dim();
    if x.len() != k * d {
        return Err(invalid("X", format!("expected {k} rows of {d} values")));
    }
    let (p, m) = (n_params(net), net.output_dim());
    let mut jac = try_zeroed::<f64>(&[k, m, p], "the parameter Jacobian")?;
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
