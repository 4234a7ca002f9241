"""Matched comparators and balance."""

import numpy as np
import polars as pl
import pytest

from mutuals.engine.design import balance_table, match, standardised_mean_difference
from mutuals.engine.errors import EmptyCohortError, InvalidOptionError, MissingColumnError


def test_smd_by_hand():
    # treated 1 2 3: mean 2, s² = 1; control 2 4 6 8: mean 5, s² = 20/3
    # pooled SD = sqrt((1 + 6.6667)/2) = sqrt(3.8333) = 1.957890; SMD = −3 / 1.957890
    smd = standardised_mean_difference([1, 2, 3], [2, 4, 6, 8])
    assert smd == pytest.approx(-1.532262, abs=1e-6)
    table = balance_table(
        pl.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0], "x": [1, 2, 3, 2, 4, 6, 8]}), "t", ["x"]
    )
    assert table.row(0, named=True) == pytest.approx(
        {"covariate": "x", "mean_treated": 2.0, "mean_control": 5.0, "smd_before": -1.532262},
        abs=1e-6,
    )


def baseline(seed=3):
    """20 spin-outs with higher baseline cost and size than 200 in-house units."""
    rng = np.random.default_rng(seed)
    n_t, n_c = 20, 200
    treated = np.r_[np.ones(n_t, bool), np.zeros(n_c, bool)]
    cost = np.r_[rng.normal(120, 10, n_t), rng.normal(100, 15, n_c)]
    size = np.r_[rng.normal(300, 40, n_t), rng.normal(250, 60, n_c)]
    region = rng.choice(["north", "south"], n_t + n_c)
    return pl.DataFrame({"unit": np.arange(n_t + n_c), "spun_out": treated, "cost": cost,
                         "staff": size, "region": region})  # fmt: skip


@pytest.mark.parametrize("distance", ["mahalanobis", "euclidean"])
def test_matching_reduces_imbalance(distance):
    res = match(baseline(), treatment="spun_out", covariates=["cost", "staff"], distance=distance)
    before = res.balance["smd_before"].abs()
    after = res.balance["smd_after"].abs()
    assert before.min() > 0.5
    assert (after < before / 3).all()
    assert res.max_abs_smd < 0.25
    assert res.pairs.height == 20
    assert res.pairs["control_id"].n_unique() == 20  # without replacement
    assert set(res.comparator_ids) <= set(range(20, 220))


def test_exact_match_is_respected():
    data = baseline()
    res = match(data, treatment="spun_out", covariates=["cost", "staff"], exact="region", k=2)
    region = dict(zip(data["unit"], data["region"], strict=True))
    assert res.pairs.height == 40
    assert all(
        region[t] == region[c] for t, c in res.pairs.select("treated_id", "control_id").rows()
    )
    assert res.pairs["rank"].to_list()[:2] == [1, 2]


def test_nearest_neighbour_by_mahalanobis_distance_and_replacement():
    # one treated unit at (0, 0); controls at (1, 1) and (1, −1); x and y strongly
    # correlated in the sample, so (1, 1) lies along the cloud and is nearer
    data = pl.DataFrame({
        "unit": [0, 1, 2, 3, 4, 5, 6], "t": [1, 1, 0, 0, 0, 0, 0],
        "x": [0.0, 0.1, 1, 1, 3, -3, 2], "y": [0.0, 0.1, 1, -1, 3, -3, 2.2],
    })  # fmt: skip
    res = match(data, treatment="t", covariates=["x", "y"], replace=True)
    assert res.pairs["control_id"].to_list() == [2, 2]  # reused with replacement
    cov = np.cov(data.select("x", "y").to_numpy(), rowvar=False)
    d = np.array([1.0, 1.0])
    assert res.pairs["distance"][0] == pytest.approx(float(np.sqrt(d @ np.linalg.solve(cov, d))))
    # with replacement and k = 1 the control used twice gets weight 2
    assert res.balance["mean_control_after"][0] == pytest.approx(1.0)


def test_caliper_leaves_distant_units_unmatched():
    data = pl.DataFrame({"unit": ["a", "b", "c", "d"], "t": [1, 1, 0, 0],
                         "x": [0.0, 10.0, 0.2, 0.5]})  # fmt: skip
    # SD of x = 4.91; b is ≥ 9.5 / 4.91 ≈ 1.93 SD from every control
    res = match(data, treatment="t", covariates=["x"], distance="euclidean", caliper=0.5)
    assert res.unmatched_treated == ("b",)
    assert res.pairs.rows() == [("a", "c", pytest.approx(0.2 / data["x"].std()), 1)]


def test_errors():
    data = baseline()
    with pytest.raises(InvalidOptionError, match="'mahalanobis' or 'euclidean'"):
        match(data, treatment="spun_out", covariates=["cost"], distance="manhattan")
    with pytest.raises(MissingColumnError, match="'budget'"):
        match(data, treatment="spun_out", covariates=["budget"])
    with pytest.raises(EmptyCohortError):
        match(data.filter(pl.col("spun_out")), treatment="spun_out", covariates=["cost"])
