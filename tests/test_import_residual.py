"""Residual networks from PyTorch (``torch.fx``) and ONNX (``Add`` of two tensors).

Oracles: torch's float64 forward pass, its pre-activations and max-pooling indices
recorded by forward hooks, ``torch.func.jacrev`` for the parameter Jacobian, and the
Fraction oracle of ``exact_oracle.py`` for region counts of small versions.
"""

from __future__ import annotations

import io
import warnings

import exact_oracle
import numpy as np
import pytest
import regions
from optional import require
from regions import Box

torch = require("torch")
require("onnx")
nn = torch.nn
F = torch.nn.functional


class BasicBlock(nn.Module):
    """torchvision's BasicBlock: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.down is None else self.down(x)
        out += identity
        return self.relu2(out)


class SmallResNet(nn.Module):
    """Stem (conv, ReLU, 2x2 max-pooling), two BasicBlocks (the second downsamples),
    global average pooling, a linear classifier."""

    def __init__(self, c: int = 4):
        super().__init__()
        self.conv = nn.Conv2d(1, c, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.block1 = BasicBlock(c, c)
        self.block2 = BasicBlock(c, 2 * c, 2)
        self.avg = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * c, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv(x)))
        x = self.block2(self.block1(x))
        return self.fc(torch.flatten(self.avg(x), 1))


def _randomize(model: nn.Module, seed: int = 0) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
    return model.double().eval()


def _hooked_patterns(model: nn.Module, xt, net: regions.Network) -> np.ndarray:
    """Every ReLU's ``pre-activation > 0`` and every max-pooling's winner position in its
    window (of the imported layer), recorded by forward hooks in execution order."""
    parts = []
    pools = [layer for layer in net.layers if isinstance(layer, regions.MaxPool)]

    def relu_hook(m, inp, out):
        parts.append((inp[0] > 0).reshape(len(xt), -1).numpy().astype(np.int64))

    def pool_hook(m, inp, out):
        h = inp[0]
        _, idx = F.max_pool2d(h, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode, return_indices=True)
        n_sp, in_sp = int(np.prod(idx.shape[2:])), int(np.prod(h.shape[2:]))
        glob = idx.reshape(len(xt), -1).numpy() + np.arange(idx.shape[1]).repeat(n_sp) * in_sp
        windows = pools.pop(0).windows
        pos = np.empty(glob.shape, dtype=np.int64)
        for j, w in enumerate(windows):
            pos[:, j] = (glob[:, j : j + 1] == w[None, :]).argmax(axis=1)
        parts.append(pos)

    handles = [
        m.register_forward_hook(relu_hook if isinstance(m, nn.ReLU) else pool_hook)
        for m in model.modules()
        if isinstance(m, (nn.ReLU, nn.MaxPool2d))
    ]
    try:
        with torch.no_grad():
            model(xt)
    finally:
        for h in handles:
            h.remove()
    return np.concatenate(parts, axis=1)


def _check(model: nn.Module, shape: tuple[int, ...], n: int = 100, seed: int = 0, net=None) -> tuple:
    net = regions.Network.from_torch(model, input_shape=shape) if net is None else net
    X = np.random.default_rng(seed).standard_normal((n, int(np.prod(shape))))
    xt = torch.from_numpy(X).reshape(n, *shape)
    with torch.no_grad():
        want = model(xt).numpy()
    np.testing.assert_allclose(net(X), want, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max()))
    pat = _hooked_patterns(model, xt, net)
    np.testing.assert_array_equal(net.activation_patterns(X).astype(np.int64), pat)
    assert net.count_patterns(X) == np.unique(pat, axis=0).shape[0]
    return net, X


def test_two_basic_blocks_on_28x28_match_torch():
    torch.manual_seed(0)
    model = _randomize(SmallResNet(4))
    net, X = _check(model, (1, 28, 28))
    kinds = [(layer.kind, layer.units, layer.carry.size) for layer in net.layers]
    # stem ReLU, pool, block1 (conv1 units carrying the block input; conv2 + input),
    # block2 (conv1 units carrying the input for the 1x1 shortcut; conv2 + shortcut)
    assert [k[:2] for k in kinds] == [
        ("relu", 3136), ("maxpool", 784), ("relu", 784), ("relu", 784), ("relu", 392), ("relu", 392)
    ]  # fmt: skip
    assert [k[2] for k in kinds] == [0, 0, 784, 0, 784, 0]
    # exact regions on a small triangle near an input: the same on any thread count, in
    # the filtered and the float walk
    p, q, r = X[0], X[0] + 0.02 * (X[1] - X[0]), X[0] + 0.02 * (X[2] - X[0])
    a = net.regions_through(p, q, r, count_only=True, n_threads=1)
    assert a > 10
    assert a == net.regions_through(p, q, r, count_only=True, n_threads=2)
    assert a == net.regions_through(p, q, r, count_only=True, exact=False)


def test_parameter_jacobian_through_skip_connections_matches_torch_func():
    torch.manual_seed(1)
    model = _randomize(SmallResNet(2), seed=1)
    shape = (1, 8, 8)
    net, X = _check(model, shape, n=8)
    names = [
        n
        for n, _ in model.named_parameters()
        if not isinstance(model.get_submodule(n.rsplit(".", 1)[0]), nn.BatchNorm2d)
    ]
    params = dict(model.named_parameters())
    xt = torch.from_numpy(X).reshape(len(X), *shape)

    def f(p):
        return torch.func.functional_call(model, {**params, **p}, (xt,)).reshape(-1)

    jac = torch.func.jacrev(f)({n: params[n].detach() for n in names})
    want = np.concatenate([jac[n].reshape(jac[n].shape[0], -1).detach().numpy() for n in names], axis=1)
    got = net.parameter_jacobian(X)
    assert got.shape == want.shape == (len(X) * 10, net.n_params)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11 * np.abs(want).max())


class TinyResidual(nn.Module):
    """``fc3(relu(x + fc2(relu(fc1(x)))))`` on ``R^d`` (or a Conv1d version on ``(1, d)``)."""

    def __init__(self, d: int, h: int, conv: bool):
        super().__init__()
        self.conv = conv
        if conv:
            self.fc1, self.fc2 = nn.Conv1d(1, 2, 3, padding=1), nn.Conv1d(2, 1, 3, padding=1)
            self.fc3 = nn.Linear(d, 1)
        else:
            self.fc1, self.fc2, self.fc3 = nn.Linear(d, h), nn.Linear(h, d), nn.Linear(d, 1)

    def forward(self, x):
        y = F.relu(x + self.fc2(F.relu(self.fc1(x))))
        return self.fc3(y.view(y.size(0), -1))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("conv", [False, True])
def test_small_residual_regions_match_the_rational_oracle(seed, conv):
    """Integer weights, a dead unit, tiny biases: the regions of the imported network on
    the cube equal the Fraction oracle's, and torch's patterns at random points are among
    them."""
    rng = np.random.default_rng(seed)
    d = 3 if conv else 2
    model = TinyResidual(d, 3, conv).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.integers(-2, 3, p.shape).astype(np.float64)))
        model.fc1.bias.mul_(2.0**-30)
        model.fc1.weight[0].zero_()
    shape = (1, d) if conv else (d,)
    net = regions.Network.from_torch(model.eval(), input_shape=shape)
    assert net.layers[0].carry.size == d
    box = Box.cube(d)
    oracle = {c for c, _ in exact_oracle.regions(net, box.lo, box.hi)}
    for rs in (net.regions(box), net.regions(box, exact="rational")):
        got = [tuple(p) for p in rs.patterns.astype(int).tolist()]
        assert len(got) == len(set(got)) and set(got) == oracle
    X = rng.uniform(-1, 1, (300, d))
    with torch.no_grad():
        xt = torch.from_numpy(X).reshape(len(X), *shape)
        h1 = model.fc1(xt)
        pre = xt + model.fc2(F.relu(h1))
    torch_codes = np.concatenate([(h1 > 0).reshape(len(X), -1).numpy(), (pre > 0).reshape(len(X), -1).numpy()], 1)
    np.testing.assert_array_equal(net.activation_patterns(X, packed=False).astype(int), torch_codes)
    assert {tuple(c) for c in torch_codes.tolist()} <= oracle


def test_resnet_from_onnx_equals_the_torch_import():
    torch.manual_seed(2)
    model = _randomize(SmallResNet(2), seed=2)
    shape = (1, 8, 8)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, *shape, dtype=torch.float64), buf, dynamo=False, opset_version=17)
    net = regions.Network.from_onnx(buf.getvalue())
    ref, X = _check(model, shape, n=60)
    _check(model, shape, n=60, net=net)
    # (torch's exporter folds each batch norm into its convolution, which gains a bias)
    assert net.sizes == ref.sizes
    assert [layer.carry.size for layer in net.layers] == [layer.carry.size for layer in ref.layers]


class PreActivation(nn.Module):
    """``h = fc1(x); y = h + fc2(relu(h))``: ``h`` (with parameters) is used on both
    sides of the ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        h = self.fc1(x)
        return self.fc3(F.relu(h + self.fc2(F.relu(h))))


def test_parameters_used_across_an_activation_refuse_the_jacobian(tmp_path):
    torch.manual_seed(3)
    model = PreActivation().double().eval()
    net = regions.Network.from_torch(model)
    X = np.random.default_rng(0).standard_normal((30, 3))
    with torch.no_grad():
        want = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net(X), want, rtol=1e-12, atol=1e-12)
    assert net.regions_through(X[0], X[1], X[2], count_only=True) > 1
    for other in (net, regions.Network.load(_saved(net, tmp_path)), _pickled(net)):
        with pytest.raises(ValueError, match=r"parameter Jacobian is not available: the parameters of fc1"):
            other.parameter_jacobian(X)
        with pytest.raises(ValueError, match="parameter Jacobian is not available"):
            other.functional_dimension(X)


def _saved(net, tmp_path):
    path = tmp_path / "net.npz"
    net.save(path)
    return path


def _pickled(net):
    import pickle

    return pickle.loads(pickle.dumps(net))


class Branchy(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(3, 3), nn.Linear(3, 1)
        self.body = body

    def forward(self, x):
        return self.fc2(self.body(self, x))


def test_bad_residual_models_name_the_module_or_node():
    def untraceable(m, x):
        return F.relu(m.fc1(x)) if x.sum() > 0 else x

    with pytest.raises(TypeError, match="Branchy cannot be traced by torch.fx"):
        regions.Network.from_torch(Branchy(untraceable))

    def sigmoid(m, x):
        return torch.sigmoid(m.fc1(x)) + x

    with pytest.raises(TypeError, match="sigmoid: unsupported operation sigmoid"):
        regions.Network.from_torch(Branchy(sigmoid))

    class Tanh(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.act, self.fc2 = nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)) + x)

    with pytest.raises(TypeError, match=r"module\[act\]: unsupported module Tanh"):
        regions.Network.from_torch(Tanh())

    class Mismatch(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 2, 3, padding=1), nn.Linear(32, 1)

        def forward(self, x):
            y = F.relu(self.conv(x) + x)
            return self.fc(torch.flatten(y, 1))

    with pytest.raises(ValueError, match=r"add.*cannot add tensors of shapes \(2, 4, 4\) and \(1, 4, 4\)"):
        regions.Network.from_torch(Mismatch(), input_shape=(1, 4, 4))

    def width(m, x):
        return F.relu(m.fc1(x)).view(x.size(1), -1)

    with pytest.raises(ValueError, match=r"only x.size\(0\)"):
        regions.Network.from_torch(Branchy(width))
