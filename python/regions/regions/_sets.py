"""The result of a region walk: :class:`RegionSet` (patterns, vertices, interior points,
volumes, adjacency, linear pieces, affine maps, pictures), the base of the three kinds
in ``_kinds``."""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np

from .. import _core
from .._validate import as_float


class RegionSet:
    """Regions of a network: the base of :class:`SegmentRegionSet` (a segment),
    :class:`PlaneRegionSet` (a 2D slice, or a 2D domain with the identity slice) and
    :class:`DomainRegionSet` (a full-dimensional domain in 3 or more dimensions).

    Every region set has ``count``, ``patterns``, ``packed_patterns``, ``vertices``,
    ``interior_points``, ``volumes``, ``adjacency``, ``linear_pieces()``,
    ``output_map(i)``, ``affine_map(i)`` and ``jacobian_ranks``; the subclasses add their
    geometry (``intervals`` / ``breakpoints``, ``polygons``) and ``plot()``.

    Cells are in slice coordinates ``s`` (``t`` on a segment, ``(u, v)`` on a plane,
    ``x`` itself for a domain): the input is ``origin + s @ dirs``.
    """

    #: ``"segment"``, ``"plane"`` or ``"domain"``.
    kind: str = ""

    def __init__(
        self,
        net: Any,
        cells: Any,
        packed: np.ndarray,
        out_a: np.ndarray,
        out_b: np.ndarray,
        origin: np.ndarray,
        dirs: np.ndarray,
        *,
        inner: np.ndarray | None = None,
        stats: Any = None,
        merged: bool = False,
        marks: np.ndarray | None = None,
        exact_domain: tuple[Any, ...] | None = None,
    ):
        self._net = net
        self._cells_store: Any = cells
        self._packed = packed
        self._out_a, self._out_b = out_a, out_b
        self._origin, self._dirs = origin, dirs  # dirs: (k, n0)
        self._inner = inner  # interior parameters when given
        self._adjacency: np.ndarray | None = None
        self._merged = merged
        self._marks = marks  # slice points to mark in pictures (the inputs of regions_through)
        # (kind, a, b, through) of the cell for exact interior points (see interior_points)
        self._exact_domain = exact_domain
        self._certified: tuple[np.ndarray, list[Any]] | None = None
        #: How the walk decided its signs (``steps``, ``exact_steps``), when known.
        self.stats = stats

    _ONLY_ON = {"intervals": "segment", "breakpoints": "segment", "polygons": "plane"}

    def __getattr__(self, name: str) -> Any:
        where = RegionSet._ONLY_ON.get(name)
        if where is not None:
            raise AttributeError(f"{name}: only available on {where} regions (this RegionSet is a {self.kind})")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def _cells(self) -> Any:
        return self._cells_store

    # ---------------------------------------------------------------- basics
    def __len__(self) -> int:
        return int(self._packed.shape[0])

    @property
    def count(self) -> int:
        """Number of regions (a Python int); of linear pieces when the set was made
        with ``merge_linear_pieces=True`` (``len()`` stays the number of regions)."""
        return self.n_linear_pieces if self._merged else len(self)

    def __repr__(self) -> str:
        if self._merged:
            return f"RegionSet({self.kind}, {len(self)} regions, {self.count} linear pieces)"
        return f"RegionSet({self.kind}, {self.count} regions)"

    @property
    def packed_patterns(self) -> np.ndarray:
        """Packed uint64 patterns ``(count, n_words)`` (layout of ``Network``)."""
        return self._packed

    @property
    def patterns(self) -> np.ndarray:
        """Patterns ``(count, n_hidden)``: bool, or int32 with maxout / pooling layers."""
        return np.asarray(self._net.decode_patterns(self._packed))

    # -------------------------------------------------------------- geometry
    @property
    def vertices(self) -> list[np.ndarray]:
        """The vertices of each region, one ``(n_vertices, k)`` array per region in the
        slice coordinates (input coordinates for full domains); segments: the ends."""
        return list(self._cells)

    def _interior_params(self) -> np.ndarray:
        assert self._inner is not None
        return self._inner

    @property
    def interior_points(self) -> np.ndarray:
        """A point strictly inside each region, in input space ``(count, n0)``, certified:
        at each point every unit's decision is the region's pattern and strict, decided
        by a float filter with proven error bounds and exact integers behind it.

        The candidate is the midpoint of an interval, the area centroid of a polygon or
        the vertex average of a polytope. Where it fails (a region thinner than the float
        grid), the region's cell is rebuilt in exact rational arithmetic and its vertex
        average, rounded to float64, is certified instead; where that fails too, the row
        is NaN and :attr:`interior_points_exact` holds the exact rational point.
        """
        return np.array(self._certify()[0], dtype=np.float64)

    @property
    def interior_points_exact(self) -> list[tuple[tuple[int, ...], int]]:
        """A rational point strictly inside each region, in input space: per region
        ``(numerators, denominator)`` as Python ints (``denominator > 0``). It is the
        float of :attr:`interior_points` exactly, or, where that row is NaN, the exact
        vertex average of the region's cell. ``None`` for a region whose exact point
        could not be built (all of ``R^d``)."""
        x, exact = self._certify()
        out: list[Any] = []
        for i, row in enumerate(x):
            if exact[i] is not None:
                out.append(exact[i])
            elif np.all(np.isfinite(row)):
                out.append(_as_rational(row))
            else:
                out.append(None)
        return out

    def _certify(self) -> tuple[np.ndarray, list[Any]]:
        """Certified float interior points (NaN where none) and the exact fallbacks."""
        if self._certified is not None:
            return self._certified
        x = np.ascontiguousarray(self._origin + self._interior_params() @ self._dirs, dtype=np.float64)
        exact: list[Any] = [None] * len(x)
        if len(x):
            ok = _core.certify_interior(self._net._core, x, np.ascontiguousarray(self._packed))
            for i in np.flatnonzero(~ok):
                x[i] = np.nan
                if self._exact_domain is None:
                    continue
                kind, a, b, through, origin, dirs = self._exact_domain
                pt = _core.exact_interior_point(
                    self._net._core, np.ascontiguousarray(self._packed[i]), kind, origin, dirs, a, b, through
                )
                if pt is None:
                    continue
                nums, den = pt
                exact[i] = (tuple(int(v) for v in nums), int(den))
                cand = np.array([float(Fraction(int(v), int(den))) for v in nums])[None]
                if _core.certify_interior(self._net._core, cand, np.ascontiguousarray(self._packed[i : i + 1]))[0]:
                    x[i] = cand[0]
                    exact[i] = None
        self._certified = (x, exact)
        return self._certified

    @property
    def volumes(self) -> np.ndarray:
        """Segments: lengths in input space. Planes: areas in the ``(u, v)`` coordinates
        (true areas when ``e1, e2`` are orthonormal). Full domains: volumes, from the
        regions' vertices and facets in Rust (a pulling triangulation of each cell's face
        lattice; no convex-hull code, exact combinatorics, so flat or tiny regions are
        fine)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- adjacency
    @property
    def adjacency(self) -> np.ndarray:
        """Pairs ``(i, j)``, ``i < j``, of regions sharing a facet (int64 ``(E, 2)``).

        Exact: regions ``i`` and ``j`` are adjacent when their closures share a piece of
        dimension ``k - 1`` (``k`` the dimension of the domain: a point on a segment, a
        segment on a plane); touching at a lower-dimensional face (a corner) is not
        adjacency. Exact on the float64 inputs, so degenerate networks (coincident,
        dead or cancelling units, features thinner than the float grid) get the exact
        answer. For ReLU and leaky-ReLU networks the domain is walked again with every
        cut tagged by its unit: across a facet made by unit ``u`` of a region whose
        signs were all decided strictly lies the region with ``u``'s bit flipped; the
        other regions (and max-pooling networks, and segments) are decided from their
        cells rebuilt in rational arithmetic, where adjacent regions are those with a
        facet of equal exact vertices. See ``docs/math.md`` section 2 and
        ``regions_core::regions::adjacency``. Costs about one enumeration on generic
        networks, more where many regions are degenerate (see
        ``docs/bench/adjacency.md``). On a set from ``exact=False`` the pairs are exact
        for the regions it holds: a sliver the tolerance dropped leaves its neighbours
        unpaired. Not available for :class:`Space` sets."""
        if self._adjacency is None:
            self._adjacency = self._compute_adjacency()
        return self._adjacency

    def _compute_adjacency(self) -> np.ndarray:
        if self._exact_domain is None or len(self) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        return self._exact_adjacency()

    def _exact_adjacency(self, cells: bool = False) -> np.ndarray:
        """The core's exact pairs of this set (``cells=True``: every region from its
        exact cell, the second exact path the tests and the bench compare with)."""
        if self._exact_domain is None:
            raise ValueError("adjacency: this set keeps no exact domain")
        kind, a, b, through, origin, dirs = self._exact_domain

        def f64(x: Any) -> np.ndarray:
            return np.ascontiguousarray(x, dtype=np.float64)

        return np.asarray(
            _core.exact_adjacency(
                self._net._core,
                np.ascontiguousarray(self._packed),
                kind,
                f64(origin),
                f64(dirs),
                f64(np.atleast_2d(a)),
                f64(b),
                bool(through),
                cells=cells,
            )
        )

    def linear_pieces(self, rtol: float = 1e-9) -> np.ndarray:
        """Label of each region's linear piece.

        Adjacent regions (see :attr:`adjacency`) whose output maps are equal within
        ``rtol`` of their size are merged, transitively.

        Parameters
        ----------
        rtol : float
            Relative tolerance of "equal maps" (``0``: bitwise equal).

        Returns
        -------
        ndarray
            int64 labels ``0..n_pieces-1``, numbered in order of each piece's first region.
        """

        rtol = as_float(rtol, "rtol")
        if not rtol >= 0:
            raise ValueError(f"rtol: must be >= 0, got {rtol}")
        pairs = self.adjacency
        i, j = pairs[:, 0], pairs[:, 1]
        oa, ob = self._out_a.reshape(len(self), -1), self._out_b.reshape(len(self), -1)
        diff = np.maximum(
            np.abs(oa[i] - oa[j]).max(axis=1, initial=0.0), np.abs(ob[i] - ob[j]).max(axis=1, initial=0.0)
        )
        scale = np.maximum(
            np.maximum(np.abs(oa[i]).max(axis=1, initial=0.0), np.abs(ob[i]).max(axis=1, initial=0.0)), 1e-300
        )
        same = pairs[diff <= rtol * scale]
        return _core.components(len(self), np.ascontiguousarray(same, dtype=np.int64))

    @property
    def n_linear_pieces(self) -> int:
        """Number of linear pieces (see :meth:`linear_pieces`)."""
        return int(self.linear_pieces().max() + 1) if len(self) else 0

    # ---------------------------------------------------------------- linear maps
    def _index(self, i: Any) -> int:
        """A region index: an int in ``[0, count)`` (negative counts from the end)."""
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"i: expected an int, got {type(i).__name__} {i!r}")
        n = len(self)
        if not -n <= int(i) < n:
            raise IndexError(f"i: region {int(i)} out of range for {n} regions")
        return int(i) % n

    def output_map(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The output on region ``i`` as an affine map of the slice coordinates.

        Parameters
        ----------
        i : int
            The region.

        Returns
        -------
        a, B : ndarray
            ``output = a + B s`` with ``s = t`` (a segment), ``(u, v)`` (a plane) or ``x``
            (a domain).
        """
        i = self._index(i)
        return self._out_a[i], self._out_b[i]

    def affine_map(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The network on region ``i`` as an affine map of the input, composed from the
        region's pattern (:meth:`Network.pattern_affine_map`).

        Parameters
        ----------
        i : int
            The region.

        Returns
        -------
        M, c : ndarray
            ``output = M x + c`` (``M`` is ``(n_out, n0)``).
        """
        i = self._index(i)
        M, c = self._net.pattern_affine_map(self._net.decode_patterns(self._packed[i : i + 1])[0])
        return np.asarray(M), np.asarray(c)

    @property
    def jacobian_ranks(self) -> np.ndarray:
        """Rank of each region's input-output linear map ``M`` (int64)."""
        if self._is_identity_slice():
            # Full domains: the core's output map in input coordinates is M itself.
            if len(self) == 0:
                return np.zeros(0, dtype=np.int64)
            return np.asarray(np.linalg.matrix_rank(self._out_b)).astype(np.int64).reshape(len(self))
        return np.array([np.linalg.matrix_rank(self.affine_map(i)[0]) for i in range(len(self))], dtype=np.int64)

    def _is_identity_slice(self) -> bool:
        k, n0 = self._dirs.shape
        return k == n0 and not self._origin.any() and np.array_equal(self._dirs, np.eye(n0))

    # ---------------------------------------------------------------- pictures
    def plot(
        self,
        ax: Any = None,
        output: int | None = 0,
        cmap: str = "tab20",
        seed: int = 0,
        edgecolor: str = "white",
        linewidth: float = 0.3,
    ) -> Any:
        """Draw the regions in distinct colours (matplotlib), with the zero level set of
        network output ``output``, as in SplineCam's figures. Segments are drawn as the
        output along ``t`` with the breakpoints marked; higher-dimensional domains
        raise ``ValueError`` (plot a slice instead).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw (default: a new figure).
        output : int or None
            The network output whose zero level set is drawn (``None``: none).
        cmap : str
            A matplotlib colour map; region colours are drawn from it by ``seed``.
        seed : int
            Shuffles the colours (the same seed, the same picture).
        edgecolor : str
            Colour of the region boundaries.
        linewidth : float
            Width of the region boundaries.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        from ._plot import plot

        return plot(self, ax, output, cmap, seed, edgecolor, linewidth)


def _as_rational(row: np.ndarray) -> tuple[tuple[int, ...], int]:
    """Floats as exact ``(numerators, common denominator)``."""
    fr = [Fraction(float(v)) for v in row]
    den = lcm(*(f.denominator for f in fr)) if fr else 1
    return tuple(int(f * den) for f in fr), den
