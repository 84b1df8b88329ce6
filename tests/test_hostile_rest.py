"""Hostile input, the rest (issue 32): wrong answers fixed against exact oracles, flags
and tolerances validated in one place (``regions._validate``), errors that name the
argument and the value at fault."""

from __future__ import annotations

import numpy as np
import pytest
import regions
from regions import landscape


def test_sampling_a_box_whose_span_overflows_is_refused():
    net = regions.Network.random([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match="lo, hi: hi - lo overflows"):
        net.count_patterns_sampled(-1e308, 1e308, 100)
    assert net.count_patterns_sampled(-1e150, 1e150, 1000) >= 1


@pytest.mark.parametrize("scale", [1e-170, 1e-160, 1e-100, 1.0, 1e100])
def test_jacobian_rank_does_not_depend_on_a_nonzero_output_scale(scale):
    """Scaling unit i's columns by v_i != 0 keeps the rank: the rank with v = scale * u
    equals the exact rank with v = u (the oracle: exact=True, and the float rank at 1)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    A = rng.random((12, 20)) < 0.5
    v = rng.choice([-1.0, 1.0], 12)
    want = landscape.jacobian_rank(X, A, v, exact=True)
    assert landscape.jacobian_rank(X, A, v * scale) == want
    assert landscape.jacobian_rank(X, A, v * scale, exact=True) == want


def test_flags_must_be_booleans():
    net = regions.Network.random([2, 4, 1], seed=0)
    X = np.zeros((3, 2))
    calls = [
        (lambda: net.activation_patterns(X, progress="yes"), "progress"),
        (lambda: net.activation_patterns(X, packed=1), "packed"),
        (lambda: net.unique_patterns(X, return_counts="no"), "return_counts"),
        (lambda: net.regions_on_segment([0, 0], [1, 1], count_only="no"), "count_only"),
        (lambda: net.regions_on_segment([0, 0], [1, 1], merge_linear_pieces=None), "merge_linear_pieces"),
        (lambda: net.distance_to_boundary(X, return_unit="yes"), "return_unit"),
        (lambda: landscape.neuron_patterns(X, bias="no"), "bias"),
        (lambda: landscape.matrix_rank(np.eye(2), exact="yes"), "exact"),
    ]
    for call, name in calls:
        with pytest.raises(TypeError, match=f"{name}: expected True or False"):
            call()


def test_negative_tolerances_are_refused():
    X = np.random.default_rng(0).standard_normal((4, 2))
    A = np.ones((3, 4), dtype=bool)
    with pytest.raises(ValueError, match="tol: must be >= 0"):
        landscape.matrix_rank(np.eye(3), tol=-1)
    with pytest.raises(ValueError, match="tol: must be >= 0"):
        landscape.jacobian_rank(X, A, tol=-1.0)
    with pytest.raises(ValueError, match="tol: must be >= 0"):
        landscape.full_rank_fraction(X, 3, 5, tol=-1e-3)
    with pytest.raises(ValueError, match="tol: must be >= 0"):
        landscape.phase_diagram(2, [3], [2], 2, tol=-1)


def test_an_overflowing_forward_pass_raises():
    net = regions.Network.random([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match="X: the forward pass overflows float64 on row 1"):
        net(np.array([[0.0, 0.0], [1e308, 1e308]]))


def test_maxpool_width_mismatch_and_bound_names():
    dense = regions.Layer.dense(np.ones((4, 2)), np.zeros(4))
    with pytest.raises(
        ValueError, match=r"layers\[1\]: the MaxPool.s windows read 7 inputs but the previous layer has 4"
    ):
        regions.Network.from_layers([dense, regions.MaxPool([[0, 1]], n_in=7)], np.ones((1, 1)), np.zeros(1))
    regions.Network.from_layers([dense, regions.MaxPool([[0, 1]])], np.ones((1, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="activation: expected 'relu', 'leaky_relu' or 'maxout', got 'sigmoid'"):
        regions.bounds.all_bounds(2, [3], "sigmoid")
    mixed = regions.Network.from_layers(
        [dense, regions.Layer.dense(np.ones((2, 2, 4)), np.zeros((2, 2)), "maxout")], np.ones((1, 2)), np.zeros(1)
    )
    assert mixed.bounds() == {
        "bounds": "no known bound implemented for networks mixing the activations ['maxout', 'relu']"
    }


def test_region_indices_are_checked(tmp_path):
    net = regions.Network.random([2, 4, 1], seed=0)
    rs = net.regions_on_segment([-1, -1], [1, 1])
    np.testing.assert_array_equal(rs.affine_map(-1)[0], rs.affine_map(len(rs) - 1)[0])
    for bad in (len(rs), -len(rs) - 1):
        with pytest.raises(IndexError, match=f"i: region {bad} out of range for {len(rs)} regions"):
            rs.affine_map(bad)
        with pytest.raises(IndexError, match="i: region"):
            rs.output_map(bad)
    with pytest.raises(TypeError, match="i: expected an int"):
        rs.affine_map(0.5)


def test_load_reads_the_name_given_to_save(tmp_path):
    net = regions.Network.random([2, 4, 1], seed=0)
    net.save(tmp_path / "net")
    back = regions.Network.load(tmp_path / "net")
    np.testing.assert_array_equal(back(np.ones((1, 2))), net(np.ones((1, 2))))
    with pytest.raises(FileNotFoundError, match="path: No such file .*missing.*nor with .npz appended"):
        regions.Network.load(tmp_path / "missing")


def test_sequences_are_checked_naming_the_argument():
    from regions import bounds, landscape, maxpool

    calls = [
        (lambda: regions.Network.from_arrays(None, None), "weights"),
        (lambda: regions.Network.random(None), "widths"),
        (lambda: regions.Network.random(5), "widths"),
        (lambda: bounds.serra_upper(2, None), "widths"),
        (lambda: maxpool.windows_2d(None, 2), "shape"),
        (lambda: landscape.phase_diagram(2, None, [3], 2), "n_values"),
    ]
    for call, name in calls:
        with pytest.raises(TypeError, match=f"{name}: expected a sequence"):
            call()


def test_zaslavsky_is_a_closed_form_when_every_subset_counts():
    from math import comb

    from regions import bounds

    assert bounds.zaslavsky(10**5, 10**5) == 2 ** (10**5)
    assert bounds.zaslavsky(30, 40) == 2**30
    assert bounds.zaslavsky(30, 5) == sum(comb(30, j) for j in range(6))


def test_a_radius_below_float_resolution_names_the_radius():
    net = regions.Network.random([2, 3, 1], seed=0)
    with pytest.raises(ValueError, match=r"radius: 1e-10 does not move coordinate 0 of row 0 of X \(1e\+20\)"):
        net.local_regions(np.array([[1e20, 0.0]]), 1e-10)


def test_patterns_of_an_overflowing_forward_pass_raise():
    """A hidden value that overflows float64 (inf, or NaN from inf - inf) makes its
    pattern bits meaningless: every pattern function raises naming X and the row, not
    only the outputs."""
    net = regions.Network.from_arrays([np.array([[4.0], [-4.0]]), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    X = np.array([[1.0], [1e308], [-1.0]])
    calls = [
        lambda: net.activation_patterns(X),
        lambda: net.activation_patterns(X, packed=True),
        lambda: net.count_patterns(X),
        lambda: net.unique_patterns(X, return_inverse=True),
        lambda: net(X),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="X: the forward pass overflows float64 on row 1"):
            call()
    assert net.activation_patterns(X[[0, 2]]).tolist() == [[1, 0], [0, 1]]
    with pytest.raises(ValueError, match="lo, hi: the forward pass overflows float64"):
        net.count_patterns_sampled([1e308], [1.5e308], 10)


def test_parameter_patterns_that_overflow_raise():
    """`w·x + b` that overflows float64 (inf, or NaN from inf - inf) has no known sign:
    landscape.patterns and sample_patterns raise naming the arguments, unit and point,
    instead of returning the bits of inf/NaN."""
    X = np.array([[1.0, 1.0], [1e308, -1e308], [-1.0, 2.0]])
    W, b = np.array([[2.0, 2.0], [1.0, -1.0]]), np.zeros(2)
    with pytest.raises(ValueError, match="X, W, b: w·x \\+ b overflows float64 for unit 0 on point 1"):
        landscape.patterns(X, W, b)
    assert landscape.patterns(X[[0, 2]], W, b).tolist() == [[True, True], [False, False]]
    with pytest.raises(ValueError, match="X: w·x \\+ b overflows float64"):
        landscape.sample_patterns(np.full((2, 8), 1.7e308), 3, 4, init="gaussian")


def test_window_indices_beyond_int64_name_the_index():
    """A Python-int window index of 2**63 or more was reported as "got dtype float64"
    (NumPy's conversion of the list), not as the index at fault."""
    for big in (2**63, 2**64, 10**30):
        with pytest.raises(ValueError, match=f"windows\\[0\\]: index {big} is too large"):
            regions.MaxPool([[0, big]])
    with pytest.raises(ValueError, match="windows\\[1\\]: negative index -1"):
        regions.MaxPool([[0], [1, -1]])


def test_a_pooling_layer_wider_than_any_network_is_refused():
    """``MaxPool([[0, 2**62]])`` was accepted as a layer reading 2**62 + 1 inputs."""
    with pytest.raises(ValueError, match="windows/n_in: a layer input of width 4611686018427387905"):
        regions.MaxPool([[0, 2**62]])
    with pytest.raises(ValueError, match="at most 2\\*\\*32 inputs"):
        regions.MaxPool([[0, 1]], n_in=2**40)
    assert regions.MaxPool([[0, 2**20]]).n_in == 2**20 + 1


def test_max_codes_out_of_range_are_refused_by_decode():
    """A maxout unit of 3 pieces takes 2 bits; the code 3 was decoded as a piece index."""
    net = regions.Network.from_layers(
        [
            regions.Layer.dense(np.ones((2, 2)), np.zeros(2)),
            regions.Layer.dense(np.ones((2, 3, 2)), np.zeros((2, 3)), "maxout"),
        ],
        np.ones((1, 2)),
        np.zeros(1),
    )
    X = np.random.default_rng(0).standard_normal((40, 2))
    packed = net.activation_patterns(X, packed=True)
    np.testing.assert_array_equal(net.decode_patterns(packed), net.activation_patterns(X))
    bad = packed.copy()
    bad[5, 0] |= np.uint64(3 << 2)  # unit 2 (the first maxout unit): code 3
    with pytest.raises(ValueError, match="packed: row 5 gives unit 2 the code 3, but it has only 3 pieces"):
        net.decode_patterns(bad)


def test_local_geometry_functions_check_the_network():
    """``regions.local.distance_to_boundary(None, X)`` raised AttributeError (found by
    the argument-kinds fuzzer)."""
    from regions import local

    with pytest.raises(TypeError, match="net: expected a regions.Network, got NoneType"):
        local.distance_to_boundary(None, np.zeros((2, 3)))
    with pytest.raises(TypeError, match="net: expected a regions.Network, got str"):
        local.boundary_density("net", np.zeros((2, 3)), 0.1)
