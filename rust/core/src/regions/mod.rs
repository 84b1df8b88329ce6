//! Exact linear regions of a network on a segment, a 2D slice or a full-dimensional
//! polytope of input space (`docs/math.md` section 2), for any input dimension.
//!
//! Regions live in the coordinates `s` of a cell: a slice `x = o + Σ_c s_c e_c` (`k = 1`:
//! a segment, `s ∈ [0, 1]`; `k = 2`: a polygon of a plane) or the input itself (`k = d`,
//! a [`VPolytope`]). Every hidden unit is the maximum of affine *pieces*: ReLU is
//! `max(0, h)`, leaky ReLU `max(αh, h)`, maxout its `k` pieces, max-pooling its window;
//! the pattern entry is the index of the maximizing piece (lowest on ties, so a
//! pre-activation of exactly 0 is inactive).
//!
//! Layout:
//! - [`cells`]: the cell geometries and the filtered sign predicates that cut them;
//! - [`affine`]: per-cell affine maps in float with proven error bounds;
//! - `walk`: the depth-first walk over layers (float path);
//! - [`exact`]: exact arithmetic and the exact path of the walk;
//! - [`space`]: the regions of all of `R^d`, by homogenization;
//! - [`lines`]: one layer of lines in a rectangle, counted by a formula;
//! - [`interior`]: certified interior points, exact ones where floats fail.
//!
//! **Exactness.** With [`Mode::Exact`] (the default) the answer is the one exact rational
//! arithmetic gives on the float64 inputs: every sign is decided by a filtered predicate
//! and, when the float bound cannot decide it, the cell is redone in exact arithmetic
//! from that layer on ([`Stats::exact_steps`] counts those). No region without interior
//! is reported and none is lost, whatever the degeneracy. [`Mode::Tol`] is the explicit
//! choice to merge slivers thinner than a relative tolerance.
//!
//! Memory is bounded by the recursion depth, so `count_only` streams for ReLU networks.
//! Cost per cell and layer: `O(n_l · n_{l-1} · (k+1))` flops plus the cuts.

pub mod adjacency;
pub mod affine;
pub mod cells;
pub mod exact;
pub mod interior;
pub mod lines;
pub mod space;
mod walk;

use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;

use rayon::prelude::*;

pub use affine::Lin;
pub use cells::{Cell, HCell, Interval, Map, Mode, Polygon, VPolytope, MAX_BOX_DIM, TOL};

use crate::control::Control;
use crate::error::{invalid, Result};
use crate::network::{Activation, Layer, Network};
use affine::DenseBlocks;
use exact::ExactLin;
use walk::{next_walk_id, ExactInputs, Readers, Walk};

/// One region on the slice.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceRegion<C> {
    pub cell: C,
    /// Packed pattern (the layout of [`Network`]).
    pub pattern: Vec<u64>,
    /// The network output on the cell as an affine map of `s`.
    pub output: Lin,
    /// With [`Options::facets`]: the units (global unit index, the pattern bit) whose
    /// cuts made the cell's facets, when every sign of the cell's history was decided
    /// strictly by the float filter; `None` otherwise (or without the option). See
    /// [`adjacency`] for what this proves.
    pub facets: Option<Vec<u32>>,
}

/// How often the walk needed exact arithmetic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Cell-layer steps of the float path (one per cell and layer).
    pub steps: u64,
    /// Cell-layer steps of the exact path (cells whose float predicates were undecided,
    /// and everything below them).
    pub exact_steps: u64,
}

/// The result of a region computation.
#[derive(Debug, Clone)]
pub struct Outcome<C> {
    pub count: u64,
    /// The regions (empty with `count_only`), segments in order along the segment.
    pub regions: Vec<SliceRegion<C>>,
    pub stats: Stats,
}

/// Settings of a region computation.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How signs are decided ([`Mode::Exact`] by default).
    pub mode: Mode,
    /// Raise [`crate::Error::LimitExceeded`] beyond this many regions.
    pub max_regions: u64,
    /// Count only: return no regions (memory bounded by the depth of the walk).
    pub count_only: bool,
    /// Slivers below this measure are dropped (tolerance mode; set from the domain).
    pub min_measure: f64,
    /// Compute each kept region's output map (`false`: an empty [`Lin`], for callers
    /// that need only cells and patterns).
    pub maps: bool,
    /// Exact mode, ReLU / leaky ReLU layers: tag every cut with its unit and report
    /// each region's facet units ([`SliceRegion::facets`]); an exactly zero map that
    /// is not zero by its weights goes to the exact path.
    pub facets: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Exact,
            max_regions: u64::MAX,
            count_only: false,
            min_measure: 0.0,
            maps: true,
            facets: false,
        }
    }
}

/// A slice `x = origin + Σ_c s_c (dirs_c + lo_c)` of input space: `dirs` and `lo` hold
/// `k` rows of length `n0`; `lo` are exact corrections of the rounded directions (zero
/// when the directions are exact floats).
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub origin: Vec<f64>,
    pub dirs: Vec<f64>,
    pub lo: Vec<f64>,
}

/// `a − b = hi + lo` exactly (TwoSum).
fn two_diff(a: f64, b: f64) -> (f64, f64) {
    let s = a - b;
    let bb = s - a;
    (s, (a - (s - bb)) - (b + bb))
}

impl Slice {
    /// The slice with exact directions.
    pub fn new(origin: &[f64], dirs: &[f64]) -> Self {
        Slice {
            origin: origin.to_vec(),
            dirs: dirs.to_vec(),
            lo: vec![0.0; dirs.len()],
        }
    }

    /// The slice `x0 + Σ_c s_c (x_c − x0)` through points (`ends`: `k` rows), with the
    /// differences kept exactly.
    pub fn through(x0: &[f64], ends: &[f64]) -> Self {
        let n = x0.len().max(1);
        let (dirs, lo) = ends
            .iter()
            .enumerate()
            .map(|(i, &e)| two_diff(e, x0[i % n]))
            .unzip();
        Slice {
            origin: x0.to_vec(),
            dirs,
            lo,
        }
    }

    /// The identity slice of `R^d` (origin 0, unit directions), for full-dimensional domains.
    pub fn identity(d: usize) -> Self {
        let mut dirs = vec![0.0; d * d];
        for c in 0..d {
            dirs[c * d + c] = 1.0;
        }
        Slice::new(&vec![0.0; d], &dirs)
    }

    /// The slice's input map in exact integers.
    pub fn exact(&self, k: usize) -> ExactLin {
        ExactLin::slice(&self.origin, &self.dirs, &self.lo, k)
    }

    /// The input map in float, with errors for a domain of extent `ext`.
    fn float(&self, k: usize, ext: f64) -> Lin {
        let n0 = self.origin.len();
        let mut b = vec![0.0; n0 * k];
        let mut err = vec![0.0; n0];
        // The transpose in tiles (the identity slice of a box in R^784 is 614,656
        // entries per local count).
        const T: usize = 32;
        for c0 in (0..k).step_by(T) {
            for j0 in (0..n0).step_by(T) {
                for c in c0..(c0 + T).min(k) {
                    for j in j0..(j0 + T).min(n0) {
                        b[j * k + c] = self.dirs[c * n0 + j];
                    }
                }
            }
        }
        if self.lo.iter().any(|&v| v != 0.0) {
            for lo in self.lo.chunks(n0.max(1)).take(k) {
                for (e, l) in err.iter_mut().zip(lo) {
                    *e += l.abs() * ext * (1.0 + 4.0 * f64::EPSILON);
                }
            }
        }
        Lin {
            a: self.origin.clone(),
            b,
            err,
        }
    }
}

/// Regions of `net` on the cell `domain` of `slice` (`k = domain.dim()` directions; for a
/// full-dimensional domain, [`Slice::identity`]).
pub fn regions_in<C: Cell>(
    net: &Network,
    slice: &Slice,
    domain: C,
    opts: Options,
    ctrl: &Control,
) -> Result<Outcome<C>> {
    walk_from(net, slice, domain, opts, ctrl, true)
}

fn walk_from<C: Cell>(
    net: &Network,
    slice: &Slice,
    domain: C,
    opts: Options,
    ctrl: &Control,
    report: bool,
) -> Result<Outcome<C>> {
    let k = domain.dim();
    check_slice(net, slice, k)?;
    let opts = Options {
        min_measure: min_measure(opts.mode, &domain)?,
        ..opts
    };
    let row_l1 = net
        .layers()
        .iter()
        .map(|layer| match layer {
            Layer::Dense { affine, .. } => affine.row_l1(),
            Layer::MaxPool { .. } => Vec::new(),
        })
        .collect();
    let z0 = slice.float(k, domain.extent());
    let exact = ExactInputs {
        domain: domain.clone(),
        slice,
        net: OnceLock::new(),
        cell: OnceLock::new(),
        z0: OnceLock::new(),
    };
    // Map reuse between neighbouring cells (`walk::reuse`): sparse ReLU layers, and
    // dense ones after a max layer (whose output often does not change between
    // siblings); after a ReLU layer a dense input always changed, so reuse would only
    // cost the comparison.
    let layers = net.layers();
    let readers = (0..layers.len())
        .map(|l| match &layers[l] {
            Layer::Dense {
                affine,
                activation: Activation::Relu | Activation::LeakyRelu(_),
            } => {
                let after_max = l > 0
                    && matches!(
                        layers[l - 1],
                        Layer::MaxPool { .. }
                            | Layer::Dense {
                                activation: Activation::Maxout(_),
                                ..
                            }
                    );
                Readers::of(affine).filter(|r| after_max || !r.is_dense())
            }
            _ => None,
        })
        .collect();
    let blocks = layers
        .iter()
        .map(|layer| match layer {
            Layer::Dense {
                affine,
                activation: Activation::Relu | Activation::LeakyRelu(_),
            } => DenseBlocks::of(affine),
            _ => None,
        })
        .collect();
    let walk = Walk {
        net,
        row_l1,
        blocks,
        id: next_walk_id(),
        readers,
        opts,
        found: AtomicU64::new(0),
        ctrl,
        report,
        steps: AtomicU64::new(0),
        exact_steps: AtomicU64::new(0),
        exact,
    };
    let (count, mut regions) = walk.descend(0, domain, vec![0u64; net.n_words()], z0)?;
    if k == 1 {
        regions.sort_by(|a, b| a.cell.interior()[0].total_cmp(&b.cell.interior()[0]));
        chain_intervals(&mut regions);
    }
    Ok(Outcome {
        count,
        regions,
        stats: walk.stats(),
    })
}

/// The slice must match the network's input dimension and be finite.
fn check_slice(net: &Network, slice: &Slice, k: usize) -> Result<()> {
    let n0 = net.input_dim();
    if slice.origin.len() != n0 || slice.dirs.len() != n0 * k || slice.lo.len() != n0 * k {
        return Err(invalid(
            "origin/directions",
            format!("expected points of dimension {n0}"),
        ));
    }
    if slice
        .origin
        .iter()
        .chain(&slice.dirs)
        .chain(&slice.lo)
        .any(|v| !v.is_finite())
    {
        return Err(invalid("origin/directions", "must be finite"));
    }
    Ok(())
}

/// The smallest measure of a part worth keeping: `tol^k` of the domain's measure with
/// an explicit tolerance, 0 (nothing dropped) in the exact modes.
fn min_measure<C: Cell>(mode: Mode, domain: &C) -> Result<f64> {
    Ok(match mode {
        Mode::Tol(t) if !(t > 0.0 && t < 1e-3) => {
            return Err(invalid("tol", format!("must be in [0, 1e-3), got {t}")))
        }
        Mode::Tol(t) => {
            let m = domain.measure();
            if m.is_finite() {
                t.powi(domain.dim() as i32) * m.abs()
            } else {
                0.0
            }
        }
        Mode::Exact | Mode::Rational => 0.0,
    })
}

/// Consecutive intervals share their breakpoint exactly (a breakpoint rounded on the float
/// and on the exact path can differ in the last bit).
fn chain_intervals<C: Cell>(regions: &mut [SliceRegion<C>]) {
    for i in 1..regions.len() {
        let (left, right) = regions.split_at_mut(i);
        right[0].cell.set_lower_end(&left[i - 1].cell);
    }
}

/// Regions of `net` in a full-dimensional polytope of its input space (progress: one
/// unit per region).
pub fn domain_regions(
    net: &Network,
    domain: VPolytope,
    opts: Options,
    ctrl: &Control,
) -> Result<Outcome<VPolytope>> {
    domain_walk(net, domain, opts, ctrl, true)
}

fn domain_walk(
    net: &Network,
    domain: VPolytope,
    opts: Options,
    ctrl: &Control,
    report: bool,
) -> Result<Outcome<VPolytope>> {
    if domain.dim() != net.input_dim() {
        return Err(invalid(
            "domain",
            format!(
                "has dimension {}, the network's input has {}",
                domain.dim(),
                net.input_dim()
            ),
        ));
    }
    walk_from(
        net,
        &Slice::identity(domain.dim()),
        domain,
        opts,
        ctrl,
        report,
    )
}

/// The lines `[a, b, c]` of a network of two inputs with one hidden ReLU or leaky ReLU
/// layer (its regions in a rectangle are those of the lines, [`lines::count_in_rect`]),
/// in the exact mode (the rational mode stays the walk: it is the oracle) and for a
/// valid rectangle; `None` otherwise.
fn one_layer_of_lines(net: &Network, lo: &[f64], hi: &[f64], mode: Mode) -> Option<Vec<[f64; 3]>> {
    let [Layer::Dense {
        affine,
        activation: Activation::Relu | Activation::LeakyRelu(_),
    }] = net.layers()
    else {
        return None;
    };
    let valid = lo.len() == 2
        && hi.len() == 2
        && lo.iter().chain(hi).all(|v| v.is_finite())
        && lo[0] < hi[0]
        && lo[1] < hi[1];
    if !valid || affine.n_in != 2 || mode != Mode::Exact {
        return None;
    }
    Some(
        (0..affine.n_out)
            .map(|i| {
                let mut f = [0.0, 0.0, affine.b[i]];
                for (c, w) in affine.row(i).iter() {
                    f[c] = w;
                }
                f
            })
            .collect(),
    )
}

/// Dimensions up to which [`local_counts`] represents a box by its vertices
/// ([`VPolytope`], `2^d` of them) with [`LocalMethod::Auto`]; above, in halfspace form
/// ([`HCell`]).
pub const LOCAL_VERTEX_MAX_DIM: usize = 6;

/// How [`local_counts`] represents a box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalMethod {
    /// Vertices up to [`LOCAL_VERTEX_MAX_DIM`], halfspaces above.
    Auto,
    /// By its `2^d` vertices (`d ≤` [`MAX_BOX_DIM`]).
    Vertices,
    /// In halfspace form with certificates (any `d`; an undecided sign is redone by the
    /// vertices when `d ≤` [`MAX_BOX_DIM`]).
    Halfspaces,
}

/// Exact local complexity: for each of the `n` points (rows of `x`), the number of
/// regions meeting the box `[x − r, x + r]`; in parallel over points (progress: one
/// unit per point; `max_regions` applies to each box). Boxes of dimension up to
/// [`LOCAL_VERTEX_MAX_DIM`] are walked by their vertices, larger ones in halfspace form
/// (any dimension); a box whose halfspace walk leaves a sign undecided is redone by
/// its vertices when its dimension allows ([`MAX_BOX_DIM`]), and is an error otherwise.
pub fn local_counts(
    net: &Network,
    x: &[f64],
    radius: f64,
    opts: Options,
    method: LocalMethod,
    ctrl: &Control,
) -> Result<Vec<u64>> {
    let d = net.input_dim();
    if x.len() % d != 0 {
        return Err(invalid("X", format!("expected rows of dimension {d}")));
    }
    if !(radius.is_finite() && radius > 0.0) {
        return Err(invalid(
            "radius",
            format!("must be finite and > 0, got {radius}"),
        ));
    }
    let opts = Options {
        count_only: true,
        ..opts
    };
    let halfspaces = opts.mode != Mode::Rational
        && match method {
            LocalMethod::Auto => d > LOCAL_VERTEX_MAX_DIM,
            LocalMethod::Vertices => false,
            LocalMethod::Halfspaces => true,
        };
    if halfspaces {
        halfspace_budget(net, d, "the input maps of local counts in halfspace form")?;
    }
    let identity = if halfspaces {
        Slice::identity(d)
    } else {
        Slice::new(&[], &[])
    };
    x.par_chunks(d)
        .map(|p| {
            let lo: Vec<f64> = p.iter().map(|v| v - radius).collect();
            let hi: Vec<f64> = p.iter().map(|v| v + radius).collect();
            let count = local_count(
                net,
                p,
                &lo,
                &hi,
                opts,
                halfspaces.then_some(&identity),
                ctrl,
            )?;
            ctrl.advance(1);
            Ok(count)
        })
        .collect()
}

/// Refuse a halfspace walk in dimension `d` whose maps cannot fit: each concurrent
/// walk holds the identity slice and its float map (`d × d` each) and a few maps of
/// every layer (`width × d`), checked before any thread allocates them.
fn halfspace_budget(net: &Network, d: usize, what: &str) -> Result<()> {
    let widest = (0..net.layers().len())
        .map(|l| net.width(l))
        .max()
        .unwrap_or(0);
    let per_box = (d as u64)
        .saturating_mul(d as u64)
        .saturating_mul(2)
        .saturating_add((widest as u64).saturating_mul(d as u64).saturating_mul(4))
        .saturating_mul(8);
    let threads = rayon::current_num_threads().max(1) as u64;
    crate::error::check_budget(per_box.saturating_mul(threads), what)
}

/// The number of regions in the box `[lo, hi]` (count only; progress: one unit per
/// region): by the box's vertices up to [`LOCAL_VERTEX_MAX_DIM`] (and in the rational
/// mode), in halfspace form above, in any dimension, as [`local_counts`] walks its
/// boxes (a sign the certificates leave undecided redoes the box by its vertices when
/// `d ≤` [`MAX_BOX_DIM`], and is an error above).
pub fn box_count(
    net: &Network,
    lo: &[f64],
    hi: &[f64],
    opts: Options,
    ctrl: &Control,
) -> Result<Outcome<VPolytope>> {
    let d = lo.len();
    let opts = Options {
        count_only: true,
        ..opts
    };
    if let Some(lines) = one_layer_of_lines(net, lo, hi, opts.mode) {
        let count = lines::count_in_rect(&lines, [lo[0], lo[1]], [hi[0], hi[1]], ctrl)?;
        return Ok(Outcome {
            count: lines::check_limit(count, opts.max_regions)?,
            regions: Vec::new(),
            stats: Stats::default(),
        });
    }
    let by_vertices = || domain_walk(net, VPolytope::boxed(lo, hi)?, opts, ctrl, true);
    if d <= LOCAL_VERTEX_MAX_DIM || opts.mode == Mode::Rational || hi.len() != d {
        return by_vertices();
    }
    if d != net.input_dim() {
        return Err(invalid(
            "domain",
            format!(
                "has dimension {d}, the network's input has {}",
                net.input_dim()
            ),
        ));
    }
    if lo.iter().chain(hi).any(|v| !v.is_finite()) || lo.iter().zip(hi).any(|(a, b)| a >= b) {
        return Err(invalid(
            "lo/hi",
            "must be finite with lo < hi in every coordinate",
        ));
    }
    halfspace_budget(net, d, "the input maps of a box count in halfspace form")?;
    let centre: Vec<f64> = lo.iter().zip(hi).map(|(a, b)| 0.5 * a + 0.5 * b).collect();
    let Some(cell) = HCell::boxed(lo, hi, &centre) else {
        return by_vertices();
    };
    match halfspace_walk(net, &Slice::identity(d), cell, opts, ctrl, true)? {
        Some(out) => Ok(Outcome {
            count: out.count,
            regions: Vec::new(),
            stats: out.stats,
        }),
        None => by_vertices(),
    }
}

/// The walk of a box in halfspace form (`identity`: the identity slice of its space);
/// `None` when a sign is left undecided in a dimension the vertex walk allows
/// (`d ≤` [`MAX_BOX_DIM`]): the caller redoes the box by its vertices.
fn halfspace_walk(
    net: &Network,
    identity: &Slice,
    cell: HCell,
    opts: Options,
    ctrl: &Control,
    report: bool,
) -> Result<Option<Outcome<HCell>>> {
    let d = cell.dim();
    match walk_from(net, identity, cell, opts, ctrl, report) {
        Ok(out) => Ok(Some(out)),
        Err(crate::error::Error::LimitExceeded { name, .. })
            if name == "exact" && d <= MAX_BOX_DIM =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The regions meeting the box `[lo, hi]` around `p` (in halfspace form when given the
/// identity slice of `R^d`, else by the box's vertices).
fn local_count(
    net: &Network,
    p: &[f64],
    lo: &[f64],
    hi: &[f64],
    opts: Options,
    halfspaces: Option<&Slice>,
    ctrl: &Control,
) -> Result<u64> {
    let by_vertices = || -> Result<u64> {
        Ok(domain_walk(net, VPolytope::boxed(lo, hi)?, opts, ctrl, false)?.count)
    };
    let Some(identity) = halfspaces else {
        return by_vertices();
    };
    if lo.iter().chain(hi).any(|v| !v.is_finite()) || lo.iter().zip(hi).any(|(a, b)| a >= b) {
        return Err(invalid(
            "X/radius",
            "the box [x - radius, x + radius] must be finite with lo < hi in every coordinate (radius too small for the point's magnitude?)",
        ));
    }
    // The point itself, or the box's centre when rounding put it on a face.
    let centre: Vec<f64> = lo.iter().zip(hi).map(|(a, b)| 0.5 * a + 0.5 * b).collect();
    let cell = HCell::boxed(lo, hi, p)
        .or_else(|| HCell::boxed(lo, hi, &centre))
        .ok_or_else(|| invalid("X/radius", "the box has no float point strictly inside"))?;
    match halfspace_walk(net, identity, cell, opts, ctrl, false)? {
        Some(out) => Ok(out.count),
        None => by_vertices(),
    }
}
