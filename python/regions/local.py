"""Local geometry of activation regions around data points (``docs/math.md`` section 2,
"Local complexity"): the distance from each point to the boundary of its region, and
the boundary density within a radius.

For ``x`` inside its region, every unit contributes affine constraints that hold on the
whole region: a ReLU or leaky ReLU unit its pre-activation ``z_i``, a maxout unit its
winning piece minus each other piece, a max-pooling unit its winning input minus each
other input. The region is the intersection of those half-spaces, so the Euclidean
distance from ``x`` to its boundary is

    ``dist(x) = min_c |c(x)| / ‖∇_x c(x)‖``

over the constraints ``c`` (gradients taken in ``x``'s region; redundant constraints
are farther than the boundary, so the minimum is the distance). A constraint with a
zero gradient (a dead unit) is no boundary. A point on a boundary (some ``c(x) = 0``)
has distance 0. The **boundary density** at ``x`` for radius ``r`` (Hanin & Rolnick's
density of region boundaries, the quantity behind Patel & Montúfar's local
complexity) is the number of units whose distance ``|c(x)| / ‖∇c‖`` (the smallest over
the unit's constraints) is less than ``r``, divided by ``2r``. Each unit's constraint is
taken as the affine function it is on ``x``'s region, extended beyond it: the count is
that of the linearized boundaries meeting the ball ``B(x, r)``. It is exact for the
first hidden layer (its boundaries are hyperplanes) and whenever ``B(x, r)`` stays in
``x``'s region (``r < dist(x)``: the density is 0); deeper boundaries bend where other
units switch, so beyond ``x``'s region it is the first-order estimate Hanin & Rolnick
use.

Both are computed in Rust in float64, in parallel over points, by one forward pass
that carries the input Jacobian of every layer (``O(d Σ n_l n_{l-1})`` flops per point
for input dimension ``d``), for every layer type a :class:`~regions.Network` supports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core
from ._progress import progress_bar
from ._validate import as_bool, as_float, as_points, as_threads

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["boundary_density", "distance_to_boundary"]


def _margins(net: Network, X: Any, radius: float | None, n_threads: int | None, progress: bool) -> Any:
    from .network import Network

    if not isinstance(net, Network):
        raise TypeError(f"net: expected a regions.Network, got {type(net).__name__}")
    X = as_points(X, net.input_dim)
    with progress_bar(as_bool(progress, "progress"), X.shape[0], "points", unit="point") as cb:
        return _core.local_margins(net._core, X, radius, n_threads=as_threads(n_threads), progress=cb)


def distance_to_boundary(
    net: Network, X: Any, *, return_unit: bool = False, n_threads: int | None = None, progress: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """The Euclidean distance from each row of ``X`` to the boundary of its activation
    region: ``min_c |c(x)| / ‖∇c(x)‖`` over the units' constraints (see the module
    docs).

    Parameters
    ----------
    net : Network
        The network.
    X : array_like
        Points, ``(n, input_dim)``.
    return_unit : bool
        Also return the hidden unit (index in the pattern, as in
        :meth:`Network.activation_patterns`) whose boundary is nearest (``-1`` when the
        region has no boundary: distance ``inf``).
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).
    progress : bool
        Show a progress bar of points done (needs ``tqdm``).

    Returns
    -------
    ndarray or (ndarray, ndarray)
        float64 distances, ``(n,)``; with ``return_unit`` also the int64 units.
    """
    return_unit = as_bool(return_unit, "return_unit")
    m = _margins(net, X, None, n_threads, progress)
    dist = np.asarray(m.distance)
    return (dist, np.asarray(m.unit)) if return_unit else dist


def boundary_density(
    net: Network, X: Any, radius: float, *, n_threads: int | None = None, progress: bool = False
) -> np.ndarray:
    """Boundary density at each row ``x`` of ``X``: the number of units whose boundary,
    linearized at ``x``, is closer than ``radius`` to ``x`` (along its own normal), divided
    by ``2 · radius``. Its mean over ``X`` is the data set's boundary density.

    Parameters
    ----------
    net : Network
        The network.
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
    r = as_float(radius, "radius")
    if not r > 0:
        raise ValueError(f"radius: must be > 0, got {r}")
    m = _margins(net, X, r, n_threads, progress)
    return np.asarray(m.within).astype(np.float64) / (2.0 * r)
