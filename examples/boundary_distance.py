"""Distance to the region boundary and boundary density at initialization, against width
and depth (Hanin & Rolnick 2019 report that the mean distance from a point to the
boundary of its region scales like 1 / (number of units)).

For every (width, depth) and seed: a ReLU network with He initialization on inputs of
dimension ``--dim``, the distance from ``--points`` standard normal points to the
boundary of their activation regions (``Network.distance_to_boundary``) and the boundary
density at a fixed radius (``Network.boundary_density``). Prints a table, fits the
exponent of mean distance against the number of units, and writes
``boundary_distance.csv`` and ``boundary_distance.png``.

Defaults run in a few seconds on 2 cores:
    python examples/boundary_distance.py
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
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    ap.add_argument("--depths", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--radius", type=float, default=0.01, help="radius of the boundary density")
    ap.add_argument("--out", default=".", help="output folder")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    t0 = time.perf_counter()
    for L in args.depths:
        for w in args.widths:
            dist, dens = [], []
            for seed in range(args.seeds):
                net = regions.Network.random([args.dim] + [w] * L + [1], seed=seed, init="he")
                X = np.random.default_rng(1000 + seed).standard_normal((args.points, args.dim))
                dist.append(float(net.distance_to_boundary(X).mean()))
                dens.append(float(net.boundary_density(X, args.radius).mean()))
            rows.append(
                {"depth": L, "width": w, "units": w * L, "mean_distance": float(np.mean(dist)),
                 "boundary_density": float(np.mean(dens))}
            )  # fmt: skip
    elapsed = time.perf_counter() - t0
    with open(os.path.join(args.out, "boundary_distance.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    density = f"density (r={args.radius:g})"
    print(f"{'depth':>5} {'width':>6} {'units':>6} {'mean distance':>14} {density:>16}")
    for r in rows:
        print(
            f"{r['depth']:>5} {r['width']:>6} {r['units']:>6} {r['mean_distance']:>14.4g} {r['boundary_density']:>16.4g}"
        )
    units = np.array([r["units"] for r in rows], dtype=float)
    mean = np.array([r["mean_distance"] for r in rows])
    slope = np.polyfit(np.log(units), np.log(mean), 1)[0]
    print(f"log-log slope of mean distance against units: {slope:.2f} (Hanin & Rolnick: -1); {elapsed:.1f} s")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6))
    for L in args.depths:
        sel = [r for r in rows if r["depth"] == L]
        u = [r["units"] for r in sel]
        a.loglog(u, [r["mean_distance"] for r in sel], "o-", label=f"depth {L}")
        b.loglog(u, [r["boundary_density"] for r in sel], "o-", label=f"depth {L}")
    ref = mean[0] * units[0] / np.sort(units)
    a.loglog(np.sort(units), ref, "k--", lw=0.8, label="1 / units")
    a.set_xlabel("hidden units")
    a.set_ylabel("mean distance to the boundary")
    b.set_xlabel("hidden units")
    b.set_ylabel(f"mean boundary density (r = {args.radius:g})")
    a.legend(fontsize=8)
    b.legend(fontsize=8)
    fig.suptitle(f"ReLU networks at He initialization, inputs N(0, I_{args.dim}), {args.points} points", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "boundary_distance.png"), dpi=120)


if __name__ == "__main__":
    main()
