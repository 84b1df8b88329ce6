//! Linear regions of max-pooling layers: vertices and faces of Minkowski sums of
//! simplices (docs/math.md section 5; Escobar, Gallardo, González-Anaya, González,
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
//!
//! Files: `order` (window orders), `frontier` (the DP), `one_d`, `two_d`,
//! `faces` (vertex lists, f-vectors).

mod faces;
mod frontier;
mod one_d;
mod order;
mod two_d;

pub use faces::{f_vector, is_vertex, minkowski_dim, vertices};
pub use frontier::{count_vertices, count_vertices_exact, Count};
pub use one_d::{count_vertices_1d, generating_function_1d, recurrence_1d, windows_1d};
pub use order::{auto_order, frontier_width};
pub use two_d::{count_vertices_2d, windows_2d};

use crate::error::{invalid, Result};

/// Largest frontier (and frontier ∪ window) the DP supports.
pub const MAX_FRONTIER: usize = 128;

/// Check a window family over inputs `0..n`: non-empty windows, indices in range,
/// no repeated index inside a window. Needs no memory in `n`.
pub fn validate(windows: &[Vec<usize>], n: usize) -> Result<()> {
    if windows.is_empty() {
        return Err(invalid(
            "windows",
            "need at least one window, got an empty family",
        ));
    }
    let mut sorted = Vec::new();
    for (j, w) in windows.iter().enumerate() {
        let name = format!("windows[{j}]");
        if w.is_empty() {
            return Err(invalid(&name, "window is empty"));
        }
        if let Some(&i) = w.iter().find(|&&i| i >= n) {
            let last = n.saturating_sub(1);
            return Err(invalid(
                &name,
                format!("index {i} is outside the {n} inputs 0..{last}"),
            ));
        }
        sorted.clear();
        sorted.extend_from_slice(w);
        sorted.sort_unstable();
        if let Some(p) = sorted.windows(2).find(|p| p[0] == p[1]) {
            return Err(invalid(
                &name,
                format!("duplicate index {} in window {w:?}", p[0]),
            ));
        }
    }
    Ok(())
}

/// A window family relabelled onto the inputs it uses: `windows` over `0..n` with
/// `n` the number of distinct inputs, and `labels[e]` the original index of input `e`
/// (increasing). Vertices, faces and dimensions do not depend on unused inputs, so the
/// algorithms run on this family and never allocate in the caller's `n` (which may be
/// 10^12 for two windows).
#[derive(Debug, Clone, PartialEq)]
pub struct Compact {
    pub windows: Vec<Vec<usize>>,
    pub n: usize,
    pub labels: Vec<usize>,
}

/// Validate `windows` over `0..n` and relabel it onto the inputs it uses.
pub fn compact(windows: &[Vec<usize>], n: usize) -> Result<Compact> {
    validate(windows, n)?;
    let mut labels: Vec<usize> = windows.iter().flatten().copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let windows = windows
        .iter()
        .map(|w| {
            w.iter()
                .map(|e| labels.binary_search(e).expect("every element is labelled"))
                .collect()
        })
        .collect();
    Ok(Compact {
        windows,
        n: labels.len(),
        labels,
    })
}
