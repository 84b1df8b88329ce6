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
    ) -> np.ndarray:
        """Exact local complexity (``docs/math.md`` section 2): the number of linear regions
        meeting the box ``[x - radius, x + radius]`` in a set with interior, for each row
        ``x`` of ``X``.

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
        )
