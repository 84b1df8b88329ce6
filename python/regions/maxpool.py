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
from ._validate import as_float_array, as_int, as_threads


def _windows(windows: Any, n: Any = None, name: str = "windows") -> tuple[list[list[int]], int]:
    """Validate a window family: integer indices, non-empty windows, no duplicates."""
    if isinstance(windows, np.ndarray) and windows.ndim == 2:
        windows = list(windows)
    if isinstance(windows, (str, bytes)) or not isinstance(windows, Sequence) and not isinstance(windows, np.ndarray):
        raise TypeError(f"{name}: expected a sequence of integer index arrays, got {type(windows).__name__}")
    if len(windows) == 0:
        raise ValueError(f"{name}: need at least one window, got an empty family")
    out = []
    for j, w in enumerate(windows):
        a = np.asarray(w)
        if a.ndim != 1:
            raise ValueError(f"{name}[{j}]: expected a 1-d array of indices, got shape {a.shape}")
        if a.size == 0:
            raise ValueError(f"{name}[{j}]: window is empty")
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name}[{j}]: expected integer indices, got dtype {a.dtype}")
        if a.min() < 0:
            raise ValueError(f"{name}[{j}]: negative index {int(a.min())}")
        if len(np.unique(a)) != a.size:
            raise ValueError(f"{name}[{j}]: duplicate index in window {a.tolist()}")
        out.append([int(i) for i in a])
    top = max(max(w) for w in out) + 1
    if n is None:
        n = top
    else:
        n = as_int(n, "n", minimum=1)
        if top > n:
            raise ValueError(f"{name}: index {top - 1} is outside the {n} inputs 0..{n - 1}")
    return out, n


def windows_1d(n: int, k: int, stride: int = 1) -> list[np.ndarray]:
    """Windows ``{js, ..., js+k-1}`` of 1D pooling, ``j < m = (n - k) // stride + 1``."""
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
    v = tuple(v)
    if len(v) != 2:
        raise ValueError(f"{name}: expected a pair (rows, cols), got {v!r}")
    return as_int(v[0], name, minimum=1), as_int(v[1], name, minimum=1)


def windows_2d(shape: Any, window: Any, stride: Any = 1) -> list[np.ndarray]:
    """Windows of 2D pooling on an ``R x C`` grid (cell ``(r, c)`` is input ``r*C + c``),
    ``kr x kc`` blocks with strides ``(sr, sc)``, padding "valid", row-major."""
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
    """Number of vertices of ``Σ_j Δ_{W_j}``: the linear regions of the pooling layer.

    A frontier dynamic program over the windows: the state is the reachability
    relation ("beats, transitively") among elements shared by processed and
    unprocessed windows. ``order`` (a permutation of the windows) is chosen
    automatically to keep that frontier small; the frontier may hold at most 128
    elements. ``max_states`` raises :class:`regions.LimitExceededError` instead of
    exhausting memory. Exact for any family; fast while the frontier stays small
    (a 10x10 grid of 2x2 windows has a frontier of 11 and millions of states).
    """
    ws, n = _windows(windows, n)
    if order is not None:
        order = [as_int(o, "order") for o in order]
        if sorted(order) != list(range(len(ws))):
            raise ValueError(f"order: must be a permutation of 0..{len(ws) - 1}, got {order}")
    ms = 2**63 if max_states is None else as_int(max_states, "max_states", minimum=1)
    with progress_bar(bool(progress), len(ws), "windows", unit="win") as cb:
        return int(_core.maxpool_count_vertices(ws, n, order, ms, n_threads=as_threads(n_threads), progress=cb))


def count_vertices_1d(n: int, k: int, stride: int = 1, *, n_threads: int | None = None) -> int:
    """Vertices of 1D max-pooling: ``n`` inputs, window ``k``, stride ``stride``.

    Only consecutive windows interact, so a transfer vector indexed by the winner's
    offset counts in O(m k) big-integer additions (binary powering of the k x k
    transfer matrix for m > 20000). n = 10^6 takes a fraction of a second.
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
    """Vertices of 2D max-pooling on a grid ``shape = (R, C)`` with ``window = (kr, kc)``
    and ``stride = (sr, sc)`` (ints or "RxC" strings allowed). Only padding "valid".

    One row of windows is the 1D case with ``k = kr*kc``, ``s = kr*sc``; otherwise the
    frontier DP sweeps along the longer side. 8x8 with 2x2 windows: well under a
    second; 10x10: about a minute on 2 cores.
    """
    if padding != "valid":
        raise ValueError(f"padding: only 'valid' is supported, got {padding!r}")
    shape, window, stride = _pair(shape, "shape"), _pair(window, "window"), _pair(stride, "stride")
    if window[0] > shape[0] or window[1] > shape[1]:
        raise ValueError(f"window: {window[0]}x{window[1]} is larger than the grid {shape[0]}x{shape[1]}")
    ms = 2**63 if max_states is None else as_int(max_states, "max_states", minimum=1)
    total = ((shape[0] - window[0]) // stride[0] + 1) * ((shape[1] - window[1]) // stride[1] + 1)
    with progress_bar(bool(progress), total, "windows", unit="win") as cb:
        return int(
            _core.maxpool_count_vertices_2d(shape, window, stride, ms, n_threads=as_threads(n_threads), progress=cb)
        )


def generating_function_1d(k: int, stride: int = 1) -> tuple[list[int], list[int]]:
    """Integer coefficients ``(N, D)`` (constant term first) with
    ``Σ_{m≥0} V_m x^m = N(x) / D(x)``, ``V_m`` the vertex count of ``m`` windows
    (``V_0 = 1``). ``D(x) = det(I - x M)`` for the k x k transfer matrix ``M``; the
    fraction is not necessarily in lowest terms."""
    k, s = as_int(k, "k", minimum=1), as_int(stride, "stride", minimum=1)
    gf = _core.maxpool_generating_function_1d(k, s)
    return [int(c) for c in gf.numerator], [int(c) for c in gf.denominator]


def recurrence_1d(k: int, stride: int = 1) -> list[int]:
    """Coefficients ``a_1..a_r`` with ``V_m = Σ_i a_i V_{m-i}`` for every ``m > k``."""
    k, s = as_int(k, "k", minimum=1), as_int(stride, "stride", minimum=1)
    return [int(c) for c in _core.maxpool_recurrence_1d(k, s)]


def vertices(windows: Any, n: int | None = None, *, limit: int = 100_000, n_threads: int | None = None) -> np.ndarray:
    """Every vertex as its winner tuple: int64 array ``(count, m)`` of input indices,
    in lexicographic order of the positions within the windows. Raises
    :class:`regions.LimitExceededError` when there are more than ``limit``."""
    ws, n = _windows(windows, n)
    lim = as_int(limit, "limit", minimum=1)
    return _core.maxpool_vertices(ws, n, lim, n_threads=as_threads(n_threads))


def region_of(x: Any, windows: Any) -> np.ndarray:
    """Winner tuple of input(s) ``x`` (shape ``(n,)`` or ``(N, n)``): for each window the
    input index of its maximum, ties broken by the lowest position in the window."""
    ws, n = _windows(windows)
    a = np.asarray(x)
    a = as_float_array(a, "x", ndim=a.ndim if a.ndim in (1, 2) else 2)
    if a.shape[-1] < n:
        raise ValueError(f"x: windows index {n} inputs but x has shape {a.shape}")
    return np.stack([np.asarray(w)[np.argmax(a[..., w], axis=-1)] for w in ws], axis=-1)


def dimension(windows: Any, n: int | None = None) -> int:
    """``dim P = |∪ W_j| - (connected components of the window hypergraph)``."""
    ws, n = _windows(windows, n)
    return int(_core.maxpool_minkowski_dim(ws, n))


def f_vector(
    windows: Any, n: int | None = None, *, max_faces: int = 10_000_000, n_threads: int | None = None
) -> list[int]:
    """Face numbers ``(f_0, f_1, ..., f_d)`` of ``P`` (``f_0`` = vertices, ``f_d = 1``).

    Faces are tie-set tuples ``T_j ⊆ W_j`` whose "T_j above W_j \\ T_j" relation has no
    strict cycle, enumerated by backtracking: exponential, practical up to about 12-16
    inputs with small windows. Raises :class:`regions.LimitExceededError` beyond
    ``max_faces`` faces.
    """
    ws, n = _windows(windows, n)
    return [
        int(c)
        for c in _core.maxpool_f_vector(
            ws, n, as_int(max_faces, "max_faces", minimum=1), n_threads=as_threads(n_threads)
        )
    ]


def count_facets(windows: Any, n: int | None = None, *, max_faces: int = 10_000_000) -> int:
    """Facets of ``P`` (faces of dimension ``dim P - 1``; 0 when ``P`` is a point)."""
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
