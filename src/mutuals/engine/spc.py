"""Statistical process control: XmR charts by the "Making Data Count" method.

NHS boards read performance through XmR charts as NHS England's Making Data
Count programme (and the NHS-R package NHSRplotthedots) draws them:

- centre line = mean of the segment; moving range mR_t = |x_t - x_{t-1}|;
- process limits = mean ± 2.66 × mean mR (2.66 = 3 / d2, d2 = 1.128);
- optional screening: moving ranges ≥ 3.267 × mean mR are left out and the
  mean mR recomputed once, so one shock does not widen the limits;
- rebasing: limits are computed separately for each baseline segment;
- special cause rules, each judged inside one segment:
  (a) a point beyond a limit; (b) a run of 7 points on one side of the mean
  (a point on the mean breaks a run); (c) a trend of 7 points, each strictly
  above (or below) the one before; (d) 2 of 3 consecutive points, all three
  on the same side of the mean, between two-thirds of the way to a limit
  (mean ± 2σ, σ = 2.66/3 × mean mR) and that limit. Points beyond the limit
  count for rule (a), not (d), as in NHSRplotthedots. Every point of a
  qualifying run, trend or window is flagged.

A special cause is labelled by the way its signal points, not by the side of
the mean the point happens to lie on: a rising trend that starts below the
mean is rising all the same. ``signal`` holds that direction per point (+1
up, −1 down, 0 common cause), taken from the first rule that applies, in
NHSRplotthedots' order: (a) beyond a limit → the side it lies on; (c) in a
trend → the trend's direction of travel (a peak or trough shared by two
trends takes the trend it starts; the last point of a trend takes the trend
it ends); (d) in a 2-of-3 window → its side; (b) in a run → its side.
``side`` keeps the plain side of the mean. A point is
"special_cause_improvement" when its signal points the improvement way,
"special_cause_concern" when it points the other way, "special_cause_neutral"
for a neutral direction (``signal`` says high or low), else "common_cause".
A series takes the variation of its last point, as the Making Data Count
icons do. Assurance compares a target with the last point's limits (none
without a target or for a neutral direction).

Many series (provider × metric) are charted at once: the data are sorted
once and every rule is computed with numpy over contiguous segments, without
a Python loop per series. ``spc_reference.spc_reference`` is a deliberately plain
per-series loop kept as an independent check (tests, benchmark).

Two deliberate differences from NHSRplotthedots: a constant segment (mean mR
0) keeps its moving ranges when screening, so its limits collapse onto the
mean instead of becoming undefined; and when one trend ends on the point just
before another trend begins (no point shared), that point keeps the direction
of the trend it ends, where NHSRplotthedots gives it the sign of the step that
follows (the wrong way, or "decreasing" for a tie).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import polars as pl

from mutuals.engine._results import ResultMixin, require_columns
from mutuals.engine.errors import DuplicatePeriodError, InvalidOptionError

Direction = Literal["increase", "decrease", "neutral"]
LIMIT = 2.66
SCREEN = 3.267
_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}


@dataclass(frozen=True)
class SpcConfig:
    """Validated options for one SPC run. Build it through :func:`spc`."""

    value: str = "value"
    time: str = "period"
    by: tuple[str, ...] = ()
    improvement: Direction = "neutral"
    improvement_column: str | None = None
    target: float | None = None
    target_column: str | None = None
    rebase_at: tuple[Any, ...] = ()
    rebase_column: str | None = None
    screen_outliers: bool = True
    run_length: int = 7
    trend_length: int = 7

    def __post_init__(self) -> None:
        by = (self.by,) if isinstance(self.by, str) else tuple(self.by or ())
        object.__setattr__(self, "by", by)  # accept one name or a list; store a tuple
        object.__setattr__(self, "rebase_at", tuple(self.rebase_at))
        if self.improvement not in get_args(Direction):
            raise InvalidOptionError(
                f"improvement={self.improvement!r}: use 'increase', 'decrease' or 'neutral'."
            )
        for name in ("run_length", "trend_length"):
            if getattr(self, name) < 2:
                raise InvalidOptionError(f"{name} must be at least 2, not {getattr(self, name)}.")
        if self.target is not None and self.target_column is not None:
            raise InvalidOptionError("Give either target or target_column, not both.")
        if self.rebase_at and self.rebase_column is not None:
            raise InvalidOptionError("Give either rebase_at or rebase_column, not both.")

    def columns(self) -> list[str]:
        extra = (self.improvement_column, self.target_column, self.rebase_column)
        return [*self.by, self.time, self.value, *(c for c in extra if c)]


@dataclass(frozen=True)
class SpcResult(ResultMixin):
    """Per-point chart table (``points``) and per-series summary (``series``)."""

    points: pl.DataFrame
    series: pl.DataFrame
    config: SpcConfig

    def tidy(self) -> pl.DataFrame:
        """One row per series: last limits, variation and assurance."""
        return self.series

    def summary(self) -> str:
        counts = self.series.group_by("variation", "assurance").len().sort("variation")
        lines = [f"SPC (XmR) for {self.series.height} series, {self.points.height} points"]
        lines += [
            f"  {r['variation']:<26} assurance={r['assurance']}: {r['len']}"
            for r in counts.iter_rows(named=True)
        ]
        return "\n".join(lines)


def spc(
    data: pl.DataFrame,
    *,
    value: str = "value",
    time: str = "period",
    by: str | Sequence[str] | None = None,
    improvement: Direction = "neutral",
    improvement_column: str | None = None,
    target: float | None = None,
    target_column: str | None = None,
    rebase_at: Sequence[Any] = (),
    rebase_column: str | None = None,
    screen_outliers: bool = True,
    run_length: int = 7,
    trend_length: int = 7,
) -> SpcResult:
    """XmR charts for every series in a long table.

    ``by`` names the series id column(s) (None: one series). ``rebase_at``
    lists values of ``time`` from which limits are recalculated (for every
    series); ``rebase_column`` instead marks, per row, the first point of a
    new segment (1/True). ``improvement_column`` and ``target_column`` give
    per-series directions and targets (the last row of each series counts).
    ``screen_outliers`` defaults to True, as in NHSRplotthedots. Rows with a
    missing value are dropped: the method needs no gaps.
    """
    config = SpcConfig(
        value, time, by, improvement, improvement_column, target, target_column,
        rebase_at, rebase_column, screen_outliers, run_length, trend_length,
    )  # fmt: skip
    return _estimate(_prepare(data, config), config)


def _prepare(data: pl.DataFrame, cfg: SpcConfig) -> pl.DataFrame:
    """Select, sort and label each row with its series and segment.

    Series and segment ids come from comparing each sorted row with the one
    before (cheap, vectorised); ``segment`` restarts at 0 in every series.
    """
    require_columns(data, cfg.columns(), numeric=[cfg.value])
    value = pl.col(cfg.value)
    df = data.select(cfg.columns()).sort([*cfg.by, cfg.time])
    df = df.filter(value.is_not_null() & value.is_not_nan())
    first_row = pl.int_range(pl.len()) == 0
    new_series = pl.any_horizontal(
        first_row, *(pl.col(c).ne_missing(pl.col(c).shift(1)) for c in cfg.by)
    )
    same_time = pl.col(cfg.time).eq_missing(pl.col(cfg.time).shift(1))
    if df.select((~new_series & same_time).any()).item():
        raise DuplicatePeriodError(
            f"Some series have two rows for the same {cfg.time!r}; keep one row per period."
        )
    if cfg.rebase_column:
        start = pl.col(cfg.rebase_column).cast(pl.Boolean).fill_null(False)
    elif cfg.rebase_at:
        seg = pl.sum_horizontal([(pl.col(cfg.time) >= r) for r in cfg.rebase_at])
        start = seg != seg.shift(1)
    else:
        start = pl.lit(False)
    df = df.with_columns(
        _series=new_series.cum_sum() - 1,
        _segment=(new_series | start.fill_null(False)).cast(pl.Int64).cum_sum() - 1,
        _new_series=new_series,
    )
    first_segment = pl.when("_new_series").then("_segment").forward_fill()
    return df.with_columns(segment=pl.col("_segment") - first_segment).drop("_new_series")


def _estimate(df: pl.DataFrame, cfg: SpcConfig) -> SpcResult:
    x = df[cfg.value].cast(pl.Float64).to_numpy()
    seg = df["_segment"].to_numpy()
    direction = _direction_signs(df, cfg)
    chart = _xmr_arrays(x, seg, cfg)
    chart["variation"] = _variation(chart["signal"], direction)
    points = df.select(*cfg.by, cfg.time, cfg.value, "segment").with_columns(
        pl.Series(k, v, nan_to_null=True) if isinstance(v, np.ndarray) else v
        for k, v in chart.items()
    )
    return SpcResult(points, _series_summary(df, points, direction, cfg), cfg)


def _direction_signs(df: pl.DataFrame, cfg: SpcConfig) -> np.ndarray:
    """+1 / −1 / 0 per row; a per-series column counts by its last row."""
    if cfg.improvement_column is None:
        return np.full(df.height, _SIGN[cfg.improvement], dtype=np.int8)
    col = df.select(pl.col(cfg.improvement_column).last().over("_series")).to_series()
    bad = set(col.unique().to_list()) - set(_SIGN)
    if bad:
        raise InvalidOptionError(
            f"Column {cfg.improvement_column!r} holds {sorted(map(str, bad))}; "
            "allowed values are 'increase', 'decrease' and 'neutral'."
        )
    return col.replace_strict(_SIGN, return_dtype=pl.Int8).to_numpy()


def _segment_mean(values: np.ndarray, starts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of ``values`` where ``mask``, per contiguous segment (NaN if none).

    ``starts`` are the first indices of the segments; ``np.add.reduceat``
    sums each contiguous block in one pass.
    """
    total = np.add.reduceat(np.where(mask, values, 0.0), starts)
    count = np.add.reduceat(mask, starts, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _run_lengths(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """For each element, the length of the run of equal values it sits in.

    A run also ends wherever ``breaks`` is True (a new segment starts).
    """
    change = breaks.copy()
    change[0] = True
    change[1:] |= values[1:] != values[:-1]
    run_starts = np.flatnonzero(change)
    lengths = np.diff(np.append(run_starts, len(values)))
    return np.repeat(lengths, lengths)


def _xmr_arrays(x: np.ndarray, seg: np.ndarray, cfg: SpcConfig) -> dict[str, np.ndarray]:
    """All XmR quantities and rule flags for sorted, segment-labelled points."""
    if len(x) == 0:
        return {k: np.array([]) for k in _POINT_COLUMNS}
    first = np.ones(len(x), dtype=bool)
    first[1:] = seg[1:] != seg[:-1]
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, len(x)))
    mr = np.abs(np.diff(x, prepend=np.nan))
    mr[first] = np.nan
    used = ~first
    amr = np.repeat(_segment_mean(mr, starts, used), sizes)
    if cfg.screen_outliers:
        used &= ~((mr >= SCREEN * amr) & (mr > 0))
        amr = np.repeat(_segment_mean(mr, starts, used), sizes)
    mean = np.repeat(np.add.reduceat(x, starts) / sizes, sizes)
    half_width = LIMIT * amr
    lower, upper = mean - half_width, mean + half_width
    outside = (x > upper) | (x < lower)
    deviation = x - mean
    side = np.sign(deviation).astype(np.int8)
    near = ~outside & (np.abs(deviation) > half_width * 2 / 3)
    run = (side != 0) & (_run_lengths(side, first) >= cfg.run_length)
    trend_direction = _trend_directions(x, first, cfg.trend_length)
    trend = trend_direction != 0
    two_of_three = _two_of_three(side, near, seg)
    signal = _signal(side, outside, trend_direction, two_of_three | run)
    return {
        "moving_range": mr, "moving_range_used": used, "mean": mean,
        "mean_moving_range": amr, "lower_limit": lower, "upper_limit": upper,
        "rule_outside_limits": outside, "rule_run": run, "rule_trend": trend,
        "rule_two_of_three": two_of_three,
        "special_cause": outside | run | trend | two_of_three, "side": side,
        "signal": signal,
    }  # fmt: skip


_POINT_COLUMNS = (
    "moving_range", "moving_range_used", "mean", "mean_moving_range", "lower_limit",
    "upper_limit", "rule_outside_limits", "rule_run", "rule_trend", "rule_two_of_three",
    "special_cause", "side", "signal",
)  # fmt: skip


def _trend_directions(x: np.ndarray, first: np.ndarray, length: int) -> np.ndarray:
    """+1 / −1 for points inside a rising / falling trend of ``length`` points, else 0.

    ``step[i]`` is the sign of x_i - x_{i-1} (0 at a segment start, so no
    trend crosses a segment boundary). A trend of ``length`` points is
    ``length - 1`` equal non-zero steps; the point just before the first step
    belongs to the trend too. A point takes the trend step to its right if
    there is one, else the one to its left: a peak between a rise and a fall
    thereby belongs to the fall it starts, as in NHSRplotthedots.
    """
    step = np.zeros(len(x), dtype=np.int8)
    step[1:] = (x[1:] > x[:-1]).view(np.int8) - (x[1:] < x[:-1]).view(np.int8)
    step[first] = 0
    trend_step = np.where(_run_lengths(step, first) >= length - 1, step, 0).astype(np.int8)
    step_after = np.zeros_like(trend_step)
    step_after[:-1] = trend_step[1:]
    return np.where(step_after != 0, step_after, trend_step)


def _signal(
    side: np.ndarray, outside: np.ndarray, trend_direction: np.ndarray, by_side: np.ndarray
) -> np.ndarray:
    """Which way each point's special cause points: +1 up, −1 down, 0 none.

    The first rule that applies decides, in NHSRplotthedots' order: beyond a
    limit, the side it lies on; in a trend, the trend's direction of travel
    (so a rise that starts below the mean points up); in a 2-of-3 window or a
    run (``by_side``), its side of the mean.
    """
    by_rule = np.where(trend_direction != 0, trend_direction, np.where(by_side, side, 0))
    return np.where(outside, side, by_rule).astype(np.int8)


def _two_of_three(side: np.ndarray, near: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Near-limit points in a window of 3 (one segment, one side) holding ≥ 2 of them."""
    n = len(side)
    flags = np.zeros(n, dtype=bool)
    if n < 3:
        return flags
    same_seg = seg[2:] == seg[:-2]
    side_sum = side[:-2].astype(int) + side[1:-1] + side[2:]
    near_sum = near[:-2].astype(int) + near[1:-1] + near[2:]
    window = same_seg & (np.abs(side_sum) == 3) & (near_sum >= 2)
    for offset in range(3):
        flags[offset : n - 2 + offset] |= window
    return flags & near


VARIATIONS = pl.Enum(
    ["common_cause", "special_cause_neutral", "special_cause_improvement", "special_cause_concern"]
)


def _variation(signal: np.ndarray, direction: np.ndarray) -> pl.Series:
    """Variation codes from each signal's direction against the improvement direction.

    A point without a signal is common cause. Codes are turned into an Enum
    in one step (building 10⁶ strings is slow).
    """
    code = np.where(direction == 0, 1, np.where(signal == direction, 2, 3)) * (signal != 0)
    labels = dict(enumerate(VARIATIONS.categories))
    return pl.Series("variation", code.astype(np.uint8)).replace_strict(
        labels, return_dtype=VARIATIONS
    )


def _series_summary(
    df: pl.DataFrame, points: pl.DataFrame, direction: np.ndarray, cfg: SpcConfig
) -> pl.DataFrame:
    """One row per series, from its last point (limits, variation, assurance)."""
    series_id = df["_series"].to_numpy()
    last = np.flatnonzero(np.append(series_id[1:] != series_id[:-1], len(series_id) > 0))
    counts = np.diff(np.append(-1, last))
    if cfg.target_column:
        target = df[cfg.target_column].cast(pl.Float64).to_numpy()[last]
    else:
        target = np.full(len(last), np.nan if cfg.target is None else float(cfg.target))
    sign = direction[last]
    lower = points["lower_limit"].to_numpy()[last]
    upper = points["upper_limit"].to_numpy()[last]
    return points[last].select(
        *cfg.by,
        pl.lit(counts).alias("n_points"),
        pl.col(cfg.time).alias(f"last_{cfg.time}"),
        "segment", "mean", "lower_limit", "upper_limit", "variation",
        pl.Series("improvement", np.array(["decrease", "neutral", "increase"])[sign + 1]),
        pl.Series("target", target, nan_to_null=True),
        pl.Series("assurance", _assurance(target, lower, upper, sign), dtype=pl.String),
    )  # fmt: skip


def _assurance(
    target: np.ndarray, lower: np.ndarray, upper: np.ndarray, sign: np.ndarray
) -> list[str | None]:
    """Target outside the limits: the process will consistently pass or fail it."""
    above, below = target > upper, target < lower
    passing = (above & (sign < 0)) | (below & (sign > 0))
    failing = (above & (sign > 0)) | (below & (sign < 0))
    label = np.select(
        [passing, failing], ["consistently_passing", "consistently_failing"], "inconsistent"
    )
    missing = np.isnan(target) | (sign == 0)
    return [None if m else str(v) for m, v in zip(missing, label, strict=True)]
