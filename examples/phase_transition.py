"""Phase transition of full-rank Jacobians (Karhadkar, Murray, Tseran, Montúfar 2023).

Protocol of the paper: data U[0,1]^{n×d}, PyTorch nn.Linear default initialization
(U(±1/√d) for weights and biases), 100 trials per cell, d ∈ {1, 2, 3, 5},
n ∈ {10, ..., 100}, width ∈ {30, ..., 300}. For each cell, P(full rank) of the
Jacobian of the network outputs with respect to the first-layer parameters in the
sampled activation region. Ranks are decided in float64 with NumPy's default
tolerance (or exactly with --exact); the figure titles say which.

Writes phase_transition.csv and phase_transition.png (in --out).
Run: python examples/phase_transition.py [--trials 100] [--dims 1 2 3 5] [--exact]
"""

from __future__ import annotations

import argparse
import os
import time

from regions import landscape


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[1, 2, 3, 5])
    ap.add_argument("--n", type=int, nargs="+", default=list(range(10, 101, 10)))
    ap.add_argument("--widths", type=int, nargs="+", default=list(range(30, 301, 30)))
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--scheme", default="init", choices=["init", "uniform", "nonempty"])
    ap.add_argument("--exact", action="store_true", help="exact ranks over Q instead of float64 SVD")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=".")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = []
    for d in args.dims:
        t = time.perf_counter()
        pd = landscape.phase_diagram(
            d, args.n, args.widths, args.trials, scheme=args.scheme, exact=args.exact, seed=args.seed, progress=False
        )
        print(
            f"d = {d}: {len(args.n) * len(args.widths) * args.trials:,} trials in {time.perf_counter() - t:.1f} s "
            f"({pd.rank_rule()}, scheme {args.scheme})"
        )
        results.append(pd)
    csv_path = os.path.join(args.out, "phase_transition.csv")
    with open(csv_path, "w") as f:
        for i, pd in enumerate(results):
            tmp = csv_path + ".part"
            pd.to_csv(tmp)
            lines = open(tmp).read().splitlines()
            os.remove(tmp)
            f.write("\n".join(lines if i == 0 else lines[1:]) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"wrote {csv_path} (install matplotlib for the heatmap)")
        return
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), squeeze=False)
    for ax, pd in zip(axes[0], results):
        pd.plot(ax=ax)
    fig.suptitle("P(full rank Jacobian), Karhadkar et al. protocol, data U[0,1], torch init", fontsize=11)
    fig.tight_layout()
    png = os.path.join(args.out, "phase_transition.png")
    fig.savefig(png, dpi=110)
    print(f"wrote {csv_path} and {png}")


if __name__ == "__main__":
    main()
