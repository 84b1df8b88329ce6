"""Benchmark: exact vertex counts of max-pooling layers.

regions vs the two ways it is done today, each pushed to the largest size it
finishes within the budget (default 60 s per method and family):
- brute force: enumerate every winner tuple, test acyclicity (topological sort);
- SciPy: build the Minkowski sum window by window, keeping only its extreme points
  (one linprog per point), as one would with an LP or convex-hull tool. (qhull was
  tried and rejected: in 7+ dimensions it reports boundary points as vertices.)
Targets (issue 5): 1D n = 10^5, k = 3, stride 1 under 1 s; 2D 2x2 windows stride 1
on 8x8 under 1 s and on 10x10 under 60 s; 3x3 windows stride 1 on 6x6 under 10 s.

Run: python benches/maxpool.py [--budget 60] [--skip-10x10]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _util  # noqa: E402,F401  (first: puts the package ahead of benches/regions.py)
from _util import table  # noqa: E402
from regions import maxpool  # noqa: E402


def brute_force(windows, n):
    count = 0
    for t in itertools.product(*windows):
        adj = [[] for _ in range(n)]
        indeg = [0] * n
        for w, a in zip(windows, t):
            for x in w:
                if x != a:
                    adj[a].append(x)
                    indeg[x] += 1
        stack = [i for i in range(n) if indeg[i] == 0]
        seen = 0
        while stack:
            u = stack.pop()
            seen += 1
            for v in adj[u]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    stack.append(v)
        count += seen == n
    return count


def extreme_points(points):
    """The points that are not convex combinations of the others (one HiGHS LP per
    point). qhull was tried first and rejected: in 7+ dimensions its rounding reports
    points on facets as vertices (e.g. 202 instead of 182 for n = 8, k = 3)."""
    from scipy.optimize import linprog

    pts = np.unique(points, axis=0)
    if len(pts) <= 2:
        return pts
    keep = []
    for i, p in enumerate(pts):
        others = np.delete(pts, i, axis=0)
        res = linprog(
            np.zeros(len(others)),
            A_eq=np.vstack([others.T, np.ones(len(others))]),
            b_eq=np.append(p, 1.0),
            bounds=(0, None),
            method="highs",
        )
        if res.status != 0:  # infeasible: p is a vertex
            keep.append(i)
    return pts[keep]


def scipy_lp(windows, n):
    """Minkowski sum built window by window, pruned to its extreme points by LPs."""
    eye = np.eye(n, dtype=np.int64)
    verts = np.zeros((1, n), dtype=np.int64)
    for w in windows:
        verts = np.unique((verts[:, None, :] + eye[list(w)][None, :, :]).reshape(-1, n), axis=0)
        verts = extreme_points(verts)
    return len(verts)


FAMILIES = {
    "1D k=3 s=1 (n)": (lambda n: maxpool.windows_1d(n, 3, 1), lambda n: n, range(4, 200)),
    "2D 2x2 s=1 (grid side)": (lambda a: maxpool.windows_2d((a, a), (2, 2), 1), lambda a: a * a, range(2, 20)),
}


def _child(method, ws, n, conn):
    t = time.perf_counter()
    v = method(ws, n)
    conn.send((time.perf_counter() - t, v))


def timed_run(method, ws, n, budget):
    """Run in a child process, killed after `budget` seconds: (time, value) or None."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(method, ws, n, send))
    proc.start()
    out = recv.recv() if recv.poll(budget) else None
    proc.kill()
    proc.join()
    return out


def largest(method, make, n_of, sizes, budget):
    """The largest size whose run finishes within `budget` seconds (sizes in
    increasing order; stops at the first size that does not finish)."""
    best = None
    for size in sizes:
        ws = [list(map(int, w)) for w in make(size)]
        res = timed_run(method, ws, n_of(size), budget)
        if res is None:
            break
        best = (size, res[0], res[1])
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--skip-10x10", action="store_true")
    args = ap.parse_args()
    rows = []
    for fam, (make, n_of, sizes) in FAMILIES.items():
        for name, method in [("brute force", brute_force), ("SciPy LP", scipy_lp)]:
            res = largest(method, make, n_of, sizes, args.budget)
            if res is None:
                rows.append([fam, name, "-", "-", "-", "-"])
                continue
            size, dt, v = res
            t = time.perf_counter()
            ours = maxpool.count_vertices([list(map(int, w)) for w in make(size)], n_of(size))
            t_ours = time.perf_counter() - t
            assert ours == v, (fam, name, size, ours, v)
            rows.append([fam, name, size, f"{dt:.2f}", f"{t_ours:.4f}", f"{dt / max(t_ours, 1e-6):,.0f}x"])
    print(f"Largest size each baseline finishes (budget {args.budget:.0f} s); regions on the same size\n")
    print(table(["family", "baseline", "largest size", "baseline (s)", "regions (s)", "ratio"], rows))
    targets = [
        ("1D n=10^5, k=3, s=1", lambda: maxpool.count_vertices_1d(100_000, 3, 1), 1.0),
        ("1D n=10^6, k=3, s=1", lambda: maxpool.count_vertices_1d(1_000_000, 3, 1), None),
        ("2D 8x8, 2x2, s=1", lambda: maxpool.count_vertices_2d((8, 8), (2, 2), 1), 1.0),
        ("2D 6x6, 3x3, s=1", lambda: maxpool.count_vertices_2d((6, 6), (3, 3), 1), 10.0),
    ]
    if not args.skip_10x10:
        targets.append(("2D 10x10, 2x2, s=1", lambda: maxpool.count_vertices_2d((10, 10), (2, 2), 1), 60.0))
    trows = []
    for label, fn, target in targets:
        t = time.perf_counter()
        v = fn()
        dt = time.perf_counter() - t
        digits = int(v.bit_length() * 0.30103) + 1
        ok = "-" if target is None else ("yes" if dt < target else "NO")
        trows.append([label, f"~{digits:,} digits", f"{dt:.3f}", "-" if target is None else f"< {target:g}", ok])
    print("\nregions on the target sizes\n")
    print(table(["case", "count", "time (s)", "target (s)", "met"], trows))


if __name__ == "__main__":
    main()
