"""Benchmark: LeNet-5 (and its Conv, MaxPool, ReLU twin) on 1x28x28 inputs.

Workloads, side by side in one run, every method on the same number of threads:
- exact regions on a triangle of the plane through three nearby inputs (``x0`` and two
  points at distance ``--eps`` times a Gaussian direction): the default exact mode
  against the float walk (``exact=False``), the only other method that computes these
  regions (no public tool handles convolutions with max-pooling);
- activation patterns of ``--n`` inputs against torch computing the same forward pass
  in float64 and extracting the pre-activation signs and the pooling indices;
- peak memory (the child's VmHWM) of loading a CIFAR-shaped network from ONNX and
  counting the regions on a plane through three inputs (target: under 1 GB).

The same triangle is measured on LeNet-5 trained for ``--trained-epochs`` epochs on
scikit-learn's digits upsampled to 28x28, around the first digit, and regions and
patterns on a ResNet-style network (stem conv 4 channels, ReLU, 2x2 max-pooling, two
BasicBlocks with batch norm, the second downsampling with a 1x1 shortcut, global average
pooling, linear), imported from its ``forward`` through ``torch.fx``. With ``--digits``,
also the whole triangle through the first three digits (0, 1, 2), at initialization and
after training, run once: the researchers' plane, larger and more degenerate (exact
fallbacks at vertices where two pooled units are both zero).

Run: python benches/cnn.py [--eps 0.05] [--n 20000] [--threads 2] [--trained-epochs 5] [--digits]
Targets (issue 29): exact mode >= 20,000 regions/s (goal 50,000) and within 1.25x of
the float walk; patterns >= 1.5x faster than torch.
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


def lenet(order: str):
    """LeNet-5: conv 6 and 16 channels 5x5 with 2x2 max-pooling, then 120-84-10;
    ``order`` is ``"relu-pool"`` (Conv, ReLU, MaxPool) or ``"pool-relu"``."""
    import torch

    nn = torch.nn
    torch.manual_seed(0)

    def block(conv):
        return [conv, nn.ReLU(), nn.MaxPool2d(2)] if order == "relu-pool" else [conv, nn.MaxPool2d(2), nn.ReLU()]

    return nn.Sequential(
        *block(nn.Conv2d(1, 6, 5)), *block(nn.Conv2d(6, 16, 5)), nn.Flatten(),
        nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    ).double().eval()  # fmt: skip


def resnet():
    """The ResNet-style block network on 1x28x28 (issue 29 item 3), batch norms set to
    random running statistics, in evaluation mode."""
    import torch

    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
            self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            return F.relu(out + (x if self.down is None else self.down(x)))

    class Net(nn.Module):
        def __init__(self, c=4):
            super().__init__()
            self.conv = nn.Conv2d(1, c, 3, padding=1)
            self.block1, self.block2 = Block(c, c), Block(c, 2 * c, 2)
            self.fc = nn.Linear(2 * c, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv(x)), 2)
            x = self.block2(self.block1(x))
            return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    torch.manual_seed(0)
    model = Net()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
    return model.double().eval()


def resnet_torch_patterns(model, X):
    """The ResNet's forward pass in float64 with every pre-activation sign and the
    pooling indices."""
    import torch
    import torch.nn.functional as F

    h = torch.from_numpy(X).reshape(len(X), 1, 28, 28)
    parts = []
    with torch.no_grad():
        h = model.conv(h)
        parts.append(h > 0)
        h, idx = F.max_pool2d(F.relu(h), 2, return_indices=True)
        parts.append(idx)
        for b in (model.block1, model.block2):
            o = b.bn1(b.conv1(h))
            parts.append(o > 0)
            o = b.bn2(b.conv2(F.relu(o))) + (h if b.down is None else b.down(h))
            parts.append(o > 0)
            h = F.relu(o)
        model.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))
    return [p.reshape(len(X), -1).numpy() for p in parts]


def torch_patterns(model, X):
    """The forward pass in float64 with the pre-activation signs and pooling indices."""
    import torch
    import torch.nn.functional as F

    nn = torch.nn
    h = torch.from_numpy(X).reshape(len(X), 1, 28, 28)
    parts = []
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.ReLU):
                parts.append((h > 0).reshape(len(X), -1))
                h = torch.relu(h)
            elif isinstance(m, nn.MaxPool2d):
                h, idx = F.max_pool2d(h, 2, return_indices=True)
                parts.append(idx.reshape(len(X), -1))
            else:
                h = m(h)
    return parts


CHILD = """
import sys, numpy as np, regions
net = regions.Network.from_onnx(sys.argv[1])
rng = np.random.default_rng(0)
x0 = rng.random(3072)
x1, x2 = (x0 + float(sys.argv[2]) * rng.standard_normal(3072) for _ in range(2))
count = net.regions_through(x0, x1, x2, count_only=True, n_threads=int(sys.argv[3]))
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(count, int(hwm) // 1024)
"""


def cifar_memory(eps: float, threads: int) -> tuple[int, int]:
    """Regions and the child's peak memory (VmHWM, MB) of a CIFAR-shaped network (3x32x32,
    conv 32 and 64 channels 3x3 padding 1, 2x2 max-pooling after each, 256, 10), exported
    to ONNX here and loaded by ``from_onnx`` in a fresh interpreter (without torch, whose
    import alone takes about 540 MB), then a plane through three inputs."""
    import subprocess
    import tempfile

    import torch

    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 8 * 8, 256), nn.ReLU(), nn.Linear(256, 10),
    ).double().eval()  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cifar.onnx")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, torch.zeros(1, 3, 32, 32, dtype=torch.float64), path, dynamo=False)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, path, str(eps), str(threads)], capture_output=True, text=True, check=True
        ).stdout.split()
    return int(out[0]), int(out[1])


def trained_lenet(epochs: int):
    """LeNet-5 (relu-pool) trained for ``epochs`` epochs (Adam, batches of 64, float64) on
    scikit-learn's digits upsampled to 28x28 (``scipy.ndimage.zoom``, linear), and the
    upsampled images."""
    import torch
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    imgs = np.stack([zoom(x.reshape(8, 8) / 16.0, 3.5, order=1) for x in X]).reshape(len(X), 784)
    model = lenet("relu-pool").train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(imgs).reshape(-1, 1, 28, 28), torch.from_numpy(y)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for idx in torch.randperm(len(X), generator=g).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    return model.eval(), imgs


def digits_row(name: str, net, imgs, threads: int) -> list[str]:
    """The whole triangle through digits 0, 1, 2 (upsampled), exact and float, run once."""
    import time

    times, counts = [], []
    for exact in (False, True):
        t = time.perf_counter()
        counts.append(net.regions_through(*imgs[:3], exact=exact, count_only=True, n_threads=threads))
        times.append(time.perf_counter() - t)
    return [f"LeNet-5 relu-pool {name}: triangle through digits 0-2", f"{counts[1]:,}",
            f"{counts[1] / times[1]:,.0f}/s", f"float walk {counts[0] / times[0]:,.0f}/s ({counts[0]:,})",
            f"{times[1] / times[0]:.2f}"]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eps", type=float, default=0.05, help="size of the triangle around x0")
    ap.add_argument("--n", type=int, default=20000, help="inputs for the pattern workload")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cifar-eps", type=float, default=0.002, help="triangle size of the memory workload")
    ap.add_argument("--trained-epochs", type=int, default=5, help="LeNet trained on digits (0: skip)")
    ap.add_argument(
        "--digits", action="store_true", help="also the whole triangle through digits 0, 1, 2 (run once, ~3 min)"
    )
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x0 = rng.random(784)
    x1, x2 = x0 + args.eps * rng.standard_normal(784), x0 + args.eps * rng.standard_normal(784)
    X = rng.random((args.n, 784))
    rows = []
    for order in ("relu-pool", "pool-relu"):
        model = lenet(order)
        net = regions.Network.from_torch(model, input_shape=(1, 28, 28))

        def plane(exact: bool, net=net):
            return net.regions_through(x0, x1, x2, exact=exact, count_only=True, n_threads=args.threads)

        t_float, count = best_time(lambda: plane(False), args.repeat)
        t_exact, count_exact = best_time(lambda: plane(True), args.repeat)
        assert count == count_exact
        rows.append(
            [f"LeNet-5 {order}: plane regions", f"{count:,}", f"{count / t_exact:,.0f}/s",
             f"float walk {count / t_float:,.0f}/s", f"{t_exact / t_float:.2f}"]
        )  # fmt: skip
        t_pat, _ = best_time(lambda net=net: net.activation_patterns(X, n_threads=args.threads), args.repeat)
        t_torch, _ = best_time(lambda model=model: torch_patterns(model, X), args.repeat)
        rows.append(
            [f"LeNet-5 {order}: patterns of {args.n:,} inputs", "", f"{t_pat * 1e3:.0f} ms",
             f"torch float64 {t_torch * 1e3:.0f} ms", f"{t_pat / t_torch:.2f}"]
        )  # fmt: skip
    if args.trained_epochs > 0:
        model, imgs = trained_lenet(args.trained_epochs)
        net = regions.Network.from_torch(model, input_shape=(1, 28, 28))
        if args.digits:
            init = regions.Network.from_torch(lenet("relu-pool"), input_shape=(1, 28, 28))
            for name, dnet in (("at init", init), (f"{args.trained_epochs} epochs", net)):
                rows.append(digits_row(name, dnet, imgs, args.threads))
        t0, t1, t2 = (
            imgs[0],
            imgs[0] + args.eps * rng.standard_normal(784),
            imgs[0] + args.eps * rng.standard_normal(784),
        )

        def trained_plane(exact: bool):
            return net.regions_through(t0, t1, t2, exact=exact, count_only=True, n_threads=args.threads)

        t_float, count_float = best_time(lambda: trained_plane(False), args.repeat)
        t_exact, count = best_time(lambda: trained_plane(True), args.repeat)
        rows.append(
            [f"LeNet-5 relu-pool, {args.trained_epochs} epochs on digits: plane regions", f"{count:,}",
             f"{count / t_exact:,.0f}/s", f"float walk {count_float / t_float:,.0f}/s ({count_float:,})",
             f"{t_exact / t_float:.2f}"]
        )  # fmt: skip
    model = resnet()
    net = regions.Network.from_torch(model, input_shape=(1, 28, 28))
    for order_eps in (args.eps / 5, args.eps / 2):
        r1, r2 = x0 + order_eps * rng.standard_normal(784), x0 + order_eps * rng.standard_normal(784)

        def res_plane(exact: bool, r1=r1, r2=r2):
            return net.regions_through(x0, r1, r2, exact=exact, count_only=True, n_threads=args.threads)

        t_float, count = best_time(lambda: res_plane(False), args.repeat)
        t_exact, count_exact = best_time(lambda: res_plane(True), args.repeat)
        assert count == count_exact
        rows.append(
            [f"ResNet 2 blocks: plane regions (eps {order_eps:g})", f"{count:,}", f"{count / t_exact:,.0f}/s",
             f"float walk {count / t_float:,.0f}/s", f"{t_exact / t_float:.2f}"]
        )  # fmt: skip
    t_pat, _ = best_time(lambda: net.activation_patterns(X, n_threads=args.threads), args.repeat)
    t_torch, _ = best_time(lambda: resnet_torch_patterns(model, X), args.repeat)
    rows.append(
        [f"ResNet 2 blocks: patterns of {args.n:,} inputs", "", f"{t_pat * 1e3:.0f} ms",
         f"torch float64 {t_torch * 1e3:.0f} ms", f"{t_pat / t_torch:.2f}"]
    )  # fmt: skip
    count, mb = cifar_memory(args.cifar_eps, args.threads)
    rows.append([f"CIFAR-shaped, from_onnx + plane (eps {args.cifar_eps})", f"{count:,}", f"{mb} MB peak", "", ""])
    print(f"{args.threads} threads, triangle eps = {args.eps}, best of {args.repeat}")
    print(table(["workload", "regions", "regions (exact)", "baseline", "time / baseline"], rows))


if __name__ == "__main__":
    main()
