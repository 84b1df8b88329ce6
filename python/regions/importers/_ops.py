"""The operators the importers translate models into (:class:`Linear`, :class:`Conv`,
:class:`Pool`, :class:`ChannelAffine`, :class:`Shift`, :class:`Act`, :class:`Flatten`,
:class:`AdaptiveAvg`) and their geometry: output shapes, windows, and the terms of a
convolution, a linear map and a pooling."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._terms import _Terms


@dataclass(frozen=True)
class Linear:
    """``y = W x + b`` on a flat input; ``W`` is ``(out, in)``, ``b`` ``(out,)`` or None."""

    name: str
    weight: np.ndarray
    bias: np.ndarray | None


@dataclass(frozen=True)
class Conv:
    """An N-d cross-correlation (PyTorch's ``ConvNd``, ONNX ``Conv``): ``weight`` is
    ``(out_ch, in_ch / groups, *kernel)``; ``pads`` is ``((lo, hi), ...)`` per dim."""

    name: str
    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over N-d windows; ``ceil`` is PyTorch's ``ceil_mode``."""

    name: str
    kind: str  # "max" or "avg"
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    ceil: bool
    count_include_pad: bool = True
    divisor: int | None = None


@dataclass(frozen=True)
class ChannelAffine:
    """``y[c, ...] = scale[c] · x[c, ...] + shift[c]`` (batch norm in evaluation)."""

    name: str
    scale: np.ndarray
    shift: np.ndarray


@dataclass(frozen=True)
class Shift:
    """``y = x + shift``, with ``shift`` broadcast to the current shape."""

    name: str
    shift: np.ndarray


@dataclass(frozen=True)
class Act:
    """``relu`` or ``leaky_relu`` with slope ``alpha``."""

    name: str
    kind: Literal["relu", "leaky_relu"]
    alpha: float = 0.0


@dataclass(frozen=True)
class Flatten:
    """Reshape one sample (row-major, so the data does not move): to a vector, to
    ``shape``, or (``split``) its first axis into several (torch's ``Unflatten(1, split)``,
    one ``-1`` inferred). ``Identity``/``Dropout`` are not operators at all (the importers
    drop them)."""

    name: str
    shape: tuple[int, ...] | None = None
    split: tuple[int, ...] | None = None


@dataclass(frozen=True)
class AdaptiveAvg:
    """PyTorch's ``AdaptiveAvgPoolNd`` to ``size`` (``None`` keeps that axis), where each
    output size divides the input's: an average pooling with kernel = stride = the ratio."""

    name: str
    size: tuple[int | None, ...]


Op = Linear | Conv | Pool | ChannelAffine | Shift | Act | Flatten | AdaptiveAvg


def _out_size(n: int, k: int, s: int, lo: int, hi: int, d: int, ceil: bool) -> int:
    span = n + lo + hi - d * (k - 1) - 1  # may be negative: with ceil_mode, one clipped window
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + lo:  # PyTorch: the last window must start inside the input
        out -= 1
    return out


def _windows(
    shape: tuple[int, ...], pool: Pool | Conv, kernel: tuple[int, ...]
) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Output spatial shape and, per kernel offset, the input position of every output
    position (``-1`` outside the input), over the spatial dims ``shape``."""
    ceil = pool.ceil if isinstance(pool, Pool) else False
    dims = len(shape)
    outs = tuple(
        _out_size(shape[i], kernel[i], pool.stride[i], pool.pads[i][0], pool.pads[i][1], pool.dilation[i], ceil)
        for i in range(dims)
    )
    if any(o < 1 for o in outs):
        raise ValueError(f"{pool.name}: the window does not fit the input of spatial shape {shape}")
    grids = np.meshgrid(*[np.arange(o) for o in outs], indexing="ij")
    offsets = []
    for q in np.ndindex(*kernel):
        pos = np.zeros(grids[0].shape, dtype=np.int64)
        ok = np.ones(grids[0].shape, dtype=bool)
        for i in range(dims):
            p = grids[i] * pool.stride[i] - pool.pads[i][0] + q[i] * pool.dilation[i]
            ok &= (p >= 0) & (p < shape[i])
            pos = pos * shape[i] + p
        offsets.append(np.where(ok, pos, -1).reshape(-1))
    return outs, offsets


def _spatial_out(op: Pool | Conv, shape: tuple[int, ...], kernel: tuple[int, ...]) -> tuple[int, ...]:
    spatial = shape[1:]
    if len(kernel) != len(spatial):
        raise ValueError(f"{op.name}: a {len(kernel)}-d window on an input of shape {shape}")
    ceil = op.ceil if isinstance(op, Pool) else False
    return tuple(
        _out_size(spatial[i], kernel[i], op.stride[i], op.pads[i][0], op.pads[i][1], op.dilation[i], ceil)
        for i in range(len(spatial))
    )


def _conv_out_shape(op: Conv, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape of a convolution on samples of ``shape`` (``(C, ...)``)."""
    return (int(op.weight.shape[0]), *_spatial_out(op, shape, tuple(op.weight.shape[2:])))


def _pool_out_shape(op: Pool, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape of a pooling on samples of ``shape`` (``(C, ...)``)."""
    return (shape[0], *_spatial_out(op, shape, op.kernel))


def _conv_terms(op: Conv, shape: tuple[int, ...]) -> tuple[_Terms, tuple[int, ...], np.ndarray]:
    c_in, spatial = shape[0], shape[1:]
    w = op.weight
    o_ch, cg = w.shape[0], w.shape[1]
    kernel = tuple(w.shape[2:])
    if len(kernel) != len(spatial):
        raise ValueError(f"{op.name}: a {len(kernel)}-d kernel on an input of shape {shape}")
    if op.groups < 1 or c_in != cg * op.groups or o_ch % op.groups:
        raise ValueError(f"{op.name}: {c_in} input channels do not match weight {w.shape} with groups={op.groups}")
    outs, offsets = _windows(spatial, op, kernel)
    n_sp, n_in_sp, kk = math.prod(outs), math.prod(spatial), math.prod(kernel)
    og = o_ch // op.groups
    o = np.arange(o_ch)[:, None, None]
    cl = np.arange(cg)[None, :, None]
    ci = (o // og) * cg + cl  # global input channel of (o, local channel)
    rows, cols, pids = [], [], []
    for qi, pos in enumerate(offsets):
        ok = pos >= 0
        p_out = np.flatnonzero(ok)[None, None, :]
        rows.append(np.broadcast_to(o * n_sp + p_out, (o_ch, cg, p_out.size)).reshape(-1))
        cols.append(np.broadcast_to(ci * n_in_sp + pos[ok][None, None, :], (o_ch, cg, p_out.size)).reshape(-1))
        pids.append(np.broadcast_to((o * cg + cl) * kk + qi, (o_ch, cg, p_out.size)).reshape(-1))
    row, col, pid = (np.concatenate(x).astype(np.int64, copy=False) for x in (rows, cols, pids))
    theta = [w.reshape(-1)]
    brow = bpid = np.zeros(0, np.int64)
    if op.bias is not None:
        brow = np.arange(o_ch * n_sp, dtype=np.int64)
        bpid = w.size + brow // n_sp
        theta.append(op.bias.reshape(-1))
    t = _Terms(o_ch * n_sp, c_in * n_in_sp, row, col, np.ones(row.size), pid, brow, np.ones(brow.size), bpid)
    return t, (o_ch, *outs), np.concatenate(theta)


def _linear_terms(op: Linear, n_in: int) -> tuple[_Terms, np.ndarray]:
    out, k = op.weight.shape
    if k != n_in:
        raise ValueError(f"{op.name}: weight {op.weight.shape} expects {k} inputs, got {n_in}")
    r, c = np.divmod(np.arange(out * k, dtype=np.int64), k)
    theta = [op.weight.reshape(-1)]
    brow = bpid = np.zeros(0, np.int64)
    if op.bias is not None:
        brow = np.arange(out, dtype=np.int64)
        bpid = out * k + brow
        theta.append(op.bias.reshape(-1))
    t = _Terms(out, n_in, r, c, np.ones(r.size), r * k + c, brow, np.ones(brow.size), bpid)
    return t, np.concatenate(theta)


def _pool_windows(op: Pool, shape: tuple[int, ...]) -> tuple[tuple[int, ...], list[np.ndarray], np.ndarray]:
    """Per output unit (channel-major) its input cells and, for averages, its divisor."""
    c, spatial = shape[0], shape[1:]
    if len(op.kernel) != len(spatial):
        raise ValueError(f"{op.name}: a {len(op.kernel)}-d pooling on an input of shape {shape}")
    outs, offsets = _windows(spatial, op, op.kernel)
    pos = np.stack(offsets, axis=1)  # (n_out_spatial, kernel cells)
    empty = np.flatnonzero((pos < 0).all(axis=1))
    if empty.size:
        raise ValueError(
            f"{op.name}: output position {int(empty[0])} of its windows covers only padding (its value would "
            "be -inf or undefined); reduce the padding or dilation"
        )
    n_sp = math.prod(spatial)
    if op.divisor is not None:
        div = np.full(pos.shape[0], float(op.divisor))
    elif op.count_include_pad:
        # PyTorch: the window clipped to the padded input (not to the input itself).
        div = np.ones(pos.shape[0])
        grids = np.meshgrid(*[np.arange(o) for o in outs], indexing="ij")
        for i in range(len(spatial)):
            start = grids[i].reshape(-1) * op.stride[i] - op.pads[i][0]
            end = np.minimum(start + op.kernel[i], spatial[i] + op.pads[i][1])
            div *= end - start
    else:
        div = (pos >= 0).sum(axis=1).astype(np.float64)
    windows = [ch * n_sp + p[p >= 0] for ch in range(c) for p in pos]
    return (c, *outs), windows, np.tile(div, c)
