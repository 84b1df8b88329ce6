//! A max step (maxout, max-pooling) of the float walk: for each unit and each piece `r`,
//! the part of the cell where `p_r ≥ p_q` for every other piece `q` (ties go to the
//! lowest index).

use super::super::affine::{diff_err, numerically_zero, Lin, Piece, Pieces};
use super::super::cells::{Cell, CellBox, Map, Mode, Undecided, NO_TAG};
use super::dfs::{bounded_dfs, Found, Next};
use super::Walk;
use crate::bits::{get_bit, get_field, put_field};
use crate::error::Result;
use crate::network::{Activation, Layer};

impl<C: Cell> Walk<'_, C> {
    /// The regions below `cell` from max layer `l` on (pattern offset `offset`),
    /// depth first over the layer's units (the sides of unit `u` are the parts where
    /// each of its pieces wins, in order), so that counting streams: memory is bounded
    /// by the depth, not by the number of parts. A unit whose comparisons the filter
    /// cannot decide (even after tightening the cell) is redone, with the units after
    /// it, in exact arithmetic from the codes chosen so far.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn max_cut(
        &self,
        l: usize,
        layer: &Layer,
        cell: C,
        pat: &[u64],
        z: &Lin,
        offset: usize,
        hints: super::Hints<'_>,
    ) -> Result<Found<C>> {
        let hint = hints.winners;
        let (k, ext) = (cell.dim(), cell.extent());
        let signs = match layer {
            Layer::MaxPool { .. } => self.input_signs(l, pat),
            Layer::Dense { .. } => Vec::new(),
        };
        let tol = matches!(self.opts.mode, Mode::Tol(_));
        let ps = Pieces::new(layer, &self.row_l1[l], z, signs, k, ext, tol);
        let n_in = match layer {
            Layer::Dense { affine, .. } => affine.n_in,
            Layer::MaxPool { .. } => 1,
        };
        let (bits, last) = (layer.bits(), l + 1 == self.net.layers().len());
        let tags = self.input_tags(l, layer);
        // Every part below is inside `cell`: its bounding box decides most comparisons,
        // and what it decides (with the known signs and exact ties) holds for every part,
        // so those units are decided once per visit; only the others (`open`) are walked.
        let cbox = CellBox::of(&cell);
        let iv = self.row_intervals(&cbox, &ps, hints.intervals);
        let decided: Vec<Option<usize>> = (0..ps.len())
            .map(|u| {
                hint.and_then(|h| h[u])
                    .or_else(|| self.unit_winner(&cbox, &ps, u, n_in, ext, iv.as_deref()))
            })
            .collect();
        let open: Vec<usize> = (0..ps.len()).filter(|&u| decided[u].is_none()).collect();
        // The codes of units `0..end`: the decided ones, and `chosen` for the open ones.
        let codes_upto = |end: usize, chosen: &[usize]| -> Vec<usize> {
            let mut it = chosen.iter();
            (0..end)
                .map(|u| decided[u].unwrap_or_else(|| *it.next().expect("an open unit's code")))
                .collect()
        };
        // The parts' inputs of a sparse ReLU layer next differ from a reference part's
        // on a few units: their maps are the reference map updated there.
        let base = self.sparse_base(l, &ps, &decided, &open, z, k);
        let start: MaxSide<C> = (0, cell, Vec::new());
        bounded_dfs(
            start,
            0,
            self.ctrl,
            &|(mut j, mut cell, mut chosen): MaxSide<C>| loop {
                let Some(&u) = open.get(j) else {
                    return Ok(Next::Done(if self.opts.count_only && last {
                        self.leaf_count()?
                    } else {
                        let codes = codes_upto(ps.len(), &chosen);
                        let (pattern, mut next) = max_output(&ps, &codes, pat, offset, bits, k);
                        next.extend_rows(z, self.net.carry(l), k);
                        let hints = super::Hints {
                            base: base.as_ref(),
                            ..Default::default()
                        };
                        self.descend_hinted(l + 1, cell, pattern, next, hints)?
                    }));
                };
                let parts = match self.unit_parts(cell, &cbox, &ps, u, n_in, ext, tags) {
                    Ok(parts) => parts,
                    Err(cell) => {
                        let mut tight = cell;
                        let retry = if tight.tighten() {
                            self.unit_parts(tight, &cbox, &ps, u, n_in, ext, tags).ok()
                        } else {
                            None
                        };
                        match retry {
                            Some(parts) => parts,
                            None => {
                                let codes = codes_upto(u, &chosen);
                                return Ok(Next::Done(self.exact_from_max(l, pat, &codes)?));
                            }
                        }
                    }
                };
                let parts = match parts {
                    Parts::One(r, c) => {
                        // One winner: go on with the same side, nothing copied.
                        chosen.push(r);
                        (j, cell) = (j + 1, c);
                        continue;
                    }
                    Parts::Many(parts) => parts,
                };
                let sides = parts
                    .into_iter()
                    .map(|(r, c)| {
                        let mut next = chosen.clone();
                        next.push(r);
                        (j + 1, c, next)
                    })
                    .collect();
                return Ok(Next::Many(sides));
            },
        )
    }

    /// The reference input and map of layer `l + 1` for the parts of max layer `l`'s
    /// cell ([`super::reuse::Base`]): the decided winners, piece 0 of each open unit.
    /// `None` unless some unit is open, the exact mode, and layer `l + 1` is a sparse
    /// ReLU layer (a convolution: a part changes few of its rows).
    fn sparse_base(
        &self,
        l: usize,
        ps: &Pieces<'_>,
        decided: &[Option<usize>],
        open: &[usize],
        z: &Lin,
        k: usize,
    ) -> Option<super::reuse::Base> {
        if open.is_empty() || self.opts.mode != Mode::Exact {
            return None;
        }
        let Some(Layer::Dense {
            affine,
            activation: Activation::Relu | Activation::LeakyRelu(_),
        }) = self.net.layers().get(l + 1)
        else {
            return None;
        };
        let readers = self.readers.get(l + 1)?.as_ref()?;
        if readers.is_dense() {
            return None;
        }
        let codes: Vec<usize> = decided.iter().map(|c| c.unwrap_or(0)).collect();
        let (_, mut zb) = max_output(ps, &codes, &[], 0, 0, k);
        zb.extend_rows(z, self.net.carry(l), k);
        // Bitwise the full product, from this thread's last map of the layer.
        let h = super::reuse::apply_reusing(self.id, l + 1, affine, readers, &zb, k, None);
        Some(super::reuse::Base { z: zb, h })
    }

    /// The winners of pooling layer `l`'s units decided on the whole `cell` of the ReLU
    /// layer `l - 1` before its cutting units cut it (`step`): a window that reads no
    /// cutting unit has the same pieces and known signs on every part (bitwise: the
    /// parts differ only in the cutting units' rows), and a winner decided on the
    /// cell's box wins on every part. `None` for the other windows (each part decides
    /// them), and when layer `l` is not a pooling layer right after a ReLU layer.
    pub(super) fn max_hint(
        &self,
        l: usize,
        cell: &C,
        step: &super::relu::ReluStep<'_>,
    ) -> Option<Vec<Option<usize>>> {
        let layer @ Layer::MaxPool { windows, .. } = self.net.layers().get(l)? else {
            return None;
        };
        if matches!(self.opts.mode, Mode::Tol(_)) {
            return None; // tolerance ties depend on the cell's extent: decided per part
        }
        let (pattern, z) = step.finish(&step.common);
        let signs = self.input_signs(l, &pattern);
        if signs.is_empty() {
            return None;
        }
        let (k, ext) = (cell.dim(), cell.extent());
        let ps = Pieces::new(layer, &self.row_l1[l], &z, signs, k, ext, false);
        let mut cut = vec![false; step.affine.n_out];
        for &i in &step.cutting {
            cut[i] = true;
        }
        let cbox = CellBox::of(cell);
        let iv = self.row_intervals(&cbox, &ps, step.intervals());
        Some(
            windows
                .iter()
                .enumerate()
                .map(|(u, w)| {
                    if w.iter().any(|&j| cut.get(j) == Some(&true)) {
                        None
                    } else {
                        self.unit_winner(&cbox, &ps, u, 1, ext, iv.as_deref())
                    }
                })
                .collect(),
        )
    }

    /// The piece of unit `u` that wins on every part of the layer's cell (bounding box
    /// `cbox`), when the known signs, exact ties or the box decide it without a cut:
    /// one active input among inactive ones; pieces all equal (the lowest index wins);
    /// or one piece strictly above every other on the whole box. `None` otherwise (the
    /// unit is walked, [`Self::unit_parts`]). Allocates nothing for windows of up to 16
    /// pieces.
    fn unit_winner(
        &self,
        cbox: &CellBox,
        ps: &Pieces<'_>,
        u: usize,
        n_in: usize,
        ext: f64,
        iv: Option<&[(f64, f64)]>,
    ) -> Option<usize> {
        let q = ps.n_pieces(u);
        let (active, first) = ps.active(u);
        if active == 1 {
            return Some(first);
        }
        if let Some(iv) = iv {
            // The usual case (most windows of a trained network have several active
            // inputs): one candidate's value interval strictly above the others'.
            if let Some(best) = interval_winner(ps, u, active, iv) {
                return Some(best);
            }
        }
        let mut stack = [0usize; 16];
        let mut heap = Vec::new();
        let live: &mut [usize] = if q <= stack.len() {
            &mut stack[..q]
        } else {
            heap.resize(q, 0);
            &mut heap
        };
        let n = self.live_pieces(ps, u, active, n_in, ext, live);
        if n == 1 {
            return Some(live[0]);
        }
        // The piece largest at the box's centre, if it is strictly above every other
        // live piece on the whole box.
        let mode = self.opts.mode;
        // The value range of each live piece on the cell (exact modes): most windows
        // are decided by comparing these intervals, the rest by the difference's range.
        let mut range = [(0.0f64, 0.0f64); 16];
        if n > range.len() {
            return None; // a wide window: the walk decides it
        }
        let no_range = matches!(mode, Mode::Tol(_));
        let centre = |r: usize| {
            let p = ps.piece(u, r);
            p.a + p
                .b
                .iter()
                .zip(cbox.centre())
                .map(|(b, c)| b * c)
                .sum::<f64>()
        };
        let mut best_at = 0;
        for (t, &r) in live[..n].iter().enumerate() {
            range[t] = if no_range {
                (centre(r), f64::INFINITY)
            } else {
                let p = ps.piece(u, r);
                let map = Map {
                    alpha: p.a,
                    beta: p.b,
                    err: p.err,
                };
                cbox.centre_value(&map, mode)
            };
            if t > 0 && range[t].0 > range[best_at].0 {
                best_at = t;
            }
        }
        let best = live[best_at];
        let (gb, mb) = range[best_at];
        let pb = ps.piece(u, best);
        let mut beta = [0.0f64; 8];
        for (t, &q) in live[..n].iter().enumerate() {
            if t == best_at {
                continue;
            }
            let pq = ps.piece(u, q);
            if known_order(pq.sign, pb.sign) == Some(true) {
                continue;
            }
            if strictly_above((gb, mb), range[t]) {
                continue;
            }
            let k = pq.b.len();
            if k > beta.len() {
                return None;
            }
            for ((d, x), y) in beta.iter_mut().zip(pq.b).zip(pb.b) {
                *d = x - y;
            }
            let alpha = pq.a - pb.a;
            let err = diff_err(pq.err, pb.err, alpha, &beta[..k], ext);
            if matches!(mode, Mode::Tol(_))
                && numerically_zero(alpha, &beta[..k], ext, pb.mag + pq.mag, n_in)
            {
                return None; // a tie within the tolerance: the walk decides it
            }
            let map = Map {
                alpha,
                beta: &beta[..k],
                err,
            };
            if cbox.side(&map, mode) != Some(false) {
                return None;
            }
        }
        Some(best)
    }

    /// The value interval `(g, margin)` on the box `cbox` of every row of `ps`
    /// ([`CellBox::centre_value`]), computed once per visit for the fast path of
    /// [`Self::unit_winner`]; `None` in tolerance mode. `relu`: the intervals of the
    /// rows' maps on a cell holding this one, from the ReLU layer before (valid where a
    /// row is active; an inactive row is exactly 0), used instead when the signs of
    /// the rows are known.
    fn row_intervals(
        &self,
        cbox: &CellBox,
        ps: &Pieces<'_>,
        relu: Option<&[(f64, f64)]>,
    ) -> Option<Vec<(f64, f64)>> {
        let mode = self.opts.mode;
        if matches!(mode, Mode::Tol(_)) {
            return None;
        }
        if let Some(relu) = relu.filter(|r| r.len() == ps.n_rows() && ps.has_signs()) {
            return Some(
                (0..ps.n_rows())
                    .map(|i| match ps.row_sign(i) {
                        -1 => (0.0, 0.0),
                        _ => relu[i],
                    })
                    .collect(),
            );
        }
        Some(
            (0..ps.n_rows())
                .map(|i| {
                    let (alpha, beta, err) = ps.row_map(i);
                    cbox.centre_value(&Map { alpha, beta, err }, mode)
                })
                .collect(),
        )
    }

    /// The known signs on the cell of pooling layer `l`'s inputs, read off the pattern
    /// `pat` of the layers before it; empty when nothing is known. After a ReLU or a
    /// leaky ReLU of slope `≥ 0`, an active unit's output is `≥ 0` on the cell and not
    /// identically zero (its side was decided by a strictly positive vertex, or its
    /// hyperplane cuts the cell), an inactive one's is `≤ 0`; a pooling layer passes on
    /// the sign of each window's winner. With these, an active input beats an inactive
    /// one without a comparison: that comparison is the ReLU hyperplane itself, which
    /// passes through the cell's own vertices, so the float filter could never decide it
    /// and every such cell went to exact arithmetic.
    pub(crate) fn input_signs(&self, l: usize, pat: &[u64]) -> Vec<i8> {
        let (layers, offsets) = (self.net.layers(), self.net.offsets());
        let mut first = l;
        while first > 0 && matches!(layers[first - 1], Layer::MaxPool { .. }) {
            first -= 1;
        }
        let Some(Layer::Dense { affine, activation }) = first.checked_sub(1).map(|f| &layers[f])
        else {
            return Vec::new();
        };
        match activation {
            Activation::Relu => {}
            Activation::LeakyRelu(s) if *s >= 0.0 => {}
            _ => return Vec::new(),
        }
        let off = offsets[first - 1];
        let mut signs: Vec<i8> = (0..affine.n_out)
            .map(|i| if get_bit(pat, off + i) { 1 } else { -1 })
            .collect();
        for (m, pool) in layers.iter().enumerate().take(l).skip(first) {
            let Layer::MaxPool { windows, .. } = pool else {
                return Vec::new();
            };
            if windows.iter().flatten().any(|&i| i >= signs.len()) {
                // A window reads a carried input: its sign is not in the pattern.
                return Vec::new();
            }
            let (bits, off) = (pool.bits(), offsets[m]);
            signs = windows
                .iter()
                .enumerate()
                .map(|(u, w)| {
                    let code = get_field(pat, off + u * bits as usize, bits) as usize;
                    signs[w[code]]
                })
                .collect();
        }
        signs
    }

    /// The ReLU (or leaky ReLU) layer right before pooling layer `l` whose units are the
    /// pooling layer's inputs (rows), with its number of units, in the exact mode: a
    /// cell vertex between the cuts of two of its units `q`, `r` (edges tagged
    /// [`Self::unit_tag`]) is a zero of every comparison `p_q − p_r` (both are 0 there:
    /// `relu(h) = h` or `0`, leaky `s h`). `None` otherwise.
    fn input_tags(&self, l: usize, layer: &Layer) -> Option<(usize, usize)> {
        if self.opts.mode != Mode::Exact || !matches!(layer, Layer::MaxPool { .. }) || l == 0 {
            return None;
        }
        match &self.net.layers()[l - 1] {
            Layer::Dense {
                affine,
                activation: Activation::Relu | Activation::LeakyRelu(_),
            } => Some((l - 1, affine.n_out)),
            _ => None,
        }
    }

    /// The non-empty parts of `cell` where each piece of unit `u` wins, with the piece;
    /// `Err(cell)` when a comparison is undecided. Pieces that lose by their known signs
    /// or to an equal piece of lower index are dropped first, without geometry; when one
    /// piece is left it wins the whole cell, which is moved, not copied. `tags`: see
    /// [`Self::input_tags`].
    #[allow(clippy::too_many_arguments)]
    fn unit_parts(
        &self,
        cell: C,
        cbox: &CellBox,
        ps: &Pieces<'_>,
        u: usize,
        n_in: usize,
        ext: f64,
        tags: Option<(usize, usize)>,
    ) -> std::result::Result<Parts<C>, C> {
        let q = ps.n_pieces(u);
        // By known signs first (O(q)): an active piece beats every inactive one, so a
        // window with one active input needs nothing more (the usual case after a ReLU).
        let (active, first) = ps.active(u);
        if active == 1 {
            return Ok(Parts::One(first, cell));
        }
        let mut live = vec![0usize; q];
        let n = self.live_pieces(ps, u, active, n_in, ext, &mut live);
        live.truncate(n);
        if live.len() == 1 {
            return Ok(Parts::One(live[0], cell));
        }
        let mut out = Vec::with_capacity(live.len());
        let mut beta = Vec::with_capacity(cell.dim());
        for &r in &live {
            match self.where_wins(&cell, cbox, ps, u, r, &live, n_in, ext, tags, &mut beta) {
                Ok(Some(won)) => out.push((r, won)),
                Ok(None) => {}
                Err(Undecided) => return Err(cell),
            }
        }
        Ok(match out.len() {
            1 => {
                let (r, c) = out.pop().expect("one part");
                Parts::One(r, c)
            }
            _ => Parts::Many(out),
        })
    }

    /// The live pieces of unit `u` (`active` of them known active) into `live`, in
    /// order, and their number: not beaten by their known sign (an inactive piece when
    /// one is active), not equal to a live piece of lower index (such a tie the lower
    /// index wins). `live` has room for every piece.
    #[inline]
    fn live_pieces(
        &self,
        ps: &Pieces<'_>,
        u: usize,
        active: usize,
        n_in: usize,
        ext: f64,
        live: &mut [usize],
    ) -> usize {
        let mut n = 0;
        for r in 0..ps.n_pieces(u) {
            if active > 0 && ps.sign(u, r) == -1 {
                continue;
            }
            let pr = ps.piece(u, r);
            if !live[..n]
                .iter()
                .any(|&s| self.identical(&ps.piece(u, s), &pr, ext, n_in))
            {
                live[n] = r;
                n += 1;
            }
        }
        n
    }

    /// Whether pieces `p` and `q` are equal on the cell (a tie the lower index wins):
    /// exactly (exact modes), or up to rounding (an explicit tolerance).
    #[inline]
    fn identical(&self, p: &Piece<'_>, q: &Piece<'_>, ext: f64, n_in: usize) -> bool {
        let same = p.a == q.a && p.b == q.b;
        match self.opts.mode {
            Mode::Exact | Mode::Rational => same && p.err == 0.0 && q.err == 0.0,
            Mode::Tol(_) => {
                same || {
                    let beta: Vec<f64> = p.b.iter().zip(q.b).map(|(x, y)| x - y).collect();
                    numerically_zero(p.a - q.a, &beta, ext, p.mag + q.mag, n_in)
                }
            }
        }
    }

    /// The part of `cell` where piece `r` of unit `u` is at least every other piece of
    /// `live` (the pieces not dropped by [`Self::unit_parts`]); `None` when that part is
    /// empty or negligible. `cbox` bounds a cell that holds `cell`; `beta` is scratch.
    /// `tags` ([`Self::input_tags`]): a comparison the vertices leave undecided is
    /// retried with the vertex where the cuts of the two pieces' units meet known to be
    /// a zero (the usual undecided case of a trained network: two active inputs whose
    /// ReLU lines cross at a vertex of the cell).
    #[allow(clippy::too_many_arguments)]
    fn where_wins(
        &self,
        cell: &C,
        cbox: &CellBox,
        ps: &Pieces<'_>,
        u: usize,
        r: usize,
        live: &[usize],
        n_in: usize,
        ext: f64,
        tags: Option<(usize, usize)>,
        beta: &mut Vec<f64>,
    ) -> std::result::Result<Option<C>, Undecided> {
        let mode = self.opts.mode;
        let pr = ps.piece(u, r);
        let mut cur: Option<C> = None;
        for &q in live.iter().filter(|&&q| q != r) {
            // Keep p_q - p_r ≤ 0.
            let pq = ps.piece(u, q);
            if known_order(pq.sign, pr.sign) == Some(true) {
                continue;
            }
            let alpha = pq.a - pr.a;
            beta.clear();
            beta.extend(pq.b.iter().zip(pr.b).map(|(x, y)| x - y));
            let err = diff_err(pq.err, pr.err, alpha, beta, ext);
            let constant = beta.iter().all(|&x| x == 0.0);
            let tie = match mode {
                Mode::Tol(_) => {
                    numerically_zero(alpha, beta, ext, pr.mag + pq.mag, n_in)
                        || (constant && alpha == 0.0)
                }
                Mode::Exact | Mode::Rational => err == 0.0 && alpha == 0.0 && constant,
            };
            if tie {
                if q < r {
                    return Ok(None); // an equal piece of lower index wins
                }
                continue;
            }
            if constant && matches!(mode, Mode::Tol(_)) {
                if alpha > 0.0 {
                    return Ok(None); // p_r never wins on this cell
                }
                continue;
            }
            let map = Map { alpha, beta, err };
            // Most comparisons do not cut the cell: decide those from the bounding box
            // of the layer's cell (it holds every part), then from the vertices,
            // without building a new cell.
            let side = match cbox.side(&map, mode) {
                Some(side) => Ok(Some(side)),
                None => cur.as_ref().unwrap_or(cell).side(&map, mode),
            };
            match side {
                Ok(Some(false)) => continue,       // p_q ≤ p_r on the whole part
                Ok(Some(true)) => return Ok(None), // p_q ≥ p_r: p_r wins on a null set
                Ok(None) | Err(Undecided) => {}
            }
            let base = cur.take().unwrap_or_else(|| cell.clone());
            let zero = tags.and_then(|(lr, n)| {
                let (a, b) = (ps.row(u, q), ps.row(u, r));
                (a < n && b < n).then(|| (self.unit_tag(lr, a), self.unit_tag(lr, b)))
            });
            let (lo, _) = base
                .split_tagged(&map, mode, NO_TAG, zero)
                .map_err(|_| Undecided)?;
            match lo.filter(|c| !self.negligible(c)) {
                Some(c) => cur = Some(c),
                None => return Ok(None),
            }
        }
        Ok(Some(cur.unwrap_or_else(|| cell.clone())))
    }
}

/// What the known signs of two pieces `q` and `r` decide (see [`Walk::input_signs`]):
/// `Some(true)` when `p_q ≤ 0 ≤ p_r` on the whole cell (the constraint `p_q ≤ p_r`
/// holds), `Some(false)` when `p_q ≥ 0 ≥ p_r` with `p_q` not identically zero (then
/// `p_q > p_r` off the null set where they are equal, so `p_r` wins on no part with
/// interior), `None` when the signs decide nothing.
#[inline]
pub(crate) fn known_order(q: i8, r: i8) -> Option<bool> {
    match (q, r) {
        (-1, 1) => Some(true),
        (1, -1) => Some(false),
        _ => None,
    }
}

/// The piece of unit `u` whose value interval on the cell (`iv`, per row) lies
/// strictly above those of every other candidate: the pieces not known inactive when
/// `active > 0` of them are known active (an active piece beats an inactive one, see
/// [`known_order`]), all pieces otherwise. It is then strictly the largest on the whole
/// cell (no tie anywhere). `None` when the intervals do not decide.
#[inline]
fn interval_winner(ps: &Pieces<'_>, u: usize, active: usize, iv: &[(f64, f64)]) -> Option<usize> {
    let candidate = |r: usize| active == 0 || ps.sign(u, r) != -1;
    let mut best: Option<usize> = None;
    for r in 0..ps.n_pieces(u) {
        if candidate(r) && best.is_none_or(|b| iv[ps.row(u, r)].0 > iv[ps.row(u, b)].0) {
            best = Some(r);
        }
    }
    let best = best?;
    let (gb, mb) = iv[ps.row(u, best)];
    for q in (0..ps.n_pieces(u)).filter(|&q| q != best && candidate(q)) {
        if !strictly_above((gb, mb), iv[ps.row(u, q)]) {
            return None;
        }
    }
    Some(best)
}

/// Whether the value interval `(gb, mb)` (`[gb - mb, gb + mb]`) lies strictly above
/// `(gq, mq)`: `p_q ≤ gq + mq < gb - mb ≤ p_b` (the difference rounded down, the
/// margins' sum rounded up). A NaN decides nothing.
#[inline]
fn strictly_above((gb, mb): (f64, f64), (gq, mq): (f64, f64)) -> bool {
    (gb - gq) * (1.0 - 2.0 * f64::EPSILON)
        > (mq + mb) * (1.0 + 4.0 * f64::EPSILON) + f64::MIN_POSITIVE
}

/// The parts of a cell where each piece of a unit wins: one (the whole cell, or one
/// part), or several.
enum Parts<C> {
    One(usize, C),
    Many(Vec<(usize, C)>),
}

/// A side of a max layer's walk: the next open unit (an index into the units no bound
/// decides), the cell, the pieces chosen so far for the open units.
type MaxSide<C> = (usize, C, Vec<usize>);

/// The pattern (unit `u` gets code `codes[u]` in a field of `bits` bits from `offset`)
/// and the next layer's input map of a part where the pieces `codes` win.
fn max_output(
    ps: &Pieces<'_>,
    codes: &[usize],
    pat: &[u64],
    offset: usize,
    bits: u32,
    k: usize,
) -> (Vec<u64>, Lin) {
    let mut pattern = pat.to_vec();
    let mut a = Vec::with_capacity(codes.len());
    let mut b = Vec::with_capacity(codes.len() * k);
    let mut err = Vec::with_capacity(codes.len());
    for (u, &r) in codes.iter().enumerate() {
        put_field(&mut pattern, offset + u * bits as usize, bits, r as u64);
        let p = ps.piece(u, r);
        a.push(p.a);
        b.extend_from_slice(p.b);
        err.push(p.err);
    }
    (pattern, Lin { a, b, err })
}
