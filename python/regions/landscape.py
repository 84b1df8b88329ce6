"""Activation regions in parameter space and Jacobian ranks (``docs/math.md`` sections 3-4).

The setting of Karhadkar, Murray, Tseran, Montúfar (2023), "Mildly overparameterized
ReLU networks have a favorable loss landscape": data ``X`` of shape ``(n, d)`` (one row
per point), a shallow network ``f(x) = Σ_i v_i σ(w_i·x + b_i) (+ c)`` of width ``m``,
``x̃_j = (x_j, 1)`` (or ``x_j`` with ``bias=False``). Shapes follow NumPy's habit of one
row per sample: ``W`` is ``(m, d)``, ``b`` is ``(m,)``, ``v`` is ``(m,)``, a pattern
``A`` is ``(m, n)`` (unit by data point), batches add a leading axis ``T``.

- The **pattern** of ``(W, b)`` on ``X`` is ``A_ij = [w_i·x_j + b_i > 0]``.
- In the region of ``A`` the Jacobian with respect to ``(w_i, b_i)`` has rows
  ``J_j = (v_1 A_1j x̃_j, ..., v_m A_mj x̃_j)`` (``n × m(d+1)``); **full rank** means
  ``rank J = n``. With every ``v_i ≠ 0`` the rank does not depend on ``v``, and with
  respect to all parameters it is ``rank [J | 1]`` (``wrt="all"``).
- **Numerical rank** counts singular values above NumPy's default tolerance
  ``σ_max · max(rows, cols) · eps`` (or ``tol``), in float64. **Exact rank**
  (``exact=True``): float64 entries are dyadic rationals; the rank over Q of the Gram
  matrix ``(AᵀA) ∘ (X̃X̃ᵀ)`` is computed modulo random 26-bit primes (the
  maximum is exact with overwhelming probability), so it never hinges on a tolerance.
- **Sampling schemes** differ a lot; always report which: ``"init"`` (random
  parameters: ``init="torch"`` is ``nn.Linear``'s default ``U(±1/√d)`` for weights and
  biases, ``"gaussian"`` is ``N(0, 1)``), ``"uniform"`` (``A`` uniform on
  ``{0,1}^{m×n}``) and ``"nonempty"`` (each unit's row uniform over the dichotomies of
  ``X`` realizable by one unit).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from . import _core
from ._progress import progress_bar
from ._validate import as_float, as_float_array, as_int, as_seed, as_threads

Scheme = Literal["init", "uniform", "nonempty"]
Init = Literal["torch", "gaussian"]
Wrt = Literal["first", "all"]


def _data(X: Any) -> np.ndarray:
    return as_float_array(X, "X", ndim=2)


def _choice(value: Any, name: str, options: Sequence[str]) -> str:
    if value not in options:
        raise ValueError(f"{name}: expected one of {tuple(options)}, got {value!r}")
    return str(value)


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
    """Patterns ``A_ij = [w_i·x_j + b_i > 0]`` of parameters on data.

    ``W`` is ``(m, d)`` or a batch ``(T, m, d)``; ``b`` is ``(m,)`` / ``(T, m)`` or
    ``None`` (no bias). Returns bool ``(m, n)`` / ``(T, m, n)``, or with ``packed=True``
    little-endian ``uint64`` words over the data points.
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
    with progress_bar(bool(progress), T, "patterns", unit="draw") as cb:
        words = _core.landscape_patterns(X, Wa, ba, bias, n_threads=as_threads(n_threads), progress=cb)
    out = words if packed else _unpack(words, n)
    return out[0] if single else out


def neuron_patterns(
    X: Any, bias: bool = True, *, packed: bool = False, max_patterns: int = 10_000_000, n_threads: int | None = None
) -> np.ndarray:
    """Every dichotomy of the data realizable by one ReLU unit (on an open set of
    parameters): bool ``(count, n)``, row ``r`` the active points of pattern ``r``.

    With ``bias=True`` these are the dichotomies by affine hyperplanes, without by
    hyperplanes through the origin. Data in general position give Cover's count
    ``C(n, D) = 2 Σ_{k<D} C(n-1, k)`` (``2^n`` when ``D >= n``; ``2n`` for ``d = 1``
    with bias); repeated, collinear or otherwise degenerate data give their true,
    smaller count (decided with a relative tolerance of 1e-10). Cost grows like
    ``C(n, D-1)``: practical for ``d <= 3`` with ``n`` in the hundreds.
    """
    X = _data(X)
    words = _core.landscape_neuron_patterns(
        X, bool(bias), as_int(max_patterns, "max_patterns", minimum=1), n_threads=as_threads(n_threads)
    )
    return words if packed else _unpack(words, X.shape[0])


def count_regions(X: Any, width: int, bias: bool = True) -> tuple[int, int]:
    """Exact number of non-empty activation regions of a width-``width`` layer on
    ``X``, and the number per unit: ``(per_unit ** width, per_unit)`` (Python ints)."""
    w = as_int(width, "width", minimum=1)
    per = int(neuron_patterns(X, bias, packed=True).shape[0])
    return per**w, per


def jacobian(
    X: Any, A: Any, v: Any = None, *, bias: bool = True, wrt: Wrt = "first", W: Any = None, b: Any = None
) -> np.ndarray:
    """The Jacobian of ``(f(x_1), ..., f(x_n))`` in the region of pattern ``A``
    (``(m, n)``).

    ``wrt="first"``: with respect to ``(w_i, b_i)``, an ``n × m·D`` matrix whose column
    ``i·D + c`` is ``v_i A_ij x̃_jc`` (``v=None``: all ones). ``wrt="all"`` appends the
    columns for ``v`` (``A_ij (w_i·x_j + b_i)``, which need ``W`` and ``b``) and for the
    output bias (ones).
    """
    X = _data(X)
    n, d = X.shape
    _choice(wrt, "wrt", ("first", "all"))
    a, single = _pattern_array(A, n)
    if not single:
        raise ValueError(f"A: expected one pattern of shape (m, n), got {np.asarray(A).shape}")
    m = a.shape[1]
    va = None if v is None else as_float_array(v, "v", shape=(m,))
    J = _core.landscape_jacobian(X, _pack(a[0]), va, bool(bias))
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
    """Rank of the Jacobian in the region of pattern ``A`` (``(m, n)``) or of each pattern
    of a batch ``(T, m, n)`` (in parallel): an int, or an int64 array ``(T,)``.

    ``tol=None`` uses NumPy's default tolerance; ``exact=True`` decides the rank exactly
    (modulo random primes; ``v`` only matters through which ``v_i`` are zero).
    ``return_margin=True`` also returns ``σ_min / σ_max`` (the smallest relevant
    singular-value ratio; NaN for exact ranks). ``wrt="all"`` is ``rank [J | 1]``.
    """
    X = _data(X)
    n = X.shape[0]
    _choice(wrt, "wrt", ("first", "all"))
    a, single = _pattern_array(A, n)
    m = a.shape[1]
    va = None if v is None else as_float_array(v, "v", shape=(m,))
    t = None if tol is None else as_float(tol, "tol")
    if t is not None and t < 0:
        raise ValueError(f"tol: must be >= 0, got {t}")
    with progress_bar(bool(progress), a.shape[0], "ranks", unit="pattern") as cb:
        res = _core.landscape_jacobian_ranks(
            X,
            _pack(a),
            va,
            bool(bias),
            wrt,
            t,
            bool(exact),
            as_seed(seed),
            bool(return_margin),
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
    """``n_samples`` activation patterns ``(T, width, n)`` of a width-``width`` layer on
    ``X`` under ``scheme`` (see the module docstring). Sample ``k`` uses random stream
    ``k`` of ``seed``: the same patterns as :func:`full_rank_fraction` with that seed."""
    X = _data(X)
    _choice(scheme, "scheme", ("init", "uniform", "nonempty"))
    _choice(init, "init", ("torch", "gaussian"))
    words = _core.landscape_sample_patterns(
        X,
        as_int(width, "width", minimum=1),
        as_int(n_samples, "n_samples", minimum=1),
        scheme,
        init,
        bool(bias),
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
    """Fraction of ``n_samples`` sampled regions whose Jacobian has full rank ``n``
    (and, with ``return_ranks=True``, the int64 ranks of every sample)."""
    X = _data(X)
    n = X.shape[0]
    _choice(scheme, "scheme", ("init", "uniform", "nonempty"))
    _choice(init, "init", ("torch", "gaussian"))
    _choice(wrt, "wrt", ("first", "all"))
    T = as_int(n_samples, "n_samples", minimum=1)
    t = None if tol is None else as_float(tol, "tol")
    with progress_bar(bool(progress), T, "samples", unit="sample") as cb:
        ranks = _core.landscape_sample_ranks(
            X,
            as_int(width, "width", minimum=1),
            T,
            scheme,
            init,
            bool(bias),
            wrt,
            t,
            bool(exact),
            as_seed(seed),
            n_threads=as_threads(n_threads),
            progress=cb,
        ).ranks
    ranks = ranks.astype(np.int64)
    frac = float(np.mean(ranks == n))
    return (frac, ranks) if return_ranks else frac


@dataclass
class PhaseDiagram:
    """Result of :func:`phase_diagram`: ``p_full[i, j]`` is P(full rank) and
    ``mean_rank_ratio[i, j]`` the mean of rank / n at ``n_values[i]``, ``widths[j]``."""

    d: int
    n_values: np.ndarray
    widths: np.ndarray
    trials: int
    p_full: np.ndarray
    mean_rank_ratio: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    def rank_rule(self) -> str:
        """How ranks were decided, for figure captions."""
        if self.settings.get("exact"):
            return "exact rank over Q (float64 data, modulo random primes)"
        tol = self.settings.get("tol")
        return "float64 SVD, " + ("NumPy default tolerance" if tol is None else f"tol = {tol:g}")

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """One row per cell: d, n, width, trials, p_full, mean_rank_ratio, plus settings."""
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            keys = sorted(self.settings)
            w.writerow(["d", "n", "width", "trials", "p_full", "mean_rank_ratio", *keys])
            for i, n in enumerate(self.n_values):
                for j, m in enumerate(self.widths):
                    w.writerow(
                        [
                            self.d,
                            int(n),
                            int(m),
                            self.trials,
                            f"{self.p_full[i, j]:.6g}",
                            f"{self.mean_rank_ratio[i, j]:.6g}",
                            *[self.settings[k] for k in keys],
                        ]
                    )

    def plot(self, ax: Any = None, value: Literal["p_full", "mean_rank_ratio"] = "p_full") -> Any:
        """Heatmap (matplotlib) of P(full rank) over n (rows) and width (columns)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover
            raise ImportError("plot needs matplotlib: pip install 'regions[plot]'") from None
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4.5))
        data = getattr(self, value)
        im = ax.imshow(
            data,
            origin="lower",
            aspect="auto",
            vmin=0,
            vmax=1,
            cmap="viridis",
            extent=(self.widths[0], self.widths[-1], self.n_values[0], self.n_values[-1]),
        )
        ax.set_xlabel("width m")
        ax.set_ylabel("data points n")
        label = "P(full rank)" if value == "p_full" else "mean rank / n"
        ax.set_title(
            f"d = {self.d}, {self.trials} trials, scheme {self.settings.get('scheme')}\n{self.rank_rule()}", fontsize=9
        )
        ax.figure.colorbar(im, ax=ax, label=label)
        return ax


def phase_diagram(
    d: int,
    n_values: Sequence[int],
    widths: Sequence[int],
    trials: int = 100,
    *,
    data: Literal["uniform01", "gaussian"] = "uniform01",
    scheme: Scheme = "init",
    init: Init = "torch",
    wrt: Wrt = "first",
    bias: bool = True,
    tol: float | None = None,
    exact: bool = False,
    seed: int = 0,
    n_threads: int | None = None,
    progress: bool = False,
) -> PhaseDiagram:
    """P(full rank) and mean rank / n over a grid of data sizes and widths.

    Every trial draws its own data (``data``: ``U[0,1]^{n×d}`` as in Karhadkar et al.,
    or Gaussian) and one pattern under ``scheme``, from random stream (cell, trial) of
    ``seed``; all trials of all cells run in parallel and the result never depends on
    the thread count.
    """
    d = as_int(d, "d", minimum=1)
    ns = np.array([as_int(v, "n_values", minimum=1) for v in n_values], dtype=np.int64)
    ws = np.array([as_int(v, "widths", minimum=1) for v in widths], dtype=np.int64)
    if ns.size == 0 or ws.size == 0:
        raise ValueError("n_values, widths: must not be empty")
    trials = as_int(trials, "trials", minimum=1)
    _choice(data, "data", ("uniform01", "gaussian"))
    _choice(scheme, "scheme", ("init", "uniform", "nonempty"))
    _choice(init, "init", ("torch", "gaussian"))
    _choice(wrt, "wrt", ("first", "all"))
    t = None if tol is None else as_float(tol, "tol")
    cells = [(int(n), int(m)) for n in ns for m in ws]
    with progress_bar(bool(progress), len(cells) * trials, "trials", unit="trial") as cb:
        res = _core.landscape_phase_diagram(
            cells,
            d,
            trials,
            data,
            bool(bias),
            scheme,
            init,
            wrt,
            t,
            bool(exact),
            as_seed(seed),
            n_threads=as_threads(n_threads),
            progress=cb,
        )
    full = np.array(res.full_rank, dtype=float).reshape(len(ns), len(ws)) / trials
    rsum = np.array(res.rank_sum, dtype=float).reshape(len(ns), len(ws))
    ratio = rsum / (trials * ns[:, None])
    settings = {
        "data": data,
        "scheme": scheme,
        "init": init,
        "wrt": wrt,
        "bias": bias,
        "tol": tol,
        "exact": exact,
        "seed": seed,
        "dtype": "float64",
    }
    return PhaseDiagram(d, ns, ws, trials, full, ratio, settings)


def matrix_rank(
    M: Any, *, tol: float | None = None, exact: bool = False, return_margin: bool = False, seed: int = 0
) -> Any:
    """Rank of any real matrix: NumPy's ``matrix_rank`` semantics (``tol=None``: default
    tolerance) or, with ``exact=True``, its exact rank over Q (entries as dyadic
    rationals, modulo random primes)."""
    a = as_float_array(M, "M", ndim=2)
    t = None if tol is None else as_float(tol, "tol")
    res = _core.matrix_rank(a, t, bool(exact), as_seed(seed), bool(return_margin))
    return (int(res.rank), float(res.margin)) if return_margin else int(res.rank)


__all__ = [
    "PhaseDiagram",
    "count_regions",
    "full_rank_fraction",
    "jacobian",
    "jacobian_rank",
    "matrix_rank",
    "neuron_patterns",
    "patterns",
    "phase_diagram",
    "sample_patterns",
]
