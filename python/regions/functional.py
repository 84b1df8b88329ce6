"""The parameter Jacobian and the batch functional dimension (``docs/math.md`` section 4).

The Jacobian of a network's outputs on a batch of inputs with respect to every weight
and bias is computed exactly from the activation patterns (no finite differences); its
rank is the batch functional dimension. :meth:`regions.Network.parameter_jacobian` and
:meth:`regions.Network.functional_dimension` call the functions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core
from ._progress import progress_bar
from ._validate import as_bool, as_points, as_seed, as_threads, as_tol

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["FunctionalDimension", "check_off_boundary", "functional_dimension", "parameter_jacobian"]


@dataclass(frozen=True)
class FunctionalDimension:
    """A batch functional dimension and what it is compared with.

    Attributes
    ----------
    rank : int
        The rank of the parameter Jacobian on the batch.
    bound : int or None
        ``n_params - n_hidden`` for ReLU networks (positive scaling at each hidden
        unit leaves the function unchanged); ``None`` for other activations and for
        layers with a declared parameterization (a convolution's shared kernel: the
        scaling symmetry acts per channel, not per unit).
    n_params : int
        Number of parameters (columns of the Jacobian).
    n_rows : int
        Number of rows of the Jacobian (inputs × outputs).
    margin : float
        ``σ_min / σ_max`` of the Jacobian; NaN when exact, or when not requested with
        ``return_margin=True`` and a certificate decided.
    """

    rank: int
    bound: int | None
    n_params: int
    n_rows: int
    margin: float


def parameter_jacobian(net: Network, X: Any, *, n_threads: int | None = None, progress: bool = False) -> np.ndarray:
    """The Jacobian of ``net``'s outputs on the rows of ``X`` with respect to its parameters.

    Parameters
    ----------
    net : Network
        The network.
    X : array_like
        Inputs, ``(N, input_dim)``.
    n_threads : int, optional
        Worker threads (default: the global setting).
    progress : bool
        Show a progress bar (needs ``tqdm``).

    Returns
    -------
    ndarray
        ``(N * output_dim, n_params)`` float64; see :meth:`Network.parameter_jacobian`.
    """
    _check_jacobian(net)
    X = as_points(X, net.input_dim)
    with progress_bar(as_bool(progress, "progress"), X.shape[0], "jacobian") as cb:
        J: np.ndarray = _core.parameter_jacobian(net._core, X, n_threads=as_threads(n_threads), progress=cb)
        return J


def functional_dimension(
    net: Network,
    X: Any,
    *,
    tol: float | None = None,
    exact: bool = False,
    return_margin: bool = False,
    seed: int = 0,
    n_threads: int | None = None,
) -> FunctionalDimension:
    """The batch functional dimension of ``net`` on ``X``.

    Parameters
    ----------
    net : Network
        The network.
    X, tol, exact, return_margin, seed, n_threads
        As in :meth:`Network.functional_dimension`.

    Returns
    -------
    FunctionalDimension
        The rank with its bound, the matrix shape and the margin.
    """
    _check_jacobian(net)
    X = as_points(X, net.input_dim)
    relu = all(k == "relu" for k in net.activations)
    tied = net._out_params is not None or any(getattr(l, "params", None) is not None for l in net.layers)
    bound = net.n_params - net.n_hidden if relu and not tied else None
    if exact:
        if tol is not None:
            raise ValueError("tol: not used with exact=True (the rank over Q has no tolerance)")
        rank = _core.exact_functional_rank(net._core, X, as_seed(seed), n_threads=as_threads(n_threads))
        return FunctionalDimension(int(rank), bound, net.n_params, X.shape[0] * net.output_dim, float("nan"))
    check_off_boundary(net, X)
    J = parameter_jacobian(net, X, n_threads=n_threads)
    t = as_tol(tol)
    res = _core.matrix_rank(
        J,
        t,
        as_bool(exact, "exact"),
        as_seed(seed),
        as_bool(return_margin, "return_margin"),
        n_threads=as_threads(n_threads),
    )
    return FunctionalDimension(int(res.rank), bound, net.n_params, int(J.shape[0]), float(res.margin))


def _check_jacobian(net: Network) -> None:
    from .network import Network

    if not isinstance(net, Network):
        raise TypeError(f"net: expected a regions.Network, got {type(net).__name__}")
    if net._no_jacobian is not None:
        raise ValueError(f"net: the parameter Jacobian is not available: {net._no_jacobian}")


def check_off_boundary(net: Network, X: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first row of ``X`` with a ReLU pre-activation of
    exactly 0 (on a region boundary, where the Jacobian is not defined).

    Parameters
    ----------
    net : Network
        The network.
    X : ndarray
        Normalized inputs, ``(N, input_dim)`` float64.
    """
    from .network import Layer

    z = X
    for l, layer in enumerate(net.layers):
        if not (isinstance(layer, Layer) and layer.kind in ("relu", "leaky_relu")):
            return  # maxout / pooling ties are left to the caller
        h = layer.affine(z)
        if np.any(h == 0):
            i = int(np.argwhere(h == 0)[0][0])
            raise ValueError(f"X: row {i} lies on a region boundary (a pre-activation of layer {l} is exactly 0)")
        z = np.concatenate([np.where(h > 0, h, layer.alpha * h), z[:, layer.carry]], axis=1)
