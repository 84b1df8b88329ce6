//! Linear regions of max-pooling layers: vertices and faces of Minkowski sums of
//! simplices (MATH.md section 5; Escobar, Gallardo, González-Anaya, González,
//! Montúfar, Morales, "Enumeration of max-pooling responses with generalized
//! permutohedra").
//!
//! A layer with windows `W_1..W_m ⊆ {0..n-1}` has as many linear regions as
//! `P = Δ_{W_1} + … + Δ_{W_m}` has vertices. Vertices are the winner tuples
//! `(i_1..i_m)`, `i_j ∈ W_j`, whose "beats" graph (edges `i_j → x`, `x ∈ W_j \ {i_j}`)
//! is acyclic.
//!
//! * [`count_vertices`]: a frontier (path-decomposition) dynamic program. Windows are
//!   processed in a given order; the state is the reachability relation ("beats,
//!   transitively") among the *frontier*: elements seen in processed windows that occur
//!   again later. A winner `w` of the next window is rejected when some other element
//!   of the window already reaches `w`. Cost: `O(m · S · k · f²)` for `S` states of a
//!   frontier of `f ≤ 128` elements; memory `O(S · f)`.
//! * [`count_vertices_1d`]: windows `{js..js+k-1}`: only consecutive windows interact,
//!   so a transfer vector indexed by the winner's offset counts in `O(m · k)`
//!   big-integer additions (or `O(k³ log m)` multiplications for large `m`).
//! * [`f_vector`]: faces are tie-set tuples `T_j ⊆ W_j` whose relation "T_j above
//!   W_j \ T_j" (with the elements of each T_j equal) has no strict cycle; found by
//!   backtracking, so exponential: practical up to about 12-16 inputs.

use num_bigint::{BigInt, BigUint};
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, Error, Result};
use crate::network::{get_field, put_field};
use crate::patterns::hash_words;

/// Largest frontier (and frontier ∪ window) the DP supports.
pub const MAX_FRONTIER: usize = 128;

/// Check a window family over inputs `0..n`: non-empty windows, indices in range,
/// no repeated index inside a window.
pub fn validate(windows: &[Vec<usize>], n: usize) -> Result<()> {
    if windows.is_empty() {
        return Err(invalid("windows", "need at least one window"));
    }
    let mut stamp = vec![usize::MAX; n];
    for (j, w) in windows.iter().enumerate() {
        if w.is_empty() {
            return Err(invalid("windows", format!("window {j} is empty")));
        }
        for &i in w {
            if i >= n {
                return Err(invalid(
                    "windows",
                    format!("window {j} has index {i}, outside 0..{n}"),
                ));
            }
            if stamp[i] == j {
                return Err(invalid("windows", format!("window {j} repeats index {i}")));
            }
            stamp[i] = j;
        }
    }
    Ok(())
}

/// Frontier sizes of processing `windows` in `order`: after step `t`, the number of
/// elements seen so far that occur in a later window. Returns the maximum of
/// `|frontier_before ∪ window|` over the steps (the DP's working width).
pub fn frontier_width(windows: &[Vec<usize>], n: usize, order: &[usize]) -> usize {
    let mut last = vec![0usize; n];
    for (t, &j) in order.iter().enumerate() {
        for &e in &windows[j] {
            last[e] = t;
        }
    }
    let mut live = vec![false; n];
    let mut width = 0;
    let mut size = 0usize;
    for (t, &j) in order.iter().enumerate() {
        let new = windows[j].iter().filter(|&&e| !live[e]).count();
        width = width.max(size + new);
        for &e in &windows[j] {
            if !live[e] && last[e] > t {
                live[e] = true;
                size += 1;
            } else if live[e] && last[e] == t {
                live[e] = false;
                size -= 1;
            }
        }
    }
    width
}

/// An order of the windows that keeps the frontier small: the better of (a) sorting
/// windows by their smallest then largest index and (b) a greedy order that always
/// takes the window adding the fewest new frontier elements (for m ≤ 3000).
pub fn auto_order(windows: &[Vec<usize>], n: usize) -> Vec<usize> {
    let m = windows.len();
    let mut by_index: Vec<usize> = (0..m).collect();
    by_index.sort_by_key(|&j| {
        (
            windows[j].iter().min().copied(),
            windows[j].iter().max().copied(),
            j,
        )
    });
    if m > 3000 {
        return by_index;
    }
    // Greedy: prefer windows whose elements are already live (seen) and which close
    // elements (last occurrence); start from the first window of `by_index`.
    let mut remaining = vec![0usize; n];
    for w in windows {
        for &e in w {
            remaining[e] += 1;
        }
    }
    let mut seen = vec![false; n];
    let mut done = vec![false; m];
    let mut greedy = Vec::with_capacity(m);
    for step in 0..m {
        let pick = if step == 0 {
            by_index[0]
        } else {
            (0..m)
                .filter(|&j| !done[j])
                .min_by_key(|&j| {
                    let w = &windows[j];
                    let new = w.iter().filter(|&&e| !seen[e] && remaining[e] > 1).count() as i64;
                    let closed = w.iter().filter(|&&e| seen[e] && remaining[e] == 1).count() as i64;
                    let touches = w.iter().any(|&e| seen[e]);
                    (!touches, new - closed, j)
                })
                .expect("a window remains")
        };
        done[pick] = true;
        greedy.push(pick);
        for &e in &windows[pick] {
            seen[e] = true;
            remaining[e] -= 1;
        }
    }
    if frontier_width(windows, n, &greedy) < frontier_width(windows, n, &by_index) {
        greedy
    } else {
        by_index
    }
}

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

/// Write `bits ≤ 128` bits of `v` at bit `offset`.
#[inline]
fn put_wide(key: &mut [u64], offset: usize, bits: usize, v: u128) {
    if bits <= 64 {
        put_field(key, offset, bits as u32, v as u64);
    } else {
        put_field(key, offset, 64, v as u64);
        put_field(key, offset + 64, (bits - 64) as u32, (v >> 64) as u64);
    }
}

#[inline]
fn get_wide(key: &[u64], offset: usize, bits: usize) -> u128 {
    if bits <= 64 {
        get_field(key, offset, bits as u32) as u128
    } else {
        get_field(key, offset, 64) as u128
            | (get_field(key, offset + 64, (bits - 64) as u32) as u128) << 64
    }
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
            for v in 0..256usize {
                if v >> (b % 8) & 1 == 1 {
                    table[b / 8][v] |= 1u128 << q;
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

const SHARDS: usize = 64;

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
    let mut frontier: Vec<usize> = Vec::new();
    let mut states: States<C> = States {
        keys: vec![0],
        counts: vec![C::one()],
    };
    let mut pos = vec![usize::MAX; n]; // element -> index in the current universe
    for (t, &j) in order.iter().enumerate() {
        ctrl.check()?;
        let w = &windows[j];
        // Universe: frontier first (same positions as in the keys), then new elements.
        let mut universe = frontier.clone();
        for (i, &e) in universe.iter().enumerate() {
            pos[e] = i;
        }
        for &e in w {
            if pos[e] == usize::MAX {
                pos[e] = universe.len();
                universe.push(e);
            }
        }
        let widx: Vec<usize> = w.iter().map(|&e| pos[e]).collect();
        let next_frontier: Vec<usize> = universe.iter().copied().filter(|&e| last[e] > t).collect();
        let next_pos: Vec<usize> = next_frontier.iter().map(|&e| pos[e]).collect();
        for &e in &universe {
            pos[e] = usize::MAX;
        }
        let (f, u, nf) = (frontier.len(), universe.len(), next_frontier.len());
        let (ow, nw) = (rel_words(f), rel_words(nf));
        let compress = Compress::new(u, &next_pos);
        let n_states = states.counts.len();
        const CHUNK: usize = 4096;
        // Expand: per chunk, successors routed to shards as (key words, source state).
        let expand = |c: usize| -> Vec<(Vec<u64>, Vec<u32>, Vec<u64>)> {
            let mut out: Vec<(Vec<u64>, Vec<u32>, Vec<u64>)> =
                vec![(Vec::new(), Vec::new(), Vec::new()); SHARDS];
            let mut rel = vec![0u128; u];
            let mut crow = vec![0u128; nf]; // compressed rows of the next frontier
            let mut key = vec![0u64; nw];
            for s in c * CHUNK..((c + 1) * CHUNK).min(n_states) {
                let k = &states.keys[s * ow..(s + 1) * ow];
                for (a, r) in rel.iter_mut().enumerate() {
                    *r = if a < f { get_wide(k, a * f, f) } else { 0 };
                }
                for (cr, &a) in crow.iter_mut().zip(&next_pos) {
                    *cr = compress.apply(rel[a]);
                }
                for (wi, &iw) in widx.iter().enumerate() {
                    let bit = 1u128 << iw;
                    let mut reach = 0u128;
                    let mut ok = true;
                    for (xi, &ix) in widx.iter().enumerate() {
                        if xi != wi {
                            if rel[ix] & bit != 0 {
                                ok = false;
                                break;
                            }
                            reach |= (1u128 << ix) | rel[ix];
                        }
                    }
                    if !ok {
                        continue;
                    }
                    // Rows that reach w (or are w) gain everything the losers reach.
                    let creach = compress.apply(reach);
                    if nf * nf <= 128 {
                        let mut packed = 0u128;
                        for (p, &a) in next_pos.iter().enumerate() {
                            let row = if a == iw || rel[a] & bit != 0 {
                                crow[p] | creach
                            } else {
                                crow[p]
                            };
                            packed |= row << (p * nf);
                        }
                        key[0] = packed as u64;
                        if nw > 1 {
                            key[1] = (packed >> 64) as u64;
                        }
                    } else {
                        key.iter_mut().for_each(|v| *v = 0);
                        for (p, &a) in next_pos.iter().enumerate() {
                            let row = if a == iw || rel[a] & bit != 0 {
                                crow[p] | creach
                            } else {
                                crow[p]
                            };
                            put_wide(&mut key, p * nf, nf, row);
                        }
                    }
                    let h = hash_words(&key);
                    let shard = (h >> 58) as usize;
                    out[shard].0.extend_from_slice(&key);
                    out[shard].1.push(s as u32);
                    out[shard].2.push(h);
                }
            }
            out
        };
        let n_chunks = n_states.div_ceil(CHUNK);
        let expanded: Vec<Vec<(Vec<u64>, Vec<u32>, Vec<u64>)>> = if n_chunks == 1 {
            vec![expand(0)]
        } else {
            (0..n_chunks)
                .into_par_iter()
                .map(|c| ctrl.check().map(|_| expand(c)))
                .collect::<Result<_>>()?
        };
        // Aggregate each shard: distinct keys in order of first appearance, summed counts.
        let aggregate = |h: usize| -> Result<States<C>> {
            let total: usize = expanded.iter().map(|c| c[h].1.len()).sum();
            let cap = (2 * total).next_power_of_two().max(16);
            let mask = cap - 1;
            let mut slots = vec![u32::MAX; cap];
            let mut out = States {
                keys: Vec::with_capacity(total * nw),
                counts: Vec::<C>::new(),
            };
            for chunk in &expanded {
                let (keys, src, hashes) = &chunk[h];
                for (i, (&sidx, &hash)) in src.iter().zip(hashes).enumerate() {
                    let key = &keys[i * nw..(i + 1) * nw];
                    // Shards use the top hash bits; probe with the low bits.
                    let mut slot = hash as usize & mask;
                    loop {
                        let id = slots[slot];
                        if id == u32::MAX {
                            slots[slot] = out.counts.len() as u32;
                            out.keys.extend_from_slice(key);
                            out.counts.push(states.counts[sidx as usize].clone());
                            break;
                        }
                        let id = id as usize;
                        if &out.keys[id * nw..(id + 1) * nw] == key {
                            out.counts[id].add(&states.counts[sidx as usize])?;
                            break;
                        }
                        slot = (slot + 1) & mask;
                    }
                }
            }
            Ok(out)
        };
        let shards: Vec<States<C>> = if n_chunks == 1 {
            (0..SHARDS).map(aggregate).collect::<Result<_>>()?
        } else {
            (0..SHARDS)
                .into_par_iter()
                .map(aggregate)
                .collect::<Result<_>>()?
        };
        drop(expanded);
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
        let mut next = States {
            keys: Vec::with_capacity(total * nw),
            counts: Vec::with_capacity(total),
        };
        for sh in shards {
            next.keys.extend(sh.keys);
            next.counts.extend(sh.counts);
        }
        if std::env::var_os("REGIONS_DEBUG_DP").is_some() {
            eprintln!("step {t}: frontier {nf} states {total}");
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

/// Windows of a 1D pooling: `{js, …, js+k-1}` for `j < m = ⌊(n-k)/s⌋ + 1`.
pub fn windows_1d(n: usize, k: usize, s: usize) -> Result<Vec<Vec<usize>>> {
    check_1d(n, k, s)?;
    Ok((0..(n - k) / s + 1)
        .map(|j| (j * s..j * s + k).collect())
        .collect())
}

fn check_1d(n: usize, k: usize, s: usize) -> Result<()> {
    if k == 0 || s == 0 {
        return Err(invalid(if k == 0 { "k" } else { "stride" }, "must be >= 1"));
    }
    if k > n {
        return Err(invalid(
            "k",
            format!("window {k} is larger than the input {n}"),
        ));
    }
    Ok(())
}

/// Windows of a 2D pooling on an `R × C` grid (cell `(r, c)` is input `r·C + c`):
/// `kr × kc` blocks with strides `(sr, sc)`, padding "valid", in row-major order.
pub fn windows_2d(
    shape: (usize, usize),
    window: (usize, usize),
    stride: (usize, usize),
) -> Result<Vec<Vec<usize>>> {
    let ((rr, cc), (kr, kc), (sr, sc)) = (shape, window, stride);
    if kr == 0 || kc == 0 {
        return Err(invalid(
            "window",
            format!("must be positive, got {kr}x{kc}"),
        ));
    }
    if sr == 0 || sc == 0 {
        return Err(invalid(
            "stride",
            format!("must be positive, got {sr}x{sc}"),
        ));
    }
    if kr > rr || kc > cc {
        return Err(invalid(
            "window",
            format!("{kr}x{kc} is larger than the grid {rr}x{cc}"),
        ));
    }
    let mut out = Vec::new();
    for i in 0..(rr - kr) / sr + 1 {
        for j in 0..(cc - kc) / sc + 1 {
            let mut w = Vec::with_capacity(kr * kc);
            for r in i * sr..i * sr + kr {
                for c in j * sc..j * sc + kc {
                    w.push(r * cc + c);
                }
            }
            out.push(w);
        }
    }
    Ok(out)
}

/// Vertices of 2D max-pooling (padding "valid"). One row (or column) of windows is
/// the 1D case with `k = kr·kc`, `s = kr·sc` (cells flattened column-major); otherwise
/// the frontier DP sweeps window rows along the longer side, so that the frontier
/// spans the shorter side (the grid is transposed when it has more columns than rows).
pub fn count_vertices_2d(
    shape: (usize, usize),
    window: (usize, usize),
    stride: (usize, usize),
    max_states: usize,
    ctrl: &Control,
) -> Result<BigUint> {
    windows_2d(shape, window, stride)?;
    let ((rr, cc), (kr, kc), (sr, sc)) = (shape, window, stride);
    let (wrows, wcols) = ((rr - kr) / sr + 1, (cc - kc) / sc + 1);
    if wrows == 1 {
        return count_vertices_1d(kr * (kc + (wcols - 1) * sc), kr * kc, kr * sc, ctrl);
    }
    if wcols == 1 {
        return count_vertices_1d(kc * (kr + (wrows - 1) * sr), kr * kc, kc * sr, ctrl);
    }
    let (shape, window, stride) = if cc > rr {
        ((cc, rr), (kc, kr), (sc, sr))
    } else {
        (shape, window, stride)
    };
    let w = windows_2d(shape, window, stride)?;
    let order: Vec<usize> = (0..w.len()).collect();
    count_vertices_exact(&w, shape.0 * shape.1, &order, max_states, ctrl)
}

/// The transfer matrix of 1D pooling: `M[p][q] = 1` unless the winner at offset `p`
/// of window `j` lies in window `j+1` and the winner at offset `q` of window `j+1`
/// lies in window `j` and they differ (a 2-cycle).
fn transfer_1d(k: usize, s: usize) -> Vec<Vec<u8>> {
    (0..k)
        .map(|p| {
            (0..k)
                .map(|q| u8::from(!(p >= s && q + s < k && p - s != q)))
                .collect()
        })
        .collect()
}

fn mat_mul(a: &[Vec<BigUint>], b: &[Vec<BigUint>]) -> Vec<Vec<BigUint>> {
    let k = a.len();
    (0..k)
        .into_par_iter()
        .map(|i| {
            (0..k)
                .map(|j| {
                    let mut s = BigUint::ZERO;
                    for (l, bl) in b.iter().enumerate() {
                        if a[i][l] != BigUint::ZERO && bl[j] != BigUint::ZERO {
                            s += &a[i][l] * &bl[j];
                        }
                    }
                    s
                })
                .collect()
        })
        .collect()
}

/// Vertices of 1D max-pooling with `n` inputs, window `k`, stride `s` (exact).
/// Transfer-vector recursion with prefix sums (`O(m·k)` additions) for small `m`;
/// binary powering of the transfer matrix for large `m`.
pub fn count_vertices_1d(n: usize, k: usize, s: usize, ctrl: &Control) -> Result<BigUint> {
    count_1d_with(n, k, s, 20_000, ctrl)
}

/// [`count_vertices_1d`] with the number of windows above which matrix powering is used.
fn count_1d_with(
    n: usize,
    k: usize,
    s: usize,
    power_above: usize,
    ctrl: &Control,
) -> Result<BigUint> {
    check_1d(n, k, s)?;
    let m = (n - k) / s + 1;
    if m <= power_above || k > 64 {
        // v[p]: completions of windows j..m-1 when window j's winner has offset p.
        let mut v = vec![BigUint::from(1u8); k];
        let low = k.saturating_sub(s); // offsets q < low of window j+1 lie in window j
        for step in 1..m {
            if step % 256 == 0 {
                ctrl.check()?;
            }
            let all: BigUint = v.iter().sum();
            let low_sum: BigUint = v[..low].iter().sum();
            let mut next = Vec::with_capacity(k);
            for p in 0..k {
                if p >= s && low > 0 {
                    // forbidden q: q < low and q != p - s  (p - s < low always)
                    next.push(&all - &low_sum + &v[p - s]);
                } else {
                    next.push(all.clone());
                }
            }
            v = next;
            ctrl.advance(1);
        }
        return Ok(v.iter().sum());
    }
    let t = transfer_1d(k, s);
    let mut base: Vec<Vec<BigUint>> = t
        .iter()
        .map(|r| r.iter().map(|&x| BigUint::from(x)).collect())
        .collect();
    let mut acc: Option<Vec<Vec<BigUint>>> = None;
    let mut e = m - 1;
    while e > 0 {
        ctrl.check()?;
        if e & 1 == 1 {
            acc = Some(match acc {
                None => base.clone(),
                Some(a) => mat_mul(&a, &base),
            });
        }
        e >>= 1;
        if e > 0 {
            base = mat_mul(&base, &base);
        }
    }
    Ok(match acc {
        None => BigUint::from(k),
        Some(a) => a.iter().flat_map(|r| r.iter()).sum(),
    })
}

/// Characteristic polynomial `det(λI − M) = λ^k + c_{k-1}λ^{k-1} + … + c_0` of an
/// integer matrix (Faddeev–LeVerrier, exact integer divisions). Returns `[c_0..c_k]`.
fn charpoly(m: &[Vec<BigInt>]) -> Vec<BigInt> {
    let k = m.len();
    let mut c = vec![BigInt::from(0); k + 1];
    c[k] = BigInt::from(1);
    let mut a: Vec<Vec<BigInt>> = vec![vec![BigInt::from(0); k]; k]; // M_0 = 0
    for i in 1..=k {
        // M_i = M · M_{i-1} + c_{k-i+1} I
        let mut next = vec![vec![BigInt::from(0); k]; k];
        for r in 0..k {
            for col in 0..k {
                let mut s = BigInt::from(0);
                for l in 0..k {
                    s += &m[r][l] * &a[l][col];
                }
                if r == col {
                    s += &c[k - i + 1];
                }
                next[r][col] = s;
            }
        }
        a = next;
        let mut tr = BigInt::from(0);
        for r in 0..k {
            for l in 0..k {
                tr += &m[r][l] * &a[l][r];
            }
        }
        c[k - i] = -tr / BigInt::from(i);
    }
    c
}

/// Generating function `Σ_{m≥0} V_m x^m = N(x) / D(x)` of 1D pooling with window `k`
/// and stride `s` (`V_m`: vertices with `m` windows, `V_0 = 1`). Returns integer
/// coefficients `(N, D)`, constant term first, `D(0) = 1`; `D(x) = det(I − xM)` for
/// the transfer matrix `M`, so the fraction need not be in lowest terms.
pub fn generating_function_1d(k: usize, s: usize) -> Result<(Vec<BigInt>, Vec<BigInt>)> {
    if k == 0 || s == 0 {
        return Err(invalid(if k == 0 { "k" } else { "stride" }, "must be >= 1"));
    }
    let t = transfer_1d(k, s);
    let mb: Vec<Vec<BigInt>> = t
        .iter()
        .map(|r| r.iter().map(|&x| BigInt::from(x)).collect())
        .collect();
    let c = charpoly(&mb);
    // D(x) = x^k p(1/x) = 1 + c_{k-1} x + … + c_0 x^k
    let den: Vec<BigInt> = (0..=k).map(|i| c[k - i].clone()).collect();
    // First k+1 terms V_0..V_k, then N = D · V truncated at degree k.
    let mut v = vec![BigInt::from(1)];
    let mut vec_: Vec<BigInt> = vec![BigInt::from(1); k];
    for _ in 1..=k {
        v.push(vec_.iter().sum());
        vec_ = (0..k)
            .map(|p| {
                (0..k)
                    .filter(|&q| t[p][q] == 1)
                    .map(|q| vec_[q].clone())
                    .sum()
            })
            .collect();
    }
    let num: Vec<BigInt> = (0..=k)
        .map(|d| (0..=d).map(|i| &den[i] * &v[d - i]).sum())
        .collect();
    let mut num = num;
    while num.len() > 1 && num.last() == Some(&BigInt::from(0)) {
        num.pop();
    }
    let mut den = den;
    while den.len() > 1 && den.last() == Some(&BigInt::from(0)) {
        den.pop();
    }
    Ok((num, den))
}

/// Linear recurrence of the 1D counts: `V_m = Σ_{i=1}^{r} a_i V_{m-i}` for all
/// `m > k` (from the denominator of [`generating_function_1d`]). Returns `[a_1..a_r]`.
pub fn recurrence_1d(k: usize, s: usize) -> Result<Vec<BigInt>> {
    let (_, den) = generating_function_1d(k, s)?;
    Ok(den[1..].iter().map(|c| -c.clone()).collect())
}

/// Whether the winner tuple is acyclic (a vertex). Kahn's algorithm, `O(Σ|W_j|)`.
pub fn is_vertex(windows: &[Vec<usize>], n: usize, winners: &[usize]) -> bool {
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for (w, &a) in windows.iter().zip(winners) {
        for &x in w {
            if x != a {
                adj[a].push(x);
                indeg[x] += 1;
            }
        }
    }
    kahn(&adj, &mut indeg, 0..n) == n
}

/// Kahn's algorithm: the number of `nodes` that a topological sort of `adj` reaches
/// (all of them iff the graph on `nodes` is acyclic). Consumes `indeg`.
fn kahn(adj: &[Vec<usize>], indeg: &mut [usize], nodes: impl Iterator<Item = usize>) -> usize {
    let mut stack: Vec<usize> = nodes.filter(|&i| indeg[i] == 0).collect();
    let mut seen = 0;
    while let Some(u) = stack.pop() {
        seen += 1;
        for &v in &adj[u] {
            indeg[v] -= 1;
            if indeg[v] == 0 {
                stack.push(v);
            }
        }
    }
    seen
}

/// Every vertex as a winner tuple (element indices), by backtracking with an
/// incremental reachability check; errors once more than `limit` are found.
pub fn vertices(
    windows: &[Vec<usize>],
    n: usize,
    limit: usize,
    ctrl: &Control,
) -> Result<Vec<Vec<usize>>> {
    validate(windows, n)?;
    let m = windows.len();
    let mut out = Vec::new();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut choice = vec![0usize; m];
    fn reaches(adj: &[Vec<usize>], from: usize, to: usize, seen: &mut Vec<bool>) -> bool {
        seen.iter_mut().for_each(|s| *s = false);
        let mut stack = vec![from];
        while let Some(u) = stack.pop() {
            if u == to {
                return true;
            }
            for &v in &adj[u] {
                if !seen[v] {
                    seen[v] = true;
                    stack.push(v);
                }
            }
        }
        false
    }
    let mut seen = vec![false; n];
    // Iterative DFS over windows; `choice[j]` is the index tried within window j.
    let mut j = 0usize;
    let mut tried = vec![0usize; m];
    loop {
        if j == m {
            out.push(choice.clone());
            if out.len() > limit {
                return Err(Error::LimitExceeded {
                    name: "limit".into(),
                    limit: limit as u64,
                    message: "more vertices than the limit".into(),
                });
            }
            j -= 1;
            let a = choice[j];
            for _ in windows[j].iter().filter(|&&x| x != a) {
                adj[a].pop();
            }
            continue;
        }
        if tried[j] == windows[j].len() {
            tried[j] = 0;
            if j == 0 {
                break;
            }
            j -= 1;
            let a = choice[j];
            for _ in windows[j].iter().filter(|&&x| x != a) {
                adj[a].pop();
            }
            continue;
        }
        if out.len() % 1024 == 0 {
            ctrl.check()?;
        }
        let a = windows[j][tried[j]];
        tried[j] += 1;
        if windows[j]
            .iter()
            .any(|&x| x != a && reaches(&adj, x, a, &mut seen))
        {
            continue;
        }
        choice[j] = a;
        for &x in &windows[j] {
            if x != a {
                adj[a].push(x);
            }
        }
        j += 1;
    }
    Ok(out)
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Whether tie sets `ties[j] ⊆ windows[j]` (as bit masks over window positions) are
/// realizable: merge each tie set into one class; the strict relation "class of T_j
/// above class of x" for `x ∈ W_j \ T_j` must have no self-loop and no cycle.
fn ties_feasible(windows: &[Vec<usize>], n: usize, ties: &[u64]) -> bool {
    let mut parent: Vec<usize> = (0..n).collect();
    for (w, &t) in windows.iter().zip(ties) {
        let mut first = None;
        for (q, &e) in w.iter().enumerate() {
            if t >> q & 1 == 1 {
                match first {
                    None => first = Some(e),
                    Some(f) => {
                        let (a, b) = (find(&mut parent, f), find(&mut parent, e));
                        parent[a] = b;
                    }
                }
            }
        }
    }
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for (w, &t) in windows.iter().zip(ties) {
        let top = w
            .iter()
            .enumerate()
            .find(|(q, _)| t >> q & 1 == 1)
            .map(|(_, &e)| e)
            .expect("tie set non-empty");
        let ct = find(&mut parent, top);
        for (q, &e) in w.iter().enumerate() {
            if t >> q & 1 == 0 {
                let ce = find(&mut parent, e);
                if ce == ct {
                    return false;
                }
                adj[ct].push(ce);
                indeg[ce] += 1;
            }
        }
    }
    let roots: Vec<usize> = (0..n).filter(|&i| find(&mut parent, i) == i).collect();
    kahn(&adj, &mut indeg, roots.iter().copied()) == roots.len()
}

/// Dimension of `Σ Δ_{S_j}`: `|∪ S_j|` minus the connected components of the hypergraph.
pub fn minkowski_dim(sets: &[Vec<usize>], n: usize) -> usize {
    let mut parent: Vec<usize> = (0..n).collect();
    let mut used = vec![false; n];
    for s in sets {
        for &e in s {
            used[e] = true;
            let (a, b) = (find(&mut parent, s[0]), find(&mut parent, e));
            parent[a] = b;
        }
    }
    let support = used.iter().filter(|&&u| u).count();
    let comps = (0..n)
        .filter(|&i| used[i] && find(&mut parent, i) == i)
        .count();
    support - comps
}

/// The f-vector `(f_0, …, f_d)` of `Σ_j Δ_{W_j}` (`d = dim P`, `f_d = 1`), by
/// backtracking over tie-set tuples with pruning. Exponential: practical for about
/// `Π_j (2^{|W_j|} − 1) ≲ 10^8` candidate tuples, e.g. up to 12-16 inputs.
pub fn f_vector(
    windows: &[Vec<usize>],
    n: usize,
    max_faces: usize,
    ctrl: &Control,
) -> Result<Vec<u64>> {
    validate(windows, n)?;
    if windows.iter().any(|w| w.len() > 63) {
        return Err(invalid(
            "windows",
            "f_vector supports windows of at most 63 elements",
        ));
    }
    let d = minkowski_dim(windows, n);
    let m = windows.len();
    let mut f = vec![0u64; d + 1];
    let mut ties = vec![0u64; m];
    let mut total = 0usize;
    fn rec(
        j: usize,
        windows: &[Vec<usize>],
        n: usize,
        ties: &mut Vec<u64>,
        f: &mut Vec<u64>,
        total: &mut usize,
        max_faces: usize,
        ctrl: &Control,
    ) -> Result<()> {
        if j == windows.len() {
            let sets: Vec<Vec<usize>> = windows
                .iter()
                .zip(ties.iter())
                .map(|(w, &t)| {
                    w.iter()
                        .enumerate()
                        .filter(|(q, _)| t >> q & 1 == 1)
                        .map(|(_, &e)| e)
                        .collect()
                })
                .collect();
            f[minkowski_dim(&sets, n)] += 1;
            *total += 1;
            if *total > max_faces {
                return Err(Error::LimitExceeded {
                    name: "max_faces".into(),
                    limit: max_faces as u64,
                    message: "more faces than the limit".into(),
                });
            }
            if *total % 4096 == 0 {
                ctrl.check()?;
            }
            return Ok(());
        }
        for t in 1..(1u64 << windows[j].len()) {
            ties[j] = t;
            if ties_feasible(&windows[..=j], n, &ties[..=j]) {
                rec(j + 1, windows, n, ties, f, total, max_faces, ctrl)?;
            }
        }
        Ok(())
    }
    rec(
        0, windows, n, &mut ties, &mut f, &mut total, max_faces, ctrl,
    )?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_vector_and_matrix_power_agree() {
        let c = Control::new();
        for (k, s) in [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (3, 4), (6, 1)] {
            for m in [1, 2, 3, 7, 64, 129] {
                let n = k + (m - 1) * s;
                assert_eq!(
                    count_1d_with(n, k, s, usize::MAX, &c).unwrap(),
                    count_1d_with(n, k, s, 0, &c).unwrap(),
                    "k={k} s={s} m={m}"
                );
            }
        }
    }
}
