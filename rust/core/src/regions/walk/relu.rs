//! One ReLU / leaky-ReLU layer on one cell: classify every unit against the whole cell
//! once, then hand the units that cut it to the walk.

use super::super::affine::{
    cheap_err, input_bounds, numerically_zero, scaled_err, term_bound, tight_err, Lin,
};
use super::super::cells::{Cell, CellBox, Map, Mode, Undecided};
use crate::bits::put_field;
use crate::network::Affine;

/// One ReLU / leaky-ReLU layer on one cell: the units' maps `h = ha + hb s` on the cell
/// with their errors, the bits of the units whose hyperplane misses the cell, and the
/// units that cut it.
pub(super) struct ReluStep<'a> {
    pub affine: &'a Affine,
    ha: Vec<f64>,
    hb: Vec<f64>,
    err: Vec<f64>,
    slope: f64,
    offset: usize,
    pub pat: &'a [u64],
    /// Bits of the units on whose positive side the whole cell lies.
    pub common: Vec<u64>,
    /// The units whose hyperplane cuts the cell, in increasing order.
    pub cutting: Vec<usize>,
    /// Input bounds and errors, for tight error bounds on demand.
    zb: Vec<f64>,
    zerr: Vec<f64>,
    ext: f64,
    k: usize,
    /// The number of rounded terms the error bounds allow per unit (`n_in`, more after
    /// an incremental update).
    m: usize,
    /// The inputs the layer carries past its units (skip connections).
    carried: Option<Lin>,
    /// The value interval `(g, margin)` of each unit's map on the cell
    /// ([`CellBox::centre_value`]); empty unless ReLU (slope 0) in an exact mode.
    iv: Vec<(f64, f64)>,
}

/// Where a ReLU layer sits: its affine map, the `‖w_i‖₁` of its units, its negative
/// slope and the offset of its first unit in the packed pattern.
pub(super) struct ReluLayer<'a> {
    pub affine: &'a Affine,
    pub row_l1: &'a [f64],
    pub slope: f64,
    pub offset: usize,
    pub carry: &'a [usize],
    /// A map that is exactly zero on the cell but not by its weights (zero row and
    /// bias) is [`Undecided`] ([`super::super::Options::facets`]: such a unit may not be
    /// zero across a facet of the cell).
    pub strict_zero: bool,
}

impl<'a> ReluStep<'a> {
    /// Units whose hyperplane misses the whole cell set their bit once (`common`); only
    /// the others are tried on the parts. `h` is the layer's map `W z + b` on the cell:
    /// [`super::reuse::apply`]'s, or with `inc = Some((zbase, d))` an incremental update
    /// from the reference input `zbase` on the inputs `d`
    /// ([`super::reuse::apply_from_base`]), whose error bounds count `2 |d|` more terms
    /// bounded by `zbase`'s rows. [`Undecided`] when a unit's side is not decided by the
    /// filter, even with its tight error bound.
    pub(super) fn new<C: Cell>(
        layer: &ReluLayer<'a>,
        cell: &C,
        pat: &'a [u64],
        z: &Lin,
        h: Lin,
        inc: Option<(&Lin, &[usize])>,
        mode: Mode,
    ) -> std::result::Result<Self, Undecided> {
        let (affine, k, ext) = (layer.affine, cell.dim(), cell.extent());
        let Lin {
            a: mut ha,
            b: mut hb,
            ..
        } = h;
        let mut zb = input_bounds(z, k, ext);
        let mut m = affine.n_in;
        if let Some((zbase, d)) = inc {
            for &j in d {
                let row = &zbase.b[j * k..(j + 1) * k];
                zb[j] += zbase.a[j].abs() + row.iter().map(|x| x.abs()).sum::<f64>() * ext;
            }
            m += 2 * d.len();
        }
        let mut err = cheap_err(affine, layer.row_l1, &zb, &z.err, k, ext, m);
        let zmax = zb.iter().fold(0.0f64, |a, &b| a.max(b));
        let n = affine.n_out;
        let mut common = vec![0u64; n.div_ceil(64)];
        let mut cutting = Vec::new();
        let cbox = CellBox::of(cell);
        let keep_iv = layer.slope == 0.0 && !matches!(mode, Mode::Tol(_));
        let mut iv = vec![(0.0, 0.0); if keep_iv { n } else { 0 }];
        let mut scratch = (0.0, 0.0);
        // Locals, not the struct's fields, in this hot loop (the fields cost 1-2%).
        for i in 0..n {
            let beta = &hb[i * k..(i + 1) * k];
            let upper = || affine.b[i].abs() + layer.row_l1[i] * zmax;
            if is_zero(
                ha[i],
                beta,
                err[i],
                upper,
                || term_bound(affine, i, &zb),
                ext,
                affine.n_in,
                mode,
            ) {
                // Identically zero on the cell: inactive, no cut, output exactly 0.
                if layer.strict_zero && !(affine.b[i] == 0.0 && layer.row_l1[i] == 0.0) {
                    return Err(Undecided);
                }
                ha[i] = 0.0;
                hb[i * k..(i + 1) * k].fill(0.0);
                err[i] = 0.0;
                continue;
            }
            let tight = || tight_err(affine, i, &zb, &z.err, k, ext, m);
            let slot = if keep_iv { &mut iv[i] } else { &mut scratch };
            match classify(cell, &cbox, ha[i], beta, &mut err[i], tight, mode, slot)? {
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
            slope: layer.slope,
            offset: layer.offset,
            pat,
            common,
            cutting,
            zb,
            zerr: z.err.clone(),
            ext,
            k,
            m,
            carried: carried(z, layer.carry, k),
            iv,
        })
    }

    /// The value interval of each unit's map on the cell, for a max layer right after
    /// this one (see [`super::Hints::intervals`]); `None` without them, or when the
    /// layer carries inputs (the next layer's rows are then not only this layer's).
    pub(super) fn intervals(&self) -> Option<&[(f64, f64)]> {
        (!self.iv.is_empty() && self.carried.is_none()).then_some(&self.iv[..])
    }

    /// Unit `i`'s map on the cell with its current error bound.
    #[inline]
    pub(super) fn map(&self, i: usize) -> Map<'_> {
        Map {
            alpha: self.ha[i],
            beta: &self.hb[i * self.k..(i + 1) * self.k],
            err: self.err[i],
        }
    }

    /// Unit `i`'s map with its tight error bound.
    #[inline]
    pub(super) fn tight_map(&self, i: usize) -> Map<'_> {
        Map {
            err: tight_err(
                self.affine,
                i,
                &self.zb,
                &self.zerr,
                self.k,
                self.ext,
                self.m,
            ),
            ..self.map(i)
        }
    }

    /// The pattern and the next layer's input map of a finished part with unit bits `bits`.
    pub(super) fn finish(&self, bits: &[u64]) -> (Vec<u64>, Lin) {
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
        let mut z = Lin { a, b, err };
        if let Some(c) = &self.carried {
            z.append(c);
        }
        (pattern, z)
    }
}

/// The rows `carry` of `z` (`None` when there are none).
pub(super) fn carried(z: &Lin, carry: &[usize], k: usize) -> Option<Lin> {
    if carry.is_empty() {
        return None;
    }
    let mut c = Lin {
        a: Vec::new(),
        b: Vec::new(),
        err: Vec::new(),
    };
    c.extend_rows(z, carry, k);
    Some(c)
}

/// Whether a unit's map `alpha + beta·s` (error `err`) is identically zero on the cell:
/// exactly (exact modes), or numerically relative to the magnitude of its terms (an
/// explicit tolerance; `upper` and `terms` bound them).
#[inline]
#[allow(clippy::too_many_arguments)]
fn is_zero(
    alpha: f64,
    beta: &[f64],
    err: f64,
    upper: impl FnOnce() -> f64,
    terms: impl FnOnce() -> f64,
    ext: f64,
    n_in: usize,
    mode: Mode,
) -> bool {
    match mode {
        Mode::Tol(_) => {
            numerically_zero(alpha, beta, ext, upper(), n_in)
                && numerically_zero(alpha, beta, ext, terms(), n_in)
        }
        Mode::Exact | Mode::Rational => {
            err == 0.0 && alpha == 0.0 && beta.iter().all(|&x| x == 0.0)
        }
    }
}

/// The side of the whole cell a unit is on (`None`: it cuts the cell), with its cheap
/// error bound `err` first and, when that does not decide, the tight one (stored back).
/// `iv` receives the map's value interval on the box (with the cheap bound: valid).
#[inline]
#[allow(clippy::too_many_arguments)]
fn classify<C: Cell>(
    cell: &C,
    cbox: &CellBox,
    alpha: f64,
    beta: &[f64],
    err: &mut f64,
    tight: impl FnOnce() -> f64,
    mode: Mode,
    iv: &mut (f64, f64),
) -> std::result::Result<Option<bool>, Undecided> {
    if matches!(mode, Mode::Tol(_)) && beta.iter().all(|&x| x == 0.0) {
        return Ok(Some(alpha > 0.0)); // constant on the cell
    }
    let map = Map {
        alpha,
        beta,
        err: *err,
    };
    // Far from the cell: decided by its bounding box ([`CellBox::side`]).
    let (g, margin) = cbox.centre_value(&map, mode);
    *iv = (g, margin);
    if g > margin {
        return Ok(Some(true));
    } else if g < -margin {
        return Ok(Some(false));
    }
    let cheap = cell.side(
        &Map {
            alpha,
            beta,
            err: *err,
        },
        mode,
    );
    if cheap.is_ok() {
        return cheap;
    }
    *err = tight();
    // Still undecided: the unit is handed to the cuts, whose split tightens the radii of
    // the undecided vertices only ([`Cell::tighten_for`]) rather than the whole cell's.
    Ok(cell
        .side(
            &Map {
                alpha,
                beta,
                err: *err,
            },
            mode,
        )
        .unwrap_or(None))
}
