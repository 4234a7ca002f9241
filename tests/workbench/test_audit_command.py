"""``mutuals audit`` on the small demo world: its output agrees with the services, and the
services' savings with the engine.

The demo world is loaded once for the module and removed afterwards. The first test runs
before it is loaded, on an empty database (pytest runs a file's tests in order).
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutuals.contracts.audit import audit_contracts, portfolio_audit
from mutuals.contracts.savings import portfolio_savings
from mutuals.demo.catalogue import WORLD_AS_OF
from mutuals.demo.load import load_world, wipe
from mutuals.demo.world import build_world
from mutuals.engine.savings import savings
from mutuals.evaluation.models import Alert
from mutuals.evaluation.risk import portfolio_risk
from mutuals.registry.models import Programme, Service
from mutuals.returns.models import Metric


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_an_empty_database():
    text = run("--as-of", "2020-01-01")
    assert "Objectives audit of 0 contracts worth £0.0m a year" in text
    assert "0 contracts measured; 0 could not be." in text
    assert "Provider-failure risk as of 1 January 2020: 0 high, 0 medium, 0 low" in text
    assert "No provider is at high risk." in text
    payload = json.loads(run("--json", "--as-of", "2020-01-01"))
    assert payload["audit"]["total"]["contracts"] == 0
    assert payload["savings"]["totals"]["price_year"] is None


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_world(build_world("small", seed=2011))
    yield
    with django_db_blocker.unblock():
        Alert.objects.all().delete()
        wipe()
        Metric.objects.all().delete()
        Programme.objects.all().delete()
        Service.objects.all().delete()


@pytest.mark.django_db
def test_text_output_matches_the_services(demo):
    text = run()
    audit = portfolio_audit()
    saved = portfolio_savings(as_of=WORLD_AS_OF)
    risk = portfolio_risk(WORLD_AS_OF)
    total = audit.total
    assert total.contracts == 71
    assert f"Objectives audit of 71 contracts worth £{float(total.annual_value) / 1e6:,.1f}m" in (
        text
    )
    total_line = next(line for line in text.splitlines() if line.startswith("All contracts"))
    for tally in total.tallies:
        assert f"{tally.share_of_value:.0%} ({tally.passed})" in total_line
    for row in audit.by_programme:
        assert f"  {row.name}" in text
    assert "By commissioner" in text
    assert "Savings against the in-house counterfactual, as of 31 December 2019" in text
    t = saved.totals
    assert f"{t.contracts} contracts measured; {len(saved.unavailable)} could not be" in text
    assert f"present value {'-' if t.savings_present_value < 0 else ''}£" in text
    counts = risk.counts
    assert (
        f"Provider-failure risk as of 31 December 2019: {counts['high']} high, "
        f"{counts['medium']} medium, {counts['low']} low ({len(risk.assessments)} providers)."
    ) in text
    for assessment in risk.high:
        assert f"  {assessment.organisation.name}\n" in text
        for reason in assessment.reasons:
            assert reason.sentence in text


@pytest.mark.django_db
def test_json_output_matches_the_services(demo):
    payload = json.loads(run("--json"))
    assert payload["as_of"] == "2019-12-31"
    audit = portfolio_audit()
    for tally in audit.total.tallies:
        shown = payload["audit"]["total"]["tests"][tally.code]
        assert shown["passed"] == tally.passed
        assert shown["share_of_value"] == tally.share_of_value
    assert len(payload["audit"]["by_programme"]) == 3
    saved = portfolio_savings(as_of=WORLD_AS_OF)
    assert payload["savings"]["totals"]["savings_real"] == saved.totals.savings_real
    assert payload["savings"]["unavailable_by_reason"] == saved.unavailable_by_reason()
    risk = portfolio_risk(WORLD_AS_OF)
    assert payload["risk"]["counts"] == risk.counts
    assert [p["organisation"]["name"] for p in payload["risk"]["high"]] == [
        a.organisation.name for a in risk.high
    ]
    assert all(p["rating"] == "high" for p in payload["risk"]["high"])


@pytest.mark.django_db
def test_the_demo_portfolio_is_what_the_generator_built(demo):
    audit = portfolio_audit()
    exemplary = [a for a in audit.contracts if a.passed_count == 6]
    assert len(exemplary) == 5  # the generator's five exemplary contracts
    assert audit.total.tally("objectives").passed == 5
    saved = portfolio_savings(as_of=WORLD_AS_OF)
    # social work practices record their baseline in children, not contacts
    assert saved.unavailable_by_reason()["unit_mismatch"] == 5
    assert saved.totals.contracts + len(saved.unavailable) == 71
    assert saved.totals.price_year == 2010
    assert saved.totals.contracts_with_requirement == 5


@pytest.mark.django_db
def test_every_demo_saving_reconciles_with_the_engine(demo):
    saved = portfolio_savings(as_of=WORLD_AS_OF)
    assert saved.contracts
    for row in saved.contracts:
        again = savings(row.frame, **row.engine_arguments())
        assert again.totals.equals(row.result.totals), row.reference
        assert again.by_year.equals(row.by_year), row.reference
        assert (again.requirement_status, again.shortfall) == (
            row.requirement_status,
            row.shortfall,
        )
    assert saved.totals.savings_real == pytest.approx(sum(r.savings_real for r in saved.contracts))


@pytest.mark.django_db
def test_the_services_query_a_fixed_number_of_times(demo, django_assert_num_queries):
    with django_assert_num_queries(4):
        audit_contracts()
    with django_assert_num_queries(4):
        portfolio_savings(as_of=WORLD_AS_OF)
    with django_assert_num_queries(6):
        portfolio_risk(WORLD_AS_OF)


@pytest.mark.django_db
def test_as_of_option(demo):
    text = run("--as-of", "2012-03-31")
    assert "Provider-failure risk as of 31 March 2012" in text
    assert "as of 31 March 2012" in text
    payload = json.loads(run("--json", "--as-of", "2012-03-31"))
    assert payload["risk"]["as_of"] == "2012-03-31"
    assert portfolio_risk(date(2012, 3, 31)).counts == payload["risk"]["counts"]
    with pytest.raises(CommandError, match="'31/03/2012' is not a date: use YYYY-MM-DD"):
        run("--as-of", "31/03/2012")
