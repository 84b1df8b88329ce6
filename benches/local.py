"""Benchmark: distance to the region boundary and boundary density (issue 11).

Workload, side by side in one run on the same number of threads: a 784-128-128-10 ReLU
network with He initialization and ``--n`` standard normal points. The library's
``distance_to_boundary`` and ``boundary_density`` (Rust: one forward pass per point
carrying the transposed input Jacobian, faer products) against NumPy computing only the
forward pass and the input Jacobian of every unit (batched ``matmul`` over chunks of
points, BLAS on the same threads), the baseline of the issue: the library's calls do that
work and the distances on top. The distances of both agree (checked).

Run: python benches/local.py [--n 10000] [--threads 2]
Target (issue 11): each call at most 3x the baseline's time.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
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
    print(f"784-128-128-10 ReLU (He), {args.threads} threads, best of {args.repeat}")
    print(table(["workload", "time", "baseline (forward + every unit's input Jacobian)", "time / baseline"], rows))


if __name__ == "__main__":
    main()
