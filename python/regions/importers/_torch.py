"""PyTorch models → operators of :mod:`._compile` → :class:`~regions.Network`: an
``nn.Sequential`` as a chain, any other module through ``torch.fx`` (:mod:`._fx`) as a
graph (:mod:`._graph`)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..network import Network
from . import _compile as C
from ._graph import compile_chain, compile_graph

SUPPORTED = (
    "Linear, Conv1d, Conv2d, ReLU, LeakyReLU, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, "
    "AdaptiveAvgPool2d, "
    "BatchNorm1d, BatchNorm2d, Flatten, Unflatten, Dropout, Dropout1d, Dropout2d, Identity, Sequential"
)


def _array(t: Any) -> np.ndarray:
    return np.array(t.detach().cpu().double().numpy(), dtype=np.float64)


def _walk(module: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Leaves of nested ``Sequential`` containers, named like ``named_modules``."""
    import torch

    stack = [(prefix, module)]
    while stack:  # iterative: nesting depth never grows the Python stack
        name, m = stack.pop()
        if isinstance(m, torch.nn.Sequential):
            children = list(m.named_children())
            stack.extend((f"{name}.{k}" if name else k, c) for k, c in reversed(children))
        else:
            yield name, m


def _tuple(v: Any, dims: int, what: str, name: str) -> tuple[int, ...]:
    t = tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),) * dims
    if len(t) != dims:
        raise ValueError(f"module[{name}]: {what} {v!r} does not have {dims} entries")
    return t


def _conv(name: str, m: Any, dims: int) -> C.Conv:
    if m.padding_mode != "zeros":
        raise TypeError(f"module[{name}]: padding_mode={m.padding_mode!r} is not supported (only 'zeros')")
    w = _array(m.weight)
    kernel = tuple(w.shape[2:])
    dilation = _tuple(m.dilation, dims, "dilation", name)
    if isinstance(m.padding, str):
        if m.padding == "valid":
            pads = tuple((0, 0) for _ in range(dims))
        else:  # "same" (stride 1): torch puts the odd cell at the end
            total = [dilation[i] * (kernel[i] - 1) for i in range(dims)]
            pads = tuple((t // 2, t - t // 2) for t in total)
    else:
        pads = tuple((p, p) for p in _tuple(m.padding, dims, "padding", name))
    return C.Conv(
        name,
        w,
        None if m.bias is None else _array(m.bias),
        _tuple(m.stride, dims, "stride", name),
        pads,
        dilation,
        int(m.groups),
    )


def _pool(name: str, m: Any, dims: int, kind: str) -> C.Pool:
    kernel = _tuple(m.kernel_size, dims, "kernel_size", name)
    stride = _tuple(m.stride if m.stride is not None and m.stride != () else m.kernel_size, dims, "stride", name)
    pads = tuple((p, p) for p in _tuple(m.padding, dims, "padding", name))
    if kind == "max":
        if m.return_indices:
            raise TypeError(f"module[{name}]: MaxPool with return_indices=True is not supported")
        return C.Pool(name, "max", kernel, stride, pads, _tuple(m.dilation, dims, "dilation", name), bool(m.ceil_mode))
    div = getattr(m, "divisor_override", None)
    return C.Pool(
        name, "avg", kernel, stride, pads, (1,) * dims, bool(m.ceil_mode), bool(m.count_include_pad),
        None if div is None else int(div),
    )  # fmt: skip


def _batch_norm(name: str, m: Any) -> C.ChannelAffine:
    if m.training:
        raise ValueError(
            f"module[{name}]: {type(m).__name__} is in training mode, where it normalizes by the batch's "
            "statistics; call model.eval() first"
        )
    if m.running_mean is None or m.running_var is None:
        raise ValueError(
            f"module[{name}]: {type(m).__name__} with track_running_stats=False normalizes by the batch's "
            "statistics even in evaluation mode, which is not a fixed affine map"
        )
    scale = 1.0 / np.sqrt(_array(m.running_var) + float(m.eps))
    if m.weight is not None:
        scale = scale * _array(m.weight)
    shift = -_array(m.running_mean) * scale
    if m.bias is not None:
        shift = shift + _array(m.bias)
    return C.ChannelAffine(name, scale, shift)


def _operators(module: Any) -> list[tuple[str, Any, C.Op | None]]:
    return [(name, m, _module_op(name, m)) for name, m in _walk(module, "")]


def _module_op(name: str, m: Any) -> C.Op | None:
    """The operator of one leaf module (``None``: the identity in evaluation)."""
    import torch

    nn = torch.nn
    op: C.Op | None
    if isinstance(m, nn.Linear):
        op = C.Linear(name, _array(m.weight), None if m.bias is None else _array(m.bias))
    elif isinstance(m, (nn.Conv1d, nn.Conv2d)):
        op = _conv(name, m, 1 if isinstance(m, nn.Conv1d) else 2)
    elif isinstance(m, nn.ReLU):
        op = C.Act(name, "relu")
    elif isinstance(m, nn.LeakyReLU):
        a = float(m.negative_slope)
        if a == 0.0:
            op = C.Act(name, "relu")
        elif 0.0 < a < 1.0:
            op = C.Act(name, "leaky_relu", a)
        else:
            raise ValueError(f"module[{name}]: LeakyReLU negative_slope must be in [0, 1), got {a}")
    elif isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)):
        op = _pool(name, m, 1 if isinstance(m, nn.MaxPool1d) else 2, "max")
    elif isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
        op = _pool(name, m, 1 if isinstance(m, nn.AvgPool1d) else 2, "avg")
    elif isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        dims = 1 if isinstance(m, nn.AdaptiveAvgPool1d) else 2
        size = m.output_size if isinstance(m.output_size, (tuple, list)) else (m.output_size,) * dims
        op = C.AdaptiveAvg(name, tuple(None if v is None else int(v) for v in size))
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        op = _batch_norm(name, m)
    elif isinstance(m, nn.Flatten):
        op = C.Flatten(name)
        if m.start_dim != 1 or m.end_dim != -1:
            raise ValueError(
                f"module[{name}]: only Flatten(start_dim=1, end_dim=-1) is supported, got "
                f"start_dim={m.start_dim}, end_dim={m.end_dim}"
            )
    elif isinstance(m, nn.Unflatten):
        if m.dim != 1:
            raise ValueError(f"module[{name}]: only Unflatten(1, sizes) is supported, got dim={m.dim}")
        op = C.Flatten(name, split=tuple(int(v) for v in m.unflattened_size))
    elif isinstance(m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d)):
        if m.training and m.p > 0:
            raise ValueError(
                f"module[{name}]: {type(m).__name__}(p={m.p}) is in training mode, where it zeroes "
                "random units; call model.eval() first"
            )
        op = None
    elif isinstance(m, nn.Identity):
        op = None
    else:
        hint = (
            " (a Softmax/LogSoftmax output is not piecewise linear: drop it)" if "Softmax" in type(m).__name__ else ""
        )
        raise TypeError(f"module[{name}]: unsupported module {type(m).__name__}{hint}; supported: {SUPPORTED}")
    return op


def from_torch(module: Any, input_shape: Any = None) -> Network:
    """Convert an evaluation-mode PyTorch model: an ``nn.Sequential`` (nested too), or any
    ``nn.Module`` whose ``forward`` ``torch.fx`` can trace (residual networks).

    Parameters
    ----------
    module : torch.nn.Module
        Leaf modules: ``Linear``, ``Conv1d``, ``Conv2d`` (stride, padding including ``'same'`` and
        ``'valid'``, dilation, groups, with or without bias; zero padding), ``ReLU``,
        ``LeakyReLU``, ``MaxPool1d``/``2d`` (kernel, stride, padding, dilation,
        ceil mode), ``AvgPool1d``/``2d`` (also ``count_include_pad`` and
        ``divisor_override``), ``BatchNorm1d``/``2d`` (running statistics, folded into
        the neighbouring affine layer), ``Flatten``, ``Unflatten(1, sizes)``, ``Dropout``
        and ``Identity``
        (no-ops in evaluation), in any order. Max-pooling after an activation (``Conv,
        ReLU, MaxPool``) is a pooling layer; over affine maps (``Conv, MaxPool, ReLU``)
        a maxout layer whose pieces are the window's maps plus a zero piece for the
        ReLU (its pattern entry: the position of the maximum while it is positive, else
        the zero piece, the last index; see :mod:`regions.importers`). Consecutive affine
        modules compose into one layer (``Linear, Linear``); their parameters stay
        separate, and the parameter Jacobian is the chain rule's. The affine modules
        after the last activation form the output layer. ``AdaptiveAvgPool1d``/``2d``
        when each output size divides the input's. A traced ``forward`` may also use
        ``+`` of two tensors (``x + f(x)``, ``out += identity``: a skip connection) or
        of a constant, ``torch.relu``/``F.relu``/``F.leaky_relu``, ``F.max_pool*``,
        ``F.avg_pool*``, ``F.adaptive_avg_pool*``, ``torch.flatten(x, 1)`` and
        ``x.view(x.size(0), -1)``. A skip connection is exact: the hidden layer after
        the branch point carries the inputs the shortcut needs (``Layer.carry``), and
        the layer after the sum reads both, so regions, patterns and Jacobians are
        those of the model, with no extra unit.
    input_shape : tuple of int, optional
        One input without the batch axis, e.g. ``(1, 28, 28)``; required when the model
        does not start with a ``Linear`` (or a batch norm and a ``Linear``).

    Returns
    -------
    Network
        In float64; its inputs are the flattened input tensors, its hidden layers one per
        activation or max-pooling, and its parameters (for
        :meth:`~regions.Network.parameter_jacobian`) the weights and biases of the
        ``Linear`` and ``Conv`` modules, layer by layer in the order the layers use them
        (``module.parameters()`` order for a chain; batch-norm scales and shifts are
        constants). When one module's parameters reach two hidden layers (a tensor with
        parameters used on both sides of an activation, as in pre-activation residual
        blocks), the parameter-space methods raise ``ValueError`` saying so.

    Raises
    ------
    TypeError
        A module or traced operation is not supported (the message names it, its
        position or graph node, and the supported list), or ``torch.fx`` cannot trace
        the model (data-dependent control flow).
    ValueError
        A module in training mode (batch norm, dropout), or shapes that do not fit (a
        sum of tensors of different shapes names its node).
    """
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("from_torch needs PyTorch: pip install torch (the 'torch' extra)") from None
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module: expected a torch.nn.Module, got {type(module).__name__}")
    if isinstance(module, torch.nn.Sequential):
        ops = _operators(module)
        leaves = [(m, op) for _, m, op in ops]
    else:
        from ._fx import traced_nodes

        nodes, first_name, out_name, leaves = traced_nodes(module)
    if input_shape is None:
        first = next((m for m, op in leaves if op is not None and not isinstance(op, C.ChannelAffine)), None)
        if not isinstance(first, torch.nn.Linear):
            raise ValueError(
                "input_shape: required when the model does not start with a Linear layer, e.g. "
                "input_shape=(1, 28, 28) for one-channel 28x28 images"
            )
        input_shape = (int(first.in_features),)
    else:
        try:
            input_shape = tuple(int(s) for s in input_shape)
        except TypeError:
            raise TypeError(f"input_shape: expected a tuple of ints, got {input_shape!r}") from None
        if not input_shape or any(s < 1 for s in input_shape) or math.prod(input_shape) > 2**40:
            raise ValueError(f"input_shape: expected positive sizes, got {input_shape}")
    if isinstance(module, torch.nn.Sequential):
        return compile_chain([op for _, _, op in ops if op is not None], input_shape)
    return compile_graph(nodes, first_name, input_shape, out_name)
