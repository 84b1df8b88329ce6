"""Hidden layer types: :class:`Layer` (an affine map, dense or sparse, with its
activation and carried inputs) and :class:`MaxPool`, with their validation. The bottom
of the network package: it imports only the validators and :mod:`regions.sparse`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._validate import as_float, as_float_array
from ..sparse import SparseMatrix

Activation = Literal["relu", "leaky_relu", "maxout"]


_ACTIVATIONS = ("relu", "leaky_relu", "maxout")

# The widest input a pooling layer may read: 2**32 values (a float64 row of the layer
# before would take 32 GiB).
_MAX_WIDTH = 2**32


@dataclass(frozen=True)
class Layer:
    """One hidden affine layer with its activation (build it with :meth:`dense`).

    Attributes
    ----------
    kind : {"relu", "leaky_relu", "maxout"}
        The activation.
    weights : ndarray or SparseMatrix
        ``(units, in)``, or ``(units, k, in)`` for maxout (read-only copy); a
        :class:`~regions.sparse.SparseMatrix` for a layer built with :meth:`sparse`
        (convolutions, average pooling), ``(units * k, in)`` for maxout (piece ``r``
        of unit ``i`` in row ``i * k + r``).
    bias : ndarray
        ``(units,)``, or ``(units, k)`` for maxout (read-only copy).
    alpha : float
        The leaky ReLU's negative slope (0 otherwise).
    params : SparseMatrix or None
        The layer's parameterization for the parameter Jacobian: row ``r`` holds the
        derivatives of stored entry ``r`` (the weights in storage order, then the
        biases) with respect to the layer's parameters (its columns). ``None``: every
        stored weight and bias is one parameter. A convolution maps every entry to its
        kernel entry (weight sharing).
    carry : ndarray
        The inputs the layer passes on unchanged after its units (int64 indices into
        its input, read-only; empty for a plain layer): a skip connection. The layer's
        output, the next layer's input, is ``[units, input[carry]]`` (:attr:`width`
        values); carried values have no pattern entry. ``relu(x + f(x))`` is a layer
        computing ``f``'s hidden units that carries ``x``, then a layer reading both.
    """

    kind: str
    weights: Any
    bias: np.ndarray
    alpha: float = 0.0
    params: SparseMatrix | None = None
    carry: Any = None

    def __post_init__(self) -> None:
        # A network is immutable: its layers hold read-only copies, so that the Rust
        # copy, `save()` and `affine_map` can never disagree with the caller's arrays.
        if self.kind not in _ACTIVATIONS:
            raise ValueError(f"kind: expected one of {_ACTIVATIONS}, got {self.kind!r}")
        if not isinstance(self.weights, SparseMatrix):
            object.__setattr__(self, "weights", _frozen(self.weights))
        object.__setattr__(self, "bias", _frozen(self.bias))
        if isinstance(self.weights, SparseMatrix) and self.kind == "maxout":
            if self.bias.ndim != 2 or self.bias.size != self.weights.shape[0]:
                raise ValueError(
                    f"bias: a sparse maxout layer needs biases (units, k) with units * k = {self.weights.shape[0]} "
                    f"(the weights' rows), got shape {self.bias.shape}"
                )
        if self.params is not None:
            if not isinstance(self.params, SparseMatrix):
                raise TypeError(f"params: expected a SparseMatrix or None, got {type(self.params).__name__}")
            if self.params.shape[0] != self.n_entries + self.bias.size:
                raise ValueError(
                    f"params: expected {self.n_entries + self.bias.size} rows (one per stored weight and bias), "
                    f"got {self.params.shape[0]}"
                )
        object.__setattr__(self, "carry", _carry(self.carry, self.n_in))

    @property
    def is_sparse(self) -> bool:
        """Whether the weights are a :class:`~regions.sparse.SparseMatrix`."""
        return isinstance(self.weights, SparseMatrix)

    @property
    def n_entries(self) -> int:
        """Number of stored weights (the non-zeros of sparse weights)."""
        return int(self.weights.nnz if isinstance(self.weights, SparseMatrix) else self.weights.size)

    def affine(self, z: Any) -> np.ndarray:
        """The layer's pre-activations ``z @ W.T + b`` on a batch of rows (not maxout).

        Parameters
        ----------
        z : array_like
            ``(N, in)``.

        Returns
        -------
        ndarray
            ``(N, units)``.
        """
        if isinstance(self.weights, SparseMatrix):
            out: np.ndarray = self.weights.rmatmul_t(z) + self.bias
        else:
            out = np.asarray(z) @ self.weights.T + self.bias
        return out

    def _matmul(self, m: np.ndarray) -> np.ndarray:
        """``W @ m`` for the ReLU / leaky weights."""
        return self.weights.matmul(m) if isinstance(self.weights, SparseMatrix) else self.weights @ m

    @property
    def units(self) -> int:
        """Number of units (pattern entries) of the layer."""
        return int(self.bias.shape[0])

    @property
    def n_in(self) -> int:
        """Number of inputs of the layer."""
        return int(self.weights.shape[-1])

    @property
    def width(self) -> int:
        """Number of outputs: the units, then the carried inputs."""
        return self.units + int(self.carry.size)

    @property
    def k(self) -> int:
        """Rank of a maxout layer (1 for ReLU / leaky ReLU)."""
        return int(self.bias.shape[1]) if self.kind == "maxout" else 1

    def _pieces(self, units: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weights ``(len(units), in)`` and biases of piece ``codes[j]`` of unit ``units[j]``
        (maxout)."""
        b = self.bias[units, codes]
        if isinstance(self.weights, SparseMatrix):
            w, rows = self.weights, units * self.k + codes
            out = np.zeros((rows.size, self.n_in))
            for j, r in enumerate(rows.tolist()):
                lo, hi = w.indptr[r], w.indptr[r + 1]
                out[j, w.indices[lo:hi]] = w.data[lo:hi]
            return out, b
        return self.weights[units, codes], b

    def _core_spec(self) -> tuple[Any, ...]:
        params = None if self.params is None else self.params._core()
        if self.kind == "maxout":
            if isinstance(self.weights, SparseMatrix):
                w: Any = self.weights._core()
            else:
                w = np.ascontiguousarray(self.weights.reshape(self.units * self.k, self.n_in))
            return ("maxout", w, np.ascontiguousarray(self.bias.reshape(-1)), self.k, params)
        weights = self.weights._core() if isinstance(self.weights, SparseMatrix) else self.weights
        return (self.kind, weights, self.bias, self.alpha, params)

    @property
    def n_params(self) -> int:
        """Number of parameters (weights and biases, or the columns of ``params``)."""
        if self.params is not None:
            return int(self.params.shape[1])
        return int(self.n_entries + self.bias.size)

    @classmethod
    def dense(cls, weights: Any, bias: Any, activation: Activation = "relu", alpha: float = 0.01) -> Layer:
        """A validated hidden affine layer with its activation.

        Parameters
        ----------
        weights : array_like
            ``(units, in)`` (PyTorch's convention), or ``(units, k, in)`` for maxout.
        bias : array_like
            ``(units,)``, or ``(units, k)`` for maxout.
        activation : {"relu", "leaky_relu", "maxout"}
            The activation.
        alpha : float
            The leaky ReLU's negative slope, in (0, 1).

        Returns
        -------
        Layer
            The layer (holding read-only copies of the arrays).
        """
        return _check_layer(activation, weights, bias, 0, as_float(alpha, "alpha"))

    @classmethod
    def sparse(
        cls,
        weights: SparseMatrix,
        bias: Any,
        activation: Activation = "relu",
        alpha: float = 0.01,
        params: SparseMatrix | None = None,
    ) -> Layer:
        """A validated hidden layer with sparse weights (a convolution, a pooling average).

        Parameters
        ----------
        weights : SparseMatrix
            ``(units, in)`` in compressed rows (``SparseMatrix.from_dense`` /
            ``from_scipy`` / ``from_coo`` build one); ``(units * k, in)`` for maxout of
            rank ``k`` (piece ``r`` of unit ``i`` in row ``i * k + r``).
        bias : array_like
            ``(units,)``, or ``(units, k)`` for maxout.
        activation : {"relu", "leaky_relu", "maxout"}
            The activation.
        alpha : float
            The leaky ReLU's negative slope, in (0, 1).
        params : SparseMatrix, optional
            The parameterization (see the class attributes); ``None``: every non-zero
            and every bias is a parameter.

        Returns
        -------
        Layer
            The layer.
        """
        if not isinstance(weights, SparseMatrix):
            raise TypeError(f"weights: expected a SparseMatrix, got {type(weights).__name__}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation: expected one of {_ACTIVATIONS}, got {activation!r}")
        alpha = as_float(alpha, "alpha")
        if activation == "leaky_relu" and not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha: leaky ReLU slope must be in (0, 1), got {alpha}")
        if activation == "maxout":
            b = as_float_array(bias, "bias", ndim=2)
            if b.shape[1] < 2 or b.size != weights.shape[0]:
                raise ValueError(
                    f"bias: a sparse maxout layer needs biases (units, k) with k >= 2 and units * k = "
                    f"{weights.shape[0]} (the weights' rows), got shape {b.shape}"
                )
        else:
            b = as_float_array(bias, "bias", shape=(weights.shape[0],))
        return cls(activation, weights, b, alpha if activation == "leaky_relu" else 0.0, params)


@dataclass(frozen=True)
class MaxPool:
    """A max-pooling layer: unit ``j`` is the max of the previous layer's units in
    ``windows[j]`` (``docs/math.md`` sections 1 and 5). Its pattern entry is the position of
    the maximum inside the window, ties broken by the lowest position. ``n_in`` (the
    previous layer's width) is filled in by :meth:`Network.from_layers`. ``carry``: the
    inputs passed on unchanged after the pooled units (see :attr:`Layer.carry`)."""

    windows: tuple[np.ndarray, ...]
    n_in: int = -1
    kind: str = "maxpool"
    alpha: float = 0.0
    carry: Any = None

    def __init__(self, windows: Any, n_in: int | None = None, carry: Any = None):
        from ..maxpool import _windows

        ws, n = _windows(windows, n_in)
        if n > _MAX_WIDTH:
            raise ValueError(
                f"windows/n_in: a layer input of width {n} (index {n - 1}) is beyond any network "
                f"(at most 2**32 inputs; its previous layer would need that many units)"
            )
        frozen = []
        for w in ws:
            a = np.array(w, dtype=np.int64, copy=True)
            a.setflags(write=False)
            frozen.append(a)
        object.__setattr__(self, "windows", tuple(frozen))
        object.__setattr__(self, "n_in", n)
        object.__setattr__(self, "kind", "maxpool")
        object.__setattr__(self, "alpha", 0.0)
        object.__setattr__(self, "carry", _carry(carry, n if n >= 0 else None))
        object.__setattr__(self, "_given_n_in", n_in is not None)  # else the largest index + 1

    @property
    def units(self) -> int:
        """Number of windows (units, pattern entries) of the layer."""
        return len(self.windows)

    @property
    def k(self) -> int:
        """Largest window size."""
        return max(len(w) for w in self.windows)

    @property
    def width(self) -> int:
        """Number of outputs: the pooled units, then the carried inputs."""
        return self.units + int(self.carry.size)

    @property
    def n_params(self) -> int:
        """Number of parameters (0: pooling has none)."""
        return 0

    def _core_spec(self) -> tuple[Any, ...]:
        return ("maxpool", [w.tolist() for w in self.windows], self.n_in)


def _with_params(layer: Layer, params: SparseMatrix | None) -> Layer:
    return layer if params is None else dataclasses.replace(layer, params=params)


def _carry(carry: Any, n_in: int | None) -> np.ndarray:
    """``carry`` as read-only int64 indices into a layer's ``n_in`` inputs."""
    if carry is None:
        out = np.zeros(0, dtype=np.int64)
    else:
        a = np.asarray(carry)
        if a.size == 0:
            a = a.astype(np.int64)
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise TypeError(f"carry: expected a 1-d array of integer indices, got dtype {a.dtype} shape {a.shape}")
        out = np.array(a, dtype=np.int64, copy=True)
        bad = out[(out < 0) | (out >= (n_in if n_in is not None else np.iinfo(np.int64).max))]
        if bad.size:
            raise ValueError(f"carry: index {int(bad[0])} is out of range for the layer's {n_in} inputs")
    out.setflags(write=False)
    return out


def _frozen(a: Any) -> np.ndarray:
    """A read-only float64 copy of ``a`` (never a view of the caller's array)."""
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def _check_layer(kind: str, W: Any, b: Any, l: int, alpha: float) -> Layer:
    name = f"weights[{l}]"
    if kind not in _ACTIVATIONS:
        raise ValueError(f"activation: expected one of {_ACTIVATIONS}, got {kind!r} for layer {l}")
    if kind == "maxout":
        W = as_float_array(W, name, ndim=3)
        n, k, _ = W.shape
        if k < 2:
            raise ValueError(f"{name}: maxout weights (units, k, in) need rank k >= 2, got shape {W.shape}")
        b = as_float_array(b, f"biases[{l}]", shape=(n, k))
    else:
        W = as_float_array(W, name, ndim=2)
        b = as_float_array(b, f"biases[{l}]", shape=(W.shape[0],))
    if kind == "leaky_relu" and not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha: leaky ReLU slope must be in (0, 1), got {alpha}")
    return Layer(kind, W, b, alpha if kind == "leaky_relu" else 0.0)
