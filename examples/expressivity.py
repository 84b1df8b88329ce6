"""Expressivity sweep: exact numbers of linear regions of random ReLU networks in the
cube [-1, 1]^d against depth and width, beside sampled estimates and the known upper
bounds (Serra et al. 2018) for the whole input space.

For every (d, width, depth) and seed: the exact count in the cube (streaming,
count_only=True), the distinct patterns among uniform samples of the cube (a lower
bound), the exact local complexity (mean number of regions meeting a box of radius r
around uniform points), and the bound. Writes expressivity.csv and a plot.

Defaults run in about 20 s on 2 cores:
    python examples/expressivity.py
Full size (minutes to an hour):
    python examples/expressivity.py --dims 2 3 4 5 --widths 8 16 32 --depths 1 2 3 4 --seeds 10
"""

from __future__ import annotations

import argparse
import csv
import os
import time

import numpy as np
import regions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3, 4])
    ap.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--depths", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=200_000, help="samples for the sampled estimate")
    ap.add_argument("--radius", type=float, default=0.1, help="radius of the local-complexity boxes")
    ap.add_argument("--points", type=int, default=50, help="points for the local complexity")
    ap.add_argument("--out", default=".", help="output folder")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    t0 = time.perf_counter()
    for d in args.dims:
        for w in args.widths:
            for L in args.depths:
                counts, sampled, local = [], [], []
                for seed in range(args.seeds):
                    net = regions.Network.random([d] + [w] * L + [1], seed=seed)
                    counts.append(net.regions(regions.Box.cube(d), count_only=True))
                    sampled.append(net.count_patterns_sampled(-1, 1, args.samples, seed=seed))
                    X = np.random.default_rng(seed).uniform(-1, 1, (args.points, d))
                    local.append(float(net.local_regions(X, args.radius).mean()))
                bound = net.bounds()["serra_upper (Serra et al. 2018)"]
                rows.append(
                    {
                        "d": d,
                        "width": w,
                        "depth": L,
                        "exact_mean": float(np.mean(counts)),
                        "exact_min": min(counts),
                        "exact_max": max(counts),
                        "sampled_mean": float(np.mean(sampled)),
                        "local_mean": float(np.mean(local)),
                        "serra_upper": bound,
                    }
                )
                print(
                    f"d={d} width={w} depth={L}: exact {np.mean(counts):,.0f} (sampled {np.mean(sampled):,.0f}, "
                    f"local r={args.radius} {np.mean(local):.1f}), bound {bound:,}"
                )
    path = os.path.join(args.out, "expressivity.csv")
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    print(f"wrote {path} ({time.perf_counter() - t0:.1f} s); exact counts in [-1, 1]^d, bounds for all of R^d")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        print("matplotlib not installed: no plot")
        return
    fig, axes = plt.subplots(1, len(args.dims), figsize=(4.2 * len(args.dims), 3.4), squeeze=False)
    for ax, d in zip(axes[0], args.dims):
        for w in args.widths:
            sel = [r for r in rows if r["d"] == d and r["width"] == w]
            depths = [r["depth"] for r in sel]
            ax.plot(depths, [r["exact_mean"] for r in sel], "o-", label=f"width {w}, exact")
            ax.plot(
                depths,
                [r["sampled_mean"] for r in sel],
                "x:",
                color=ax.lines[-1].get_color(),
                label=f"width {w}, sampled",
            )
        ax.set_yscale("log")
        ax.set_xticks(args.depths)
        ax.set_xlabel("depth")
        ax.set_ylabel("linear regions in [-1, 1]^d")
        ax.set_title(f"d = {d}, mean of {args.seeds} He-initialized networks", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    png = os.path.join(args.out, "expressivity.png")
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
