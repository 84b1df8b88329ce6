"""Region-count bounds: worked examples of docs/math.md, closed forms, and sampled counts."""

from __future__ import annotations

from math import comb, prod

import numpy as np
import pytest
import regions
from hypothesis import given
from hypothesis import strategies as st
from regions import bounds


def test_worked_examples():
    assert bounds.serra_upper(2, [4, 4]) == 121
    assert bounds.montufar2014_lower(2, [4, 4]) == 44
    assert bounds.zaslavsky(4, 2) == 11
    assert bounds.maxout_one_layer(2, 3, 3) == 1 + 3 * 2 + 3 * 4


@given(st.lists(st.integers(2, 9), min_size=1, max_size=4))
def test_serra_is_exact_product_for_one_input(widths):
    # docs/math.md's shorthand Π(n_l + 1) for n0 = 1 holds when every width is >= 2.
    assert bounds.serra_upper(1, widths) == prod(n + 1 for n in widths)


def test_serra_one_input_with_width_one_layers():
    # A width-1 layer leaves one half constant: (1, 1) has at most 3 regions, not 4.
    assert bounds.serra_upper(1, [1, 1]) == 3


def serra_brute(n0, widths):
    total = 0
    for js in np.ndindex(*[n + 1 for n in widths]):
        cap, ok, term = n0, True, 1
        for n, j in zip(widths, js):
            if j > min(cap, n):
                ok = False
                break
            term *= comb(n, j)
            cap = min(cap, n - j)
        total += term if ok else 0
    return total


@given(st.integers(1, 4), st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_bounds_are_ordered_and_match_definitions(n0, widths):
    s = bounds.serra_upper(n0, widths)
    assert s == serra_brute(n0, widths)
    assert s <= bounds.montufar2017_upper(n0, widths)
    if min(widths) >= n0:
        assert bounds.montufar2014_lower(n0, widths) <= s
    if min(widths) >= 3 * n0:
        assert bounds.serra_lower(n0, widths) <= s
    if len(widths) == 1:
        assert s == bounds.zaslavsky(widths[0], n0)


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(2, 8), min_size=1, max_size=3))
def test_sampled_patterns_never_exceed_the_upper_bound(seed, widths):
    net = regions.Network.random([2, *widths, 1], seed=seed)
    sampled = net.count_patterns_sampled(-20, 20, 20_000, seed=seed)
    assert sampled <= bounds.serra_upper(2, widths)


def test_network_bounds_and_errors():
    b = regions.Network.random([2, 4, 4, 1]).bounds()
    assert b["serra_upper (Serra et al. 2018)"] == 121
    assert b["montufar2014_lower (Montúfar et al. 2014)"] == 44
    assert "not applicable" in b["serra_lower (Serra et al. 2018)"]
    m = regions.Network.random([2, 3, 1], activation="maxout", k=3).bounds()
    assert list(m.values()) == [bounds.maxout_one_layer(2, 3, 3)]
    with pytest.raises(ValueError, match="needs every width >= n0"):
        bounds.montufar2014_lower(3, [2, 5])
    with pytest.raises(ValueError, match="widths: need at least one"):
        bounds.serra_upper(2, [])
    with pytest.raises(ValueError, match="k: must be >= 2"):
        bounds.maxout_one_layer(2, 3, 1)
