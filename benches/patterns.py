"""Benchmark: activation patterns and distinct-pattern counts on 10^6 points.

regions vs (a) the bare NumPy products of the same layers (bias and ReLU in place,
no pattern work: the floor), (b) the best NumPy pipeline (products, np.packbits,
np.unique over a void view), (c) the plain np.unique(patterns, axis=0), and PyTorch
(same pipeline as (b) with torch.unique) when torch is installed. Same thread count
for all (NumPy's BLAS and regions both use every core). Also: peak memory of
count_patterns_sampled with 10^8 samples for d = 2, in a fresh process.

Run: python benches/patterns.py [--n 1000000] [--samples 100000000]
Targets (issue 2): regions within 1.25x of (a), >= 1.5x faster than (b), >= 10x
faster than (c); sampled 10^8 under 1 GB peak.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _util  # noqa: E402,F401  (first: puts the package ahead of benches/regions.py)
import regions  # noqa: E402
from _util import best_time, table  # noqa: E402


def numpy_floor(layers, X):
    z = X
    for W, b in layers:
        z = z @ W.T
        z += b
        np.maximum(z, 0, out=z)
    return z


def numpy_patterns(layers, X):
    z, pats = X, []
    for W, b in layers:
        z = z @ W.T
        z += b
        pats.append(z > 0)
        np.maximum(z, 0, out=z)
    return np.concatenate(pats, axis=1)


def numpy_best(layers, X):
    """Products, packbits per layer, unique over a void view of the packed rows."""
    z, packed = X, []
    for W, b in layers:
        z = z @ W.T
        z += b
        packed.append(np.packbits(z > 0, axis=1))
        np.maximum(z, 0, out=z)
    p = np.ascontiguousarray(np.concatenate(packed, axis=1))
    v = p.view(np.dtype((np.void, p.shape[1])))
    return len(np.unique(v))


def numpy_plain(layers, X):
    return len(np.unique(numpy_patterns(layers, X), axis=0))


def torch_best(layers, X):
    import torch

    z = torch.from_numpy(X)
    pats = []
    for W, b in layers:
        z = torch.relu_(z @ torch.from_numpy(W).T + torch.from_numpy(b))
        pats.append(z > 0)
    return int(torch.unique(torch.cat(pats, 1), dim=0).shape[0])


def sampled_peak_memory(n_samples: int) -> tuple[float, int, float]:
    """Peak RSS of a fresh process (VmHWM: ru_maxrss would inherit the parent's peak
    across exec on Linux)."""
    code = (
        "import time, regions\n"
        "net = regions.Network.random([2, 64, 64, 64, 1], seed=0)\n"
        f"t = time.perf_counter(); c = net.count_patterns_sampled(-1, 1, {n_samples}, seed=0)\n"
        "dt = time.perf_counter() - t\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(int(hwm) / 1024, c, dt)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), float(out[2])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=100_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-plain", action="store_true", help="skip the slow np.unique(axis=0) baseline")
    args = ap.parse_args()
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    threads = regions.get_num_threads()
    print(f"N = {args.n:,} points, widths 64-64-64, ReLU, {threads} threads (NumPy BLAS uses all cores too)\n")
    rows = []
    for d in (2, 32):
        net = regions.Network.random([d, 64, 64, 64, 1], seed=0)
        layers = [(l.weights, l.bias) for l in net.layers]
        X = np.random.default_rng(0).uniform(-1, 1, (args.n, d))
        t_reg, count = best_time(lambda: net.count_patterns(X), args.repeat)
        t_pack, _ = best_time(lambda: net.activation_patterns(X, packed=True), args.repeat)
        t_a, _ = best_time(lambda: numpy_floor(layers, X), args.repeat)
        t_b, cb = best_time(lambda: numpy_best(layers, X), args.repeat)
        assert cb == count, (cb, count)
        row = [
            d,
            f"{count:,}",
            f"{t_reg:.3f}",
            f"{t_pack:.3f}",
            f"{t_a:.3f}",
            f"{t_reg / t_a:.2f}x",
            f"{t_b:.3f}",
            f"{t_b / t_reg:.1f}x",
        ]
        if args.skip_plain:
            row += ["-", "-"]
        else:
            t_c, cc = best_time(lambda: numpy_plain(layers, X), 1)
            assert cc == count
            row += [f"{t_c:.3f}", f"{t_c / t_reg:.1f}x"]
        if have_torch:
            t_t, ct = best_time(lambda: torch_best(layers, X), 1)
            assert ct == count
            row += [f"{t_t:.3f}", f"{t_t / t_reg:.1f}x"]
        rows.append(row)
    header = [
        "d",
        "distinct",
        "regions count (s)",
        "regions packed (s)",
        "(a) NumPy floor (s)",
        "regions/(a) (target <= 1.25x)",
        "(b) NumPy best (s)",
        "(b)/regions (target >= 1.5x)",
        "(c) np.unique (s)",
        "(c)/regions (target >= 10x)",
    ]
    if have_torch:
        header += ["torch (s)", "torch/regions"]
    print(table(header, rows))
    mem, c, dt = sampled_peak_memory(args.samples)
    print(
        f"\ncount_patterns_sampled, d = 2, {args.samples:,} samples: {c:,} distinct patterns in {dt:.2f} s, "
        f"peak RSS {mem:.0f} MB (target < 1024 MB)"
    )


if __name__ == "__main__":
    main()
