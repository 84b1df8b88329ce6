"""Benchmark: exact linear regions on 2D domains and slices.

Networks (so that anyone can rebuild them): one numpy.random.default_rng(0) per
network, layers in order, W = rng.standard_normal((out, in)) * sqrt(2 / in), then
b = rng.standard_normal(out) * 0.1, both rounded to float32; domain [-1, 1]^d;
hidden units cut the regions, the output unit does not.
(a) d = 2: widths 32-32-32, 64-64-64, 128-128-128, 256-256.
(b) the plane through three inputs (U[0,1]^784, default_rng(1)) of 784-128-128-10.
(c) full domains [-1, 1]^d: d = 3: 32-32-32, d = 4: 16-16-16, d = 6: 12-12-12, counted
(count_only=True, streaming) and enumerated (every region with vertices and maps).
Target: d = 3 under 0.25 s; every case completes. The issue's PyTorch edge-subdivision
reference took 1.2 s on d = 3 (not re-run here: torch is an optional extra).
regions: best of 3 runs. Baseline: a NumPy polygon-splitting implementation (Hanin & Rolnick style: per layer,
per polygon, cut by each unit's line), skipped once a case would exceed the budget.
Reference numbers from the issue (PyTorch edge subdivision on this 2-core CPU):
0.085 s, 0.42 s, 4.6 s and 19.5 s on (a). Target: at least 50x faster than NumPy.

Run: python benches/regions.py [--budget 120]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import regions  # noqa: E402
from _util import best_time, table  # noqa: E402  (first: puts the package ahead of this file)


def build(sizes):
    rng = np.random.default_rng(0)
    Ws, bs = [], []
    for a, b in zip(sizes[:-1], sizes[1:]):
        Ws.append((rng.standard_normal((b, a)) * np.sqrt(2 / a)).astype(np.float32).astype(np.float64))
        bs.append((rng.standard_normal(b) * 0.1).astype(np.float32).astype(np.float64))
    return regions.Network.from_arrays(Ws, bs)


def _split(poly, a, b):
    f = a + poly @ b
    tol = 1e-12 * (abs(a) + np.abs(b).sum() * np.abs(poly).max())
    if np.all(f <= tol):
        return [poly], []
    if np.all(f >= -tol):
        return [], [poly]
    neg, pos = [], []
    n = len(poly)
    for i in range(n):
        j = (i + 1) % n
        if f[i] <= tol:
            neg.append(poly[i])
        if f[i] >= -tol:
            pos.append(poly[i])
        if (f[i] < -tol and f[j] > tol) or (f[i] > tol and f[j] < -tol):
            t = f[i] / (f[i] - f[j])
            q = poly[i] + t * (poly[j] - poly[i])
            neg.append(q)
            pos.append(q)
    return ([np.array(neg)] if len(neg) >= 3 else []), ([np.array(pos)] if len(pos) >= 3 else [])


def numpy_polygon_splitting(net, origin, e1, e2, box, deadline):
    u0, u1, v0, v1 = box
    cells = [(np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]]), origin.copy(), np.stack([e1, e2], 1))]
    for layer in net.layers:
        W, b = layer.weights, layer.bias
        new = []
        for poly, za, zb in cells:
            ha, hb = W @ za + b, W @ zb
            parts = [(poly, np.zeros(len(ha), bool), np.zeros(len(ha), bool))]
            for i in range(len(ha)):
                nxt = []
                for P, _, _ in parts:
                    lo, hi = _split(P, ha[i], hb[i])
                    nxt.extend((q, None, None) for q in lo + hi)
                parts = nxt
                if time.perf_counter() > deadline:
                    return None
            for P, _, _ in parts:
                on = ha + hb @ P.mean(0) > 0
                new.append((P, np.where(on, ha, 0.0), np.where(on[:, None], hb, 0.0)))
        cells = new
    return len(cells)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=120.0)
    args = ap.parse_args()
    cases = [
        ("(a) d=2, 32-32-32", [2, 32, 32, 32, 1], None),
        ("(a) d=2, 64-64-64", [2, 64, 64, 64, 1], None),
        ("(a) d=2, 128-128-128", [2, 128, 128, 128, 1], None),
        ("(a) d=2, 256-256", [2, 256, 256, 1], None),
        ("(b) 784-128-128-10 slice", [784, 128, 128, 10], "slice"),
    ]
    rows = []
    skip_baseline = False
    for label, sizes, kind in cases:
        net = build(sizes)
        if kind == "slice":
            x0, x1, x2 = np.random.default_rng(1).uniform(0, 1, (3, 784))
            origin, e1, e2, box = x0, x1 - x0, x2 - x0, (0.0, 1.0, 0.0, 1.0)
        else:
            origin, e1, e2, box = np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0]), (-1.0, 1.0, -1.0, 1.0)
        dt, rs = best_time(lambda: net.regions_on_plane(origin, e1, e2, box), 3)
        base = "-"
        ratio = "-"
        if not skip_baseline or kind == "slice":
            t = time.perf_counter()
            cnt = numpy_polygon_splitting(net, origin, e1, e2, box, t + args.budget)
            tb = time.perf_counter() - t
            if cnt is None:
                base = f"> {args.budget:.0f} (stopped)"
                ratio = f"> {args.budget / dt:,.0f}x"
                skip_baseline = True
            else:
                base = f"{tb:.2f} ({cnt:,} regions)"
                ratio = f"{tb / dt:,.0f}x"
        rows.append([label, f"{rs.count:,}", f"{dt:.3f}", f"{rs.count / dt:,.0f}", base, ratio])
    print(
        table(["case", "regions", "regions time (s)", "regions / s", "NumPy polygon splitting (s)", "speed-up"], rows)
    )
    rows = []
    for label, sizes, ref in (
        ("(c) d=3, 32-32-32", [3, 32, 32, 32, 1], 1.2),
        ("(c) d=4, 16-16-16", [4, 16, 16, 16, 1], None),
        ("(c) d=6, 12-12-12", [6, 12, 12, 12, 1], None),
    ):
        net = build(sizes)
        d = sizes[0]
        reps = 3 if d < 6 else 1
        dt, n = best_time(lambda: net.regions(regions.Box.cube(d), count_only=True), reps)
        de, rs = best_time(lambda: net.regions(regions.Box.cube(d)), reps)
        assert rs.count == n
        rows.append(
            [
                label,
                f"{n:,}",
                f"{dt:.3f}",
                f"{n / dt:,.0f}",
                f"{de:.3f}",
                f"{n / de:,.0f}",
                "-" if ref is None else f"{ref / dt:.1f}x",
            ]
        )
    print()
    print(
        table(
            [
                "case",
                "regions",
                "count_only (s)",
                "regions / s",
                "enumerate (s)",
                "regions / s",
                "vs PyTorch reference (1.2 s)",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
