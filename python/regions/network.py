"""The network model (``../docs/math.md`` section 1) and activation patterns on points.

A :class:`Network` is a list of hidden layers followed by an affine output layer:
``h_l = W_l z_{l-1} + b_l``, ``z_l = σ_l(h_l)``, ``output = W_{L+1} z_L + b_{L+1}``, with
weights in PyTorch's ``(out, in)`` convention. Hidden layers are ReLU, leaky ReLU
(slope ``alpha`` in (0, 1)) or maxout of rank ``k`` (weights ``(units, k, in)``, biases
``(units, k)``).

Activation patterns
-------------------
The pattern of a point concatenates, layer by layer, one entry per hidden unit:
``[h > 0]`` for ReLU/leaky units (a pre-activation of exactly 0 is *inactive*), and
the index of the maximizing piece for maxout units (ties go to the lowest index).
The packed form stores the entries in ``n_words`` little-endian ``uint64`` words:
entry ``j`` of a ReLU network is bit ``j % 64`` of word ``j // 64``; a maxout unit
of rank ``k`` takes ``ceil(log2 k)`` consecutive bits. Patterns are computed in
float64; a point within rounding error of a hyperplane may be classified differently
by another implementation that sums in another order.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from . import _core, functional
from . import regions as _regions
from ._progress import progress_bar
from ._validate import as_float, as_float_array, as_int, as_points, as_seed, as_threads
from .functional import FunctionalDimension
from .sparse import SparseMatrix

Activation = Literal["relu", "leaky_relu", "maxout"]


_ACTIVATIONS = ("relu", "leaky_relu", "maxout")

if TYPE_CHECKING:  # pragma: no cover
    from .regions import RegionSet
_FORMAT_VERSION = 1


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
        from .maxpool import _windows

        ws, n = _windows(windows, n_in)
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


def _put_sparse(arrays: dict[str, np.ndarray], key: str, m: SparseMatrix) -> None:
    arrays[f"{key}_indptr"] = m.indptr
    arrays[f"{key}_indices"] = m.indices
    arrays[f"{key}_data"] = m.data
    arrays[f"{key}_shape"] = np.array(m.shape, dtype=np.int64)


def _get_sparse(array: Any, key: str) -> SparseMatrix:
    shape = array(f"{key}_shape")
    if shape.shape != (2,) or shape.dtype.kind not in "iu":
        raise ValueError(f"path: {key}_shape must hold 2 integers, got {shape!r}")
    m = (int(shape[0]), int(shape[1]))
    return SparseMatrix(array(f"{key}_indptr"), array(f"{key}_indices"), array(f"{key}_data"), m, name=f"path: {key}")


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


class Network:
    """A feed-forward piecewise-linear network evaluated in parallel Rust.

    Build one with :meth:`from_arrays`, :meth:`random`, :meth:`from_torch` or
    :meth:`load`. Every method that takes points accepts an ``(N, input_dim)`` array
    of real numbers, ``n_threads=`` (default: :func:`regions.set_num_threads`) and
    ``progress=True`` for a tqdm bar; Ctrl-C interrupts within about a second.
    """

    def __init__(
        self,
        layers: Sequence[Layer | MaxPool],
        output_weights: np.ndarray,
        output_bias: np.ndarray,
        output_params: SparseMatrix | None = None,
    ):
        self._layers = tuple(layers)
        self._out_w = _frozen(as_float_array(output_weights, "output weights", ndim=2))
        self._out_b = _frozen(as_float_array(output_bias, "output bias", shape=(self._out_w.shape[0],)))
        if output_params is not None and (
            not isinstance(output_params, SparseMatrix) or output_params.shape[0] != self._out_w.size + self._out_b.size
        ):
            raise ValueError(
                f"output_params: expected a SparseMatrix with {self._out_w.size + self._out_b.size} rows "
                "(one per output weight and bias)"
            )
        self._out_params = output_params
        # Why the parameter-space methods are refused (set by the importers), or None.
        self._no_jacobian: str | None = None
        prev = None
        for l, layer in enumerate(self._layers):
            if prev is not None and layer.n_in != prev:
                raise ValueError(
                    f"weights[{l}]: expects {layer.n_in} inputs but layer {l - 1} has {prev} outputs "
                    f"(shape {(layer.units, layer.n_in)})"
                )
            prev = layer.width
        if prev is not None and self._out_w.shape[1] != prev:
            raise ValueError(
                f"weights[{len(self._layers)}]: output layer expects {self._out_w.shape[1]} inputs "
                f"but the last hidden layer has {prev} outputs"
            )
        carried = any(layer.carry.size for layer in self._layers)
        self._core = _core.CoreNetwork(
            [layer._core_spec() for layer in self._layers],
            self._out_w,
            self._out_b,
            None if output_params is None else output_params._core(),
            [layer.carry.tolist() for layer in self._layers] if carried else None,
        )

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_layers(
        cls, layers: Sequence[Layer | MaxPool], output_weights: Any, output_bias: Any, input_dim: int | None = None
    ) -> Network:
        """A network from hidden layers and the output layer's weights and bias.

        Parameters
        ----------
        layers : sequence of Layer or MaxPool
            The hidden layers (``Layer.dense(W, b, activation)``, ``MaxPool(windows)``).
            A ``MaxPool`` pools the previous layer's units (the inputs if it comes
            first); its ``n_in`` is set here.
        output_weights : array_like
            ``(n_out, n_L)``.
        output_bias : array_like
            ``(n_out,)``.
        input_dim : int, optional
            The input dimension; required when the first layer is a ``MaxPool``.

        Returns
        -------
        Network
            The network.
        """
        fixed = []
        prev = input_dim
        for l, layer in enumerate(layers):
            if isinstance(layer, MaxPool):
                if prev is None:
                    raise ValueError("input_dim: required when the first layer is a MaxPool")
                if layer.n_in not in (-1, prev) and max(int(w.max()) for w in layer.windows) >= prev:
                    raise ValueError(f"layers[{l}]: windows index {layer.n_in} units but the previous layer has {prev}")
                layer = MaxPool(layer.windows, prev, layer.carry)
            elif not isinstance(layer, Layer):
                raise TypeError(f"layers[{l}]: expected Layer or MaxPool, got {type(layer).__name__}")
            fixed.append(layer)
            prev = layer.width
        out_w = as_float_array(output_weights, "output_weights", ndim=2)
        out_b = as_float_array(output_bias, "output_bias", shape=(out_w.shape[0],))
        return cls(fixed, out_w, out_b)

    @classmethod
    def from_arrays(
        cls,
        weights: Sequence[Any],
        biases: Sequence[Any],
        activation: Activation | Sequence[Activation] = "relu",
        alpha: float = 0.01,
    ) -> Network:
        """A network from weight and bias arrays, the last pair being the output layer.

        Parameters
        ----------
        weights : sequence of array_like
            ``weights[l]`` is ``(n_l, n_{l-1})`` (PyTorch's convention), or
            ``(n_l, k, n_{l-1})`` for a maxout layer of rank ``k``.
        biases : sequence of array_like
            ``biases[l]`` is ``(n_l,)``, or ``(n_l, k)`` for maxout.
        activation : str or sequence of str
            ``"relu"``, ``"leaky_relu"`` or ``"maxout"``: one name for every hidden
            layer, or one per hidden layer.
        alpha : float
            The leaky ReLU's negative slope, in (0, 1).

        Returns
        -------
        Network
            The network (holding read-only copies of the arrays).

        Raises
        ------
        TypeError, ValueError
            An array has the wrong type, shape or non-finite entries (the message names
            it), or the layers do not fit together.
        """
        if isinstance(weights, np.ndarray) or isinstance(biases, np.ndarray):
            raise TypeError("weights, biases: expected sequences of arrays (one per layer), got a single array")
        weights, biases = list(weights), list(biases)
        if len(weights) == 0:
            raise ValueError("weights: need at least the output layer, got an empty list")
        if len(weights) != len(biases):
            raise ValueError(f"biases: expected {len(weights)} bias arrays (one per weight array), got {len(biases)}")
        n_hidden_layers = len(weights) - 1
        acts = [activation] * n_hidden_layers if isinstance(activation, str) else list(activation)
        if len(acts) != n_hidden_layers:
            raise ValueError(f"activation: expected {n_hidden_layers} names (one per hidden layer), got {len(acts)}")
        alpha = as_float(alpha, "alpha")
        layers = [_check_layer(a, W, b, l, alpha) for l, (a, W, b) in enumerate(zip(acts, weights, biases))]
        out_w = as_float_array(weights[-1], f"weights[{n_hidden_layers}]", ndim=2)
        out_b = as_float_array(biases[-1], f"biases[{n_hidden_layers}]", shape=(out_w.shape[0],))
        return cls(layers, out_w, out_b)

    @classmethod
    def random(
        cls,
        widths: Sequence[int],
        activation: Activation = "relu",
        init: Literal["he", "torch"] = "he",
        seed: int | None = 0,
        k: int = 2,
        alpha: float = 0.01,
    ) -> Network:
        """A random network.

        Parameters
        ----------
        widths : sequence of int
            Layer sizes ``(n_0, n_1, ..., n_L, n_out)``, input first and output last, as
            in "784-128-128-10".
        activation : {"relu", "leaky_relu", "maxout"}
            The activation of every hidden layer.
        init : {"he", "torch"}
            ``"he"``: ``W = N(0, 1) * sqrt(2 / fan_in)``, ``b = N(0, 1) * 0.1`` (small
            non-zero biases, so that hyperplanes are in general position); ``"torch"``:
            PyTorch's ``nn.Linear`` default, ``U(±1/sqrt(fan_in))`` for weights and
            biases.
        seed : int or None
            Seed of the one ``numpy.random.default_rng(seed)`` drawing layer by layer,
            weights then biases; ``None`` draws fresh entropy (a different network each
            call), as NumPy does.
        k : int
            The maxout rank (maxout layers draw ``(n, k, fan_in)`` weights and
            ``(n, k)`` biases).
        alpha : float
            The leaky ReLU's negative slope.

        Returns
        -------
        Network
            The network.
        """
        widths = [as_int(w, "widths", minimum=1) for w in widths]
        if len(widths) < 2:
            raise ValueError(f"widths: need at least (input_dim, output_dim), got {widths}")
        if init not in ("he", "torch"):
            raise ValueError(f"init: expected 'he' or 'torch', got {init!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation: expected one of {_ACTIVATIONS}, got {activation!r}")
        k = as_int(k, "k", minimum=2) if activation == "maxout" else 1
        rng = np.random.default_rng(as_seed(seed))
        weights, biases = [], []
        for l, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            hidden = l < len(widths) - 2
            wshape = (n_out, k, n_in) if hidden and k > 1 else (n_out, n_in)
            bshape = wshape[:-1]
            if init == "he":
                weights.append(rng.standard_normal(wshape) * np.sqrt(2.0 / n_in))
                biases.append(rng.standard_normal(bshape) * 0.1)
            else:
                bound = 1.0 / np.sqrt(n_in)
                weights.append(rng.uniform(-bound, bound, wshape))
                biases.append(rng.uniform(-bound, bound, bshape))
        return cls.from_arrays(weights, biases, activation=activation, alpha=alpha)

    @classmethod
    def from_torch(cls, module: Any, input_shape: Any = None) -> Network:
        """Convert an evaluation-mode PyTorch model (MLPs, CNNs, residual networks).

        See :func:`regions.importers.from_torch` for the supported modules (linear,
        1-d/2-d convolutions, ReLU, leaky ReLU, max, average and adaptive average
        pooling, batch norm, flatten, dropout, identity), the functions a traced
        ``forward`` may call (``+`` of two tensors: skip connections) and the parameter
        order. torch is imported lazily.

        Parameters
        ----------
        module : torch.nn.Module
            The model in evaluation mode: an ``nn.Sequential`` (nested too), or any
            module whose ``forward`` ``torch.fx`` can trace.
        input_shape : tuple of int, optional
            One input without the batch axis (e.g. ``(1, 28, 28)``); required unless the
            model starts with a ``Linear`` layer.

        Returns
        -------
        Network
            The network, in float64, on flattened (row-major) inputs.

        Raises
        ------
        TypeError
            A module or operation is not supported, or the model cannot be traced (the
            message names the module or graph node and the supported list).
        ValueError
            A module in training mode, or shapes that do not fit (a skip connection
            adding tensors of different shapes names its node).
        """
        from .importers import from_torch

        return from_torch(module, input_shape)

    @classmethod
    def from_onnx(cls, model_or_path: Any, input_shape: Any = None) -> Network:
        """Read an ONNX model: a chain or a DAG of supported operators (residual networks).

        See :func:`regions.importers.from_onnx` (``Gemm``, ``MatMul``, ``Add`` of a
        constant or of two tensors, ``Relu``, ``LeakyRelu``, ``Conv``, ``MaxPool``,
        ``AveragePool``, ``GlobalAveragePool``, ``BatchNormalization``, ``Flatten``, ``Reshape``, ``Squeeze``, ``Identity``,
        ``Dropout``; opset 13 or newer). Only the graph and its tensors are read.

        Parameters
        ----------
        model_or_path : onnx.ModelProto, bytes, str or os.PathLike
            The model.
        input_shape : tuple of int, optional
            One input without the batch axis; default: the graph input's shape.

        Returns
        -------
        Network
            The network, in float64, on flattened (row-major) inputs.

        Raises
        ------
        TypeError
            An unsupported operator (the message names the node and the operator).
        ValueError
            An opset below 13, a node with several data inputs (other than ``Add``), or
            shapes that do not fit.
        """
        from .importers import from_onnx

        return from_onnx(model_or_path, input_shape)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save to a ``.npz`` file (no pickles; read back with :meth:`load`).

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (NumPy appends ``.npz`` when it is missing).
        """
        arrays: dict[str, np.ndarray] = {
            "format_version": np.array(_FORMAT_VERSION),
            "kinds": np.array([l.kind for l in self._layers], dtype="U16"),
            "alphas": np.array([l.alpha for l in self._layers], dtype=np.float64),
            "W_out": self._out_w,
            "b_out": self._out_b,
        }
        for i, l in enumerate(self._layers):
            if isinstance(l, MaxPool):
                pad = np.full((l.units, l.k), -1, dtype=np.int64)
                for j, w in enumerate(l.windows):
                    pad[j, : len(w)] = w
                arrays[f"windows{i}"] = pad
                arrays[f"n_in{i}"] = np.array(l.n_in)
            else:
                if isinstance(l.weights, SparseMatrix):
                    _put_sparse(arrays, f"S{i}", l.weights)
                else:
                    arrays[f"W{i}"] = l.weights
                arrays[f"b{i}"] = l.bias
                if l.params is not None:
                    _put_sparse(arrays, f"P{i}", l.params)
            if l.carry.size:
                arrays[f"carry{i}"] = l.carry
        if self._out_params is not None:
            _put_sparse(arrays, "P_out", self._out_params)
        if self._no_jacobian is not None:
            arrays["no_jacobian"] = np.array(self._no_jacobian)
        np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy stubs: **kwds typed as allow_pickle

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Network:
        """Load a network written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file.

        Returns
        -------
        Network
            The network.

        Raises
        ------
        ValueError
            The file is not a network written by :meth:`save` (the message says what is
            missing or wrong).
        """
        import zipfile

        try:
            f = np.load(path, allow_pickle=False)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            raise ValueError(
                f"path: {os.fspath(path)!r} is not a regions network file (not a NumPy .npz archive)"
            ) from None
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise ValueError(f"path: {os.fspath(path)!r} holds one array, not a regions network file (.npz)")
        with f:
            try:
                return cls._from_npz(f)
            except (KeyError, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise ValueError(f"path: {os.fspath(path)!r} is damaged or incomplete ({exc})") from None

    @classmethod
    def _from_npz(cls, f: Any) -> Network:
        def array(key: str) -> np.ndarray:
            if key not in f.files:
                raise ValueError(f"path: the file has no array {key!r} (not written by Network.save, or damaged)")
            return np.asarray(f[key])

        version = int(array("format_version")) if "format_version" in f.files else -1
        if version != _FORMAT_VERSION:
            raise ValueError(f"path: not a regions network file (format_version {version}, expected {_FORMAT_VERSION})")
        kinds, alphas = array("kinds"), array("alphas")
        if kinds.ndim != 1 or kinds.dtype.kind != "U" or alphas.shape != kinds.shape:
            raise ValueError(
                f"path: 'kinds' and 'alphas' must be 1-d of the same length, got {kinds.shape} and {alphas.shape}"
            )
        stored = {
            int(k[len(p) :]) for p in ("W", "windows") for k in f.files if k.startswith(p) and k[len(p) :].isdigit()
        } | {int(k[1:-7]) for k in f.files if k.startswith("S") and k.endswith("_indptr") and k[1:-7].isdigit()}
        if stored != set(range(len(kinds))):
            raise ValueError(
                f"path: 'kinds' lists {len(kinds)} hidden layers but the file stores layers {sorted(stored)}"
            )
        layers: list[Layer | MaxPool] = []
        for i, (kd, a) in enumerate(zip(kinds.tolist(), alphas.tolist())):
            carry = array(f"carry{i}") if f"carry{i}" in f.files else None
            if kd == "maxpool":
                layers.append(MaxPool([r[r >= 0] for r in array(f"windows{i}")], int(array(f"n_in{i}")), carry))
                continue
            if kd in _ACTIVATIONS and f"S{i}_indptr" in f.files:
                layer = Layer.sparse(_get_sparse(array, f"S{i}"), array(f"b{i}"), kd, a if kd == "leaky_relu" else 0.5)
            elif kd in _ACTIVATIONS:
                layer = _check_layer(kd, array(f"W{i}"), array(f"b{i}"), i, a if kd == "leaky_relu" else 0.5)
            else:
                raise ValueError(
                    f"path: layer {i} has unknown kind {kd!r} (expected one of {_ACTIVATIONS + ('maxpool',)})"
                )
            params = _get_sparse(array, f"P{i}") if f"P{i}_indptr" in f.files else None
            layers.append(dataclasses.replace(layer, params=params, carry=carry))
        out_params = _get_sparse(array, "P_out") if "P_out_indptr" in f.files else None
        net = cls(layers, array("W_out"), array("b_out"), out_params)
        if "no_jacobian" in f.files:
            net._no_jacobian = str(array("no_jacobian"))
        return net

    # ------------------------------------------------------------------ properties
    @property
    def layers(self) -> tuple[Layer | MaxPool, ...]:
        """The hidden layers."""
        return self._layers

    @property
    def input_dim(self) -> int:
        """Input dimension n_0."""
        return int(self._core.input_dim)

    @property
    def output_dim(self) -> int:
        """Output dimension."""
        return int(self._core.output_dim)

    @property
    def widths(self) -> tuple[int, ...]:
        """Hidden widths (n_1, ..., n_L): units per hidden layer."""
        return tuple(l.units for l in self._layers)

    @property
    def sizes(self) -> tuple[int, ...]:
        """All layer sizes (n_0, n_1, ..., n_L, n_out), as taken by :meth:`random`."""
        return (self.input_dim, *self.widths, self.output_dim)

    @property
    def n_hidden(self) -> int:
        """Number of hidden units = length of an (unpacked) activation pattern."""
        return int(self._core.n_hidden)

    @property
    def n_params(self) -> int:
        """Number of weights and biases, output layer included."""
        out = self._out_w.size + self._out_b.size if self._out_params is None else self._out_params.shape[1]
        return int(sum(l.n_params for l in self._layers) + out)

    @property
    def n_words(self) -> int:
        """uint64 words per packed pattern."""
        return int(self._core.n_words)

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation name of each hidden layer."""
        return tuple(l.kind for l in self._layers)

    def __repr__(self) -> str:
        return f"Network(sizes={self.sizes}, activations={self.activations})"

    # ------------------------------------------------------- pickling and tokens
    def _state(self) -> tuple[Any, ...]:
        """The arrays that define the network (no code): per layer ``(kind, W, b,
        alpha, params, carry)`` or ``("maxpool", windows, n_in, carry)``, then the output layer and
        its parameterization (``W`` and ``params`` may be :class:`SparseMatrix`), and why
        the parameter Jacobian is refused (or None)."""
        layers: list[tuple[Any, ...]] = []
        for l in self._layers:
            if isinstance(l, MaxPool):
                layers.append(("maxpool", [np.asarray(w) for w in l.windows], l.n_in, np.asarray(l.carry)))
            else:
                layers.append((l.kind, l.weights, np.asarray(l.bias), l.alpha, l.params, np.asarray(l.carry)))
        return layers, self._out_w, self._out_b, self._out_params, self._no_jacobian

    @classmethod
    def _from_state(
        cls,
        layers: list[tuple[Any, ...]],
        out_w: np.ndarray,
        out_b: np.ndarray,
        out_params: SparseMatrix | None = None,
        no_jacobian: str | None = None,
    ) -> Network:
        built: list[Layer | MaxPool] = [MaxPool(*spec[1:]) if spec[0] == "maxpool" else Layer(*spec) for spec in layers]
        net = cls(built, out_w, out_b, out_params)
        net._no_jacobian = no_jacobian
        return net

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and deep-copy) as the arrays only; unpickling rebuilds the Rust copy
        and read-only layers, so a network can be sent to a worker process or a Dask
        worker."""
        return (Network._from_state, self._state())

    def __dask_tokenize__(self) -> str:
        """A deterministic token: the SHA-256 of the kinds, shapes and bytes of the
        arrays (equal networks give equal tokens in any process)."""
        import hashlib

        h = hashlib.sha256()

        def put(part: Any) -> None:
            if isinstance(part, list):
                for a in part:
                    put(a)
            elif isinstance(part, SparseMatrix):
                h.update(f"sparse{part.shape}".encode())
                for a in (part.indptr, part.indices, part.data):
                    put(a)
            elif part is None:
                h.update(b"none")
            else:
                arr = np.ascontiguousarray(part)
                h.update(f"{arr.dtype}{arr.shape}".encode())
                h.update(arr.tobytes())

        layers, out_w, out_b, out_params, no_jacobian = self._state()
        for spec in layers:
            h.update(repr(spec[0]).encode())
            for part in spec[1:]:
                put(part)
        for part in (out_w, out_b, out_params, no_jacobian):
            put(part)
        return "regions.Network-" + h.hexdigest()

    # ------------------------------------------------------------------- evaluation
    def _run(self, method: str, X: Any, n_threads: Any, progress: bool, desc: str, **kw: Any) -> Any:
        X = as_points(X, self.input_dim)
        with progress_bar(bool(progress), X.shape[0], desc) as cb:
            return getattr(self._core, method)(X, n_threads=as_threads(n_threads), progress=cb, **kw)

    def __call__(self, X: Any, *, n_threads: int | None = None, progress: bool = False) -> np.ndarray:
        """The network's outputs on the rows of ``X``.

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        ndarray
            float64 ``(N, output_dim)``.
        """
        return np.asarray(self._run("forward", X, n_threads, progress, "forward"))

    def activation_patterns(
        self, X: Any, *, packed: bool = False, n_threads: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """The activation pattern of every row of ``X``.

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        packed : bool
            Return the bit-packed form described in the module docstring.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        ndarray
            bool ``(N, n_hidden)`` for ReLU / leaky networks; int32 piece indices for
            networks with maxout or max-pooling layers (ReLU units then give 0/1, a
            pooling unit the position of its maximum in its window); with
            ``packed=True``, uint64 ``(N, n_words)``.
        """
        words = self._run("patterns_packed", X, n_threads, progress, "patterns")
        return words if packed else self._core.decode(words)

    def decode_patterns(self, packed: Any) -> np.ndarray:
        """Unpack patterns from their packed form.

        Parameters
        ----------
        packed : array_like
            uint64 ``(N, n_words)``, as from ``activation_patterns(X, packed=True)``.

        Returns
        -------
        ndarray
            The bool / int32 form of :meth:`activation_patterns`.
        """
        a = np.asarray(packed)
        if a.dtype != np.uint64 or a.ndim != 2 or a.shape[1] != self.n_words:
            raise ValueError(f"packed: expected a uint64 array of shape (N, {self.n_words}), got {a.dtype} {a.shape}")
        return self._core.decode(np.ascontiguousarray(a))

    def count_patterns(self, X: Any, *, n_threads: int | None = None, progress: bool = False) -> int:
        """The number of distinct activation patterns among the rows of ``X``.

        Streams block by block: memory is O(distinct patterns), not O(N · n_hidden).

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        int
            The exact count.
        """
        return int(self._run("count_patterns", X, n_threads, progress, "patterns"))

    def unique_patterns(
        self,
        X: Any,
        *,
        return_index: bool = False,
        return_inverse: bool = False,
        return_counts: bool = False,
        packed: bool = False,
        n_threads: int | None = None,
        progress: bool = False,
    ) -> Any:
        """The distinct patterns of the rows of ``X``, like ``np.unique(patterns, axis=0)``.

        Unlike ``np.unique``, the unique patterns come in order of first occurrence
        (``index`` is increasing).

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        return_index, return_inverse, return_counts : bool
            Also return the first row of each pattern, the position of each row's
            pattern, and the number of rows of each pattern.
        packed : bool
            Return the patterns bit-packed (uint64).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        patterns : ndarray
            The distinct patterns (bool / int32, or uint64 with ``packed=True``).
        index, inverse, counts : ndarray
            int64, each only when requested, in this order.
        """
        u = self._run("unique_patterns", X, n_threads, progress, "patterns", return_inverse=bool(return_inverse))
        words, index, counts, inverse = u.patterns, u.index, u.counts, u.inverse
        pats = words if packed else self._core.decode(words)
        out = [pats]
        if return_index:
            out.append(index.astype(np.int64))
        if return_inverse:
            out.append(inverse.astype(np.int64))
        if return_counts:
            out.append(counts.astype(np.int64))
        return out[0] if len(out) == 1 else tuple(out)

    # ------------------------------------------------------------- exact regions
    @overload
    def regions_on_segment(
        self,
        p: Any,
        q: Any,
        *,
        count_only: Literal[False] = ...,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
    ) -> RegionSet: ...

    @overload
    def regions_on_segment(
        self,
        p: Any,
        q: Any,
        *,
        count_only: Literal[True],
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
    ) -> int: ...

    @overload
    def regions_on_segment(
        self,
        p: Any,
        q: Any,
        *,
        count_only: bool,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
    ) -> RegionSet | int: ...

    def regions_on_segment(
        self,
        p: Any,
        q: Any,
        *,
        count_only: bool = False,
        merge_linear_pieces: bool = False,
        max_regions: int | None = None,
        exact: bool | str = True,
        tol: float | None = None,
        n_threads: int | None = None,
        progress: bool = False,
    ) -> RegionSet | int:
        """Exact linear regions on the segment ``p + t (q - p)``, ``t ∈ [0, 1]``, in any
        input dimension.

        Parameters
        ----------
        p, q : array_like
            The segment's ends, ``(input_dim,)``, ``p != q``.
        count_only : bool
            Return the count as a Python int, streaming in memory bounded by the
            network's depth (no regions kept).
        merge_linear_pieces : bool
            Count linear pieces instead: adjacent regions with equal affine maps merged
            (see :meth:`RegionSet.linear_pieces`).
        max_regions : int, optional
            More regions raise :class:`regions.LimitExceededError` (default: 10 million
            when regions are kept, no limit with ``count_only``).
        exact : bool or "rational"
            ``True`` (the default): exact rational arithmetic's answer on the float64
            inputs (filtered float predicates, redone exactly when undecided; see
            :mod:`regions.regions`). ``False``: the explicit choice to merge regions
            thinner than ``tol``. ``"rational"``: all arithmetic exact, no float filter
            (slow; the oracle of the default).
        tol : float, optional
            With ``exact=False``, the relative tolerance (default ``1e-12``; ``0`` is
            exact).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of regions found (needs ``tqdm``).

        Returns
        -------
        SegmentRegionSet or int
            The regions (``.intervals``, ``.breakpoints``, ``.patterns``, ``.volumes``
            (lengths), ``.affine_map(i)``, ``.plot()``), or their count with
            ``count_only=True``.
        """
        return _regions.segment_regions(
            self,
            p,
            q,
            count_only=count_only,
            merge_linear_pieces=merge_linear_pieces,
            max_regions=max_regions,
            exact=exact,
            tol=tol,
            n_threads=n_threads,
            progress=progress,
        )

    @overload
    def regions_on_plane(
        self,
        origin: Any,
        e1: Any,
        e2: Any,
        bounds: Any = (0.0, 1.0, 0.0, 1.0),
        *,
        polygon: Any = ...,
        count_only: Literal[False] = ...,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        _through: tuple[np.ndarray, np.ndarray] | None = ...,
    ) -> RegionSet: ...

    @overload
    def regions_on_plane(
        self,
        origin: Any,
        e1: Any,
        e2: Any,
        bounds: Any = (0.0, 1.0, 0.0, 1.0),
        *,
        polygon: Any = ...,
        count_only: Literal[True],
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        _through: tuple[np.ndarray, np.ndarray] | None = ...,
    ) -> int: ...

    @overload
    def regions_on_plane(
        self,
        origin: Any,
        e1: Any,
        e2: Any,
        bounds: Any = (0.0, 1.0, 0.0, 1.0),
        *,
        polygon: Any = ...,
        count_only: bool,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
        _through: tuple[np.ndarray, np.ndarray] | None = ...,
    ) -> RegionSet | int: ...

    def regions_on_plane(
        self,
        origin: Any,
        e1: Any,
        e2: Any,
        bounds: Any = (0.0, 1.0, 0.0, 1.0),
        *,
        polygon: Any = None,
        count_only: bool = False,
        merge_linear_pieces: bool = False,
        max_regions: int | None = None,
        exact: bool | str = True,
        tol: float | None = None,
        n_threads: int | None = None,
        progress: bool = False,
        _through: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> RegionSet | int:
        """Exact linear regions on the 2D slice ``x = origin + u e1 + v e2``, in any input
        dimension.

        Parameters
        ----------
        origin, e1, e2 : array_like
            The slice, ``(input_dim,)`` each; ``e1`` and ``e2`` linearly independent.
        bounds : sequence of 4 floats
            The box ``(u0, u1, v0, v1)`` of slice coordinates (when ``polygon`` is not
            given).
        polygon : array_like, optional
            A convex polygon of ``(u, v)`` vertices instead of ``bounds``.
        count_only : bool
            Return the count as a Python int, streaming in memory bounded by the
            network's depth (no regions kept).
        merge_linear_pieces : bool
            Count linear pieces instead: adjacent regions with equal affine maps merged
            (see :meth:`RegionSet.linear_pieces`).
        max_regions : int, optional
            More regions raise :class:`regions.LimitExceededError` (default: 10 million
            when regions are kept, no limit with ``count_only``).
        exact : bool or "rational"
            ``True`` (the default): exact rational arithmetic's answer on the float64
            inputs (filtered float predicates, redone exactly when undecided; see
            :mod:`regions.regions`). ``False``: the explicit choice to merge regions
            thinner than ``tol``. ``"rational"``: all arithmetic exact, no float filter
            (slow; the oracle of the default).
        tol : float, optional
            With ``exact=False``, the relative tolerance (default ``1e-12``; ``0`` is
            exact).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of regions found (needs ``tqdm``).

        Returns
        -------
        PlaneRegionSet or int
            The regions (``.polygons``, ``.patterns``, ``.volumes`` (areas),
            ``.interior_points``, ``.affine_map(i)``, ``.jacobian_ranks``,
            ``.adjacency``, ``.plot()``), or their count with ``count_only=True``.
        """
        return _regions.plane_regions(
            self,
            origin,
            e1,
            e2,
            bounds,
            polygon=polygon,
            count_only=count_only,
            merge_linear_pieces=merge_linear_pieces,
            max_regions=max_regions,
            exact=exact,
            tol=tol,
            n_threads=n_threads,
            progress=progress,
            _through=_through,
        )

    @overload
    def regions(
        self,
        domain: Any,
        *,
        count_only: Literal[False] = ...,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
    ) -> RegionSet: ...

    @overload
    def regions(
        self,
        domain: Any,
        *,
        count_only: Literal[True],
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
    ) -> int: ...

    @overload
    def regions(
        self,
        domain: Any,
        *,
        count_only: bool,
        merge_linear_pieces: bool = ...,
        max_regions: int | None = ...,
        exact: bool | str = ...,
        tol: float | None = ...,
        n_threads: int | None = ...,
        progress: bool = ...,
    ) -> RegionSet | int: ...

    def regions(
        self,
        domain: Any,
        *,
        count_only: bool = False,
        merge_linear_pieces: bool = False,
        max_regions: int | None = None,
        exact: bool | str = True,
        tol: float | None = None,
        n_threads: int | None = None,
        progress: bool = False,
    ) -> RegionSet | int:
        """Every activation region of the network inside a full-dimensional domain of
        input space.

        Exact cell splitting in Rust (no LP; see :mod:`regions.regions`), parallel over
        cells; practical for small input dimensions (3, 4, 6 and beyond while the count
        is feasible).

        Parameters
        ----------
        domain : Box or Polytope
            :class:`regions.Box` ``(lo, hi)`` or a bounded :class:`regions.Polytope`
            ``(A, b)`` (``{x : A x <= b}``) of dimension ``input_dim``.
        count_only : bool
            Return the count as a Python int, streaming in memory bounded by the
            network's depth (no regions kept).
        merge_linear_pieces : bool
            Count linear pieces instead: adjacent regions with equal affine maps merged
            (see :meth:`RegionSet.linear_pieces`).
        max_regions : int, optional
            More regions raise :class:`regions.LimitExceededError` (default: 10 million
            when regions are kept, no limit with ``count_only``).
        exact : bool or "rational"
            ``True`` (the default): exact rational arithmetic's answer on the float64
            inputs (filtered float predicates, redone exactly when undecided; see
            :mod:`regions.regions`). ``False``: the explicit choice to merge regions
            thinner than ``tol``. ``"rational"``: all arithmetic exact, no float filter
            (slow; the oracle of the default).
        tol : float, optional
            With ``exact=False``, the relative tolerance (default ``1e-12``; ``0`` is
            exact).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar of regions found (needs ``tqdm``).

        Returns
        -------
        RegionSet or int
            The regions (``.vertices``, ``.interior_points``, ``.patterns``,
            ``.volumes``, ``.affine_map(i)``, ``.jacobian_ranks``; a 2D domain also has
            ``.polygons``, ``.adjacency`` and ``.plot()``), or their count with
            ``count_only=True``.
        """
        return _regions.domain_regions(
            self,
            domain,
            count_only=count_only,
            merge_linear_pieces=merge_linear_pieces,
            max_regions=max_regions,
            exact=exact,
            tol=tol,
            n_threads=n_threads,
            progress=progress,
        )

    def local_regions(
        self,
        X: Any,
        radius: float,
        *,
        max_regions: int | None = None,
        exact: bool | str = True,
        tol: float | None = None,
        n_threads: int | None = None,
        progress: bool = False,
    ) -> np.ndarray:
        """Exact local complexity (``docs/math.md`` section 2): the number of linear regions
        meeting the box ``[x - radius, x + radius]`` in a set with interior, for each row
        ``x`` of ``X``.

        Parameters
        ----------
        X : array_like
            Points, ``(n, input_dim)``.
        radius : float
            Half the box's side, ``> 0`` (the box is rounded to float64, then counted
            exactly).
        max_regions : int, optional
            Limit per box (default: none).
        exact, tol, n_threads
            As in :meth:`regions_on_segment`.
        progress : bool
            Show a progress bar of points done (needs ``tqdm``).

        Returns
        -------
        ndarray
            int64 counts, one per point, computed in parallel over points.
        """
        return _regions.local_counts(
            self, X, radius, max_regions=max_regions, exact=exact, tol=tol, n_threads=n_threads, progress=progress
        )

    def regions_through(self, x0: Any, x1: Any, x2: Any, *, region: str = "triangle", **kw: Any) -> RegionSet:
        """Regions on the plane through three inputs (Hanin & Rolnick).

        The slice is ``origin = x0``, ``e1 = x1 - x0``, ``e2 = x2 - x0``, with the three
        points kept exactly (the differences are not rounded).

        Parameters
        ----------
        x0, x1, x2 : array_like
            The inputs, ``(input_dim,)`` each.
        region : {"triangle", "parallelogram"}
            ``"triangle"``: ``u, v >= 0``, ``u + v <= 1``; ``"parallelogram"``:
            ``[0, 1]^2``.
        **kw
            As in :meth:`regions_on_plane`.

        Returns
        -------
        PlaneRegionSet
            The regions.
        """
        return _regions.regions_through(self, x0, x1, x2, region=region, **kw)

    def pattern_affine_map(self, codes: Any) -> tuple[np.ndarray, np.ndarray]:
        """The network on the region of a pattern as an affine map of the input.

        Parameters
        ----------
        codes : array_like
            One decoded pattern, ``(n_hidden,)`` (as a row of :meth:`activation_patterns`).

        Returns
        -------
        M, c : ndarray
            ``output = M x + c`` on the region (``M`` is ``(n_out, n0)``).

        Raises
        ------
        TypeError, ValueError
            ``codes`` is not an integer / bool vector of length ``n_hidden``, or a code
            is outside its unit's range (``{0, 1}``, or ``0..k-1`` for maxout / pooling).
        """
        codes = np.asarray(codes)
        if codes.dtype.kind not in "biu":
            raise TypeError(f"codes: expected an integer or bool array, got dtype {codes.dtype}")
        if codes.shape != (self.n_hidden,):
            raise ValueError(f"codes: expected shape ({self.n_hidden},), got {codes.shape}")
        u = 0
        for l, layer in enumerate(self._layers):
            hi = layer.k if (isinstance(layer, MaxPool) or layer.kind == "maxout") else 2
            part = codes[u : u + layer.units].astype(np.int64)
            if part.size and (part.min() < 0 or part.max() >= hi):
                raise ValueError(
                    f"codes: layer {l} codes must be in 0..{hi - 1}, got {int(part.min())}..{int(part.max())}"
                )
            u += layer.units
        M, c, u = np.eye(self.input_dim), np.zeros(self.input_dim), 0
        for layer in self._layers:
            n = layer.units
            code = np.asarray(codes[u : u + n], dtype=np.int64)
            u += n
            M_in, c_in = M, c
            if isinstance(layer, MaxPool):
                idx = np.array([w[k] for w, k in zip(layer.windows, code)])
                M, c = M[idx], c[idx]
            elif layer.kind == "maxout":
                rows, b = layer._pieces(np.arange(n), code)
                M, c = rows @ M, rows @ c + b
            else:
                slope = np.where(code == 1, 1.0, layer.alpha)
                M, c = slope[:, None] * layer._matmul(M), slope * (layer._matmul(c) + layer.bias)
            if layer.carry.size:
                M, c = np.vstack([M, M_in[layer.carry]]), np.concatenate([c, c_in[layer.carry]])
        return self._out_w @ M, self._out_w @ c + self._out_b

    def bounds(self) -> dict[str, int | str]:
        """Known bounds on the number of linear regions for this architecture
        (:mod:`regions.bounds`).

        Returns
        -------
        dict
            Bound name to an exact int, or to the reason a bound does not apply.
        """
        from .bounds import all_bounds

        kinds = set(self.activations)
        if any(l.carry.size for l in self._layers):
            return {"bounds": "no known bound implemented for networks with skip connections"}
        if kinds <= {"relu", "leaky_relu"}:
            return all_bounds(self.input_dim, self.widths)
        if kinds == {"maxout"}:
            return all_bounds(self.input_dim, self.widths, "maxout", self._layers[0].k)
        return {"bounds": "no known bound implemented for networks with max-pooling layers"}

    def parameter_jacobian(self, X: Any, *, n_threads: int | None = None, progress: bool = False) -> np.ndarray:
        """Jacobian of the outputs with respect to every weight and bias (``docs/math.md``
        section 4), computed exactly from the activation patterns.

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        ndarray
            ``(N * output_dim, n_params)`` float64. Row ``i * output_dim + o`` is output
            ``o`` of input ``i``. Columns: layer by layer, the weights row-major in
            PyTorch's ``(out, in)`` layout (maxout ``(units, k, in)``; a sparse layer:
            its stored entries in row order), then the biases; a layer with ``params``
            contributes the columns of ``params`` instead (``∂/∂θ = ∂/∂(W, b) · params``);
            the output layer last (the order of :meth:`save`'s arrays).
        """
        return functional.parameter_jacobian(self, X, n_threads=n_threads, progress=progress)

    def functional_dimension(
        self,
        X: Any,
        *,
        tol: float | None = None,
        exact: bool = False,
        return_margin: bool = False,
        seed: int = 0,
        n_threads: int | None = None,
    ) -> FunctionalDimension:
        """Batch functional dimension: the rank of :meth:`parameter_jacobian` on ``X``.

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, on no region boundary (a ReLU pre-activation of
            exactly 0 raises ``ValueError``).
        tol : float, optional
            Singular-value tolerance of the numerical rank (default: NumPy's).
        exact : bool
            The rank over Q of the true Jacobian at the float64 parameters and inputs
            (dyadic rationals): the pattern is decided in exact arithmetic and the
            Jacobian is built modulo random primes by modular forward and backward
            passes, never from its float64-rounded entries (whose exact rank can be
            larger, even above the bound).
        return_margin : bool
            Always compute the singular values and fill ``margin = σ_min / σ_max``.
        seed : int
            Draws the primes (``exact=True``) and the certificate's random vectors.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).

        Returns
        -------
        FunctionalDimension
            The rank, with the bound ``n_params - n_hidden`` for ReLU networks
            (``None`` otherwise), the matrix shape and the margin.

        Notes
        -----
        Large Jacobians (both sides >= 512) take one QR ``Jᵀ = Q R`` (parallel, 4 fixed
        tasks, so results do not depend on the thread count); full rank is certified by
        ``σ_min(R) >= 1 / ‖R⁻¹‖_F`` above the tolerance, otherwise the singular values of
        ``R`` decide. A single factorization cannot be interrupted (Ctrl-C is honoured
        once it ends).
        """
        return functional.functional_dimension(
            self, X, tol=tol, exact=exact, return_margin=return_margin, seed=seed, n_threads=n_threads
        )

    def count_patterns_sampled(
        self,
        lo: Any,
        hi: Any,
        n_samples: int,
        seed: int | None = 0,
        *,
        n_threads: int | None = None,
        progress: bool = False,
    ) -> int:
        """The number of distinct patterns among ``n_samples`` points drawn uniformly from
        the box ``[lo, hi]``: a lower bound on the number of activation regions that meet
        the box.

        Samples are drawn inside the Rust workers (no input array: 10^8 samples need
        only O(distinct patterns) memory).

        Parameters
        ----------
        lo, hi : float or array_like
            The box: scalars, or arrays of shape ``(input_dim,)``, ``lo <= hi``.
        n_samples : int
            Number of points, ``>= 1``.
        seed : int or None
            The result depends only on the arguments and ``seed``, never on the thread
            count; ``None`` draws fresh entropy.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        int
            The number of distinct patterns.
        """
        d = self.input_dim
        lo_a = (
            np.broadcast_to(as_float_array(lo, "lo"), (d,))
            if np.ndim(lo) == 0
            else as_float_array(lo, "lo", shape=(d,))
        )
        hi_a = (
            np.broadcast_to(as_float_array(hi, "hi"), (d,))
            if np.ndim(hi) == 0
            else as_float_array(hi, "hi", shape=(d,))
        )
        lo_a, hi_a = np.ascontiguousarray(lo_a), np.ascontiguousarray(hi_a)
        if np.any(lo_a > hi_a):
            i = int(np.argmax(lo_a > hi_a))
            raise ValueError(f"lo, hi: need lo <= hi, got lo[{i}] = {lo_a[i]} > hi[{i}] = {hi_a[i]}")
        n = as_int(n_samples, "n_samples", minimum=1)
        with progress_bar(bool(progress), n, "samples") as cb:
            return int(
                self._core.count_patterns_sampled(
                    lo_a, hi_a, n, as_seed(seed), n_threads=as_threads(n_threads), progress=cb
                )
            )
