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

from ._layers import Activation, Layer, MaxPool
from ._model import Network

__all__ = ["Activation", "Layer", "MaxPool", "Network"]
