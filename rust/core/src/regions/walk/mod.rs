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

//!
//! Layout: `dfs` (the bounded depth-first driver, shared with the exact walk), `relu`
//! (one ReLU layer on a cell), `max` (one maxout / max-pooling layer on a cell), `reuse`
//! (a sparse layer's maps recomputed only where the input changed, or updated from a
//! reference part's map) and this module (the walk over layers, and the [`Hints`] a
//! parent passes to its parts).

mod dfs;
mod max;
mod relu;
mod reuse;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub(crate) use dfs::{bounded_dfs, Found, Next, Side};
pub(crate) use max::known_order;
use relu::{ReluLayer, ReluStep};
use reuse::Base;
pub(crate) use reuse::{next_walk_id, Readers};

use super::affine::{apply, apply_blocked, DenseBlocks, Lin};
use super::cells::{Cell, Mode, Undecided, NO_TAG};
use super::exact::{ExactLin, ExactNet, ExactPolytope};
use super::{Options, Slice, SliceRegion, Stats};
use crate::control::Control;
use crate::error::{Error, Result};
use crate::network::{Activation, Layer, Network};

/// The exact counterparts of the walk's inputs, built on first use.
pub(crate) struct ExactInputs<'a, C> {
    pub domain: C,
    pub slice: &'a Slice,
    pub net: OnceLock<ExactNet>,
    pub cell: OnceLock<ExactPolytope>,
    pub z0: OnceLock<ExactLin>,
}

/// What a parent visit knows about the next layer on a part of its cell.
#[derive(Clone, Copy, Default)]
pub(super) struct Hints<'h> {
    /// The winners of a max layer's units that the parent cell already decided
    /// ([`Walk::max_hint`]).
    pub winners: Option<&'h [Option<usize>]>,
    /// The reference map of a sparse ReLU layer that this part's map updates
    /// ([`reuse::apply_from_base`]).
    pub base: Option<&'h Base>,
    /// For a max layer right after a ReLU layer: the value interval on the parent cell
    /// of each ReLU unit's map ([`ReluStep::intervals`]), valid on every part where the
    /// unit is active (an inactive unit's output is exactly 0).
    pub intervals: Option<&'h [(f64, f64)]>,
}

pub(crate) struct Walk<'a, C> {
    pub net: &'a Network,
    /// `‖w_i‖₁` of every unit of every dense layer (empty for pooling layers).
    pub row_l1: Vec<Vec<f64>>,
    /// The column-blocked weights of the dense ReLU layers ([`apply_blocked`]).
    pub blocks: Vec<Option<DenseBlocks>>,
    pub opts: Options,
    pub found: AtomicU64,
    pub ctrl: &'a Control,
    /// Report each region found as one unit of progress.
    pub report: bool,
    pub steps: AtomicU64,
    pub exact_steps: AtomicU64,
    pub exact: ExactInputs<'a, C>,
    /// This walk's identity for the per-thread map caches ([`reuse`]).
    pub id: u64,
    /// Per layer, the readers of each input of a ReLU layer (`None`: no reuse).
    pub readers: Vec<Option<Readers>>,
}

impl<C: Cell> Walk<'_, C> {
    /// A region found (`clean`: by the float path, every sign decided strictly).
    fn leaf(
        &self,
        cell: C,
        pattern: Vec<u64>,
        clean: bool,
        output: impl FnOnce() -> Lin,
    ) -> Result<Found<C>> {
        let counted = self.leaf_count()?;
        if self.opts.count_only {
            return Ok(counted);
        }
        let facets = (self.opts.facets && clean).then(|| cell.facet_tags());
        Ok((
            1,
            vec![SliceRegion {
                facets,
                output: if self.opts.maps {
                    output()
                } else {
                    Lin {
                        a: Vec::new(),
                        b: Vec::new(),
                        err: Vec::new(),
                    }
                },
                cell,
                pattern,
            }],
        ))
    }

    /// Whether to drop a part as a sliver: only with an explicit tolerance. In the exact
    /// modes every part a split returns has interior (its sides were certified), and a
    /// float area of a tiny part can round to 0 or below (a triangle of width 1e-9 at
    /// 0.16 has an area below the shoelace sum's rounding): dropping it lost regions.
    pub(crate) fn negligible(&self, c: &C) -> bool {
        matches!(self.opts.mode, Mode::Tol(_)) && c.negligible(self.opts.min_measure)
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
        self.leaf(C::from_exact(cell), pattern, false, output)
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
        self.descend_hinted(l, cell, pat, z, Hints::default())
    }

    /// [`Self::descend`], with what the parent already knows ([`Hints`]).
    pub(super) fn descend_hinted(
        &self,
        l: usize,
        cell: C,
        pat: Vec<u64>,
        z: Lin,
        hints: Hints<'_>,
    ) -> Result<Found<C>> {
        let base = hints.base;
        self.ctrl.check()?;
        let layers = self.net.layers();
        if l == layers.len() {
            let k = cell.dim();
            return self.leaf(cell, pat, true, || apply(self.net.output(), &z, k));
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
            let relu = ReluLayer {
                affine,
                row_l1: &self.row_l1[l],
                slope,
                offset,
                carry: self.net.carry(l),
                strict_zero: self.opts.facets,
            };
            let k = cell.dim();
            let blocks = self.blocks[l].as_ref();
            let h = || match (&self.readers[l], blocks) {
                (Some(r), _) => reuse::apply_reusing(self.id, l, affine, r, &z, k, blocks),
                (None, Some(blocks)) => apply_blocked(affine, blocks, &z, k),
                (None, None) => apply(affine, &z, k),
            };
            let try_step =
                |cell: &C| ReluStep::new(&relu, cell, &pat, &z, h(), None, self.opts.mode);
            // From the reference map when the parent gave one (exact mode; when its
            // looser error bounds leave a unit undecided, the plain product is tried).
            let inc = match (base, &self.readers[l]) {
                (Some(b), Some(r)) if self.opts.mode == Mode::Exact => {
                    reuse::apply_from_base(affine, r, b, &z, k).map(|(h, d)| (b, h, d))
                }
                _ => None,
            };
            let mut step = match inc {
                Some((b, h, d)) => {
                    ReluStep::new(&relu, &cell, &pat, &z, h, Some((&b.z, &d)), self.opts.mode)
                        .or_else(|_| try_step(&cell))
                }
                None => try_step(&cell),
            };
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
        self.max_cut(l, layer, cell, &pat, &z, offset, hints)
    }

    /// Cut `cell` by the cutting units `step.cutting[j..]` of layer `l`, depth first,
    /// lower side first, then descend. The first [`dfs::PAR_DEPTH`] two-sided splits run
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
        // When a pooling layer follows and the cell is cut, its windows that read no
        // cutting unit are decided once here for every part.
        let hint = if step.cutting.is_empty() {
            None
        } else {
            self.max_hint(l + 1, &cell, step)
        };
        let hint = hint.as_deref();
        bounded_dfs((j, cell, bits), 0, self.ctrl, &|(j, cell, bits): Side<
            C,
        >| {
            let Some(&i) = step.cutting.get(j) else {
                return Ok(Next::Done(
                    if self.opts.count_only && l + 1 == self.net.layers().len() {
                        self.leaf_count()?
                    } else {
                        let (pattern, z) = step.finish(&bits);
                        let hints = Hints {
                            winners: hint,
                            base: None,
                            intervals: step.intervals(),
                        };
                        self.descend_hinted(l + 1, cell, pattern, z, hints)?
                    },
                ));
            };
            let Ok((lo, hi)) = self.split_by(l, step, i, cell) else {
                let cut = Some((&step.cutting[..j], bits.as_slice()));
                return Ok(Next::Done(self.exact_from(l, step.pat, cut)?));
            };
            let keep = |c: Option<C>| c.filter(|c| !self.negligible(c));
            Ok(Next::sides(j, keep(lo), keep(hi), bits, i))
        })
    }

    /// Split `cell` by cutting unit `i` of ReLU layer `l`: with the cheap map error, then
    /// the tight one, then after tightening the cell's vertex radii; `Err(cell)` when
    /// still undecided. The new edges are tagged with the unit ([`Self::unit_tag`]).
    fn split_by(
        &self,
        l: usize,
        step: &ReluStep<'_>,
        i: usize,
        cell: C,
    ) -> std::result::Result<(Option<C>, Option<C>), C> {
        let mode = self.opts.mode;
        let tag = self.unit_tag(l, i);
        cell.split_tagged(&step.map(i), mode, tag, None)
            .or_else(|cell| cell.split_tagged(&step.tight_map(i), mode, tag, None))
            .or_else(|mut cell| {
                // The undecided vertices' radii first, then every loose one.
                if cell.tighten_for(&step.tight_map(i), mode) {
                    cell.split_tagged(&step.tight_map(i), mode, tag, None)
                } else {
                    Err(cell)
                }
            })
            .or_else(|mut cell| {
                if cell.tighten() {
                    cell.split_tagged(&step.tight_map(i), mode, tag, None)
                } else {
                    Err(cell)
                }
            })
    }

    /// The tag of the cuts made by unit `i` of layer `l` (its pattern bit), in the exact
    /// mode when a pooling layer follows; [`NO_TAG`] otherwise. Within one walk, a cut tagged `t` lies on the
    /// hyperplane `h_i = 0` of that unit's map on the cell, which is the same on every
    /// cell below the cut (the layers before `l` keep their pattern).
    pub(super) fn unit_tag(&self, l: usize, i: usize) -> u32 {
        // Only a pooling layer right after reads the tags (`max::input_tags`), and the
        // facet report ([`Options::facets`]).
        let pooled = matches!(self.net.layers().get(l + 1), Some(Layer::MaxPool { .. }));
        if self.opts.mode != Mode::Exact || !(pooled || self.opts.facets) {
            return NO_TAG;
        }
        u32::try_from(self.net.offsets()[l] + i)
            .ok()
            .filter(|&t| t != NO_TAG)
            .unwrap_or(NO_TAG)
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            steps: self.steps.load(Ordering::Relaxed),
            exact_steps: self.exact_steps.load(Ordering::Relaxed),
        }
    }
}
