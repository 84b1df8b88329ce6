"""The domains of region walks: :class:`Box`, :class:`Polytope` and :class:`Space`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import as_float_array, as_int


class Box:
    """The box ``[lo, hi]`` of input space.

    Parameters
    ----------
    lo, hi : array_like
        Its corners, vectors of the same length with ``lo < hi`` in every coordinate.

    Raises
    ------
    ValueError
        The corners have different shapes, are not finite, or ``lo >= hi`` somewhere.
    """

    def __init__(self, lo: Any, hi: Any):
        lo_a = np.atleast_1d(as_float_array(lo, "lo"))
        hi_a = np.atleast_1d(as_float_array(hi, "hi"))
        if lo_a.ndim != 1 or lo_a.shape != hi_a.shape:
            raise ValueError(
                f"lo, hi: expected two vectors of the same length, got shapes {lo_a.shape} and {hi_a.shape}"
            )
        if not np.all(lo_a < hi_a):
            raise ValueError("lo, hi: need lo < hi in every coordinate")
        self.lo, self.hi = np.ascontiguousarray(lo_a), np.ascontiguousarray(hi_a)

    @property
    def dim(self) -> int:
        """The dimension ``d`` of the box."""
        return int(self.lo.shape[0])

    @property
    def volume(self) -> float:
        """The volume ``prod(hi - lo)`` (rounded to float64)."""
        return float(np.prod(self.hi - self.lo))

    @classmethod
    def cube(cls, d: int, lo: float = -1.0, hi: float = 1.0) -> Box:
        """The cube ``[lo, hi]^d``.

        Parameters
        ----------
        d : int
            Its dimension.
        lo, hi : float
            The bounds of every coordinate (``lo < hi``).

        Returns
        -------
        Box
            The cube.
        """
        return cls(np.full(d, float(lo)), np.full(d, float(hi)))

    def __repr__(self) -> str:
        return f"Box(lo={self.lo.tolist()}, hi={self.hi.tolist()})"


class Polytope:
    """The polytope ``{x : A x <= b}``.

    Parameters
    ----------
    A : array_like
        ``(m, d)`` with ``m > d`` and no zero row.
    b : array_like
        ``(m,)``.

    Notes
    -----
    It must be bounded with non-empty interior; that is checked (exactly) when regions
    are computed.
    """

    def __init__(self, A: Any, b: Any):
        A_a = as_float_array(A, "A", ndim=2)
        b_a = as_float_array(b, "b", ndim=1)
        if A_a.shape[0] != b_a.shape[0]:
            raise ValueError(f"A, b: A has {A_a.shape[0]} rows but b has {b_a.shape[0]} entries")
        if A_a.shape[0] <= A_a.shape[1]:
            raise ValueError(
                f"A: a bounded polytope in dimension {A_a.shape[1]} needs more than "
                f"{A_a.shape[1]} inequalities, got {A_a.shape[0]}"
            )
        zero = np.flatnonzero(~np.any(A_a != 0, axis=1))
        if zero.size:
            raise ValueError(f"A: row {int(zero[0])} is zero")
        self.A, self.b = np.ascontiguousarray(A_a), np.ascontiguousarray(b_a)

    @property
    def dim(self) -> int:
        """The dimension ``d`` of the polytope."""
        return int(self.A.shape[1])

    def __repr__(self) -> str:
        return f"Polytope({self.A.shape[0]} inequalities in dimension {self.dim})"


class Space:
    """All of input space ``R^d``: the classical region count of expressivity, which
    Zaslavsky's formula and the upper bounds of :mod:`regions.bounds` speak of.

    Parameters
    ----------
    d : int
        The dimension (the network's input dimension), ``1 <= d <= 20``.

    Notes
    -----
    The count is exact for any network, degenerate ones included, with no box size
    guessed: the regions are those of the homogenized network ``t f(x / t)`` on the
    faces of a cube of ``(x, t)`` (``docs/math.md`` section 2). Regions may be
    unbounded: a :class:`SpaceRegionSet` gives each as points and recession rays.
    """

    def __init__(self, d: int):
        self.d = as_int(d, "d", minimum=1, maximum=20)

    @property
    def dim(self) -> int:
        """The dimension ``d``."""
        return self.d

    def __repr__(self) -> str:
        return f"Space({self.d})"
