"""Making Data Count charts computed one series at a time, with plain loops.

Slow on purpose: it follows the textbook definitions window by window, so it
is an independent check of the vectorised :func:`mutuals.engine.spc.spc`
(tests) and the baseline its speed is measured against (benchmark). It shares
only the input preparation and the per-series summary with the fast path.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from mutuals.engine.spc import (
    _POINT_COLUMNS,
    LIMIT,
    SCREEN,
    VARIATIONS,
    SpcConfig,
    SpcResult,
    _direction_signs,
    _prepare,
    _series_summary,
)


def spc_reference(data: pl.DataFrame, **options: Any) -> SpcResult:
    """The same charts computed one series at a time with plain Python loops.

    Slow on purpose: it follows the textbook definitions window by window, so
    it is an independent check of the vectorised :func:`spc` (tests) and the
    baseline its speed is measured against (benchmark).
    """
    cfg = SpcConfig(**options)
    df = _prepare(data, cfg)
    frames = []
    for part in df.partition_by("_series", maintain_order=True):
        sign = _direction_signs(part, cfg)
        rows = _reference_series(part[cfg.value].to_list(), part["segment"].to_list(), cfg)
        rows["variation"] = [_reference_variation(signal, sign[0]) for signal in rows["signal"]]
        frames.append(part.with_columns(pl.Series(k, v, strict=False) for k, v in rows.items()))
    df = pl.concat(frames)
    points = df.select(*cfg.by, cfg.time, cfg.value, "segment", *_POINT_COLUMNS, "variation")
    points = points.with_columns(
        pl.col(pl.Float64).fill_nan(None), pl.col("side", "signal").cast(pl.Int8),
        pl.col("variation").cast(VARIATIONS),
    )  # fmt: skip
    series = _series_summary(df, points, _direction_signs(df, cfg), cfg)
    return SpcResult(points, series, cfg)


def _reference_variation(signal: int, improvement: int) -> str:
    """A special cause is an improvement when its signal points the better way."""
    if signal == 0:
        return "common_cause"
    if improvement == 0:
        return "special_cause_neutral"
    if signal == improvement:
        return "special_cause_improvement"
    return "special_cause_concern"


def _reference_series(y: list[float], segment: list[int], cfg: SpcConfig) -> dict[str, list]:
    out: dict[str, list] = {k: [] for k in _POINT_COLUMNS}
    for s in sorted(set(segment)):
        ys = [v for v, g in zip(y, segment, strict=True) if g == s]
        for k, v in _reference_segment(ys, cfg).items():
            out[k].extend(v)
    return out


def _reference_segment(ys: list[float], cfg: SpcConfig) -> dict[str, list]:
    n = len(ys)
    mean = sum(ys) / n
    mr = [None] + [abs(ys[i] - ys[i - 1]) for i in range(1, n)]
    kept = [m for m in mr if m is not None]
    amr = sum(kept) / len(kept) if kept else float("nan")
    if cfg.screen_outliers and kept:
        kept = [m for m in kept if not (m >= SCREEN * amr and m > 0)]
        amr = sum(kept) / len(kept) if kept else float("nan")
    used = [m is not None and m in kept for m in mr]
    lo, hi = mean - LIMIT * amr, mean + LIMIT * amr
    outside = [v > hi or v < lo for v in ys]
    side = [(v > mean) - (v < mean) for v in ys]
    near = [not o and abs(v - mean) > LIMIT * amr * 2 / 3 for v, o in zip(ys, outside, strict=True)]
    run, two = [False] * n, [False] * n
    for start in range(n - cfg.run_length + 1):
        window = side[start : start + cfg.run_length]
        if window[0] != 0 and all(w == window[0] for w in window):
            run[start : start + cfg.run_length] = [True] * cfg.run_length
    # Windows are visited left to right and a later one overwrites: a point shared
    # by a rise and a fall belongs to the trend it starts.
    travel = [0] * n
    for start in range(n - cfg.trend_length + 1):
        w = ys[start : start + cfg.trend_length]
        steps = [w[i + 1] - w[i] for i in range(len(w) - 1)]
        if all(d > 0 for d in steps) or all(d < 0 for d in steps):
            travel[start : start + cfg.trend_length] = [1 if steps[0] > 0 else -1] * len(w)
    trend = [t != 0 for t in travel]
    for start in range(n - 2):
        if abs(sum(side[start : start + 3])) == 3 and sum(near[start : start + 3]) >= 2:
            for i in range(start, start + 3):
                two[i] = two[i] or near[i]
    special = [any(t) for t in zip(outside, run, trend, two, strict=True)]
    signal = [
        _reference_signal(*point) for point in zip(side, outside, travel, two, run, strict=True)
    ]
    return {
        "moving_range": mr, "moving_range_used": used, "mean": [mean] * n,
        "mean_moving_range": [amr] * n, "lower_limit": [lo] * n, "upper_limit": [hi] * n,
        "rule_outside_limits": outside, "rule_run": run, "rule_trend": trend,
        "rule_two_of_three": two, "special_cause": special, "side": side, "signal": signal,
    }  # fmt: skip


def _reference_signal(side: int, outside: bool, travel: int, two: bool, run: bool) -> int:
    """The way one point's special cause points; the first rule that applies decides."""
    if outside:
        return side
    if travel != 0:
        return travel
    if two or run:
        return side
    return 0
