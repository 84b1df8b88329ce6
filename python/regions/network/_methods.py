"""The region entry points of :class:`~regions.Network`: thin methods over the
functions of :mod:`regions.regions` (which document the computations), with overloads
so that ``count_only=True`` types as ``int``. The computations sit above the network
types, so they are imported when called."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast, overload

import numpy as np

from ._persist import _Persisted

if TYPE_CHECKING:  # pragma: no cover
    from ..regions import RegionSet
    from ._model import Network


class _RegionMethods(_Persisted):
    """Exact regions on segments, planes, domains and around points."""

    def _network(self) -> Network:
        return cast("Network", self)

    # ------------------------------------------------------------- exact regions
    @overload
    def regions_on_segment(
        self,
        p: Any,
        q: Any,
        *,
        count_only: Literal[False] = ...,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
    ) -> RegionSet: ...

    @overload
    def regions_on_segment(
        self,
        p: Any,
        q: Any,
        *,
        count_only: Literal[True],
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
    ) -> int: ...

    @overload
    def regions_on_segment(
        self,
        p: Any,
        q: Any,
        *,
        count_only: bool,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
    ) -> RegionSet | int: ...

    def regions_on_segment(
        self,
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
        """Exact linear regions on the segment ``p + t (q - p)``, ``t ∈ [0, 1]``, in any
        input dimension.

        Parameters
        ----------
        p, q : array_like
            The segment's ends, ``(input_dim,)``, ``p != q``.
        count_only : bool
            Return the count as a Python int, streaming in memory bounded by the
            network's depth (no regions kept).
        merge_linear_pieces : bool
            Count linear pieces instead: adjacent regions with equal affine maps merged
            (see :meth:`RegionSet.linear_pieces`).
        max_regions : int, optional
            More regions raise :class:`regions.LimitExceededError` (default: 10 million
            when regions are kept, no limit with ``count_only``).
        exact : bool or "rational"
            ``True`` (the default): exact rational arithmetic's answer on the float64
            inputs (filtered float predicates, redone exactly when undecided; see
            :mod:`regions.regions`). ``False``: the explicit choice to merge regions
            thinner than ``tol``. ``"rational"``: all arithmetic exact, no float filter
            (slow; the oracle of the default).
        tol : float, optional
            With ``exact=False``, the relative tolerance (default ``1e-12``; ``0`` is
            exact).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of regions found (needs ``tqdm``).
        max_seconds : float, optional
            Stop after this many seconds and raise :class:`regions.LimitExceededError`;
            its ``lower_bound`` attribute is the number of regions found so far (a
            lower bound of the count, not the count). Default: no time limit.

        Returns
        -------
        SegmentRegionSet or int
            The regions (``.intervals``, ``.breakpoints``, ``.patterns``, ``.volumes``
            (lengths), ``.affine_map(i)``, ``.plot()``), or their count with
            ``count_only=True``.
        """
        from .. import regions as api

        return api.segment_regions(
            self._network(),
            p,
            q,
            count_only=count_only,
            merge_linear_pieces=merge_linear_pieces,
            max_regions=max_regions,
            exact=exact,
            tol=tol,
            n_threads=n_threads,
            progress=progress,
            max_seconds=max_seconds,
        )

    @overload
    def regions_on_plane(
        self,
        origin: Any,
        e1: Any,
        e2: Any,
        bounds: Any = (0.0, 1.0, 0.0, 1.0),
        *,
        polygon: Any = ...,
        count_only: Literal[False] = ...,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
        _through: tuple[np.ndarray, np.ndarray] | None = ...,
    ) -> RegionSet: ...

    @overload
    def regions_on_plane(
        self,
        origin: Any,
        e1: Any,
        e2: Any,
        bounds: Any = (0.0, 1.0, 0.0, 1.0),
        *,
        polygon: Any = ...,
        count_only: Literal[True],
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
        _through: tuple[np.ndarray, np.ndarray] | None = ...,
    ) -> int: ...

    @overload
    def regions_on_plane(
        self,
        origin: Any,
        e1: Any,
        e2: Any,
        bounds: Any = (0.0, 1.0, 0.0, 1.0),
        *,
        polygon: Any = ...,
        count_only: bool,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
        _through: tuple[np.ndarray, np.ndarray] | None = ...,
    ) -> RegionSet | int: ...

    def regions_on_plane(
        self,
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
        """Exact linear regions on the 2D slice ``x = origin + u e1 + v e2``, in any input
        dimension.

        Parameters
        ----------
        origin, e1, e2 : array_like
            The slice, ``(input_dim,)`` each; ``e1`` and ``e2`` linearly independent.
        bounds : sequence of 4 floats
            The box ``(u0, u1, v0, v1)`` of slice coordinates (when ``polygon`` is not
            given).
        polygon : array_like, optional
            A convex polygon of ``(u, v)`` vertices instead of ``bounds``.
        count_only : bool
            Return the count as a Python int, streaming in memory bounded by the
            network's depth (no regions kept).
        merge_linear_pieces : bool
            Count linear pieces instead: adjacent regions with equal affine maps merged
            (see :meth:`RegionSet.linear_pieces`).
        max_regions : int, optional
            More regions raise :class:`regions.LimitExceededError` (default: 10 million
            when regions are kept, no limit with ``count_only``).
        exact : bool or "rational"
            ``True`` (the default): exact rational arithmetic's answer on the float64
            inputs (filtered float predicates, redone exactly when undecided; see
            :mod:`regions.regions`). ``False``: the explicit choice to merge regions
            thinner than ``tol``. ``"rational"``: all arithmetic exact, no float filter
            (slow; the oracle of the default).
        tol : float, optional
            With ``exact=False``, the relative tolerance (default ``1e-12``; ``0`` is
            exact).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of regions found (needs ``tqdm``).
        max_seconds : float, optional
            Stop after this many seconds and raise :class:`regions.LimitExceededError`;
            its ``lower_bound`` attribute is the number of regions found so far (a
            lower bound of the count, not the count). Default: no time limit.

        Returns
        -------
        PlaneRegionSet or int
            The regions (``.polygons``, ``.patterns``, ``.volumes`` (areas),
            ``.interior_points``, ``.affine_map(i)``, ``.jacobian_ranks``,
            ``.adjacency``, ``.plot()``), or their count with ``count_only=True``.
        """
        from .. import regions as api

        return api.plane_regions(
            self._network(),
            origin,
            e1,
            e2,
            bounds,
            polygon=polygon,
            count_only=count_only,
            merge_linear_pieces=merge_linear_pieces,
            max_regions=max_regions,
            exact=exact,
            tol=tol,
            n_threads=n_threads,
            progress=progress,
            max_seconds=max_seconds,
            _through=_through,
        )

    @overload
    def regions(
        self,
        domain: Any,
        *,
        count_only: Literal[False] = ...,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
    ) -> RegionSet: ...

    @overload
    def regions(
        self,
        domain: Any,
        *,
        count_only: Literal[True],
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
    ) -> int: ...

    @overload
    def regions(
        self,
        domain: Any,
        *,
        count_only: bool,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        max_seconds: float | None = ...,
    ) -> RegionSet | int: ...

    def regions(
        self,
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
        """Every activation region of the network inside a full-dimensional domain of
        input space, or in all of it.

        Exact cell splitting in Rust (see :mod:`regions.regions`), parallel over cells;
        enumeration is practical for small input dimensions (3, 4, 6 and beyond while
        the count is feasible). Counting a :class:`Box` (``count_only=True``) above
        ``d = 6`` walks it in halfspace form, as :meth:`local_regions` does: any
        dimension (784 and more), every decision certified.

        Parameters
        ----------
        domain : Box, Polytope or Space
            :class:`regions.Box` ``(lo, hi)``, a bounded :class:`regions.Polytope`
            ``(A, b)`` (``{x : A x <= b}``) of dimension ``input_dim``, or
            :class:`regions.Space` ``(input_dim)``: all of ``R^d``, exactly (unbounded
            regions as points and rays, a :class:`regions.SpaceRegionSet`; up to
            ``d = 20``).
        count_only : bool
            Return the count as a Python int, streaming in memory bounded by the
            network's depth (no regions kept).
        merge_linear_pieces : bool
            Count linear pieces instead: adjacent regions with equal affine maps merged
            (see :meth:`RegionSet.linear_pieces`).
        max_regions : int, optional
            More regions raise :class:`regions.LimitExceededError` (default: 10 million
            when regions are kept, no limit with ``count_only``).
        exact : bool or "rational"
            ``True`` (the default): exact rational arithmetic's answer on the float64
            inputs (filtered float predicates, redone exactly when undecided; see
            :mod:`regions.regions`). ``False``: the explicit choice to merge regions
            thinner than ``tol``. ``"rational"``: all arithmetic exact, no float filter
            (slow; the oracle of the default).
        tol : float, optional
            With ``exact=False``, the relative tolerance (default ``1e-12``; ``0`` is
            exact).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of regions found (needs ``tqdm``).
        max_seconds : float, optional
            Stop after this many seconds and raise :class:`regions.LimitExceededError`;
            its ``lower_bound`` attribute is the number of regions found so far (a
            lower bound of the count, not the count). Default: no time limit.

        Returns
        -------
        RegionSet or int
            The regions (``.vertices``, ``.interior_points``, ``.patterns``,
            ``.volumes``, ``.affine_map(i)``, ``.jacobian_ranks``; a 2D domain also has
            ``.polygons``, ``.adjacency`` and ``.plot()``), or their count with
            ``count_only=True``.
        """
        from .. import regions as api

        return api.domain_regions(
            self._network(),
            domain,
            count_only=count_only,
            merge_linear_pieces=merge_linear_pieces,
            max_regions=max_regions,
            exact=exact,
            tol=tol,
            n_threads=n_threads,
            progress=progress,
            max_seconds=max_seconds,
        )

    def regions_through(self, x0: Any, x1: Any, x2: Any, *, region: str = "triangle", **kw: Any) -> RegionSet:
        """Regions on the plane through three inputs (Hanin & Rolnick).

        The slice is ``origin = x0``, ``e1 = x1 - x0``, ``e2 = x2 - x0``, with the three
        points kept exactly (the differences are not rounded).

        Parameters
        ----------
        x0, x1, x2 : array_like
            The inputs, ``(input_dim,)`` each.
        region : {"triangle", "parallelogram"}
            ``"triangle"``: ``u, v >= 0``, ``u + v <= 1``; ``"parallelogram"``:
            ``[0, 1]^2``.
        **kw
            As in :meth:`regions_on_plane`.

        Returns
        -------
        PlaneRegionSet
            The regions.
        """
        from .. import regions as api

        return api.regions_through(self._network(), x0, x1, x2, region=region, **kw)
