"""Compile a graph of operators (a chain, or a DAG with skip connections) into a
:class:`~regions.Network`.

The importers describe a model as :class:`Node` s in evaluation order: one operator of
:mod:`._compile` (or :class:`Add` of two tensors, or ``None`` for the identity) with its
input tensors' names. Every tensor is kept as an affine map of the **state**, the
output of the last hidden layer (at first, the input): a run of :mod:`._compile`. An
affine operator composes into its input's map; :class:`Add` sums two maps (a parameter
that occurs in both stays one parameter). A nonlinearity (an activation, or a
max-pooling over the state itself) emits a hidden layer: its units, then, as carried
inputs (``Layer.carry``), every state entry that a tensor still needed later reads. The
new state is ``[units, carried]``, and those tensors' maps are rewritten over it. So
``relu(x + f(x))`` becomes a layer of ``f``'s hidden units carrying ``x`` and a layer
reading both, exactly, with no extra unit and no extra cut. Max-pooling over affine maps
waits for its activation as in :mod:`._compile` (a maxout layer), unless the pooled
tensor has several consumers (then a plain maxout at once).

When the parameters of one operator reach two hidden layers (a tensor with parameters
used on both sides of a nonlinearity, as in pre-activation residual blocks), the
network's parameter Jacobian would count them twice: the network is marked and its
parameter-space methods raise ``ValueError`` saying so.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..network import Layer, MaxPool, Network
from . import _compile as C
from ._compile import _Pending, _Run
from ._terms import _Terms


@dataclass(frozen=True)
class Add:
    """The sum of two tensors of the same shape (a skip connection's merge)."""

    name: str


@dataclass(frozen=True)
class Node:
    """One operator (``None``: the identity) on the tensors ``inputs``, giving ``output``."""

    name: str
    op: C.Op | Add | None
    inputs: tuple[str, ...]
    output: str


@dataclass
class _Val:
    """A tensor: its map of the state, its shape, and a max-pooling waiting for its
    activation (then ``run`` is unused)."""

    run: _Run
    shape: tuple[int, ...]
    pending: _Pending | None = None


def _identity(n: int) -> _Terms:
    idx = np.arange(n)
    return C._fixed(n, n, idx, idx, np.ones(n))


def _selection(run: _Run) -> np.ndarray | None:
    """The state entries a run selects, or ``None`` when it is not a selection."""
    return np.arange(run.n_in) if run.terms is None else C.selected(run.terms)


def _support(run: _Run) -> np.ndarray:
    return np.arange(run.n_in) if run.terms is None else np.unique(run.terms.col)


def _rebase(run: _Run, pos: np.ndarray, n_new: int) -> _Run:
    """``run`` over a new state where old entry ``j`` is entry ``pos[j]``."""
    t = run.terms if run.terms is not None else _identity(run.n_in)
    col = pos[t.col]
    assert np.all(col >= 0), "a live tensor reads a state entry that was not carried"
    terms = _Terms(t.n_out, n_new, t.row, col, t.coef, t.pid, t.brow, t.bcoef, t.bpid)
    return _Run(terms, run.theta, n_new, run.sources)


def _add(a: _Run, b: _Run, name: str) -> _Run:
    """``a + b`` (maps of the same state); an operator whose parameters both hold stays
    one set of parameters."""
    ta = a.terms if a.terms is not None else _identity(a.n_in)
    tb = b.terms if b.terms is not None else _identity(b.n_in)
    if ta.n_out != tb.n_out:  # pragma: no cover - shapes are checked by the caller
        raise ValueError(f"{name}: adding tensors of {ta.n_out} and {tb.n_out} values")
    where = {}
    off = 0
    for src, size in a.sources:
        where[src] = off
        off += size
    theta, sources = [a.theta], list(a.sources)
    remap = np.zeros(b.theta.size, dtype=np.int64)
    boff, total = 0, a.theta.size
    for src, size in b.sources:
        if src in where:
            remap[boff : boff + size] = where[src] + np.arange(size)
        else:
            remap[boff : boff + size] = total + np.arange(size)
            theta.append(b.theta[boff : boff + size])
            sources.append((src, size))
            total += size
        boff += size

    def pids(p: np.ndarray) -> np.ndarray:
        return np.where(p >= 0, remap[np.maximum(p, 0)], -1) if remap.size else p

    t = _Terms(
        ta.n_out, ta.n_in,
        np.concatenate([ta.row, tb.row]), np.concatenate([ta.col, tb.col]),
        np.concatenate([ta.coef, tb.coef]), np.concatenate([ta.pid, pids(tb.pid)]),
        np.concatenate([ta.brow, tb.brow]), np.concatenate([ta.bcoef, tb.bcoef]),
        np.concatenate([ta.bpid, pids(tb.bpid)]),
    )  # fmt: skip
    return _Run(C._sum_terms(t), np.concatenate(theta), a.n_in, tuple(sources))


class _Compiler:
    """The state, the tensors still needed, and the layers emitted so far."""

    def __init__(self, nodes: Sequence[Node], input_name: str, input_shape: tuple[int, ...]):
        self.n = math.prod(input_shape)
        self.vals: dict[str, _Val] = {input_name: _Val(_Run(None, np.zeros(0), self.n), input_shape)}
        self.uses = Counter(i for node in nodes for i in node.inputs)
        self.layers: list[Layer | MaxPool] = []
        self.owners: dict[str, int] = {}  # operator with parameters -> the layer holding them
        self.shared: list[str] = []

    def _claim(self, run: _Run, at: int) -> None:
        for src, _ in run.sources:
            if self.owners.setdefault(src, at) != at and src not in self.shared:
                self.shared.append(src)

    def emit(self, layer: Layer | MaxPool, run: _Run | None) -> _Val:
        """Append ``layer`` (reading the state), carrying what the live tensors read;
        returns the tensor of its units (shape set by the caller)."""
        live = list({id(v): v for k, v in self.vals.items() if self.uses[k] > 0}.values())
        runs = [v.pending.run if v.pending is not None else v.run for v in live]
        carry = np.unique(np.concatenate([_support(r) for r in runs])) if runs else np.zeros(0, np.int64)
        if isinstance(layer, MaxPool):
            layer = MaxPool(layer.windows, layer.n_in, carry)
        else:
            layer = dataclasses.replace(layer, carry=carry)
        if run is not None:
            self._claim(run, len(self.layers))
        self.layers.append(layer)
        units = layer.units
        n_new = units + carry.size
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[carry] = units + np.arange(carry.size)
        for v in live:
            if v.pending is not None:
                v.pending = _Pending(_rebase(v.pending.run, pos, n_new), v.pending.windows, v.pending.name)
            else:
                v.run = _rebase(v.run, pos, n_new)
        self.n = n_new
        if not carry.size:  # the units are the whole state: the identity
            return _Val(_Run(None, np.zeros(0), n_new), (units,))
        sel = C._fixed(units, n_new, np.arange(units), np.arange(units), np.ones(units))
        return _Val(_Run(sel, np.zeros(0), n_new), (units,))

    def finish(self, v: _Val, act: C.Act | None) -> _Val:
        """The tensor of a pending max-pooling, activated by ``act``."""
        assert v.pending is not None
        made = C._max_layer(v.pending, act)
        if isinstance(made, _Run):
            return _Val(made, v.shape)
        return dataclasses.replace(self.emit(made, v.pending.run), shape=v.shape)

    def node(self, node: Node) -> None:
        missing = [i for i in node.inputs if i not in self.vals]
        if missing:  # pragma: no cover - the importers list nodes in order
            raise ValueError(f"{node.name}: input {missing[0]!r} is not computed before it")
        if isinstance(node.op, Add):  # pending max-poolings first, as plain maxout layers
            for i in node.inputs:
                if self.vals[i].pending is not None:
                    self.uses[i] -= 1
                    self.vals[i] = self.finish(self.vals[i], None)
                    self.uses[i] += 1
        args = [self.vals[i] for i in node.inputs]
        for i in node.inputs:
            self.uses[i] -= 1
        op = node.op
        if op is None:
            out = args[0]
        elif isinstance(op, Add):
            a, b = args
            if a.shape != b.shape:
                raise ValueError(f"{node.name}: cannot add tensors of shapes {a.shape} and {b.shape}")
            out = _Val(_add(a.run, b.run, node.name), a.shape)
        else:
            out = self.unary(node, op, args[0])
        for i in node.inputs:
            if self.uses[i] <= 0:
                self.vals.pop(i, None)
        self.vals[node.output] = out

    def unary(self, node: Node, op: C.Op, v: _Val) -> _Val:
        shape = v.shape
        n = math.prod(shape)
        if (
            v.pending is not None
            and not isinstance(op, C.Flatten)
            and not (isinstance(op, C.Pool) and op.kind == "max")
        ):
            act = op if isinstance(op, C.Act) else None
            v = self.finish(v, act)
            if act is not None:
                return v
        if isinstance(op, C.Act):
            run = v.run
            return dataclasses.replace(self.emit(C._act_layer(run, op, run.n_in), run), shape=shape)
        if isinstance(op, C.Flatten) and op.split is not None:
            sizes = list(op.split)
            if sizes.count(-1) == 1 and math.prod(sizes) < 0 and shape[0] % -math.prod(sizes) == 0:
                sizes[sizes.index(-1)] = shape[0] // -math.prod(sizes)
            if any(s < 1 for s in sizes) or math.prod(sizes) != shape[0]:
                raise ValueError(f"{op.name}: cannot split axis 1 of size {shape[0]} into {op.split}")
            return dataclasses.replace(v, shape=(*sizes, *shape[1:]))
        if isinstance(op, C.Flatten):
            if op.shape is not None and math.prod(op.shape) != n:
                raise ValueError(f"{op.name}: cannot reshape a sample of shape {shape} to {op.shape}")
            return dataclasses.replace(v, shape=(n,) if op.shape is None else op.shape)
        if isinstance(op, C.Pool) and op.kind == "max":
            out_shape, windows, _ = C._pool_windows(op, shape)
            if v.pending is not None:  # a max of maxima of affine maps: merge the windows
                merged = [np.unique(np.concatenate([v.pending.windows[j] for j in w])) for w in windows]
                return _Val(v.run, out_shape, _Pending(v.pending.run, merged, op.name))
            sel = _selection(v.run)
            if sel is not None:  # over activations, pooled units or the input itself
                layer = MaxPool([sel[w] for w in windows], n_in=self.n)
                return dataclasses.replace(self.emit(layer, None), shape=out_shape)
            pending = _Val(v.run, out_shape, _Pending(v.run, windows, op.name))
            if self.uses[node.output] > 1:  # several consumers: a plain maxout now
                return self.finish(pending, None)
            return pending
        if isinstance(op, C.AdaptiveAvg):
            op = _adaptive(op, shape)
        if isinstance(op, C.Pool):
            out_shape, windows, div = C._pool_windows(op, shape)
            rows = np.repeat(np.arange(len(windows)), [w.size for w in windows])
            t = C._fixed(math.prod(out_shape), n, rows, np.concatenate(windows), 1.0 / div[rows])
            return _Val(C._apply(v.run, t, op.name), out_shape)
        if isinstance(op, C.ChannelAffine):
            if op.scale.size != shape[0]:
                raise ValueError(f"{op.name}: {op.scale.size} channels, the input has shape {shape}")
            per = n // shape[0]
            idx = np.arange(n)
            t = C._fixed(n, n, idx, idx, np.repeat(op.scale, per), idx, np.repeat(op.shift, per))
            return _Val(C._apply(v.run, t, op.name), shape)
        if isinstance(op, C.Shift):
            try:
                shift = np.broadcast_to(op.shift, shape).reshape(-1)
            except ValueError:
                raise ValueError(f"{op.name}: cannot add a {op.shift.shape} tensor to shape {shape}") from None
            idx = np.arange(n)
            return _Val(C._apply(v.run, C._fixed(n, n, idx, idx, np.ones(n), idx, shift), op.name), shape)
        if isinstance(op, C.Linear):
            if len(shape) != 1:
                raise ValueError(f"{op.name}: Linear needs a flat input, got shape {shape} (add a Flatten)")
            t, theta = C._linear_terms(op, n)
            return _Val(C._apply(v.run, t, op.name, theta), (t.n_out,))
        if isinstance(op, C.Conv):
            if len(shape) < 2:
                raise ValueError(f"{op.name}: a convolution needs a (C, ...) input, got shape {shape}")
            t, out_shape, theta = C._conv_terms(op, shape)
            return _Val(C._apply(v.run, t, op.name, theta), out_shape)
        raise TypeError(f"unknown operator {op!r}")  # pragma: no cover - the importers build only these


def _adaptive(op: C.AdaptiveAvg, shape: tuple[int, ...]) -> C.Pool:
    """An adaptive average pooling as a plain one (each output size divides the input's)."""
    spatial = shape[1:]
    if len(op.size) != len(spatial):
        raise ValueError(f"{op.name}: a {len(op.size)}-d adaptive pooling on an input of shape {shape}")
    size = tuple(n if s is None else s for s, n in zip(op.size, spatial))
    if any(s < 1 or n % s for s, n in zip(size, spatial)):
        raise ValueError(
            f"{op.name}: adaptive average pooling of spatial shape {spatial} to {size} is supported only "
            "when each output size divides the input size (equal windows)"
        )
    kernel = tuple(n // s for s, n in zip(size, spatial))
    zeros = tuple((0, 0) for _ in kernel)
    return C.Pool(op.name, "avg", kernel, kernel, zeros, (1,) * len(kernel), False)


def compile_graph(nodes: Sequence[Node], input_name: str, input_shape: tuple[int, ...], output: str) -> Network:
    """Compile ``nodes`` (in evaluation order) on inputs ``input_name`` of
    ``input_shape`` (no batch axis) into a network whose inputs are the flattened
    (row-major) tensors and whose output is the tensor ``output``.

    Returns
    -------
    Network
        The network; the affine operators after the last nonlinearity are its output layer.
    """
    shape = tuple(int(s) for s in input_shape)
    comp = _Compiler(nodes, input_name, shape)
    comp.uses[output] += 1
    for node in nodes:
        comp.node(node)
    v = comp.vals[output]
    if v.pending is not None:
        comp.uses[output] -= 1
        v = comp.finish(v, None)
    run = v.run
    if run.terms is None or not (np.any(run.terms.pid >= 0) or np.any(run.terms.bpid >= 0)):
        raise ValueError("the model must end with a Linear (or Conv) output layer after its last activation")
    comp._claim(run, len(comp.layers))
    w, b, p = C._layer(run, None, dense=True)
    assert isinstance(w, np.ndarray)
    net = Network(comp.layers, w, b, p)
    if comp.shared:
        net._no_jacobian = (
            f"the parameters of {', '.join(comp.shared)} reach more than one layer of the imported network "
            "(a tensor with parameters used on both sides of an activation), which the parameter Jacobian "
            "would count twice"
        )
    return net


def compile_chain(ops: Sequence[C.Op], input_shape: tuple[int, ...]) -> Network:
    """Fold a chain of operators on inputs of ``input_shape`` (no batch axis): the
    graph whose every operator reads the one before it."""
    nodes = [Node(op.name, op, (f"t{i}",), f"t{i + 1}") for i, op in enumerate(ops)]
    return compile_graph(nodes, "t0", input_shape, f"t{len(ops)}")
