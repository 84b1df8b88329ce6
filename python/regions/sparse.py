"""Sparse weight matrices in compressed rows (CSR), without SciPy.

Convolutions and average pooling are affine maps with few non-zeros per row. A
:class:`SparseMatrix` holds such a weight matrix (row ``i`` has the columns
``indices[indptr[i]:indptr[i+1]]``, strictly increasing, with the values
``data[indptr[i]:indptr[i+1]]``), so that memory grows with the number of weights rather
than with inputs × outputs. It is what :meth:`regions.Layer.sparse` takes and what a
layer imported from a convolution holds in ``weights``; a SciPy ``csr_matrix`` (or
``csr_array``) converts with :meth:`SparseMatrix.from_scipy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SparseMatrix"]


def _frozen(a: Any, dtype: Any) -> np.ndarray:
    out = np.array(a, dtype=dtype, copy=True).reshape(-1)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class SparseMatrix:
    """A read-only matrix in compressed rows.

    Attributes
    ----------
    indptr : ndarray
        ``(rows + 1,)`` int64, non-decreasing, from 0 to ``nnz``.
    indices : ndarray
        ``(nnz,)`` int64 column indices, strictly increasing within each row.
    data : ndarray
        ``(nnz,)`` float64 values.
    shape : tuple of int
        ``(rows, cols)``.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    def __init__(self, indptr: Any, indices: Any, data: Any, shape: tuple[int, int], *, name: str = "weights"):
        self._set(_frozen(indptr, np.int64), _frozen(indices, np.int64), _frozen(data, np.float64), shape, name)

    @classmethod
    def _adopt(
        cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int], name: str
    ) -> SparseMatrix:
        """Like the constructor, but takes ownership of fresh arrays (int64, int64,
        float64) instead of copying them (the importers' large layers)."""
        m = cls.__new__(cls)
        for a in (indptr, indices, data):
            a.setflags(write=False)
        m._set(indptr, indices, data, shape, name)
        return m

    def _set(self, ptr: np.ndarray, idx: np.ndarray, val: np.ndarray, shape: tuple[int, int], name: str) -> None:
        rows, cols = (int(shape[0]), int(shape[1]))
        # No columns is allowed: the parameterization of a layer without parameters.
        if rows < 1 or cols < 0:
            raise ValueError(f"{name}: shape must have rows >= 1 and cols >= 0, got {shape}")
        if ptr.shape != (rows + 1,) or ptr[0] != 0 or np.any(np.diff(ptr) < 0):
            raise ValueError(f"{name}: indptr must be {rows + 1} non-decreasing offsets from 0, got {ptr.shape[0]}")
        if idx.shape != val.shape or idx.shape[0] != ptr[-1]:
            raise ValueError(
                f"{name}: indptr ends at {int(ptr[-1])} but there are {idx.shape[0]} indices and {val.shape[0]} values"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= cols):
            raise ValueError(f"{name}: column indices must be in 0..{cols - 1}")
        step = np.diff(idx)
        row_start = np.zeros(idx.shape[0], dtype=bool)
        row_start[ptr[:-1][np.diff(ptr) > 0]] = True
        if np.any((step <= 0) & ~row_start[1:]):
            raise ValueError(f"{name}: the columns of each row must be strictly increasing (no duplicates)")
        if not np.all(np.isfinite(val)):
            raise ValueError(f"{name}: values must be finite (no NaN or inf)")
        object.__setattr__(self, "indptr", ptr)
        object.__setattr__(self, "indices", idx)
        object.__setattr__(self, "data", val)
        object.__setattr__(self, "shape", (rows, cols))

    @classmethod
    def from_dense(cls, a: Any) -> SparseMatrix:
        """The non-zeros of a dense 2-D array.

        Parameters
        ----------
        a : array_like
            ``(rows, cols)``.

        Returns
        -------
        SparseMatrix
            The same matrix in compressed rows.
        """
        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(f"a: expected a 2-D array, got shape {a.shape}")
        r, c = np.nonzero(a)
        ptr = np.zeros(a.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=a.shape[0]), out=ptr[1:])
        return cls(ptr, c, a[r, c], a.shape)

    @classmethod
    def from_coo(cls, rows: Any, cols: Any, vals: Any, shape: tuple[int, int]) -> SparseMatrix:
        """Sum duplicate ``(row, col)`` entries and sort them into compressed rows.

        Parameters
        ----------
        rows, cols : array_like of int
            Coordinates.
        vals : array_like of float
            Values (entries at the same coordinates are added).
        shape : tuple of int
            ``(rows, cols)``.

        Returns
        -------
        SparseMatrix
            The matrix (explicit zeros that result from the sums are kept).
        """
        r = np.asarray(rows, dtype=np.int64).reshape(-1)
        c = np.asarray(cols, dtype=np.int64).reshape(-1)
        v = np.asarray(vals, dtype=np.float64).reshape(-1)
        n_rows, n_cols = int(shape[0]), int(shape[1])
        if n_rows < 1 or n_cols < 0:
            raise ValueError(f"shape: must have rows >= 1 and cols >= 0, got {shape}")
        if not r.shape == c.shape == v.shape:
            raise ValueError(f"rows, cols, vals: expected equal lengths, got {r.size}, {c.size}, {v.size}")
        # Checked before the entries are keyed: an out-of-range column would otherwise
        # land silently in the next row.
        if r.size and (r.min() < 0 or r.max() >= n_rows):
            raise ValueError(f"rows: must be in 0..{n_rows - 1}, got {int(r.min())}..{int(r.max())}")
        if c.size and (c.min() < 0 or c.max() >= n_cols):
            raise ValueError(f"cols: must be in 0..{n_cols - 1}, got {int(c.min())}..{int(c.max())}")
        key = r * max(n_cols, 1) + c
        order = np.argsort(key, kind="stable")
        key, v = key[order], v[order]
        first = np.ones(key.shape[0], dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        summed = np.add.reduceat(v, starts) if v.size else v
        key = key[starts]
        ptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(key // max(n_cols, 1), minlength=n_rows), out=ptr[1:])
        return cls(ptr, key % max(n_cols, 1), summed, (n_rows, n_cols))

    @classmethod
    def from_scipy(cls, m: Any) -> SparseMatrix:
        """Convert a SciPy sparse matrix or array (any format).

        Parameters
        ----------
        m : scipy.sparse matrix or array
            The matrix.

        Returns
        -------
        SparseMatrix
            The matrix with duplicates summed and columns sorted.
        """
        coo = m.tocoo()
        return cls.from_coo(coo.row, coo.col, coo.data, coo.shape)

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return int(self.indices.shape[0])

    @property
    def row_of_entry(self) -> np.ndarray:
        """The row of every stored entry, ``(nnz,)`` int64."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    def toarray(self) -> np.ndarray:
        """The dense matrix.

        Returns
        -------
        ndarray
            ``shape`` float64.
        """
        out = np.zeros(self.shape)
        out[self.row_of_entry, self.indices] = self.data
        return out

    def matmul(self, m: Any) -> np.ndarray:
        """``self @ m`` for a dense vector or matrix ``m``.

        Parameters
        ----------
        m : array_like
            ``(cols,)`` or ``(cols, k)``.

        Returns
        -------
        ndarray
            ``(rows,)`` or ``(rows, k)``.
        """
        m = np.asarray(m, dtype=np.float64)
        terms = self.data.reshape((-1,) + (1,) * (m.ndim - 1)) * m[self.indices]
        out = np.zeros((self.shape[0],) + m.shape[1:])
        rows = np.flatnonzero(np.diff(self.indptr) > 0)
        if rows.size:
            out[rows] = np.add.reduceat(terms, self.indptr[rows], axis=0)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through __init__, so that an unpickled matrix is checked and read-only.
        return (SparseMatrix, (self.indptr, self.indices, self.data, self.shape))

    def __matmul__(self, m: Any) -> np.ndarray:
        return self.matmul(m)

    def rmatmul_t(self, z: Any) -> np.ndarray:
        """``z @ self.T`` for a batch of rows ``z``, ``(N, cols)`` → ``(N, rows)``.

        Parameters
        ----------
        z : array_like
            ``(N, cols)``.

        Returns
        -------
        ndarray
            ``(N, rows)``.
        """
        out: np.ndarray = self.matmul(np.asarray(z, dtype=np.float64).T).T
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SparseMatrix):
            return NotImplemented
        return (
            self.shape == other.shape
            and np.array_equal(self.indptr, other.indptr)
            and np.array_equal(self.indices, other.indices)
            and np.array_equal(self.data, other.data)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking container: not hashable

    def __repr__(self) -> str:
        return f"SparseMatrix(shape={self.shape}, nnz={self.nnz})"

    def _core(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        return (self.indptr, self.indices, self.data, self.shape[1])
