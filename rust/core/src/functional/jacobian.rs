//! The Jacobian rows of one input: a forward pass along the routing, then one
//! backward pass per output unit.

use super::arith::Arith;
use super::{n_params, Route};
use crate::network::{Affine, Layer, Network};

/// Write the `n_out` Jacobian rows of one input into `rows` (`n_out × P`), in the
/// arithmetic `ar`, given the input's routing.
pub(super) fn jacobian_rows<A: Arith>(
    net: &Network,
    x: &[f64],
    routes: &[Route],
    ar: &A,
    rows: &mut [f64],
) {
    let p = n_params(net);
    let (inputs, z) = layer_inputs(net, x, routes, ar);
    let offsets = param_offsets(net);
    let out = net.output();
    // The output layer's parameters come last.
    let off = p - out.n_params();
    let zero = ar.zero();
    for o in 0..out.n_out {
        let row = &mut rows[o * p..(o + 1) * p];
        row.fill(0.0);
        let mut delta = vec![zero; out.n_out];
        delta[o] = ar.of(1.0);
        let mut g = affine_backward(out, &delta, &z, off, ar, row);
        for (l, layer) in net.layers().iter().enumerate().rev() {
            let units = layer.units();
            let mut gin = backward_layer(
                layer,
                &routes[l],
                &inputs[l],
                offsets[l],
                &g[..units],
                ar,
                row,
            );
            // Carried inputs pass their gradient straight back.
            for (&i, &gc) in net.carry(l).iter().zip(&g[units..]) {
                gin[i] = ar.add(gin[i], gc);
            }
            g = gin;
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
    for (l, (layer, route)) in net.layers().iter().zip(routes).enumerate() {
        let mut next: Vec<A::T> = match (layer, route) {
            (Layer::Dense { affine, .. }, route) => {
                let h: Vec<A::T> = (0..affine.n_out)
                    .map(|i| {
                        affine.row(i).iter().fold(ar.of(affine.b[i]), |s, (j, w)| {
                            ar.add(s, ar.mul(ar.of(w), z[j]))
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
        next.extend(net.carry(l).iter().map(|&i| z[i]));
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
            off += affine.n_params();
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
            affine_backward(affine, &delta, zin, base, ar, row)
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

/// Back-propagate the gradient `delta` with respect to an affine map's outputs: write
/// the gradients of its parameters (from `base`) into `row` and return the gradient with
/// respect to its input `zin`.
fn affine_backward<A: Arith>(
    affine: &Affine,
    delta: &[A::T],
    zin: &[A::T],
    base: usize,
    ar: &A,
    row: &mut [f64],
) -> Vec<A::T> {
    let zero = ar.zero();
    let mut gp = vec![zero; affine.n_in];
    let params = affine.params.as_ref();
    // With a declared parameterization, entry r's gradient is spread over its parameters.
    let mut acc = vec![zero; params.map_or(0, |p| p.n)];
    let mut put = |r: usize, v: A::T| match params {
        None => row[base + r] = ar.store(v),
        Some(p) => {
            let (cols, coef) = p.coef.row(r);
            for (&q, &c) in cols.iter().zip(coef) {
                acc[q as usize] = ar.add(acc[q as usize], ar.mul(ar.of(c), v));
            }
        }
    };
    let n_entries = affine.n_entries();
    for (i, &di) in delta.iter().enumerate() {
        if di == zero {
            continue;
        }
        let start = affine.row_start(i);
        for (t, (c, w)) in affine.row(i).iter().enumerate() {
            put(start + t, ar.mul(di, zin[c]));
            gp[c] = ar.add(gp[c], ar.mul(ar.of(w), di));
        }
        put(n_entries + i, di);
    }
    if params.is_some() {
        for (q, v) in acc.into_iter().enumerate() {
            row[base + q] = ar.store(v);
        }
    }
    gp
}
