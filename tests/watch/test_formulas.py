"""Formula tests on small cases computed by hand (DOMAIN.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from watch import measures as m
from watch.compute import PopulationGrid, lcrpgr, near_share, two_step_fca


def test_gini_of_equal_values_is_zero_and_of_one_holder_is_1_minus_1_over_n():
    assert m.gini([5, 5, 5, 5]) == 0
    # One unit holds everything: G = (n - 1) / n.
    assert m.gini([0, 0, 0, 10]) == pytest.approx(3 / 4)


def test_gini_by_hand_for_1_2_3():
    # Sum of |yi - yj| over ordered pairs = 2 * (1 + 2 + 1) = 8; G = 8 / (2 * 9 * 2) = 2/9.
    assert m.gini([1, 2, 3]) == pytest.approx(2 / 9)


def test_population_weights_equal_repeating_units():
    # A unit of weight 3 counts as three units of weight 1.
    assert m.gini([1, 4], [3, 1]) == pytest.approx(m.gini([1, 1, 1, 4]))
    assert m.theil([1, 4], [3, 1]) == pytest.approx(m.theil([1, 1, 1, 4]))
    assert m.coefficient_of_variation([1, 4], [3, 1]) == pytest.approx(
        m.coefficient_of_variation([1, 1, 1, 4])
    )
    assert m.atkinson([1, 4], 0.5, [3, 1]) == pytest.approx(m.atkinson([1, 1, 1, 4], 0.5))


def test_theil_by_hand_for_1_and_3():
    # mu = 2; T = 1/2 * (0.5 ln 0.5 + 1.5 ln 1.5).
    expected = 0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5))
    assert m.theil([1, 3]) == pytest.approx(expected)


def test_theil_decomposition_by_hand_two_groups():
    # Groups A = {1, 1}, B = {3, 3}: all inequality is between groups.
    result = m.theil_decomposition([1, 1, 3, 3], [["A", "A", "B", "B"]])
    between, within = (c["value"] for c in result["components"])
    assert within == pytest.approx(0.0, abs=1e-15)
    assert between == pytest.approx(m.theil([1, 3]))


def test_theil_nested_decomposition_adds_up_exactly():
    rng = np.random.default_rng(1)
    y = rng.lognormal(size=60)
    w = rng.integers(100, 5000, size=60)
    province = np.repeat(["P1", "P2", "P3"], 20)
    commune = np.repeat([f"C{i}" for i in range(12)], 5)
    result = m.theil_decomposition(y, [province, commune], w, ["province", "commune"])
    assert sum(c["value"] for c in result["components"]) == pytest.approx(result["T"], abs=1e-12)
    assert abs(result["residual"]) < 1e-12


def test_theil_decomposition_refuses_groups_that_are_not_nested():
    with pytest.raises(m.MeasureError, match="not nested"):
        m.theil_decomposition([1, 2, 3], [["P1", "P1", "P2"], ["C1", "C2", "C1"]])


def test_cv_and_atkinson_by_hand():
    # y = 2, 4: mu = 3, sd = 1: CV = 1/3.
    assert m.coefficient_of_variation([2, 4]) == pytest.approx(1 / 3)
    # epsilon = 1: 1 - geometric mean / mean = 1 - sqrt(8) / 3.
    assert m.atkinson([2, 4], 1.0) == pytest.approx(1 - math.sqrt(8) / 3)
    # epsilon = 2: 1 - harmonic mean / mean = 1 - (8/3) / 3.
    assert m.atkinson([2, 4], 2.0) == pytest.approx(1 - (8 / 3) / 3)


def test_measures_refuse_what_they_cannot_measure():
    with pytest.raises(m.MeasureError, match="at least 2 units"):
        m.gini([3.0])
    with pytest.raises(m.MeasureError, match="mean is 0"):
        m.theil([0, 0])
    with pytest.raises(m.MeasureError, match="all positive"):
        m.atkinson([0, 2], 1.0)
    with pytest.raises(m.MeasureError, match="Unknown classification"):
        m.class_breaks([1, 2, 3], "magic")
    with pytest.raises(m.MeasureError, match="between 2 and 9"):
        m.class_breaks([1, 2, 3], "quantiles", 12)


def test_lorenz_curve_by_hand():
    curve = m.lorenz([3, 1])
    assert curve["population_share"] == [0.0, 0.5, 1.0]
    assert curve["value_share"] == [0.0, 0.25, 1.0]


def test_lcrpgr_by_hand():
    # Built-up area doubles while the population grows by half, over 10 years.
    expected = (math.log(2) / 10) / (math.log(1.5) / 10)
    assert lcrpgr(100, 200, 1000, 1500, 10) == pytest.approx(expected)
    assert lcrpgr(100, 200, 1000, 1000, 10) is None  # no population growth: undefined


def test_two_step_floating_catchment_by_hand():
    # Two facilities 10 km apart; demand points of 100, 300 near the first, 200 near the second,
    # and one point of 50 within reach of both.
    supply = np.array([[0.0, 0.0], [10_000.0, 0.0]])
    demand_xy = np.array([[100.0, 0.0], [0.0, 200.0], [9_900.0, 0.0], [5_000.0, 0.0]])
    demand = np.array([100.0, 300.0, 200.0, 50.0])
    score = two_step_fca(supply, demand_xy, demand, d0=5_000.0)
    r1, r2 = 1 / (100 + 300 + 50), 1 / (200 + 50)
    np.testing.assert_allclose(score, [r1, r1, r2, r1 + r2])
    # Every unit of supply is shared out: sum of demand x accessibility = total supply.
    assert float(np.sum(score * demand)) == pytest.approx(2.0)


def test_priority_levels_put_the_most_deprived_first():
    levels = m.priority_levels([1, 2, 3, 4, 5, 6, 7, 8], higher_is_better=True, levels=4)
    assert levels == [1, 1, 2, 2, 3, 3, 4, 4]
    levels = m.priority_levels([1, 2, 3, 4, 5, 6, 7, 8], higher_is_better=False, levels=4)
    assert levels == [4, 4, 3, 3, 2, 2, 1, 1]


def test_open_space_access_by_hand():
    """SDG 11.7.1 part 2: people within 400 m (straight line) of an open public space."""
    import shapely

    # One 100 m x 100 m park at x in [0, 100], y in [0, 100] (metres).
    park = np.array([shapely.box(0, 0, 100, 100)])
    # Unit 0: a cell inside the park (0 m), one 400 m east of its edge (at 500), one 401 m
    # east (at 501). Unit 1: a cell 300 m north and 300 m east of its corner (424.3 m away).
    grid = PopulationGrid(
        xy=np.array([[50.0, 50.0], [500.0, 50.0], [501.0, 50.0], [400.0, 400.0]]),
        pop=np.array([10.0, 20.0, 30.0, 40.0]),
        unit=np.array([0, 0, 0, 1]),
    )
    near = near_share(grid, park, 400.0, 2)
    assert list(near) == [10.0 + 20.0, 0.0]
    # Share of unit 0: 30 / 60 = 50 %; of unit 1: 0 %.
    assert list(near / np.bincount(grid.unit, grid.pop) * 100) == [50.0, 0.0]
    assert list(near_share(grid, park[:0], 400.0, 2)) == [0.0, 0.0]
