"""Provider-failure risk: how likely a spin-out is to fail, and whether the services would
continue if it did.

The National Audit Office warned that the commissioner stays responsible for
essential services in the last resort, and found the new enterprises highly
dependent on their parent body's work and cash flow. Five factors are read for
each provider as of a date:

- **income concentration**: the share of the provider's income from its largest
  commissioner. Income is the value of its contracts live on the date (a contract
  with several commissioners divided equally between them), or the ``income``
  returned over the last twelve months when that is larger (other income dilutes
  the dependence);
- **cash days** and **operating margin**: the latest return on or before the date;
- **contract-expiry cliff**: the share of live contract value ending within twelve
  months of the date;
- **SPC concerns**: open special-cause-of-concern alerts on the provider's returns
  (open now: alerts have no as-of date).

A factor *fires* past its threshold, is *clear* inside it, or is *unknown* when the
data are missing or more than a year old. The rating is **high** when a factor fires
at its severe level or :attr:`RiskThresholds.high_when_fired` factors fire,
**medium** when any fires, else **low**. Every threshold is a documented choice in
:class:`RiskThresholds`, not an official definition. Each assessment also says
whether the provider's live contracts have a continuity plan.

Returns stored for a period no return can be for (outside :mod:`mutuals.returns.span`,
as rows written before that rule was kept can be) are left out, and the date arithmetic
saturates at the first and last day a ``date`` holds, so an as-of of 31 December 9999
gives an answer, not an overflow.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import polars as pl
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from mutuals.contracts.audit import OrganisationRef
from mutuals.contracts.models import Contract, ContractStatus
from mutuals.evaluation.models import Alert, AlertKind
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.returns.coverage import returns_coverage
from mutuals.returns.models import CurrentObservation, Observation
from mutuals.returns.periods import first_of_month_after
from mutuals.returns.span import returns_span

Rating = Literal["low", "medium", "high"]
FactorStatus = Literal["fired", "clear", "unknown"]
RATINGS: tuple[Rating, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class RiskThresholds:
    """Where each factor fires. The defaults are a documented choice:

    - ``concentration``: more than 75% of income from one commissioner;
    - ``cash_days`` below 15 days of spending (severe below 10);
    - ``margin_pct`` below 0% (a deficit; severe below −3%);
    - ``expiry_share``: at least half of live contract value ends within
      ``expiry_months`` months;
    - ``spc_concerns``: at least one open special-cause-of-concern alert;
    - returns older than ``stale_days`` before the as-of date count as unknown;
    - ``high_when_fired`` factors firing together rate the provider high.
    """

    concentration: float = 0.75
    cash_days: float = 15.0
    cash_days_severe: float = 10.0
    margin_pct: float = 0.0
    margin_severe_pct: float = -3.0
    expiry_share: float = 0.5
    expiry_months: int = 12
    spc_concerns: int = 1
    stale_days: int = 366
    high_when_fired: int = 3
    cash_days_metric: str = "cash-days"
    margin_metric: str = "operating-margin"
    income_metric: str = "income"


DEFAULT_THRESHOLDS = RiskThresholds()


@dataclass(frozen=True)
class RiskFactor:
    code: str
    label: str
    status: FactorStatus
    value: float | None
    threshold: float
    sentence: str
    severe: bool = False

    @property
    def fired(self) -> bool:
        return self.status == "fired"


@dataclass(frozen=True)
class ContinuityCover:
    """Whether the provider's live contracts say how services continue if it fails."""

    live_contracts: int
    with_plan: int
    without_plan: tuple[str, ...]

    @property
    def all_covered(self) -> bool | None:
        return None if not self.live_contracts else not self.without_plan

    @property
    def sentence(self) -> str:
        if not self.live_contracts:
            return "No live contracts, so no continuity plan is needed."
        if not self.without_plan:
            if self.live_contracts == 1:
                return "The live contract has a continuity plan."
            return f"All {self.live_contracts} live contracts have a continuity plan."
        consequence = (
            "if the provider fails the commissioner has no agreed way to keep the services running."
        )
        if self.live_contracts == 1:
            return f"The live contract {self.without_plan[0]} has no continuity plan: {consequence}"
        verb = "has" if len(self.without_plan) == 1 else "have"
        return (
            f"{len(self.without_plan)} of {self.live_contracts} live contracts {verb} no "
            f"continuity plan ({', '.join(self.without_plan)}): {consequence}"
        )


@dataclass(frozen=True)
class RiskAssessment:
    organisation: OrganisationRef
    as_of: date
    rating: Rating
    factors: tuple[RiskFactor, ...]
    live_contract_value: Decimal
    continuity: ContinuityCover

    @property
    def reasons(self) -> tuple[RiskFactor, ...]:
        """The factors that fired: why the rating is what it is."""
        return tuple(f for f in self.factors if f.fired)

    @property
    def unknown(self) -> tuple[RiskFactor, ...]:
        return tuple(f for f in self.factors if f.status == "unknown")

    def factor(self, code: str) -> RiskFactor:
        return next(f for f in self.factors if f.code == code)

    @property
    def summary(self) -> str:
        if not self.reasons:
            return f"{self.rating.capitalize()} risk: no factor is past its threshold."
        names = ", ".join(f.label.lower() for f in self.reasons)
        return f"{self.rating.capitalize()} risk: {names}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "organisation": vars(self.organisation),
            "as_of": self.as_of.isoformat(),
            "rating": self.rating,
            "summary": self.summary,
            "live_contract_value": str(self.live_contract_value),
            "factors": [vars(f) for f in self.factors],
            "continuity": {
                **vars(self.continuity),
                "without_plan": list(self.continuity.without_plan),
                "sentence": self.continuity.sentence,
            },
        }


# --- the as-of date ---------------------------------------------------------------------------


def period_end(start: date, kind: str) -> date:
    """The last day of a quarter, month or financial year starting on ``start`` (the last
    day a ``date`` holds, for a period running past it)."""
    months = {"quarter": 3, "month": 1, "year": 12}[kind]
    following = first_of_month_after(start, months)
    return date.max if following is None else following - timedelta(days=1)


def returns_as_of(today: date | None = None) -> date:
    """The date the returns run to: the end of the latest quarter whose returns are
    substantially complete (never after today), so that one provider's early return
    cannot move every provider's risk; today when there are no returns. The rule is
    :mod:`mutuals.returns.coverage`'s."""
    return returns_coverage(today).as_of


def _months_later(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), or the last (first) day a ``date`` holds."""
    first = first_of_month_after(day, months)
    if first is None:
        return date.max if months > 0 else date.min
    last_day = calendar.monthrange(first.year, first.month)[1]
    return first.replace(day=min(day.day, last_day))


# --- reading the data in a few queries ---------------------------------------------------------


@dataclass(frozen=True)
class _Latest:
    value: float
    period: str
    start: date


def _providers_with_latest(
    providers: QuerySet[Organisation], metrics: tuple[str, ...], as_of: date
) -> tuple[list[tuple[int, str]], dict[int, dict[str, _Latest]]]:
    """The providers (id, name) in order, and for each the latest current return of each
    metric on or before ``as_of``: two queries."""

    span = returns_span()

    def latest(code: str):
        return Subquery(
            Observation.objects.filter(
                span.stored(),
                organisation=OuterRef("pk"),
                metric__code=code,
                is_current=True,
                period_start__lte=as_of,
            )
            .order_by("-period_start", "-pk")
            .values("pk")[:1]
        )

    columns = [f"latest_{i}" for i in range(len(metrics))]
    annotated = providers.annotate(
        **{c: latest(code) for c, code in zip(columns, metrics, strict=True)}
    )
    rows = list(annotated.values("pk", "name", *columns))
    wanted = {
        row[column]: code
        for row in rows
        for column, code in zip(columns, metrics, strict=True)
        if row[column] is not None
    }
    found: dict[int, dict[str, _Latest]] = defaultdict(dict)
    for pk, org, period, start, value in CurrentObservation.objects.filter(
        pk__in=list(wanted)
    ).values_list("pk", "organisation_id", "period", "period_start", "value"):
        found[org][wanted[pk]] = _Latest(value, period, start)
    return [(row["pk"], row["name"]) for row in rows], found


def _income(provider_ids: list[int], code: str, as_of: date) -> dict[int, float]:
    """Income returned over the twelve months to ``as_of``, in the latest period kind."""
    rows = CurrentObservation.objects.filter(
        returns_span().stored(),
        organisation_id__in=provider_ids,
        metric__code=code,
        period_start__gt=_months_later(as_of, -12),
        period_start__lte=as_of,
    ).values_list("organisation_id", "period_kind", "period_start", "value")
    by_kind: dict[int, dict[str, list[tuple[date, float]]]] = defaultdict(dict)
    for org, kind, start, value in rows:
        by_kind[org].setdefault(kind, []).append((start, value))
    income = {}
    for org, kinds in by_kind.items():
        kind = max(kinds, key=lambda k: max(start for start, _ in kinds[k]))
        income[org] = sum(value for _, value in kinds[kind])
    return income


def _live_contracts(provider_ids: list[int], as_of: date) -> dict[int, list[Contract]]:
    contracts = (
        Contract.objects.filter(
            provider_id__in=provider_ids, start_date__lte=as_of, end_date__gte=as_of
        )
        .exclude(status=ContractStatus.DRAFT)
        .prefetch_related(
            Prefetch("commissioners", queryset=Organisation.objects.only("name").order_by("pk"))
        )
        .order_by("reference")
    )
    found: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        found[contract.provider_id].append(contract)
    return found


def _open_concerns(provider_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for org, name in (
        Alert.objects.filter(
            organisation_id__in=provider_ids, kind=AlertKind.SPECIAL_CAUSE_CONCERN, is_open=True
        )
        .order_by("metric__name", "period")
        .values_list("organisation_id", "metric__name")
    ):
        found[org].append(name)
    return found


# --- the factors -------------------------------------------------------------------------------


def _money(value: float | Decimal) -> str:
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"£{value / 1_000_000:,.1f}m"
    return f"£{value:,.0f}"


FACTOR_LABELS = {
    "income_concentration": "Income concentration",
    "cash_days": "Cash days",
    "operating_margin": "Operating margin",
    "expiry_cliff": "Contract-expiry cliff",
    "spc_concerns": "SPC concerns",
}


def _factor(code: str, value: float, threshold: float, fired: bool, sentence: str, severe=False):
    status: FactorStatus = "fired" if fired else "clear"
    return RiskFactor(code, FACTOR_LABELS[code], status, value, threshold, sentence, severe)


def _unknown(code: str, threshold: float, sentence: str) -> RiskFactor:
    return RiskFactor(code, FACTOR_LABELS[code], "unknown", None, threshold, sentence)


def _concentration(contracts: list[Contract], income: float | None, t: RiskThresholds):
    by_commissioner: dict[int, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    for contract in contracts:
        commissioners = list(contract.commissioners.all())
        for c in commissioners:
            by_commissioner[c.pk] += contract.annual_value / len(commissioners)
            names[c.pk] = c.name
    total = float(sum(by_commissioner.values(), Decimal(0)))
    if not total:
        return _unknown(
            "income_concentration",
            t.concentration,
            "No live contract income is recorded, so dependence on one commissioner is unknown.",
        )
    largest = max(by_commissioner, key=lambda pk: (by_commissioner[pk], -pk))
    base, source = total, "live contract income"
    if income is not None and income > total:
        base, source = income, "income returned over the last twelve months"
    share = float(by_commissioner[largest]) / base
    sentence = (
        f"{share:.0%} of the provider's {_money(base)} a year of {source} comes from "
        f"{names[largest]}; more than {t.concentration:.0%} from one commissioner is a risk."
    )
    return _factor(
        "income_concentration", share, t.concentration, share > t.concentration, sentence
    )


def _stale(latest: _Latest | None, as_of: date, t: RiskThresholds) -> bool:
    return latest is None or (as_of - latest.start).days > t.stale_days


def _missing_return(code: str, threshold: float, latest: _Latest | None, metric: str):
    if latest is None:
        return _unknown(
            code, threshold, f"No '{metric}' return has been received, so this is unknown."
        )
    return _unknown(
        code,
        threshold,
        f"The latest '{metric}' return is for {latest.period}, more than a year old, "
        "so this is unknown.",
    )


def _cash_days(latest: _Latest | None, as_of: date, t: RiskThresholds) -> RiskFactor:
    if _stale(latest, as_of, t):
        return _missing_return("cash_days", t.cash_days, latest, t.cash_days_metric)
    value = latest.value
    sentence = (
        f"Cash would cover {value:g} days of spending ({latest.period} return); fewer than "
        f"{t.cash_days:g} days is a risk and fewer than {t.cash_days_severe:g} a high risk."
    )
    return _factor(
        "cash_days", value, t.cash_days, value < t.cash_days, sentence, value < t.cash_days_severe
    )


def _margin(latest: _Latest | None, as_of: date, t: RiskThresholds) -> RiskFactor:
    if _stale(latest, as_of, t):
        return _missing_return("operating_margin", t.margin_pct, latest, t.margin_metric)
    value = latest.value
    what = f"a deficit of {-value:g}%" if value < 0 else f"a surplus of {value:g}%"
    sentence = (
        f"The provider reported {what} of income ({latest.period} return); a margin below "
        f"{t.margin_pct:g}% is a risk and below {t.margin_severe_pct:g}% a high risk."
    )
    return _factor(
        "operating_margin",
        value,
        t.margin_pct,
        value < t.margin_pct,
        sentence,
        value < t.margin_severe_pct,
    )


def _expiry(contracts: list[Contract], as_of: date, t: RiskThresholds) -> RiskFactor:
    total = sum((c.annual_value for c in contracts), Decimal(0))
    if not total:
        return _unknown(
            "expiry_cliff",
            t.expiry_share,
            "No live contract value is recorded, so there is no expiry cliff to measure.",
        )
    horizon = _months_later(as_of, t.expiry_months)
    ending = [c for c in contracts if c.end_date <= horizon]
    share = float(sum((c.annual_value for c in ending), Decimal(0)) / total)
    which = f" ({', '.join(c.reference for c in ending)})" if ending else ""
    sentence = (
        f"{share:.0%} of live contract value ends by {horizon:%-d %B %Y}{which}; "
        f"{t.expiry_share:.0%} or more ending within {t.expiry_months} months is a risk."
    )
    return _factor("expiry_cliff", share, t.expiry_share, share >= t.expiry_share, sentence)


def _concerns(names: list[str], t: RiskThresholds) -> RiskFactor:
    count = len(names)
    if count:
        found = f"{count} open special-cause concern(s) in the returns ({', '.join(sorted(set(names)))})"
    else:
        found = "No open special-cause concerns in the returns"
    sentence = f"{found}; {t.spc_concerns} or more is a risk."
    return _factor(
        "spc_concerns", float(count), float(t.spc_concerns), count >= t.spc_concerns, sentence
    )


def _rating(factors: list[RiskFactor], t: RiskThresholds) -> Rating:
    fired = [f for f in factors if f.fired]
    if any(f.severe for f in fired) or len(fired) >= t.high_when_fired:
        return "high"
    return "medium" if fired else "low"


def _continuity(contracts: list[Contract]) -> ContinuityCover:
    without = tuple(c.reference for c in contracts if not c.continuity_plan.strip())
    return ContinuityCover(len(contracts), len(contracts) - len(without), without)


# --- the services ------------------------------------------------------------------------------


def _assess_all(
    providers: QuerySet[Organisation], as_of: date, t: RiskThresholds
) -> list[RiskAssessment]:
    rows, latest = _providers_with_latest(
        providers.order_by("name", "pk"), (t.cash_days_metric, t.margin_metric), as_of
    )
    ids = [pk for pk, _ in rows]
    income = _income(ids, t.income_metric, as_of)
    contracts = _live_contracts(ids, as_of)
    concerns = _open_concerns(ids)
    assessments = []
    for pk, name in rows:
        live = contracts.get(pk, [])
        figures = latest.get(pk, {})
        factors = [
            _concentration(live, income.get(pk), t),
            _cash_days(figures.get(t.cash_days_metric), as_of, t),
            _margin(figures.get(t.margin_metric), as_of, t),
            _expiry(live, as_of, t),
            _concerns(concerns.get(pk, []), t),
        ]
        assessments.append(
            RiskAssessment(
                organisation=OrganisationRef(pk, name),
                as_of=as_of,
                rating=_rating(factors, t),
                factors=tuple(factors),
                live_contract_value=sum((c.annual_value for c in live), Decimal("0.00")),
                continuity=_continuity(live),
            )
        )
    return assessments


def failure_risk(
    organisation: Organisation,
    as_of: date | None = None,
    *,
    thresholds: RiskThresholds = DEFAULT_THRESHOLDS,
) -> RiskAssessment:
    """The failure risk of one provider as of ``as_of`` (default: :func:`returns_as_of`)."""
    as_of = as_of or returns_as_of()
    return _assess_all(Organisation.objects.filter(pk=organisation.pk), as_of, thresholds)[0]


@dataclass(frozen=True)
class PortfolioRisk:
    as_of: date
    thresholds: RiskThresholds
    assessments: tuple[RiskAssessment, ...]  # high first, then medium, then low; by name

    @property
    def counts(self) -> dict[Rating, int]:
        return {r: sum(a.rating == r for a in self.assessments) for r in RATINGS}

    def rated(self, rating: Rating) -> tuple[RiskAssessment, ...]:
        return tuple(a for a in self.assessments if a.rating == rating)

    @property
    def high(self) -> tuple[RiskAssessment, ...]:
        return self.rated("high")

    @property
    def without_continuity_plan(self) -> tuple[RiskAssessment, ...]:
        return tuple(a for a in self.assessments if a.continuity.all_covered is False)

    def tidy(self) -> pl.DataFrame:
        """One row per provider and factor."""
        return pl.DataFrame(
            [
                {
                    "organisation_id": a.organisation.id,
                    "organisation": a.organisation.name,
                    "rating": a.rating,
                    "factor": f.code,
                    "status": f.status,
                    "value": f.value,
                    "threshold": f.threshold,
                    "severe": f.severe,
                }
                for a in self.assessments
                for f in a.factors
            ],
            schema_overrides={"value": pl.Float64, "threshold": pl.Float64},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "thresholds": vars(self.thresholds),
            "counts": self.counts,
            "providers": [a.to_dict() for a in self.assessments],
        }


def assessed_providers(as_of: date) -> QuerySet[Organisation]:
    """Spin-out providers delivering services on ``as_of``: spun out by then, not yet exited."""
    return Organisation.objects.filter(kind=OrganisationKind.PROVIDER).filter(
        Q(spinout_date__isnull=True) | Q(spinout_date__lte=as_of),
        Q(exit_date__isnull=True) | Q(exit_date__gt=as_of),
    )


def portfolio_risk(
    as_of: date | None = None,
    *,
    providers: QuerySet[Organisation] | None = None,
    thresholds: RiskThresholds = DEFAULT_THRESHOLDS,
) -> PortfolioRisk:
    """Failure risk of every provider (default: :func:`assessed_providers`) in six queries,
    after the one that finds the default ``as_of``."""
    as_of = as_of or returns_as_of()
    chosen = assessed_providers(as_of) if providers is None else providers
    assessments = _assess_all(chosen, as_of, thresholds)
    order = {r: i for i, r in enumerate(RATINGS)}
    assessments.sort(key=lambda a: (order[a.rating], a.organisation.name, a.organisation.id))
    return PortfolioRisk(as_of, thresholds, tuple(assessments))
