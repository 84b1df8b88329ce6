"""Linear regions of max-pooling layers (``docs/math.md`` section 5).

A max-pooling layer ``f(x) = (max_{i in W_j} x_i)_j`` with windows ``W_1..W_m`` over
inputs ``0..n-1`` has as many linear regions as the Minkowski sum of simplices
``P = Δ_{W_1} + ... + Δ_{W_m}`` has vertices (Escobar, Gallardo, González-Anaya,
González, Montúfar, Morales, "Enumeration of max-pooling responses with generalized
permutohedra"). A vertex is a choice of one winner per window whose "beats" graph
(winner -> every other element of its window) has no cycle.

All counts are exact Python ints. Windows are sequences of integer index arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core
from ._progress import progress_bar
from ._validate import as_bool, as_float_array, as_int, as_limit, as_sequence, as_threads


def _windows(windows: Any, n: Any = None, name: str = "windows", check: bool = True) -> tuple[list[list[int]], int]:
    """Normalize a window family to lists of non-negative ints and its input count
    ``n`` (default: the largest index + 1); the core checks the rest (non-empty
    windows, indices below ``n``, no repeated index) with one rule set, here with
    ``check=True`` or inside the core call the family is passed to."""
    if isinstance(windows, np.ndarray) and windows.ndim == 2:
        windows = list(windows)
    if isinstance(windows, (str, bytes)) or not isinstance(windows, Sequence) and not isinstance(windows, np.ndarray):
        raise TypeError(f"{name}: expected a sequence of integer index arrays, got {type(windows).__name__}")
    out = []
    for j, w in enumerate(windows):
        if isinstance(w, (list, tuple)):
            # Python ints first: NumPy turns [0, 2**63] into float64 and [0, 2**64] into
            # objects, and the message would name a dtype the user never wrote.
            for i in w:
                if isinstance(i, int) and not isinstance(i, bool) and i < 0:
                    raise ValueError(f"{name}[{j}]: negative index {i}")
                if isinstance(i, int) and not isinstance(i, bool) and i >= 2**63:
                    raise ValueError(f"{name}[{j}]: index {i} is too large (at most 2**63 - 1)")
        a = np.asarray(w)
        if a.ndim != 1:
            raise ValueError(f"{name}[{j}]: expected a 1-d array of indices, got shape {a.shape}")
        if a.size and a.dtype.kind not in "iu":
            raise TypeError(f"{name}[{j}]: expected integer indices, got dtype {a.dtype}")
        if a.size and a.min() < 0:
            raise ValueError(f"{name}[{j}]: negative index {int(a.min())}")
        if a.size and a.max() >= 2**63:
            raise ValueError(f"{name}[{j}]: index {int(a.max())} is too large (at most 2**63 - 1)")
        out.append([int(i) for i in a])
    top = max((max(w) for w in out if w), default=-1) + 1
    n = max(top, 1) if n is None else as_int(n, "n", minimum=1)
    if check:
        _core.maxpool_validate(out, n)
    return out, n


def windows_1d(n: int, k: int, stride: int = 1) -> list[np.ndarray]:
    """The windows of 1D pooling.

    Parameters
    ----------
    n : int
        Number of inputs.
    k : int
        Window size, ``<= n``.
    stride : int
        Stride.

    Returns
    -------
    list of ndarray
        ``{js, ..., js+k-1}`` for ``j < m = (n - k) // stride + 1``.
    """
    n, k, s = as_int(n, "n", minimum=1), as_int(k, "k", minimum=1), as_int(stride, "stride", minimum=1)
    if k > n:
        raise ValueError(f"k: window {k} is larger than the input n = {n}")
    return [np.arange(j * s, j * s + k) for j in range((n - k) // s + 1)]


def _pair(v: Any, name: str) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = (v, v)
    if isinstance(v, str):
        try:
            v = tuple(int(t) for t in v.lower().split("x"))
        except ValueError:
            raise ValueError(f"{name}: expected 'RxC' or a pair of ints, got {v!r}") from None
        if len(v) == 1:
            v = (v[0], v[0])
    v = tuple(as_sequence(v, name))
    if len(v) != 2:
        raise ValueError(f"{name}: expected a pair (rows, cols), got {v!r}")
    return as_int(v[0], name, minimum=1), as_int(v[1], name, minimum=1)


def windows_2d(shape: Any, window: Any, stride: Any = 1) -> list[np.ndarray]:
    """The windows of 2D pooling on an ``R x C`` grid (cell ``(r, c)`` is input
    ``r*C + c``), padding "valid", row-major.

    Parameters
    ----------
    shape : int, pair of int or str
        The grid ``(R, C)`` (an int for a square, or ``"RxC"``).
    window : int, pair of int or str
        The block ``(kr, kc)``.
    stride : int, pair of int or str
        The strides ``(sr, sc)``.

    Returns
    -------
    list of ndarray
        The windows' input indices.
    """
    return [
        np.array(w)
        for w in _core.maxpool_windows_2d(_pair(shape, "shape"), _pair(window, "window"), _pair(stride, "stride"))
    ]


def count_vertices(
    windows: Any,
    n: int | None = None,
    *,
    order: Sequence[int] | None = None,
    max_states: int | None = None,
    n_threads: int | None = None,
    progress: bool = False,
) -> int:
    """The number of vertices of ``Σ_j Δ_{W_j}``: the linear regions of the pooling
    layer.

    A frontier dynamic program over the windows: the state is the reachability
    relation ("beats, transitively") among elements shared by processed and
    unprocessed windows. Exact for any family; fast while the frontier stays small
    (a 10x10 grid of 2x2 windows has a frontier of 11 and millions of states).

    Parameters
    ----------
    windows : sequence of array_like
        The windows ``W_j``: non-empty integer index arrays without duplicates.
    n : int, optional
        The number of inputs (default: the largest index + 1).
    order : sequence of int, optional
        A permutation of the windows (default: chosen to keep the frontier small; it
        may hold at most 128 elements).
    max_states : int, optional
        More states raise :class:`regions.LimitExceededError` instead of exhausting
        memory.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).
    progress : bool
        Show a progress bar of windows processed (needs ``tqdm``).

    Returns
    -------
    int
        The exact count.
    """
    ws, n = _windows(windows, n, check=False)  # the core call validates
    if order is not None:
        order = [as_int(o, "order") for o in order]
        if sorted(order) != list(range(len(ws))):
            raise ValueError(f"order: must be a permutation of 0..{len(ws) - 1}, got {order}")
    ms = 2**63 if max_states is None else as_limit(max_states, "max_states")
    with progress_bar(as_bool(progress, "progress"), len(ws), "windows", unit="win") as cb:
        return int(_core.maxpool_count_vertices(ws, n, order, ms, n_threads=as_threads(n_threads), progress=cb))


def count_vertices_1d(n: int, k: int, stride: int = 1, *, n_threads: int | None = None) -> int:
    """The number of vertices of 1D max-pooling.

    Only consecutive windows interact, so a transfer vector indexed by the winner's
    offset counts in O(m k) big-integer additions (binary powering of the k x k
    transfer matrix for m > 20000). n = 10^6 takes a fraction of a second.

    Parameters
    ----------
    n : int
        Number of inputs.
    k : int
        Window size, ``<= n``.
    stride : int
        Stride.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).

    Returns
    -------
    int
        The exact count.
    """
    n, k, s = as_int(n, "n", minimum=1), as_int(k, "k", minimum=1), as_int(stride, "stride", minimum=1)
    if k > n:
        raise ValueError(f"k: window {k} is larger than the input n = {n}")
    return int(_core.maxpool_count_vertices_1d(n, k, s, n_threads=as_threads(n_threads)))


def count_vertices_2d(
    shape: Any,
    window: Any,
    stride: Any = 1,
    padding: str = "valid",
    *,
    max_states: int | None = None,
    n_threads: int | None = None,
    progress: bool = False,
) -> int:
    """The number of vertices of 2D max-pooling.

    One row of windows is the 1D case with ``k = kr*kc``, ``s = kr*sc``; otherwise the
    frontier DP sweeps along the longer side. 8x8 with 2x2 windows: well under a
    second; 10x10: about a minute on 2 cores.

    Parameters
    ----------
    shape, window, stride : int, pair of int or str
        As in :func:`windows_2d`.
    padding : {"valid"}
        Only "valid" is supported.
    max_states : int, optional
        More states raise :class:`regions.LimitExceededError`.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).
    progress : bool
        Show a progress bar of windows processed (needs ``tqdm``).

    Returns
    -------
    int
        The exact count.
    """
    if padding != "valid":
        raise ValueError(f"padding: only 'valid' is supported, got {padding!r}")
    shape, window, stride = _pair(shape, "shape"), _pair(window, "window"), _pair(stride, "stride")
    if window[0] > shape[0] or window[1] > shape[1]:
        raise ValueError(f"window: {window[0]}x{window[1]} is larger than the grid {shape[0]}x{shape[1]}")
    ms = 2**63 if max_states is None else as_limit(max_states, "max_states")
    total = ((shape[0] - window[0]) // stride[0] + 1) * ((shape[1] - window[1]) // stride[1] + 1)
    with progress_bar(as_bool(progress, "progress"), total, "windows", unit="win") as cb:
        return int(
            _core.maxpool_count_vertices_2d(shape, window, stride, ms, n_threads=as_threads(n_threads), progress=cb)
        )


def generating_function_1d(k: int, stride: int = 1) -> tuple[list[int], list[int]]:
    """The generating function of 1D max-pooling vertex counts.

    ``Σ_{m≥0} V_m x^m = N(x) / D(x)`` with ``V_m`` the vertex count of ``m`` windows
    (``V_0 = 1``) and ``D(x) = det(I - x M)`` for the k x k transfer matrix ``M``; the
    fraction is not necessarily in lowest terms. Ctrl-C interrupts it.

    Parameters
    ----------
    k : int
        Window size.
    stride : int
        Stride.

    Returns
    -------
    N, D : list of int
        Integer coefficients, constant term first.
    """
    k, s = as_int(k, "k", minimum=1), as_int(stride, "stride", minimum=1)
    gf = _core.maxpool_generating_function_1d(k, s)
    return [int(c) for c in gf.numerator], [int(c) for c in gf.denominator]


def recurrence_1d(k: int, stride: int = 1) -> list[int]:
    """A linear recurrence of 1D max-pooling vertex counts.

    Parameters
    ----------
    k : int
        Window size.
    stride : int
        Stride.

    Returns
    -------
    list of int
        ``a_1..a_r`` with ``V_m = Σ_i a_i V_{m-i}`` for every ``m > k``.
    """
    k, s = as_int(k, "k", minimum=1), as_int(stride, "stride", minimum=1)
    return [int(c) for c in _core.maxpool_recurrence_1d(k, s)]


def vertices(windows: Any, n: int | None = None, *, limit: int = 100_000, n_threads: int | None = None) -> np.ndarray:
    """Every vertex as its winner tuple.

    Parameters
    ----------
    windows : sequence of array_like
        The windows ``W_j``: non-empty integer index arrays without duplicates.
    n : int, optional
        The number of inputs (default: the largest index + 1).
    limit : int
        More vertices raise :class:`regions.LimitExceededError`.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).

    Returns
    -------
    ndarray
        int64 ``(count, m)`` of input indices, in lexicographic order of the positions
        within the windows.
    """
    ws, n = _windows(windows, n, check=False)  # the core call validates
    lim = as_limit(limit, "limit")
    return _core.maxpool_vertices(ws, n, lim, n_threads=as_threads(n_threads))


def region_of(x: Any, windows: Any) -> np.ndarray:
    """The winner tuple (the region) of inputs.

    Parameters
    ----------
    x : array_like
        One input ``(n,)`` or a batch ``(N, n)``.
    windows : sequence of array_like
        The windows.

    Returns
    -------
    ndarray
        For each window the input index of its maximum, ties broken by the lowest
        position in the window: ``(m,)`` or ``(N, m)`` int64.
    """
    ws, n = _windows(windows)
    a = np.asarray(x)
    a = as_float_array(a, "x", ndim=a.ndim if a.ndim in (1, 2) else 2)
    if a.shape[-1] < n:
        raise ValueError(f"x: windows index {n} inputs but x has shape {a.shape}")
    return np.stack([np.asarray(w)[np.argmax(a[..., w], axis=-1)] for w in ws], axis=-1)


def dimension(windows: Any, n: int | None = None) -> int:
    """The dimension of ``P = Σ_j Δ_{W_j}``.

    Parameters
    ----------
    windows : sequence of array_like
        The windows ``W_j``: non-empty integer index arrays without duplicates.
    n : int, optional
        The number of inputs (default: the largest index + 1).

    Returns
    -------
    int
        ``|∪ W_j|`` minus the connected components of the window hypergraph.
    """
    ws, n = _windows(windows, n, check=False)  # the core call validates
    return int(_core.maxpool_minkowski_dim(ws, n))


def f_vector(
    windows: Any, n: int | None = None, *, max_faces: int = 10_000_000, n_threads: int | None = None
) -> list[int]:
    """The face numbers ``(f_0, f_1, ..., f_d)`` of ``P`` (``f_0`` = vertices, ``f_d = 1``).

    Faces are tie-set tuples ``T_j ⊆ W_j`` whose "T_j above W_j \\ T_j" relation has no
    strict cycle, enumerated by backtracking: exponential, practical up to about 12-16
    inputs with small windows.

    Parameters
    ----------
    windows : sequence of array_like
        The windows ``W_j``: non-empty integer index arrays without duplicates.
    n : int, optional
        The number of inputs (default: the largest index + 1).
    max_faces : int
        More faces raise :class:`regions.LimitExceededError`.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).

    Returns
    -------
    list of int
        The exact face numbers.
    """
    ws, n = _windows(windows, n, check=False)  # the core call validates
    return [
        int(c) for c in _core.maxpool_f_vector(ws, n, as_limit(max_faces, "max_faces"), n_threads=as_threads(n_threads))
    ]


def count_facets(windows: Any, n: int | None = None, *, max_faces: int = 10_000_000) -> int:
    """The number of facets of ``P`` (faces of dimension ``dim P - 1``; 0 when ``P`` is a
    point).

    Parameters
    ----------
    windows : sequence of array_like
        The windows ``W_j``: non-empty integer index arrays without duplicates.
    n : int, optional
        The number of inputs (default: the largest index + 1).
    max_faces : int
        More faces raise :class:`regions.LimitExceededError`.

    Returns
    -------
    int
        The exact count.
    """
    f = f_vector(windows, n, max_faces=max_faces)
    return f[-2] if len(f) >= 2 else 0


__all__ = [
    "count_facets",
    "count_vertices",
    "count_vertices_1d",
    "count_vertices_2d",
    "dimension",
    "f_vector",
    "generating_function_1d",
    "recurrence_1d",
    "region_of",
    "vertices",
    "windows_1d",
    "windows_2d",
]
