"""Importers: trained PyTorch and ONNX models as :class:`~regions.Network` objects.

:func:`from_torch` (also :meth:`regions.Network.from_torch`) reads an evaluation-mode
``torch.nn.Sequential``, or any ``nn.Module`` that ``torch.fx`` can trace;
:func:`from_onnx` (also :meth:`regions.Network.from_onnx`) reads the tensors of an ONNX
graph without executing anything. Both translate the model into a graph of the
operators of :mod:`regions.importers._compile`; :mod:`regions.importers._graph` folds
every run of affine operators (linear, convolution, average pooling, batch norm,
additions) between two activations into one hidden layer; convolutions and average pooling become
sparse layers (:class:`~regions.SparseMatrix`) whose parameterization maps every entry
to its shared kernel weight, so that :meth:`~regions.Network.parameter_jacobian` is the
Jacobian with respect to the model's own linear and convolution weights and biases.

Layouts. Max-pooling after an activation (``Conv, ReLU, MaxPool``) is a pooling layer
whose pattern entry is the position of the maximum in its window. Max-pooling over
affine maps (``Conv, MaxPool, ReLU``, the order of many published CNNs) is one maxout
unit per window: its pieces are the window's affine maps (a short window at a border
repeats its first piece, which never wins a tie), and a ReLU after it adds a zero
piece, since ``relu(max(w)) = max(w ∪ {0})``; its pattern entry is the position of the
maximum while the pooled value is positive, else the zero piece (the last index). A
leaky ReLU of slope ``a`` adds the pieces times ``a`` (entry ``k/2 +`` the position
when the pooled value is negative). Without an activation after it, the pooling is a
plain maxout. Consecutive affine operators compose into one layer (``Linear, Linear``,
``Conv, Flatten, Linear``); a product of two parameters is linearized at the model's
values, so the parameter Jacobian is still exactly the model's.

Skip connections. A tensor needed after a hidden layer (the shortcut of ``relu(x +
f(x))``) is carried through that layer: the layer passes on, after its units, the
state entries the tensor reads (``Layer.carry``), and the layer after the sum reads
both. This is exact (no extra unit, no extra cut): regions, patterns, affine maps and
the parameter Jacobian are the model's. When one operator's parameters reach two hidden
layers, the parameter Jacobian would count them twice, so it is refused.

Inputs of the imported network are the model's input tensors flattened in row-major
(C, H, W) order: ``net(x.reshape(len(x), -1))``.
"""

from __future__ import annotations

from ._onnx import from_onnx
from ._torch import from_torch

__all__ = ["from_onnx", "from_torch"]
