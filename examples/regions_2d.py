"""Pictures of exact linear regions: a 2-input network on [-1, 1]^2, and the plane
through three inputs of a 784-input network (as in Hanin & Rolnick and SplineCam).

Writes regions_2d.png (in --out). Run: python examples/regions_2d.py
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import regions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    net = regions.Network.random([2, 32, 32, 32, 1], seed=args.seed)
    t = time.perf_counter()
    rs = net.regions_on_plane(np.zeros(2), [1.0, 0.0], [0.0, 1.0], (-1, 1, -1, 1))
    print(f"2-32-32-32-1 on [-1,1]^2: {rs.count} regions in {time.perf_counter() - t:.3f} s")
    rs.plot(ax=axes[0])
    axes[0].set_title(f"2-32-32-32-1 ReLU on [-1, 1]²: {rs.count} regions\n(black: output = 0)", fontsize=9)
    big = regions.Network.random([784, 128, 128, 10], seed=args.seed)
    x0, x1, x2 = np.random.default_rng(args.seed).uniform(0, 1, (3, 784))
    t = time.perf_counter()
    tri = big.regions_through(x0, x1, x2, region="parallelogram")
    print(f"784-128-128-10, plane through 3 inputs: {tri.count} regions in {time.perf_counter() - t:.3f} s")
    tri.plot(ax=axes[1], output=0)
    axes[1].set_title(f"784-128-128-10, plane through three inputs: {tri.count} regions", fontsize=9)
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "regions_2d.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
