//! Vertex–facet incidences of a convex polytope given by its vertices, and the
//! combinatorial part of cutting it by a hyperplane (shared by the float
//! [`VPolytope`](super::VPolytope) and the exact [`ExactPolytope`](crate::regions::exact::ExactPolytope)).
//!
//! Bit `f` of vertex `v`'s row says that `v` lies on facet hyperplane `f`. Vertices `u, v`
//! span an edge iff `S = F(u) ∩ F(v)` has at least `d − 1` facets and no other vertex lies
//! on all of `S` (the combinatorial test of the double description method, exact for any
//! polytope, simple or not; at a simple vertex the first condition suffices).

/// Incidence rows of `n` vertices over `nf` facet ids, `words` words per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Incidence {
    pub nf: usize,
    pub words: usize,
    /// `V × words`.
    pub inc: Vec<u64>,
}

/// How to cut a polytope: which old vertices each side keeps and which edges the cut
/// crosses (a new vertex each, shared by both sides, listed after the old ones).
pub struct CutPlan {
    pub neg: Vec<usize>,
    pub pos: Vec<usize>,
    /// `(u, v)` with `u` strictly below and `v` strictly above the cut.
    pub edges: Vec<(usize, usize)>,
    pub neg_inc: Incidence,
    pub pos_inc: Incidence,
    /// Old facet ids kept by each side, in new-id order (the new facet is id `nf` of
    /// the old numbering); `None` when nothing was dropped.
    pub neg_kept: Option<Vec<usize>>,
    pub pos_kept: Option<Vec<usize>>,
}

impl Incidence {
    /// Number of vertices.
    pub fn n_vertices(&self) -> usize {
        self.inc.len() / self.words.max(1)
    }

    /// Row of vertex `v`.
    pub fn row(&self, v: usize) -> &[u64] {
        &self.inc[v * self.words..(v + 1) * self.words]
    }

    /// Whether `v` lies on exactly `d` facets.
    pub fn simple(&self, v: usize, d: usize) -> bool {
        self.row(v)
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
            == d
    }

    /// Whether `u, v` span an edge; `simple_u` says whether `u` is simple; `s` is
    /// scratch of `words` words and holds `F(u) ∩ F(v)` afterwards.
    #[inline]
    pub fn adjacent(&self, d: usize, u: usize, v: usize, simple_u: bool, s: &mut [u64]) -> bool {
        let mut count = 0;
        for (w, (a, b)) in s.iter_mut().zip(self.row(u).iter().zip(self.row(v))) {
            *w = a & b;
            count += w.count_ones() as usize;
        }
        if count + 1 < d {
            return false;
        }
        // At a simple vertex (exactly d facets, hence independent normals) any d − 1 of
        // its facets cut out an edge, so sharing d − 1 facets is enough.
        if count + 1 == d && simple_u {
            return true;
        }
        (0..self.n_vertices())
            .all(|w| w == u || w == v || s.iter().zip(self.row(w)).any(|(a, b)| a & !b != 0))
    }

    /// The plan of the cut with vertex sides `side` (`-1`, `0`: on the cut, `1`); both
    /// strict sides must occur. The new facet takes id `nf`.
    pub fn plan(&self, d: usize, side: &[i8]) -> CutPlan {
        let nv = side.len();
        let f = self.nf;
        let words = if f == self.words * 64 {
            self.words + 1
        } else {
            self.words
        };
        let mut row = vec![0u64; words];
        let (mut neg, mut pos) = (Vec::with_capacity(nv), Vec::with_capacity(nv));
        let cap = nv + nv / 2 + 2;
        let (mut inn, mut inp) = (
            Vec::with_capacity(cap * words),
            Vec::with_capacity(cap * words),
        );
        for (v, &sv) in side.iter().enumerate() {
            row[..self.words].copy_from_slice(self.row(v));
            row[self.words..].fill(0);
            if sv == 0 {
                row[f / 64] |= 1 << (f % 64);
            }
            if sv <= 0 {
                neg.push(v);
                inn.extend_from_slice(&row);
            }
            if sv >= 0 {
                pos.push(v);
                inp.extend_from_slice(&row);
            }
        }
        let mut s = vec![0u64; self.words];
        let above: Vec<usize> = (0..nv).filter(|&v| side[v] > 0).collect();
        let mut edges = Vec::new();
        for u in (0..nv).filter(|&u| side[u] < 0) {
            // O(V^2) pair tests for cells of many vertices (2^18 for a box in R^18):
            // stop early on Ctrl-C; the partial plan is discarded by the caller.
            if crate::control::cancel_requested() {
                break;
            }
            let simple_u = self.simple(u, d);
            for &v in &above {
                if !self.adjacent(d, u, v, simple_u, &mut s) {
                    continue;
                }
                edges.push((u, v));
                row[..self.words].copy_from_slice(&s);
                row[self.words..].fill(0);
                row[f / 64] |= 1 << (f % 64);
                inn.extend_from_slice(&row);
                inp.extend_from_slice(&row);
            }
        }
        let mk = |inc| {
            Incidence {
                nf: f + 1,
                words,
                inc,
            }
            .compact_kept(d)
        };
        let ((neg_inc, neg_kept), (pos_inc, pos_kept)) = (mk(inn), mk(inp));
        CutPlan {
            neg,
            pos,
            edges,
            neg_inc,
            pos_inc,
            neg_kept,
            pos_kept,
        }
    }

    /// Drop facets with fewer than `d` vertices (never true facets), renumbering the rest.
    pub fn compact(self, d: usize) -> Self {
        self.compact_kept(d).0
    }

    /// [`Incidence::compact`], with the old ids of the kept facets (`None`: all kept).
    pub fn compact_kept(self, d: usize) -> (Self, Option<Vec<usize>>) {
        let mut count = vec![0u32; self.nf];
        for row in self.inc.chunks(self.words) {
            for (w, &word) in row.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    count[w * 64 + rest.trailing_zeros() as usize] += 1;
                    rest &= rest - 1;
                }
            }
        }
        if count.iter().all(|&c| c as usize >= d) {
            return (self, None);
        }
        let mut new_id = vec![u32::MAX; self.nf];
        let mut kept = 0;
        let mut old = Vec::new();
        for (f, &c) in count.iter().enumerate() {
            if c as usize >= d {
                new_id[f] = kept;
                kept += 1;
                old.push(f);
            }
        }
        let nw = (kept as usize).div_ceil(64).max(1);
        let nv = self.n_vertices();
        let mut out = vec![0u64; nv * nw];
        for (v, row) in self.inc.chunks(self.words).enumerate() {
            for (w, &word) in row.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    let g = new_id[w * 64 + rest.trailing_zeros() as usize];
                    if g != u32::MAX {
                        out[v * nw + g as usize / 64] |= 1 << (g % 64);
                    }
                    rest &= rest - 1;
                }
            }
        }
        (
            Incidence {
                nf: kept as usize,
                words: nw,
                inc: out,
            },
            Some(old),
        )
    }

    /// The facet ids of vertex `v` (ascending).
    pub fn facets_of(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
        ones(self.row(v))
    }

    /// The `2d` facets of a box with vertex `m` at corner bits `m` (facet `2c + up`).
    pub fn boxed(d: usize) -> Self {
        let nv = 1usize << d;
        let words = (2 * d).div_ceil(64);
        let mut inc = vec![0u64; nv * words];
        for m in 0..nv {
            for c in 0..d {
                let f = 2 * c + (m >> c & 1);
                inc[m * words + f / 64] |= 1 << (f % 64);
            }
        }
        Incidence {
            nf: 2 * d,
            words,
            inc,
        }
    }

    /// A convex polygon with `n` vertices in order: vertex `i` lies on edges `i − 1`, `i`.
    pub fn cycle(n: usize) -> Self {
        let words = n.div_ceil(64);
        let mut inc = vec![0u64; n * words];
        for i in 0..n {
            for f in [(i + n - 1) % n, i] {
                inc[i * words + f / 64] |= 1 << (f % 64);
            }
        }
        Incidence { nf: n, words, inc }
    }
}

/// The positions of the set bits of a bitset, ascending.
pub fn ones(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + b
            })
        })
    })
}
