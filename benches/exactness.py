"""Benchmark: the cost of exact mode (filtered predicates + exact fallback).

Side by side in one run, on the cases of ``benches/regions.py`` (same networks, same
domains):
- ``before``: the previous release's default (tolerance 1e-12), from a wheel installed
  with ``pip install --target DIR`` and passed as ``--before DIR`` (skipped otherwise);
- ``tol``: this version with ``exact=False`` (the tolerance mode);
- ``exact``: this version's default, ``exact=True``; the ratio ``exact / before``
  (or ``exact / tol`` without ``--before``) is the issue's 1.25x criterion;
- ``exact steps``: the fraction of cell-layer steps that needed exact arithmetic.
Degenerate cases: weights in {-2..2}, biases in {-1, 0, 1} (hyperplanes through common
points, parallel and coincident ones), the same sizes as a generic case; the issue asks
for under 10x the generic time of the same size.

Run: python benches/exactness.py [--before DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CASES = [
    ("plane", [2, 32, 32, 32, 1]),
    ("plane", [2, 64, 64, 64, 1]),
    ("plane", [2, 128, 128, 128, 1]),
    ("plane", [2, 256, 256, 1]),
    ("through", [784, 128, 128, 10]),
    ("count", [3, 32, 32, 32, 1]),
    ("box", [3, 32, 32, 32, 1]),
    ("count", [4, 16, 16, 16, 1]),
    ("count", [6, 12, 12, 12, 1]),
    ("segment", [784, 128, 128, 10]),
]
DEGENERATE = [("plane", [2, 32, 32, 32, 1]), ("count", [3, 16, 16, 16, 1]), ("box", [3, 8, 8, 8, 1])]

WORKER = r"""
import json, sys, time
import numpy as np
import regions
mode, repeat = sys.argv[1], int(sys.argv[2])
cases = json.loads(sys.argv[3])

def build(sizes, degenerate):
    rng = np.random.default_rng(0)
    Ws, bs = [], []
    for a, b in zip(sizes[:-1], sizes[1:]):
        if degenerate:
            Ws.append(rng.integers(-2, 3, (b, a)).astype(float)); bs.append(rng.integers(-1, 2, b).astype(float))
        else:
            Ws.append((rng.standard_normal((b, a)) * np.sqrt(2 / a)).astype(np.float32).astype(np.float64))
            bs.append((rng.standard_normal(b) * 0.1).astype(np.float32).astype(np.float64))
    return regions.Network.from_arrays(Ws, bs)

kw = {} if mode == "before" else {"exact": mode == "exact"}
out = []
for kind, sizes, degenerate in cases:
    net = build(sizes, degenerate)
    d = sizes[0]
    if kind == "plane":
        f = lambda: net.regions_on_plane(np.zeros(2), [1.0, 0.0], [0.0, 1.0], (-1, 1, -1, 1), **kw)
    elif kind == "through":
        X = np.random.default_rng(1).uniform(0, 1, (3, d))
        f = lambda: net.regions_through(X[0], X[1], X[2], **kw)
    elif kind == "segment":
        X = np.random.default_rng(1).uniform(0, 1, (2, d))
        f = lambda: net.regions_on_segment(X[0], X[1], **kw)
    elif kind == "count":
        f = lambda: net.regions(regions.Box.cube(d), count_only=True, **kw)
    else:
        f = lambda: net.regions(regions.Box.cube(d), **kw)
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter(); res = f(); best = min(best, time.perf_counter() - t)
    count = res if isinstance(res, int) else res.count
    stats = getattr(res, "stats", None)
    frac = None if stats is None else stats.exact_steps / max(stats.steps + stats.exact_steps, 1)
    out.append({"time": best, "count": count, "exact_frac": frac})
print(json.dumps(out))
"""


def run(mode: str, path: str | None, cases, repeat: int):
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = path
    r = subprocess.run(
        [sys.executable, "-c", WORKER, mode, str(repeat), json.dumps(cases)],
        env=env,
        capture_output=True,
        text=True,
        cwd="/",
    )
    if r.returncode:
        raise SystemExit(r.stderr)
    return json.loads(r.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default=None, help="directory holding the previous release (pip --target)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cases = [(k, s, False) for k, s in CASES] + [(k, s, True) for k, s in DEGENERATE]
    before = run("before", args.before, cases, args.repeat) if args.before else None
    tol = run("tol", None, cases, args.repeat)
    exact = run("exact", None, cases, args.repeat)
    generic = {(k, tuple(s)): e["time"] for (k, s, dg), e in zip(cases, exact) if not dg}
    print("| case | network | regions (exact) | before | tol | exact | exact / before | exact steps |")
    print("|---|---|---|---|---|---|---|---|")
    for i, (kind, sizes, dg) in enumerate(cases):
        b = before[i] if before else None
        t, e = tol[i], exact[i]
        base = b["time"] if b else t["time"]
        name = ("degenerate " if dg else "") + kind
        frac = "-" if e["exact_frac"] is None else f"{100 * e['exact_frac']:.2f}%"
        note = ""
        if b and b["count"] != e["count"]:
            note = f" (before: {b['count']})"
        if dg:
            gen = generic.get((kind, tuple(sizes)))
            note += f"; {e['time'] / gen:.1f}x generic" if gen else ""
        print(
            f"| {name} | {'-'.join(map(str, sizes))} | {e['count']:,}{note} | "
            f"{b['time'] if b else float('nan'):.3f} s | {t['time']:.3f} s | {e['time']:.3f} s | "
            f"{e['time'] / base:.2f}x | {frac} |"
        )


if __name__ == "__main__":
    main()
