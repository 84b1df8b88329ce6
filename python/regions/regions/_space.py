"""Regions of all of input space (:class:`Space`): :class:`SpaceRegionSet`, whose
regions may be unbounded, each given by points and recession rays."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from ._sets import RegionSet


class SpaceRegionSet(RegionSet):
    """The regions of a network on all of ``R^d`` (``net.regions(regions.Space(d))``).

    Region ``i`` is ``conv(points[i]) + cone(rays[i])``: bounded exactly when it has no
    ray. The points are the region's vertices and, where the region crosses the
    boundary of the cube ``[-1, 1]^d``, the crossing points (generators, not all of them
    extreme); a region containing a line has both ``r`` and ``-r`` among its rays.
    Points are rounded to float64 (``x / t`` of the exact cone's vertices); the count,
    the patterns and :attr:`bounded` are exact.

    Maps (``output_map(i)``, ``affine_map(i)``, ``jacobian_ranks``) are in input
    coordinates. ``adjacency`` (and so ``linear_pieces``) is exact here too: two regions
    are adjacent when their closures share a piece of dimension ``d - 1``, bounded or
    not. ``plot`` is not available on the whole space: plot a :class:`Box` around the
    regions of interest.
    """

    kind = "space"

    def __init__(self, net: Any, res: Any, *, stats: Any = None):
        d = int(net.input_dim)
        super().__init__(
            net, None, res.patterns, res.out_a, res.out_b, np.zeros(d), np.eye(d), inner=res.interior, stats=stats
        )
        self._points = np.split(res.points, res.point_offsets[1:-1].astype(np.int64))
        self._rays = np.split(res.rays, res.ray_offsets[1:-1].astype(np.int64))
        self._bounded = np.diff(res.ray_offsets.astype(np.int64)) == 0

    @property
    def _cells(self) -> Any:
        return self._points

    @property
    def vertices(self) -> list[np.ndarray]:
        """The points of each region (``(n_points, d)`` arrays; see the class docs)."""
        return list(self._points)

    @property
    def points(self) -> list[np.ndarray]:
        """Same as :attr:`vertices`: region ``i`` is ``conv(points[i]) + cone(rays[i])``."""
        return list(self._points)

    @property
    def rays(self) -> list[np.ndarray]:
        """The recession directions of each region (``(n_rays, d)``; empty when bounded)."""
        return list(self._rays)

    @property
    def bounded(self) -> np.ndarray:
        """Whether each region is bounded (bool; exact)."""
        return np.array(self._bounded, dtype=bool)

    @property
    def volumes(self) -> np.ndarray:
        """The volume of each region: ``inf`` when unbounded, else the volume of the
        convex hull of its points (length in 1D; qhull from SciPy in 2 or more
        dimensions)."""
        out = np.full(len(self), np.inf)
        d = self._origin.shape[0]
        for i in np.flatnonzero(self._bounded):
            p = self._points[i]
            if d == 1:
                out[i] = float(p.max() - p.min())
                continue
            try:
                from scipy.spatial import ConvexHull
            except ImportError:
                raise ImportError("volumes: bounded regions of R^d in 2 or more dimensions need SciPy") from None
            out[i] = float(ConvexHull(p).volume)
        return out

    def _compute_adjacency(self) -> np.ndarray:
        # Regions of R^d: the traces of their cones on the homogenization surface,
        # paired inside each facet and across its ridges (exact; see
        # ``regions_core::regions::adjacency::space_adjacency``).
        if len(self) < 2:
            return np.zeros((0, 2), dtype=np.int64)
        return np.asarray(_core.exact_space_adjacency(self._net._core, np.ascontiguousarray(self._packed)))

    def plot(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for the whole space: plot a :class:`Box` or a slice.

        Parameters
        ----------
        *args, **kwargs
            As in :meth:`RegionSet.plot`.

        Returns
        -------
        matplotlib.axes.Axes
            Never: always raises.

        Raises
        ------
        ValueError
            Always (the regions are unbounded).
        """
        raise ValueError("plot: regions of all of R^d are unbounded; plot net.regions(regions.Box(...)) instead")

    def __repr__(self) -> str:
        return f"RegionSet(space, {self.count} regions, {int(self._bounded.sum())} bounded)"
