"""Benchmark: exact adjacency (issue 30 item 2) against the enumeration it follows and
against a float baseline.

Side by side in one run, per case (``Network.random(sizes, seed=0)`` on [-1, 1]^d):
- ``enumerate``: ``net.regions(Box)`` (the walk, exact default);
- ``adjacency``: ``rs.adjacency`` (exact: the domain walked again with every cut tagged
  by its unit; across each facet of a region whose signs the float filter decided
  strictly lies the region with that unit's bit flipped; the other regions from their
  exact cells); the issue's target is within 2x of ``enumerate``;
- ``exact cells``: the same pairs from every region's exact cell (rebuilt in integers,
  pairs are equal exact facets: the method before session 18, and the tests' second
  exact path); the pair counts must agree;
- ``float edges`` (d = 2 only): the strongest simple baseline, adjacency by equal float
  edges (each polygon edge keyed by its two end points rounded to 1e-9 of the span, in
  NumPy + a dict). Not exact: ends that round differently, or distinct ends that round
  alike, give wrong pairs; its pair count is printed next to the exact one.

With ``--space``, the same for ``regions.Space(d)`` (all of R^d, unbounded regions):
enumeration and adjacency of the space set (no exact-cells column: that method is for
bounded domains only; degenerate traces use it inside the space method).

Run: python benches/adjacency.py [--space] [--cases 2-32-32-32-1,3-16-16-16-1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _util  # noqa: E402  (first: puts the package ahead of benches/regions.py)
import numpy as np  # noqa: E402
import regions  # noqa: E402
from regions import Box  # noqa: E402

best = _util.best_time


def float_edges(polys: list[np.ndarray]) -> int:
    """Pairs of polygons with an equal edge (end points rounded), counted."""
    span = max(float(np.ptp(np.vstack(polys), axis=0).max()), 1e-300)
    owner: dict[tuple, int] = {}
    pairs = set()
    for i, p in enumerate(polys):
        r = np.round(p / (span * 1e-9)).astype(np.int64)
        q = np.roll(r, -1, axis=0)
        for a, b in zip(map(tuple, r), map(tuple, q)):
            key = (a, b) if a < b else (b, a)
            j = owner.setdefault(key, i)
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    return len(pairs)


def cells_adjacency(rs) -> np.ndarray:
    """The pairs from every region's exact cell (``exact_adjacency(..., cells=True)``)."""
    return rs._exact_adjacency(cells=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="2-32-32-32-1,2-64-64-64-1,3-16-16-16-1,4-8-8-1")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--space", action="store_true", help="also all of R^d")
    args = ap.parse_args()
    rows = []
    for case in args.cases.split(","):
        sizes = [int(x) for x in case.split("-")]
        d = sizes[0]
        net = regions.Network.random(sizes, seed=0)
        box = Box.cube(d)
        t_enum, rs = best(lambda: net.regions(box), args.repeat)

        def adj():
            rs._adjacency = None
            return rs.adjacency

        t_adj, pairs = best(adj, args.repeat)
        t_cells, cells = best(lambda: cells_adjacency(rs), 1)
        assert np.array_equal(cells, pairs), case
        row = [case, rs.count, f"{t_enum:.3f}", f"{t_adj:.3f}", f"{t_adj / t_enum:.2f}x", len(pairs), f"{t_cells:.3f}"]
        if d == 2:
            t_flt, n_flt = best(lambda: float_edges(rs.polygons), args.repeat)
            row += [f"{t_flt:.3f}", f"{t_adj / t_flt:.2f}x", n_flt]
        else:
            row += ["-", "-", "-"]
        rows.append(row)
    header = [
        "network",
        "regions",
        "enumerate s",
        "adjacency s",
        "adj/enum",
        "pairs",
        "exact cells s",
        "float edges s",
        "adj/float",
        "float pairs",
    ]
    print(_util.table(header, rows))
    if args.space:
        srows = []
        for case in args.cases.split(","):
            sizes = [int(x) for x in case.split("-")]
            net = regions.Network.random(sizes, seed=0)
            t_enum, sp = best(lambda: net.regions(regions.Space(sizes[0])), args.repeat)

            def sadj():
                sp._adjacency = None
                return sp.adjacency

            t_adj, pairs = best(sadj, args.repeat)
            srows.append([case, sp.count, f"{t_enum:.3f}", f"{t_adj:.3f}", f"{t_adj / t_enum:.2f}x", len(pairs)])
        print()
        print(_util.table(["network (Space)", "regions", "enumerate s", "adjacency s", "adj/enum", "pairs"], srows))
    print(f"threads: {regions.get_num_threads()}")


if __name__ == "__main__":
    main()
