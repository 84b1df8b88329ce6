"""Patterns of shallow networks on data: the parameter-space regions' labels, their
packing, and the exact count of regions of one neuron or a layer."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .. import _core
from .._progress import progress_bar
from .._validate import as_bool, as_float_array, as_int, as_limit, as_threads

Scheme = Literal["init", "uniform", "nonempty"]
Init = Literal["torch", "gaussian"]
Wrt = Literal["first", "all"]


def _data(X: Any) -> np.ndarray:
    return as_float_array(X, "X", ndim=2)


def _check_wrt(wrt: Any) -> None:
    """``wrt`` before the pattern (the order of the error messages); the core parses the
    other choices (``scheme``, ``init``, ``data``) itself."""
    if wrt not in ("first", "all"):
        raise ValueError(f"wrt: expected 'first' or 'all', got {wrt!r}")


def _unpack(words: np.ndarray, n: int) -> np.ndarray:
    """Packed little-endian uint64 rows (..., words) -> bool (..., n)."""
    b = np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=-1, bitorder="little")
    return b[..., :n].astype(bool)


def _pack(A: np.ndarray) -> np.ndarray:
    """bool (..., n) -> packed little-endian uint64 (..., words)."""
    n = A.shape[-1]
    w = max(1, -(-n // 64))
    pad = np.zeros(A.shape[:-1] + (w * 64,), dtype=bool)
    pad[..., :n] = A
    return np.packbits(pad, axis=-1, bitorder="little").view(np.uint64).reshape(A.shape[:-1] + (w,))


def _pattern_array(A: Any, n: int, name: str = "A") -> tuple[np.ndarray, bool]:
    """Validate a pattern (m, n) or batch (T, m, n) of 0/1 values; returns (batch, single)."""
    a = np.asarray(A)
    if a.dtype.kind not in "biu":
        raise TypeError(f"{name}: expected a bool or 0/1 integer array, got dtype {a.dtype}")
    if a.ndim not in (2, 3):
        raise ValueError(f"{name}: expected shape (m, n) or (T, m, n), got {a.shape}")
    if a.shape[-1] != n:
        raise ValueError(f"{name}: last axis must have n = {n} entries (one per data point), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name}: must not be empty, got shape {a.shape}")
    if a.dtype.kind != "b" and not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name}: entries must be 0 or 1")
    single = a.ndim == 2
    return (a[None] if single else a).astype(bool), single


def patterns(
    X: Any, W: Any, b: Any = None, *, packed: bool = False, n_threads: int | None = None, progress: bool = False
) -> np.ndarray:
    """The patterns ``A_ij = [w_i·x_j + b_i > 0]`` of parameters on data.

    Parameters
    ----------
    X : array_like
        The data, ``(n, d)``, one row per point.
    W : array_like
        ``(m, d)``, or a batch ``(T, m, d)``.
    b : array_like, optional
        ``(m,)`` / ``(T, m)``; ``None``: no bias.
    packed : bool
        Return little-endian uint64 words over the data points.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).
    progress : bool
        Show a progress bar (needs ``tqdm``).

    Returns
    -------
    ndarray
        bool ``(m, n)`` / ``(T, m, n)``, or the packed words.
    """
    X = _data(X)
    n, d = X.shape
    Wa = np.asarray(W)
    single = Wa.ndim == 2
    Wa = as_float_array(Wa[None] if single else Wa, "W", shape=(None, None, d))
    T, m, _ = Wa.shape
    bias = b is not None
    if bias:
        ba = np.asarray(b)
        ba = as_float_array(ba[None] if single else ba, "b", shape=(T, m))
    else:
        ba = np.zeros((T, m))
    with progress_bar(as_bool(progress, "progress"), T, "patterns", unit="draw") as cb:
        words = _core.landscape_patterns(X, Wa, ba, bias, n_threads=as_threads(n_threads), progress=cb)
    out = words if packed else _unpack(words, n)
    return out[0] if single else out


def neuron_patterns(
    X: Any, bias: bool = True, *, packed: bool = False, max_patterns: int = 10_000_000, n_threads: int | None = None
) -> np.ndarray:
    """Every dichotomy of the data realizable by one ReLU unit on an open set of
    parameters.

    With ``bias=True`` these are the dichotomies by affine hyperplanes, without by
    hyperplanes through the origin. Data in general position give Cover's count
    ``C(n, D) = 2 Σ_{k<D} C(n-1, k)`` (``2^n`` when ``D >= n``; ``2n`` for ``d = 1``
    with bias); repeated, collinear or otherwise degenerate data give their true,
    smaller count. Every decision is exact on the float64 data (the sign of a small
    determinant, filtered in float with an exact integer fallback), so no offset, scale
    or near-degeneracy changes the answer. Cost grows like ``C(n, D-1)``: practical for
    ``d <= 3`` with ``n`` in the hundreds.

    Parameters
    ----------
    X : array_like
        The data, ``(n, d)``, one row per point.
    bias : bool
        Affine units (``True``) or units through the origin.
    packed : bool
        Return little-endian uint64 words over the data points.
    max_patterns : int
        More patterns raise :class:`regions.LimitExceededError`.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).

    Returns
    -------
    ndarray
        bool ``(count, n)``: row ``r`` marks the active points of pattern ``r`` (or
        the packed words).
    """
    X = _data(X)
    words = _core.landscape_neuron_patterns(
        X, as_bool(bias, "bias"), as_limit(max_patterns, "max_patterns"), n_threads=as_threads(n_threads)
    )
    return words if as_bool(packed, "packed") else _unpack(words, X.shape[0])


def count_regions(X: Any, width: int, bias: bool = True) -> tuple[int, int]:
    """The exact number of non-empty activation regions of a width-``width`` layer on
    ``X``, and the number per unit.

    Parameters
    ----------
    X : array_like
        The data, ``(n, d)``, one row per point.
    width : int
        The layer's width, ``>= 1``.
    bias : bool
        Affine units (``True``) or units through the origin.

    Returns
    -------
    total, per_unit : int
        ``(per_unit ** width, per_unit)``, Python ints.
    """
    w = as_int(width, "width", minimum=1)
    per = int(neuron_patterns(X, bias, packed=True).shape[0])
    return per**w, per
