"""Benchmark: distance to the region boundary and boundary density (issue 11).

Workload, side by side in one run on the same number of threads: a 784-128-128-10 ReLU
network with He initialization and ``--n`` standard normal points. The library's
``distance_to_boundary`` and ``boundary_density`` (Rust: one forward pass per point
carrying the transposed input Jacobian, faer products) against NumPy computing only the
forward pass and the input Jacobian of every unit (batched ``matmul`` over chunks of
points, BLAS on the same threads), the baseline of the issue: the library's calls do that
work and the distances on top. The distances of both agree (checked).

With ``--counts N``: also exact local region counts (``local_regions``, the halfspace
walk) of N points of a 784-64-64-10 ReLU network (He) at ``--radius``, against an
independent SciPy oracle that splits cells with max-slack LPs (HiGHS), timed on the
first ``--oracle-points`` points (counts checked equal).

Run: python benches/local.py [--n 10000] [--threads 2] [--counts 100 --radius 0.002]
Target (issue 11): each call at most 3x the baseline's time; counts of 100 points in
under 60 s and at least 20x faster than the oracle.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _util  # noqa: E402,F401  (first: puts the package ahead of benches/regions.py)
import regions  # noqa: E402
from _util import best_time, table  # noqa: E402


def numpy_jacobians(net: regions.Network, X: np.ndarray, chunk: int = 128) -> np.ndarray:
    """Forward pass and the input Jacobian of every unit in NumPy; returns the distance
    to the boundary (min |z_i| / ‖∇z_i‖) so that both sides are checked equal."""
    (l1, l2), out = net.layers, None
    W1, b1, W2, b2 = l1.weights, l1.bias, l2.weights, l2.bias
    g1 = np.linalg.norm(W1, axis=1)
    dist = np.empty(len(X))
    for s in range(0, len(X), chunk):
        x = X[s : s + chunk]
        h1 = x @ W1.T + b1
        d1 = (h1 > 0).astype(np.float64)
        h2 = (h1 * d1) @ W2.T + b2
        J2 = np.matmul(W2[None] * d1[:, None, :], W1)  # (chunk, 128, 784): every unit's gradient
        g2 = np.linalg.norm(J2, axis=2)
        with np.errstate(divide="ignore"):
            dist[s : s + chunk] = np.minimum(np.min(np.abs(h1) / g1, axis=1), np.min(np.abs(h2) / g2, axis=1))
        out = h2
    assert out is not None
    return dist


def _lp_interior(A: np.ndarray, c: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether ``{y in [lo, hi] : A y + c > 0}`` has interior: the max-slack LP (HiGHS)."""
    from scipy.optimize import linprog

    norms = np.linalg.norm(A, axis=1)
    res = linprog(
        np.r_[np.zeros(A.shape[1]), -1.0],
        A_ub=np.hstack([-A, norms[:, None]]),
        b_ub=c,
        bounds=list(zip(lo, hi)) + [(None, 1.0)],
        method="highs",
    )
    return res.status == 0 and -res.fun > 1e-9


def oracle_local_count(net: regions.Network, x: np.ndarray, r: float) -> int:
    """Regions of a ReLU MLP meeting the box ``[x - r, x + r]`` by cell splitting: layer
    by layer, each unit's affine map on the cell (input coordinates), a box interval
    test, then a max-slack LP for each side (SciPy)."""
    lo, hi = x - r, x + r
    layers = [(layer.weights, layer.bias) for layer in net.layers]

    def walk(depth: int, A: np.ndarray, c: np.ndarray, G: np.ndarray, g0: np.ndarray) -> int:
        # G, g0: the layer input as an affine map of y (rows: units of the previous layer).
        if depth == len(layers):
            return 1
        W, b = layers[depth]
        H, h0 = W @ G, W @ g0 + b
        cells = [(A, c, np.zeros(len(b), bool))]
        for i in range(len(b)):
            centre = H[i] @ x + h0[i]
            spread = np.abs(H[i]).sum() * r
            nxt = []
            for A_, c_, on in cells:
                sides = []
                if centre - spread < 0 < centre + spread:
                    for s in (-1.0, 1.0):
                        if _lp_interior(np.vstack([A_, s * H[i]]), np.r_[c_, s * h0[i]], lo, hi):
                            sides.append(s)
                else:
                    sides = [1.0 if centre > 0 else -1.0]
                for s in sides:
                    on2 = on.copy()
                    on2[i] = s > 0
                    nxt.append((np.vstack([A_, s * H[i]]) if len(sides) == 2 else A_,
                                np.r_[c_, s * h0[i]] if len(sides) == 2 else c_, on2))  # fmt: skip
            cells = nxt
        return sum(walk(depth + 1, A_, c_, H * on[:, None], h0 * on) for A_, c_, on in cells)

    d = len(x)
    return walk(0, np.zeros((0, d)), np.zeros(0), np.eye(d), np.zeros(d))


def counts_rows(args: argparse.Namespace) -> list[list[str]]:
    """Exact local counts of ``args.counts`` points against the SciPy oracle."""
    import time

    net = regions.Network.random([784, 64, 64, 10], seed=0, init="he")
    X = np.random.default_rng(1).standard_normal((args.counts, 784))
    t = time.perf_counter()
    counts = net.local_regions(X, args.radius, n_threads=args.threads)
    t_lib = time.perf_counter() - t
    k = args.oracle_points
    t = time.perf_counter()
    want = [oracle_local_count(net, x, args.radius) for x in X[:k]]
    t_or = time.perf_counter() - t
    assert list(counts[:k]) == want, (list(counts[:k]), want)
    t_lib_k, _ = best_time(lambda: net.local_regions(X[:k], args.radius, n_threads=args.threads), 1)
    return [
        [f"local_regions, 784-64-64-10 (He), {len(X)} points, r = {args.radius:g}: "
         f"{int(counts.sum()):,} regions (median {int(np.median(counts))}, max {int(counts.max())})",
         f"{t_lib:.1f} s", f"SciPy LP oracle {t_or / k:.2f} s/point (first {k} points: {sum(want)} regions)", f"{t_lib_k / t_or:.3f}"],
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--counts", type=int, default=0, help="also exact local counts of this many points")
    ap.add_argument("--radius", type=float, default=0.002)
    ap.add_argument("--oracle-points", type=int, default=2)
    args = ap.parse_args()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:  # the machine's BLAS default (all cores)
        pass
    net = regions.Network.random([784, 128, 128, 10], seed=0, init="he")
    X = np.random.default_rng(0).standard_normal((args.n, 784))
    t_np, want = best_time(lambda: numpy_jacobians(net, X), args.repeat)
    t_d, got = best_time(lambda: net.distance_to_boundary(X, n_threads=args.threads), args.repeat)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    r = float(np.median(got))
    t_b, dens = best_time(lambda: net.boundary_density(X, r, n_threads=args.threads), args.repeat)
    rows = [
        [f"distance_to_boundary, {args.n:,} points", f"{t_d * 1e3:.0f} ms", f"NumPy {t_np * 1e3:.0f} ms",
         f"{t_d / t_np:.2f}"],
        [f"boundary_density (r = median distance {r:.3g}), mean {dens.mean():.3g}", f"{t_b * 1e3:.0f} ms",
         f"NumPy {t_np * 1e3:.0f} ms", f"{t_b / t_np:.2f}"],
    ]  # fmt: skip
    if args.counts:
        rows += counts_rows(args)
    print(f"784-128-128-10 ReLU (He), {args.threads} threads, best of {args.repeat}")
    print(table(["workload", "time", "baseline (forward + every unit's input Jacobian)", "time / baseline"], rows))


if __name__ == "__main__":
    main()
