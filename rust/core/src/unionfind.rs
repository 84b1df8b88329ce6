//! Disjoint sets (union-find with path halving), shared by the
//! max-pooling face enumeration and the merging of regions into linear pieces.

use crate::error::{invalid, Result};

/// A partition of `0..n`, refined by [`UnionFind::union`].
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Merge the sets of `a` and `b`; whether they were different. (No union by size:
    /// one array is cheaper for the many small families of the face enumeration, and
    /// path halving keeps the trees shallow.)
    pub fn union(&mut self, a: usize, b: usize) -> bool {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        self.parent[a] = b;
        true
    }

    /// Whether `x` represents its set.
    pub fn is_root(&mut self, x: usize) -> bool {
        self.find(x) == x
    }

    /// A label per element, `0..n_sets`, numbered in order of each set's first element.
    pub fn labels(&mut self) -> Vec<usize> {
        let n = self.parent.len();
        let mut label = vec![usize::MAX; n];
        let mut next = 0;
        (0..n)
            .map(|i| {
                let r = self.find(i);
                if label[r] == usize::MAX {
                    label[r] = next;
                    next += 1;
                }
                label[r]
            })
            .collect()
    }
}

/// The connected components of the graph on `0..n` with edges `pairs` (flattened
/// `(i, j)` pairs), labelled `0..` in order of each component's first vertex.
pub fn components(n: usize, pairs: &[i64]) -> Result<Vec<i64>> {
    if pairs.len() % 2 != 0 {
        return Err(invalid("pairs", "must hold pairs (an m x 2 array)"));
    }
    let mut sets = UnionFind::new(n);
    for (e, p) in pairs.chunks_exact(2).enumerate() {
        let at = |v: i64| usize::try_from(v).ok().filter(|&v| v < n);
        let (Some(a), Some(b)) = (at(p[0]), at(p[1])) else {
            return Err(invalid(
                "pairs",
                format!(
                    "row {e} is ({}, {}): indices must be in [0, {n})",
                    p[0], p[1]
                ),
            ));
        };
        sets.union(a, b);
    }
    Ok(sets.labels().into_iter().map(|l| l as i64).collect())
}

#[cfg(test)]
mod tests {
    use super::UnionFind;

    #[test]
    fn labels_follow_first_elements() {
        let mut uf = UnionFind::new(6);
        assert!(uf.union(4, 1));
        assert!(uf.union(5, 3));
        assert!(uf.union(3, 1));
        assert!(!uf.union(5, 4));
        assert_eq!(uf.labels(), vec![0, 1, 2, 1, 1, 1]);
    }

    #[test]
    fn components_check_their_indices() {
        assert_eq!(super::components(3, &[2, 0]).unwrap(), vec![0, 1, 0]);
        assert!(super::components(3, &[0, 3]).is_err());
        assert!(super::components(3, &[-1, 0]).is_err());
    }
}
