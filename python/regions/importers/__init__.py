"""Importers: trained PyTorch and ONNX models as :class:`~regions.Network` objects.

:func:`from_torch` (also :meth:`regions.Network.from_torch`) reads an evaluation-mode
``torch.nn.Sequential``; :func:`from_onnx` (also :meth:`regions.Network.from_onnx`)
reads the tensors of an ONNX chain graph without executing anything. Both translate
the model into the operators of :mod:`regions.importers._compile`, which folds every
run of affine operators (linear, convolution, average pooling, batch norm, additions)
between two activations into one hidden layer; convolutions and average pooling become
sparse layers (:class:`~regions.SparseMatrix`) whose parameterization maps every entry
to its shared kernel weight, so that :meth:`~regions.Network.parameter_jacobian` is the
Jacobian with respect to the model's own linear and convolution weights and biases.

Inputs of the imported network are the model's input tensors flattened in row-major
(C, H, W) order: ``net(x.reshape(len(x), -1))``.
"""

from __future__ import annotations

from ._onnx import from_onnx
from ._torch import from_torch

__all__ = ["from_onnx", "from_torch"]
