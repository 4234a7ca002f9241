"""The figures a report or a workbench page shows, gathered once from the services.

:func:`gather_portfolio` and :func:`gather_provider` call the services that
own each figure — the objectives audit (:mod:`mutuals.contracts.audit`),
savings against the counterfactual (:mod:`mutuals.contracts.savings`),
failure risk (:mod:`mutuals.evaluation.risk`), monitoring
(:mod:`mutuals.evaluation.monitoring`) and the stored results of an
evaluation run — and keep their result objects whole, so a page, a report
and a test all read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Min, QuerySet

from mutuals.contracts.audit import ContractAudit, PortfolioAudit, audit_contracts, portfolio_audit
from mutuals.contracts.models import Contract
from mutuals.contracts.savings import PortfolioSavings, portfolio_savings
from mutuals.evaluation.models import Alert, AlertKind, EvaluationResult, EvaluationRun, Method
from mutuals.evaluation.monitoring import SeriesSpc, open_alerts, provider_spc
from mutuals.evaluation.risk import PortfolioRisk, RiskAssessment, failure_risk, portfolio_risk
from mutuals.evaluation.risk import returns_as_of as _returns_as_of
from mutuals.registry.models import Organisation, ProgrammeMembership
from mutuals.returns.coverage import ReturnsCoverage, returns_coverage
from mutuals.returns.models import Observation, Submission
from mutuals.returns.periods import quarter_from_index
from mutuals.returns.summary import current_summary


@dataclass(frozen=True)
class DataSources:
    """What the figures were read from."""

    organisations: dict[str, int]  # by kind
    contracts: int
    metrics: int
    current_observations: int
    all_versions: int
    first_period: date | None
    last_period: date | None
    demo: bool


@dataclass(frozen=True)
class AlertCounts:
    by_kind: dict[str, int]
    providers: int

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def concerns(self) -> int:
        return self.by_kind.get(AlertKind.SPECIAL_CAUSE_CONCERN, 0)

    @property
    def failing(self) -> int:
        return self.by_kind.get(AlertKind.FAILING_ASSURANCE, 0)


@dataclass(frozen=True, eq=False)
class PortfolioFigures:
    as_of: date
    audit: PortfolioAudit
    savings: PortfolioSavings
    risk: PortfolioRisk
    run: EvaluationRun | None
    results: tuple[EvaluationResult, ...]
    alerts: AlertCounts
    data: DataSources
    coverage: ReturnsCoverage | None = None  # how complete the returns are, when read

    @property
    def as_of_sentence(self) -> str:
        """Which quarter the figures are as of and how complete its returns are."""
        return self.coverage.sentence(self.as_of) if self.coverage else ""

    @property
    def cohort_results(self) -> tuple[EvaluationResult, ...]:
        return tuple(r for r in self.results if r.method == Method.DID)

    @property
    def provider_results(self) -> tuple[EvaluationResult, ...]:
        return tuple(r for r in self.results if r.method == Method.SYNTH)


@dataclass(frozen=True, eq=False)
class ProviderFigures:
    organisation: Organisation
    programmes: tuple[str, ...]  # names of the programmes it is a spin-out of
    cohort: str | None  # the quarter it spun out in
    as_of: date
    audits: tuple[ContractAudit, ...]
    savings: PortfolioSavings
    risk: RiskAssessment
    run: EvaluationRun | None
    cohort_results: tuple[EvaluationResult, ...]
    own_results: tuple[EvaluationResult, ...]
    spc: tuple[SeriesSpc, ...]
    alerts: tuple[Alert, ...]
    data: DataSources
    coverage: ReturnsCoverage | None = None  # how complete the returns are, when read

    @property
    def as_of_sentence(self) -> str:
        """Which quarter the figures are as of and how complete its returns are."""
        return self.coverage.sentence(self.as_of) if self.coverage else ""


def returns_as_of() -> date:
    """The date the returns run to: savings and risk are measured as of it."""
    return _returns_as_of()


def _as_of_and_coverage(
    as_of: date | None, coverage: ReturnsCoverage | None
) -> tuple[date, ReturnsCoverage | None]:
    """The date to measure to: ``as_of`` when given, else the default the returns'
    coverage gives (read here unless the caller already has it)."""
    if as_of is not None:
        return as_of, coverage
    coverage = coverage or returns_coverage()
    return coverage.as_of, coverage


def results_of(run: EvaluationRun | None, **filters) -> tuple[EvaluationResult, ...]:
    """A run's results in reading order: programme, method, cohort, metric, provider."""
    if run is None:
        return ()
    rows = (
        EvaluationResult.objects.filter(run=run, **filters)
        .select_related("programme", "metric", "organisation")
        .order_by("programme__name", "method", "cohort", "metric__name", "organisation__name")
    )
    return tuple(rows)


def _is_demo() -> bool:
    return Submission.objects.filter(source=Submission.Source.DEMO).exists()


def data_sources(organisations: QuerySet[Organisation] | None = None) -> DataSources:
    """Counts of what was read: all organisations, or only those given (a provider). All
    organisations' returns are counted from the returns' summary, not read again."""
    if organisations is None:
        return _all_data_sources()
    orgs = organisations
    observations = Observation.objects.filter(organisation__in=orgs)
    contracts = Contract.objects.filter(provider__in=orgs)
    current = observations.filter(is_current=True)
    span = current.aggregate(first=Min("period_start"), last=Max("period_start"))
    kinds = dict(orgs.order_by().values_list("kind").annotate(n=Count("pk")))
    return DataSources(
        organisations=kinds,
        contracts=contracts.count(),
        metrics=current.order_by().values("metric").distinct().count(),
        current_observations=current.count(),
        all_versions=observations.count(),
        first_period=span["first"],
        last_period=span["last"],
        demo=_is_demo(),
    )


def _all_data_sources() -> DataSources:
    summary = current_summary()
    kinds = Organisation.objects.order_by().values_list("kind").annotate(n=Count("pk"))
    return DataSources(
        organisations=dict(kinds),
        contracts=Contract.objects.count(),
        metrics=summary.metrics,
        current_observations=summary.current_observations,
        all_versions=summary.all_versions,
        first_period=summary.first_period,
        last_period=summary.last_period,
        demo=_is_demo(),
    )


def alert_counts() -> AlertCounts:
    open_ = Alert.objects.filter(is_open=True)
    by_kind = dict(open_.order_by().values_list("kind").annotate(n=Count("pk")))
    providers = open_.order_by().values("organisation").distinct().count()
    return AlertCounts({k: by_kind[k] for k in sorted(by_kind)}, providers)


def gather_portfolio(
    run: EvaluationRun | None,
    *,
    as_of: date | None = None,
    coverage: ReturnsCoverage | None = None,
) -> PortfolioFigures:
    """Every figure of the portfolio report and dashboard, as of ``as_of`` (default: the end
    of the latest quarter with substantially complete returns), with the impact results of
    ``run`` (None: none yet). Pass the ``coverage`` a page already read to say how complete
    the returns are without reading them twice."""
    as_of, coverage = _as_of_and_coverage(as_of, coverage)
    return PortfolioFigures(
        as_of=as_of,
        audit=portfolio_audit(),
        savings=portfolio_savings(as_of=as_of),
        risk=portfolio_risk(as_of),
        run=run,
        results=results_of(run),
        alerts=alert_counts(),
        data=data_sources(),
        coverage=coverage,
    )


def spin_out_cohort(organisation: Organisation) -> str | None:
    """The quarter a provider spun out in, as the evaluation labels cohorts."""
    day = organisation.spinout_date
    return None if day is None else quarter_from_index(day.year * 4 + (day.month - 1) // 3)


def gather_provider(
    organisation: Organisation,
    run: EvaluationRun | None,
    *,
    as_of: date | None = None,
    coverage: ReturnsCoverage | None = None,
) -> ProviderFigures:
    """Every figure of one provider's scorecard and report, as of ``as_of`` (default: the
    portfolio's, so a scorecard and the dashboard agree)."""
    as_of, coverage = _as_of_and_coverage(as_of, coverage)
    held = Contract.objects.filter(provider=organisation)
    memberships = ProgrammeMembership.objects.filter(
        organisation=organisation, role=ProgrammeMembership.Role.SPIN_OUT
    ).select_related("programme")
    programmes = sorted((m.programme for m in memberships), key=lambda p: p.name)
    cohort = spin_out_cohort(organisation)
    cohort_results = (
        results_of(run, method=Method.DID, programme__in=[p.pk for p in programmes], cohort=cohort)
        if cohort
        else ()
    )
    return ProviderFigures(
        organisation=organisation,
        programmes=tuple(p.name for p in programmes),
        cohort=cohort,
        as_of=as_of,
        audits=tuple(audit_contracts(held)),
        savings=portfolio_savings(held, as_of=as_of),
        risk=failure_risk(organisation, as_of),
        run=run,
        cohort_results=cohort_results,
        own_results=results_of(run, organisation=organisation),
        spc=tuple(provider_spc(organisation)),
        alerts=tuple(open_alerts(organisation)),
        data=data_sources(Organisation.objects.filter(pk=organisation.pk)),
        coverage=coverage,
    )
