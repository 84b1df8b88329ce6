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
//! in order, each layer's weights row-major in PyTorch's `(out, in)` layout (maxout:
//! `(units, k, in)`), then its biases; the output layer last. Cost `O(k · n_out · P)`.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, Result};
use num_traits::{Signed, Zero};

use crate::linalg::modp::{max_rank_over_primes, Modp, Pow2};
use crate::network::{first_max, Activation, Layer, Network};
use crate::regions::exact::lin::{rectify, ExactLayer};
use crate::regions::exact::{ExactLin, ExactNet};

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

/// The arithmetic of the Jacobian passes: float64, or `F_p` for exact ranks.
trait Arith: Sync {
    type T: Copy + PartialEq;
    fn of(&self, x: f64) -> Self::T;
    fn zero(&self) -> Self::T;
    fn add(&self, a: Self::T, b: Self::T) -> Self::T;
    fn mul(&self, a: Self::T, b: Self::T) -> Self::T;
    /// The value stored in the Jacobian buffer (a residue is stored as a float).
    fn store(&self, a: Self::T) -> f64;
}

struct Float;

impl Arith for Float {
    type T = f64;
    fn of(&self, x: f64) -> f64 {
        x
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn add(&self, a: f64, b: f64) -> f64 {
        a + b
    }
    fn mul(&self, a: f64, b: f64) -> f64 {
        a * b
    }
    fn store(&self, a: f64) -> f64 {
        a
    }
}

/// `F_p` with residues below `2^26` (stored exactly as floats for [`Modp::rank_f64`]).
struct ModP<'a> {
    m: &'a Modp,
    pow2: Pow2,
}

impl Arith for ModP<'_> {
    type T = u64;
    fn of(&self, x: f64) -> u64 {
        self.m.from_f64_with(x, &self.pow2)
    }
    fn zero(&self) -> u64 {
        0
    }
    fn add(&self, a: u64, b: u64) -> u64 {
        let s = a + b;
        if s >= self.m.p {
            s - self.m.p
        } else {
            s
        }
    }
    fn mul(&self, a: u64, b: u64) -> u64 {
        self.m.mul(a, b)
    }
    fn store(&self, a: u64) -> f64 {
        a as f64
    }
}

/// The routing of every layer for input `x`, decided in float64.
fn routes_float(net: &Network, x: &[f64]) -> Vec<Route> {
    let mut routes: Vec<Route> = Vec::new();
    let mut z = x.to_vec();
    for layer in net.layers() {
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
                        let win: Vec<usize> = (0..affine.n_out / k)
                            .map(|u| u * k + first_max(h[u * k..(u + 1) * k].iter().copied()).0)
                            .collect();
                        z = win.iter().map(|&r| h[r]).collect();
                        routes.push(Route::Piece(win));
                    }
                }
            }
            Layer::MaxPool { windows, .. } => {
                let win: Vec<usize> = windows
                    .iter()
                    .map(|w| w[first_max(w.iter().map(|&i| z[i])).0])
                    .collect();
                z = win.iter().map(|&i| z[i]).collect();
                routes.push(Route::Pool(win));
            }
        }
    }
    routes
}

/// The routing of every layer for input `x` (row `row`), decided in exact arithmetic on
/// the float64 inputs; an error names the unit whose pre-activation is exactly 0 (or
/// whose pieces tie), where the Jacobian is not defined.
fn routes_exact(enet: &ExactNet, x: &[f64], row: usize) -> Result<Vec<Route>> {
    let on_boundary = |l: usize, u: usize, what: &str| {
        invalid("X", format!("row {row} lies on a region boundary (unit {u} of layer {l}: {what} in exact arithmetic)"))
    };
    let mut routes = Vec::new();
    let mut z = ExactLin::slice(x, &[], &[], 0);
    for (l, layer) in enet.layers.iter().enumerate() {
        match layer {
            ExactLayer::Dense {
                affine,
                activation: Activation::Maxout(k),
                ..
            } => {
                let h = affine.apply(&z);
                let mut win = Vec::with_capacity(h.len() / k);
                for u in 0..h.len() / k {
                    let mut best = u * k;
                    for r in u * k + 1..(u + 1) * k {
                        match h.a[r].cmp(&h.a[best]) {
                            std::cmp::Ordering::Greater => best = r,
                            std::cmp::Ordering::Equal => {
                                return Err(on_boundary(l, u, "two pieces tie"))
                            }
                            std::cmp::Ordering::Less => {}
                        }
                    }
                    win.push(best);
                }
                z = h.select(win.iter().copied());
                routes.push(Route::Piece(win));
            }
            ExactLayer::Dense {
                affine,
                activation,
                slope,
            } => {
                let h = affine.apply(&z);
                if let Some(u) = (0..h.len()).find(|&u| h.a[u].is_zero()) {
                    return Err(on_boundary(l, u, "the pre-activation is 0"));
                }
                let alpha = if let Activation::LeakyRelu(a) = activation {
                    *a
                } else {
                    0.0
                };
                let on = |u: usize| h.a[u].is_positive();
                routes.push(Route::Slope(
                    (0..h.len())
                        .map(|u| if on(u) { 1.0 } else { alpha })
                        .collect(),
                ));
                z = rectify(&h, on, slope);
            }
            ExactLayer::MaxPool { windows } => {
                let mut win = Vec::with_capacity(windows.len());
                for (u, w) in windows.iter().enumerate() {
                    let mut best = w[0];
                    for &i in &w[1..] {
                        match z.a[i].cmp(&z.a[best]) {
                            std::cmp::Ordering::Greater => best = i,
                            std::cmp::Ordering::Equal => {
                                return Err(on_boundary(l, u, "two inputs of the window tie"))
                            }
                            std::cmp::Ordering::Less => {}
                        }
                    }
                    win.push(best);
                }
                z = z.select(win.iter().copied());
                routes.push(Route::Pool(win));
            }
        }
    }
    Ok(routes)
}

/// Write the `n_out` Jacobian rows of one input into `rows` (`n_out × P`), in the
/// arithmetic `ar`, given the input's routing.
fn jacobian_rows<A: Arith>(net: &Network, x: &[f64], routes: &[Route], ar: &A, rows: &mut [f64]) {
    let p = n_params(net);
    let (inputs, z) = layer_inputs(net, x, routes, ar);
    let offsets = param_offsets(net);
    let out = net.output();
    // The output layer's parameters come last.
    let off = p - out.w.len() - out.b.len();
    for o in 0..out.n_out {
        let row = &mut rows[o * p..(o + 1) * p];
        row.fill(0.0);
        // Output layer: dF_o/dW_out[o, :] = z_L, dF_o/db_out[o] = 1.
        for (r, &zc) in row[off + o * out.n_in..off + (o + 1) * out.n_in]
            .iter_mut()
            .zip(&z)
        {
            *r = ar.store(zc);
        }
        row[off + out.w.len() + o] = ar.store(ar.of(1.0));
        let mut g: Vec<A::T> = out.w[o * out.n_in..(o + 1) * out.n_in]
            .iter()
            .map(|&w| ar.of(w))
            .collect();
        for (l, layer) in net.layers().iter().enumerate().rev() {
            g = backward_layer(layer, &routes[l], &inputs[l], offsets[l], &g, ar, row);
        }
    }
}

/// The input of every hidden layer and the output layer's input, along the routing.
fn layer_inputs<A: Arith>(
    net: &Network,
    x: &[f64],
    routes: &[Route],
    ar: &A,
) -> (Vec<Vec<A::T>>, Vec<A::T>) {
    let mut inputs: Vec<Vec<A::T>> = Vec::with_capacity(routes.len());
    let mut z: Vec<A::T> = x.iter().map(|&v| ar.of(v)).collect();
    for (layer, route) in net.layers().iter().zip(routes) {
        let next = match (layer, route) {
            (Layer::Dense { affine, .. }, route) => {
                let h: Vec<A::T> = (0..affine.n_out)
                    .map(|i| {
                        affine.w[i * affine.n_in..(i + 1) * affine.n_in]
                            .iter()
                            .zip(&z)
                            .fold(ar.of(affine.b[i]), |s, (&w, &zj)| {
                                ar.add(s, ar.mul(ar.of(w), zj))
                            })
                    })
                    .collect();
                match route {
                    Route::Slope(s) => h
                        .iter()
                        .zip(s)
                        .map(|(&t, &s)| ar.mul(ar.of(s), t))
                        .collect(),
                    Route::Piece(win) => win.iter().map(|&r| h[r]).collect(),
                    Route::Pool(_) => unreachable!("dense layers never pool"),
                }
            }
            (Layer::MaxPool { .. }, Route::Pool(win)) => win.iter().map(|&i| z[i]).collect(),
            _ => unreachable!("routes follow layers"),
        };
        inputs.push(std::mem::replace(&mut z, next));
    }
    (inputs, z)
}

/// The offset of each hidden layer's first parameter (weights row-major, then biases).
fn param_offsets(net: &Network) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(net.layers().len());
    let mut off = 0;
    for l in net.layers() {
        offsets.push(off);
        if let Layer::Dense { affine, .. } = l {
            off += affine.w.len() + affine.b.len();
        }
    }
    offsets
}

/// Back-propagate the gradient `g` of one output with respect to `layer`'s outputs:
/// write its parameters' entries (from `base`) into `row` and return the gradient with
/// respect to the layer's input `zin`.
fn backward_layer<A: Arith>(
    layer: &Layer,
    route: &Route,
    zin: &[A::T],
    base: usize,
    g: &[A::T],
    ar: &A,
    row: &mut [f64],
) -> Vec<A::T> {
    let zero = ar.zero();
    match (layer, route) {
        (Layer::Dense { affine, .. }, route) => {
            // Gradient with respect to the affine outputs (pieces for maxout).
            let mut delta = vec![zero; affine.n_out];
            match route {
                Route::Slope(s) => delta
                    .iter_mut()
                    .zip(s)
                    .zip(g)
                    .for_each(|((d, &s), &g)| *d = ar.mul(ar.of(s), g)),
                Route::Piece(win) => win.iter().zip(g).for_each(|(&r, &gu)| delta[r] = gu),
                Route::Pool(_) => unreachable!("dense layers never pool"),
            }
            let n_in = affine.n_in;
            let mut gp = vec![zero; n_in];
            for (i, &di) in delta.iter().enumerate() {
                if di != zero {
                    for (c, &zc) in zin.iter().enumerate() {
                        row[base + i * n_in + c] = ar.store(ar.mul(di, zc));
                    }
                    row[base + affine.w.len() + i] = ar.store(di);
                    for (c, gc) in gp.iter_mut().enumerate() {
                        *gc = ar.add(*gc, ar.mul(ar.of(affine.w[i * n_in + c]), di));
                    }
                }
            }
            gp
        }
        (Layer::MaxPool { n_in, .. }, Route::Pool(win)) => {
            let mut gp = vec![zero; *n_in];
            for (&i, &gu) in win.iter().zip(g) {
                gp[i] = ar.add(gp[i], gu);
            }
            gp
        }
        _ => unreachable!("routes follow layers"),
    }
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
    let mut buf = vec![0.0; k * m * p];
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
        modp.rank_f64(&mut buf, k * m, p)
    });
    if let Some(e) = failed {
        return Err(e);
    }
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
