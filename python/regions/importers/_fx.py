"""Any ``nn.Module`` that ``torch.fx`` can trace → graph nodes of :mod:`._graph`.

``torch.fx.symbolic_trace`` records the forward pass as a graph without running it on
data. Leaf modules become the operators of :func:`._torch._module_op`; the functions and
methods below are the ones a piecewise-linear forward pass uses: ``+`` of two tensors (a
skip connection) or of a constant, ``relu``/``leaky_relu``, max and average pooling,
``flatten`` and ``view``/``reshape`` to one vector per sample.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _compile as C
from ._graph import Add, Node

FUNCTIONS = (
    "operator.add / torch.add / Tensor.add (two tensors, or a tensor and a constant), torch.relu, F.relu, "
    "F.leaky_relu, F.max_pool1d/2d, F.avg_pool1d/2d, F.adaptive_avg_pool1d/2d, torch.flatten(x, 1), "
    "Tensor.view/reshape(x.size(0), -1), Tensor.flatten(1), F.dropout (evaluation), Tensor.contiguous"
)

_BATCH = "batch"  # the value of x.size(0) in a traced graph


def _arg(node: Any, i: int, key: str, default: Any) -> Any:
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(key, default)


def _ints(v: Any, dims: int) -> tuple[int, ...]:
    return tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),) * dims


def _pool_fn(name: str, node: Any, kind: str, dims: int) -> C.Pool:
    kernel = _ints(_arg(node, 1, "kernel_size", None), dims)
    stride_v = _arg(node, 2, "stride", None)
    stride = kernel if stride_v is None or stride_v == () or stride_v == [] else _ints(stride_v, dims)
    pads = tuple((p, p) for p in _ints(_arg(node, 3, "padding", 0), dims))
    if kind == "max":
        if _arg(node, 6, "return_indices", False):
            raise TypeError(f"{name}: max pooling with return_indices=True is not supported")
        dil = _ints(_arg(node, 4, "dilation", 1), dims)
        return C.Pool(name, "max", kernel, stride, pads, dil, bool(_arg(node, 5, "ceil_mode", False)))
    div = _arg(node, 6, "divisor_override", None)
    return C.Pool(
        name, "avg", kernel, stride, pads, (1,) * dims, bool(_arg(node, 4, "ceil_mode", False)),
        bool(_arg(node, 5, "count_include_pad", True)), None if div is None else int(div),
    )  # fmt: skip


def _flatten_op(name: str, node: Any, method: bool) -> C.Flatten:
    start = _arg(node, 1, "start_dim", 0)
    end = _arg(node, 2, "end_dim", -1)
    if start != 1 or end != -1:
        what = "Tensor.flatten" if method else "torch.flatten"
        raise ValueError(f"{name}: only {what}(x, 1) (each sample to a vector) is supported, got start_dim={start}")
    return C.Flatten(name)


def _view_op(name: str, node: Any, values: dict[str, Any]) -> C.Flatten:
    """``x.view(x.size(0), -1)`` / ``x.reshape(-1, n)`` / ``x.view(b, c, h, w)``."""
    raw = node.args[1:]
    if len(raw) == 1 and isinstance(raw[0], (tuple, list)):
        raw = tuple(raw[0])
    dims = []
    for a in raw:
        v = values.get(a.name) if hasattr(a, "name") else a
        dims.append(v)
    if not dims or not (dims[0] == _BATCH or dims[0] == -1):
        raise ValueError(f"{name}: a view/reshape must keep the batch axis first (x.size(0) or -1), got {dims}")
    rest = [v for v in dims[1:] if isinstance(v, int)]
    if len(rest) != len(dims) - 1:
        raise ValueError(f"{name}: view/reshape sizes must be integers or -1, got {dims}")
    if rest == [-1]:
        return C.Flatten(name)
    if -1 in rest or dims[0] == -1 and not rest:
        raise ValueError(f"{name}: only view(x.size(0), -1) or fully given sizes are supported, got {dims}")
    return C.Flatten(name, tuple(rest))


def traced_nodes(module: Any) -> tuple[list[Node], str, str, list[Any]]:
    """The graph of ``module``'s forward pass: its nodes, the input's and the output's
    names, and the leaf modules with their operators, in order (for the input shape's
    default)."""
    import torch
    import torch.nn.functional as F

    try:
        gm = torch.fx.symbolic_trace(module)
    except Exception as exc:  # noqa: BLE001 - any tracing failure names the module
        raise TypeError(
            f"module: {type(module).__name__} cannot be traced by torch.fx ({type(exc).__name__}: {exc}); "
            "models with data-dependent control flow are not supported"
        ) from None
    from ._torch import _module_op

    nodes: list[Node] = []
    values: dict[str, Any] = {}  # sizes and constants the graph computes
    leaves: list[Any] = []
    inputs: list[str] = []
    output = None
    for n in gm.graph.nodes:
        name = n.name
        tensors = tuple(a.name for a in n.args if hasattr(a, "op") and a.name not in values)

        def unary(op: C.Op | None, node: Any = n, tensors: tuple[str, ...] = tensors) -> None:
            if not tensors:
                raise ValueError(f"{node.name}: expects a tensor input")
            nodes.append(Node(node.name, op, tensors[:1], node.name))

        if n.op == "placeholder":
            inputs.append(name)
        elif n.op == "output":
            out = n.args[0]
            if not hasattr(out, "name"):
                raise TypeError("module: the forward pass must return one tensor")
            output = out.name
        elif n.op == "get_attr":
            values[name] = np.asarray(_attr(gm, n.target), dtype=np.float64)
        elif n.op == "call_module":
            m = gm.get_submodule(n.target)
            op = _module_op(n.target, m)
            leaves.append((m, op))
            unary(op)
        elif n.op == "call_method" and n.target == "size":
            dim = _arg(n, 1, "dim", None)
            if dim != 0:
                raise ValueError(f"{name}: only x.size(0) (the batch size) is supported in a traced forward pass")
            values[name] = _BATCH
        elif n.op in ("call_function", "call_method"):
            fn = n.target
            method = n.op == "call_method"
            if fn in (operator.add, operator.iadd, torch.add) or (method and fn in ("add", "add_")):
                consts = [a for a in n.args if not hasattr(a, "op") or a.name in values]
                if len(tensors) == 2:
                    nodes.append(Node(name, Add(name), tensors, name))
                elif len(tensors) == 1 and len(consts) == 1 and "alpha" not in n.kwargs:
                    c = consts[0]
                    shift = values[c.name] if hasattr(c, "name") else np.asarray(float(c))
                    unary(C.Shift(name, np.asarray(shift, dtype=np.float64)))
                else:
                    raise ValueError(f"{name}: only the sum of two tensors or of a tensor and a constant is supported")
            elif fn in (torch.relu, F.relu) or (method and fn in ("relu", "relu_")):
                unary(C.Act(name, "relu"))
            elif fn is F.leaky_relu:
                a = float(_arg(n, 1, "negative_slope", 0.01))
                if not 0.0 <= a < 1.0:
                    raise ValueError(f"{name}: leaky_relu negative_slope must be in [0, 1), got {a}")
                unary(C.Act(name, "relu") if a == 0.0 else C.Act(name, "leaky_relu", a))
            elif fn in (F.max_pool1d, F.max_pool2d, F.avg_pool1d, F.avg_pool2d):
                kind = "max" if fn in (F.max_pool1d, F.max_pool2d) else "avg"
                unary(_pool_fn(name, n, kind, 1 if fn in (F.max_pool1d, F.avg_pool1d) else 2))
            elif fn in (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d):
                dims = 1 if fn is F.adaptive_avg_pool1d else 2
                size = _arg(n, 1, "output_size", None)
                size = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
                unary(C.AdaptiveAvg(name, tuple(None if v is None else int(v) for v in size)))
            elif fn is torch.flatten or (method and fn == "flatten"):
                unary(_flatten_op(name, n, method))
            elif method and fn in ("view", "reshape"):
                unary(_view_op(name, n, values))
            elif fn is F.dropout or (method and fn == "contiguous"):
                if fn is F.dropout and _arg(n, 2, "training", True) and float(_arg(n, 1, "p", 0.5)) > 0:
                    raise ValueError(f"{name}: F.dropout with training=True zeroes random units")
                unary(None)
            else:
                what = f"Tensor.{fn}" if method else getattr(fn, "__name__", repr(fn))
                raise TypeError(
                    f"{name}: unsupported operation {what} in the traced forward pass; supported: {FUNCTIONS}"
                )
        else:  # pragma: no cover - torch.fx has no other node kinds
            raise TypeError(f"{name}: unsupported graph node {n.op}")
    if len(inputs) != 1 or output is None:
        raise TypeError(f"module: the forward pass must take one tensor and return one, got inputs {inputs}")
    return nodes, inputs[0], output, leaves


def _attr(gm: Any, target: str) -> Any:
    obj = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj.detach().cpu().double().numpy() if hasattr(obj, "detach") else obj
