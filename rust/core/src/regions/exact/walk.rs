//! The exact path of the walk: a cell whose float predicates were undecided is rebuilt
//! in exact arithmetic from the domain and its pattern so far (every earlier unit's
//! half-space), then walked from that layer on with exact signs. Same walk, same order
//! of results, same pattern layout as the float path.

use std::sync::atomic::Ordering;

use super::lin::{rectify, ExactLayer, ExactLin, ExactNet};
use super::polytope::{all_zero, ExactPolytope};
use crate::bits::{get_field, put_field};
use crate::error::{Error, Result};
use crate::network::Activation;
use crate::regions::affine::Lin;
use crate::regions::cells::{Cell, MAX_BOX_DIM};
use crate::regions::walk::{bounded_dfs, known_order, Found, Next, Side, Walk};

fn lost(what: &str) -> Error {
    Error::InvalidArgument {
        name: "internal".into(),
        message: format!("the exact path lost a cell ({what}); please report this"),
    }
}

/// Keep the side `on` (`f ≥ 0`) or `!on` (`f ≤ 0`) of the cell.
fn keep(
    cell: ExactPolytope,
    a: &num_bigint::BigInt,
    b: &[num_bigint::BigInt],
    on: bool,
) -> Result<ExactPolytope> {
    let (lo, hi) = cell.split(a, b);
    if on { hi } else { lo }.ok_or_else(|| lost("rebuild"))
}

impl<C: Cell> Walk<'_, C> {
    fn exact_net(&self) -> &ExactNet {
        self.exact.net.get_or_init(|| ExactNet::new(self.net))
    }

    /// Regions below the cell of pattern `pat` (layers `< l`) and, within layer `l`,
    /// the half-spaces of `partial = (units, bits)`, in exact arithmetic.
    pub(crate) fn exact_from(
        &self,
        l: usize,
        pat: &[u64],
        partial: Option<(&[usize], &[u64])>,
    ) -> Result<Found<C>> {
        let (cell, z) = self.rebuild(l, pat, partial)?;
        self.exact_descend(l, cell, pat.to_vec(), z)
    }

    /// Regions below the cell of pattern `pat` (layers `< l`) where the first units of
    /// max layer `l` take the pieces `codes`, from those units on, in exact arithmetic
    /// (the float walk's fallback inside a max layer).
    pub(crate) fn exact_from_max(
        &self,
        l: usize,
        pat: &[u64],
        codes: &[usize],
    ) -> Result<Found<C>> {
        let (cell, z) = self.rebuild(l, pat, None)?;
        self.exact_steps.fetch_add(1, Ordering::Relaxed);
        let layer = &self.exact_net().layers[l];
        self.exact_max(l, layer, cell, pat, z, codes.to_vec())
    }

    fn rebuild(
        &self,
        l: usize,
        pat: &[u64],
        partial: Option<(&[usize], &[u64])>,
    ) -> Result<(ExactPolytope, ExactLin)> {
        if !self.exact.domain.exact_fallback() {
            return Err(Error::LimitExceeded {
                name: "exact".into(),
                limit: self.exact.domain.dim() as u64,
                message: format!(
                    "a sign on a cell of dimension {} was decided neither by a bound nor by a \
                     witness point, and exact arithmetic needs the cell's vertices (dimension \
                     at most {MAX_BOX_DIM}); pass exact=False for the tolerance mode",
                    self.exact.domain.dim()
                ),
            });
        }
        let enet = self.exact_net();
        let mut cell = self
            .exact
            .cell
            .get_or_init(|| self.exact.domain.to_exact())
            .clone();
        let mut z = self
            .exact
            .z0
            .get_or_init(|| self.exact.slice.exact(cell.k))
            .clone();
        for (i, layer) in enet.layers[..l].iter().enumerate() {
            self.ctrl.check()?;
            let next;
            (cell, next) = self.rebuild_layer(i, layer, cell, &z, pat)?;
            z = next.with_rows(&z, &enet.carry[i]);
        }
        if let Some((units, bits)) = partial {
            if let ExactLayer::Dense { affine, .. } = &enet.layers[l] {
                let h = affine.apply(&z);
                for &u in units {
                    if !h.is_zero(u) {
                        let (a, b) = h.row(u);
                        cell = keep(cell, a, b, bits[u / 64] >> (u % 64) & 1 == 1)?;
                    }
                }
            }
        }
        Ok((cell, z))
    }

    /// Cut `cell` by the half-spaces of hidden layer `i` that pattern `pat` selects
    /// and map `z` through the layer.
    fn rebuild_layer(
        &self,
        i: usize,
        layer: &ExactLayer,
        mut cell: ExactPolytope,
        z: &ExactLin,
        pat: &[u64],
    ) -> Result<(ExactPolytope, ExactLin)> {
        let (off, bits) = (self.net.offsets()[i], self.net.layers()[i].bits());
        let code = |u: usize| get_field(pat, off + u * bits as usize, bits) as usize;
        match layer {
            ExactLayer::Dense {
                affine,
                activation: Activation::Maxout(q),
                ..
            } => {
                let (h, q) = (affine.apply(z), *q);
                let win: Vec<usize> = (0..h.len() / q).map(code).collect();
                for (u, &r) in win.iter().enumerate() {
                    for p in (0..q).filter(|&p| p != r) {
                        let (a, b) = h.diff(u * q + p, u * q + r);
                        if !all_zero(&a, &b) {
                            cell = keep(cell, &a, &b, false)?;
                        }
                    }
                }
                let z = h.select(win.iter().enumerate().map(|(u, &r)| u * q + r));
                Ok((cell, z))
            }
            ExactLayer::Dense { affine, slope, .. } => {
                let h = affine.apply(z);
                let on = |u: usize| get_field(pat, off + u, 1) == 1;
                for u in 0..h.len() {
                    if !h.is_zero(u) {
                        let (a, b) = h.row(u);
                        cell = keep(cell, a, b, on(u))?;
                    }
                }
                Ok((cell, rectify(&h, on, slope)))
            }
            ExactLayer::MaxPool { windows } => {
                let win: Vec<usize> = (0..windows.len()).map(code).collect();
                for (w, &r) in windows.iter().zip(&win) {
                    for p in (0..w.len()).filter(|&p| p != r) {
                        let (a, b) = z.diff(w[p], w[r]);
                        if !all_zero(&a, &b) {
                            cell = keep(cell, &a, &b, false)?;
                        }
                    }
                }
                let z = z.select(windows.iter().zip(&win).map(|(w, &r)| w[r]));
                Ok((cell, z))
            }
        }
    }

    fn exact_output(&self, z: &ExactLin) -> Lin {
        let (a, b) = self.exact_net().output.apply(z).to_f64();
        Lin {
            a,
            b,
            err: Vec::new(),
        }
    }

    fn exact_descend(
        &self,
        l: usize,
        cell: ExactPolytope,
        pat: Vec<u64>,
        z: ExactLin,
    ) -> Result<Found<C>> {
        self.ctrl.check()?;
        let enet = self.exact_net();
        if l == enet.layers.len() {
            return self.exact_leaf(&cell, pat, || self.exact_output(&z));
        }
        self.exact_steps.fetch_add(1, Ordering::Relaxed);
        let off = self.net.offsets()[l];
        match &enet.layers[l] {
            ExactLayer::Dense {
                affine,
                activation,
                slope,
            } if !matches!(activation, Activation::Maxout(_)) => {
                let h = affine.apply(&z);
                let mut common = vec![0u64; h.len().div_ceil(64)];
                let mut cutting = Vec::new();
                for u in 0..h.len() {
                    if h.is_zero(u) {
                        continue;
                    }
                    let (a, b) = h.row(u);
                    match cell.side(a, b) {
                        Some(true) => common[u / 64] |= 1 << (u % 64),
                        Some(false) => {}
                        None => cutting.push(u),
                    }
                }
                let step = ExactRelu {
                    carried: z.select(enet.carry[l].iter().copied()),
                    h,
                    slope,
                    off,
                    pat: &pat,
                    cutting,
                };
                self.exact_cut(l, &step, 0, cell, common)
            }
            layer => self.exact_max(l, layer, cell, &pat, z, Vec::new()),
        }
    }

    /// A max layer (maxout, max-pooling) of the exact path: the part of the cell where
    /// each combination of winning pieces wins, then the next layer. The first units
    /// take the pieces `start` (the cell is narrowed to where they win).
    fn exact_max(
        &self,
        l: usize,
        layer: &ExactLayer,
        mut cell: ExactPolytope,
        pat: &[u64],
        z: ExactLin,
        start: Vec<usize>,
    ) -> Result<Found<C>> {
        let (off, bits) = (self.net.offsets()[l], self.net.layers()[l].bits());
        let (q, rows): (usize, Option<ExactLin>) = match layer {
            ExactLayer::Dense {
                affine,
                activation: Activation::Maxout(q),
                ..
            } => (*q, Some(affine.apply(&z))),
            _ => (0, None),
        };
        let windows: Vec<Vec<usize>> = match layer {
            ExactLayer::MaxPool { windows } => windows.clone(),
            _ => (0..rows.as_ref().map_or(0, |h| h.len() / q))
                .map(|u| (u * q..(u + 1) * q).collect())
                .collect(),
        };
        let src = rows.as_ref().unwrap_or(&z);
        let signs = match layer {
            ExactLayer::MaxPool { .. } => self.input_signs(l, pat),
            ExactLayer::Dense { .. } => Vec::new(),
        };
        for (w, &r) in windows.iter().zip(&start) {
            cell = where_wins(&cell, src, &signs, w, r).ok_or_else(|| lost("max rebuild"))?;
        }
        // Depth first over the windows (one window per level, its winning pieces as
        // the sides), so that memory is bounded by the depth, not by the number of
        // combinations of the layer (they were all materialized before descending).
        let carry = &self.exact_net().carry[l];
        bounded_dfs((start.len(), cell, start), 0, self.ctrl, &|(
            u,
            cell,
            codes,
        ): (
            usize,
            ExactPolytope,
            Vec<usize>,
        )| {
            let Some(w) = windows.get(u) else {
                let mut pattern = pat.to_vec();
                for (v, &r) in codes.iter().enumerate() {
                    put_field(&mut pattern, off + v * bits as usize, bits, r as u64);
                }
                let next = src
                    .select(codes.iter().zip(&windows).map(|(&r, w)| w[r]))
                    .with_rows(&z, carry);
                return Ok(Next::Done(self.exact_descend(
                    l + 1,
                    cell,
                    pattern,
                    next,
                )?));
            };
            let mut sides: Vec<_> = (0..w.len())
                .filter_map(|r| {
                    where_wins(&cell, src, &signs, w, r).map(|won| {
                        let mut c = codes.clone();
                        c.push(r);
                        (u + 1, won, c)
                    })
                })
                .collect();
            Ok(match sides.len() {
                0 => Next::Empty,
                1 => Next::One(sides.pop().expect("one side")),
                _ => Next::Many(sides),
            })
        })
    }

    /// The exact counterpart of [`Walk::cut`], on the same bounded depth-first driver.
    fn exact_cut(
        &self,
        l: usize,
        step: &ExactRelu<'_>,
        j: usize,
        cell: ExactPolytope,
        bits: Vec<u64>,
    ) -> Result<Found<C>> {
        bounded_dfs((j, cell, bits), 0, self.ctrl, &|(j, cell, bits): Side<
            ExactPolytope,
        >| {
            let Some(&u) = step.cutting.get(j) else {
                return Ok(Next::Done(self.exact_below(l, step, cell, &bits)?));
            };
            let (a, b) = step.h.row(u);
            let (lo, hi) = cell.split(a, b);
            Ok(Next::sides(j, lo, hi, bits, u))
        })
    }

    /// A cell with every cutting unit decided: count it or descend to the next layer.
    fn exact_below(
        &self,
        l: usize,
        step: &ExactRelu<'_>,
        cell: ExactPolytope,
        bits: &[u64],
    ) -> Result<Found<C>> {
        if self.opts.count_only && l + 1 == self.net.layers().len() {
            return self.exact_leaf(&cell, Vec::new(), || Lin {
                a: Vec::new(),
                b: Vec::new(),
                err: Vec::new(),
            });
        }
        let mut pattern = step.pat.to_vec();
        let on = |i: usize| bits[i / 64] >> (i % 64) & 1 == 1;
        for i in (0..step.h.len()).filter(|&i| on(i)) {
            put_field(&mut pattern, step.off + i, 1, 1);
        }
        let n = step.carried.len();
        let z =
            rectify(&step.h, on, step.slope).with_rows(&step.carried, &(0..n).collect::<Vec<_>>());
        self.exact_descend(l + 1, cell, pattern, z)
    }
}

/// The part of `cell` where piece `r` of window `w` (rows of `src`) is the maximum and
/// no equal piece of lower index exists; `None` when it is empty. `signs` are the known
/// signs of the rows on the cell (empty when unknown).
fn where_wins(
    cell: &ExactPolytope,
    src: &ExactLin,
    signs: &[i8],
    w: &[usize],
    r: usize,
) -> Option<ExactPolytope> {
    let mut cur = cell.clone();
    let sign = |i: usize| signs.get(i).copied().unwrap_or(0);
    for q in (0..w.len()).filter(|&q| q != r) {
        match known_order(sign(w[q]), sign(w[r])) {
            Some(true) => continue,
            Some(false) => return None,
            None => {}
        }
        let (a, b) = src.diff(w[q], w[r]);
        if all_zero(&a, &b) {
            if q < r {
                return None; // an equal piece of lower index wins
            }
            continue;
        }
        cur = cur.split(&a, &b).0?;
    }
    Some(cur)
}

/// One ReLU / leaky layer of the exact path on one cell.
struct ExactRelu<'a> {
    h: ExactLin,
    /// The inputs the layer carries past its units.
    carried: ExactLin,
    slope: &'a Option<(num_bigint::BigInt, i64)>,
    off: usize,
    pat: &'a [u64],
    cutting: Vec<usize>,
}
