"""The objectives audit of contracts and of the portfolio, on a hand-built world.

Three contracts, ten million pounds a year between them:

=========  ============  ==========  =========  =====  =====  =====  =====  =====  =====
contract   provider      commission  value £m   obj    sav    base   extra  cont   eval
=========  ============  ==========  =========  =====  =====  =====  =====  =====  =====
C1         P1 (prog X)   A           1          pass   pass   pass   pass   pass   pass
C2         P2 (prog Y)   A, B        3          fail   fail   fail   fail   pass   fail
C3         P3 (none)     B           6          fail   fail   fail   pass   fail   pass
=========  ============  ==========  =========  =====  =====  =====  =====  =====  =====

P2 is also a matched *comparator* in programme X, which must not put C2 under X.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from mutuals.contracts.audit import (
    TEST_CODES,
    audit_contract,
    audit_contracts,
    portfolio_audit,
)
from mutuals.contracts.models import Baseline, Contract, Objective
from mutuals.registry.models import Organisation, Programme, ProgrammeMembership
from mutuals.returns.models import Metric


def _org(name, kind="provider"):
    return Organisation.objects.create(
        name=name, kind=kind, legal_form="company", region="north_east"
    )


def _contract(reference, provider, commissioners, value, **fields):
    contract = Contract.objects.create(
        reference=reference,
        title=f"Services {reference}",
        provider=provider,
        start_date=date(2011, 4, 1),
        end_date=date(2014, 3, 31),
        annual_value=Decimal(value),
        status="active",
        **fields,
    )
    contract.commissioners.set(commissioners)
    return contract


@pytest.fixture
def portfolio(db):
    waits = Metric.objects.create(
        code="waiting-time-weeks", name="Waits", unit="weeks", direction="lower", domain="quality"
    )
    a, b = _org("Alderley PCT", "commissioner"), _org("Bexmoor Council", "commissioner")
    p1, p2, p3 = _org("P1 Health CIC"), _org("P2 Care Co-op"), _org("P3 Practice")
    x = Programme.objects.create(code="x", name="Programme X", kind="right_to_request")
    y = Programme.objects.create(code="y", name="Programme Y", kind="integrated_care")
    ProgrammeMembership.objects.create(programme=x, organisation=p1, role="spin_out")
    ProgrammeMembership.objects.create(programme=y, organisation=p2, role="spin_out")
    ProgrammeMembership.objects.create(programme=x, organisation=p2, role="comparator")

    c1 = _contract(
        "C1",
        p1,
        [a],
        "1000000.00",
        savings_requirement_pct=Decimal("2.00"),
        extra_benefits="Apprenticeships for local young people.",
        continuity_plan="Step-in rights for the commissioner.",
        evaluation_plan="Difference-in-differences against comparators.",
    )
    Objective.objects.create(
        contract=c1,
        description="Waits of at most 6 weeks",
        metric=waits,
        direction="decrease",
        target=6.0,
        deadline=date(2014, 4, 1),
    )
    Objective.objects.create(contract=c1, description="Be a good employer", direction="maintain")
    Baseline.objects.create(
        contract=c1,
        annual_cost=Decimal("900000.00"),
        annual_activity=Decimal("10000.00"),
        activity_unit="contacts",
        price_year=2010,
    )

    c2 = _contract(
        "C2",
        p2,
        [a, b],
        "3000000.00",
        savings_requirement_pct=Decimal("0.00"),
        extra_benefits="   ",
        continuity_plan="Services return to the council.",
    )
    Objective.objects.create(
        contract=c2, description="Cut waits", metric=waits, direction="decrease"
    )
    Baseline.objects.create(
        contract=c2,
        annual_cost=Decimal("2500000.00"),
        annual_activity=Decimal("0.00"),
        activity_unit="contacts",
        price_year=2010,
    )

    _contract(
        "C3",
        p3,
        [b],
        "6000000.00",
        extra_benefits="Local jobs.",
        evaluation_plan="Annual review by the council.",
    )
    return {"a": a, "b": b, "x": x, "y": y}


def _passes(audit):
    return [audit.passed(code) for code in TEST_CODES]


def test_each_contract_is_scored_on_the_six_tests(portfolio):
    c1, c2, c3 = audit_contracts()
    assert [c.reference for c in (c1, c2, c3)] == ["C1", "C2", "C3"]
    # objectives, savings, baseline, extra benefits, continuity, evaluation
    assert _passes(c1) == [True, True, True, True, True, True]
    assert _passes(c2) == [False, False, False, False, True, False]
    assert _passes(c3) == [False, False, False, True, False, True]
    assert (c1.passed_count, c2.passed_count, c3.passed_count) == (6, 1, 2)
    assert c2.score == "1 of 6 tests passed"
    assert [t.code for t in c3.failures] == ["objectives", "savings", "baseline", "continuity"]


def test_the_details_say_why(portfolio):
    c1, c2, c3 = audit_contracts()
    assert c1.test("objectives").detail == (
        "1 of 2 objectives is measurable (a metric, a target and a deadline)."
    )
    assert c1.test("savings").detail == (
        "Requires a real-terms saving of 2% a year beyond the counterfactual."
    )
    assert c1.test("baseline").detail == (
        "In-house cost £900,000 a year for 10,000 contacts (2010/11 prices)."
    )
    assert c1.test("continuity").detail == "Plan: Step-in rights for the commissioner."
    assert c2.test("objectives").detail == (
        "The only objective is not measurable: 'Cut waits' has no target or deadline."
    )
    assert "recorded as 0%" in c2.test("savings").detail
    assert "no activity" in c2.test("baseline").detail
    assert c2.test("extra_benefits").detail == "No extra benefits are contracted."
    assert c3.test("objectives").detail == "No objectives are recorded."
    assert c3.test("baseline").detail.startswith("No in-house baseline is recorded")
    assert c3.test("objectives").question.startswith("Does the contract set measurable")


def test_contract_audit_carries_what_a_page_needs(portfolio):
    c2 = audit_contracts()[1]
    assert c2.annual_value == Decimal("3000000.00")
    assert [c.name for c in c2.commissioners] == ["Alderley PCT", "Bexmoor Council"]
    assert [p.code for p in c2.programmes] == ["y"]  # not x, where P2 is a comparator
    assert c2.provider.name == "P2 Care Co-op"
    assert json.loads(json.dumps(c2.to_dict()))["tests"][4]["passed"] is True


def test_one_contract_unprefetched_matches_the_bulk_audit(portfolio):
    bulk = {a.reference: a for a in audit_contracts()}
    for contract in Contract.objects.all():
        assert audit_contract(contract) == bulk[contract.reference]


def test_auditing_many_contracts_takes_four_queries(portfolio, django_assert_num_queries):
    with django_assert_num_queries(4):
        audits = audit_contracts(Contract.objects.filter(reference__in=["C1", "C3"]))
    assert [a.reference for a in audits] == ["C1", "C3"]


def test_portfolio_total_counts_and_value_shares(portfolio):
    total = portfolio_audit().total
    assert (total.contracts, total.annual_value) == (3, Decimal("10000000.00"))
    expected = {
        # code: (passed, share of count, value passing, share of value)
        "objectives": (1, 1 / 3, Decimal("1000000"), 0.1),  # C1
        "savings": (1, 1 / 3, Decimal("1000000"), 0.1),  # C1
        "baseline": (1, 1 / 3, Decimal("1000000"), 0.1),  # C1
        "extra_benefits": (2, 2 / 3, Decimal("7000000"), 0.7),  # C1 + C3
        "continuity": (2, 2 / 3, Decimal("4000000"), 0.4),  # C1 + C2
        "evaluation": (2, 2 / 3, Decimal("7000000"), 0.7),  # C1 + C3
    }
    for code, (passed, count_share, value, value_share) in expected.items():
        tally = total.tally(code)
        assert tally.passed == passed, code
        assert tally.share_of_count == pytest.approx(count_share)
        assert tally.value_passed == value
        assert tally.share_of_value == pytest.approx(value_share)


def test_portfolio_rows_by_programme_and_commissioner(portfolio):
    result = portfolio_audit()
    assert [(r.name, r.contracts, r.annual_value) for r in result.by_programme] == [
        ("Programme X", 1, Decimal("1000000.00")),
        ("Programme Y", 1, Decimal("3000000.00")),
        ("No programme", 1, Decimal("6000000.00")),
    ]
    x, y, none = result.by_programme
    assert all(t.share_of_value == 1.0 for t in x.tallies)
    assert [t.passed for t in y.tallies] == [0, 0, 0, 0, 1, 0]
    assert none.key == "" and y.key == "y"

    alderley, bexmoor = result.by_commissioner
    # Alderley: C1 (1m) and C2 (3m); Bexmoor: C2 (3m) and C3 (6m), each at full value
    assert (alderley.name, alderley.contracts, alderley.annual_value) == (
        "Alderley PCT",
        2,
        Decimal("4000000.00"),
    )
    assert alderley.key == str(portfolio["a"].pk)
    assert alderley.tally("objectives").share_of_value == pytest.approx(0.25)
    assert alderley.tally("continuity").share_of_value == pytest.approx(1.0)
    assert bexmoor.annual_value == Decimal("9000000.00")
    assert bexmoor.tally("extra_benefits").share_of_value == pytest.approx(6 / 9)
    assert bexmoor.tally("continuity").share_of_value == pytest.approx(3 / 9)
    assert bexmoor.tally("objectives").passed == 0


def test_portfolio_of_a_subset_and_its_tables(portfolio):
    result = portfolio_audit(Contract.objects.filter(provider__name="P3 Practice"))
    assert result.total.contracts == 1
    assert [r.name for r in result.by_programme] == ["No programme"]
    everything = portfolio_audit()
    table = everything.tidy()
    assert table.height == (3 + 2 + 1) * 6
    assert set(table["group"]) == {"programme", "commissioner", "total"}
    payload = json.loads(json.dumps(everything.to_dict()))
    assert payload["total"]["tests"]["extra_benefits"]["value_passed"] == "7000000.00"


def test_an_empty_portfolio_has_no_shares(db):
    result = portfolio_audit()
    assert result.total.contracts == 0 and result.by_programme == ()
    assert result.total.tally("baseline").share_of_value is None
    assert result.total.annual_value == Decimal("0.00")
