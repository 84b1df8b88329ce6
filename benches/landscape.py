"""Benchmark: the Karhadkar et al. phase diagram and the batch functional dimension.

(1) The d = 2 grid of the protocol: data U[0,1]^{n×d}, nn.Linear's default
initialization U(±1/√d), n ∈ {10, ..., 100}, width ∈ {30, ..., 300}, 100 trials per
cell. regions (float64, NumPy's default rank tolerance; and exact ranks) vs a NumPy
reference of the same protocol (Khatri-Rao Jacobian, numpy.linalg.matrix_rank), and
vs PyTorch (jacrev of the network outputs + torch.linalg.matrix_rank) when torch is
installed. P(full rank) must agree cell by cell within sampling error (different
random draws): the table reports the largest |difference| / standard error.
Target (issue 4): regions at least 20x faster than the NumPy reference.

(2) functional_dimension of a 784-30-30-30-10 ReLU network on 600 inputs: regions vs
numpy.linalg.matrix_rank of the same Jacobian built in NumPy; the ratio is reported,
with and without the margin σ_min/σ_max (which needs the singular values).

Run: python benches/landscape.py [--trials 100] [--skip-deep]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _util  # noqa: E402,F401  (first: puts the package ahead of benches/regions.py)
import regions  # noqa: E402
from _util import table  # noqa: E402
from regions import landscape as L  # noqa: E402

N_VALUES = list(range(10, 101, 10))
WIDTHS = list(range(30, 301, 30))


def numpy_phase_diagram(d, trials, seed=0):
    rng = np.random.default_rng(seed)
    full = np.zeros((len(N_VALUES), len(WIDTHS)))
    for a, n in enumerate(N_VALUES):
        for c, m in enumerate(WIDTHS):
            for _ in range(trials):
                X = rng.uniform(0, 1, (n, d))
                bound = 1 / np.sqrt(d)
                W = rng.uniform(-bound, bound, (m, d))
                b = rng.uniform(-bound, bound, m)
                A = (W @ X.T + b[:, None]) > 0
                Xt = np.hstack([X, np.ones((n, 1))])
                J = (A.T[:, :, None] * Xt[:, None, :]).reshape(n, m * (d + 1))
                full[a, c] += np.linalg.matrix_rank(J) == n
    return full / trials


def torch_phase_diagram(d, trials, seed=0):
    import torch
    from torch.func import functional_call, jacrev

    torch.manual_seed(seed)
    full = np.zeros((len(N_VALUES), len(WIDTHS)))
    for a, n in enumerate(N_VALUES):
        for c, m in enumerate(WIDTHS):
            for _ in range(trials):
                X = torch.rand(n, d, dtype=torch.float64)
                net = torch.nn.Sequential(torch.nn.Linear(d, m), torch.nn.ReLU(), torch.nn.Linear(m, 1)).double()
                params = {k: v.detach() for k, v in net.named_parameters() if k.startswith("0.")}
                jac = jacrev(lambda p: functional_call(net, p, (X,)).squeeze(-1))(params)
                J = torch.cat([jac["0.weight"].reshape(n, -1), jac["0.bias"]], dim=1)
                full[a, c] += int(torch.linalg.matrix_rank(J)) == n
    return full / trials


def agreement(p1, p2, trials):
    p = (p1 + p2) / 2
    se = np.sqrt(np.maximum(p * (1 - p), 0.25 / trials) * 2 / trials)
    return float(np.max(np.abs(p1 - p2) / se))


def numpy_parameter_jacobian(net, X):
    """Backpropagation in NumPy, same layout as Network.parameter_jacobian."""
    Ws = [l.weights for l in net.layers] + [net._out_w]
    bs = [l.bias for l in net.layers] + [net._out_b]
    zs, masks = [X], []
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = zs[-1] @ W.T + b
        masks.append(h > 0)
        zs.append(np.maximum(h, 0))
    k, n_out = X.shape[0], Ws[-1].shape[0]
    blocks = []
    for o in range(n_out):
        g = np.repeat(Ws[-1][o][None], k, axis=0)
        per_layer = [None] * len(Ws)
        out_w = np.zeros((k,) + Ws[-1].shape)
        out_w[:, o, :] = zs[-1]
        out_b = np.zeros((k, n_out))
        out_b[:, o] = 1
        per_layer[-1] = np.hstack([out_w.reshape(k, -1), out_b])
        for l in range(len(Ws) - 2, -1, -1):
            delta = g * masks[l]
            per_layer[l] = np.hstack([(delta[:, :, None] * zs[l][:, None, :]).reshape(k, -1), delta])
            g = delta @ Ws[l]
        blocks.append(np.hstack(per_layer))
    return np.stack(blocks, axis=1).reshape(k * n_out, -1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--skip-deep", action="store_true")
    args = ap.parse_args()
    T = args.trials
    print(
        f"d = 2 grid: n in {N_VALUES[0]}..{N_VALUES[-1]}, width in {WIDTHS[0]}..{WIDTHS[-1]}, {T} trials per cell "
        f"({len(N_VALUES) * len(WIDTHS) * T:,} ranks), {regions.get_num_threads()} threads\n"
    )
    t = time.perf_counter()
    ours = L.phase_diagram(2, N_VALUES, WIDTHS, T, seed=0)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    ours_exact = L.phase_diagram(2, N_VALUES, WIDTHS, T, seed=0, exact=True)
    t_exact = time.perf_counter() - t
    t = time.perf_counter()
    ref = numpy_phase_diagram(2, T)
    t_np = time.perf_counter() - t
    rows = [
        [
            "regions (float64, NumPy's tolerance)",
            f"{t_ours:.2f}",
            f"{t_np / t_ours:.1f}x",
            "-",
            f"{agreement(ours.p_full, ref, T):.2f}",
        ],
        [
            "regions (exact rank, exact=True)",
            f"{t_exact:.2f}",
            f"{t_np / t_exact:.1f}x",
            f"{int(np.sum(ours_exact.p_full != ours.p_full))} cells differ",
            f"{agreement(ours_exact.p_full, ref, T):.2f}",
        ],
        ["NumPy reference", f"{t_np:.2f}", "1.0x", "-", "0"],
    ]
    try:
        import torch  # noqa: F401

        tt = max(1, T // 10)
        t = time.perf_counter()
        tp = torch_phase_diagram(2, tt)
        t_t = (time.perf_counter() - t) * T / tt
        rows.append(
            [
                f"PyTorch jacrev (extrapolated from {tt} trials)",
                f"{t_t:.2f}",
                f"{t_np / t_t:.1f}x",
                "-",
                f"{agreement(tp, ref, tt):.2f}",
            ]
        )
    except ImportError:
        rows.append(["PyTorch jacrev", "not installed", "-", "-", "-"])
    print(table(["method", "time (s)", "NumPy time / time", "vs float rule", "max |dP| / s.e. vs NumPy"], rows))
    print("\nP(full rank), regions float64 (rows n, columns width):")
    print(np.array2string(ours.p_full, precision=2, max_line_width=200))
    if args.skip_deep:
        return
    net = regions.Network.random([784, 30, 30, 30, 10], init="torch", seed=0)
    X = np.random.default_rng(0).uniform(0, 1, (600, 784))
    t = time.perf_counter()
    fd = net.functional_dimension(X)
    t_fd = time.perf_counter() - t
    t = time.perf_counter()
    fd_m = net.functional_dimension(X, return_margin=True)
    t_fd_m = time.perf_counter() - t
    t = time.perf_counter()
    J = numpy_parameter_jacobian(net, X)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    r_np = np.linalg.matrix_rank(J)
    t_rank = time.perf_counter() - t
    t_np = t_build + t_rank
    print(f"\nfunctional dimension, 784-30-30-30-10 on 600 inputs (J is {J.shape[0]} x {J.shape[1]}):")
    print(
        table(
            ["method", "rank", "time (s)", "NumPy time / time"],
            [
                ["regions functional_dimension (QR + certificate)", fd.rank, f"{t_fd:.2f}", f"{t_np / t_fd:.1f}x"],
                [
                    f"regions, return_margin=True (QR + SVD of R; margin {fd_m.margin:.2e})",
                    fd_m.rank,
                    f"{t_fd_m:.2f}",
                    f"{t_np / t_fd_m:.1f}x",
                ],
                ["NumPy build + matrix_rank", r_np, f"{t_np:.2f} ({t_build:.2f} + {t_rank:.2f})", "1.0x"],
            ],
        )
    )
    print(f"bound n_params - n_hidden = {fd.bound}")


if __name__ == "__main__":
    main()
