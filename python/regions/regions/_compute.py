"""The region entry points: exact regions on a segment, on a 2D slice, in a domain, around
points, and on the plane through three inputs; the arguments they share are checked in
one place (``_walk``, ``_limit``, ``_mode``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .. import _core
from .._progress import progress_bar
from .._validate import as_bool, as_choice, as_float, as_float_array, as_limit, as_points, as_threads
from ._domains import Box, Polytope, Space
from ._kinds import PlaneRegionSet, SegmentRegionSet, _domain_region_set, _polygon_area
from ._sets import RegionSet
from ._space import SpaceRegionSet

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network


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
    max_seconds: float | None = None,
) -> RegionSet | int:
    """Exact regions of ``net`` on a segment; see :meth:`Network.regions_on_segment`.

    Parameters
    ----------
    net : Network
        The network.
    p, q, count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress, max_seconds
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
    return _walk(
        lambda *args, **kw: _core.regions_on_segment(net._core, pa, qa, *args, **kw),
        lambda seg: SegmentRegionSet(
            net,
            seg.intervals,
            seg.patterns,
            seg.out_a,
            seg.out_b,
            pa,
            (qa - pa)[None],
            stats=seg.stats,
            merged=merge_linear_pieces,
            exact_domain=("box", np.zeros((1, 1)), np.ones(1), True, pa, qa[None]),
        ),
        count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress, max_seconds,
    )  # fmt: skip


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
    max_seconds: float | None = None,
    _through: tuple[np.ndarray, np.ndarray] | None = None,
) -> RegionSet | int:
    """Exact regions of ``net`` on a 2D slice; see :meth:`Network.regions_on_plane`.

    Parameters
    ----------
    net : Network
        The network.
    origin, e1, e2, bounds, polygon, count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress, max_seconds
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
    # `_through = (x1, x2)`: the plane through x0, x1, x2 with e1 = x1 - x0, e2 = x2 - x0
    # kept exactly (not rounded) by the core.
    p1, p2 = _through if _through is not None else (a, b)
    corners = [tuple(v) for v in poly.tolist()]
    return _walk(
        lambda limit, streaming, **kw: _core.regions_on_plane(
            net._core, o, p1, p2, corners, limit, streaming, through=_through is not None, **kw
        ),
        lambda pl: PlaneRegionSet(
            net,
            pl.polygons,
            pl.patterns,
            pl.out_a,
            pl.out_b,
            o,
            np.stack([a, b]),
            stats=pl.stats,
            merged=merge_linear_pieces,
            marks=None if _through is None else np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
            exact_domain=("polygon", np.ascontiguousarray(poly), np.zeros(0), _through is not None, o, np.stack([p1, p2])),
        ),
        count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress, max_seconds,
    )  # fmt: skip


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
    max_seconds: float | None = None,
) -> RegionSet | int:
    """Exact regions of ``net`` in a full-dimensional domain; see :meth:`Network.regions`.

    Parameters
    ----------
    net : Network
        The network.
    domain, count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress, max_seconds
        As in :meth:`Network.regions`.

    Returns
    -------
    RegionSet or int
        The regions (a :class:`PlaneRegionSet` in 2D, else a :class:`DomainRegionSet`),
        or their count with ``count_only=True``.
    """
    d = net.input_dim
    if isinstance(domain, Space):
        if domain.dim != d:
            raise ValueError(f"domain: Space({domain.dim}), the network's input has dimension {d}")
        if as_bool(merge_linear_pieces, "merge_linear_pieces"):
            raise ValueError("merge_linear_pieces: not available on all of R^d (merge the regions of a Box)")
        return _walk(
            lambda *args, **kw: _core.regions_in_space(net._core, *args, **kw),
            lambda res: SpaceRegionSet(net, res, stats=res.stats),
            count_only, False, max_regions, exact, tol, n_threads, progress, max_seconds,
        )  # fmt: skip
    if isinstance(domain, Box):
        if domain.dim != d:
            raise ValueError(f"domain: a box of dimension {domain.dim}, the network's input has {d}")
        a, b, is_box = domain.lo, domain.hi, True
    elif isinstance(domain, Polytope):
        if domain.dim != d:
            raise ValueError(f"domain: a polytope of dimension {domain.dim}, the network's input has {d}")
        a, b, is_box = domain.A, domain.b, False
    else:
        raise TypeError(f"domain: expected regions.Box, regions.Polytope or regions.Space, got {type(domain).__name__}")
    walk = _core.regions_in_box if is_box else _core.regions_in_polytope
    return _walk(
        lambda *args, **kw: walk(net._core, a, b, *args, **kw),
        lambda dom: _domain_region_set(net, dom, domain, stats=dom.stats, merged=merge_linear_pieces),
        count_only, merge_linear_pieces, max_regions, exact, tol, n_threads, progress, max_seconds,
    )  # fmt: skip


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
    method: str = "auto",
) -> np.ndarray:
    """Exact local region counts of ``net``; see :meth:`Network.local_regions`.

    Parameters
    ----------
    net : Network
        The network.
    X, radius, max_regions, exact, tol, n_threads, progress, method
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
    with np.errstate(over="ignore"):
        flat = ~((X - r) < (X + r))
    if np.any(flat):
        i, j = (int(t) for t in np.argwhere(flat)[0])
        raise ValueError(
            f"radius: {r:g} does not move coordinate {j} of row {i} of X ({X[i, j]:g}) in float64; use a larger radius"
        )
    with progress_bar(as_bool(progress, "progress"), X.shape[0], "points", unit="point") as cb:
        counts = _core.local_region_counts(
            net._core,
            X,
            r,
            _limit(max_regions, True),
            **_mode(tol, exact),
            n_threads=as_threads(n_threads),
            progress=cb,
            method=as_choice(method, "method", ("auto", "vertices", "halfspaces")),
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


def _walk(
    call: Any,
    build: Any,
    count_only: bool,
    merge_linear_pieces: bool,
    max_regions: int | None,
    exact: bool | str,
    tol: float | None,
    n_threads: int | None,
    progress: bool,
    max_seconds: float | None = None,
) -> RegionSet | int:
    """Run a walk of the core with the arguments every entry point shares: ``call(limit,
    streaming, tol=, rational=, n_threads=, progress=)`` walks, ``build`` turns its result
    into a region set. Counting without merging streams in Rust and keeps nothing."""
    count_only, merging = as_bool(count_only, "count_only"), as_bool(merge_linear_pieces, "merge_linear_pieces")
    streaming = count_only and not merging
    mode = _mode(tol, exact)
    limit = _limit(max_regions, streaming)
    with progress_bar(as_bool(progress, "progress"), None, "regions", unit="region") as cb:
        res = call(
            limit, streaming, **mode, n_threads=as_threads(n_threads), progress=cb, max_seconds=_seconds(max_seconds)
        )
    if streaming:
        return int(res.count)
    rs = build(res)
    return int(rs.n_linear_pieces) if count_only else cast(RegionSet, rs)


def _seconds(max_seconds: float | None) -> float | None:
    """``max_seconds``: ``None`` (no time limit) or a finite number of seconds > 0."""
    if max_seconds is None:
        return None
    s = as_float(max_seconds, "max_seconds")
    if not (s > 0 and np.isfinite(s)):
        raise ValueError(f"max_seconds: must be a finite number of seconds > 0, got {s}")
    return s


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
