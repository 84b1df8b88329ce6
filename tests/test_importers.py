"""Importers (issue 10): PyTorch and ONNX models against their own forward passes.

Oracles: torch's float64 forward pass and its pre-activations / max-pooling indices
(``return_indices``), ``torch.func.jacrev`` for the parameter Jacobian, NumPy's
``np.unique`` for pattern counts, and ONNX's own reference evaluator
(``onnx.reference.ReferenceEvaluator``) for hand-written ONNX graphs.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import regions
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from optional import require

torch = require("torch")
onnx = require("onnx")
nn = torch.nn
F = torch.nn.functional
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402


def leaves(model):
    out = []
    for m in model:
        out.extend(leaves(m) if isinstance(m, nn.Sequential) else [m])
    return out


def randomize_batch_norm(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1)
                m.running_var.copy_(torch.rand(n, generator=g, dtype=torch.float64) + 0.5)
                if m.weight is not None:
                    m.weight.copy_(torch.rand(n, generator=g, dtype=torch.float64) + 0.5)
                    m.bias.copy_(torch.rand(n, generator=g, dtype=torch.float64) - 0.5)
    return model


def _window_positions(glob, windows):
    """Position inside its window (``windows[j]``: global input indices) of the input
    that torch's ``return_indices`` reports for every output ``j``."""
    pos = np.empty(glob.shape, dtype=np.int64)
    for j, w in enumerate(windows):
        hit = glob[:, j : j + 1] == w[None, :]
        assert hit.any(axis=1).all()
        pos[:, j] = hit.argmax(axis=1)
    return pos


def torch_patterns(model, x, net):
    """Pattern of every hidden unit, computed in torch: ``pre-activation > 0`` at every
    ReLU / leaky ReLU, and at every max-pooling the position (within the imported layer's
    window) of the input cell torch's ``return_indices`` reports. A max-pooling over
    affine maps is a maxout layer: the position while the pooled value is positive, else
    the zero piece (ReLU after it: index ``k``) or ``k +`` the position (leaky ReLU),
    where ``k`` is the largest window."""
    from regions.importers._compile import _pool_windows
    from regions.importers._torch import _pool

    parts = []
    pools = [layer for layer in net.layers if isinstance(layer, regions.MaxPool)]
    h = x
    affine_before = True  # the input counts as "not an activation" only for pooling order
    pending = None  # (part index, positions, k) of a pooling over affine maps
    with torch.no_grad():
        for i, m in enumerate(leaves(model)):
            if isinstance(m, (nn.ReLU, nn.LeakyReLU)):
                on = (h > 0).reshape(len(x), -1).numpy()
                if pending is not None:
                    j, pos, k = pending
                    parts[j] = np.where(on, pos, k if isinstance(m, nn.ReLU) else k + pos)
                    pending = None
                else:
                    parts.append(on.astype(np.int64))
                h = m(h)
                affine_before = False
            elif isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)):
                dims = 1 if isinstance(m, nn.MaxPool1d) else 2
                fn = F.max_pool1d if dims == 1 else F.max_pool2d
                shape = tuple(h.shape[1:])
                h, idx = fn(
                    h, m.kernel_size, m.stride, m.padding, m.dilation, ceil_mode=m.ceil_mode, return_indices=True
                )
                n_sp = int(np.prod(h.shape[2:]))
                in_sp = int(np.prod(shape[1:]))
                chan = np.arange(h.shape[1]).repeat(n_sp)
                glob = idx.reshape(len(x), -1).numpy() + chan * in_sp
                if affine_before and i > 0:
                    _, windows, _ = _pool_windows(_pool("p", m, dims, "max"), shape)
                    parts.append(_window_positions(glob, windows))
                    pending = (len(parts) - 1, parts[-1], max(w.size for w in windows))
                else:
                    parts.append(_window_positions(glob, pools.pop(0).windows))
                    affine_before = False
            else:
                h = m(h)
                if not isinstance(m, (nn.Flatten, nn.Dropout, nn.Identity)):
                    affine_before, pending = True, None
    return np.concatenate(parts, axis=1)


def check_parity(model, shape, n=200, seed=0, X=None, **kw):
    """Outputs to 1e-12 relative, patterns equal, pattern counts equal np.unique."""
    model = model.double().eval()
    net = regions.Network.from_torch(model, **kw)
    if X is None:
        X = np.random.default_rng(seed).standard_normal((n, int(np.prod(shape))))
    xt = torch.from_numpy(X).reshape(len(X), *shape)
    with torch.no_grad():
        want = model(xt).reshape(len(X), -1).numpy()
    got = net(X)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max()))
    pat = torch_patterns(model, xt, net)
    mine = net.activation_patterns(X).astype(np.int64)
    np.testing.assert_array_equal(mine, pat)
    assert net.count_patterns(X) == np.unique(pat, axis=0).shape[0]
    return net, X


def mlp():
    return nn.Sequential(
        nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(0.3), nn.Linear(12, 10), nn.LeakyReLU(0.125),
        nn.Identity(), nn.Linear(10, 3),
    )  # fmt: skip


def lenet_small():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2, bias=False), nn.ReLU(), nn.MaxPool2d(2, stride=1, padding=1),
        nn.Flatten(), nn.Linear(6 * 3 * 3, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 5),
    )  # fmt: skip


def conv1d_net():
    return nn.Sequential(
        nn.Conv1d(4, 6, 3, padding="same", dilation=2, groups=2), nn.LeakyReLU(0.25),
        nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
        nn.Conv1d(6, 4, 2, padding="valid"), nn.ReLU(), nn.MaxPool1d(3, stride=2, dilation=2, ceil_mode=True),
        nn.Flatten(), nn.BatchNorm1d(4 * 3), nn.Linear(4 * 3, 3),
    )  # fmt: skip


def nested_net(divisor=3):
    features = nn.Sequential(
        nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2), groups=2), nn.BatchNorm2d(4, affine=False),
        nn.ReLU(), nn.Sequential(nn.AvgPool2d(2, padding=1, ceil_mode=True), nn.Conv2d(4, 4, 1)), nn.ReLU(),
        nn.AvgPool2d(2, divisor_override=divisor), nn.Dropout2d(0.2),
    )  # fmt: skip
    return nn.Sequential(features, nn.Flatten(), nn.Sequential(nn.Linear(4 * 1 * 2, 7), nn.ReLU()), nn.Linear(7, 2))


def pool_then_relu_net():
    """Conv, MaxPool, ReLU (short windows from ceil_mode), Conv, BatchNorm, MaxPool,
    LeakyReLU, then Linear, Linear without an activation, and two output Linears."""
    return nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Conv2d(3, 4, 2, padding=1), nn.BatchNorm2d(4), nn.MaxPool2d(2, stride=1), nn.LeakyReLU(0.25),
        nn.Flatten(), nn.Linear(4 * 3 * 3, 9), nn.Linear(9, 6), nn.ReLU(), nn.Linear(6, 5), nn.Linear(5, 2),
    )  # fmt: skip


def pool_without_activation_net():
    """Conv, MaxPool with no activation after it (a plain maxout), Conv, Flatten, Linear."""
    return nn.Sequential(
        nn.Conv2d(2, 3, 2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 2 * 2, 6), nn.ReLU(), nn.Linear(6, 2)
    )


def unflatten_net():
    """A flat input reshaped to an image (Unflatten), Conv, BatchNorm after the pooling."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 6, -1)), nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(3),
        nn.Flatten(), nn.Linear(12, 2),
    )  # fmt: skip


def pool_first_net():
    return nn.Sequential(nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(1, 3, 2), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))


@pytest.mark.parametrize(
    "make, shape, kw",
    [
        (mlp, (6,), {}),
        (lenet_small, (1, 10, 10), {"input_shape": (1, 10, 10)}),
        (conv1d_net, (4, 17), {"input_shape": (4, 17)}),
        (nested_net, (2, 9, 4), {"input_shape": (2, 9, 4)}),
        (pool_first_net, (1, 6, 6), {"input_shape": (1, 6, 6)}),
        (pool_then_relu_net, (1, 7, 7), {"input_shape": (1, 7, 7)}),
        (pool_without_activation_net, (2, 5, 5), {"input_shape": (2, 5, 5)}),
        (unflatten_net, (36,), {"input_shape": (36,)}),
    ],
)
def test_torch_parity(make, shape, kw):
    torch.manual_seed(0)
    model = randomize_batch_norm(make().double())
    net, X = check_parity(model, shape, **kw)
    # the parameter Jacobian: torch.func over the Linear/Conv parameters (batch norm is constant)
    names = [
        n
        for n, p in model.named_parameters()
        if not isinstance(model.get_submodule(n.rsplit(".", 1)[0]), nn.BatchNorm1d | nn.BatchNorm2d)
    ]
    params = dict(model.named_parameters())
    xt = torch.from_numpy(X[:20]).reshape(20, *shape)

    def f(p):
        return torch.func.functional_call(model, {**params, **p}, (xt,)).reshape(-1)

    jac = torch.func.jacrev(f)({n: params[n].detach() for n in names})
    want = np.concatenate([jac[n].reshape(jac[n].shape[0], -1).detach().numpy() for n in names], axis=1)
    got = net.parameter_jacobian(X[:20])
    assert got.shape == want.shape == (20 * net.output_dim, net.n_params)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max()))


def test_lenet_regions_and_round_trip(tmp_path):
    torch.manual_seed(1)
    model = randomize_batch_norm(lenet_small().double()).eval()
    net = regions.Network.from_torch(model, input_shape=(1, 10, 10))
    assert [layer.kind for layer in net.layers] == ["relu", "maxpool", "relu", "maxpool", "relu"]
    assert net.layers[0].is_sparse and net.layers[0].params is not None
    X = np.random.default_rng(3).standard_normal((3, 100))
    rs = net.regions_through(X[0], X[1], X[2])
    assert rs.count >= 1
    # every sampled point of the triangle lies in a region whose pattern it has
    path = tmp_path / "lenet.npz"
    net.save(path)
    back = regions.Network.load(path)
    np.testing.assert_array_equal(back(X), net(X))
    np.testing.assert_array_equal(back.parameter_jacobian(X), net.parameter_jacobian(X))
    assert back.regions_through(X[0], X[1], X[2]).count == rs.count


def test_degenerate_integer_weights_exact_zeros():
    """Quantized weights, dead channels and integer inputs: many pre-activations are exactly
    0 (inactive in both) and many max-pooling windows tie (lowest position in both)."""
    torch.manual_seed(2)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(27, 4), nn.ReLU(),
        nn.Linear(4, 2),
    ).double()  # fmt: skip
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randint(-1, 2, p.shape, generator=g).double())
        model[0].weight[1].zero_()
        model[0].bias[1] = 0.0
    X = np.random.default_rng(4).integers(-2, 3, size=(300, 36)).astype(np.float64)
    net, _ = check_parity(model, (1, 6, 6), X=X, input_shape=(1, 6, 6))
    pats = net.activation_patterns(X)
    assert (pats == 0).mean() > 0.3


def test_torch_errors():
    with pytest.raises(TypeError, match=r"module\[3\].*Softmax.*not piecewise linear"):
        regions.Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Softmax(dim=1)))
    with pytest.raises(TypeError, match=r"module\[0\.1\]: unsupported module Tanh; supported: Linear"):
        regions.Network.from_torch(nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), nn.Linear(2, 1)))
    with pytest.raises(TypeError, match="module: expected a torch.nn.Module, got int"):
        regions.Network.from_torch(3)
    bn = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"module\[1\]: BatchNorm1d is in training mode.*eval\(\)"):
        regions.Network.from_torch(bn.train())
    regions.Network.from_torch(bn.eval())
    with pytest.raises(ValueError, match="track_running_stats=False"):
        regions.Network.from_torch(
            nn.Sequential(
                nn.Linear(2, 3), nn.BatchNorm1d(3, track_running_stats=False), nn.ReLU(), nn.Linear(3, 1)
            ).eval()
        )
    drop = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"module\[2\]: Dropout\(p=0.5\) is in training mode"):
        regions.Network.from_torch(drop.train())
    regions.Network.from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.0), nn.Linear(3, 1)))
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1))
    with pytest.raises(ValueError, match="input_shape: required"):
        regions.Network.from_torch(conv)
    with pytest.raises(ValueError, match="expects 8 inputs, got 18"):
        regions.Network.from_torch(conv, input_shape=(1, 5, 5))
    with pytest.raises(TypeError, match="padding_mode='reflect'"):
        regions.Network.from_torch(
            nn.Sequential(
                nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), nn.ReLU(), nn.Flatten(), nn.Linear(32, 1)
            ),
            input_shape=(1, 4, 4),
        )
    with pytest.raises(ValueError, match="start_dim=1, end_dim=-1"):
        regions.Network.from_torch(
            nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(2), nn.Linear(4, 1)), input_shape=(1, 4, 4)
        )
    with pytest.raises(ValueError, match=r"only Unflatten\(1, sizes\)"):
        regions.Network.from_torch(
            nn.Sequential(nn.Unflatten(-1, (1, 4)), nn.Flatten(), nn.Linear(4, 1)), input_shape=(4,)
        )
    with pytest.raises(ValueError, match="cannot split axis 1 of size 5"):
        regions.Network.from_torch(
            nn.Sequential(nn.Unflatten(1, (2, -1)), nn.Flatten(), nn.Linear(5, 1)), input_shape=(5,)
        )
    with pytest.raises(ValueError, match="must end with a Linear"):
        regions.Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    with pytest.raises(ValueError, match="input_shape: expected positive sizes"):
        regions.Network.from_torch(conv, input_shape=(1, 0, 5))


# ---------------------------------------------------------------------------- ONNX


def export(model, shape, opset):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, *shape, dtype=torch.float64), buf, dynamo=False, opset_version=opset)
    return buf.getvalue()


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize(
    "make, shape",
    # torch's exporter drops AvgPool2d's divisor_override: export the nested net without it
    [
        (mlp, (6,)),
        (lenet_small, (1, 10, 10)),
        (conv1d_net, (4, 17)),
        (lambda: nested_net(None), (2, 9, 4)),
        (pool_then_relu_net, (1, 7, 7)),
    ],
)
def test_onnx_export_parity(make, shape, opset, tmp_path):
    torch.manual_seed(0)
    model = randomize_batch_norm(make().double()).eval()
    data = export(model, shape, opset)
    path = tmp_path / "model.onnx"
    path.write_bytes(data)
    X = np.random.default_rng(7).standard_normal((150, int(np.prod(shape))))
    xt = torch.from_numpy(X).reshape(len(X), *shape)
    ref = regions.Network.from_torch(model, input_shape=shape)
    for source in (data, path, str(path), onnx.load_from_string(data)):
        net = regions.Network.from_onnx(source)
        with torch.no_grad():
            want = model(xt).numpy()
        np.testing.assert_allclose(net(X), want, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max()))
    np.testing.assert_array_equal(net.activation_patterns(X).astype(np.int64), torch_patterns(model, xt, net))
    assert net.sizes == ref.sizes and net.n_params == ref.n_params


def graph_model(nodes, inits, in_shape, out_shape, opset=17, name="x"):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(name, TensorProto.DOUBLE, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, out_shape)],
        [
            numpy_helper.from_array(np.asarray(v, dtype=np.int64 if np.asarray(v).dtype.kind == "i" else np.float64), k)
            for k, v in inits.items()
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


def check_onnx(model, X, shape):
    """Outputs against the reference evaluator, and every ReLU pattern entry against its
    input there; a max-pooling entry must point at a cell holding the window's maximum."""
    net = regions.Network.from_onnx(model)
    ev = ReferenceEvaluator(model)
    feed = {model.graph.input[0].name: X.reshape(len(X), *shape)}
    (want,) = ev.run(None, feed)
    got = net(X)
    np.testing.assert_allclose(got, want.reshape(len(X), -1), rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max()))
    pats = net.activation_patterns(X).astype(np.int64)
    at = 0
    prev = X
    layers = iter(net.layers)
    for node in model.graph.node:
        if node.op_type in ("Relu", "LeakyRelu", "MaxPool"):
            layer = next(layers)
            (pre,) = ev.run([node.input[0]], feed)
            (post,) = ev.run([node.output[0]], feed)
            pre, post = pre.reshape(len(X), -1), post.reshape(len(X), -1)
            if node.op_type == "MaxPool":
                for j, w in enumerate(layer.windows):
                    np.testing.assert_array_equal(prev[np.arange(len(X)), w[pats[:, at + j]]], post[:, j])
            else:
                np.testing.assert_array_equal(pats[:, at : at + layer.units], (pre > 0).astype(np.int64))
            at += layer.units
            prev = post
    assert at == pats.shape[1]
    assert net.count_patterns(X) == np.unique(pats, axis=0).shape[0]
    return net


def test_onnx_dense_operators():
    rng = np.random.default_rng(0)
    w1, b1 = rng.standard_normal((5, 8)), rng.standard_normal(8)
    w2, b2 = rng.standard_normal((8, 6)), rng.standard_normal((1, 6))
    w3, b3 = rng.standard_normal((4, 6)), rng.standard_normal(4)
    nodes = [
        helper.make_node("Identity", ["x"], ["x0"]),
        helper.make_node("MatMul", ["x0", "w1"], ["m1"], name="mm"),
        helper.make_node("Add", ["b1", "m1"], ["a1"], name="add"),
        helper.make_node("Relu", ["a1"], ["r1"]),
        helper.make_node("Gemm", ["r1", "w2", "b2"], ["g2"], alpha=0.5, beta=2.0),
        helper.make_node("Constant", [], ["shift"], value=numpy_helper.from_array(rng.standard_normal(6), "s")),
        helper.make_node("Add", ["g2", "shift"], ["a2"]),
        helper.make_node("LeakyRelu", ["a2"], ["r2"], alpha=0.2),
        helper.make_node("Dropout", ["r2"], ["d2"]),
        helper.make_node("Gemm", ["d2", "w3", "b3"], ["y"], transB=1),
    ]
    model = graph_model(nodes, {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3}, ["N", 5], ["N", 4])
    net = check_onnx(model, rng.standard_normal((300, 5)), (5,))
    assert net.activations == ("relu", "leaky_relu") and net.n_params == 5 * 8 + 8 + 8 * 6 + 6 + 4 * 6 + 4


def test_onnx_conv_operators():
    rng = np.random.default_rng(1)
    inits = {
        "w1": rng.standard_normal((4, 2, 3, 3)), "b1": rng.standard_normal(4),
        "scale": rng.random(4) + 0.5, "bias": rng.standard_normal(4), "mean": rng.standard_normal(4),
        "var": rng.random(4) + 0.5, "w2": rng.standard_normal((3, 4, 2, 2)),
        "shape": np.array([0, -1]), "axes": np.array([2, 3]),
        "w3": rng.standard_normal((3, 5)), "w4": rng.standard_normal((6, 5)),
    }  # fmt: skip
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], auto_pad="SAME_UPPER", strides=[2, 1]),
        helper.make_node("BatchNormalization", ["c1", "scale", "bias", "mean", "var"], ["n1"], epsilon=1e-3),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 3], pads=[1, 1, 0, 1], strides=[1, 2]),
        helper.make_node("AveragePool", ["p1"], ["q1"], kernel_shape=[2, 2], pads=[1, 0, 1, 1], count_include_pad=1),
        helper.make_node("Conv", ["q1", "w2"], ["c2"], dilations=[2, 1], pads=[0, 1, 0, 0]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 1], strides=[2, 2], ceil_mode=1),
        helper.make_node("Squeeze", ["p2", "axes"], ["s2"]),
        helper.make_node("Reshape", ["s2", "shape"], ["f2"]),
        helper.make_node("MatMul", ["f2", "w3"], ["m3"]),
        helper.make_node("Relu", ["m3"], ["r3"]),
        helper.make_node("Gemm", ["r3", "w4"], ["y"], transB=1),
    ]
    # (the reference evaluator mishandles auto_pad on pooling: see test_onnx_same_pooling_by_hand)
    # 2x5x3 -> conv: 4x3x3 -> max-pool: 4x3x2 -> average: 4x4x2 -> conv: 3x2x2 -> max-pool with
    # ceil_mode: 3x1x1 (the second window along W would start in the padding: dropped) -> 3
    model = graph_model(nodes, inits, ["N", 2, 5, 3], ["N", 6])
    X = rng.standard_normal((200, 2 * 5 * 3))
    net = check_onnx(model, X, (2, 5, 3))
    assert [layer.kind for layer in net.layers] == ["relu", "maxpool", "relu", "maxpool", "relu"]


def test_onnx_same_pooling_by_hand():
    """auto_pad on pooling, against the ONNX formulas worked out by hand (output length
    ceil(n / stride); SAME_LOWER puts the odd padding cell first)."""
    eye = np.eye(9)

    def net_for(pool, n_out):
        nodes = [
            helper.make_node("Relu", ["x"], ["r"]), pool, helper.make_node("Flatten", ["p"], ["f"]),
            helper.make_node("Gemm", ["f", "w"], ["y"], transB=1),
        ]  # fmt: skip
        return regions.Network.from_onnx(graph_model(nodes, {"w": eye[:n_out, :n_out]}, ["N", 1, 4], ["N", n_out]))

    X = np.random.default_rng(2).standard_normal((50, 4))
    r = np.maximum(X, 0)
    lower = net_for(helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2], auto_pad="SAME_LOWER"), 4)
    np.testing.assert_array_equal(lower(X), np.column_stack([r[:, 0], np.maximum(r[:, :-1], r[:, 1:])]))
    upper = net_for(helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[3], strides=[2], auto_pad="SAME_UPPER"), 2)
    # n = 4, stride 2: 2 outputs, total padding (2 - 1) * 2 + 3 - 4 = 1, at the end
    np.testing.assert_array_equal(upper(X), np.column_stack([r[:, :3].max(axis=1), r[:, 2:].max(axis=1)]))
    avg = net_for(
        helper.make_node("AveragePool", ["r"], ["p"], kernel_shape=[3], strides=[3], auto_pad="SAME_LOWER"), 2
    )
    # 2 outputs, total padding 3 + 3 - 4 = 2: one cell first, one last; padding not counted
    np.testing.assert_allclose(avg(X), np.column_stack([r[:, :2].mean(axis=1), r[:, 2:].mean(axis=1)]), rtol=1e-15)


def test_onnx_errors(tmp_path):
    w = np.ones((2, 2))
    good = [helper.make_node("Gemm", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["r"])]
    tanh = graph_model([*good, helper.make_node("Tanh", ["r"], ["y"], name="squash")], {"w": w}, ["N", 2], ["N", 2])
    with pytest.raises(TypeError, match=r"node 'squash' \(Tanh\): unsupported operator Tanh; supported: Gemm"):
        regions.Network.from_onnx(tanh)
    old = graph_model([*good, helper.make_node("Gemm", ["r", "w"], ["y"])], {"w": w}, ["N", 2], ["N", 2], opset=12)
    with pytest.raises(ValueError, match="opset 12 is below 13"):
        regions.Network.from_onnx(old)
    residual = graph_model(
        [*good, helper.make_node("Add", ["r", "h"], ["a"], name="skip"), helper.make_node("Gemm", ["a", "w"], ["y"])],
        {"w": w}, ["N", 2], ["N", 2],
    )  # fmt: skip
    net = regions.Network.from_onnx(residual)  # a skip connection: h carried past the ReLU
    X = np.random.default_rng(0).standard_normal((20, 2))
    h = X @ w.T
    np.testing.assert_allclose(net(X), (np.maximum(h, 0) + h) @ w.T, rtol=1e-12)
    assert net._no_jacobian is not None  # h's parameters reach the ReLU layer and the output
    with pytest.raises(ValueError, match="parameter Jacobian is not available.*Gemm_0.*count twice"):
        net.parameter_jacobian(X)
    with pytest.raises(ValueError, match="no such file"):
        regions.Network.from_onnx(tmp_path / "missing.onnx")
    with pytest.raises(TypeError, match="model_or_path"):
        regions.Network.from_onnx(3)
    dyn = graph_model([*good, helper.make_node("Gemm", ["r", "w"], ["y"])], {"w": w}, ["N", "d"], ["N", 2])
    with pytest.raises(ValueError, match="input_shape"):
        regions.Network.from_onnx(dyn)
    regions.Network.from_onnx(dyn, input_shape=(2,))
    bad_reshape = graph_model(
        [*good, helper.make_node("Reshape", ["r", "s"], ["f"]), helper.make_node("Gemm", ["f", "w"], ["y"])],
        {"w": w, "s": np.array([2, 1])}, ["N", 2], ["N", 2],
    )  # fmt: skip
    with pytest.raises(ValueError, match="mix samples"):
        regions.Network.from_onnx(bad_reshape)


@st.composite
def conv_pool_models(draw):
    """A Conv, ReLU, pooling, Linear model with drawn hyper-parameters and small integer
    weights (so that pre-activations are often exactly zero and windows tie)."""
    dims = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    size = tuple(draw(st.integers(4, 7)) for _ in range(dims))
    k = draw(st.integers(1, 3))
    conv_cls, max_cls, avg_cls = (
        (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d) if dims == 1 else (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
    )
    conv = conv_cls(
        c_in, c_out, k, stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1)),
        dilation=draw(st.integers(1, 2)), groups=groups, bias=draw(st.booleans()),
    )  # fmt: skip
    pk = draw(st.integers(1, 2))
    pool_kw = {
        "stride": draw(st.integers(1, 2)),
        "padding": draw(st.integers(0, pk // 2)),
        "ceil_mode": draw(st.booleans()),
    }
    if draw(st.booleans()):
        pool = max_cls(pk, dilation=draw(st.integers(1, 2)), **pool_kw)
    else:
        pool = avg_cls(pk, count_include_pad=draw(st.booleans()), **pool_kw)
    body = nn.Sequential(conv, nn.ReLU(), pool, nn.Flatten()).double()
    with torch.no_grad():
        try:
            n_flat = body(torch.zeros(1, c_in, *size, dtype=torch.float64)).shape[1]
        except RuntimeError:
            assume(False)
    model = nn.Sequential(*body, nn.Linear(n_flat, 2)).double()
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randint(-2, 3, p.shape, generator=g).double())
    return model, (c_in, *size), seed


@settings(max_examples=40)
@given(conv_pool_models())
def test_conv_pool_parity_property(case):
    model, shape, seed = case
    X = np.random.default_rng(seed).integers(-3, 4, size=(40, int(np.prod(shape)))).astype(np.float64)
    try:
        check_parity(model, shape, X=X, input_shape=shape)
    except ValueError as e:  # a window entirely in the padding: torch gives -inf or nan there
        assert "covers only padding" in str(e)
        with torch.no_grad():
            assert not torch.isfinite(model.eval()(torch.from_numpy(X).reshape(len(X), *shape))).all()


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["relu_then_pool", "pool_then_relu", "pool_then_leaky"]))
def test_small_cnn_regions_match_the_rational_oracle(seed, layout):
    """Conv1d on a (1, 3) input with weights in {-1, 0, 1} (ties inside pooling windows,
    dead channels), in both pooling orders: the exact regions of the imported network
    equal the independent Fraction oracle's, pattern for pattern."""
    import exact_oracle

    rng = np.random.default_rng(seed)
    conv = nn.Conv1d(1, 3, 2)
    head = nn.Linear(3, 2)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(rng.integers(-1, 2, (3, 1, 2)).astype(float)))
        conv.bias.copy_(torch.from_numpy(rng.integers(-1, 2, 3) * 0.5))
        conv.weight[int(rng.integers(3))] = 0.0  # a dead channel
        head.weight.copy_(torch.from_numpy(rng.integers(-1, 2, (2, 3)).astype(float)))
        head.bias.zero_()
    act = nn.LeakyReLU(0.25) if layout == "pool_then_leaky" else nn.ReLU()
    mid = [act, nn.MaxPool1d(2)] if layout == "relu_then_pool" else [nn.MaxPool1d(2), act]
    model = nn.Sequential(conv, *mid, nn.Flatten(), head, nn.ReLU(), nn.Linear(2, 1)).double().eval()
    net = regions.Network.from_torch(model, input_shape=(1, 3))
    box = regions.Box.cube(3)
    oracle = {c for c, _ in exact_oracle.regions(net, box.lo, box.hi)}
    rs = net.regions(box)
    got = [tuple(p) for p in rs.patterns.astype(int).tolist()]
    assert len(got) == len(set(got))
    assert set(got) == oracle
    assert net.regions(box, count_only=True) == len(oracle)


def test_cnn_plane_regions_same_on_any_thread_count_and_rational():
    """The walk reuses a convolution's maps between neighbouring cells (per worker
    thread): the regions, their order and their patterns are the same on 1 and 2
    threads, and equal to the rational walk's (which reuses nothing)."""
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 4, 2), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(4, 3),
    ).double().eval()  # fmt: skip
    net = regions.Network.from_torch(model, input_shape=(1, 8, 8))
    X = np.random.default_rng(0).random((3, 64))
    runs = [net.regions_through(*X, n_threads=t) for t in (1, 2)]
    assert runs[0].count == runs[1].count > 20
    np.testing.assert_array_equal(runs[0].packed_patterns, runs[1].packed_patterns)
    rational = net.regions_through(*X, exact="rational")
    assert {tuple(p) for p in rational.packed_patterns.tolist()} == {tuple(p) for p in runs[0].packed_patterns.tolist()}
