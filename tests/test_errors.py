"""Bad input gets a clear ValueError/TypeError naming the argument; nothing panics."""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pytest
import regions

NET = regions.Network.random([3, 4, 1], seed=0)
GOOD = np.zeros((5, 3))


def big_endian(a):
    return a.astype(a.dtype.newbyteorder(">"))


BAD_CALLS = [
    # (description, callable, exception, message fragment)
    ("nan in X", lambda: NET.count_patterns(np.full((2, 3), np.nan)), ValueError, "X: contains NaN or inf"),
    ("inf in X", lambda: NET(np.array([[0, np.inf, 0.0]])), ValueError, "X: contains NaN or inf"),
    ("wrong columns", lambda: NET.activation_patterns(np.zeros((5, 2))), ValueError, "X: expected size 3 on axis 1"),
    ("1-d X", lambda: NET.count_patterns(np.zeros(3)), ValueError, "X: expected a 2-d array"),
    ("3-d X", lambda: NET(np.zeros((2, 3, 1))), ValueError, "X: expected a 2-d array"),
    ("empty X", lambda: NET.count_patterns(np.zeros((0, 3))), ValueError, "X: must not be empty"),
    ("complex X", lambda: NET(GOOD.astype(complex)), TypeError, "X: expected a real"),
    ("bool X", lambda: NET(GOOD.astype(bool)), TypeError, "dtype bool"),
    ("string X", lambda: NET(np.array([["a", "b", "c"]])), TypeError, "X: expected a real"),
    ("ragged X", lambda: NET([[1, 2, 3], [1, 2]]), ValueError, "X: cannot be converted"),
    ("n_threads 0", lambda: NET(GOOD, n_threads=0), ValueError, "n_threads: must be >= 1"),
    ("n_threads float", lambda: NET(GOOD, n_threads=1.5), TypeError, "n_threads: expected an integer"),
    ("n_samples 0", lambda: NET.count_patterns_sampled(0, 1, 0), ValueError, "n_samples: must be >= 1"),
    ("lo > hi", lambda: NET.count_patterns_sampled(1, 0, 10), ValueError, "lo, hi: need lo <= hi"),
    ("lo shape", lambda: NET.count_patterns_sampled([0, 0], [1, 1], 10), ValueError, "lo: expected size 3"),
    ("nan hi", lambda: NET.count_patterns_sampled(0, np.nan, 10), ValueError, "hi: contains NaN"),
    ("negative seed", lambda: NET.count_patterns_sampled(0, 1, 10, seed=-1), ValueError, "seed: must be >= 0"),
    (
        "weights mismatch",
        lambda: regions.Network.from_arrays([np.ones((4, 3)), np.ones((1, 5))], [np.zeros(4), np.zeros(1)]),
        ValueError,
        "weights[1]: output layer expects 5 inputs",
    ),
    (
        "bias shape",
        lambda: regions.Network.from_arrays([np.ones((4, 3)), np.ones((1, 4))], [np.zeros(3), np.zeros(1)]),
        ValueError,
        "biases[0]: expected size 4",
    ),
    (
        "nan weights",
        lambda: regions.Network.from_arrays([np.full((4, 3), np.nan), np.ones((1, 4))], [np.zeros(4), np.zeros(1)]),
        ValueError,
        "weights[0]: contains NaN",
    ),
    (
        "zero-row weights",
        lambda: regions.Network.from_arrays([np.ones((0, 3)), np.ones((1, 0))], [np.zeros(0), np.zeros(1)]),
        ValueError,
        "weights[0]: must not be empty",
    ),
    (
        "list count",
        lambda: regions.Network.from_arrays([np.ones((4, 3)), np.ones((1, 4))], [np.zeros(4)]),
        ValueError,
        "biases: expected 2 bias arrays",
    ),
    (
        "bad activation",
        lambda: regions.Network.random([2, 3, 1], activation="tanh"),
        ValueError,
        "activation: expected one of",
    ),
    (
        "bad slope",
        lambda: regions.Network.random([2, 3, 1], activation="leaky_relu", alpha=1.5),
        ValueError,
        "alpha: leaky ReLU slope",
    ),
    (
        "maxout rank 1",
        lambda: regions.Network.from_arrays(
            [np.ones((4, 1, 3)), np.ones((1, 4))], [np.zeros((4, 1)), np.zeros(1)], activation="maxout"
        ),
        ValueError,
        "need rank k >= 2",
    ),
    ("bad init", lambda: regions.Network.random([2, 3, 1], init="xavier"), ValueError, "init: expected"),
    ("one width", lambda: regions.Network.random([2]), ValueError, "widths: need at least"),
    ("zero width", lambda: regions.Network.random([2, 0, 1]), ValueError, "widths: must be >= 1"),
    (
        "single array",
        lambda: regions.Network.from_arrays(np.ones((1, 3)), [np.zeros(1)]),
        TypeError,
        "weights, biases: expected sequences",
    ),
    ("packed dtype", lambda: NET.decode_patterns(np.zeros((2, 1))), ValueError, "packed: expected a uint64"),
    ("set_num_threads", lambda: regions.set_num_threads(0), ValueError, "n: must be >= 1"),
]


@pytest.mark.parametrize("desc,call,exc,fragment", BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_bad_input_raises_clear_error(desc, call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value), str(info.value)


def test_awkward_but_valid_arrays_are_normalized():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    ref = NET.activation_patterns(X)
    for variant in (
        np.asfortranarray(X),
        X[::1, :].copy()[:, [0, 1, 2]],
        big_endian(X),
        X.astype(np.float32).astype(np.float64),
    ):
        np.testing.assert_array_equal(NET.activation_patterns(variant), NET.activation_patterns(np.array(variant)))
    strided = np.repeat(X, 2, axis=0)[::2]
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(NET.activation_patterns(strided), ref)
    np.testing.assert_array_equal(NET.activation_patterns(big_endian(X)), ref)
    np.testing.assert_array_equal(NET(X.astype(np.float32)), NET(X.astype(np.float32).astype(np.float64)))
    np.testing.assert_array_equal(NET(X.tolist()), NET(X))
    assert NET.count_patterns(np.zeros((3, 3), dtype=np.int64)) == 1


def test_rust_panic_becomes_python_exception():
    with pytest.raises(BaseException, match="deliberate panic"):
        regions._core._panic_in_worker()
    # The interpreter is still fine afterwards.
    assert NET.count_patterns(GOOD) == 1


def test_ctrl_c_interrupts_a_long_call_quickly():
    net = regions.Network.random([2, 64, 64, 1], seed=0)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        net.count_patterns_sampled(-1, 1, 10**11, seed=0)
    assert time.perf_counter() - t0 < 5.0
    timer.join()


def test_ctrl_c_interrupts_a_region_walk_quickly():
    net = regions.Network.random([6, 12, 12, 12, 1], seed=0)  # ~9 s to count
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        net.regions(regions.Box.cube(6), count_only=True)
    assert time.perf_counter() - t0 < 5.0
    timer.join()


def test_progress_bar_and_default_threads(capsys):
    pytest.importorskip("tqdm")
    X = np.random.default_rng(0).standard_normal((20_000, 3))
    assert NET.count_patterns(X, progress=True) == NET.count_patterns(X)
    assert "20.0k" in capsys.readouterr().err
    old = regions.get_num_threads()
    try:
        regions.set_num_threads(1)
        assert regions.get_num_threads() == 1
        assert NET.count_patterns(X) == NET.count_patterns(X, n_threads=2)
    finally:
        regions.set_num_threads(None)
    assert regions.get_num_threads() == old


def test_found_by_the_argument_kinds_fuzzer():
    """``functional`` functions with a non-network ``net`` raised AttributeError;
    ``Network.load(10**30)`` an OverflowError (an int is a file descriptor to ``os``)."""
    from regions import functional

    X = np.zeros((2, 3))
    with pytest.raises(TypeError, match="net: expected a regions.Network"):
        functional.functional_dimension(None, X)
    with pytest.raises(TypeError, match="net: expected a regions.Network"):
        functional.parameter_jacobian("net", X)
    for bad in (10**30, 0, -1, None, True):
        with pytest.raises(TypeError, match="path: expected a file name"):
            regions.Network.load(bad)
        with pytest.raises(TypeError, match="path: expected a file name"):
            regions.Network.random([3, 2, 1]).save(bad)
