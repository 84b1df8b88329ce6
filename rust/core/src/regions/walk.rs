//! The depth-first walk over layers (float path with filtered predicates).
//!
//! A cell carries the affine map `z = a + B s` of the current layer's input (with error
//! bounds). A ReLU layer first classifies every unit's hyperplane against the whole cell,
//! then cuts by the units that cut it recursively (lower side first, the two sides in
//! parallel with `rayon::join`); each part records the side it lies on, so the pattern is
//! read off the cuts, never re-evaluated. A max unit keeps, for each piece `r`, the part
//! where `p_r ≥ p_q` for every other piece `q` (ties go to the lowest index). Each finished
//! part descends to the next layer. Whenever a sign is undecided, the cell is redone from
//! that layer on in exact arithmetic ([`crate::regions::exact::walk`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use rayon::prelude::*;

use super::affine::{
    apply, cheap_err, diff_err, input_bounds, numerically_zero, pieces, scaled_err, term_bound,
    tight_err, Lin,
};
use super::cells::{Cell, Map, Mode, Undecided};
use super::exact::{ExactLin, ExactNet, ExactPolytope};
use super::{Options, Slice, SliceRegion, Stats};
use crate::bits::put_field;
use crate::control::Control;
use crate::error::{Error, Result};
use crate::network::{Activation, Affine, Layer, Network};

/// Regions found below a cell: their number and (unless counting) the regions.
pub(crate) type Found<C> = (u64, Vec<SliceRegion<C>>);

/// Two-sided splits per layer that run their sides in parallel (2^24 tasks at most);
/// deeper splits use an explicit stack (see [`Walk::cut`]).
pub(crate) const PAR_DEPTH: usize = 24;

/// A side of a cut in progress: the next cutting unit to apply, the cell, and the bits
/// of the units it is on the positive side of.
pub(crate) type Side<C> = (usize, C, Vec<u64>);

/// What one cut does with a side: the finished regions below it, two sides, one side,
/// or nothing (the cell was empty).
pub(crate) enum Next<S, C> {
    Done(Found<C>),
    Two(S, S),
    One(S),
    Empty,
}

impl<X, C> Next<Side<X>, C> {
    /// The sides after cutting by unit `i` (`hi` has bit `i` set), at unit `j + 1`.
    pub(crate) fn sides(j: usize, lo: Option<X>, hi: Option<X>, bits: Vec<u64>, i: usize) -> Self {
        let with_bit = |mut b: Vec<u64>| {
            b[i / 64] |= 1 << (i % 64);
            b
        };
        match (lo, hi) {
            (Some(lo), Some(hi)) => {
                let on = with_bit(bits.clone());
                Next::Two((j + 1, lo, bits), (j + 1, hi, on))
            }
            (Some(lo), None) => Next::One((j + 1, lo, bits)),
            (None, Some(hi)) => Next::One((j + 1, hi, with_bit(bits))),
            (None, None) => Next::Empty,
        }
    }
}

/// Depth-first over the sides of a layer's cuts, lower side first: the first
/// [`PAR_DEPTH`] two-sided splits run both sides in parallel (`rayon::join`), deeper
/// ones go on an explicit stack, so the call depth is at most `PAR_DEPTH` whatever the
/// number of cutting units (a recursion per unit overflowed worker stacks at 10^4
/// units, issue 14) and the regions come out in the same order either way. Shared by
/// the float walk and the exact one.
pub(crate) fn bounded_dfs<S: Send, C: Send>(
    start: S,
    depth: usize,
    ctrl: &Control,
    step: &(impl Fn(S) -> Result<Next<S, C>> + Sync),
) -> Result<Found<C>> {
    let mut found: Found<C> = (0, Vec::new());
    let mut add = |below: Found<C>| {
        found.0 += below.0;
        found.1.extend(below.1);
    };
    // The current side, then the pending ones (no allocation until a deep split).
    let mut pending = Vec::new();
    let mut next = Some(start);
    while let Some(mut side) = next.take().or_else(|| pending.pop()) {
        loop {
            match step(side)? {
                Next::Done(below) => {
                    add(below);
                    break;
                }
                Next::Two(lo, hi) if depth < PAR_DEPTH => {
                    let (a, b) = rayon::join(
                        || bounded_dfs(lo, depth + 1, ctrl, step),
                        || bounded_dfs(hi, depth + 1, ctrl, step),
                    );
                    let (a, b) = (a?, b?);
                    add(a);
                    add(b);
                    break;
                }
                Next::Two(lo, hi) => {
                    ctrl.check()?;
                    pending.push(hi);
                    side = lo;
                }
                Next::One(s) => side = s,
                Next::Empty => break,
            }
        }
    }
    Ok(found)
}

/// A cell in the making: the cell, its packed pattern so far and the map of the
/// current layer's input.
type Part<C> = (C, Vec<u64>, Lin);

/// The exact counterparts of the walk's inputs, built on first use.
pub(crate) struct ExactInputs<C> {
    pub domain: C,
    pub slice: Slice,
    pub net: OnceLock<ExactNet>,
    pub cell: OnceLock<ExactPolytope>,
    pub z0: OnceLock<ExactLin>,
}

pub(crate) struct Walk<'a, C> {
    pub net: &'a Network,
    /// `‖w_i‖₁` of every unit of every dense layer (empty for pooling layers).
    pub row_l1: Vec<Vec<f64>>,
    pub opts: Options,
    pub found: AtomicU64,
    pub ctrl: &'a Control,
    /// Report each region found as one unit of progress.
    pub report: bool,
    pub steps: AtomicU64,
    pub exact_steps: AtomicU64,
    pub exact: ExactInputs<C>,
}

/// One ReLU / leaky-ReLU layer on one cell: the units' maps `h = ha + hb s` on the cell
/// with their errors, the bits of the units whose hyperplane misses the cell, and the
/// units that cut it.
struct ReluStep<'a> {
    affine: &'a Affine,
    ha: Vec<f64>,
    hb: Vec<f64>,
    err: Vec<f64>,
    slope: f64,
    offset: usize,
    pat: &'a [u64],
    common: Vec<u64>,
    cutting: Vec<usize>,
    /// Input bounds and errors, for tight error bounds on demand.
    zb: Vec<f64>,
    zerr: Vec<f64>,
    ext: f64,
    k: usize,
}

impl<'a> ReluStep<'a> {
    /// Units whose hyperplane misses the whole cell set their bit once (`common`); only
    /// the others are tried on the parts. [`Undecided`] when a unit's side is not decided
    /// by the filter, even with its tight error bound.
    #[allow(clippy::too_many_arguments)]
    fn new<C: Cell>(
        affine: &'a Affine,
        row_l1: &[f64],
        slope: f64,
        cell: &C,
        pat: &'a [u64],
        z: &Lin,
        offset: usize,
        mode: Mode,
    ) -> std::result::Result<Self, Undecided> {
        let (n, m, k) = (affine.n_out, affine.n_in, cell.dim());
        let Lin {
            a: mut ha,
            b: mut hb,
            ..
        } = apply(affine, z, k);
        let ext = cell.extent();
        let zb = input_bounds(z, k, ext);
        let mut err = cheap_err(affine, row_l1, &zb, &z.err, k, ext);
        let zmax = zb.iter().fold(0.0f64, |a, &b| a.max(b));
        let mut common = vec![0u64; n.div_ceil(64)];
        let mut cutting = Vec::new();
        for i in 0..n {
            let beta = &hb[i * k..(i + 1) * k];
            let zero = match mode {
                Mode::Tol(_) => {
                    let upper = affine.b[i].abs() + row_l1[i] * zmax;
                    numerically_zero(ha[i], beta, ext, upper, m)
                        && numerically_zero(ha[i], beta, ext, term_bound(affine, i, &zb), m)
                }
                Mode::Exact | Mode::Rational => {
                    err[i] == 0.0 && ha[i] == 0.0 && beta.iter().all(|&x| x == 0.0)
                }
            };
            if zero {
                // Identically zero on the cell: inactive, no cut, output exactly 0.
                ha[i] = 0.0;
                hb[i * k..(i + 1) * k].fill(0.0);
                err[i] = 0.0;
                continue;
            }
            let beta = &hb[i * k..(i + 1) * k];
            let side = match mode {
                Mode::Tol(_) if beta.iter().all(|&x| x == 0.0) => Ok(Some(ha[i] > 0.0)),
                _ => cell
                    .side(
                        &Map {
                            alpha: ha[i],
                            beta,
                            err: err[i],
                        },
                        mode,
                    )
                    .or_else(|_| {
                        err[i] = tight_err(affine, i, &zb, &z.err, k, ext);
                        cell.side(
                            &Map {
                                alpha: ha[i],
                                beta,
                                err: err[i],
                            },
                            mode,
                        )
                    }),
            };
            match side? {
                Some(true) => common[i / 64] |= 1 << (i % 64),
                Some(false) => {}
                None => cutting.push(i),
            }
        }
        Ok(ReluStep {
            affine,
            ha,
            hb,
            err,
            slope,
            offset,
            pat,
            common,
            cutting,
            zb,
            zerr: z.err.clone(),
            ext,
            k,
        })
    }

    fn map(&self, i: usize) -> Map<'_> {
        Map {
            alpha: self.ha[i],
            beta: &self.hb[i * self.k..(i + 1) * self.k],
            err: self.err[i],
        }
    }

    /// The pattern and the next layer's input map of a finished part with unit bits `bits`.
    fn finish(&self, bits: &[u64]) -> (Vec<u64>, Lin) {
        let (n, k) = (self.ha.len(), self.k);
        let mut pattern = self.pat.to_vec();
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n * k);
        let mut err = Vec::with_capacity(n);
        for i in 0..n {
            let on = bits[i / 64] >> (i % 64) & 1 == 1;
            let beta = &self.hb[i * k..(i + 1) * k];
            if on {
                put_field(&mut pattern, self.offset + i, 1, 1);
                a.push(self.ha[i]);
                b.extend_from_slice(beta);
                err.push(self.err[i]);
            } else if self.slope == 0.0 {
                a.push(0.0);
                b.extend(std::iter::repeat_n(0.0, k));
                err.push(0.0);
            } else {
                a.push(self.slope * self.ha[i]);
                b.extend(beta.iter().map(|x| self.slope * x));
                err.push(scaled_err(
                    self.slope,
                    self.err[i],
                    self.ha[i],
                    beta,
                    self.ext,
                ));
            }
        }
        (pattern, Lin { a, b, err })
    }
}

impl<C: Cell> Walk<'_, C> {
    fn leaf(&self, cell: C, pattern: Vec<u64>, output: impl FnOnce() -> Lin) -> Result<Found<C>> {
        let counted = self.leaf_count()?;
        if self.opts.count_only {
            return Ok(counted);
        }
        Ok((
            1,
            vec![SliceRegion {
                output: output(),
                cell,
                pattern,
            }],
        ))
    }

    /// A region found by the exact path.
    pub(crate) fn exact_leaf(
        &self,
        cell: &ExactPolytope,
        pattern: Vec<u64>,
        output: impl FnOnce() -> Lin,
    ) -> Result<Found<C>> {
        if self.opts.count_only {
            return self.leaf_count();
        }
        self.leaf(C::from_exact(cell), pattern, output)
    }

    /// Count one region (limit and progress) and keep nothing.
    fn leaf_count(&self) -> Result<Found<C>> {
        let n = self.found.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.opts.max_regions {
            return Err(Error::LimitExceeded {
                name: "max_regions".into(),
                limit: self.opts.max_regions,
                message: format!("the domain has more than {} regions", self.opts.max_regions),
            });
        }
        if self.report {
            self.ctrl.advance(1);
        }
        Ok((1, Vec::new()))
    }

    /// Regions below `cell` from layer `l` on, in a fixed order.
    pub(crate) fn descend(&self, l: usize, cell: C, pat: Vec<u64>, z: Lin) -> Result<Found<C>> {
        self.ctrl.check()?;
        let layers = self.net.layers();
        if l == layers.len() {
            let k = cell.dim();
            return self.leaf(cell, pat, || apply(self.net.output(), &z, k));
        }
        if self.opts.mode == Mode::Rational {
            return self.exact_from(l, &pat, None);
        }
        self.steps.fetch_add(1, Ordering::Relaxed);
        let (layer, offset) = (&layers[l], self.net.offsets()[l]);
        let slope = match layer {
            Layer::Dense {
                activation: Activation::Relu,
                ..
            } => Some(0.0),
            Layer::Dense {
                activation: Activation::LeakyRelu(s),
                ..
            } => Some(*s),
            _ => None,
        };
        let mut cell = cell;
        if let (Some(slope), Layer::Dense { affine, .. }) = (slope, layer) {
            let mode = self.opts.mode;
            let try_step = |cell: &C| {
                ReluStep::new(affine, &self.row_l1[l], slope, cell, &pat, &z, offset, mode)
            };
            let mut step = try_step(&cell);
            if step.is_err() && cell.tighten() {
                step = try_step(&cell);
            }
            return match step {
                Ok(step) => {
                    let bits = step.common.clone();
                    self.cut(l, &step, 0, cell, bits)
                }
                Err(Undecided) => self.exact_from(l, &pat, None),
            };
        }
        let mut parts = self.split_max(l, layer, &cell, &pat, &z, offset);
        if parts.is_err() && cell.tighten() {
            parts = self.split_max(l, layer, &cell, &pat, &z, offset);
        }
        match parts {
            Ok(parts) => {
                let below: Vec<Found<C>> = parts
                    .into_par_iter()
                    .map(|(c, p, z)| self.descend(l + 1, c, p, z))
                    .collect::<Result<_>>()?;
                let total = below.iter().map(|b| b.0).sum();
                Ok((total, below.into_iter().flat_map(|b| b.1).collect()))
            }
            Err(Undecided) => self.exact_from(l, &pat, None),
        }
    }

    /// Cut `cell` by the cutting units `step.cutting[j..]` of layer `l`, depth first,
    /// lower side first, then descend. The first [`PAR_DEPTH`] two-sided splits run
    /// both sides in parallel (`rayon::join`); deeper ones go on an explicit stack, so
    /// the call depth is at most `PAR_DEPTH` per layer whatever the number of cutting
    /// units (a recursion per unit overflowed worker stacks at 10^4 units, issue 14).
    /// The regions come out in the same order either way. Memory is bounded by the
    /// stack of pending sides, not by the number of parts.
    fn cut(
        &self,
        l: usize,
        step: &ReluStep<'_>,
        j: usize,
        cell: C,
        bits: Vec<u64>,
    ) -> Result<Found<C>> {
        bounded_dfs((j, cell, bits), 0, self.ctrl, &|(j, cell, bits): Side<
            C,
        >| {
            let Some(&i) = step.cutting.get(j) else {
                return Ok(Next::Done(
                    if self.opts.count_only && l + 1 == self.net.layers().len() {
                        self.leaf_count()?
                    } else {
                        let (pattern, z) = step.finish(&bits);
                        self.descend(l + 1, cell, pattern, z)?
                    },
                ));
            };
            let Ok((lo, hi)) = self.split_by(step, i, cell) else {
                let cut = Some((&step.cutting[..j], bits.as_slice()));
                return Ok(Next::Done(self.exact_from(l, step.pat, cut)?));
            };
            let keep = |c: Option<C>| c.filter(|c| !c.negligible(self.opts.min_measure));
            Ok(Next::sides(j, keep(lo), keep(hi), bits, i))
        })
    }

    /// Split `cell` by cutting unit `i`: with the cheap map error, then the tight one,
    /// then after tightening the cell's vertex radii; `Err(cell)` when still undecided.
    fn split_by(
        &self,
        step: &ReluStep<'_>,
        i: usize,
        cell: C,
    ) -> std::result::Result<(Option<C>, Option<C>), C> {
        let mode = self.opts.mode;
        let tight = || Map {
            err: tight_err(step.affine, i, &step.zb, &step.zerr, step.k, step.ext),
            ..step.map(i)
        };
        cell.split(&step.map(i), mode)
            .or_else(|cell| cell.split(&tight(), mode))
            .or_else(|mut cell| {
                if cell.tighten() {
                    cell.split(&tight(), mode)
                } else {
                    Err(cell)
                }
            })
    }

    /// A max step (maxout, max-pooling): for each unit and each piece `r`, the part where
    /// `p_r ≥ p_q` for all `q` (ties go to the lowest index).
    fn split_max(
        &self,
        l: usize,
        layer: &Layer,
        cell: &C,
        pat: &[u64],
        z: &Lin,
        offset: usize,
    ) -> std::result::Result<Vec<Part<C>>, Undecided> {
        let (k, mode) = (cell.dim(), self.opts.mode);
        let bits = layer.bits();
        let ext = cell.extent();
        let ps = pieces(layer, &self.row_l1[l], z, k, ext);
        let n_in = match layer {
            Layer::Dense { affine, .. } => affine.n_in,
            Layer::MaxPool { .. } => 1,
        };
        let mut parts: Vec<(C, Vec<usize>)> = vec![(cell.clone(), Vec::new())];
        for unit in &ps {
            let mut out = Vec::with_capacity(parts.len() * 2);
            for (p, codes) in &parts {
                'piece: for r in 0..unit.len() {
                    let mut cur = p.clone();
                    for q in (0..unit.len()).filter(|&q| q != r) {
                        // Keep p_q - p_r ≤ 0.
                        let (pq, pr) = (&unit[q], &unit[r]);
                        let alpha = pq.a - pr.a;
                        let beta: Vec<f64> = pq.b.iter().zip(&pr.b).map(|(x, y)| x - y).collect();
                        let err = diff_err(pq.err, pr.err, alpha, &beta, ext);
                        let constant = beta.iter().all(|&x| x == 0.0);
                        let tie = match mode {
                            Mode::Tol(_) => {
                                numerically_zero(alpha, &beta, ext, pr.mag + pq.mag, n_in)
                                    || (constant && alpha == 0.0)
                            }
                            Mode::Exact | Mode::Rational => err == 0.0 && alpha == 0.0 && constant,
                        };
                        if tie {
                            if q < r {
                                continue 'piece; // an equal piece of lower index wins
                            }
                            continue;
                        }
                        if constant && matches!(mode, Mode::Tol(_)) {
                            if alpha > 0.0 {
                                continue 'piece; // p_r never wins on this cell
                            }
                            continue;
                        }
                        match cur.split(
                            &Map {
                                alpha,
                                beta: &beta,
                                err,
                            },
                            mode,
                        ) {
                            Err(_) => return Err(Undecided),
                            Ok((lo, _)) => {
                                match lo.filter(|c| !c.negligible(self.opts.min_measure)) {
                                    Some(c) => cur = c,
                                    None => continue 'piece,
                                }
                            }
                        }
                    }
                    let mut c = codes.clone();
                    c.push(r);
                    out.push((cur, c));
                }
            }
            parts = out;
        }
        Ok(parts
            .into_iter()
            .map(|(c, codes)| {
                let mut pattern = pat.to_vec();
                let mut a = Vec::with_capacity(codes.len());
                let mut b = Vec::with_capacity(codes.len() * k);
                let mut err = Vec::with_capacity(codes.len());
                for (u, &r) in codes.iter().enumerate() {
                    put_field(&mut pattern, offset + u * bits as usize, bits, r as u64);
                    a.push(ps[u][r].a);
                    b.extend_from_slice(&ps[u][r].b);
                    err.push(ps[u][r].err);
                }
                (c, pattern, Lin { a, b, err })
            })
            .collect())
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            steps: self.steps.load(Ordering::Relaxed),
            exact_steps: self.exact_steps.load(Ordering::Relaxed),
        }
    }
}
