"""Synthetic control for one treated unit (Abadie & Gardeazabal 2003).

Flow: ``synth()`` -> ``SynthConfig`` -> ``_estimate`` -> ``SynthResult``.

Predictors are scaled by their standard deviation across the pool (as R
``Synth`` and pysyncon do). By default every pre-period outcome is a
predictor with equal importance (V = identity / k). With covariate
``predictors`` V is optimised (``v="auto"`` or ``"optimised"``): Nelder-Mead
over a diagonal V on the simplex, starting from equal weights and restarted
from its own end point until a restart lowers the loss by less than one part
in 100,000 (a single Nelder-Mead run can stall in high dimensions; on the
benchmark's 10 predictors the first run ends 19% above the MSPE the restarts
reach), minimising the pre-period outcome MSPE over
``mspe_periods`` (default: every pre-period);
the inner problem for the donor weights W is solved exactly (``synth_solver``).

Placebo-in-space inference refits the same specification treating each donor
as treated, with the treated unit left out of that donor's pool and V kept at
the treated fit's value. The p-value is the share of all units, treated
included, whose post/pre RMSPE ratio is at least the treated unit's:
(count) / (J + 1). Pre-periods are t < start, post-periods t >= start.
With J donors the smallest p-value possible is 1 / (J + 1): below 19 donors
no effect can reach the 5% level, whatever the data.

An interval for the effect comes from inverting that test (Firpo and Possebom
2018, "Synthetic control method: inference, sensitivity analysis and
confidence sets", J. Causal Inference 6(2)): under a constant effect δ the
treated unit's post-period gaps are its observed gaps minus δ, while the
placebos (fitted without the treated unit) do not change. The set of δ the
test does not reject at level α is an interval around the mean post-period
gap (``placebo_interval``); it excludes 0 exactly when the placebo p-value
is at most α.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import polars as pl
from scipy.optimize import minimize

from mutuals.engine._results import ResultMixin
from mutuals.engine.errors import InvalidOptionError
from mutuals.engine.synth_data import Predictor, SynthData, prepare
from mutuals.engine.synth_solver import Problem, descend, solve_simplex

VChoice = Literal["auto", "equal", "optimised"]
_MAX_RESTARTS = 10
# Restarts stop once one lowers the MSPE by less than this share (its root by 5e-6):
# far below the precision any fit is reported to, while each restart costs about 2,000
# evaluations; the later ones move the MSPE by parts per million or less.
_RESTART_GAIN = 1e-5
_TIE = 1e-12  # ratios within this relative distance of the treated one count as ties

__all__ = [
    "Predictor", "SynthConfig", "SynthResult", "placebo_interval", "placebo_p", "synth",
]  # fmt: skip


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

    def confint(self, alpha: float = 0.05) -> tuple[float, float] | None:
        """The constant effects the placebo test does not reject at ``alpha`` (see the
        module docstring); None without placebos or when it rejects them all."""
        if self.placebo is None:
            return None
        post = self.gaps.filter(pl.col("time") >= self.config.start)["gap"].to_numpy()
        return placebo_interval(post, self.pre_rmspe, self.placebo["ratio"][1:].to_numpy(), alpha)

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
    loss = _PreFitLoss(data.predictors, data.outcomes[_loss_rows(data, config)])
    k = data.predictors.shape[0]
    x, best = np.full(k, 1.0 / k), np.inf
    for _ in range(_MAX_RESTARTS):
        res = minimize(loss, x, method="Nelder-Mead", options={"maxiter": 1000, "adaptive": True})
        enough = res.fun > best * (1 - _RESTART_GAIN)
        if res.fun < best:
            x, best = res.x, res.fun
        if enough:
            break
    return np.abs(x) / np.sum(np.abs(x))


class _PreFitLoss:
    """The pre-period MSPE of the treated unit's fit for the V that ``x`` encodes.

    Nelder-Mead calls it thousands of times with nearby V, so each call starts
    the weights from the previous call's (a warm start: usually optimal again,
    or a step or two away) and does little else but scale the predictors.
    """

    def __init__(self, predictors: np.ndarray, outcomes: np.ndarray) -> None:
        self.treated, self.donors = predictors[:, 0], predictors[:, 1:]
        self.target, self.pool = outcomes[:, 0], outcomes[:, 1:]
        self.weights: np.ndarray | None = None
        self.support: np.ndarray | None = None

    def __call__(self, x: np.ndarray) -> float:
        v = np.abs(x)
        root = np.sqrt(v / v.sum())
        a, b = self.donors * root[:, None], self.treated * root
        found = None
        if self.weights is not None:
            found = descend(a, b, self.weights, self.support)
        if found is None:
            found = _with_support(solve_simplex(a, b))
        self.weights, self.support = found
        resid = self.target - self.pool[:, self.support] @ self.weights[self.support]
        return float(resid @ resid) / len(resid)


def _with_support(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return w, np.flatnonzero(w)


def placebo_p(ratios: np.ndarray, treated_ratio: float) -> float:
    """Share of all units, treated included, whose post/pre RMSPE ratio is at least the
    treated unit's (ties within a relative 1e-12 count as at least)."""
    everyone = np.append(np.asarray(ratios, dtype=float), treated_ratio)
    return float(np.mean(everyone >= treated_ratio * (1 - _TIE)))


def placebo_interval(
    post_gaps: np.ndarray, pre_rmspe: float, placebo_ratios: np.ndarray, alpha: float
) -> tuple[float, float] | None:
    """Constant effects δ that the placebo test does not reject at level ``alpha``.

    The treated ratio under δ is r(δ) = sqrt(mean((gap − δ)²)) / pre_rmspe and δ is
    rejected when (1 + #{placebo ratios ≥ r(δ)}) / (J + 1) ≤ α, that is when r(δ)
    exceeds the (K + 1)-th largest placebo ratio, K = ⌊α (J + 1)⌋ − 1. The accepted δ
    satisfy (δ − ḡ)² ≤ c² pre_rmspe² − s² (ḡ and s² the mean and variance of the
    post-period gaps): an interval around ḡ. Infinite bounds when the test can never
    reject (K < 0); None when it rejects every constant effect (the gaps vary too much
    over time) or the pre-period fit is exact.
    """
    gaps = np.asarray(post_gaps, dtype=float)
    ratios = np.sort(np.asarray(placebo_ratios, dtype=float))[::-1]
    allowed = math.floor(alpha * (len(ratios) + 1) + 1e-9) - 1
    if allowed < 0:
        return (-math.inf, math.inf)
    if not pre_rmspe > 0 or gaps.size == 0:
        return None
    critical = ratios[allowed] / (1 - _TIE)
    mean = float(gaps.mean())
    room = (critical * pre_rmspe) ** 2 - float(np.mean((gaps - mean) ** 2))
    if not room >= 0:
        return None
    half = math.sqrt(room)
    return (mean - half, mean + half)


def _rmspe(gap: np.ndarray) -> float:
    return float(np.sqrt(np.mean(gap**2)))


def _fit_one(problem: Problem, outcomes: np.ndarray, target: int, donors: np.ndarray):
    w = problem.weights(target, donors)
    used = np.flatnonzero(w)  # a product over the few donors with weight, not all of them
    gap = outcomes[:, target] - outcomes[:, donors[used]] @ w[used]
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
        p_value = placebo_p(ratios[1:], ratios[0])
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
