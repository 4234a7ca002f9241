"""The portfolio value-for-money report: what the contracts set out, what they saved,
what difference the spin-outs made, and which providers may fail."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from mutuals.evaluation.models import Alert, AlertKind
from mutuals.evaluation.monitoring import provider_spc
from mutuals.registry.models import Organisation
from mutuals.reports import figures, tables
from mutuals.reports.appendix import data_section, methods
from mutuals.reports.content import PortfolioFigures
from mutuals.reports.control import control_section, portfolio_control
from mutuals.reports.document import (
    Bullets,
    Paragraph,
    Report,
    RunInfo,
    Section,
    Subheading,
    Terms,
)
from mutuals.reports.findings import (
    conclusion,
    findings,
    impact_finding,
    monitoring_finding,
    objectives_finding,
    risk_finding,
    savings_finding,
    savings_totals,
    singles_sentence,
)
from mutuals.reports.formatting import count

TITLE = "Value for money of staff-led public service spin-outs"

# --- sections ------------------------------------------------------------------------------


def _summary(f: PortfolioFigures) -> Section:
    scope = (
        f"This report examines the contracts, returns and impact evidence held in Mutuals for "
        f"staff-led public service spin-outs, as of {f.as_of:%-d %B %Y}. It asks whether "
        "commissioners set out what they wanted, whether the contracts saved money compared "
        "with what the services would have cost in-house, what difference the spin-outs made "
        "to their services, and which providers may fail."
    )
    return Section(
        "summary",
        "Summary",
        (
            Paragraph(scope),
            Subheading("key-findings", "Key findings"),
            Bullets(findings(f), ordered=True),
            Subheading("conclusion", "Conclusion on value for money"),
            Paragraph(conclusion(f)),
        ),
    )


def _objectives(f: PortfolioFigures) -> Section:
    audit = f.audit
    return Section(
        "objectives",
        "Did commissioners set out what they wanted?",
        (
            Paragraph(
                "The National Audit Office found that the Right to Request programme had no "
                "measurable objectives and that commissioners generally did not contract for "
                "savings or extra benefits. Each contract is scored here on the six questions "
                "listed in the methods appendix."
            ),
            Paragraph(objectives_finding(f)),
            tables.audit_groups(
                "audit-programmes",
                "Objectives audit by programme",
                (*audit.by_programme, audit.total),
                "Programme",
            ),
            Paragraph(
                "A contract counts in every programme its provider belongs to. The audit by "
                "commissioner is in an appendix."
            ),
        ),
    )


def _savings(f: PortfolioFigures) -> Section:
    saved, t = f.savings, f.savings.totals
    blocks: list = [
        Paragraph(
            "The National Audit Office asked for efficiencies over and above what would have "
            "been achieved had the services stayed in-house. The counterfactual here is the "
            "in-house baseline unit cost, made more efficient each year, applied to the "
            "activity the provider actually delivered."
        ),
        Paragraph(savings_finding(f)),
    ]
    if t.contracts:
        path = figures.savings_path(saved.contracts, t.price_year, saved.options)
        blocks += [
            Terms(savings_totals(f)),
            figures.savings_figure(
                "figure-savings",
                "Actual cost against the in-house counterfactual, contracts measured",
                path,
                t.price_year,
                saved.options,
            ),
            tables.savings_by_contract(
                saved.contracts, saved.options.band, saved.options.efficiency
            ),
        ]
    if saved.unavailable:
        reasons = "; ".join(
            f"{tables.UNAVAILABLE.get(code, code).lower()}: {n}"
            for code, n in saved.unavailable_by_reason().items()
        )
        blocks.append(
            Paragraph(
                f"Savings cannot be measured for {count(len(saved.unavailable), 'contract')} "
                f"({reasons})."
            )
        )
    return Section("savings", "Savings against the counterfactual", tuple(blocks))


def _impact(f: PortfolioFigures) -> Section:
    blocks: list = [
        Paragraph(
            "Each cohort of spin-outs is compared with in-house comparators that did not spin "
            "out, before and after spin-out. Effects are in each metric's own unit; a verdict "
            "is given only when enough quarters have passed for the comparison to detect an "
            "effect that matters."
        ),
        Paragraph(impact_finding(f)),
    ]
    if f.run is not None:
        cohorts = list(f.cohort_results)
        if cohorts:
            blocks.append(tables.cohort_results(cohorts))
            for result in figures.chosen_event_studies(cohorts):
                figure = figures.event_study_figure(result)
                if figure:
                    blocks.append(figure)
        singles = list(f.provider_results)
        if singles:
            blocks += [
                Subheading("impact-single", "Single providers"),
                Paragraph(singles_sentence(singles)),
                tables.provider_results(singles),
            ]
    return Section("impact", "Impact on services", tuple(blocks))


def _risk(f: PortfolioFigures) -> Section:
    risk = f.risk
    blocks: list = [
        Paragraph(
            "The commissioner stays responsible for essential services if a provider fails. "
            "Each provider delivering services on the date is rated on five factors (see the "
            "methods appendix)."
        ),
        Paragraph(risk_finding(f)),
        tables.risk_counts(risk.counts, len(risk.assessments)),
    ]
    for assessment in risk.high:
        blocks += [
            Subheading(f"risk-{assessment.organisation.id}", assessment.organisation.name),
            Bullets(
                tuple(factor.sentence for factor in assessment.reasons)
                + (assessment.continuity.sentence,)
            ),
        ]
    return Section("risk", "Risk of provider failure", tuple(blocks))


def _monitoring(f: PortfolioFigures) -> Section:
    blocks: list = [
        Paragraph(
            "Every provider's returns are charted by statistical process control, as NHS "
            "boards read performance. " + monitoring_finding(f)
        )
    ]
    example = _example_spc(f)
    if example is not None:
        blocks.append(example)
    return Section("monitoring", "Performance monitoring", tuple(blocks))


def _example_spc(f: PortfolioFigures):
    """The chart of a concern at the provider at highest risk that has one."""
    ranked = [a.organisation.id for a in f.risk.assessments]
    alerts = Alert.objects.filter(
        is_open=True, kind=AlertKind.SPECIAL_CAUSE_CONCERN, organisation_id__in=ranked
    ).select_related("metric", "organisation")
    order = {pk: i for i, pk in enumerate(ranked)}
    chosen = min(alerts, key=lambda a: (order[a.organisation_id], a.metric.name), default=None)
    if chosen is None:
        return None
    organisation = Organisation.objects.get(pk=chosen.organisation_id)
    series = [
        s
        for s in provider_spc(organisation, metric_codes=[chosen.metric.code])
        if s.period_kind == "quarter"
    ]
    return figures.spc_figure(series[0], organisation.name) if series else None


def _commissioners(f: PortfolioFigures) -> Section:
    return Section(
        "audit-commissioners",
        "Appendix: objectives audit by commissioner",
        (
            tables.audit_groups(
                "audit-commissioners-table",
                "Objectives audit by commissioner",
                f.audit.by_commissioner,
                "Commissioner",
            ),
        ),
        appendix=True,
    )


def run_info(run) -> RunInfo | None:
    if run is None:
        return None
    return RunInfo(
        run.pk, run.fingerprint, run.code_version, run.created_at, run.finished_at,
        dict(run.configuration),
    )  # fmt: skip


def portfolio_report(f: PortfolioFigures, *, generated_at: datetime | None = None) -> Report:
    sections = (
        _summary(f),
        _objectives(f),
        _savings(f),
        _impact(f),
        _risk(f),
        control_section(portfolio_control(f.as_of)),
        _monitoring(f),
        methods(f.run, f.savings.options, f.risk.thresholds),
        data_section(f.data),
        _commissioners(f),
    )
    return Report(
        kind="portfolio",
        title=TITLE,
        subtitle=f"Portfolio report as of {f.as_of:%-d %B %Y}",
        as_of=f.as_of,
        generated_at=generated_at or timezone.now(),
        demo=f.data.demo,
        sections=sections,
        run=run_info(f.run),
        filename=f"value-for-money-{f.as_of:%Y-%m-%d}",
    )
