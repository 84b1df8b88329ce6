//! Sampling in parameter space: random initializations, their patterns and ranks,
//! and phase diagrams of rank against width and data size.

use rayon::prelude::*;

use super::{jacobian_rank, neuron_patterns, pattern_of, words, Data, RankRule, Wrt};
use crate::control::Control;
use crate::error::{checked_len, probe, try_zeroed, Result};
use crate::random::Rng;

/// How activation patterns are sampled (docs/math.md section 3; always report which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Random parameters: `Init::Torch` (PyTorch's `nn.Linear` default `U(±1/√d)`
    /// for weights and biases) or `Init::Gaussian` (`N(0, 1)` entries).
    Init(Init),
    /// `A` uniform over `{0,1}^{m×n}` (the count measure of the theorems).
    Uniform,
    /// Each neuron's row uniform over the realizable dichotomies of the data.
    Nonempty,
}

/// Parameter initializations of [`Scheme::Init`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    Torch,
    Gaussian,
}

/// Draw one pattern (`m` packed rows) under `scheme` with `rng`. `dichotomies`
/// (packed rows) is required for [`Scheme::Nonempty`]. An error names `X` when a
/// drawn unit's pre-activation overflows float64 on a point (its sign is unknown).
pub fn sample_pattern(
    data: &Data,
    m: usize,
    scheme: Scheme,
    dichotomies: Option<&[u64]>,
    rng: &mut Rng,
    out: &mut [u64],
) -> Result<()> {
    let (n, d, wd) = (data.n, data.d, words(data.n));
    match scheme {
        Scheme::Init(init) => {
            let bound = 1.0 / (d as f64).sqrt();
            let draw = |rng: &mut Rng| match init {
                Init::Torch => bound * (2.0 * rng.next_f64() - 1.0),
                Init::Gaussian => rng.normal(),
            };
            let w: Vec<f64> = (0..m * d).map(|_| draw(rng)).collect();
            let b: Vec<f64> = (0..m).map(|_| draw(rng)).collect();
            if let Some(at) = pattern_of(data, &w, &b, m, out) {
                return Err(super::patterns::overflow_error("X", at));
            }
        }
        Scheme::Uniform => {
            out.fill(0);
            for i in 0..m {
                for k in 0..wd {
                    let bits = if k + 1 == wd && n % 64 != 0 {
                        (1u64 << (n % 64)) - 1
                    } else {
                        u64::MAX
                    };
                    out[i * wd + k] = rng.next_u64() & bits;
                }
            }
        }
        Scheme::Nonempty => {
            let dich = dichotomies.expect("dichotomies are required for the nonempty scheme");
            let count = dich.len() / wd;
            for i in 0..m {
                let r = rng.below(count as u64) as usize;
                out[i * wd..(i + 1) * wd].copy_from_slice(&dich[r * wd..(r + 1) * wd]);
            }
        }
    }
    Ok(())
}

/// Check up front that one draw's working set (its pattern, and the weights of
/// [`Scheme::Init`]) and its Jacobian could be had, so that an impossible width is a
/// [`crate::Error::OutOfMemory`] before any work instead of an abort inside a worker.
fn probe_draw(n: usize, d: usize, m: usize, scheme: Scheme) -> Result<()> {
    probe(&[m, words(n)], 8, "one sampled pattern")?;
    if let Scheme::Init(_) = scheme {
        probe(&[m, d + 1], 8, "one draw's weights")?;
    }
    probe(&[n, m, d + 1], 8, "one sample's Jacobian")
}

/// Data of a phase-diagram trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDist {
    /// `U[0, 1]^{n×d}` (the Karhadkar et al. protocol).
    Uniform01,
    /// Standard Gaussian.
    Gaussian,
}

/// Draw `n × d` data.
pub fn sample_data(n: usize, d: usize, dist: DataDist, rng: &mut Rng) -> Vec<f64> {
    (0..n * d)
        .map(|_| match dist {
            DataDist::Uniform01 => rng.next_f64(),
            DataDist::Gaussian => rng.normal(),
        })
        .collect()
}

/// Ranks of `t` sampled patterns of width `m` on fixed data (trial `k` draws from
/// stream `k` of `seed`, so results never depend on the thread count).
#[allow(clippy::too_many_arguments)]
pub fn sample_ranks(
    data: &Data,
    m: usize,
    t: usize,
    scheme: Scheme,
    wrt: Wrt,
    rule: RankRule,
    seed: u64,
    ctrl: &Control,
) -> Result<Vec<(usize, f64)>> {
    let dich = if scheme == Scheme::Nonempty {
        Some(neuron_patterns(data, usize::MAX, ctrl)?)
    } else {
        None
    };
    let wd = words(data.n);
    probe_draw(data.n, data.d, m, scheme)?;
    probe(
        &[t],
        std::mem::size_of::<(usize, f64)>(),
        "the ranks of the samples",
    )?;
    (0..t)
        .into_par_iter()
        .map_init(
            || vec![0u64; m * wd],
            |buf, k| {
                ctrl.check()?;
                let mut rng = Rng::new(seed, k as u64);
                sample_pattern(data, m, scheme, dich.as_deref(), &mut rng, buf)?;
                let r = jacobian_rank(data, buf, m, None, wrt, rule, false);
                ctrl.advance(1);
                r
            },
        )
        .collect()
}

/// A phase diagram over cells `(n, m)` with `trials` each: every trial draws its own
/// data (`dist`, `n × d`) and pattern, from stream `(cell, trial)` of `seed`.
/// Returns per cell `(number of full-rank trials, sum of ranks)`.
#[allow(clippy::too_many_arguments)]
pub fn phase_diagram(
    cells: &[(usize, usize)],
    d: usize,
    trials: usize,
    dist: DataDist,
    bias: bool,
    scheme: Scheme,
    wrt: Wrt,
    rule: RankRule,
    seed: u64,
    ctrl: &Control,
) -> Result<Vec<(u64, u64)>> {
    let total = checked_len(
        &[cells.len(), trials],
        16,
        "the trials of the phase diagram",
    )?;
    for &(n, m) in cells {
        probe(&[n, d], 8, "one trial's data")?;
        probe_draw(n, d, m, scheme)?;
    }
    let ranks: Vec<(usize, bool)> = (0..total)
        .into_par_iter()
        .map(|flat| {
            ctrl.check()?;
            let (c, k) = (flat / trials, flat % trials);
            let (n, m) = cells[c];
            let mut rng = Rng::new(seed, ((c as u64) << 32) | k as u64);
            let x = sample_data(n, d, dist, &mut rng);
            let data = Data::new(&x, n, d, bias)?;
            let dich = if scheme == Scheme::Nonempty {
                Some(neuron_patterns(&data, usize::MAX, ctrl)?)
            } else {
                None
            };
            let mut a = vec![0u64; m * words(n)];
            sample_pattern(&data, m, scheme, dich.as_deref(), &mut rng, &mut a)?;
            let (r, _) = jacobian_rank(&data, &a, m, None, wrt, rule, false)?;
            ctrl.advance(1);
            Ok((r, r == n))
        })
        .collect::<Result<_>>()?;
    Ok((0..cells.len())
        .map(|c| {
            let rs = &ranks[c * trials..(c + 1) * trials];
            (
                rs.iter().filter(|r| r.1).count() as u64,
                rs.iter().map(|r| r.0 as u64).sum(),
            )
        })
        .collect())
}

/// `t` patterns of width `m` sampled on fixed data (`t × m × words(n)`); pattern `k`
/// is the one [`sample_ranks`] uses for trial `k` under the same seed.
pub fn sample_patterns(
    data: &Data,
    m: usize,
    t: usize,
    scheme: Scheme,
    seed: u64,
    ctrl: &Control,
) -> Result<Vec<u64>> {
    let dich = if scheme == Scheme::Nonempty {
        Some(neuron_patterns(data, usize::MAX, ctrl)?)
    } else {
        None
    };
    let wd = words(data.n);
    probe_draw(data.n, data.d, m, scheme)?;
    let mut out = try_zeroed::<u64>(&[t, m, wd], "the sampled patterns")?;
    out.par_chunks_mut((m * wd).max(1))
        .enumerate()
        .try_for_each(|(k, chunk)| {
            ctrl.check()?;
            let mut rng = Rng::new(seed, k as u64);
            sample_pattern(data, m, scheme, dich.as_deref(), &mut rng, chunk)
        })?;
    Ok(out)
}
