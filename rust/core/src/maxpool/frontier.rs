//! The frontier (path-decomposition) dynamic program that counts the vertices of
//! `Σ_j Δ_{W_j}` for any window family (see the [module docs](super)).

use num_bigint::BigUint;
use rayon::prelude::*;

use super::{frontier_width, validate, MAX_FRONTIER};
use crate::bits::{get_wide, put_wide};
use crate::control::Control;
use crate::error::{check_budget, invalid, try_with_capacity, Error, Result};
use crate::hashset::{hash_words, WordMap};

/// Exact counts: `u128` with overflow detection, or `BigUint`.
pub trait Count: Clone + Send + Sync {
    fn zero() -> Self;
    fn one() -> Self;
    /// `self += other`, or `Err` on overflow.
    fn add(&mut self, other: &Self) -> Result<()>;
    fn into_big(self) -> BigUint;
}

fn overflow() -> Error {
    Error::LimitExceeded {
        name: "u128".into(),
        limit: 128,
        message: "count overflowed 128 bits".into(),
    }
}

impl Count for u128 {
    fn zero() -> Self {
        0
    }
    fn one() -> Self {
        1
    }
    #[inline]
    fn add(&mut self, other: &Self) -> Result<()> {
        *self = self.checked_add(*other).ok_or_else(overflow)?;
        Ok(())
    }
    fn into_big(self) -> BigUint {
        BigUint::from(self)
    }
}

impl Count for BigUint {
    fn zero() -> Self {
        BigUint::ZERO
    }
    fn one() -> Self {
        BigUint::from(1u8)
    }
    #[inline]
    fn add(&mut self, other: &Self) -> Result<()> {
        *self += other;
        Ok(())
    }
    fn into_big(self) -> BigUint {
        self
    }
}

/// Packed words of an `f × f` bit relation.
fn rel_words(f: usize) -> usize {
    (f * f).div_ceil(64).max(1)
}

/// Bit compression by table: for each byte of a universe row, the bits it contributes
/// at the kept positions (`keep` increasing), so that a row compresses in `⌈u/8⌉` lookups.
struct Compress {
    table: Vec<[u128; 256]>,
}

impl Compress {
    fn new(u: usize, keep: &[usize]) -> Self {
        let bytes = u.div_ceil(8).max(1);
        let mut table = vec![[0u128; 256]; bytes];
        for (q, &b) in keep.iter().enumerate() {
            for (v, entry) in table[b / 8].iter_mut().enumerate() {
                if v >> (b % 8) & 1 == 1 {
                    *entry |= 1u128 << q;
                }
            }
        }
        Compress { table }
    }
    #[inline]
    fn apply(&self, row: u128) -> u128 {
        let mut out = 0;
        for (i, t) in self.table.iter().enumerate() {
            out |= t[(row >> (8 * i)) as usize & 0xFF];
        }
        out
    }
}

/// The DP's states: relation keys (`f × f` bits, packed) and their counts.
struct States<C> {
    keys: Vec<u64>,
    counts: Vec<C>,
}

/// Number of hash shards the successors are routed to (top 6 bits of the hash).
const SHARDS: usize = 64;
/// States per parallel chunk of the expansion.
const CHUNK: usize = 4096;

/// Successors of one chunk routed to one shard: keys (`nw` words each), the state
/// each came from, and the key hashes.
#[derive(Clone, Default)]
struct Routed {
    keys: Vec<u64>,
    src: Vec<u32>,
    hashes: Vec<u64>,
}

/// One DP step: the next window joins the universe (frontier first, at the same
/// positions as in the keys, then the window's new elements); the elements that occur
/// again later form the next frontier.
struct Step {
    /// Frontier size before and after the step.
    f: usize,
    nf: usize,
    /// Universe size.
    u: usize,
    /// Universe positions of the window's elements.
    widx: Vec<usize>,
    /// Universe positions of the next frontier.
    next_pos: Vec<usize>,
    compress: Compress,
}

impl Step {
    /// Plan step `t` (window `w`) from `frontier`; returns the step and the next
    /// frontier. `pos` is scratch of length `n`, all `usize::MAX` on entry and exit.
    fn plan(
        frontier: &[usize],
        w: &[usize],
        last: &[usize],
        t: usize,
        pos: &mut [usize],
    ) -> (Step, Vec<usize>) {
        let mut universe = frontier.to_vec();
        for (i, &e) in universe.iter().enumerate() {
            pos[e] = i;
        }
        for &e in w {
            if pos[e] == usize::MAX {
                pos[e] = universe.len();
                universe.push(e);
            }
        }
        let widx = w.iter().map(|&e| pos[e]).collect();
        let next_frontier: Vec<usize> = universe.iter().copied().filter(|&e| last[e] > t).collect();
        let next_pos: Vec<usize> = next_frontier.iter().map(|&e| pos[e]).collect();
        for &e in &universe {
            pos[e] = usize::MAX;
        }
        let step = Step {
            f: frontier.len(),
            nf: next_frontier.len(),
            u: universe.len(),
            compress: Compress::new(universe.len(), &next_pos),
            widx,
            next_pos,
        };
        (step, next_frontier)
    }

    /// Route the successors of states `c·CHUNK..` to their shards. A successor picks
    /// a winner `w` of the window that no other window element already reaches; rows
    /// that reach `w` (or are `w`) then gain everything the losers reach.
    fn expand_chunk(&self, keys: &[u64], n_states: usize, c: usize) -> Vec<Routed> {
        let (f, nf) = (self.f, self.nf);
        let (ow, nw) = (rel_words(f), rel_words(nf));
        let mut out = vec![Routed::default(); SHARDS];
        let mut rel = vec![0u128; self.u];
        let mut crow = vec![0u128; nf]; // compressed rows of the next frontier
        let mut key = vec![0u64; nw];
        for s in c * CHUNK..((c + 1) * CHUNK).min(n_states) {
            let k = &keys[s * ow..(s + 1) * ow];
            for (a, r) in rel.iter_mut().enumerate() {
                *r = if a < f { get_wide(k, a * f, f) } else { 0 };
            }
            for (cr, &a) in crow.iter_mut().zip(&self.next_pos) {
                *cr = self.compress.apply(rel[a]);
            }
            for (wi, &iw) in self.widx.iter().enumerate() {
                let Some(reach) = self.losers_reach(&rel, wi, iw) else {
                    continue;
                };
                let creach = self.compress.apply(reach);
                let bit = 1u128 << iw;
                let row = |p: usize, a: usize| {
                    if a == iw || rel[a] & bit != 0 {
                        crow[p] | creach
                    } else {
                        crow[p]
                    }
                };
                if nf * nf <= 128 {
                    let mut packed = 0u128;
                    for (p, &a) in self.next_pos.iter().enumerate() {
                        packed |= row(p, a) << (p * nf);
                    }
                    key[0] = packed as u64;
                    if nw > 1 {
                        key[1] = (packed >> 64) as u64;
                    }
                } else {
                    key.iter_mut().for_each(|v| *v = 0);
                    for (p, &a) in self.next_pos.iter().enumerate() {
                        put_wide(&mut key, p * nf, nf, row(p, a));
                    }
                }
                let h = hash_words(&key);
                let shard = &mut out[(h >> 58) as usize];
                shard.keys.extend_from_slice(&key);
                shard.src.push(s as u32);
                shard.hashes.push(h);
            }
        }
        out
    }

    /// With window element `wi` (universe position `iw`) as the winner: `None` if some
    /// other element of the window already reaches it, else the union of the losers
    /// and what they reach.
    #[inline]
    fn losers_reach(&self, rel: &[u128], wi: usize, iw: usize) -> Option<u128> {
        let bit = 1u128 << iw;
        let mut reach = 0u128;
        for (xi, &ix) in self.widx.iter().enumerate() {
            if xi != wi {
                if rel[ix] & bit != 0 {
                    return None;
                }
                reach |= (1u128 << ix) | rel[ix];
            }
        }
        Some(reach)
    }
}

/// Aggregate shard `h` of every chunk: distinct keys in order of first appearance,
/// counts summed from the source states.
fn aggregate_shard<C: Count>(
    expanded: &[Vec<Routed>],
    h: usize,
    nw: usize,
    counts: &[C],
) -> Result<States<C>> {
    let total: usize = expanded.iter().map(|c| c[h].src.len()).sum();
    let mut map: WordMap<C> = WordMap::try_with_capacity(nw, total)?;
    for chunk in expanded {
        let r = &chunk[h];
        for (i, (&sidx, &hash)) in r.src.iter().zip(&r.hashes).enumerate() {
            let c = &counts[sidx as usize];
            // Shards use the top hash bits; the map probes with the low bits.
            map.upsert(
                &r.keys[i * nw..(i + 1) * nw],
                hash,
                || c.clone(),
                |v| v.add(c),
            )?;
        }
    }
    let (keys, counts) = map.into_parts();
    Ok(States { keys, counts })
}

/// Check `order` and the frontier width; returns, per element, the step of its last
/// occurrence.
fn prepare(windows: &[Vec<usize>], n: usize, order: &[usize]) -> Result<Vec<usize>> {
    validate(windows, n)?;
    let m = windows.len();
    let mut check = order.to_vec();
    check.sort_unstable();
    if check != (0..m).collect::<Vec<_>>() {
        return Err(invalid("order", format!("must be a permutation of 0..{m}")));
    }
    let width = frontier_width(windows, n, order);
    if width > MAX_FRONTIER {
        return Err(Error::LimitExceeded {
            name: "frontier".into(),
            limit: MAX_FRONTIER as u64,
            message: format!(
                "this window order needs a frontier of {width} elements; try another order"
            ),
        });
    }
    let mut last = vec![0usize; n];
    for (t, &j) in order.iter().enumerate() {
        for &e in &windows[j] {
            last[e] = t;
        }
    }
    Ok(last)
}

/// Number of vertices of `Σ_j Δ_{W_j}` (= linear regions of the max-pooling layer),
/// by the frontier DP over the windows in `order` (a permutation of `0..m`).
/// `max_states` bounds the number of DP states held at once. Each step expands the
/// states in parallel chunks, routes the successors to hash shards, and aggregates
/// each shard in parallel, so the result never depends on the thread count.
pub fn count_vertices<C: Count>(
    windows: &[Vec<usize>],
    n: usize,
    order: &[usize],
    max_states: usize,
    ctrl: &Control,
) -> Result<C> {
    let last = prepare(windows, n, order)?;
    let mut frontier: Vec<usize> = Vec::new();
    let mut states: States<C> = States {
        keys: vec![0],
        counts: vec![C::one()],
    };
    let mut pos = vec![usize::MAX; n]; // element -> index in the current universe
    for (t, &j) in order.iter().enumerate() {
        ctrl.check()?;
        let (step, next_frontier) = Step::plan(&frontier, &windows[j], &last, t, &mut pos);
        let n_states = states.counts.len();
        let n_chunks = n_states.div_ceil(CHUNK);
        let nw = rel_words(step.nf);
        // Each state has at most one successor per input of the window: the expanded
        // successors (routed keys, hashes, sources) and the merged states, bounded
        // before they are built.
        let successors = (n_states as u64).saturating_mul(windows[j].len() as u64 + 1);
        let per_state = 2 * (8 * nw as u64 + 16) + std::mem::size_of::<C>() as u64;
        check_budget(
            successors.saturating_mul(per_state),
            &format!("the max-pooling DP at window {t} ({successors} successor states)"),
        )?;
        let (shards, total) = if n_chunks == 1 {
            let expanded = vec![step.expand_chunk(&states.keys, n_states, 0)];
            let shards = (0..SHARDS).map(|h| aggregate_shard(&expanded, h, nw, &states.counts));
            collect_shards(shards, max_states, t)?
        } else {
            let expanded: Vec<Vec<Routed>> = (0..n_chunks)
                .into_par_iter()
                .map(|c| {
                    ctrl.check()
                        .map(|_| step.expand_chunk(&states.keys, n_states, c))
                })
                .collect::<Result<_>>()?;
            let shards: Vec<Result<States<C>>> = (0..SHARDS)
                .into_par_iter()
                .map(|h| aggregate_shard(&expanded, h, nw, &states.counts))
                .collect();
            collect_shards(shards.into_iter(), max_states, t)?
        };
        let what = "the max-pooling DP states";
        let mut next = States {
            keys: try_with_capacity(total.saturating_mul(nw), 0, what)?,
            counts: try_with_capacity(total, 0, what)?,
        };
        for sh in shards {
            next.keys.extend(sh.keys);
            next.counts.extend(sh.counts);
        }
        if std::env::var_os("REGIONS_DEBUG_DP").is_some() {
            eprintln!("step {t}: frontier {} states {total}", step.nf);
        }
        states = next;
        frontier = next_frontier;
        ctrl.advance(1);
    }
    let mut total = C::zero();
    for c in &states.counts {
        total.add(c)?;
    }
    Ok(total)
}

/// The shards of step `t` and their total number of states: at most `max_states`,
/// and at most `u32::MAX` (the width of a state id).
fn collect_shards<C>(
    shards: impl Iterator<Item = Result<States<C>>>,
    max_states: usize,
    t: usize,
) -> Result<(Vec<States<C>>, usize)> {
    let shards: Vec<States<C>> = shards.collect::<Result<_>>()?;
    let total: usize = shards.iter().map(|s| s.counts.len()).sum();
    if total > max_states {
        return Err(Error::LimitExceeded {
            name: "max_states".into(),
            limit: max_states as u64,
            message: format!("the DP needs more than {max_states} states at window {t}"),
        });
    }
    if total > u32::MAX as usize {
        return Err(Error::LimitExceeded {
            name: "states".into(),
            limit: u32::MAX as u64,
            message: "too many DP states".into(),
        });
    }
    Ok((shards, total))
}

/// [`count_vertices`] in `u128`, redone in big integers on overflow.
pub fn count_vertices_exact(
    windows: &[Vec<usize>],
    n: usize,
    order: &[usize],
    max_states: usize,
    ctrl: &Control,
) -> Result<BigUint> {
    match count_vertices::<u128>(windows, n, order, max_states, ctrl) {
        Ok(c) => Ok(BigUint::from(c)),
        Err(Error::LimitExceeded { name, .. }) if name == "u128" => {
            count_vertices::<BigUint>(windows, n, order, max_states, ctrl)
        }
        Err(e) => Err(e),
    }
}
