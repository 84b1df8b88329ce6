//! Window orders for the frontier DP: the frontier width of an order, and a good order.

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
