"""Benchmark: this build against another build of regions, workload by workload.

For refactors ("the benchmarks must not get slower"): the other build is a wheel
installed with ``pip install --no-deps --target DIR <checkout>`` and passed as
``--before DIR``. Each round runs every workload once per build, each build in its
own fresh process, alternating which goes first, so that the machine's drift hits
both; the table reports each build's best time over the rounds (each a best of a few
repeats) and the ratio ``after / before`` (below 1: faster).

The workloads touch every hot path: the blocked forward pass (patterns of ReLU and
maxout networks), the 2D walk, full-domain walks in 3 and 4 dimensions, a maxout
slice, the parameter Jacobian, the exact functional dimension and a max-pooling
f-vector.

Run: python benches/compare.py --before DIR [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import _util

WORKER = r"""
import json, sys, time
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
import numpy as np
import regions

def best(f, r):
    b = float("inf")
    for _ in range(r):
        t = time.perf_counter(); f(); b = min(b, time.perf_counter() - t)
    return b

Box = regions.Box
out = {"module": regions.__file__}
net = regions.Network.random([2, 64, 64, 64, 1], seed=0)
X = np.random.default_rng(0).uniform(-1, 1, (1_000_000, 2))
out["patterns 2-64x3, 10^6 points"] = best(lambda: net.activation_patterns(X, packed=True), 5)
out["count_patterns 2-64x3, 10^6 points"] = best(lambda: net.count_patterns(X), 5)
mo = regions.Network.random([2, 32, 32, 1], activation="maxout", k=3, seed=0)
out["patterns maxout 2-32x2 k=3, 10^6 points"] = best(lambda: mo.activation_patterns(X, packed=True), 5)
n2 = regions.Network.random([2, 64, 64, 64, 1], seed=1)
out["plane count 2-64x3"] = best(lambda: n2.regions_on_plane([0, 0], [1, 0], [0, 1], (-1, 1, -1, 1), count_only=True), 5)
out["regions(Box) 2-64x3"] = best(lambda: n2.regions(Box([-1, -1], [1, 1])), 3)
n3 = regions.Network.random([3, 24, 24, 1], seed=2)
out["regions(Box) count 3-24x2"] = best(lambda: n3.regions(Box.cube(3), count_only=True), 3)
n4 = regions.Network.random([4, 12, 12, 1], seed=3)
out["regions(Box) 4-12x2"] = best(lambda: n4.regions(Box.cube(4)), 3)
nm = regions.Network.random([2, 16, 16, 1], activation="maxout", k=2, seed=4)
out["plane count maxout 2-16x2"] = best(lambda: nm.regions_on_plane([0, 0], [1, 0], [0, 1], (-1, 1, -1, 1), count_only=True), 5)
nf = regions.Network.random([20, 30, 30, 5], seed=5)
Xf = np.random.default_rng(1).normal(size=(300, 20))
out["parameter_jacobian 20-30x2-5, 300 points"] = best(lambda: nf.parameter_jacobian(Xf), 5)
out["functional_dimension exact 20-30x2-5"] = best(lambda: nf.functional_dimension(Xf, exact=True), 3)
w = [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8], [8, 9, 10]]
out["maxpool f_vector, 5 windows of 3"] = best(lambda: regions.maxpool.f_vector(w), 3)
print(json.dumps(out))
"""


def run(path: str) -> dict[str, float]:
    res = subprocess.run([sys.executable, "-c", WORKER, path], capture_output=True, text=True, check=True)
    out: dict[str, float] = json.loads(res.stdout)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True, help="directory holding the other build (pip --target)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    before: dict[str, float] = {}
    after: dict[str, float] = {}
    for r in range(args.rounds):
        order = [("before", args.before), ("after", "")]
        for name, path in order if r % 2 == 0 else order[::-1]:
            res = run(path)
            mod = res.pop("module")
            if name == "before" and not str(mod).startswith(args.before):
                sys.exit(f"--before: {args.before} did not provide regions (got {mod})")
            acc = before if name == "before" else after
            for k, v in res.items():
                acc[k] = min(acc.get(k, float("inf")), float(v))
    rows = [[k, f"{before[k] * 1e3:.1f}", f"{after[k] * 1e3:.1f}", f"{after[k] / before[k]:.2f}"] for k in after]
    print(_util.table(["workload", "before ms", "after ms", "after / before"], rows))


if __name__ == "__main__":
    main()
