"""Independent NumPy reference implementations used as oracles by the tests."""

from __future__ import annotations

import numpy as np
import pytest


def forward_reference(net, X):
    """Return (codes, outputs): codes int (N, n_hidden) per docs/math.md section 1."""
    z = np.asarray(X, dtype=np.float64)
    codes = []
    for layer in net.layers:
        carried = z[:, np.asarray(getattr(layer, "carry", np.zeros(0, int)), dtype=int)]  # skip connections
        if layer.kind == "maxpool":
            vals = [z[:, w] for w in layer.windows]
            codes.append(np.stack([np.argmax(v, axis=1) for v in vals], axis=1))
            z = np.stack([np.max(v, axis=1) for v in vals], axis=1)
        elif layer.kind == "maxout":
            W = layer.weights.toarray() if hasattr(layer.weights, "toarray") else layer.weights
            h = np.einsum("nkd,bd->bnk", W.reshape(layer.bias.shape + (-1,)), z) + layer.bias  # (B, n, k)
            codes.append(np.argmax(h, axis=2))  # first maximum = lowest index on ties
            z = np.max(h, axis=2)
        else:
            W = layer.weights.toarray() if hasattr(layer.weights, "toarray") else layer.weights
            h = z @ W.T + layer.bias
            codes.append((h > 0).astype(np.int64))
            z = np.where(h > 0, h, layer.alpha * h) if layer.kind == "leaky_relu" else np.maximum(h, 0)
        z = np.concatenate([z, carried], axis=1)
    out = z @ net._out_w.T + net._out_b
    return np.concatenate(codes, axis=1) if codes else np.zeros((len(z), 0), int), out


def pack_reference(codes: np.ndarray, bits_per_unit: list[int]) -> np.ndarray:
    """Pack codes little-endian into uint64 words (the documented layout)."""
    n = codes.shape[0]
    total = sum(bits_per_unit)
    words = np.zeros((n, max(1, -(-total // 64))), dtype=np.uint64)
    off = 0
    for j, b in enumerate(bits_per_unit):
        for bit in range(b):
            val = ((codes[:, j] >> bit) & 1).astype(np.uint64)
            words[:, (off + bit) // 64] |= val << np.uint64((off + bit) % 64)
        off += b
    return words


def raises_naming(call, exc, fragment, *args):
    """``call(*args)`` raises ``exc`` whose message contains ``fragment`` (the argument
    and the value at fault)."""
    with pytest.raises(exc) as info:
        call(*args)
    assert fragment in str(info.value), str(info.value)
