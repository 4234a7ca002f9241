"""Synthetic control for one treated unit (Abadie & Gardeazabal 2003).

Flow: ``synth()`` -> ``SynthConfig`` -> ``_estimate`` -> ``SynthResult``.

Predictors are scaled by their standard deviation across the pool (as R
``Synth`` and pysyncon do). By default every pre-period outcome is a
predictor with equal importance (V = identity / k). With covariate
``predictors`` V is optimised (``v="auto"`` or ``"optimised"``): Nelder-Mead
over a diagonal V on the simplex, starting from equal weights and restarted
from its own end point until the loss stops falling (a single Nelder-Mead run
stalls in 14 dimensions: on Basque it stops at MSPE 0.16, the restarts reach
the published 0.0089), minimising the pre-period outcome MSPE over
``mspe_periods`` (default: every pre-period);
the inner problem for the donor weights W is solved exactly (``synth_solver``).

Placebo-in-space inference refits the same specification treating each donor
as treated, with the treated unit left out of that donor's pool and V kept at
the treated fit's value. The p-value is the share of all units, treated
included, whose post/pre RMSPE ratio is at least the treated unit's:
(count) / (J + 1). Pre-periods are t < start, post-periods t >= start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import polars as pl
from scipy.optimize import minimize

from mutuals.engine._results import ResultMixin
from mutuals.engine.errors import InvalidOptionError
from mutuals.engine.synth_data import Predictor, SynthData, prepare
from mutuals.engine.synth_solver import Problem

VChoice = Literal["auto", "equal", "optimised"]
_MAX_RESTARTS = 10

__all__ = ["Predictor", "SynthConfig", "SynthResult", "synth"]


@dataclass(frozen=True)
class SynthConfig:
    """Options of one synthetic-control estimate, validated on creation."""

    outcome: str
    unit: str
    time: str
    treated: object
    start: float
    donors: tuple | None = None
    predictors: tuple[Predictor, ...] = ()
    v: VChoice = "auto"
    custom_v: tuple[float, ...] | None = None
    mspe_periods: tuple | None = None
    placebo: bool = False

    def __post_init__(self) -> None:
        if self.v not in get_args(VChoice):
            options = ", ".join(repr(a) for a in get_args(VChoice))
            raise InvalidOptionError(f"v must be one of {options}; got {self.v!r}")
        if self.custom_v is not None and any(x < 0 for x in self.custom_v):
            raise InvalidOptionError("custom_v must hold non-negative predictor weights")

    @property
    def optimise_v(self) -> bool:
        if self.custom_v is not None:
            return False
        return self.v == "optimised" or (self.v == "auto" and bool(self.predictors))


@dataclass(frozen=True)
class SynthResult(ResultMixin):
    """Weights, fit and effect of one synthetic control, with placebo inference.

    ``gaps``: time, treated, synthetic, gap. ``placebo``: unit, pre_rmspe,
    post_rmspe, ratio (treated unit included, first row) or None.
    """

    config: SynthConfig
    weights: pl.DataFrame  # unit, weight
    v: np.ndarray
    predictor_names: list[str]
    gaps: pl.DataFrame
    pre_rmspe: float
    post_rmspe: float
    att: float
    placebo: pl.DataFrame | None
    placebo_p: float | None

    def weight_of(self, unit) -> float:
        row = self.weights.filter(pl.col("unit").cast(pl.Utf8) == str(unit))
        return float(row["weight"][0]) if row.height else 0.0

    def tidy(self) -> pl.DataFrame:
        """Long table: quantity, label, value."""
        rows = [("att", "post-period mean gap", self.att)]
        rows += [("pre_rmspe", "", self.pre_rmspe), ("post_rmspe", "", self.post_rmspe)]
        if self.placebo_p is not None:
            rows.append(("placebo_p", "", self.placebo_p))
        rows += [("weight", str(u), w) for u, w in self.weights.iter_rows()]
        rows += [("gap", str(t), g) for t, g in self.gaps.select("time", "gap").iter_rows()]
        return pl.DataFrame(
            {
                "quantity": [r[0] for r in rows],
                "label": [r[1] for r in rows],
                "value": [float(r[2]) for r in rows],
            }
        )


def synth(
    data: pl.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated,
    start,
    donors=None,
    predictors=(),
    v: VChoice = "auto",
    custom_v=None,
    mspe_periods=None,
    placebo: bool = False,
) -> SynthResult:
    """Fit a synthetic control for ``treated``, first treated in period ``start``."""
    config = SynthConfig(
        outcome=outcome,
        unit=unit,
        time=time,
        treated=treated,
        start=start,
        donors=None if donors is None else tuple(donors),
        predictors=tuple(predictors),
        v=v,
        custom_v=None if custom_v is None else tuple(float(x) for x in custom_v),
        mspe_periods=None if mspe_periods is None else tuple(mspe_periods),
        placebo=placebo,
    )
    return _estimate(prepare(data, config), config)


def _loss_rows(data: SynthData, config: SynthConfig) -> np.ndarray:
    if config.mspe_periods is None:
        return data.pre
    return np.isin(data.periods, np.asarray(config.mspe_periods, dtype=data.periods.dtype))


def choose_v(data: SynthData, config: SynthConfig) -> np.ndarray:
    """Predictor weights V (diagonal, summing to one)."""
    k = data.predictors.shape[0]
    if config.custom_v is not None:
        if len(config.custom_v) != k:
            raise InvalidOptionError(f"custom_v needs {k} weights, one per predictor")
        return np.asarray(config.custom_v, dtype=float)
    if not config.optimise_v:
        return np.full(k, 1.0 / k)
    return _optimise_v(data, config)


def _optimise_v(data: SynthData, config: SynthConfig) -> np.ndarray:
    z = data.outcomes[_loss_rows(data, config)]
    donors = slice(1, None)
    support = [None]

    def loss(x: np.ndarray) -> float:
        v = np.abs(x) / np.sum(np.abs(x))
        w = Problem.build(data.predictors, v, gram=False).weights(0, donors, support[0])
        support[0] = w > 0
        resid = z[:, 0] - z[:, donors] @ w
        return float(resid @ resid / len(resid))

    k = data.predictors.shape[0]
    x, best = np.full(k, 1.0 / k), np.inf
    for _ in range(_MAX_RESTARTS):
        res = minimize(loss, x, method="Nelder-Mead", options={"maxiter": 1000, "adaptive": True})
        if res.fun >= best * (1 - 1e-9):
            break
        x, best = res.x, res.fun
    return np.abs(x) / np.sum(np.abs(x))


def _rmspe(gap: np.ndarray) -> float:
    return float(np.sqrt(np.mean(gap**2)))


def _fit_one(problem: Problem, outcomes: np.ndarray, target: int, donors: np.ndarray):
    w = problem.weights(target, donors)
    gap = outcomes[:, target] - outcomes[:, donors] @ w
    return w, gap


def _placebos(data: SynthData, problem: Problem, treated_gap: np.ndarray) -> pl.DataFrame:
    n = data.outcomes.shape[1]
    gaps = [treated_gap]
    everyone = np.arange(n)
    for j in range(1, n):
        donors = everyone[(everyone != j) & (everyone != 0)]
        gaps.append(_fit_one(problem, data.outcomes, j, donors)[1])
    pre = np.array([_rmspe(g[data.pre]) for g in gaps])
    post = np.array([_rmspe(g[~data.pre]) for g in gaps])
    return pl.DataFrame(
        {"unit": [str(u) for u in data.units], "pre_rmspe": pre, "post_rmspe": post}
    ).with_columns((pl.col("post_rmspe") / pl.col("pre_rmspe")).alias("ratio"))


def _estimate(data: SynthData, config: SynthConfig) -> SynthResult:
    v = choose_v(data, config)
    problem = Problem.build(data.predictors, v)
    donors = np.arange(1, data.outcomes.shape[1])
    w, gap = _fit_one(problem, data.outcomes, 0, donors)
    placebo, p_value = None, None
    if config.placebo:
        placebo = _placebos(data, problem, gap)
        ratios = placebo["ratio"].to_numpy()
        p_value = float(np.mean(ratios >= ratios[0] * (1 - 1e-12)))
    synthetic = data.outcomes[:, donors] @ w
    return SynthResult(
        config=config,
        weights=pl.DataFrame({"unit": [str(u) for u in data.units[1:]], "weight": w}),
        v=v,
        predictor_names=data.predictor_names,
        gaps=pl.DataFrame(
            {
                "time": data.periods,
                "treated": data.outcomes[:, 0],
                "synthetic": synthetic,
                "gap": gap,
            }
        ),
        pre_rmspe=_rmspe(gap[data.pre]),
        post_rmspe=_rmspe(gap[~data.pre]),
        att=float(gap[~data.pre].mean()),
        placebo=placebo,
        placebo_p=p_value,
    )
