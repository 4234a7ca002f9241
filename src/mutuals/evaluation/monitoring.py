"""Monitoring: statistical process control on every series of returns, and the alerts it raises.

A *series* is one organisation's current figures for one metric at one period
kind (quarters, months or years). :func:`run_monitoring` reads every series
with one query into polars, charts them all at once with the engine's
vectorised XmR method (:func:`mutuals.engine.spc.spc`, Making Data Count), and
replaces the set of open :class:`~mutuals.evaluation.models.Alert` rows in one
transaction. :func:`provider_spc` charts one organisation for its page and
reports.

The improvement direction is the metric's (higher or lower is better; neutral
metrics raise no concern and have no assurance). A special cause is of concern
when its signal points the wrong way, as the engine labels it: a trend by its
direction of travel, so a steady rise in a higher-is-better metric is an
improvement even while it is still below the mean. The target is the one set by
an objective of a contract the organisation holds (see :func:`targets`).

Which alerts, and why (a documented choice):

- **Special cause of concern**: for each series and rule, the most recent
  *episode* — an unbroken run of points that are special causes of concern by
  that rule — if it reaches one of the series' last :data:`RECENT_POINTS`
  points. The alert's period is the episode's first period and its value the
  figure reported then. A commissioner wants to know what is going wrong now
  and since when, once: one alert per episode (not one per quarter) stays the
  same alert while the episode goes on, and closes by itself once the series
  has been back to common cause for :data:`RECENT_POINTS` points, or at once
  when a special cause of improvement follows it. Three points cover a
  two-out-of-three signal whose newest point is not itself flagged. Old
  episodes stay visible on the chart, not as alerts.
- **Consistently failing the target**: when the target lies outside the
  latest process limits on the wrong side. The period is the series' latest
  period (where the test was made), the value the latest figure.
- Series shorter than :data:`MIN_POINTS` raise no alerts: their limits are too
  uncertain to judge.

A run is one transaction: new signals are inserted (or reopened, when the same
signal was closed before), open alerts still signalled are kept (their value
and target refreshed if a resubmission changed them), and open alerts no longer
signalled are closed. Two runs at once cannot both insert the same alert: the
second fails on the unique constraint and rolls back whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from mutuals.contracts.models import ContractStatus, Objective
from mutuals.engine.spc import SpcResult, spc
from mutuals.evaluation.models import Alert, AlertKind
from mutuals.registry.models import Organisation
from mutuals.returns.models import CurrentObservation, Metric
from mutuals.returns.periods import parse_period
from mutuals.returns.reading import read_queryset

MIN_POINTS = 12  # three years of quarters; a documented choice, not a rule of the method
RECENT_POINTS = 3
SERIES = ("organisation_id", "metric_id", "period_kind")
ALERT_KEY = ("organisation_id", "metric_id", "kind", "period", "rule")
IMPROVEMENT = {"higher": "increase", "lower": "decrease", "neutral": "neutral"}
# Stored rule name -> the engine's point flag.
RULES = {
    "outside_limits": "rule_outside_limits",
    "run": "rule_run",
    "trend": "rule_trend",
    "two_of_three": "rule_two_of_three",
}
# The rule that decides which way a special cause points, first to last (NHSRplotthedots'
# precedence, as the engine's ``signal``): a concern is alerted under that rule alone.
PRECEDENCE = ("outside_limits", "trend", "two_of_three", "run")
FAILING = "consistently_failing"
RULE_TEXT = {
    "outside_limits": "A point beyond the process limits",
    "run": "7 or more points in a row on one side of the mean",
    "trend": "7 or more points in a row rising or falling",
    "two_of_three": "2 of 3 points close to a process limit",
    FAILING: "The target lies outside the process limits: it will consistently be missed",
}
VARIATION_TEXT = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause variation: improvement",
    "special_cause_concern": "Special cause variation: concern",
    "special_cause_neutral": "Special cause variation (neither better nor worse)",
}
ASSURANCE_TEXT = {
    "consistently_passing": "Consistently passing the target",
    "consistently_failing": "Consistently failing the target",
    "inconsistent": "Inconsistent: may pass or fail the target",
    None: "No target to assure against",
}
SIGNAL_SCHEMA = {
    "organisation_id": pl.Int64,
    "metric_id": pl.Int64,
    "kind": pl.String,
    "period": pl.String,
    "rule": pl.String,
    "value": pl.Float64,
    "target": pl.Float64,
}
_CHUNK = 500


@dataclass(frozen=True)
class MonitoringSummary:
    """What a monitoring run read, found and changed, and how long each stage took."""

    series: int
    points: int
    opened: int
    kept: int
    closed: int
    open_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def lines(self) -> list[str]:
        """The summary as lines of text, for the command and logs."""
        kinds = ", ".join(
            f"{n:,} {AlertKind(kind).label.lower()}"
            for kind, n in sorted(self.open_by_kind.items())
        )
        stages = ", ".join(f"{stage} {s:.2f} s" for stage, s in self.seconds.items())
        return [
            f"Charted {self.series:,} series ({self.points:,} points).",
            f"Alerts: {self.opened:,} opened, {self.kept:,} kept, {self.closed:,} closed.",
            f"Open alerts now: {kinds or 'none'}.",
            f"Time: {stages}; total {self.total_seconds:.2f} s.",
        ]


@dataclass(frozen=True)
class SpcPoint:
    period: str
    period_start: date
    value: float
    mean: float
    lower_limit: float
    upper_limit: float
    variation: str
    rules: tuple[str, ...] = ()
    signal: int = 0

    @property
    def special_cause(self) -> bool:
        return self.variation != "common_cause"

    @property
    def side(self) -> str | None:
        """Which way the point's special cause points: "high", "low" or None (common cause).

        This is the engine's ``signal``, not the side of the mean the point lies on: a
        rising trend that starts below the mean points high, and the variation icon's
        arrow (and a neutral metric's high/low) must say so.
        """
        if self.signal == 0:
            return None
        return "high" if self.signal > 0 else "low"


@dataclass(frozen=True)
class SeriesSpc:
    """One organisation's XmR chart for one metric, ready for a page or a report.

    ``variation`` and ``assurance`` describe the latest point; judge them only when
    :attr:`enough_points` (alerts never come from shorter series).
    """

    metric: Metric
    period_kind: str
    points: tuple[SpcPoint, ...]
    variation: str
    assurance: str | None
    target: float | None

    @property
    def enough_points(self) -> bool:
        return len(self.points) >= MIN_POINTS

    @property
    def variation_text(self) -> str:
        return VARIATION_TEXT[self.variation]

    @property
    def assurance_text(self) -> str:
        if self.assurance is None and self.target is not None:
            return "Not assessed: neither higher nor lower is better for this metric"
        return ASSURANCE_TEXT[self.assurance]

    @property
    def last(self) -> SpcPoint:
        return self.points[-1]


def run_monitoring(*, organisation_ids: Iterable[int] | None = None) -> MonitoringSummary:
    """Chart every current series (or those of some organisations) and replace the open alerts."""
    ids = None if organisation_ids is None else sorted(set(organisation_ids))
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    data = read_series(ids)
    seconds["read"] = _lap(started)
    result = chart(data, targets(ids))
    seconds["spc"] = _lap(started, seconds)
    wanted = signals(result)
    seconds["signals"] = _lap(started, seconds)
    opened, kept, closed = store_alerts(wanted, ids)
    seconds["store"] = _lap(started, seconds)
    return MonitoringSummary(
        series=result.series.height,
        points=result.points.height,
        opened=opened,
        kept=kept,
        closed=closed,
        open_by_kind=_open_by_kind(ids),
        seconds=seconds,
    )


def _lap(started: float, done: dict[str, float] | None = None) -> float:
    return time.perf_counter() - started - sum((done or {}).values())


def read_series(
    organisation_ids: Sequence[int] | None = None, *, metric_codes: Sequence[str] | None = None
) -> pl.DataFrame:
    """Every current observation (of some organisations or metrics), one query straight into
    polars (no model object per row), with each metric's improvement direction.

    Periods sort as text within a period kind (2011-Q2, 2011-06, 2011/12), so the
    bulk read needs no dates.
    """
    columns = ("organisation_id", "metric_id", "period", "period_kind", "value")
    queryset = CurrentObservation.objects.order_by().values_list(*columns)
    if organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=organisation_ids)
    if metric_codes is not None:
        queryset = queryset.filter(metric__code__in=metric_codes)
    schema = {
        "organisation_id": pl.Int64,
        "metric_id": pl.Int64,
        "period": pl.String,
        "period_kind": pl.String,
        "value": pl.Float64,
    }
    data = read_queryset(queryset, schema, bulk=organisation_ids is None)
    improvement = pl.DataFrame(
        [(pk, IMPROVEMENT[d]) for pk, d in Metric.objects.values_list("pk", "direction")],
        schema={"metric_id": pl.Int64, "improvement": pl.String},
        orient="row",
    )
    return data.join(improvement, on="metric_id", how="left")


def targets(organisation_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """One target per organisation and metric, from the objectives of contracts it holds.

    Drafts do not count. Where several objectives set a target for the same
    metric, an active contract's wins, then the contract ending last, then the
    latest deadline, then the objective recorded last.
    """
    objectives = Objective.objects.filter(metric__isnull=False, target__isnull=False).exclude(
        contract__status=ContractStatus.DRAFT
    )
    if organisation_ids is not None:
        objectives = objectives.filter(contract__provider_id__in=organisation_ids)
    rows = objectives.values_list(
        "contract__provider_id", "metric_id", "target", "contract__status",
        "contract__end_date", "deadline", "pk",
    )  # fmt: skip
    chosen: dict[tuple[int, int], float] = {}
    for organisation_id, metric_id, target, *_ in sorted(rows, key=_objective_priority):
        chosen.setdefault((organisation_id, metric_id), target)
    return pl.DataFrame(
        [(*key, target) for key, target in chosen.items()],
        schema={"organisation_id": pl.Int64, "metric_id": pl.Int64, "target": pl.Float64},
        orient="row",
    )


def _objective_priority(row: tuple) -> tuple:
    """Sort key putting the objective whose target counts first (objectives are few)."""
    *_, status, end_date, deadline, pk = row
    return (
        status != ContractStatus.ACTIVE,
        -(end_date or date.min).toordinal(),
        -(deadline or date.min).toordinal(),
        -pk,
    )


def chart(data: pl.DataFrame, target_frame: pl.DataFrame) -> SpcResult:
    """XmR charts for every series in ``data``, with each organisation's targets."""
    with_targets = data.join(target_frame, on=["organisation_id", "metric_id"], how="left")
    return spc(
        with_targets,
        value="value",
        time="period",
        by=SERIES,
        improvement_column="improvement",
        target_column="target",
    )


def _positions(points: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted points: the series number, the position counted from the series' end
    (0 = latest) and the series' length, per point."""
    first = points.select(
        (pl.int_range(pl.len()) == 0)
        | pl.any_horizontal(pl.col(c).ne_missing(pl.col(c).shift(1)) for c in SERIES)
    ).to_series()
    series_id = first.cum_sum().to_numpy() - 1
    starts = np.flatnonzero(first.to_numpy())
    lengths = np.diff(np.append(starts, points.height))
    length = np.repeat(lengths, lengths)
    from_end = length - 1 - (np.arange(points.height) - np.repeat(starts, lengths))
    return series_id, from_end, length


def signals(result: SpcResult, recent_points: int = RECENT_POINTS) -> pl.DataFrame:
    """The alerts the charts call for: one row per organisation, metric, kind, period and rule."""
    points = result.points
    if points.is_empty():
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    series_id, from_end, length = _positions(points)
    concern = (points["variation"] == "special_cause_concern").to_numpy() & (length >= MIN_POINTS)
    improvement = (points["variation"] == "special_cause_improvement").to_numpy()
    columns = [*ALERT_KEY, "value", "target"]
    concerns = [
        _latest_episodes(
            points, concern & deciding, improvement, (series_id, from_end), recent_points
        ).with_columns(
            kind=pl.lit(AlertKind.SPECIAL_CAUSE_CONCERN.value),
            rule=pl.lit(rule),
            target=pl.lit(None, pl.Float64),
        )
        for rule, deciding in _deciding_rules(points).items()
    ]
    failing = _failing(result, from_end, length)
    return pl.concat([frame.select(columns) for frame in [*concerns, failing]])


def _deciding_rules(points: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per rule, the points whose special cause that rule decides: flagged by it and by no
    rule before it in :data:`PRECEDENCE`. A rising trend below the mean is a trend, not a
    run below the mean, so it is alerted (or not) as a trend only."""
    taken = np.zeros(points.height, dtype=bool)
    deciding = {}
    for rule in PRECEDENCE:
        flag = points[RULES[rule]].to_numpy().astype(bool)
        deciding[rule] = flag & ~taken
        taken |= flag
    return deciding


def _latest_episodes(
    points: pl.DataFrame,
    flag: np.ndarray,
    improvement: np.ndarray,
    positions: tuple[np.ndarray, np.ndarray],
    recent_points: int,
) -> pl.DataFrame:
    """Per series, the first point of the latest run of flagged points, if that run reaches
    one of the last ``recent_points`` points and no special cause of improvement follows it
    (``flag`` already excludes short series)."""
    series_id, from_end = positions
    index = np.arange(len(flag))
    continues = np.zeros(len(flag), dtype=bool)
    continues[1:] = flag[:-1] & (series_id[1:] == series_id[:-1])
    episode_start = np.maximum.accumulate(np.where(flag & ~continues, index, 0))
    recent = np.flatnonzero(flag & (from_end < recent_points))
    if len(recent) == 0:
        return points.clear().select("organisation_id", "metric_id", "period", "value")
    last = recent[np.append(series_id[recent][1:] != series_id[recent][:-1], True)]
    later = np.zeros(len(last), dtype=bool)
    for offset in range(1, recent_points):
        after = from_end[last] >= offset  # the series goes on that far
        later[after] |= improvement[last[after] + offset]
    return points[episode_start[last[~later]]].select(
        "organisation_id", "metric_id", "period", "value"
    )


def _failing(result: SpcResult, from_end: np.ndarray, length: np.ndarray) -> pl.DataFrame:
    latest = result.points.filter(pl.Series(from_end == 0) & pl.Series(length >= MIN_POINTS))
    failing = result.series.filter(pl.col("assurance") == FAILING).select(*SERIES, "target")
    return latest.join(failing, on=list(SERIES), how="inner").select(
        "organisation_id",
        "metric_id",
        pl.lit(AlertKind.FAILING_ASSURANCE.value).alias("kind"),
        "period",
        pl.lit(FAILING).alias("rule"),
        "value",
        "target",
    )


def store_alerts(
    wanted: pl.DataFrame, organisation_ids: Sequence[int] | None = None
) -> tuple[int, int, int]:
    """Make the open alerts (of these organisations, or all) exactly ``wanted``, atomically.

    Returns how many were opened (inserted or reopened), kept and closed.
    """
    with transaction.atomic():
        existing = _existing_alerts(organisation_ids)
        joined = wanted.with_columns(wanted=pl.lit(True)).join(
            existing, on=list(ALERT_KEY), how="full", coalesce=True, suffix="_stored"
        )
        wanted_rows = pl.col("wanted").fill_null(False)
        insert = joined.filter(wanted_rows & pl.col("id").is_null())
        reopen = joined.filter(wanted_rows & pl.col("id").is_not_null() & ~pl.col("is_open"))
        keep = joined.filter(wanted_rows & pl.col("is_open").fill_null(False))
        close = joined.filter(~wanted_rows & pl.col("is_open"))
        Alert.objects.bulk_create(
            [
                Alert(**row)
                for row in insert.select(*ALERT_KEY, "value", "target").iter_rows(named=True)
            ],
            batch_size=2_000,
        )
        now = timezone.now()
        for chunk in _chunks(reopen["id"].to_list()):
            Alert.objects.filter(pk__in=chunk).update(is_open=True, detected_at=now)
        for chunk in _chunks(close["id"].to_list()):
            Alert.objects.filter(pk__in=chunk).update(is_open=False)
        _refresh_figures(pl.concat([keep, reopen]))
    return insert.height + reopen.height, keep.height, close.height


def _existing_alerts(organisation_ids: Sequence[int] | None) -> pl.DataFrame:
    alerts = Alert.objects.order_by()
    if organisation_ids is not None:
        alerts = alerts.filter(organisation_id__in=organisation_ids)
    rows = list(alerts.values_list("id", *ALERT_KEY, "is_open", "value", "target"))
    schema = {"id": pl.Int64, **SIGNAL_SCHEMA, "is_open": pl.Boolean}
    columns = ["id", *ALERT_KEY, "is_open", "value", "target"]
    return pl.DataFrame(rows, schema={c: schema[c] for c in columns}, orient="row")


def _refresh_figures(stored: pl.DataFrame) -> None:
    """A kept or reopened alert shows the figures of this run (a resubmission may change them)."""
    changed = stored.filter(
        pl.col("value").ne_missing(pl.col("value_stored"))
        | pl.col("target").ne_missing(pl.col("target_stored"))
    )
    if changed.is_empty():
        return
    alerts = [
        Alert(pk=row["id"], value=row["value"], target=row["target"])
        for row in changed.iter_rows(named=True)
    ]
    Alert.objects.bulk_update(alerts, ["value", "target"], batch_size=_CHUNK)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _open_by_kind(organisation_ids: Sequence[int] | None) -> dict[str, int]:
    alerts = Alert.objects.filter(is_open=True)
    if organisation_ids is not None:
        alerts = alerts.filter(organisation_id__in=organisation_ids)
    return dict(alerts.order_by().values_list("kind").annotate(n=Count("pk")))


def open_alerts(organisation: Organisation) -> list[Alert]:
    """The organisation's open alerts, by metric and most recent period first."""
    return list(
        Alert.objects.filter(organisation=organisation, is_open=True)
        .select_related("metric")
        .order_by("metric__name", "-period", "kind", "rule")
    )


def provider_spc(
    organisation: Organisation, *, metric_codes: Sequence[str] | None = None
) -> list[SeriesSpc]:
    """XmR charts of every metric the organisation reports (or of some), in catalogue order.

    The caller decides who may see them: these are the organisation's returns.
    """
    data = read_series([organisation.pk], metric_codes=metric_codes)
    if data.is_empty():
        return []
    metrics = Metric.objects.in_bulk(data["metric_id"].unique().to_list())
    result = chart(data, targets([organisation.pk]))
    points = _points_by_series(result.points)
    charts = [
        SeriesSpc(
            metric=metrics[summary["metric_id"]],
            period_kind=summary["period_kind"],
            points=points[summary["metric_id"], summary["period_kind"]],
            variation=summary["variation"],
            assurance=summary["assurance"],
            target=summary["target"],
        )
        for summary in result.series.iter_rows(named=True)
    ]
    return sorted(charts, key=lambda s: (s.metric.domain, s.metric.name, s.period_kind))


# Each combination of rule flags (a bit per rule) -> the rules' names.
_RULE_SETS = {
    mask: tuple(rule for bit, rule in enumerate(RULES) if mask >> bit & 1)
    for mask in range(2 ** len(RULES))
}


def _points_by_series(points: pl.DataFrame) -> dict[tuple[int, str], tuple[SpcPoint, ...]]:
    """Each series' points in time order (the engine sorts them), in one pass."""
    mask = pl.sum_horizontal(
        pl.col(flag).cast(pl.UInt8) * (1 << bit) for bit, flag in enumerate(RULES.values())
    )
    table = points.select(
        "metric_id", "period_kind", "period", "value", "mean", "lower_limit", "upper_limit",
        "variation", mask.alias("mask"), "signal",
    )  # fmt: skip
    starts = {label: parse_period(label).start for label in points["period"].unique()}
    grouped: dict[tuple[int, str], list[SpcPoint]] = {}
    for row in table.iter_rows():
        metric_id, kind, period, value, mean, low, high, variation, rules, signal = row
        point = SpcPoint(
            period, starts[period], value, mean, low, high, variation, _RULE_SETS[rules], signal
        )
        grouped.setdefault((metric_id, kind), []).append(point)
    return {key: tuple(series) for key, series in grouped.items()}
