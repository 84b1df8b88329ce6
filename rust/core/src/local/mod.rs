//! Local geometry of the activation region of a point (docs/math.md section 2, "Local
//! complexity"): the Euclidean distance from each point to the boundary of its region
//! and the number of unit boundaries within a radius (Hanin & Rolnick's boundary
//! density, linearized at the point).
//!
//! The region of `x` is the polyhedron where every unit keeps its sign or winning
//! piece; each of its constraints is affine on the region, `c(y) = c(x) + ∇c · (y - x)`
//! (a ReLU unit's pre-activation, a maxout unit's winning piece minus another piece, a
//! pooling window's maximum minus another input). The distance from `x` to the boundary
//! of an intersection of half-spaces containing it is the smallest distance to one of
//! their hyperplanes, `min |c(x)| / ‖∇c‖` (redundant constraints are farther), so one
//! forward pass that carries the input Jacobian of every layer gives it in any input
//! dimension. A constraint with `∇c = 0` is no boundary. A unit's distance is the
//! smallest over its constraints; a unit counts as within `r` when that distance is
//! less than `r`.
//!
//! Cost per point: the Jacobian is kept transposed (`d × width`, row-major), so each
//! layer is one product of `d` rows by the layer's weights (`Affine::product`, faer
//! for dense layers), `O(d Σ n_l n_{l-1})` flops; the first layer's Jacobian is its
//! transposed weights, built once per call. Computed in float64.

pub mod dual;
pub mod simplex;

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, probe, try_zeroed, Result};
use crate::network::{first_max, Activation, Affine, Layer, Network, Weights};

/// Points per parallel block (a fixed split: results never depend on the thread count).
const BLOCK: usize = 8;

/// Per point: the distance to the region's boundary, the hidden unit (pattern order) of
/// the nearest boundary (`-1` when there is none: distance `∞`), and the number of units
/// whose boundary is within the radius (when one is given).
#[derive(Debug, Clone, PartialEq)]
pub struct Margins {
    pub distance: Vec<f64>,
    pub unit: Vec<i64>,
    pub within: Vec<u64>,
}

/// [`Margins`] of the `n` rows of `x` (`n × input_dim`); `radius` counts the units whose
/// boundary is within it.
pub fn margins(
    net: &Network,
    x: &[f64],
    n: usize,
    radius: Option<f64>,
    ctrl: &Control,
) -> Result<Margins> {
    let d = net.input_dim();
    if x.len() != n * d {
        return Err(invalid(
            "X",
            format!("expected {} values, got {}", n * d, x.len()),
        ));
    }
    if let Some(r) = radius {
        if !(r > 0.0 && r.is_finite()) {
            return Err(invalid(
                "radius",
                format!("must be finite and > 0, got {r}"),
            ));
        }
    }
    // Each point's working set: its Jacobian before and after a layer (`d × width`),
    // and the `d × d` identity when a pooling or a carry reads the input itself.
    let reads_input = matches!(net.layers().first(), Some(Layer::MaxPool { .. }))
        || (!net.layers().is_empty() && !net.carry(0).is_empty());
    let widest = (0..net.layers().len())
        .map(|l| match &net.layers()[l] {
            Layer::Dense { affine, .. } => net.width(l).max(affine.n_out),
            Layer::MaxPool { .. } => net.width(l),
        })
        .max()
        .unwrap_or(0)
        .max(if reads_input { d } else { 0 });
    probe(
        &[rayon::current_num_threads().max(1), 3, d, widest],
        8,
        "the input Jacobians",
    )?;
    let first = first_jacobian(net)?;
    let mut out: Vec<(f64, i64, u64)> = vec![(f64::INFINITY, -1, 0); n];
    out.par_chunks_mut(BLOCK)
        .enumerate()
        .try_for_each(|(blk, chunk)| {
            ctrl.check()?;
            for (q, slot) in chunk.iter_mut().enumerate() {
                let p = blk * BLOCK + q;
                *slot = point(net, first.as_deref(), &x[p * d..(p + 1) * d], radius);
            }
            ctrl.advance(chunk.len() as u64);
            Ok::<(), crate::error::Error>(())
        })?;
    Ok(Margins {
        distance: out.iter().map(|t| t.0).collect(),
        unit: out.iter().map(|t| t.1).collect(),
        within: out.iter().map(|t| t.2).collect(),
    })
}

/// The first layer's transposed weights (`d × n_out`), when it is affine.
fn first_jacobian(net: &Network) -> Result<Option<Vec<f64>>> {
    let Some(Layer::Dense { affine, .. }) = net.layers().first() else {
        return Ok(None);
    };
    let (n, d) = (affine.n_out, affine.n_in);
    let mut t = try_zeroed::<f64>(&[d, n], "the first layer's input Jacobian")?;
    match &affine.weights {
        Weights::Dense(w) => {
            for i in 0..n {
                for c in 0..d {
                    t[c * n + i] = w[i * d + c];
                }
            }
        }
        Weights::Sparse(s) => {
            for i in 0..n {
                let (cols, vals) = s.row(i);
                for (&c, &v) in cols.iter().zip(vals) {
                    t[c as usize * n + i] = v;
                }
            }
        }
    }
    Ok(Some(t))
}

/// The nearest boundary so far and the count within the radius.
struct Nearest {
    dist: f64,
    unit: i64,
    within: u64,
    radius: f64,
}

impl Nearest {
    /// Unit `u`'s distance (the smallest over its constraints).
    fn unit(&mut self, u: usize, dist: f64) {
        if dist < self.dist {
            self.dist = dist;
            self.unit = u as i64;
        }
        if dist < self.radius {
            self.within += 1;
        }
    }
}

/// `|c| / ‖g‖`, or `∞` when `g = 0` (no boundary).
#[inline]
fn ratio(c: f64, g2: f64) -> f64 {
    if g2 > 0.0 {
        c.abs() / g2.sqrt()
    } else {
        f64::INFINITY
    }
}

/// `‖column a − column b‖²` of a `d × w` row-major matrix.
fn diff_norm2(jt: &[f64], w: usize, a: usize, b: usize) -> f64 {
    jt.chunks_exact(w)
        .map(|r| (r[a] - r[b]) * (r[a] - r[b]))
        .sum()
}

/// The `d × w` matrix of columns `cols` of `jt` (`d × w_in`).
fn columns(jt: &[f64], w_in: usize, cols: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(jt.len() / w_in.max(1) * cols.len());
    for r in jt.chunks_exact(w_in) {
        out.extend(cols.iter().map(|&c| r[c]));
    }
    out
}

/// The margins of one point.
fn point(net: &Network, first: Option<&[f64]>, x: &[f64], radius: Option<f64>) -> (f64, i64, u64) {
    let d = x.len();
    let mut near = Nearest {
        dist: f64::INFINITY,
        unit: -1,
        within: 0,
        radius: radius.unwrap_or(f64::NEG_INFINITY),
    };
    let mut z = x.to_vec();
    // `None`: the identity (the input itself), materialized only when a pooling reads it.
    let mut jt: Option<Vec<f64>> = None;
    let mut u0 = 0usize;
    for (l, layer) in net.layers().iter().enumerate() {
        let w_in = z.len();
        let (next_z, next_jt) = match layer {
            Layer::Dense { affine, activation } => {
                let h = pre_activations(affine, &z);
                // Only the first layer reads the input itself: its Jacobian is `first`.
                let hj = match &jt {
                    Some(j) => {
                        let mut out = vec![0.0; d * affine.n_out];
                        affine.product(j, d, &mut out);
                        out
                    }
                    None => first
                        .expect("a dense first layer has its Jacobian")
                        .to_vec(),
                };
                dense_step(&h, hj, *activation, affine.n_out, u0, &mut near)
            }
            Layer::MaxPool { windows, .. } => {
                let j = jt.take().unwrap_or_else(|| identity(d));
                let mut win = Vec::with_capacity(windows.len());
                for (u, w) in windows.iter().enumerate() {
                    let r = w[first_max(w.iter().map(|&i| z[i])).0];
                    let dist = w
                        .iter()
                        .filter(|&&i| i != r)
                        .map(|&i| ratio(z[r] - z[i], diff_norm2(&j, w_in, r, i)))
                        .fold(f64::INFINITY, f64::min);
                    near.unit(u0 + u, dist);
                    win.push(r);
                }
                let nz: Vec<f64> = win.iter().map(|&i| z[i]).collect();
                let nj = columns(&j, w_in, &win);
                jt = Some(j);
                (nz, nj)
            }
        };
        u0 += layer.units();
        let carry = net.carry(l);
        let (z2, j2) = if carry.is_empty() {
            (next_z, next_jt)
        } else {
            let j_in = jt.take().unwrap_or_else(|| identity(d));
            append_carry(next_z, next_jt, &z, &j_in, w_in, carry)
        };
        z = z2;
        jt = Some(j2);
    }
    (near.dist, near.unit, near.within)
}

fn pre_activations(affine: &Affine, z: &[f64]) -> Vec<f64> {
    (0..affine.n_out)
        .map(|i| affine.row(i).dot(z) + affine.b[i])
        .collect()
}

/// The `d × d` identity.
fn identity(d: usize) -> Vec<f64> {
    let mut m = vec![0.0; d * d];
    for c in 0..d {
        m[c * d + c] = 1.0;
    }
    m
}

/// A dense layer's constraints (its pre-activations `h`, their Jacobian `hj`, `d × n`)
/// and its output values and Jacobian.
fn dense_step(
    h: &[f64],
    mut hj: Vec<f64>,
    activation: Activation,
    n: usize,
    u0: usize,
    near: &mut Nearest,
) -> (Vec<f64>, Vec<f64>) {
    match activation {
        Activation::Relu | Activation::LeakyRelu(_) => {
            let slope = match activation {
                Activation::LeakyRelu(a) => a,
                _ => 0.0,
            };
            let mut g2 = vec![0.0; n];
            for r in hj.chunks_exact(n) {
                for (s, &v) in g2.iter_mut().zip(r) {
                    *s += v * v;
                }
            }
            for i in 0..n {
                near.unit(u0 + i, ratio(h[i], g2[i]));
            }
            let s: Vec<f64> = h
                .iter()
                .map(|&t| if t > 0.0 { 1.0 } else { slope })
                .collect();
            for r in hj.chunks_exact_mut(n) {
                for (v, &si) in r.iter_mut().zip(&s) {
                    *v *= si;
                }
            }
            let z = h.iter().zip(&s).map(|(&t, &si)| si * t).collect();
            (z, hj)
        }
        Activation::Maxout(k) => {
            let units = n / k;
            let mut win = Vec::with_capacity(units);
            for u in 0..units {
                let p = &h[u * k..(u + 1) * k];
                let r = first_max(p.iter().copied()).0;
                let dist = (0..k)
                    .filter(|&q| q != r)
                    .map(|q| ratio(p[r] - p[q], diff_norm2(&hj, n, u * k + r, u * k + q)))
                    .fold(f64::INFINITY, f64::min);
                near.unit(u0 + u, dist);
                win.push(u * k + r);
            }
            let z = win.iter().map(|&i| h[i]).collect();
            (z, columns(&hj, n, &win))
        }
    }
}

/// `[z_out, z_in[carry]]` and the Jacobian with the carried columns appended.
fn append_carry(
    mut z_out: Vec<f64>,
    j_out: Vec<f64>,
    z_in: &[f64],
    j_in: &[f64],
    w_in: usize,
    carry: &[usize],
) -> (Vec<f64>, Vec<f64>) {
    let units = z_out.len();
    z_out.extend(carry.iter().map(|&i| z_in[i]));
    let w = units + carry.len();
    let mut j = Vec::with_capacity(j_in.len() / w_in.max(1) * w);
    for (ro, ri) in j_out
        .chunks_exact(units.max(1))
        .zip(j_in.chunks_exact(w_in))
    {
        j.extend_from_slice(&ro[..units]);
        j.extend(carry.iter().map(|&i| ri[i]));
    }
    (z_out, j)
}
