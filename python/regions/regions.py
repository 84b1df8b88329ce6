"""Exact linear regions in input space (``docs/math.md`` section 2).

A :class:`RegionSet` holds every activation region with non-empty interior of a
network restricted to a segment ``p + t (q - p)``, ``t ∈ [0, 1]``, to a convex polygon
of the plane ``x = origin + u e1 + v e2`` (any input dimension), or to a
full-dimensional :class:`Box` or :class:`Polytope` of the input space.

How (Rust, ``regions_core::regions``): every hidden unit is the max of affine pieces
(ReLU ``[0, h]``, leaky ``[αh, h]``, maxout's pieces, a pooling window's inputs). A cell
carries the affine map of the current layer's input; a ReLU layer cuts it by each
unit's hyperplane and reads the pattern off the sides; a max unit keeps, per piece, the
part where that piece is the largest. Cells descend layer by layer, depth first and in
parallel, so ``count_only=True`` streams. Full-dimensional cells are polytopes stored
by vertices and facet incidences: a cut needs no LP (both sides have interior exactly
when vertices lie strictly on both sides; new vertices are edge crossings, edges found
by the combinatorial adjacency test).

Exactness (the default, ``exact=True``): every sign is decided by a filtered float
predicate with a proven error bound and, when that cannot decide, the cell is redone in
exact rational arithmetic on the float64 inputs. The regions are exact arithmetic's: none
without interior, none lost, whatever the degeneracy (``docs/math.md`` section 2).
``exact="rational"`` does all arithmetic exactly (the oracle of the default).

Tolerance (``exact=False``, the explicit choice): a vertex within
``tol · (|α| + ‖β‖₁ · extent)`` of a boundary ``α + β·x = 0`` lies on it (default
``tol = 1e-12``), so slivers thinner than that merge; on segments and planes, parts
smaller than ``tol^k`` times the domain are dropped too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import _core
from ._progress import progress_bar
from ._validate import as_float, as_float_array, as_limit, as_points, as_threads

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network


__all__ = [
    "Box",
    "DomainRegionSet",
    "PlaneRegionSet",
    "Polytope",
    "RegionSet",
    "SegmentRegionSet",
    "domain_regions",
    "local_counts",
    "plane_regions",
    "regions_through",
    "segment_regions",
]


class Box:
    """The box ``[lo, hi]`` of input space.

    Parameters
    ----------
    lo, hi : array_like
        Its corners, vectors of the same length with ``lo < hi`` in every coordinate.

    Raises
    ------
    ValueError
        The corners have different shapes, are not finite, or ``lo >= hi`` somewhere.
    """

    def __init__(self, lo: Any, hi: Any):
        lo_a = np.atleast_1d(as_float_array(lo, "lo"))
        hi_a = np.atleast_1d(as_float_array(hi, "hi"))
        if lo_a.ndim != 1 or lo_a.shape != hi_a.shape:
            raise ValueError(
                f"lo, hi: expected two vectors of the same length, got shapes {lo_a.shape} and {hi_a.shape}"
            )
        if not np.all(lo_a < hi_a):
            raise ValueError("lo, hi: need lo < hi in every coordinate")
        self.lo, self.hi = np.ascontiguousarray(lo_a), np.ascontiguousarray(hi_a)

    @property
    def dim(self) -> int:
        """The dimension ``d`` of the box."""
        return int(self.lo.shape[0])

    @property
    def volume(self) -> float:
        """The volume ``prod(hi - lo)`` (rounded to float64)."""
        return float(np.prod(self.hi - self.lo))

    @classmethod
    def cube(cls, d: int, lo: float = -1.0, hi: float = 1.0) -> Box:
        """The cube ``[lo, hi]^d``.

        Parameters
        ----------
        d : int
            Its dimension.
        lo, hi : float
            The bounds of every coordinate (``lo < hi``).

        Returns
        -------
        Box
            The cube.
        """
        return cls(np.full(d, float(lo)), np.full(d, float(hi)))

    def __repr__(self) -> str:
        return f"Box(lo={self.lo.tolist()}, hi={self.hi.tolist()})"


class Polytope:
    """The polytope ``{x : A x <= b}``.

    Parameters
    ----------
    A : array_like
        ``(m, d)`` with ``m > d`` and no zero row.
    b : array_like
        ``(m,)``.

    Notes
    -----
    It must be bounded with non-empty interior; that is checked (exactly) when regions
    are computed.
    """

    def __init__(self, A: Any, b: Any):
        A_a = as_float_array(A, "A", ndim=2)
        b_a = as_float_array(b, "b", ndim=1)
        if A_a.shape[0] != b_a.shape[0]:
            raise ValueError(f"A, b: A has {A_a.shape[0]} rows but b has {b_a.shape[0]} entries")
        if A_a.shape[0] <= A_a.shape[1]:
            raise ValueError(
                f"A: a bounded polytope in dimension {A_a.shape[1]} needs more than "
                f"{A_a.shape[1]} inequalities, got {A_a.shape[0]}"
            )
        zero = np.flatnonzero(~np.any(A_a != 0, axis=1))
        if zero.size:
            raise ValueError(f"A: row {int(zero[0])} is zero")
        self.A, self.b = np.ascontiguousarray(A_a), np.ascontiguousarray(b_a)

    @property
    def dim(self) -> int:
        """The dimension ``d`` of the polytope."""
        return int(self.A.shape[1])

    def __repr__(self) -> str:
        return f"Polytope({self.A.shape[0]} inequalities in dimension {self.dim})"


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
        domain: Any = None,
        stats: Any = None,
        merged: bool = False,
    ):
        self._net = net
        self._cells_store: Any = cells
        self._packed = packed
        self._out_a, self._out_b = out_a, out_b
        self._origin, self._dirs = origin, dirs  # dirs: (k, n0)
        self._inner = inner  # interior parameters when given
        self._domain = domain  # membership test of slice points, when not the default
        self._adjacency: np.ndarray | None = None
        self._hs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._merged = merged
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
        """A point strictly inside each region, in input space ``(count, n0)`` (the
        midpoint of an interval, the area centroid of a polygon, the average of the
        vertices of a polytope)."""
        return np.asarray(self._origin + self._interior_params() @ self._dirs)

    @property
    def volumes(self) -> np.ndarray:
        """Segments: lengths in input space. Planes: areas in the ``(u, v)`` coordinates
        (true areas when ``e1, e2`` are orthonormal). Full domains: volumes, from the
        regions' vertices and facets in Rust (a pulling triangulation of each cell's face
        lattice; no convex-hull code, exact combinatorics, so flat or tiny regions are
        fine)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- adjacency
    def _halfspaces(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Region ``j`` as ``{s : N s + c <= 0}`` with unit outward normals (one row per
        facet), computed once per region."""
        raise NotImplementedError

    def _facets(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(region, facet centre, unit outward normal) in slice coordinates."""
        out = []
        for i, v in enumerate(self._cells):
            normals, offsets = self._halfspaces(i)
            tol = 1e-9 * max(1.0, float(np.ptp(v, axis=0).max()))
            for n, c in zip(normals, offsets):
                on = np.abs(v @ n + c) <= tol
                if on.sum() >= v.shape[1]:
                    out.append((i, v[on].mean(axis=0), n))
        return out

    def _inside(self, s: np.ndarray) -> np.ndarray:
        """Whether slice points ``s`` ``(N, k)`` lie in the domain."""
        if self._domain is None:
            return np.ones(len(s), dtype=bool)
        return np.asarray(self._domain(s))

    @property
    def adjacency(self) -> np.ndarray:
        """Pairs ``(i, j)``, ``i < j``, of regions sharing a facet (int64 ``(E, 2)``).

        Found by stepping across the centre of every facet of every region and looking
        the pattern up (with a check that the region found has the facet's centre on
        its boundary, shrinking the step otherwise), from both sides. Exact when
        neighbouring facets subdivide alike, which holds for networks in general
        position (every boundary crossing a hyperplane continues across it)."""
        if self._adjacency is None:
            self._adjacency = self._compute_adjacency()
        return self._adjacency

    def _compute_adjacency(self) -> np.ndarray:
        facets = self._facets()
        index = {row.tobytes(): i for i, row in enumerate(self._packed)}
        pairs: set[tuple[int, int]] = set()
        todo = list(range(len(facets)))
        span = max(float(np.ptp(np.vstack([np.atleast_2d(c) for c in self.vertices]), axis=0).max()), 1e-300)
        # Smallest step first: the nearest region across the facet, not one beyond a
        # thin neighbour (a step of 1e-6 crossed slivers of width 5e-8 and paired regions
        # that share no boundary); larger steps only where the smaller did not leave i.
        for eps in (1e-12, 1e-9, 1e-6):
            if not todo:
                break
            pts = np.array([facets[f][1] + eps * span * facets[f][2] for f in todo])
            ok = self._inside(pts)
            x = self._origin + pts @ self._dirs
            pats = self._net.activation_patterns(x, packed=True)
            retry = []
            for f, inside, pat in zip(todo, ok, pats):
                if not inside:
                    continue  # a facet on the domain's boundary
                j = index.get(pat.tobytes())
                i = facets[f][0]
                if j is None or j == i or not self._touches(j, facets[f][1], eps * span):
                    retry.append(f)
                    continue
                pairs.add((min(i, j), max(i, j)))
            todo = retry
        return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)

    def _touches(self, j: int, c: np.ndarray, eps: float) -> bool:
        """Whether point ``c`` lies on (within ``10 eps``) the closed region ``j``."""
        normals, offsets = self._halfspaces(j)
        return bool(np.all(normals @ c + offsets <= eps * 10))

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
        raise ValueError(
            "plot: draws segments and 2D regions; for a higher-dimensional domain, plot a slice "
            "(Network.regions_on_plane)"
        )

    def _axes(self, ax: Any, figsize: tuple[float, float], cmap: str, seed: int) -> tuple[Any, Any]:
        try:
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover
            raise ImportError(
                "plot needs matplotlib: pip install matplotlib (the 'plot' extra of activation-regions)"
            ) from None
        if ax is None:
            _, ax = plt.subplots(figsize=figsize)
        colours = plt.get_cmap(cmap)(np.random.default_rng(seed).permutation(len(self)) % 20)
        return ax, colours


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

    def _facets(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        out = []
        for i, (t0, t1) in enumerate(self._cells):
            out += [(i, np.array([t0]), np.array([-1.0])), (i, np.array([t1]), np.array([1.0]))]
        return out

    def _inside(self, s: np.ndarray) -> np.ndarray:
        if self._domain is None:
            return (s[:, 0] >= 0) & (s[:, 0] <= 1)
        return np.asarray(self._domain(s))

    def _touches(self, j: int, c: np.ndarray, eps: float) -> bool:
        t0, t1 = self._cells[j]
        return bool(t0 - eps <= c[0] <= t1 + eps)

    def plot(
        self,
        ax: Any = None,
        output: int | None = 0,
        cmap: str = "tab20",
        seed: int = 0,
        edgecolor: str = "white",
        linewidth: float = 0.3,
    ) -> Any:
        """Draw the output along ``t``, one colour per region, breakpoints marked.

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
        ax, colours = self._axes(ax, (7, 3), cmap, seed)
        o = 0 if output is None else output
        for i, (t0, t1) in enumerate(self._cells):
            a, b = self._out_a[i, o], self._out_b[i, o, 0]
            ax.plot([t0, t1], [a + b * t0, a + b * t1], color=colours[i], lw=2)
        ax.vlines(self.breakpoints, *ax.get_ylim(), colors="0.8", lw=0.5)
        ax.set_xlabel("t")
        ax.set_ylabel(f"output {o}")
        ax.set_title(f"{self.count} regions on the segment", fontsize=9)
        return ax


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

    def _halfspaces(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        if j not in self._hs:
            self._hs[j] = _polygon_halfspaces(self._cells[j])[:2]
        return self._hs[j]

    def _facets(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        out = []
        for i, v in enumerate(self._cells):
            normals, _, mids, _ = _polygon_halfspaces(v)
            out += [(i, m, n) for m, n in zip(mids, normals)]
        return out

    def plot(
        self,
        ax: Any = None,
        output: int | None = 0,
        cmap: str = "tab20",
        seed: int = 0,
        edgecolor: str = "white",
        linewidth: float = 0.3,
    ) -> Any:
        """Draw the regions in distinct colours with the zero level set of network output
        ``output`` in black, as in SplineCam's figures.

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
        from matplotlib.collections import LineCollection, PolyCollection

        ax, colours = self._axes(ax, (5, 5), cmap, seed)
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
        ax.set_title(
            f"{self.count} linear regions" + ("" if output is None else f", output {output} = 0 in black"), fontsize=9
        )
        return ax


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

    def _halfspaces(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Facets by qhull (SciPy), merged within a relative 1e-9."""
        if j not in self._hs:
            v = self._cells[j]
            try:
                from scipy.spatial import ConvexHull
            except ImportError:
                raise ImportError(
                    "adjacency: the facets of regions in 3 or more dimensions need SciPy; "
                    "install the 'adjacency' extra (pip install '.[adjacency]') or scipy"
                ) from None
            tol = 1e-9 * max(1.0, float(np.ptp(v, axis=0).max()))
            rows: list[np.ndarray] = []
            for row in ConvexHull(v).equations:  # n·x + c <= 0 inside, |n| = 1
                if not any(np.allclose(row, r, atol=tol) for r in rows):
                    rows.append(row)
            eq = np.array(rows)
            self._hs[j] = (eq[:, :-1], eq[:, -1])
        return self._hs[j]


def _domain_region_set(
    net: Any, dom: Any, domain: Box | Polytope, *, stats: Any = None, merged: bool = False
) -> RegionSet:
    """The region set of a full-domain walk (the core's ``DomainRegions``): a segment set
    in 1D (intervals in order), a plane set in 2D (polygons counter-clockwise about
    their interior points), a :class:`DomainRegionSet` from 3 dimensions on."""
    flat, offsets, inner = dom.vertices, dom.offsets.astype(np.int64), dom.interior
    packed, out_a, out_b = dom.patterns, dom.out_a, dom.out_b
    d = inner.shape[1]
    kw: dict[str, Any] = {"domain": _inside_domain(domain), "stats": stats, "merged": merged}
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


def _polygon_halfspaces(poly: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A convex counter-clockwise polygon as ``{x : N x + c <= 0}``: unit outward
    normals ``N``, offsets ``c``, and the midpoints and lengths of the (non-degenerate)
    edges."""
    q = np.roll(poly, -1, axis=0)
    e = q - poly
    ln = np.hypot(e[:, 0], e[:, 1])
    keep = ln > 0
    normals = np.stack([e[keep, 1], -e[keep, 0]], axis=1) / ln[keep, None]
    return normals, -np.sum(normals * poly[keep], axis=1), 0.5 * (poly[keep] + q[keep]), ln[keep]


def _inside_polygon(poly: np.ndarray) -> Any:
    """Membership test of points in a convex counter-clockwise polygon (closed)."""
    normals, offsets = _polygon_halfspaces(poly)[:2]
    tol = 1e-12 * max(float(np.abs(poly).max()), 1.0)
    return lambda s: np.all(s @ normals.T + offsets <= tol, axis=1)


def _inside_domain(domain: Box | Polytope) -> Any:
    """Membership test of points in a Box or Polytope (closed)."""
    if isinstance(domain, Box):
        return lambda x: np.all((x >= domain.lo) & (x <= domain.hi), axis=1)
    return lambda x: np.all(x @ domain.A.T <= domain.b + 1e-12 * (1 + np.abs(domain.b)), axis=1)


def segment_regions(
    net: Network,
    p: Any,
    q: Any,
    *,
    count_only: bool = False,
    merge_linear_pieces: bool = False,
    max_regions: int | None = None,
    exact: bool | str = True,
    tol: float | None = None,
    n_threads: int | None = None,
    progress: bool = False,
) -> RegionSet | int:
    """Exact regions of ``net`` on a segment; see :meth:`Network.regions_on_segment`.

    Parameters
    ----------
    net : Network
        The network.
    p, q, count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress
        As in :meth:`Network.regions_on_segment`.

    Returns
    -------
    SegmentRegionSet or int
        The regions, or their count with ``count_only=True``.
    """
    d = net.input_dim
    pa, qa = as_float_array(p, "p", shape=(d,)), as_float_array(q, "q", shape=(d,))
    if np.array_equal(pa, qa):
        raise ValueError("p, q: the segment is a single point (p == q)")
    streaming = bool(count_only) and not merge_linear_pieces  # count in Rust, keep nothing
    with progress_bar(bool(progress), None, "regions", unit="region") as cb:
        seg = _core.regions_on_segment(
            net._core,
            pa,
            qa,
            _limit(max_regions, streaming),
            streaming,
            **_mode(tol, exact),
            n_threads=as_threads(n_threads),
            progress=cb,
        )
    if streaming:
        return int(seg.count)
    rs = SegmentRegionSet(
        net,
        seg.intervals,
        seg.patterns,
        seg.out_a,
        seg.out_b,
        pa,
        (qa - pa)[None],
        stats=seg.stats,
        merged=merge_linear_pieces,
    )
    return rs.n_linear_pieces if count_only else rs


def plane_regions(
    net: Network,
    origin: Any,
    e1: Any,
    e2: Any,
    bounds: Any = (0.0, 1.0, 0.0, 1.0),
    *,
    polygon: Any = None,
    count_only: bool = False,
    merge_linear_pieces: bool = False,
    max_regions: int | None = None,
    exact: bool | str = True,
    tol: float | None = None,
    n_threads: int | None = None,
    progress: bool = False,
    _through: tuple[np.ndarray, np.ndarray] | None = None,
) -> RegionSet | int:
    """Exact regions of ``net`` on a 2D slice; see :meth:`Network.regions_on_plane`.

    Parameters
    ----------
    net : Network
        The network.
    origin, e1, e2, bounds, polygon, count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress
        As in :meth:`Network.regions_on_plane`.
    _through : tuple of ndarray, optional
        ``(x1, x2)``: the plane through ``origin``, ``x1``, ``x2`` with ``e1 = x1 - origin``,
        ``e2 = x2 - origin`` kept exactly (not rounded) by the core.

    Returns
    -------
    PlaneRegionSet or int
        The regions, or their count with ``count_only=True``.
    """
    d = net.input_dim
    o = as_float_array(origin, "origin", shape=(d,))
    a, b = as_float_array(e1, "e1", shape=(d,)), as_float_array(e2, "e2", shape=(d,))
    if np.linalg.matrix_rank(np.stack([a, b])) < 2:
        raise ValueError("e1, e2: must be linearly independent (they span the slice)")
    if polygon is None:
        bx = as_float_array(bounds, "bounds", shape=(4,))
        u0, u1, v0, v1 = (float(t) for t in bx)
        if not (u0 < u1 and v0 < v1):
            raise ValueError(f"bounds: need u0 < u1 and v0 < v1, got {tuple(bx)}")
        poly = np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]])
    else:
        poly = as_float_array(polygon, "polygon", shape=(None, 2))
        if len(poly) >= 3 and _polygon_area(poly) < 0:
            poly = poly[::-1]  # counter-clockwise; the core checks the rest (convex, >= 3)
    streaming = bool(count_only) and not merge_linear_pieces  # count in Rust, keep nothing
    with progress_bar(bool(progress), None, "regions", unit="region") as cb:
        # `_through = (x1, x2)`: the plane through x0, x1, x2 with e1 = x1 - x0, e2 = x2 - x0
        # kept exactly (not rounded) by the core.
        p1, p2 = _through if _through is not None else (a, b)
        pl = _core.regions_on_plane(
            net._core,
            o,
            p1,
            p2,
            [tuple(v) for v in poly.tolist()],
            _limit(max_regions, streaming),
            streaming,
            **_mode(tol, exact),
            through=_through is not None,
            n_threads=as_threads(n_threads),
            progress=cb,
        )
    if streaming:
        return int(pl.count)
    rs = PlaneRegionSet(
        net,
        pl.polygons,
        pl.patterns,
        pl.out_a,
        pl.out_b,
        o,
        np.stack([a, b]),
        domain=_inside_polygon(poly),
        stats=pl.stats,
        merged=merge_linear_pieces,
    )
    return rs.n_linear_pieces if count_only else rs


def domain_regions(
    net: Network,
    domain: Any,
    *,
    count_only: bool = False,
    merge_linear_pieces: bool = False,
    max_regions: int | None = None,
    exact: bool | str = True,
    tol: float | None = None,
    n_threads: int | None = None,
    progress: bool = False,
) -> RegionSet | int:
    """Exact regions of ``net`` in a full-dimensional domain; see :meth:`Network.regions`.

    Parameters
    ----------
    net : Network
        The network.
    domain, count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress
        As in :meth:`Network.regions`.

    Returns
    -------
    RegionSet or int
        The regions (a :class:`PlaneRegionSet` in 2D, else a :class:`DomainRegionSet`),
        or their count with ``count_only=True``.
    """
    d = net.input_dim
    if isinstance(domain, Box):
        if domain.dim != d:
            raise ValueError(f"domain: a box of dimension {domain.dim}, the network's input has {d}")
        a, b, is_box = domain.lo, domain.hi, True
    elif isinstance(domain, Polytope):
        if domain.dim != d:
            raise ValueError(f"domain: a polytope of dimension {domain.dim}, the network's input has {d}")
        a, b, is_box = domain.A, domain.b, False
    else:
        raise TypeError(f"domain: expected regions.Box or regions.Polytope, got {type(domain).__name__}")
    streaming = bool(count_only) and not merge_linear_pieces  # count in Rust, keep nothing
    with progress_bar(bool(progress), None, "regions", unit="region") as cb:
        walk = _core.regions_in_box if is_box else _core.regions_in_polytope
        dom = walk(
            net._core,
            a,
            b,
            _limit(max_regions, streaming),
            streaming,
            **_mode(tol, exact),
            n_threads=as_threads(n_threads),
            progress=cb,
        )
    if streaming:
        return int(dom.count)
    rs = _domain_region_set(net, dom, domain, stats=dom.stats, merged=merge_linear_pieces)
    return rs.n_linear_pieces if count_only else rs


def local_counts(
    net: Network,
    X: Any,
    radius: float,
    *,
    max_regions: int | None = None,
    exact: bool | str = True,
    tol: float | None = None,
    n_threads: int | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Exact local region counts of ``net``; see :meth:`Network.local_regions`.

    Parameters
    ----------
    net : Network
        The network.
    X, radius, max_regions, exact, tol, n_threads, progress
        As in :meth:`Network.local_regions`.

    Returns
    -------
    ndarray
        int64 counts, one per row of ``X``.
    """
    X = as_points(X, net.input_dim)
    r = as_float(radius, "radius")
    if not r > 0:
        raise ValueError(f"radius: must be > 0, got {r}")
    with progress_bar(bool(progress), X.shape[0], "points", unit="point") as cb:
        counts = _core.local_region_counts(
            net._core,
            X,
            r,
            _limit(max_regions, True),
            **_mode(tol, exact),
            n_threads=as_threads(n_threads),
            progress=cb,
        )
    return counts.astype(np.int64)


def regions_through(net: Network, x0: Any, x1: Any, x2: Any, *, region: str = "triangle", **kw: Any) -> RegionSet:
    """Regions of ``net`` on the plane through three inputs; see :meth:`Network.regions_through`.

    Parameters
    ----------
    net : Network
        The network.
    x0, x1, x2, region, **kw
        As in :meth:`Network.regions_through`.

    Returns
    -------
    PlaneRegionSet
        The regions.
    """
    d = net.input_dim
    a, b, c = (as_float_array(x, name, shape=(d,)) for x, name in ((x0, "x0"), (x1, "x1"), (x2, "x2")))
    if region == "triangle":
        return cast(
            "RegionSet",
            plane_regions(net, a, b - a, c - a, polygon=[(0, 0), (1, 0), (0, 1)], _through=(b, c), **kw),
        )
    if region == "parallelogram":
        return cast("RegionSet", plane_regions(net, a, b - a, c - a, (0, 1, 0, 1), _through=(b, c), **kw))
    raise ValueError(f"region: expected 'triangle' or 'parallelogram', got {region!r}")


def _limit(max_regions: int | None, counting: bool) -> int:
    """``max_regions``: ``None`` means 10 million regions kept in memory, and no limit
    when only counting (streaming)."""
    if max_regions is None:
        return 2**63 - 1 if counting else 10_000_000
    return as_limit(max_regions, "max_regions")


def _mode(tol: float | None, exact: bool | str = True) -> dict[str, Any]:
    """The core's sign mode as keyword arguments ``tol`` and ``rational``.

    ``exact=True`` (filtered floats, redone exactly when undecided) accepts ``tol``
    only as ``None`` or ``0``; ``exact=False`` uses ``tol`` (default ``1e-12``; ``0``
    is exact); ``exact="rational"`` is exact arithmetic throughout (an oracle)."""
    if exact == "rational":
        if tol is not None:
            raise ValueError("tol: not used with exact='rational'")
        return {"tol": None, "rational": True}
    if not isinstance(exact, (bool, np.bool_)):
        raise TypeError(f"exact: expected True, False or 'rational', got {exact!r}")
    if tol is None:
        return {"tol": None if exact else 1e-12, "rational": False}
    t = as_float(tol, "tol")
    if not 0 <= t < 1e-3:
        raise ValueError(f"tol: must be in [0, 1e-3), got {t}")
    if exact and t != 0:
        raise ValueError(f"tol: a tolerance ({t}) merges thin regions and is not exact; pass exact=False with it")
    return {"tol": t, "rational": False}
