"""The replicate summary's statistics: the 95% interval and the gap rule for two modes."""

import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from negotiation.distribution import GAP_FRACTION, MIN_GAP, MIN_MASS, interval, modes, summarise


def test_two_separate_clusters_are_two_modes_with_their_medians_and_masses():
    values = [0.50, 0.51, 0.52, 0.53] * 3 + [0.88, 0.89, 0.90] * 2
    low, high = modes(values)
    assert (low.mass, high.mass) == (12 / 18, 6 / 18)
    assert low.value == pytest.approx(0.515) and high.value == pytest.approx(0.89)
    assert (low.low, low.high, high.low, high.high) == (0.50, 0.53, 0.88, 0.90)


@pytest.mark.parametrize("values", [
    [0.9] * 20,  # constant
    [i / 19 for i in range(20)],  # evenly spread
    [0.1] + [0.9 + i * 1e-3 for i in range(19)],  # one outlier: 5% of the mass
    [0.0, 1.0, 1.0],  # too few values for two sides of two
])
def test_no_second_mode_without_a_hole_and_mass_on_both_sides(values):
    assert modes(values) is None


def clusters(gap):
    """Ten evenly spaced values on [0, low] and ten on [low + gap, 1]: range 1, widest hole ``gap``."""
    low = (1 - gap) / 2
    return [low * i / 9 for i in range(10)] + [low + gap + low * i / 9 for i in range(10)]


def test_the_gap_threshold_is_a_fraction_of_the_range():
    assert modes(clusters(GAP_FRACTION - 0.01)) is None
    low, high = modes(clusters(GAP_FRACTION + 0.01))
    assert low.mass == high.mass == 0.5


def test_the_mass_threshold_is_ten_percent_on_each_side():
    n = 50
    side = round(MIN_MASS * n)
    assert modes([0.0] * side + [1.0] * (n - side)) is not None
    assert modes([0.0] * (side - 1) + [1.0] * (n - side + 1)) is None


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=60))
def test_modes_do_not_depend_on_the_order_and_sit_inside_the_values(values):
    found = modes(values)
    shuffled = list(values)
    random.Random(0).shuffle(shuffled)
    assert modes(shuffled) == found
    if found:
        low, high = found
        assert min(values) <= low.value <= low.high < high.low <= high.value <= max(values)
        assert low.mass + high.mass == pytest.approx(1.0)
        assert min(low.mass, high.mass) >= MIN_MASS


def test_interval_and_summary():
    values = list(range(1, 102))
    assert interval(values, discrete=False) == (3.5, 98.5)
    out = summarise(values)
    assert out["median"] == statistics.median(values) and out["n"] == 101 and out["modes"] is None
    assert summarise([])["median"] is None


def test_float_noise_is_one_mode_not_two():
    noise = [0.0] * 6 + [3.553e-15] * 4  # pareto_distance_usd_bn over 10 seeds (issue 23)
    assert modes(noise) is None and summarise(noise)["modes"] is None


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e6])
def test_modes_closer_than_the_floor_relative_to_the_values_merge(scale):
    close = [scale] * 6 + [scale + 0.5 * MIN_GAP * max(1.0, scale)] * 4
    apart = [scale] * 6 + [scale + 2 * MIN_GAP * max(1.0, scale)] * 4
    assert modes(close) is None
    assert modes(apart) is not None


def test_a_real_gap_above_the_floor_is_still_two_modes():
    values = [0.0] * 6 + [1e-6] * 4
    low, high = modes(values)
    assert (low.value, high.value) == (0.0, 1e-6)


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60))
def test_a_discrete_outcome_reports_only_values_some_run_took(rounds):
    out = summarise([float(r) for r in rounds])
    taken = set(rounds)
    assert {out["median"], out["p2_5"], out["p97_5"]} <= taken
    assert all(m["value"] in taken for m in out["modes"] or [])
    assert out["p2_5"] <= out["median"] <= out["p97_5"]


def test_rounds_split_between_two_values_report_one_of_them_not_the_midpoint():
    rounds = [6, 7, 7, 8, 8, 8, 10, 10, 10, 10]  # median 8; a midpoint of 8 and 10 would be 9
    out = summarise(rounds)
    assert out["median"] in rounds
    split = summarise([8] * 5 + [10] * 5)
    assert split["median"] in (8, 10) and split["p2_5"] == 8 and split["p97_5"] == 10
