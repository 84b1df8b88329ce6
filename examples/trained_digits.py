"""Linear regions over training: an MLP and a small CNN on scikit-learn's digits.

Trains with PyTorch (float64, Adam) on ``sklearn.datasets.load_digits`` (8x8 images,
shipped with scikit-learn, scaled to [0, 1]):
- an MLP 64-32-32-10,
- a CNN conv(1->8, 3x3, pad 1)-relu-maxpool 2-conv(8->16, 3x3, pad 1)-relu-maxpool 2-linear(64->10),
keeps a checkpoint at each epoch of ``--epochs`` (0 is the initialization) and, for
each, computes with regions:
- the exact number of linear regions on the triangle of the input plane through three
  test digits (the first test images of classes 0, 1 and 7),
- the number of distinct activation patterns of the test set,
- the test accuracy, and for the MLP the Serra et al. upper bound for all of R^64.
Writes trained_digits.csv and trained_digits.png (the regions on the triangle at
initialization and after training, in the slice's coordinates with the three digits
marked, and the counts against the epoch).

Defaults run in about a minute on 2 cores:
    python examples/trained_digits.py
"""

from __future__ import annotations

import argparse
import csv
import os
import time

import numpy as np
import regions


def data(seed: int):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X[order], y[order]
    n_train = int(0.75 * len(X))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def models():
    import torch

    nn = torch.nn
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
    cnn = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip
    return {"MLP": (mlp.double(), None), "CNN": (cnn[1:].double(), (1, 8, 8))}


def train(model, shape, X, y, epochs: list[int], seed: int):
    """Yield ``(epoch, model)`` at every epoch of ``epochs`` (Adam, batches of 64)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt = torch.from_numpy(X).reshape(len(X), *(shape or (X.shape[1],)))
    yt = torch.from_numpy(y)
    done = 0
    for target in sorted(epochs):
        model.train()
        for _ in range(done, target):
            for idx in torch.randperm(len(X), generator=g).split(64):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
                opt.step()
        done = target
        yield target, model.eval()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, nargs="+", default=[0, 1, 2, 5, 10, 20, 40, 60])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=".", help="output folder")
    args = ap.parse_args()
    import torch

    os.makedirs(args.out, exist_ok=True)
    Xtr, ytr, Xte, yte = data(args.seed)
    corners = [Xte[np.flatnonzero(yte == c)[0]] for c in (0, 1, 7)]
    rows, pictures = [], {}
    t0 = time.perf_counter()
    first, last = min(args.epochs), max(args.epochs)
    for name, (model, shape) in models().items():
        for epoch, m in train(model, shape, Xtr, ytr, args.epochs, args.seed):
            net = regions.Network.from_torch(m, input_shape=shape)
            t = time.perf_counter()
            keep = epoch in (first, last)
            rs = net.regions_through(*corners, count_only=not keep)
            count = rs.count if keep else int(rs)
            if keep:
                pictures[(name, epoch)] = rs
            seconds = time.perf_counter() - t
            with torch.no_grad():
                xt = torch.from_numpy(Xte).reshape(len(Xte), *(shape or (64,)))
                acc = float((m(xt).argmax(1).numpy() == yte).mean())
            bound = net.bounds().get("serra_upper (Serra et al. 2018)", "") if name == "MLP" else ""
            rows.append(
                {
                    "model": name,
                    "epoch": epoch,
                    "test_accuracy": round(acc, 4),
                    "plane_regions": count,
                    "plane_seconds": round(seconds, 3),
                    "test_patterns": net.count_patterns(Xte),
                    "n_test": len(Xte),
                    "serra_upper": bound,
                }
            )
            r = rows[-1]
            print(
                f"{name} epoch {epoch:3d}: accuracy {acc:.3f}, {count:,} regions on the triangle ({seconds:.2f} s), "
                f"{r['test_patterns']} patterns among {len(Xte)} test digits"
            )
    path = os.path.join(args.out, "trained_digits.csv")
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    print(f"wrote {path} ({time.perf_counter() - t0:.1f} s)")
    plot(rows, pictures, first, last, os.path.join(args.out, "trained_digits.png"))


def plot(rows, pictures, first: int, last: int, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        print("matplotlib not installed: no figure")
        return
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.5))
    for i, name in enumerate(("MLP", "CNN")):
        for j, epoch in enumerate((first, last)):
            ax = axes[i, j]
            pictures[(name, epoch)].plot(ax=ax, output=None, linewidth=0.1)
            ax.scatter([0, 1, 0], [0, 0, 1], c="black", s=25, zorder=3)
            for (u, v), label in zip([(0, 0), (1, 0), (0, 1)], ("0", "1", "7")):
                ax.annotate(f"digit {label}", (u, v), textcoords="offset points", xytext=(4, 4), fontsize=8)
            ax.set_title(f"{name}, epoch {epoch}: {pictures[(name, epoch)].count:,} regions", fontsize=10)
        ax = axes[i, 2]
        mine = [r for r in rows if r["model"] == name]
        ax.plot([r["epoch"] for r in mine], [r["plane_regions"] for r in mine], "o-", label="regions on the triangle")
        ax.plot([r["epoch"] for r in mine], [r["test_patterns"] for r in mine], "s--", label="distinct test patterns")
        ax.set_xlabel("epoch")
        ax.set_ylabel("count")
        ax.set_yscale("log")
        ax.set_title(f"{name}: counts over training ({mine[-1]['n_test']} test digits)", fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle("Exact linear regions on the plane through three test digits (scikit-learn digits, 8x8)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
