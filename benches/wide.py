"""Benchmark: a wide first layer and the regions of all of R^d (issue 30 items 6 and 9).

Side by side in one run:
- ``lines``: ``Network.random([2, n, 1])`` counted in [-1, 1]^2 (``count_only=True``:
  the lines' distinct crossings, exact) against the strongest baseline written for it, a
  NumPy implementation of the same formula vectorized per line (float64, distinct
  crossings by ``np.unique`` of rounded parameters: not exact), and against the region
  walk at a width where it finishes (``--walk-n``);
- ``space``: ``net.regions(regions.Space(d), count_only=True)`` (exact, all of R^d) against
  counting a large box (``Box.cube(d, -1e4, 1e4)``), the naive stand-in that is not
  guaranteed to find every region.

Run: python benches/wide.py [--n 20000] [--walk-n 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _util  # noqa: E402  (first: puts the package ahead of benches/regions.py)
import numpy as np  # noqa: E402
import regions  # noqa: E402
from regions import Box, Space  # noqa: E402

best = _util.best_time


def numpy_lines(W, b, lo=-1.0, hi=1.0):
    """1 + sum_j (1 + D_j), crossings of line j with earlier lines inside the box,
    vectorized per line; duplicates and distinct points by float comparisons."""
    corners = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]])
    v = corners @ W.T + b
    keep = (v.max(0) > 0) & (v.min(0) < 0)
    A, c = W[keep], b[keep]
    total = 1
    for j in range(len(c)):
        total += 1
        if j == 0:
            continue
        a1, b1, c1 = A[j, 0], A[j, 1], c[j]
        P, Q, R = A[:j, 0], A[:j, 1], c[:j]
        D = a1 * Q - b1 * P
        with np.errstate(all="ignore"):
            x = (b1 * R - c1 * Q) / D
            y = (c1 * P - a1 * R) / D
        ins = (x > lo) & (x < hi) & (y > lo) & (y < hi)
        t = -b1 * x[ins] + a1 * y[ins]
        total += int(np.unique(np.round(t, 12)).size)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000, help="width of the first layer")
    ap.add_argument("--walk-n", type=int, default=1000, help="width at which the walk is also timed")
    ap.add_argument("--numpy-n", type=int, default=5000, help="width at which the NumPy formula is timed")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for n in sorted({args.walk_n, args.numpy_n, args.n}):
        net = regions.Network.random([2, n, 1], seed=0)
        t, c = best(lambda: net.regions(Box.cube(2), count_only=True), args.repeat)
        W, b = np.asarray(net.layers[0].weights), np.asarray(net.layers[0].bias)
        tn = cn = tw = None
        if n <= args.numpy_n:
            tn, cn = best(lambda: numpy_lines(W, b), 1)
        if n <= args.walk_n:
            tw, cw = best(lambda: net.regions_on_plane([0, 0], [1, 0], [0, 1], (-1, 1, -1, 1), count_only=True), 1)
            assert cw == c, (cw, c)
        rows.append((f"lines 2-{n}-1", c, t, tn, cn, tw))
    print("| case | regions | regions (exact) | NumPy formula (float) | ratio | region walk |")
    print("|---|---|---|---|---|---|")
    for name, c, t, tn, cn, tw in rows:
        numpy = "-" if tn is None else f"{tn:.3f} s ({cn:,})"
        ratio = "-" if tn is None else f"{t / tn:.3f}"
        walk = "-" if tw is None else f"{tw:.2f} s"
        print(f"| {name} | {c:,} | {t:.3f} s | {numpy} | {ratio} | {walk} |")
    print()
    print("| case | regions of R^d (exact) | time | box [-1e4, 1e4]^d count | time | ratio |")
    print("|---|---|---|---|---|---|")
    for sizes in ([2, 32, 32, 32, 1], [2, 64, 64, 1], [3, 16, 16, 1], [4, 10, 10, 1]):
        net = regions.Network.random(sizes, seed=0)
        d = sizes[0]
        t, c = best(lambda: net.regions(Space(d), count_only=True), args.repeat)
        tb, cb = best(lambda: net.regions(Box.cube(d, -1e4, 1e4), count_only=True), args.repeat)
        name = "-".join(map(str, sizes))
        print(f"| {name} | {c:,} | {t:.3f} s | {cb:,} | {tb:.3f} s | {t / tb:.2f} |")


if __name__ == "__main__":
    main()
