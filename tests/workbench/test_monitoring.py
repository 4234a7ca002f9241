"""Monitoring: alerts for known special causes and failing targets, the atomic replace of
open alerts, the vectorised signals against a plain per-series loop, and ``mutuals monitor``."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from unittest import mock

import numpy as np
import polars as pl
import pytest
from django.core.management import CommandError, call_command

from mutuals.contracts.models import Contract, ContractStatus, Objective, ObjectiveDirection
from mutuals.engine.spc import spc
from mutuals.evaluation import monitoring
from mutuals.evaluation.models import Alert
from mutuals.evaluation.monitoring import provider_spc, run_monitoring, signals
from mutuals.registry.models import LegalForm, Organisation, OrganisationKind, Region
from mutuals.returns.models import Direction, Domain, Metric, Observation, PeriodKind, Submission

FIRST_YEAR = 2015
# Waiting times steady at 10-11 days for 18 quarters, then 30 and 31: the last two points
# lie beyond the upper limit (12.5 + 2.66 x 1 after screening), a concern since lower is
# better. The alert is the episode's first point: 2019-Q3, 30 days.
WAITING = [10.0, 11.0] * 9 + [30.0, 31.0]
# Visits on time steady at 80-81% with limits 77.84 to 83.16: a target of 95 can never be
# met, so assurance is consistently failing (alert at the latest period, 2018-Q4).
VISITS = [80.0, 81.0] * 8
# Too short to judge (fewer than MIN_POINTS), though it jumps.
SHORT = [5.0, 5.0, 5.0, 5.0, 50.0]
# Neither direction is better: a jump is a neutral special cause, never a concern.
NEUTRAL = [10.0, 11.0] * 9 + [30.0, 31.0]


def quarter(index: int) -> tuple[str, dt.date]:
    year, q = FIRST_YEAR + index // 4, index % 4 + 1
    return f"{year}-Q{q}", dt.date(year, 3 * q - 2, 1)


def _organisation(name, kind=OrganisationKind.PROVIDER, **fields):
    legal_form = LegalForm.NHS_COMMISSIONER if kind == "commissioner" else LegalForm.CIC_SHARES
    return Organisation.objects.create(
        name=name, kind=kind, legal_form=legal_form, region=Region.LONDON, **fields
    )


def _metric(code, direction):
    return Metric.objects.create(
        code=code, name=code.replace("-", " ").capitalize(), unit="units",
        direction=direction, domain=Domain.QUALITY,
    )  # fmt: skip


def observe(organisation, metric, values, start=0):
    submission = Submission.objects.create(source=Submission.Source.DEMO)
    Observation.objects.bulk_create(
        Observation(
            organisation=organisation,
            metric=metric,
            period=quarter(start + i)[0],
            period_start=quarter(start + i)[1],
            period_kind=PeriodKind.QUARTER,
            value=value,
            submission=submission,
        )
        for i, value in enumerate(values)
    )


def resubmit(organisation, metric, index, value):
    """A new current version of one quarter's figure; the old one stays, not current."""
    period, start = quarter(index)
    old = Observation.objects.get(
        organisation=organisation, metric=metric, period=period, is_current=True
    )
    old.is_current = False
    old.save(update_fields=["is_current"])
    Observation.objects.create(
        organisation=organisation, metric=metric, period=period, period_start=start,
        period_kind=PeriodKind.QUARTER, value=value, version=old.version + 1,
        submission=Submission.objects.create(source=Submission.Source.UPLOAD),
    )  # fmt: skip


@pytest.fixture
def monitored(db):
    pct = _organisation("Larchford Primary Care Trust", OrganisationKind.COMMISSIONER)
    provider = _organisation("Larchford Community Health CIC", ods_code="NLX01")
    other = _organisation("Wexham Care Co-operative", company_number="RS009001")
    metrics = {
        "waiting": _metric("waiting-days", Direction.LOWER_IS_BETTER),
        "visits": _metric("visits-on-time", Direction.HIGHER_IS_BETTER),
        "short": _metric("new-measure", Direction.HIGHER_IS_BETTER),
        "neutral": _metric("referrals", Direction.NEUTRAL),
    }
    contract = Contract.objects.create(
        reference="LRC-0001", title="Community health in Larchford", provider=provider,
        start_date=dt.date(2015, 1, 1), end_date=dt.date(2020, 12, 31),
        annual_value=Decimal("1000000"), status=ContractStatus.ACTIVE,
    )  # fmt: skip
    contract.commissioners.add(pct)
    objective = Objective.objects.create(
        contract=contract, description="Visits on time", metric=metrics["visits"],
        direction=ObjectiveDirection.INCREASE, target=95, deadline=dt.date(2019, 3, 31),
    )  # fmt: skip
    observe(provider, metrics["waiting"], WAITING)
    observe(provider, metrics["visits"], VISITS)
    observe(provider, metrics["short"], SHORT)
    observe(provider, metrics["neutral"], NEUTRAL)
    observe(other, metrics["waiting"], [10.0, 11.0] * 10)
    return {"provider": provider, "other": other, "objective": objective, **metrics}


def open_alerts():
    return set(
        Alert.objects.filter(is_open=True).values_list(
            "organisation__name", "metric__code", "kind", "period", "rule", "value", "target"
        )
    )


CONCERN = (
    "Larchford Community Health CIC", "waiting-days", "concern", "2019-Q3", "outside_limits",
    30.0, None,
)  # fmt: skip
FAILING = (
    "Larchford Community Health CIC", "visits-on-time", "failing", "2018-Q4",
    "consistently_failing", 81.0, 95.0,
)  # fmt: skip


def test_a_jump_above_the_limit_and_an_unreachable_target_raise_alerts(monitored):
    summary = run_monitoring()
    assert open_alerts() == {CONCERN, FAILING}
    assert (summary.series, summary.points) == (5, 20 + 16 + 5 + 20 + 20)
    assert (summary.opened, summary.kept, summary.closed) == (2, 0, 0)
    assert summary.open_by_kind == {"concern": 1, "failing": 1}
    assert set(summary.seconds) == {"read", "spc", "signals", "store"}


def test_with_no_returns_there_is_nothing_to_chart(db):
    summary = run_monitoring()
    assert (summary.series, summary.points, summary.opened, summary.closed) == (0, 0, 0, 0)


def test_a_rerun_on_the_same_data_keeps_every_alert(monitored):
    run_monitoring()
    before = dict(Alert.objects.values_list("rule", "pk"))
    summary = run_monitoring()
    assert (summary.opened, summary.kept, summary.closed) == (0, 2, 0)
    assert dict(Alert.objects.values_list("rule", "pk")) == before


def test_a_rerun_closes_what_is_no_longer_signalled_and_opens_what_is_new(monitored):
    run_monitoring()
    concern = Alert.objects.get(rule="outside_limits")
    # The jump is corrected; the other provider's waiting times now jump instead.
    resubmit(monitored["provider"], monitored["waiting"], 18, 10.0)
    resubmit(monitored["provider"], monitored["waiting"], 19, 11.0)
    resubmit(monitored["other"], monitored["waiting"], 19, 40.0)
    summary = run_monitoring()
    assert (summary.opened, summary.kept, summary.closed) == (1, 1, 1)
    concern.refresh_from_db()
    assert not concern.is_open, "closed, not deleted"
    assert ("Wexham Care Co-operative", "waiting-days", "concern", "2019-Q4") in {
        alert[:4] for alert in open_alerts()
    }
    # The jump comes back: the same alert reopens rather than a duplicate.
    resubmit(monitored["provider"], monitored["waiting"], 18, 30.0)
    resubmit(monitored["provider"], monitored["waiting"], 19, 31.0)
    summary = run_monitoring()
    assert (summary.opened, summary.kept, summary.closed) == (1, 2, 0)
    concern.refresh_from_db()
    assert concern.is_open
    assert Alert.objects.filter(rule="outside_limits", metric=monitored["waiting"]).count() == 2


def test_a_kept_alert_shows_the_latest_figures(monitored):
    run_monitoring()
    monitored["objective"].target = 97
    monitored["objective"].save()
    summary = run_monitoring()
    assert summary.kept == 2
    assert Alert.objects.get(kind="failing").target == 97


def test_a_failing_run_changes_nothing(monitored):
    run_monitoring()
    resubmit(monitored["provider"], monitored["waiting"], 18, 10.0)
    resubmit(monitored["provider"], monitored["waiting"], 19, 11.0)
    with (
        mock.patch.object(monitoring, "_refresh_figures", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        run_monitoring()
    assert open_alerts() == {CONCERN, FAILING}, "the close was rolled back with the run"


def test_a_run_for_some_organisations_leaves_the_others_alerts_alone(monitored):
    resubmit(monitored["other"], monitored["waiting"], 19, 40.0)
    run_monitoring()
    assert len(open_alerts()) == 3
    resubmit(monitored["provider"], monitored["waiting"], 18, 10.0)
    resubmit(monitored["provider"], monitored["waiting"], 19, 11.0)
    summary = run_monitoring(organisation_ids=[monitored["provider"].pk])
    assert (summary.series, summary.opened, summary.kept, summary.closed) == (4, 0, 1, 1)
    assert {a[0] for a in open_alerts()} == {
        "Larchford Community Health CIC",
        "Wexham Care Co-operative",
    }


def test_a_draft_contract_sets_no_target(monitored):
    Contract.objects.update(status=ContractStatus.DRAFT)
    run_monitoring()
    assert open_alerts() == {CONCERN}


def test_the_active_contracts_target_wins(monitored):
    provider = monitored["provider"]
    ended = Contract.objects.create(
        reference="LRC-0000", title="Earlier", provider=provider,
        start_date=dt.date(2012, 1, 1), end_date=dt.date(2014, 12, 31),
        annual_value=Decimal("1"), status=ContractStatus.ENDED,
    )  # fmt: skip
    Objective.objects.create(
        contract=ended, description="Old", metric=monitored["visits"],
        direction=ObjectiveDirection.INCREASE, target=50, deadline=dt.date(2030, 1, 1),
    )  # fmt: skip
    frame = monitoring.targets([provider.pk])
    assert frame.to_dicts() == [
        {"organisation_id": provider.pk, "metric_id": monitored["visits"].pk, "target": 95.0}
    ]


# Episodes: which concern points raise an alert ------------------------------------------


def _chart_of(values, improvement="decrease"):
    n = len(values)
    data = pl.DataFrame(
        {
            "organisation_id": [1] * n,
            "metric_id": [1] * n,
            "period_kind": ["quarter"] * n,
            "period": [quarter(i)[0] for i in range(n)],
            "value": values,
            "improvement": [improvement] * n,
        }
    )
    no_targets = pl.DataFrame(
        schema={"organisation_id": pl.Int64, "metric_id": pl.Int64, "target": pl.Float64}
    )
    return monitoring.chart(data, no_targets)


def _signals_of(values, improvement="decrease"):
    return signals(_chart_of(values, improvement))


def test_an_episode_is_reported_from_its_first_point_while_it_lasts():
    rows = _signals_of([10.0, 11.0] * 9 + [30.0, 31.0, 32.0]).to_dicts()
    assert [(r["rule"], r["period"], r["value"]) for r in rows] == [
        ("outside_limits", quarter(18)[0], 30.0)
    ]


def test_an_episode_that_ended_more_than_three_points_ago_raises_no_alert():
    base = [10.0, 11.0] * 9
    assert _signals_of([*base, 30.0, 10.0, 11.0]).height == 1  # ended 2 points ago
    assert _signals_of([*base, 30.0, 10.0, 11.0, 10.0]).is_empty()  # ended 3 points ago


def test_the_same_jump_is_an_improvement_when_higher_is_better():
    assert _signals_of(WAITING, improvement="increase").is_empty()


# A recovery: 12 and 18 for eight quarters, then seven quarters rising from 9 to 12, all
# still below the mean (12.9) and inside the limits (2.64 to 23.16): a rising trend that
# is also a run below the mean. The trend decides which way its points point: up.
RECOVERY = [12.0, 18.0] * 4 + [9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0]


def test_a_rising_trend_below_the_mean_is_no_concern_when_higher_is_better():
    assert _signals_of(RECOVERY, improvement="increase").is_empty()
    rows = _signals_of(RECOVERY, improvement="decrease").to_dicts()
    assert ("trend", quarter(8)[0], 9.0) in {(r["rule"], r["period"], r["value"]) for r in rows}


def test_a_concern_is_alerted_under_the_rule_that_decides_it_only():
    """The recovery, when lower is better, is a concern because it rises (a trend); that it
    is also a run below the mean — good news when lower is better — raises no run alert."""
    rules = {r["rule"] for r in _signals_of(RECOVERY, improvement="decrease").to_dicts()}
    assert rules == {"trend"}


def test_a_neutral_trend_below_the_mean_points_high():
    points = monitoring._points_by_series(_chart_of(RECOVERY, "neutral").points)[1, "quarter"]
    last = points[-1]
    assert last.variation == "special_cause_neutral" and last.rules == ("run", "trend")
    assert last.value < last.mean and last.side == "high"
    assert points[0].side is None  # common cause


def _plain_signals(points: pl.DataFrame) -> set[tuple]:
    """The alert rule written as a loop over each series' points, for comparison."""
    expected = set()
    for (org, metric, _kind), series in points.group_by(monitoring.SERIES, maintain_order=True):
        rows = series.sort("period").to_dicts()
        if len(rows) < monitoring.MIN_POINTS:
            continue
        for rule in monitoring.PRECEDENCE:
            earlier = monitoring.PRECEDENCE[: monitoring.PRECEDENCE.index(rule)]
            hit = [
                r["variation"] == "special_cause_concern"
                and r[monitoring.RULES[rule]]
                and not any(r[monitoring.RULES[e]] for e in earlier)
                for r in rows
            ]
            recent = [i for i in range(len(rows)) if hit[i] and i >= len(rows) - 3]
            if not recent:
                continue
            start = recent[-1]
            if any(r["variation"] == "special_cause_improvement" for r in rows[start + 1 :]):
                continue
            while start > 0 and hit[start - 1]:
                start -= 1
            expected.add((org, metric, rows[start]["period"], rule, rows[start]["value"]))
    return expected


def test_vectorised_signals_match_a_plain_loop_on_random_series():
    rng = np.random.default_rng(7)
    frames = []
    for series in range(300):
        n = int(rng.integers(5, 30))
        values = rng.normal(50, 5, n)
        if series % 3 == 0:
            values[-int(rng.integers(1, 8)) :] += rng.choice([-25, 25, 8])
        if series % 5 == 0:
            values += np.arange(n) * rng.choice([-2.0, 2.0])
        frames.append(
            pl.DataFrame(
                {
                    "organisation_id": series // 4,
                    "metric_id": series % 4,
                    "period_kind": "quarter",
                    "period": [quarter(i)[0] for i in range(n)],
                    "value": values.round(1),
                    "improvement": ["increase", "decrease"][series % 2],
                }
            )
        )
    data = pl.concat(frames)
    result = spc(data, by=monitoring.SERIES, improvement_column="improvement")
    found = signals(result).filter(pl.col("kind") == "concern")
    got = {
        (r["organisation_id"], r["metric_id"], r["period"], r["rule"], r["value"])
        for r in found.to_dicts()
    }
    expected = _plain_signals(result.points)
    assert got == expected
    assert len(expected) > 20, "the random series should hold plenty of signals"


# The provider's charts --------------------------------------------------------------------


def test_provider_spc_gives_each_metric_its_points_labels_and_target(monitored):
    charts = {s.metric.code: s for s in provider_spc(monitored["provider"])}
    assert set(charts) == {"waiting-days", "visits-on-time", "new-measure", "referrals"}
    waiting = charts["waiting-days"]
    assert [p.period for p in waiting.points] == [quarter(i)[0] for i in range(20)]
    assert waiting.variation == "special_cause_concern" and waiting.last.side == "high"
    assert waiting.points[-1].rules == ("outside_limits",)
    assert waiting.points[0].period_start == dt.date(2015, 1, 1)
    visits = charts["visits-on-time"]
    assert (visits.target, visits.assurance) == (95.0, "consistently_failing")
    assert visits.assurance_text == "Consistently failing the target"
    assert visits.last.mean == pytest.approx(80.5)
    assert visits.last.upper_limit == pytest.approx(80.5 + 2.66)
    assert not charts["new-measure"].enough_points
    assert charts["referrals"].variation == "special_cause_neutral"
    assert provider_spc(monitored["provider"], metric_codes=["referrals"])[0].metric.code == (
        "referrals"
    )


def test_an_organisation_without_returns_has_no_charts(monitored, db):
    assert provider_spc(_organisation("New Provider CIC")) == []


# The command ------------------------------------------------------------------------------


def test_the_command_prints_what_it_found(monitored):
    out = io.StringIO()
    call_command("monitor", "--quiet", stdout=out)
    text = out.getvalue()
    assert "Charted 5 series (81 points)." in text
    assert "Alerts: 2 opened, 0 kept, 0 closed." in text
    assert "1 special cause of concern, 1 consistently failing the target" in text
    out = io.StringIO()
    call_command("monitor", "--organisation", "NLX01", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert (payload["series"], payload["kept"], payload["opened"]) == (4, 2, 0)


def test_the_command_names_an_unknown_organisation(monitored):
    with pytest.raises(CommandError, match="No organisation has the identifier 'ZZZ99'"):
        call_command("monitor", "--organisation", "ZZZ99")
