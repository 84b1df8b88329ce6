//! Vertices and faces of `Σ_j Δ_{W_j}` by enumeration: the vertex test (an acyclic
//! "beats" graph), the list of vertices, the dimension and the f-vector.

use super::validate;
use crate::control::Control;
use crate::error::{check_budget, invalid, Error, Result};
use crate::unionfind::UnionFind;

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
/// incremental reachability check; errors once more than `limit` are found. The tuples
/// come flat, row-major (`V × m`, `m` windows).
///
/// Memory: the output grows by doubling, each time asked for with `try_reserve` after
/// a check that the new and old buffers and a margin of 64 MiB fit the
/// budget (available memory and address-space limit), and the search itself allocates
/// nothing (its graph and stack are sized up front): when memory runs out the call
/// raises `OutOfMemory`, never an abort (`vertices(windows_1d(200, 3), limit=10**9)`
/// under a 4 GB cap aborted when a small allocation failed after the output had
/// taken the rest).
pub fn vertices(
    windows: &[Vec<usize>],
    n: usize,
    limit: usize,
    ctrl: &Control,
) -> Result<Vec<usize>> {
    validate(windows, n)?;
    let m = windows.len();
    let mut out: Vec<usize> = Vec::new();
    // Each element's out-edges: at most (|window| - 1) per window holding it.
    let mut deg = vec![0usize; n];
    for w in windows {
        for &x in w {
            deg[x] += w.len() - 1;
        }
    }
    let mut adj: Vec<Vec<usize>> = deg.iter().map(|&d| Vec::with_capacity(d)).collect();
    let mut choice = vec![0usize; m];
    let mut seen = vec![false; n];
    // The reachability stack: every element is pushed at most once (and `from`).
    let mut stack: Vec<usize> = Vec::with_capacity(n + 1);
    // Iterative DFS over windows; `choice[j]` is the index tried within window j.
    let mut j = 0usize;
    let mut tried = vec![0usize; m];
    let mut steps = 0u64;
    let mut found = 0usize;
    loop {
        if j == m {
            if out.len() + m > out.capacity() {
                // Room for as many vertices again, asked for before it is used.
                let more = (out.len() / m.max(1)).max(64).saturating_mul(m.max(1));
                let bytes = (more as u64).saturating_mul(8);
                let what = format!("the vertices ({found} found so far, {m} winners each)");
                let old = (out.capacity() as u64).saturating_mul(8);
                check_budget(
                    bytes.saturating_add(2 * old).saturating_add(HEADROOM),
                    &what,
                )?;
                out.try_reserve_exact(more)
                    .map_err(|_| Error::OutOfMemory { what, bytes })?;
            }
            out.extend_from_slice(&choice);
            found += 1;
            if found > limit {
                return Err(Error::LimitExceeded {
                    name: "limit".into(),
                    limit: limit as u64,
                    message: "more vertices than the limit".into(),
                });
            }
            j -= 1;
            unchoose(&mut adj, &windows[j], choice[j]);
            continue;
        }
        if tried[j] == windows[j].len() {
            tried[j] = 0;
            if j == 0 {
                break;
            }
            j -= 1;
            unchoose(&mut adj, &windows[j], choice[j]);
            continue;
        }
        steps += 1;
        if steps % 1024 == 0 {
            ctrl.check()?;
        }
        let a = windows[j][tried[j]];
        tried[j] += 1;
        if windows[j]
            .iter()
            .any(|&x| x != a && reaches(&adj, x, a, &mut seen, &mut stack))
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

/// Bytes left free beside the vertices' buffer for everything else the process asks
/// for while the search runs (the interpreter, the pool's threads).
const HEADROOM: u64 = 64 << 20;

/// Whether `to` is reachable from `from` in the winner graph `adj` (`stack`: a buffer
/// of capacity at least the number of elements plus one, left empty).
fn reaches(
    adj: &[Vec<usize>],
    from: usize,
    to: usize,
    seen: &mut [bool],
    stack: &mut Vec<usize>,
) -> bool {
    seen.iter_mut().for_each(|s| *s = false);
    stack.clear();
    stack.push(from);
    while let Some(u) = stack.pop() {
        if u == to {
            stack.clear();
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

/// Undo choosing `a` as the winner of `window`: drop its edges to the window's others.
fn unchoose(adj: &mut [Vec<usize>], window: &[usize], a: usize) {
    for _ in window.iter().filter(|&&x| x != a) {
        adj[a].pop();
    }
}

/// Whether tie sets `ties[j] ⊆ windows[j]` (as bit masks over window positions) are
/// realizable: merge each tie set into one class; the strict relation "class of T_j
/// above class of x" for `x ∈ W_j \ T_j` must have no self-loop and no cycle.
fn ties_feasible(windows: &[Vec<usize>], n: usize, ties: &[u64]) -> bool {
    let mut classes = UnionFind::new(n);
    for (w, &t) in windows.iter().zip(ties) {
        let mut first = None;
        for (q, &e) in w.iter().enumerate() {
            if t >> q & 1 == 1 {
                match first {
                    None => first = Some(e),
                    Some(f) => {
                        classes.union(f, e);
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
        let ct = classes.find(top);
        for (q, &e) in w.iter().enumerate() {
            if t >> q & 1 == 0 {
                let ce = classes.find(e);
                if ce == ct {
                    return false;
                }
                adj[ct].push(ce);
                indeg[ce] += 1;
            }
        }
    }
    let roots: Vec<usize> = (0..n).filter(|&i| classes.is_root(i)).collect();
    kahn(&adj, &mut indeg, roots.iter().copied()) == roots.len()
}

/// Dimension of `Σ Δ_{S_j}`: `|∪ S_j|` minus the connected components of the hypergraph.
pub fn minkowski_dim(sets: &[Vec<usize>], n: usize) -> usize {
    let mut classes = UnionFind::new(n);
    let mut used = vec![false; n];
    for s in sets {
        for &e in s {
            used[e] = true;
            classes.union(s[0], e);
        }
    }
    let support = used.iter().filter(|&&u| u).count();
    let comps = (0..n).filter(|&i| used[i] && classes.is_root(i)).count();
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
    // Iterative backtracking (no recursion: the depth would be the number of
    // windows). `ties[j]` is the candidate tie set of window `j`, 0 = none tried yet.
    let mut j = 0usize;
    loop {
        if j == m {
            let sets: Vec<Vec<usize>> = windows
                .iter()
                .zip(&ties)
                .map(|(w, &t)| {
                    w.iter()
                        .enumerate()
                        .filter(|(q, _)| t >> q & 1 == 1)
                        .map(|(_, &e)| e)
                        .collect()
                })
                .collect();
            f[minkowski_dim(&sets, n)] += 1;
            total += 1;
            if total > max_faces {
                return Err(Error::LimitExceeded {
                    name: "max_faces".into(),
                    limit: max_faces as u64,
                    message: "more faces than the limit".into(),
                });
            }
            if total % 4096 == 0 {
                ctrl.check()?;
            }
            j -= 1;
            continue;
        }
        let lim = 1u64 << windows[j].len();
        let mut t = ties[j] + 1;
        while t < lim {
            ties[j] = t;
            if ties_feasible(&windows[..=j], n, &ties[..=j]) {
                break;
            }
            t += 1;
        }
        if t < lim {
            j += 1;
            if j < m {
                ties[j] = 0;
            }
        } else {
            ties[j] = 0;
            if j == 0 {
                break;
            }
            j -= 1;
        }
    }
    Ok(f)
}
