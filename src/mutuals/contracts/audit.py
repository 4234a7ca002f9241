"""The objectives audit: did each contract set out what the commissioner wanted?

The six tests are the questions the National Audit Office asked of the Right to
Request contracts (HC 1088, 2011): were there measurable objectives, was a saving
required beyond what the in-house service would have achieved, was the in-house
baseline recorded, were extra benefits contracted, is there a plan if the
provider fails, and how will the contract be evaluated.

:func:`audit_contract` scores one contract; :func:`audit_contracts` scores many
in a fixed number of queries; :func:`portfolio_audit` adds up how many contracts,
and what share of annual contract value, pass each test, by programme, by
commissioner and in total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import polars as pl
from django.db.models import Prefetch, QuerySet

from mutuals.contracts.models import Baseline, Contract, Objective
from mutuals.registry.models import Organisation, ProgrammeMembership

TestCode = Literal[
    "objectives", "savings", "baseline", "extra_benefits", "continuity", "evaluation"
]


@dataclass(frozen=True)
class AuditQuestion:
    code: TestCode
    label: str
    question: str


QUESTIONS: tuple[AuditQuestion, ...] = (
    AuditQuestion(
        "objectives",
        "Measurable objectives",
        "Does the contract set measurable objectives (a metric, a target and a deadline)?",
    ),
    AuditQuestion(
        "savings",
        "Savings required",
        "Does the contract require savings beyond what the in-house service would have made?",
    ),
    AuditQuestion("baseline", "Baseline", "Is the in-house baseline (cost and activity) recorded?"),
    AuditQuestion(
        "extra_benefits", "Extra benefits", "Are extra benefits (social value) contracted?"
    ),
    AuditQuestion(
        "continuity",
        "Continuity plan",
        "Is there a plan for continuing the services if the provider fails or the contract ends?",
    ),
    AuditQuestion("evaluation", "Evaluation plan", "Is there a plan for evaluating the contract?"),
)
TEST_CODES: tuple[TestCode, ...] = tuple(q.code for q in QUESTIONS)
_QUESTION = {q.code: q for q in QUESTIONS}
NO_PROGRAMME = "No programme"


@dataclass(frozen=True)
class AuditTest:
    code: TestCode
    question: str
    passed: bool
    detail: str

    @property
    def label(self) -> str:
        return _QUESTION[self.code].label


@dataclass(frozen=True)
class OrganisationRef:
    id: int
    name: str


@dataclass(frozen=True)
class ProgrammeRef:
    code: str
    name: str


@dataclass(frozen=True)
class ContractAudit:
    contract_id: int
    reference: str
    title: str
    status: str
    start_date: date
    end_date: date
    annual_value: Decimal
    provider: OrganisationRef
    commissioners: tuple[OrganisationRef, ...]
    programmes: tuple[ProgrammeRef, ...]
    tests: tuple[AuditTest, ...]

    def test(self, code: TestCode) -> AuditTest:
        return next(t for t in self.tests if t.code == code)

    def passed(self, code: TestCode) -> bool:
        return self.test(code).passed

    @property
    def passed_count(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def failures(self) -> tuple[AuditTest, ...]:
        return tuple(t for t in self.tests if not t.passed)

    @property
    def score(self) -> str:
        return f"{self.passed_count} of {len(self.tests)} tests passed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract_id": self.contract_id,
            "reference": self.reference,
            "title": self.title,
            "status": self.status,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "annual_value": str(self.annual_value),
            "provider": vars(self.provider),
            "commissioners": [vars(c) for c in self.commissioners],
            "programmes": [vars(p) for p in self.programmes],
            "tests": [vars(t) for t in self.tests],
        }


# --- the six tests -------------------------------------------------------------------------


def _objectives_test(objectives: list[Objective]) -> tuple[bool, str]:
    if not objectives:
        return False, "No objectives are recorded."
    measurable = [o for o in objectives if o.is_measurable]
    if len(objectives) == 1 and measurable:
        return True, "The objective is measurable (a metric, a target and a deadline)."
    if measurable:
        verb = "is" if len(measurable) == 1 else "are"
        return True, (
            f"{len(measurable)} of {len(objectives)} objectives {verb} measurable "
            "(a metric, a target and a deadline)."
        )
    reasons = "; ".join(f"'{o.description}' has no {_missing(o)}" for o in objectives)
    if len(objectives) == 1:
        return False, f"The only objective is not measurable: {reasons}."
    return False, f"None of the {len(objectives)} objectives is measurable: {reasons}."


def _missing(objective: Objective) -> str:
    parts = [
        name
        for name, value in (
            ("metric", objective.metric_id),
            ("target", objective.target),
            ("deadline", objective.deadline),
        )
        if value is None
    ]
    return " or ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def _savings_test(contract: Contract) -> tuple[bool, str]:
    pct = contract.savings_requirement_pct
    if pct is None:
        return False, "No saving is required beyond the counterfactual."
    if pct <= 0:
        return False, "The savings requirement is recorded as 0%, so no saving is required."
    shown = format(Decimal(str(pct)).normalize(), "f")
    return True, f"Requires a real-terms saving of {shown}% a year beyond the counterfactual."


def _baseline_test(baseline: Baseline | None) -> tuple[bool, str]:
    if baseline is None:
        return False, "No in-house baseline is recorded, so savings cannot be measured."
    if not baseline.annual_activity or baseline.annual_activity <= 0:
        return False, "A baseline is recorded but with no activity, so it gives no unit cost."
    if baseline.annual_cost is None or baseline.annual_cost <= 0:
        return False, "A baseline is recorded but with no cost, so it gives no unit cost."
    return True, (
        f"In-house cost £{baseline.annual_cost:,.0f} a year for "
        f"{baseline.annual_activity:,.0f} {baseline.activity_unit} "
        f"({baseline.price_year}/{(baseline.price_year + 1) % 100:02d} prices)."
    )


def _text_test(text: str, present: str, absent: str) -> tuple[bool, str]:
    text = (text or "").strip()
    if not text:
        return False, absent
    return True, f"{present}: {text}"


def _tests(contract: Contract, baseline: Baseline | None, objectives) -> tuple[AuditTest, ...]:
    results = {
        "objectives": _objectives_test(list(objectives)),
        "savings": _savings_test(contract),
        "baseline": _baseline_test(baseline),
        "extra_benefits": _text_test(
            contract.extra_benefits, "Contracted", "No extra benefits are contracted."
        ),
        "continuity": _text_test(
            contract.continuity_plan, "Plan", "No continuity or exit plan is recorded."
        ),
        "evaluation": _text_test(
            contract.evaluation_plan, "Plan", "No evaluation plan is recorded."
        ),
    }
    return tuple(AuditTest(code, _QUESTION[code].question, *results[code]) for code in TEST_CODES)


# --- one contract, many contracts -----------------------------------------------------------


def _audit_queryset(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """The contracts with everything the audit reads, in four queries."""
    return contracts.select_related("provider", "baseline").prefetch_related(
        Prefetch("commissioners", queryset=Organisation.objects.only("name").order_by("name")),
        Prefetch("objectives", queryset=Objective.objects.order_by("deadline", "id")),
        Prefetch(
            "provider__programmemembership_set",
            queryset=ProgrammeMembership.objects.filter(role=ProgrammeMembership.Role.SPIN_OUT)
            .select_related("programme")
            .order_by("programme__name"),
            to_attr="spin_out_memberships",
        ),
    )


def _baseline_of(contract: Contract) -> Baseline | None:
    try:
        return contract.baseline
    except Baseline.DoesNotExist:
        return None


def _memberships(contract: Contract) -> list[ProgrammeMembership]:
    prefetched = getattr(contract.provider, "spin_out_memberships", None)
    if prefetched is not None:
        return prefetched
    return list(
        ProgrammeMembership.objects.filter(
            organisation=contract.provider_id, role=ProgrammeMembership.Role.SPIN_OUT
        )
        .select_related("programme")
        .order_by("programme__name")
    )


def _build(contract: Contract) -> ContractAudit:
    return ContractAudit(
        contract_id=contract.pk,
        reference=contract.reference,
        title=contract.title,
        status=contract.status,
        start_date=contract.start_date,
        end_date=contract.end_date,
        annual_value=contract.annual_value,
        provider=OrganisationRef(contract.provider_id, contract.provider.name),
        commissioners=tuple(
            OrganisationRef(c.pk, c.name)
            for c in sorted(contract.commissioners.all(), key=lambda c: (c.name, c.pk))
        ),
        programmes=tuple(
            ProgrammeRef(m.programme.code, m.programme.name) for m in _memberships(contract)
        ),
        tests=_tests(contract, _baseline_of(contract), contract.objectives.all()),
    )


def audit_contract(contract: Contract) -> ContractAudit:
    """Score one contract on the six tests."""
    return _build(contract)


def audit_contracts(contracts: QuerySet[Contract] | None = None) -> list[ContractAudit]:
    """Score every contract in ``contracts`` (default: all) in four queries, by reference."""
    queryset = Contract.objects.all() if contracts is None else contracts
    return [_build(c) for c in _audit_queryset(queryset.order_by("reference", "pk"))]


# --- the portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditTally:
    """How many contracts in a group pass one test, and what share of their value."""

    code: TestCode
    label: str
    passed: int
    share_of_count: float | None
    value_passed: Decimal
    share_of_value: float | None


@dataclass(frozen=True)
class PortfolioRow:
    group: Literal["programme", "commissioner", "total"]
    key: str
    name: str
    contracts: int
    annual_value: Decimal
    tallies: tuple[AuditTally, ...]

    def tally(self, code: TestCode) -> AuditTally:
        return next(t for t in self.tallies if t.code == code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "key": self.key,
            "name": self.name,
            "contracts": self.contracts,
            "annual_value": str(self.annual_value),
            "tests": {
                t.code: {
                    "passed": t.passed,
                    "share_of_count": t.share_of_count,
                    "value_passed": str(t.value_passed),
                    "share_of_value": t.share_of_value,
                }
                for t in self.tallies
            },
        }


@dataclass(frozen=True)
class PortfolioAudit:
    """Rows by programme and by commissioner, and a total row.

    A contract counts in every programme its provider is a spin-out of and under
    every commissioner it has (with its full value), so rows within a grouping
    can add up to more than the total; a provider in no programme falls under
    "No programme".
    """

    contracts: tuple[ContractAudit, ...]
    by_programme: tuple[PortfolioRow, ...]
    by_commissioner: tuple[PortfolioRow, ...]
    total: PortfolioRow

    @property
    def rows(self) -> tuple[PortfolioRow, ...]:
        return (*self.by_programme, *self.by_commissioner, self.total)

    def tidy(self) -> pl.DataFrame:
        """One row per group and test."""
        return pl.DataFrame(
            [
                {
                    "group": row.group,
                    "key": row.key,
                    "name": row.name,
                    "contracts": row.contracts,
                    "annual_value": float(row.annual_value),
                    "test": t.code,
                    "passed": t.passed,
                    "share_of_count": t.share_of_count,
                    "value_passed": float(t.value_passed),
                    "share_of_value": t.share_of_value,
                }
                for row in self.rows
                for t in row.tallies
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": [vars(q) for q in QUESTIONS],
            "total": self.total.to_dict(),
            "by_programme": [r.to_dict() for r in self.by_programme],
            "by_commissioner": [r.to_dict() for r in self.by_commissioner],
        }


def _share(part, whole) -> float | None:
    return float(part / whole) if whole else None


def _row(group, key: str, name: str, audits: list[ContractAudit]) -> PortfolioRow:
    total_value = sum((a.annual_value for a in audits), Decimal("0.00"))
    tallies = []
    for question in QUESTIONS:
        passing = [a for a in audits if a.passed(question.code)]
        value = sum((a.annual_value for a in passing), Decimal("0.00"))
        tallies.append(
            AuditTally(
                code=question.code,
                label=question.label,
                passed=len(passing),
                share_of_count=_share(len(passing), len(audits)),
                value_passed=value,
                share_of_value=_share(value, total_value),
            )
        )
    return PortfolioRow(group, key, name, len(audits), total_value, tuple(tallies))


def _grouped(audits: Iterable[ContractAudit], keys) -> dict[tuple[str, str], list[ContractAudit]]:
    groups: dict[tuple[str, str], list[ContractAudit]] = {}
    for audit in audits:
        for key in keys(audit):
            groups.setdefault(key, []).append(audit)
    return groups


def _programme_keys(audit: ContractAudit) -> list[tuple[str, str]]:
    return [(p.name, p.code) for p in audit.programmes] or [(NO_PROGRAMME, "")]


def _commissioner_keys(audit: ContractAudit) -> list[tuple[str, str]]:
    return [(c.name, str(c.id)) for c in audit.commissioners]


def summarise(audits: list[ContractAudit]) -> PortfolioAudit:
    """Add up contract audits already made into a portfolio."""
    programmes = _grouped(audits, _programme_keys)
    commissioners = _grouped(audits, _commissioner_keys)
    return PortfolioAudit(
        contracts=tuple(audits),
        by_programme=tuple(
            _row("programme", code, name, group)
            for (name, code), group in sorted(
                programmes.items(), key=lambda item: (item[0][0] == NO_PROGRAMME, item[0])
            )
        ),
        by_commissioner=tuple(
            _row("commissioner", key, name, group)
            for (name, key), group in sorted(commissioners.items(), key=lambda i: i[0])
        ),
        total=_row("total", "all", "All contracts", audits),
    )


def portfolio_audit(contracts: QuerySet[Contract] | None = None) -> PortfolioAudit:
    """The objectives audit of ``contracts`` (default: every contract), added up."""
    return summarise(audit_contracts(contracts))
