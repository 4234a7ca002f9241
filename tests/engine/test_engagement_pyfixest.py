"""The engagement link against pyfixest's ``feols`` (a dev-only dependency, kept as the
reference): coefficient, CRV1 standard error, p-value, interval and observations used.

pyfixest takes out the fixed effects by alternating projections, stopping at a tolerance
(1e-6 by default); the reference runs it at 1e-12 so that it, too, is exact to ~1e-12,
while the engine's within-unit means and year dummies are exact. The tolerance below is
the one the two must meet.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from mutuals.engine.engagement import engagement_link
from mutuals.engine.errors import NoVariationError, TooFewPeriodsError

TOL = 1e-8


def make_panel(seed: int, *, units: int = 12, years: int = 6, keep: float = 1.0, names=False):
    """quality = unit level + year trend + 2 × engagement + noise; ``keep`` < 1 drops rows
    at random (an unbalanced panel)."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), years)
    year = np.tile(np.arange(2012, 2012 + years), units)
    engagement = 6 + rng.normal(0, 0.6, units)[unit] + 0.1 * (year - 2012)
    engagement = engagement + rng.normal(0, 0.5, unit.size)
    quality = 50 + 3 * rng.normal(size=units)[unit] + (year - 2012) + 2.0 * engagement
    frame = pl.DataFrame({
        "unit": [f"RTR{u:03d}" for u in unit] if names else unit, "year": year,
        "engagement": engagement, "quality": quality + rng.normal(0, 1, unit.size),
    })  # fmt: skip
    return frame.filter(pl.Series(rng.random(frame.height) < keep))


def with_missing(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Some outcomes null, some engagement scores NaN."""
    rng = np.random.default_rng(seed)
    row = pl.int_range(pl.len())
    gone = rng.choice(frame.height, 12, replace=False)
    return frame.with_columns(
        pl.when(row.is_in(gone[:6])).then(None).otherwise("quality").alias("quality"),
        pl.when(row.is_in(gone[6:])).then(float("nan")).otherwise("engagement").alias("engagement"),
    )


def with_singletons(frame: pl.DataFrame) -> pl.DataFrame:
    """A provider seen once; and a provider seen in 2011 and 2030, where 2030 has no other
    row, so once 2030 goes that provider is left with one row and goes too."""
    extra = pl.DataFrame({
        "unit": [900, 901, 901], "year": [2013, 2030, 2011],
        "engagement": [5.0, 6.0, 7.0], "quality": [60.0, 61.0, 63.0],
    })  # fmt: skip
    return pl.concat([frame, extra.cast(frame.schema)])


PANELS = {
    "balanced": lambda: make_panel(1),
    "unbalanced": lambda: make_panel(2, units=30, years=8, keep=0.7),
    "missing values": lambda: with_missing(make_panel(3, units=20, years=7, keep=0.9), 3),
    "named units": lambda: make_panel(4, keep=0.8, names=True),
    "singletons": lambda: with_singletons(make_panel(5, units=10, years=5)),
    "three units, two years": lambda: make_panel(6, units=3, years=2),
}


def pyfixest_link(frame: pl.DataFrame) -> dict:
    pyfixest = pytest.importorskip("pyfixest")
    from pyfixest.demeaners import MapDemeaner

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its notes on dropped singletons and NaN rows
        fit = pyfixest.feols(
            "quality ~ engagement | unit + year",
            data=frame.to_pandas(),
            vcov={"CRV1": "unit"},
            demeaner=MapDemeaner(fixef_tol=1e-12),
        )
    low, high = fit.confint().loc["engagement"]
    return {
        "coef": fit.coef()["engagement"], "se": fit.se()["engagement"],
        "pvalue": fit.pvalue()["engagement"], "confint": (low, high), "nobs": fit._N,
        "df": fit._df_t,
    }  # fmt: skip


@pytest.mark.parametrize("name", list(PANELS))
def test_equals_pyfixest(name):
    frame = PANELS[name]()
    ours, ref = engagement_link(frame, outcome="quality"), pyfixest_link(frame)
    assert ours.nobs == ref["nobs"]
    assert ours.n_units - 1 == ref["df"]  # t with G - 1 degrees of freedom
    assert ours.coef == pytest.approx(ref["coef"], rel=TOL)
    assert ours.se == pytest.approx(ref["se"], rel=TOL)
    assert ours.confint == pytest.approx(ref["confint"], rel=TOL)
    # pyfixest computes 1 - cdf, which loses digits near 0; compare those absolutely
    assert ours.pvalue == pytest.approx(ref["pvalue"], rel=TOL, abs=1e-12)


def test_singletons_are_left_out_until_none_is():
    frame = PANELS["singletons"]()
    res = engagement_link(frame, outcome="quality")
    assert (res.nobs, res.n_units) == (frame.height - 3, 10)


def test_rows_alone_in_their_unit_do_not_count_towards_three_units():
    frame = make_panel(7, units=2, years=4)
    frame = pl.concat([frame, frame.head(1).with_columns(unit=pl.lit(5, frame["unit"].dtype))])
    with pytest.raises(TooFewPeriodsError, match="at least 3 units observed in at least 2"):
        engagement_link(frame, outcome="quality")


def test_engagement_that_moves_only_with_the_year_is_refused():
    frame = make_panel(8).with_columns(
        engagement=pl.col("unit") * 0.1 + (pl.col("year") - 2012) * 0.3
    )
    with pytest.raises(NoVariationError, match="'engagement' does not change within units"):
        engagement_link(frame, outcome="quality")
