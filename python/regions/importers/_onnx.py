"""ONNX graph (a chain, or a DAG with ``Add`` of two tensors) → nodes of :mod:`._graph`
→ :class:`~regions.Network`.

Only the graph's structure and tensors are read (``onnx.numpy_helper``): nothing from
the file is executed.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..network import Network
from . import _compile as C
from ._graph import Add, Node, compile_graph

SUPPORTED = (
    "Gemm, MatMul, Add (of a constant, or of two tensors), Relu, LeakyRelu, Conv, MaxPool, AveragePool, "
    "GlobalAveragePool, BatchNormalization, Flatten, "
    "Reshape, Squeeze, Identity, Dropout, Constant"
)
MIN_OPSET = 13


def _load(model: Any) -> Any:
    import onnx

    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (bytes, bytearray)):
        return onnx.load_from_string(bytes(model))
    if isinstance(model, (str, os.PathLike)):
        if not os.path.isfile(model):
            raise ValueError(f"model_or_path: no such file {os.fspath(model)!r}")
        return onnx.load(os.fspath(model))
    raise TypeError(f"model_or_path: expected an onnx.ModelProto, bytes or a path, got {type(model).__name__}")


class _Reader:
    """Walks the nodes, keeping each data tensor's shape; ``current`` and ``shape`` are
    the data input of the node being read."""

    def __init__(self, graph: Any, input_shape: tuple[int, ...] | None):
        from onnx import numpy_helper

        self.numpy_helper = numpy_helper
        self.consts: dict[str, np.ndarray] = {t.name: self._array(t) for t in graph.initializer}
        inputs = [i for i in graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise ValueError(f"model: expected one data input, got {[i.name for i in inputs]}")
        self.current = self.input_name = inputs[0].name
        dims = inputs[0].type.tensor_type.shape.dim
        if input_shape is None:
            rest = dims[1:]
            if not dims or any(not d.HasField("dim_value") or d.dim_value < 1 for d in rest):
                raise ValueError(
                    f"input_shape: the model's input {self.current!r} has no fixed shape after the batch "
                    "axis; pass input_shape=(C, H, W) or (n,)"
                )
            input_shape = tuple(int(d.dim_value) for d in rest)
        self.shape: tuple[int, ...] = input_shape
        self.shapes: dict[str, tuple[int, ...]] = {self.current: input_shape}
        self.ops: list[C.Op] = []
        self.nodes: list[Node] = []

    def _array(self, t: Any) -> np.ndarray:
        return np.asarray(self.numpy_helper.to_array(t)).astype(np.float64)

    def const(self, node: Any, name: str, k: int, what: str) -> np.ndarray:
        if name not in self.consts:
            raise ValueError(f"{self.label(node)}: its {what} (input {k}, {name!r}) must be a constant tensor")
        return self.consts[name]

    @staticmethod
    def label(node: Any) -> str:
        return f"node {node.name!r} ({node.op_type})" if node.name else f"node ({node.op_type})"

    def dynamic(self, node: Any) -> list[int]:
        """Positions of the node's non-constant inputs (each must be computed before)."""
        dyn = [k for k, n in enumerate(node.input) if n and n not in self.consts]
        for k in dyn:
            if node.input[k] not in self.shapes:
                raise ValueError(f"{self.label(node)}: its input {node.input[k]!r} is not computed before it")
        return dyn

    def data_input(self, node: Any) -> int:
        """Position of the node's one non-constant input, which becomes ``current``."""
        dyn = self.dynamic(node)
        if len(dyn) != 1:
            raise ValueError(
                f"{self.label(node)}: expected one data input and constants, got data inputs "
                f"{[node.input[k] for k in dyn]}"
            )
        self.current = node.input[dyn[0]]
        self.shape = self.shapes[self.current]
        return dyn[0]


def _attrs(node: Any) -> dict[str, Any]:
    import onnx

    out: dict[str, Any] = {}
    for a in node.attribute:
        out[a.name] = onnx.helper.get_attribute_value(a)
    return out


def _spatial_pads(
    r: _Reader, node: Any, at: dict[str, Any], kernel: tuple[int, ...], stride: tuple[int, ...], dil: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    dims = len(kernel)
    auto = at.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("NOTSET", ""):
        pads = [int(p) for p in at.get("pads", [0] * (2 * dims))]
        if len(pads) != 2 * dims:
            raise ValueError(f"{r.label(node)}: pads {pads} need {2 * dims} entries")
        return tuple((pads[i], pads[i + dims]) for i in range(dims))
    if auto == "VALID":
        return tuple((0, 0) for _ in range(dims))
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        spatial = r.shape[1:]
        out = []
        for i in range(dims):
            o = -(-spatial[i] // stride[i])
            total = max((o - 1) * stride[i] + (kernel[i] - 1) * dil[i] + 1 - spatial[i], 0)
            small, big = total // 2, total - total // 2
            out.append((small, big) if auto == "SAME_UPPER" else (big, small))
        return tuple(out)
    raise ValueError(f"{r.label(node)}: unknown auto_pad {auto!r}")


def _ints(at: dict[str, Any], key: str, default: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(v) for v in at[key]) if key in at else default


def _reshape(r: _Reader, node: Any, target: np.ndarray) -> tuple[int, ...]:
    """The unbatched shape after ``Reshape`` (the flat data does not move)."""
    n = math.prod(r.shape)
    t = [int(v) for v in target.reshape(-1)]
    full = (1, *r.shape)  # a batch of one stands for any batch
    if not t or t[0] not in (-1, 0, 1):
        raise ValueError(f"{r.label(node)}: reshaping to {t} would mix samples of the batch")
    rest = [full[i + 1] if v == 0 and i + 1 < len(full) else v for i, v in enumerate(t[1:])]
    known = math.prod(v for v in rest if v != -1)
    if rest.count(-1) > 1 or any(v < -1 or v == 0 for v in rest) or (rest.count(-1) == 0 and known != n):
        raise ValueError(f"{r.label(node)}: cannot reshape one sample of shape {r.shape} to {t}")
    if rest.count(-1):
        if t[0] == -1 or known == 0 or n % known:
            raise ValueError(f"{r.label(node)}: cannot reshape one sample of shape {r.shape} to {t}")
        rest = [n // known if v == -1 else v for v in rest]
    return tuple(rest) if rest else (n,)


def _node(r: _Reader, node: Any, nodes: list[Any], i: int) -> int:
    """Translate ``nodes[i]``; returns how many nodes it consumed."""
    op, at = node.op_type, _attrs(node)
    label = r.label(node)
    name = node.name or f"{op}_{i}"
    if node.domain not in ("", "ai.onnx"):
        raise TypeError(f"{label}: operator domain {node.domain!r} is not supported; supported: {SUPPORTED}")
    if op == "Constant":
        if "value" not in at:
            raise TypeError(f"{label}: only Constant nodes with a tensor 'value' are supported")
        r.consts[node.output[0]] = r._array(at["value"])
        return 1
    if op == "Add" and len(r.dynamic(node)) == 2:  # a skip connection's merge
        a, b = node.input[0], node.input[1]
        if r.shapes[a] != r.shapes[b]:
            raise ValueError(f"{label}: cannot add tensors of shapes {r.shapes[a]} and {r.shapes[b]}")
        r.nodes.append(Node(name, Add(name), (a, b), node.output[0]))
        r.shapes[node.output[0]] = r.shapes[a]
        return 1
    k = r.data_input(node)
    source = r.current
    consumed = 1
    bias: np.ndarray | None
    if op in ("Identity", "Dropout"):
        if op == "Dropout" and len(node.input) > 2 and node.input[2]:
            if bool(r.const(node, node.input[2], 2, "training_mode").reshape(-1)[0]):
                raise ValueError(f"{label}: Dropout in training mode zeroes random units; export in eval mode")
    elif op == "Relu":
        r.ops.append(C.Act(name, "relu"))
    elif op == "LeakyRelu":
        a = float(at.get("alpha", 0.01))
        if not 0.0 <= a < 1.0:
            raise ValueError(f"{label}: LeakyRelu alpha must be in [0, 1), got {a}")
        r.ops.append(C.Act(name, "relu") if a == 0.0 else C.Act(name, "leaky_relu", a))
    elif op == "Gemm":
        if k != 0 or int(at.get("transA", 0)):
            raise ValueError(f"{label}: only Gemm(data, weights[, bias]) with transA=0 is supported")
        b = r.const(node, node.input[1], 1, "weights")
        w = float(at.get("alpha", 1.0)) * (b if int(at.get("transB", 0)) else b.T)
        bias = None
        if len(node.input) > 2 and node.input[2]:
            c = r.const(node, node.input[2], 2, "bias")
            try:
                bias = float(at.get("beta", 1.0)) * np.broadcast_to(c, (1, w.shape[0])).reshape(-1)
            except ValueError:
                raise ValueError(f"{label}: bias of shape {c.shape} does not fit {w.shape[0]} outputs") from None
        r.ops.append(C.Linear(name, np.ascontiguousarray(w), bias))
        r.shape = (w.shape[0],)
    elif op == "MatMul":
        if k != 0 or r.const(node, node.input[1], 1, "weights").ndim != 2:
            raise ValueError(f"{label}: only MatMul(data, 2-d constant) is supported")
        b = r.consts[node.input[1]]
        bias = None
        nxt = nodes[i + 1] if i + 1 < len(nodes) else None
        if nxt is not None and nxt.op_type == "Add" and node.output[0] in nxt.input:
            other = [x for x in nxt.input if x != node.output[0]]
            if len(other) == 1 and other[0] in r.consts and r.consts[other[0]].size == b.shape[1]:
                bias = r.consts[other[0]].reshape(-1)  # MatMul + Add: one Linear with its bias
                node, consumed = nxt, 2
        r.ops.append(C.Linear(name, np.ascontiguousarray(b.T), bias))
        r.shape = (b.shape[1],)
    elif op == "Add":
        c = r.const(node, node.input[1 - k], 1 - k, "addend")
        full = (1, *r.shape)
        try:
            if np.broadcast_shapes(c.shape, full) != full:
                raise ValueError
        except ValueError:
            raise ValueError(f"{label}: adding a {c.shape} tensor to samples of shape {r.shape}") from None
        shift = np.broadcast_to(c, full).reshape(r.shape)
        r.ops.append(C.Shift(name, np.array(shift)))
    elif op == "Conv":
        w = r.const(node, node.input[1], 1, "weights")
        dims = w.ndim - 2
        kernel = tuple(w.shape[2:])
        stride = _ints(at, "strides", (1,) * dims)
        dil = _ints(at, "dilations", (1,) * dims)
        pads = _spatial_pads(r, node, at, kernel, stride, dil)
        bias = r.const(node, node.input[2], 2, "bias") if len(node.input) > 2 and node.input[2] else None
        conv = C.Conv(name, w, bias, stride, pads, dil, int(at.get("group", 1)))
        r.ops.append(conv)
        r.shape = C._conv_out_shape(conv, r.shape)
    elif op in ("MaxPool", "AveragePool"):
        if op == "MaxPool" and len(node.output) > 1 and node.output[1]:
            raise TypeError(f"{label}: MaxPool with an Indices output is not supported")
        kernel = _ints(at, "kernel_shape", ())
        dims = len(kernel)
        stride = _ints(at, "strides", (1,) * dims)
        dil = _ints(at, "dilations", (1,) * dims)
        pads = _spatial_pads(r, node, at, kernel, stride, dil)
        ceil = bool(int(at.get("ceil_mode", 0)))
        if op == "MaxPool":
            pool = C.Pool(name, "max", kernel, stride, pads, dil, ceil)
        else:
            if dil != (1,) * dims:
                raise ValueError(f"{label}: AveragePool with dilations is not supported")
            pool = C.Pool(name, "avg", kernel, stride, pads, dil, ceil, bool(int(at.get("count_include_pad", 0))))
        r.ops.append(pool)
        r.shape = C._pool_out_shape(pool, r.shape)
    elif op == "GlobalAveragePool":
        if len(r.shape) < 2:
            raise ValueError(f"{label}: needs a (C, ...) input, got shape {r.shape}")
        r.ops.append(C.AdaptiveAvg(name, (1,) * (len(r.shape) - 1)))
        r.shape = (r.shape[0],) + (1,) * (len(r.shape) - 1)
    elif op == "BatchNormalization":
        if int(at.get("training_mode", 0)):
            raise ValueError(f"{label}: BatchNormalization in training mode; export the model in eval mode")
        if len(node.output) > 1 and any(node.output[1:]):
            raise ValueError(f"{label}: BatchNormalization with running-statistics outputs (training mode)")
        scale, bias, mean, var = (r.const(node, node.input[j], j, w) for j, w in
                                  ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")))  # fmt: skip
        s = scale / np.sqrt(var + float(at.get("epsilon", 1e-5)))
        r.ops.append(C.ChannelAffine(name, s, bias - mean * s))
    elif op == "Flatten":
        if int(at.get("axis", 1)) not in (1, -len(r.shape)):
            raise ValueError(f"{label}: only Flatten(axis=1) (each sample to a vector) is supported")
        r.ops.append(C.Flatten(name))
        r.shape = (math.prod(r.shape),)
    elif op == "Reshape":
        if int(at.get("allowzero", 0)):
            raise ValueError(f"{label}: Reshape with allowzero=1 is not supported")
        new = _reshape(r, node, r.const(node, node.input[1], 1, "shape"))
        r.ops.append(C.Flatten(name, new))
        r.shape = new
    elif op == "Squeeze":
        full = (1, *r.shape)
        if len(node.input) > 1 and node.input[1]:
            axes = [int(a) % len(full) for a in r.const(node, node.input[1], 1, "axes").reshape(-1)]
        else:
            axes = [j for j in range(1, len(full)) if full[j] == 1]
        if 0 in axes or any(full[a] != 1 for a in axes):
            raise ValueError(f"{label}: can only squeeze axes of size 1 after the batch axis, got axes {axes}")
        new = tuple(s for j, s in enumerate(full) if j and j not in axes) or (1,)
        r.ops.append(C.Flatten(name, new))
        r.shape = new
    else:
        raise TypeError(f"{label}: unsupported operator {op}; supported: {SUPPORTED}")
    r.nodes.append(Node(name, r.ops.pop() if r.ops else None, (source,), node.output[0]))
    r.shapes[node.output[0]] = r.shape
    return consumed


def from_onnx(model_or_path: Any, input_shape: Any = None) -> Network:
    """Read an ONNX model: a graph of supported operators (a chain, or a DAG whose
    branches meet in an ``Add`` of two tensors: residual networks).

    Parameters
    ----------
    model_or_path : onnx.ModelProto, bytes, str or os.PathLike
        The model (opset 13 or newer). Supported operators: ``Gemm`` (``alpha``,
        ``beta``, ``transB``), ``MatMul`` by a constant (with a following ``Add`` of a
        constant: one layer with its bias), ``Add`` of a constant or of two tensors of the
        same shape (a skip connection, exact as in :func:`regions.importers.from_torch`), ``Relu``,
        ``LeakyRelu``, ``Conv`` (``pads``/``auto_pad``, ``strides``, ``dilations``,
        ``group``), ``MaxPool`` and ``AveragePool`` (also ``ceil_mode``,
        ``count_include_pad``), ``GlobalAveragePool``, ``BatchNormalization`` (inference), ``Flatten``
        (``axis=1``), ``Reshape``/``Squeeze`` that keep the batch axis, ``Identity``,
        ``Dropout`` (inference) and ``Constant``. Layouts as in :func:`regions.importers.from_torch`.
        Weights must be initializers or ``Constant`` outputs. Nothing is executed: only
        the graph and its tensors are read. ONNX stores float attributes (``LeakyRelu``'s
        ``alpha``, ``epsilon``, ``Gemm``'s ``alpha``/``beta``) in float32: their exact
        float32 values are used (a slope exported as 0.1 is 0.10000000149011612).
    input_shape : tuple of int, optional
        One input without the batch axis; default: the graph input's shape.

    Returns
    -------
    Network
        As :func:`regions.importers.from_torch` (parameters: the ``Gemm``/``MatMul``/
        ``Conv`` weights in ``(out, in, ...)`` layout and their biases, in graph order).

    Raises
    ------
    TypeError
        An unsupported operator (the message names the node and the operator).
    ValueError
        An opset below 13, a node with several data inputs (other than ``Add``),
        training-mode nodes, shapes that do not fit.
    """
    try:
        import onnx  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("from_onnx needs the onnx package: pip install onnx (the 'onnx' extra)") from None
    model = _load(model_or_path)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < MIN_OPSET:
        raise ValueError(f"model: opset {opset} is below {MIN_OPSET}; convert it with onnx.version_converter first")
    if input_shape is not None:
        input_shape = tuple(int(s) for s in input_shape)
        if not input_shape or any(s < 1 for s in input_shape):
            raise ValueError(f"input_shape: expected positive sizes, got {input_shape}")
    graph = model.graph
    r = _Reader(graph, input_shape)
    start_shape = r.shape
    nodes = list(graph.node)
    i = 0
    while i < len(nodes):
        i += _node(r, nodes[i], nodes, i)
    outputs = [o.name for o in graph.output]
    if len(outputs) != 1 or outputs[0] not in r.shapes:
        raise ValueError(f"model: expected one output computed by the graph, got {outputs}")
    return compile_graph(r.nodes, r.input_name, start_shape, outputs[0])
