"""Jacobian ranks in parameter-space regions: the Jacobian of a pattern, its rank
(numerical, certified or exact), pattern sampling schemes and full-rank fractions."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._progress import progress_bar
from .._validate import as_bool, as_float_array, as_int, as_seed, as_threads, as_tol
from ._patterns import Init, Scheme, Wrt, _check_wrt, _data, _pack, _pattern_array, _unpack


def jacobian(
    X: Any, A: Any, v: Any = None, *, bias: bool = True, wrt: Wrt = "first", W: Any = None, b: Any = None
) -> np.ndarray:
    """The Jacobian of ``(f(x_1), ..., f(x_n))`` in the region of pattern ``A``.

    Parameters
    ----------
    X : array_like
        The data, ``(n, d)``, one row per point.
    A : array_like
        One pattern, ``(m, n)``, bool or 0/1.
    v : array_like, optional
        Output weights ``(m,)`` (default: all ones).
    bias : bool
        Whether the units have biases (``x̃_j = (x_j, 1)``).
    wrt : {"first", "all"}
        ``"first"``: with respect to ``(w_i, b_i)``; ``"all"`` appends the columns for
        ``v`` (``A_ij (w_i·x_j + b_i)``, which need ``W`` and ``b``) and for the output
        bias (ones).
    W, b : array_like, optional
        The first layer's parameters, for ``wrt="all"``.

    Returns
    -------
    ndarray
        ``n × m·D`` float64 (column ``i·D + c`` is ``v_i A_ij x̃_jc``), plus ``m + 1``
        columns with ``wrt="all"``.
    """
    X = _data(X)
    n, d = X.shape
    _check_wrt(wrt)
    a, single = _pattern_array(A, n)
    if not single:
        raise ValueError(f"A: expected one pattern of shape (m, n), got {np.asarray(A).shape}")
    m = a.shape[1]
    va = None if v is None else as_float_array(v, "v", shape=(m,))
    J = _core.landscape_jacobian(X, _pack(a[0]), va, as_bool(bias, "bias"))
    if wrt == "all":
        if W is None or (bias and b is None):
            raise ValueError("W, b: the Jacobian with respect to all parameters needs W (and b with bias)")
        Wa = as_float_array(W, "W", shape=(m, d))
        ba = as_float_array(b, "b", shape=(m,)) if bias else np.zeros(m)
        H = (X @ Wa.T + ba).T  # (m, n)
        Jv = (a[0] * H).T
        J = np.hstack([J, Jv, np.ones((n, 1))])
    return J


def jacobian_rank(
    X: Any,
    A: Any,
    v: Any = None,
    *,
    wrt: Wrt = "first",
    bias: bool = True,
    tol: float | None = None,
    exact: bool = False,
    return_margin: bool = False,
    seed: int = 0,
    n_threads: int | None = None,
    progress: bool = False,
) -> Any:
    """The rank of the Jacobian in the region of a pattern, or of each pattern of a batch
    (in parallel).

    Parameters
    ----------
    X : array_like
        The data, ``(n, d)``, one row per point.
    A : array_like
        A pattern ``(m, n)`` or a batch ``(T, m, n)``, bool or 0/1.
    v : array_like, optional
        Output weights ``(m,)``. Only which ``v_i`` are zero matters: scaling unit
        ``i``'s columns by ``v_i ≠ 0`` does not change the rank, so the rank (and the
        margin) are computed with ``sign(v)``, and a tiny nonzero scale (``1e-170``)
        gives the same rank as 1.
    wrt : {"first", "all"}
        ``"all"`` is ``rank [J | 1]``.
    bias : bool
        Whether the units have biases.
    tol : float, optional
        Singular-value tolerance (default: NumPy's ``σ_max · max(rows, cols) · eps``).
    exact : bool
        Decide ranks exactly over Q instead (modulo random primes).
    return_margin : bool
        Also return ``σ_min / σ_max`` (the smallest relevant singular-value ratio; NaN
        for exact ranks).
    seed : int
        Draws the primes of the exact rank.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).
    progress : bool
        Show a progress bar (needs ``tqdm``).

    Returns
    -------
    int or ndarray
        The rank (an int), or int64 ``(T,)`` for a batch; with ``return_margin=True``,
        ``(rank, margin)``.
    """
    X = _data(X)
    n = X.shape[0]
    _check_wrt(wrt)
    a, single = _pattern_array(A, n)
    m = a.shape[1]
    va = None if v is None else np.sign(as_float_array(v, "v", shape=(m,)))
    t = as_tol(tol)
    if t is not None and t < 0:
        raise ValueError(f"tol: must be >= 0, got {t}")
    with progress_bar(as_bool(progress, "progress"), a.shape[0], "ranks", unit="pattern") as cb:
        res = _core.landscape_jacobian_ranks(
            X,
            _pack(a),
            va,
            as_bool(bias, "bias"),
            wrt,
            t,
            as_bool(exact, "exact"),
            as_seed(seed),
            as_bool(return_margin, "return_margin"),
            n_threads=as_threads(n_threads),
            progress=cb,
        )
    ranks, margins = res.ranks.astype(np.int64), res.margins
    if single:
        return (int(ranks[0]), float(margins[0])) if return_margin else int(ranks[0])
    return (ranks, margins) if return_margin else ranks


def sample_patterns(
    X: Any,
    width: int,
    n_samples: int,
    scheme: Scheme = "init",
    init: Init = "torch",
    *,
    bias: bool = True,
    seed: int = 0,
    packed: bool = False,
    n_threads: int | None = None,
) -> np.ndarray:
    """Sampled activation patterns of a width-``width`` layer on ``X``.

    Sample ``k`` uses random stream ``k`` of ``seed``: the same patterns as
    :func:`full_rank_fraction` with that seed.

    Parameters
    ----------
    X : array_like
        The data, ``(n, d)``, one row per point.
    width : int
        The layer's width, ``>= 1``.
    n_samples : int
        Number of patterns ``T``, ``>= 1``.
    scheme : {"init", "uniform", "nonempty"}
        The sampling scheme (see the module docstring).
    init : {"torch", "gaussian"}
        The parameter distribution of ``scheme="init"``.
    bias : bool
        Whether the units have biases.
    seed : int
        The seed of the random streams.
    packed : bool
        Return little-endian uint64 words over the data points.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).

    Returns
    -------
    ndarray
        bool ``(T, width, n)``, or the packed words.
    """
    X = _data(X)
    words = _core.landscape_sample_patterns(
        X,
        as_int(width, "width", minimum=1),
        as_int(n_samples, "n_samples", minimum=1),
        scheme,
        init,
        as_bool(bias, "bias"),
        as_seed(seed),
        n_threads=as_threads(n_threads),
    )
    return words if packed else _unpack(words, X.shape[0])


def full_rank_fraction(
    X: Any,
    width: int,
    n_samples: int,
    scheme: Scheme = "init",
    init: Init = "torch",
    *,
    wrt: Wrt = "first",
    bias: bool = True,
    tol: float | None = None,
    exact: bool = False,
    seed: int = 0,
    return_ranks: bool = False,
    n_threads: int | None = None,
    progress: bool = False,
) -> Any:
    """The fraction of sampled regions whose Jacobian has full rank ``n``.

    Parameters
    ----------
    X : array_like
        The data, ``(n, d)``, one row per point.
    width : int
        The layer's width, ``>= 1``.
    n_samples : int
        Number of sampled regions, ``>= 1``.
    scheme : {"init", "uniform", "nonempty"}
        The sampling scheme (see the module docstring).
    init : {"torch", "gaussian"}
        The parameter distribution of ``scheme="init"``.
    wrt : {"first", "all"}
        Parameters of the Jacobian (see :func:`jacobian`).
    bias : bool
        Whether the units have biases.
    tol : float, optional
        Singular-value tolerance (default: NumPy's ``σ_max · max(rows, cols) · eps``).
    exact : bool
        Decide ranks exactly over Q instead (modulo random primes).
    seed : int
        The seed of the random streams (sample ``k`` uses stream ``k``).
    return_ranks : bool
        Also return every sample's rank.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).
    progress : bool
        Show a progress bar (needs ``tqdm``).

    Returns
    -------
    float or (float, ndarray)
        The fraction, and with ``return_ranks=True`` the int64 ranks.
    """
    X = _data(X)
    n = X.shape[0]
    T = as_int(n_samples, "n_samples", minimum=1)
    t = as_tol(tol)
    with progress_bar(as_bool(progress, "progress"), T, "samples", unit="sample") as cb:
        ranks = _core.landscape_sample_ranks(
            X,
            as_int(width, "width", minimum=1),
            T,
            scheme,
            init,
            as_bool(bias, "bias"),
            wrt,
            t,
            as_bool(exact, "exact"),
            as_seed(seed),
            n_threads=as_threads(n_threads),
            progress=cb,
        ).ranks
    ranks = ranks.astype(np.int64)
    frac = float(np.mean(ranks == n))
    return (frac, ranks) if return_ranks else frac


def matrix_rank(
    M: Any, *, tol: float | None = None, exact: bool = False, return_margin: bool = False, seed: int = 0
) -> Any:
    """The rank of a real matrix.

    Parameters
    ----------
    M : array_like
        A 2D float64 matrix.
    tol : float, optional
        NumPy's ``matrix_rank`` semantics (``None``: its default tolerance).
    exact : bool
        The exact rank over Q instead (entries as dyadic rationals, modulo random
        primes).
    return_margin : bool
        Also return ``σ_min / σ_max``.
    seed : int
        Draws the primes of the exact rank and the certificate's random vectors.

    Returns
    -------
    int or (int, float)
        The rank, and with ``return_margin=True`` the margin.
    """
    a = as_float_array(M, "M", ndim=2)
    t = as_tol(tol)
    res = _core.matrix_rank(a, t, as_bool(exact, "exact"), as_seed(seed), as_bool(return_margin, "return_margin"))
    return (int(res.rank), float(res.margin)) if return_margin else int(res.rank)
