"""The three kinds of region sets: on a segment, on a plane (a 2D slice or a 2D
domain) and in a full-dimensional domain, with the polygon geometry they use."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._domains import Box, Polytope
from ._sets import RegionSet


class SegmentRegionSet(RegionSet):
    """Regions on a segment ``p + t (q - p)``, ``t ∈ [0, 1]`` (or a 1D domain): cells are
    parameter intervals."""

    kind = "segment"

    @property
    def intervals(self) -> np.ndarray:
        """``(count, 2)`` parameter intervals ``[t0, t1]`` in order along the segment."""
        return np.asarray(self._cells)

    @property
    def breakpoints(self) -> np.ndarray:
        """The parameters ``t ∈ (0, 1)`` where the pattern changes (input coordinates
        for a 1D domain)."""
        return np.array(self._cells[1:, 0])

    @property
    def vertices(self) -> list[np.ndarray]:
        """The ends ``[[t0], [t1]]`` of each interval (as ``(2, 1)`` arrays)."""
        return [c[:, None] for c in self._cells]

    def _interior_params(self) -> np.ndarray:
        return np.asarray(self._cells.mean(axis=1)[:, None])

    @property
    def volumes(self) -> np.ndarray:
        """The length of each region in input space (float64)."""
        return np.asarray((self._cells[:, 1] - self._cells[:, 0]) * float(np.linalg.norm(self._dirs[0])))


class PlaneRegionSet(RegionSet):
    """Regions on a 2D slice ``origin + u e1 + v e2`` (or a 2D domain): cells are convex
    polygons of ``(u, v)``, counter-clockwise."""

    kind = "plane"

    @property
    def polygons(self) -> list[np.ndarray]:
        """One ``(vertices, 2)`` array of ``(u, v)`` per region, counter-clockwise."""
        return list(self._cells)

    def _interior_params(self) -> np.ndarray:
        if self._inner is not None:
            return self._inner
        out = np.empty((len(self), 2))
        for i, p in enumerate(self._cells):
            x, y = p[:, 0], p[:, 1]
            xn, yn = np.roll(x, -1), np.roll(y, -1)
            cr = x * yn - xn * y
            a = cr.sum()
            out[i] = (
                (((x + xn) * cr).sum() / (3 * a), ((y + yn) * cr).sum() / (3 * a)) if a != 0 else (x.mean(), y.mean())
            )
        return out

    @property
    def volumes(self) -> np.ndarray:
        """The area of each region in slice coordinates ``(u, v)`` (float64)."""
        return np.array([_polygon_area(p) for p in self._cells])


class DomainRegionSet(RegionSet):
    """Regions in a full-dimensional domain of 3 or more dimensions: cells are convex
    polytopes given by their vertices (split out of the core's stacked array on first
    use), with interior points and volumes from the core."""

    kind = "domain"

    def __init__(self, *args: Any, offsets: np.ndarray, volumes: np.ndarray, **kw: Any):
        super().__init__(*args, **kw)
        self._offsets = offsets
        self._volumes = volumes
        self._split: list[np.ndarray] | None = None

    @property
    def _cells(self) -> Any:
        if self._split is None:
            self._split = np.split(self._cells_store, self._offsets[1:-1])
        return self._split

    @property
    def volumes(self) -> np.ndarray:
        """The volume of each region (float64, computed in Rust from vertices and
        facets)."""
        return self._volumes


def _domain_region_set(
    net: Any, dom: Any, domain: Box | Polytope, *, stats: Any = None, merged: bool = False
) -> RegionSet:
    """The region set of a full-domain walk (the core's ``DomainRegions``): a segment set
    in 1D (intervals in order), a plane set in 2D (polygons counter-clockwise about
    their interior points), a :class:`DomainRegionSet` from 3 dimensions on."""
    flat, offsets, inner = dom.vertices, dom.offsets.astype(np.int64), dom.interior
    packed, out_a, out_b = dom.patterns, dom.out_a, dom.out_b
    d = inner.shape[1]
    kw: dict[str, Any] = {"stats": stats, "merged": merged}
    if isinstance(domain, Box):
        cell: tuple[Any, ...] = ("box", domain.lo[None], domain.hi)
    else:
        cell = ("polytope", domain.A, domain.b)
    kw["exact_domain"] = (*cell, False, np.zeros(d), np.eye(d))
    if d >= 3:
        return DomainRegionSet(
            net,
            flat,
            packed,
            out_a,
            out_b,
            np.zeros(d),
            np.eye(d),
            inner=inner,
            offsets=offsets,
            volumes=dom.volumes,
            **kw,
        )
    verts = np.split(flat, offsets[1:-1])
    if d == 1:
        cells = np.array([[v.min(), v.max()] for v in verts]).reshape(-1, 2)
        order = np.argsort(cells[:, 0], kind="stable")
        return SegmentRegionSet(
            net, cells[order], packed[order], out_a[order], out_b[order], np.zeros(1), np.eye(1), **kw
        )
    verts = [v[np.argsort(np.arctan2(v[:, 1] - c[1], v[:, 0] - c[0]))] for v, c in zip(verts, inner)]
    return PlaneRegionSet(net, verts, packed, out_a, out_b, np.zeros(2), np.eye(2), inner=inner, **kw)


def _polygon_area(p: np.ndarray) -> float:
    """Area of a simple polygon ``(k, 2)`` (shoelace formula; positive when counter-clockwise)."""
    x, y = p[:, 0], p[:, 1]
    return float(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
