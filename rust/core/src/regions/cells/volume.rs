//! Volumes of polytopes from their vertices and facet incidences, without a convex-hull
//! code: a pulling triangulation over the face lattice. A face is a set of vertices; the
//! facets of a face `S` are the maximal proper sets `S ∩ F` over the polytope's facets
//! `F`. Pulling the lowest vertex `a` of `S` gives the simplices `a ∪ T` for `T` in the
//! triangulations of the facets of `S` that miss `a`. The volume is `Σ |det| / d!`.
//! Depth `d` (the dimension), cost `O(#simplices · d³)` plus the face intersections.

use super::incidence::{ones, Incidence};

type Set = Vec<u64>;

fn members(s: &Set) -> impl Iterator<Item = usize> + '_ {
    ones(s)
}

fn count(s: &Set) -> usize {
    s.iter().map(|w| w.count_ones() as usize).sum()
}

fn subset(a: &Set, b: &Set) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

/// Simplices (lists of `j + 1` vertices) of a triangulation of the `j`-face `s`.
fn triangulate(
    s: &Set,
    j: usize,
    facet_sets: &[Set],
    out: &mut Vec<Vec<usize>>,
    prefix: &mut Vec<usize>,
) {
    if count(s) == j + 1 || j == 0 {
        let mut simplex = prefix.clone();
        simplex.extend(members(s).take(j + 1));
        out.push(simplex);
        return;
    }
    let apex = members(s).next().expect("a face has vertices");
    // The facets of s: maximal proper intersections with the polytope's facets.
    let mut faces: Vec<Set> = Vec::new();
    for f in facet_sets {
        let g: Set = s.iter().zip(f).map(|(a, b)| a & b).collect();
        if count(&g) < j || &g == s {
            continue;
        }
        if faces.iter().any(|h| subset(&g, h)) {
            continue;
        }
        faces.retain(|h| !subset(h, &g));
        faces.push(g);
    }
    prefix.push(apex);
    for g in &faces {
        if g[apex / 64] >> (apex % 64) & 1 == 0 {
            triangulate(g, j - 1, facet_sets, out, prefix);
        }
    }
    prefix.pop();
}

/// `|det(M)|` of a `d × d` row-major matrix (partial pivoting).
fn abs_det(mut m: Vec<f64>, d: usize) -> f64 {
    let mut det = 1.0;
    for c in 0..d {
        let p = (c..d)
            .max_by(|&a, &b| m[a * d + c].abs().total_cmp(&m[b * d + c].abs()))
            .unwrap_or(c);
        if m[p * d + c] == 0.0 {
            return 0.0;
        }
        if p != c {
            for j in 0..d {
                m.swap(c * d + j, p * d + j);
            }
        }
        det *= m[c * d + c];
        for i in c + 1..d {
            let f = m[i * d + c] / m[c * d + c];
            for j in c..d {
                m[i * d + j] -= f * m[c * d + j];
            }
        }
    }
    det.abs()
}

/// The volume of the `d`-polytope with vertices `verts` (`V × d`) and incidences `inc`.
pub fn volume(d: usize, verts: &[f64], inc: &Incidence) -> f64 {
    let nv = verts.len() / d;
    let words = nv.div_ceil(64);
    let mut facet_sets = vec![vec![0u64; words]; inc.nf];
    for v in 0..nv {
        for f in inc.facets_of(v) {
            facet_sets[f][v / 64] |= 1 << (v % 64);
        }
    }
    let mut all = vec![0u64; words];
    for v in 0..nv {
        all[v / 64] |= 1 << (v % 64);
    }
    let mut simplices = Vec::new();
    triangulate(&all, d, &facet_sets, &mut simplices, &mut Vec::new());
    let fact: f64 = (1..=d).map(|i| i as f64).product();
    simplices
        .iter()
        .map(|s| {
            let v0 = &verts[s[0] * d..(s[0] + 1) * d];
            let m: Vec<f64> = s[1..]
                .iter()
                .flat_map(|&v| verts[v * d..(v + 1) * d].iter().zip(v0).map(|(a, b)| a - b))
                .collect();
            abs_det(m, d)
        })
        .sum::<f64>()
        / fact
}

#[cfg(test)]
mod tests {
    use crate::regions::cells::{Cell, Map, Mode, VPolytope};

    #[test]
    fn boxes_and_cut_boxes() {
        let b = VPolytope::boxed(&[-1.0, 0.0, 2.0], &[1.0, 3.0, 2.5]).unwrap();
        assert!((b.volume() - 3.0).abs() < 1e-12);
        let (lo, hi) = b
            .split(
                &Map {
                    alpha: 0.0,
                    beta: &[1.0, 1.0, 0.0],
                    err: 0.0,
                },
                Mode::Exact,
            )
            .unwrap();
        let (lo, hi) = (lo.unwrap(), hi.unwrap());
        assert!((lo.volume() + hi.volume() - 3.0).abs() < 1e-12);
        // A corner simplex of the unit 4-cube: volume 1/24.
        let c = VPolytope::boxed(&[0.0; 4], &[1.0; 4]).unwrap();
        let (corner, _) = c
            .split(
                &Map {
                    alpha: -1.0,
                    beta: &[1.0; 4],
                    err: 0.0,
                },
                Mode::Tol(1e-12),
            )
            .unwrap();
        assert!((corner.unwrap().volume() - 1.0 / 24.0).abs() < 1e-12);
    }
}
