//! Activation patterns of many points, computed in parallel and streamed.
//!
//! Points are cut into fixed blocks of [`BLOCK_ROWS`] rows (independent of the thread
//! count, so results never depend on it). Each rayon task runs the fused forward pass
//! of a block ([`Network::forward_block`]) and folds the packed patterns into a
//! thread-local [`PatternSet`]; the sets are merged at the end. Counting therefore
//! needs `O(block + distinct patterns)` memory, not `O(N · n_hidden)`.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, try_zeroed, Result};
use crate::hashset::{hash_words, WordMap};
use crate::network::{Network, Workspace};
use crate::random::Rng;

/// Rows per block of work.
pub const BLOCK_ROWS: usize = 1024;

/// Per distinct pattern: its number of occurrences and the smallest row seen.
#[derive(Debug, Clone, Copy)]
struct Tally {
    count: u64,
    first: u64,
}

/// The distinct patterns of a point set (fixed length, `words` u64 each) with, per
/// pattern, its number of occurrences and the smallest row index seen: a
/// [`WordMap`] of tallies. Ids are insertion order.
#[derive(Debug, Clone)]
pub struct PatternSet {
    map: WordMap<Tally>,
}

impl PatternSet {
    /// An empty set of patterns of `words` words.
    pub fn new(words: usize) -> Self {
        PatternSet {
            map: WordMap::new(words),
        }
    }

    /// Number of distinct patterns.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Occurrences of id `i`.
    pub fn count(&self, i: usize) -> u64 {
        self.map.value(i).count
    }

    /// Smallest row index seen for id `i`.
    pub fn first_row(&self, i: usize) -> u64 {
        self.map.value(i).first
    }

    /// The key of id `i`.
    pub fn key(&self, i: usize) -> &[u64] {
        self.map.key(i)
    }

    /// Add `count` occurrences of `key` first seen at row `row`; returns its id.
    #[inline]
    pub fn insert(&mut self, key: &[u64], hash: u64, row: u64, count: u64) -> Result<usize> {
        self.map.upsert(
            key,
            hash,
            || Tally { count, first: row },
            |t| {
                t.count += count;
                t.first = t.first.min(row);
                Ok(())
            },
        )
    }

    /// The id of `key`, if present.
    #[inline]
    pub fn find(&self, key: &[u64], hash: u64) -> Option<usize> {
        self.map.find(key, hash)
    }

    /// Merge `other` into `self` (counts add, first rows take the minimum).
    pub fn merge(self, other: PatternSet) -> Result<PatternSet> {
        let (mut big, small) = if self.len() >= other.len() {
            (self, other)
        } else {
            (other, self)
        };
        for i in 0..small.len() {
            let t = small.map.value(i);
            big.insert(small.key(i), small.map.hash(i), t.first, t.count)?;
        }
        Ok(big)
    }

    /// Insert `rows` packed patterns starting at global row `row0`.
    fn insert_block(&mut self, packed: &[u64], rows: usize, row0: u64) -> Result<()> {
        let w = self.map.words();
        for r in 0..rows {
            let key = &packed[r * w..(r + 1) * w];
            self.insert(key, hash_words(key), row0 + r as u64, 1)?;
        }
        Ok(())
    }
}

/// The distinct patterns of a point set, in order of first occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct UniquePatterns {
    /// `n_unique × n_words` packed patterns.
    pub patterns: Vec<u64>,
    /// Row of the first occurrence of each pattern.
    pub index: Vec<u64>,
    /// Number of occurrences of each pattern.
    pub counts: Vec<u64>,
    /// For every input row, the position of its pattern in `patterns` (if requested).
    pub inverse: Option<Vec<u64>>,
}

fn check_points(net: &Network, x: &[f64], n: usize) -> Result<()> {
    let d = net.input_dim();
    if x.len() != n * d {
        return Err(invalid(
            "X",
            format!(
                "expected {n} rows of {d} columns ({} values), got {}",
                n * d,
                x.len()
            ),
        ));
    }
    Ok(())
}

/// [`Error::InvalidArgument`] for `name` when the forward pass overflowed on row `bad`.
fn overflow(name: &str, bad: Option<usize>) -> Result<()> {
    match bad {
        None => Ok(()),
        Some(r) => Err(invalid(
            name,
            format!(
                "the forward pass overflows float64 on row {r} (a hidden value is not \
                 finite: the inputs are too large for these weights)"
            ),
        )),
    }
}

/// Outputs of the network on `n` points (`n × output_dim`, row-major).
pub fn forward(net: &Network, x: &[f64], n: usize, ctrl: &Control) -> Result<Vec<f64>> {
    check_points(net, x, n)?;
    let (d, m) = (net.input_dim(), net.output_dim());
    let mut out = try_zeroed::<f64>(&[n, m], "the outputs")?;
    out.par_chunks_mut(BLOCK_ROWS * m)
        .enumerate()
        .try_for_each_init(Workspace::default, |ws, (blk, chunk)| {
            ctrl.check()?;
            let rows = chunk.len() / m;
            let r0 = blk * BLOCK_ROWS;
            let bad = net.forward_block(&x[r0 * d..(r0 + rows) * d], rows, ws, None, Some(chunk));
            overflow("X", bad.map(|b| r0 + b))?;
            ctrl.advance(rows as u64);
            Ok(())
        })?;
    Ok(out)
}

/// Packed activation patterns of `n` points (`n × n_words`, row-major).
pub fn patterns_packed(net: &Network, x: &[f64], n: usize, ctrl: &Control) -> Result<Vec<u64>> {
    check_points(net, x, n)?;
    let (d, w) = (net.input_dim(), net.n_words());
    let mut out = try_zeroed::<u64>(&[n, w], "the packed patterns")?;
    out.par_chunks_mut(BLOCK_ROWS * w)
        .enumerate()
        .try_for_each_init(Workspace::default, |ws, (blk, chunk)| {
            ctrl.check()?;
            let rows = chunk.len() / w;
            let r0 = blk * BLOCK_ROWS;
            let bad = net.forward_block(&x[r0 * d..(r0 + rows) * d], rows, ws, Some(chunk), None);
            overflow("X", bad.map(|b| r0 + b))?;
            ctrl.advance(rows as u64);
            Ok(())
        })?;
    Ok(out)
}

/// Fold the patterns of blocks `0..n_blocks` into one set; `fill(block, buf, ws)` writes
/// the packed patterns of a block into `buf` and returns its number of rows.
fn fold_blocks<F>(net: &Network, n_blocks: usize, ctrl: &Control, fill: F) -> Result<PatternSet>
where
    F: Fn(usize, &mut Vec<u64>, &mut Workspace) -> Result<usize> + Sync,
{
    let w = net.n_words();
    (0..n_blocks)
        .into_par_iter()
        .try_fold(
            || (PatternSet::new(w), Workspace::default(), Vec::new()),
            |(mut set, mut ws, mut buf), blk| {
                ctrl.check()?;
                let rows = fill(blk, &mut buf, &mut ws)?;
                set.insert_block(&buf, rows, (blk * BLOCK_ROWS) as u64)?;
                ctrl.advance(rows as u64);
                Ok((set, ws, buf))
            },
        )
        .map(|r: Result<(PatternSet, Workspace, Vec<u64>)>| r.map(|t| t.0))
        .try_reduce(|| PatternSet::new(w), |a, b| a.merge(b))
}

/// The set of distinct patterns of `n` points, streamed block by block.
pub fn pattern_set(net: &Network, x: &[f64], n: usize, ctrl: &Control) -> Result<PatternSet> {
    check_points(net, x, n)?;
    let (d, w) = (net.input_dim(), net.n_words());
    fold_blocks(net, n.div_ceil(BLOCK_ROWS), ctrl, |blk, buf, ws| {
        let r0 = blk * BLOCK_ROWS;
        let rows = BLOCK_ROWS.min(n - r0);
        buf.resize(rows * w, 0);
        let bad = net.forward_block(&x[r0 * d..(r0 + rows) * d], rows, ws, Some(buf), None);
        overflow("X", bad.map(|b| r0 + b))?;
        Ok(rows)
    })
}

/// Number of distinct activation patterns among `n` points.
pub fn count_patterns(net: &Network, x: &[f64], n: usize, ctrl: &Control) -> Result<u64> {
    Ok(pattern_set(net, x, n, ctrl)?.len() as u64)
}

/// Distinct patterns of `n` points in first-occurrence order, with first rows, counts
/// and (optionally) the inverse map. Needs `O(n · n_words)` memory for the inverse.
pub fn unique_patterns(
    net: &Network,
    x: &[f64],
    n: usize,
    want_inverse: bool,
    ctrl: &Control,
) -> Result<UniquePatterns> {
    let w = net.n_words();
    let (set, packed) = if want_inverse {
        let packed = patterns_packed(net, x, n, ctrl)?;
        let set = (0..n.div_ceil(BLOCK_ROWS))
            .into_par_iter()
            .try_fold(
                || PatternSet::new(w),
                |mut set, blk| {
                    ctrl.check()?;
                    let r0 = blk * BLOCK_ROWS;
                    let rows = BLOCK_ROWS.min(n - r0);
                    set.insert_block(&packed[r0 * w..(r0 + rows) * w], rows, r0 as u64)?;
                    Ok(set)
                },
            )
            .try_reduce(|| PatternSet::new(w), |a, b| a.merge(b))?;
        (set, Some(packed))
    } else {
        (pattern_set(net, x, n, ctrl)?, None)
    };
    let mut order: Vec<usize> = (0..set.len()).collect();
    order.sort_unstable_by_key(|&i| set.first_row(i));
    let mut rank = vec![0u64; set.len()];
    for (pos, &i) in order.iter().enumerate() {
        rank[i] = pos as u64;
    }
    let mut patterns = Vec::with_capacity(set.len() * w);
    for &i in &order {
        patterns.extend_from_slice(set.key(i));
    }
    let index = order.iter().map(|&i| set.first_row(i)).collect();
    let counts = order.iter().map(|&i| set.count(i)).collect();
    let inverse = packed.map(|packed| {
        packed
            .par_chunks(w)
            .map(|key| {
                rank[set
                    .find(key, hash_words(key))
                    .expect("every row's pattern is in the set")]
            })
            .collect()
    });
    Ok(UniquePatterns {
        patterns,
        index,
        counts,
        inverse,
    })
}

/// Number of distinct patterns among `n_samples` points drawn uniformly from the box
/// `[lo, hi]` inside the workers (no input array). Block `i` draws from stream `i` of
/// `seed`, so the answer depends only on the inputs and the seed.
pub fn count_patterns_sampled(
    net: &Network,
    lo: &[f64],
    hi: &[f64],
    n_samples: u64,
    seed: u64,
    ctrl: &Control,
) -> Result<u64> {
    let d = net.input_dim();
    if lo.len() != d || hi.len() != d {
        return Err(invalid(
            "lo/hi",
            format!(
                "expected {d} coordinates, got {} and {}",
                lo.len(),
                hi.len()
            ),
        ));
    }
    if lo
        .iter()
        .zip(hi)
        .any(|(a, b)| !(a.is_finite() && b.is_finite() && a <= b))
    {
        return Err(invalid("lo/hi", "bounds must be finite with lo <= hi"));
    }
    let n_blocks = usize::try_from(n_samples.div_ceil(BLOCK_ROWS as u64))
        .map_err(|_| invalid("n_samples", "too many samples for this platform"))?;
    let w = net.n_words();
    let set = fold_blocks(net, n_blocks, ctrl, |blk, buf, ws| {
        let r0 = blk as u64 * BLOCK_ROWS as u64;
        let rows = (BLOCK_ROWS as u64).min(n_samples - r0) as usize;
        let mut rng = Rng::new(seed, blk as u64);
        let mut x = vec![0.0; rows * d];
        for row in x.chunks_mut(d) {
            for ((v, &a), &b) in row.iter_mut().zip(lo).zip(hi) {
                *v = a + (b - a) * rng.next_f64();
            }
        }
        buf.resize(rows * w, 0);
        let bad = net.forward_block(&x, rows, ws, Some(buf), None);
        overflow("lo, hi", bad.map(|b| r0 as usize + b))?;
        Ok(rows)
    })?;
    Ok(set.len() as u64)
}

/// Decode `rows` packed patterns into per-unit codes (`rows × n_hidden`).
pub fn decode_patterns(net: &Network, packed: &[u64], rows: usize) -> Result<Vec<u32>> {
    decode_with(net, packed, rows, |p, c| net.decode(p, c))
}

/// The patterns of a network whose units all have one bit (ReLU / leaky ReLU) as
/// booleans, `rows × n_hidden`, straight from the packed rows (no wider intermediate:
/// the result is the working set).
pub fn decode_bits(net: &Network, packed: &[u64], rows: usize) -> Result<Vec<bool>> {
    if !net.is_binary() {
        return Err(invalid(
            "packed",
            "the network has units with more than one bit",
        ));
    }
    decode_with(net, packed, rows, |p, c| {
        for (j, o) in c.iter_mut().enumerate() {
            *o = p[j / 64] >> (j % 64) & 1 == 1;
        }
    })
}

/// Decode every packed row into `rows × n_hidden` values with `row(packed, out)`, in
/// parallel, into an output asked for before it is used.
fn decode_with<T: Clone + Default + Send>(
    net: &Network,
    packed: &[u64],
    rows: usize,
    row: impl Fn(&[u64], &mut [T]) + Sync,
) -> Result<Vec<T>> {
    let (w, h) = (net.n_words(), net.n_hidden());
    if packed.len() != rows.saturating_mul(w) {
        return Err(invalid(
            "packed",
            format!(
                "expected {rows} rows of {w} words, got {} words",
                packed.len()
            ),
        ));
    }
    let mut out = try_zeroed::<T>(&[rows, h], "the decoded patterns")?;
    if h > 0 {
        out.par_chunks_mut(h)
            .zip(packed.par_chunks(w))
            .for_each(|(c, p)| row(p, c));
    }
    Ok(out)
}
