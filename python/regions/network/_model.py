"""The public :class:`Network`: constructors (arrays, random, layers, PyTorch, ONNX),
bounds and the parameter-space methods, on top of the model (``_base``), its
persistence (``_persist``) and its region entry points (``_methods``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._validate import as_float, as_float_array, as_int, as_seed, as_sequence
from ._layers import _ACTIVATIONS, Activation, Layer, MaxPool, _check_layer
from ._local import _LocalMethods

if TYPE_CHECKING:  # pragma: no cover
    from ..functional import FunctionalDimension


class Network(_LocalMethods):
    """A feed-forward piecewise-linear network evaluated in parallel Rust.

    Build one with :meth:`from_arrays`, :meth:`random`, :meth:`from_torch` or
    :meth:`load`. Every method that takes points accepts an ``(N, input_dim)`` array
    of real numbers, ``n_threads=`` (default: :func:`regions.set_num_threads`) and
    ``progress=True`` for a tqdm bar; Ctrl-C interrupts within about a second.
    """

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
                given = getattr(layer, "_given_n_in", False)
                if (given and layer.n_in != prev) or max(int(w.max()) for w in layer.windows) >= prev:
                    raise ValueError(
                        f"layers[{l}]: the MaxPool's windows read {layer.n_in} inputs but the previous layer has {prev} outputs"
                    )
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
        weights, biases = as_sequence(weights, "weights"), as_sequence(biases, "biases")
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
        widths = [as_int(w, "widths", minimum=1) for w in as_sequence(widths, "widths")]
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
        from ..importers import from_torch

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
        from ..importers import from_onnx

        return from_onnx(model_or_path, input_shape)

    def bounds(self) -> dict[str, int | str]:
        """Known bounds on the number of linear regions for this architecture
        (:mod:`regions.bounds`).

        Returns
        -------
        dict
            Bound name to an exact int, or to the reason a bound does not apply.
        """
        from ..bounds import all_bounds

        kinds = set(self.activations)
        if any(l.carry.size for l in self._layers):
            return {"bounds": "no known bound implemented for networks with skip connections"}
        if kinds <= {"relu", "leaky_relu"}:
            return all_bounds(self.input_dim, self.widths)
        if kinds == {"maxout"}:
            return all_bounds(self.input_dim, self.widths, "maxout", self._layers[0].k)
        if "maxpool" in kinds:
            return {"bounds": "no known bound implemented for networks with max-pooling layers"}
        return {"bounds": f"no known bound implemented for networks mixing the activations {sorted(kinds)}"}

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
        from .. import functional

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
        from .. import functional

        return functional.functional_dimension(
            self, X, tol=tol, exact=exact, return_margin=return_margin, seed=seed, n_threads=n_threads
        )
