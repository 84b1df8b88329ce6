"""Batch functional dimension at initialization against depth and width.

For ReLU networks with input dimension --input-dim, hidden widths w (all layers) and
depths 1..--max-depth, the rank of the Jacobian of the outputs on a batch of --batch
Gaussian inputs with respect to every parameter (Grigsby, Lindsey, Meyerhoff, Wu;
Bona-Pellissier, Bachoc, Malgouyres), beside the bound n_params - n_hidden and the
trivial bound batch * n_out. Ranks in float64 with NumPy's default tolerance (or
--exact).

Writes functional_dimension.csv and functional_dimension.png (in --out).
Run: python examples/functional_dimension.py [--widths 4 8 16] [--max-depth 5]
"""

from __future__ import annotations

import argparse
import csv
import os

import numpy as np
import regions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input-dim", type=int, default=4)
    ap.add_argument("--widths", type=int, nargs="+", default=[3, 6, 12])
    ap.add_argument("--max-depth", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--outputs", type=int, default=1)
    ap.add_argument("--init", default="he", choices=["he", "torch"])
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=".")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    X = np.random.default_rng(args.seed).standard_normal((args.batch, args.input_dim))
    rows = []
    for w in args.widths:
        for depth in range(1, args.max_depth + 1):
            net = regions.Network.random(
                [args.input_dim] + [w] * depth + [args.outputs], init=args.init, seed=args.seed + 1000 * w + depth
            )
            fd = net.functional_dimension(X, exact=args.exact)
            rows.append((w, depth, net.n_params, fd.bound, fd.rank, args.batch * args.outputs))
            print(f"width {w:3d} depth {depth}: rank {fd.rank:5d}  bound {fd.bound:5d}  params {net.n_params:5d}")
    path = os.path.join(args.out, "functional_dimension.csv")
    with open(path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["width", "depth", "n_params", "bound", "rank", "batch_rows"])
        wr.writerows(rows)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"wrote {path} (install matplotlib for the plot)")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for w in args.widths:
        r = [row for row in rows if row[0] == w]
        (line,) = ax.plot([x[1] for x in r], [x[4] for x in r], "o-", label=f"width {w}: rank")
        ax.plot(
            [x[1] for x in r],
            [x[3] for x in r],
            "--",
            color=line.get_color(),
            alpha=0.6,
            label=f"width {w}: P - #hidden",
        )
    ax.set_xlabel("depth (hidden layers)")
    ax.set_ylabel("batch functional dimension")
    rule = "exact rank" if args.exact else "float64, NumPy tolerance"
    ax.set_title(f"ReLU, input dim {args.input_dim}, batch {args.batch}, {args.init} init ({rule})", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    png = os.path.join(args.out, "functional_dimension.png")
    fig.savefig(png, dpi=110)
    print(f"wrote {path} and {png}")


if __name__ == "__main__":
    main()
