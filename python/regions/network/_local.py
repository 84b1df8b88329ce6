"""Local complexity of :class:`~regions.Network` around data points: exact local
region counts (the computations are in :mod:`regions.regions`, imported when called)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._methods import _RegionMethods


class _LocalMethods(_RegionMethods):
    """Local complexity around points."""

    def local_regions(
        self,
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
        """Exact local complexity (``docs/math.md`` section 2): the number of linear regions
        meeting the box ``[x - radius, x + radius]`` in a set with interior, for each row
        ``x`` of ``X``, in any input dimension.

        Parameters
        ----------
        X : array_like
            Points, ``(n, input_dim)``.
        radius : float
            Half the box's side, ``> 0`` (the box is rounded to float64, then counted
            exactly).
        max_regions : int, optional
            Limit per box (default: none).
        exact, tol, n_threads
            As in :meth:`regions_on_segment`.
        progress : bool
            Show a progress bar of points done (needs ``tqdm``).
        method : {"auto", "vertices", "halfspaces"}
            How a box is walked. ``"vertices"``: by its ``2**d`` vertices (``d <= 20``;
            fast in low dimension). ``"halfspaces"``: as the box and the cuts, each
            decision proven by a certificate (a Lagrangian lower bound of the unit over
            the cell, or a float point certified strictly inside each side), in any
            dimension; a box where neither certificate decides a sign is redone by its
            vertices when ``d <= 20``, and raises ``LimitExceededError`` (name
            ``exact``) above, never a wrong count. ``"auto"`` (default): vertices up to
            ``d = 6``, halfspaces above.

        Returns
        -------
        ndarray
            int64 counts, one per point, computed in parallel over points.
        """
        from .. import regions as api

        return api.local_counts(
            self._network(),
            X,
            radius,
            max_regions=max_regions,
            exact=exact,
            tol=tol,
            n_threads=n_threads,
            progress=progress,
            method=method,
        )

    def distance_to_boundary(
        self, X: Any, *, return_unit: bool = False, n_threads: int | None = None, progress: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """The Euclidean distance from each row of ``X`` to the boundary of its activation
        region, ``min |c(x)| / ‖∇c(x)‖`` over the units' constraints in ``x``'s region
        (see :func:`regions.local.distance_to_boundary`).

        Parameters
        ----------
        X : array_like
            Points, ``(n, input_dim)``.
        return_unit : bool
            Also return the nearest boundary's hidden unit (pattern index; ``-1``: none).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of points done (needs ``tqdm``).

        Returns
        -------
        ndarray or (ndarray, ndarray)
            float64 distances ``(n,)`` (0 on a boundary, ``inf`` without one); with
            ``return_unit`` also the int64 units.
        """
        from .. import local

        return local.distance_to_boundary(
            self._network(), X, return_unit=return_unit, n_threads=n_threads, progress=progress
        )

    def boundary_density(
        self, X: Any, radius: float, *, n_threads: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Boundary density at each row ``x`` of ``X``: the number of units whose
        boundary, linearized at ``x``, is closer than ``radius`` to ``x``, divided by
        ``2 · radius`` (see :func:`regions.local.boundary_density`); ``.mean()`` is the
        data set's.

        Parameters
        ----------
        X : array_like
            Points, ``(n, input_dim)``.
        radius : float
            ``r > 0``.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of points done (needs ``tqdm``).

        Returns
        -------
        ndarray
            float64 densities, ``(n,)``.
        """
        from .. import local

        return local.boundary_density(self._network(), X, radius, n_threads=n_threads, progress=progress)
