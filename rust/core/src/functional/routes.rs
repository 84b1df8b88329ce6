//! The routing of every unit for one input (which piece or input each unit passes
//! on), in float64 or decided exactly.

use num_traits::{Signed, Zero};

use super::Route;
use crate::error::{invalid, Result};
use crate::network::{first_max, Activation, Layer, Network};
use crate::regions::exact::lin::{rectify, ExactLayer};
use crate::regions::exact::{ExactLin, ExactNet};

/// The routing of every layer for input `x`, decided in float64.
pub(super) fn routes_float(net: &Network, x: &[f64]) -> Vec<Route> {
    let mut routes: Vec<Route> = Vec::new();
    let mut z = x.to_vec();
    for (l, layer) in net.layers().iter().enumerate() {
        // Only a layer with carried inputs needs its input after the layer.
        let input = if net.carry(l).is_empty() {
            Vec::new()
        } else {
            z.clone()
        };
        match layer {
            Layer::Dense { affine, activation } => {
                let h: Vec<f64> = (0..affine.n_out)
                    .map(|i| affine.row(i).dot(&z) + affine.b[i])
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
        z.extend(net.carry(l).iter().map(|&i| input[i]));
    }
    routes
}

/// The routing of every layer for input `x` (row `row`), decided in exact arithmetic on
/// the float64 inputs; an error names the unit whose pre-activation is exactly 0 (or
/// whose pieces tie), where the Jacobian is not defined.
pub(super) fn routes_exact(enet: &ExactNet, x: &[f64], row: usize) -> Result<Vec<Route>> {
    let on_boundary = |l: usize, u: usize, what: &str| {
        invalid("X", format!("row {row} lies on a region boundary (unit {u} of layer {l}: {what} in exact arithmetic)"))
    };
    let mut routes = Vec::new();
    let mut z = ExactLin::slice(x, &[], &[], 0);
    for (l, layer) in enet.layers.iter().enumerate() {
        let input = if enet.carry[l].is_empty() {
            ExactLin::slice(&[], &[], &[], 0)
        } else {
            z.clone()
        };
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
        z = z.with_rows(&input, &enet.carry[l]);
    }
    Ok(routes)
}
