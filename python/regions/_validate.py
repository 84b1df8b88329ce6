"""Argument validation and normalization shared by the public API.

Every public function funnels its arrays through these helpers, so that bad input
raises a ``ValueError``/``TypeError`` naming the argument and the shape or value at
fault, and the Rust core only ever sees finite, native-endian, C-contiguous float64.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def _dtype_ok(a: np.ndarray, name: str) -> None:
    kind = a.dtype.kind
    if kind == "b":
        raise TypeError(f"{name}: expected a real (float or integer) array, got dtype bool")
    if kind not in "fiu":
        raise TypeError(f"{name}: expected a real (float or integer) array, got dtype {a.dtype}")


def _asarray(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name}: cannot be converted to an array ({exc})") from None


def as_float_array(
    value: Any,
    name: str,
    ndim: int | None = None,
    shape: tuple[int | None, ...] | None = None,
    allow_empty: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Return ``value`` as a finite, C-contiguous, native float64 array, or raise.

    ``shape`` may contain ``None`` for free axes; it implies ``ndim``.
    """
    a = _asarray(value, name)
    _dtype_ok(a, name)
    if shape is not None:
        ndim = len(shape)
    if ndim is not None and a.ndim != ndim:
        want = " of shape (" + ", ".join("N" if s is None else str(s) for s in shape) + ")" if shape else ""
        raise ValueError(f"{name}: expected a {ndim}-d array{want}, got shape {a.shape}")
    if shape is not None:
        for axis, (got, size) in enumerate(zip(a.shape, shape)):
            if size is not None and got != size:
                raise ValueError(f"{name}: expected size {size} on axis {axis}, got shape {a.shape}")
    if not allow_empty and a.size == 0:
        raise ValueError(f"{name}: must not be empty, got shape {a.shape}")
    a = np.ascontiguousarray(a, dtype=np.float64)  # also converts big-endian to native
    if finite and a.size and not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name}: contains NaN or inf (first at index {tuple(int(i) for i in bad)})")
    return a


def as_points(X: Any, dim: int, name: str = "X") -> np.ndarray:
    """Points as an (N, dim) float64 array; a single point of shape (dim,) is rejected
    with a hint, so that shapes are never guessed."""
    a = _asarray(X, name)
    if a.ndim == 1:
        raise ValueError(
            f"{name}: expected a 2-d array of shape (N, {dim}), got shape {a.shape}; "
            f"use X.reshape(1, -1) for a single point"
        )
    return as_float_array(a, name, shape=(None, dim))


#: The largest size or count the core accepts (``isize::MAX``, 2**63 - 1).
MAX_SIZE = 2**63 - 1


def as_int(value: Any, name: str, minimum: int | None = None, maximum: int | None = MAX_SIZE) -> int:
    """A Python int (bool and non-integral values are rejected), at most ``maximum``
    (default 2**63 - 1, so that a huge int is a ``ValueError`` naming the argument, not
    the core's nameless ``OverflowError``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        shown = "2**63 - 1" if maximum == MAX_SIZE else str(maximum)
        raise ValueError(f"{name}: must be <= {shown}, got {v}")
    return v


def as_limit(value: Any, name: str) -> int:
    """A limit (``max_regions``, ``max_patterns``, ...): a positive int; any value
    beyond 2**63 - 1 means "no limit" and is clamped there."""
    return min(as_int(value, name, minimum=1, maximum=None), MAX_SIZE)


def as_float(value: Any, name: str) -> float:
    """A finite Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name}: must be finite, got {v}")
    return v


def as_sequence(value: Any, name: str) -> list[Any]:
    """A sequence (list, tuple, array, range...) as a list; ``None``, a scalar or a
    string is refused naming the argument."""
    if value is None or isinstance(value, (str, bytes, numbers.Number, np.generic)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name}: expected a sequence, got {type(value).__name__} {value!r}")
    return list(value)


def as_bool(value: Any, name: str) -> bool:
    """A flag: ``True`` or ``False`` (or a NumPy bool); anything else (``"yes"``, ``1``,
    ``None``) is refused rather than read by its truth value."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name}: expected True or False, got {type(value).__name__} {value!r}")


def as_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """One of the strings ``choices``; anything else is refused naming the argument."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {choices}, got {type(value).__name__} {value!r}")
    if value not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {value!r}")
    return value


def as_tol(value: Any, name: str = "tol") -> float | None:
    """A tolerance: ``None`` (the default rule) or a finite real ``>= 0``."""
    if value is None:
        return None
    t = as_float(value, name)
    if t < 0:
        raise ValueError(f"{name}: must be >= 0, got {t}")
    return t


def as_threads(n_threads: Any) -> int | None:
    """``None`` (the default set by ``regions.set_num_threads``) or a positive int."""
    if n_threads is None:
        return None
    return as_int(n_threads, "n_threads", minimum=1, maximum=1024)


def as_seed(seed: Any) -> int:
    """A seed in [0, 2**64). ``None`` means fresh entropy from the operating system (as
    ``numpy.random.default_rng(None)`` does), so results then differ from call to call;
    pass an integer for reproducible results (every public default is ``0``)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy) % 2**64  # type: ignore[arg-type]
    return as_int(seed, "seed", minimum=0, maximum=2**64 - 1)
