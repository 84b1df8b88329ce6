"""Exact linear regions on segments and 2D slices of input space (``MATH.md`` section 2).

A :class:`RegionSet` holds every activation region with non-empty interior of a
network restricted to a segment ``p + t (q - p)``, ``t ∈ [0, 1]``, or to a convex
polygon of the plane ``x = origin + u e1 + v e2`` (any input dimension). Regions are
computed exactly, layer by layer, in Rust: every hidden unit is the max of affine
pieces (ReLU ``[0, h]``, leaky ``[αh, h]``, maxout's pieces, a pooling window's
inputs); each cell is cut by every boundary between pieces, and the cut parts with the
same pattern are merged. Geometric decisions use a relative tolerance
(``regions_core::regions::TOL = 1e-12``): a vertex that close to a boundary lies on it,
and parts smaller than ``TOL^k`` times the domain are dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class RegionSet:
    """Regions of a network on a segment (``kind == "segment"``) or a plane slice."""

    def __init__(self, net: Any, kind: str, cells: list[np.ndarray] | np.ndarray, packed: np.ndarray,
                 out_a: np.ndarray, out_b: np.ndarray, origin: np.ndarray, dirs: np.ndarray):
        self._net, self.kind = net, kind
        self._cells, self._packed = cells, packed
        self._out_a, self._out_b = out_a, out_b
        self._origin, self._dirs = origin, dirs  # dirs: (k, n0)

    # ---------------------------------------------------------------- basics
    def __len__(self) -> int:
        return int(self._packed.shape[0])

    @property
    def count(self) -> int:
        """Number of regions (a Python int)."""
        return len(self)

    def __repr__(self) -> str:
        return f"RegionSet({self.kind}, {self.count} regions)"

    @property
    def packed_patterns(self) -> np.ndarray:
        """Packed uint64 patterns ``(count, n_words)`` (layout of ``Network``)."""
        return self._packed

    @property
    def patterns(self) -> np.ndarray:
        """Patterns ``(count, n_hidden)``: bool, or int32 with maxout / pooling layers."""
        return self._net.decode_patterns(self._packed)

    # -------------------------------------------------------------- geometry
    @property
    def intervals(self) -> np.ndarray:
        """Segments: ``(count, 2)`` parameter intervals ``[t0, t1]`` in order along the segment."""
        self._need("segment")
        return self._cells

    @property
    def breakpoints(self) -> np.ndarray:
        """Segments: the parameters ``t ∈ (0, 1)`` where the pattern changes."""
        self._need("segment")
        return self._cells[1:, 0].copy()

    @property
    def polygons(self) -> list[np.ndarray]:
        """Plane slices: one ``(vertices, 2)`` array of ``(u, v)`` per region, counter-clockwise."""
        self._need("plane")
        return self._cells

    def _need(self, kind: str) -> None:
        if self.kind != kind:
            raise AttributeError(f"only available on {kind} regions (this RegionSet is a {self.kind})")

    def _interior_params(self) -> np.ndarray:
        if self.kind == "segment":
            return self._cells.mean(axis=1)[:, None]
        out = np.empty((len(self), 2))
        for i, p in enumerate(self._cells):
            x, y = p[:, 0], p[:, 1]
            xn, yn = np.roll(x, -1), np.roll(y, -1)
            cr = x * yn - xn * y
            a = cr.sum()
            out[i] = (((x + xn) * cr).sum() / (3 * a), ((y + yn) * cr).sum() / (3 * a)) if a != 0 else (x.mean(), y.mean())
        return out

    @property
    def interior_points(self) -> np.ndarray:
        """A point strictly inside each region, in input space ``(count, n0)`` (the
        midpoint of an interval, the area centroid of a polygon)."""
        return self._origin + self._interior_params() @ self._dirs

    @property
    def volumes(self) -> np.ndarray:
        """Segments: lengths in input space. Planes: areas in the ``(u, v)`` coordinates
        (true areas when ``e1, e2`` are orthonormal)."""
        if self.kind == "segment":
            return (self._cells[:, 1] - self._cells[:, 0]) * float(np.linalg.norm(self._dirs[0]))
        areas = []
        for p in self._cells:
            x, y = p[:, 0], p[:, 1]
            areas.append(0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)))
        return np.array(areas)

    # ---------------------------------------------------------------- linear maps
    def output_map(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Output on region ``i`` as an affine map of the slice coordinates:
        ``(a, B)`` with ``output = a + B s`` (``s = t`` or ``(u, v)``)."""
        return self._out_a[i], self._out_b[i]

    def affine_map(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The network on region ``i`` as an affine map of the input: ``(M, c)`` with
        ``output = M x + c`` (``M`` is ``(n_out, n0)``), composed from the pattern."""
        return self._net._region_map(self._net.decode_patterns(self._packed[i:i + 1])[0])

    @property
    def jacobian_ranks(self) -> np.ndarray:
        """Rank of each region's input-output linear map ``M`` (int64)."""
        return np.array([np.linalg.matrix_rank(self.affine_map(i)[0]) for i in range(len(self))], dtype=np.int64)

    # ---------------------------------------------------------------- pictures
    def plot(self, ax: Any = None, output: int | None = 0, cmap: str = "tab20", seed: int = 0,
             edgecolor: str = "white", linewidth: float = 0.3) -> Any:
        """Draw the regions in distinct colours (matplotlib), with the zero level set of
        network output ``output`` (``None`` to omit), as in SplineCam's figures.
        Segments are drawn as the output along ``t`` with the breakpoints marked."""
        try:
            import matplotlib.pyplot as plt
            from matplotlib.collections import LineCollection, PolyCollection
        except ImportError:  # pragma: no cover
            raise ImportError("plot needs matplotlib: pip install 'regions[plot]'") from None
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5) if self.kind == "plane" else (7, 3))
        colours = plt.get_cmap(cmap)(np.random.default_rng(seed).permutation(len(self)) % 20)
        if self.kind == "segment":
            o = 0 if output is None else output
            for i, (t0, t1) in enumerate(self._cells):
                a, b = self._out_a[i, o], self._out_b[i, o, 0]
                ax.plot([t0, t1], [a + b * t0, a + b * t1], color=colours[i], lw=2)
            ax.vlines(self.breakpoints, *ax.get_ylim(), colors="0.8", lw=0.5)
            ax.set_xlabel("t")
            ax.set_ylabel(f"output {o}")
            ax.set_title(f"{self.count} regions on the segment", fontsize=9)
            return ax
        ax.add_collection(PolyCollection(self._cells, facecolors=colours, edgecolors=edgecolor, linewidths=linewidth))
        if output is not None:
            segs = []
            for i, p in enumerate(self._cells):
                f = self._out_a[i, output] + p @ self._out_b[i, output]
                pts = []
                for j in range(len(p)):
                    k = (j + 1) % len(p)
                    if (f[j] < 0) != (f[k] < 0):
                        t = f[j] / (f[j] - f[k])
                        pts.append(p[j] + t * (p[k] - p[j]))
                if len(pts) >= 2:
                    segs.append(pts[:2])
            ax.add_collection(LineCollection(segs, colors="black", linewidths=1.2))
        allp = np.vstack(self._cells)
        ax.set_xlim(allp[:, 0].min(), allp[:, 0].max())
        ax.set_ylim(allp[:, 1].min(), allp[:, 1].max())
        ax.set_aspect("equal")
        ax.set_xlabel("u")
        ax.set_ylabel("v")
        ax.set_title(f"{self.count} linear regions" + ("" if output is None else f", output {output} = 0 in black"),
                     fontsize=9)
        return ax
