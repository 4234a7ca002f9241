"""One provider's scorecard report: its contracts' audit and savings, the impact estimates
for its cohort and for itself, its failure risk and its statistical process control."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from mutuals.evaluation.monitoring import RULE_TEXT
from mutuals.evaluation.risk import DEFAULT_THRESHOLDS
from mutuals.reports import figures, tables
from mutuals.reports.appendix import data_section, methods
from mutuals.reports.content import ProviderFigures
from mutuals.reports.document import Bullets, Paragraph, Report, Section, Subheading
from mutuals.reports.findings import verdict_phrases
from mutuals.reports.formatting import count, money, plain
from mutuals.reports.portfolio import run_info
from mutuals.reports.sentences import risk_sentence, savings_sentence

MAX_SPC_CHARTS = 4


def _about(f: ProviderFigures) -> str:
    o = f.organisation
    parts = [f"{o.name} is a {o.get_kind_display().lower()} ({o.get_legal_form_display()})"]
    if o.spinout_date:
        parts.append(f"that spun out on {o.spinout_date:%-d %B %Y}")
    if o.exit_date:
        parts.append(f"and exited on {o.exit_date:%-d %B %Y}")
    text = " ".join(parts) + "."
    if f.programmes:
        text += f" It is a spin-out of the {' and '.join(f.programmes)} programme"
        text += "s." if len(f.programmes) > 1 else "."
    if o.staff_count:
        text += f" It employs {o.staff_count:,} staff."
    return text


def audit_finding(f: ProviderFigures) -> str:
    if not f.audits:
        return "No contracts are recorded for this provider."
    value = sum(a.annual_value for a in f.audits)
    scores = "; ".join(
        f"{a.reference} passes {a.passed_count} of the {len(a.tests)} tests" for a in f.audits
    )
    return (
        f"It holds {count(len(f.audits), 'contract')} worth {money(value)} a year. In the "
        f"objectives audit {scores}."
    )


def savings_finding(f: ProviderFigures) -> str:
    parts = [savings_sentence(c) for c in f.savings.contracts]
    parts += [f"{u.reference}: {u.reason}" for u in f.savings.unavailable]
    return " ".join(parts) or "No contracts, so no savings to measure."


def impact_finding(f: ProviderFigures) -> str:
    if f.run is None:
        return "No impact evaluation has been run."
    parts = []
    for label, results in (("its own", f.own_results), ("its cohort's", f.cohort_results)):
        if results:
            words = ", ".join(verdict_phrases(results))
            parts.append(f"{count(len(results), 'estimate')} of {label} impact: {words}")
    if not parts:
        return f"Evaluation run {f.run.pk} made no estimate for this provider or its cohort."
    return f"Evaluation run {f.run.pk}: " + "; ".join(parts) + "."


def risk_finding(f: ProviderFigures) -> str:
    return f"{risk_sentence(f.risk)} {f.risk.continuity.sentence}"


def monitoring_finding(f: ProviderFigures) -> str:
    concern = [s for s in f.spc if s.enough_points and s.variation == "special_cause_concern"]
    return (
        f"{count(len(f.spc), 'series', 'series')} charted; "
        f"{len(concern)} {'shows' if len(concern) == 1 else 'show'} special-cause variation of "
        f"concern in the latest point; {count(len(f.alerts), 'open alert')}."
    )


def findings(f: ProviderFigures) -> tuple[str, ...]:
    return (
        audit_finding(f),
        savings_finding(f),
        impact_finding(f),
        risk_finding(f),
        monitoring_finding(f),
    )


def _summary(f: ProviderFigures) -> Section:
    return Section(
        "summary",
        "Summary",
        (
            Paragraph(_about(f)),
            Subheading("key-findings", "Key findings"),
            Bullets(findings(f), ordered=True),
        ),
    )


def _contracts(f: ProviderFigures) -> Section:
    blocks: list = [Paragraph(audit_finding(f))]
    blocks += [tables.contract_audit(a) for a in f.audits]
    return Section("objectives", "Contracts and the objectives audit", tuple(blocks))


def _savings(f: ProviderFigures) -> Section:
    saved = f.savings
    blocks: list = []
    for c in saved.contracts:
        blocks += [
            Subheading(f"savings-{c.contract_id}", f"{c.reference}: {c.title}"),
            Paragraph(savings_sentence(c)),
            figures.contract_savings_figure(c, saved.options),
            tables.savings_by_year(c),
        ]
        if c.notes:
            blocks.append(Bullets(c.notes))
    for u in saved.unavailable:
        blocks.append(Paragraph(f"{u.reference}: {u.reason}"))
    if not blocks:
        blocks.append(Paragraph("No contracts are recorded for this provider."))
    return Section("savings", "Savings against the counterfactual", tuple(blocks))


def _impact(f: ProviderFigures) -> Section:
    blocks: list = [Paragraph(impact_finding(f))]
    if f.cohort_results:
        blocks += [
            Subheading("impact-cohort", f"The {f.cohort} cohort"),
            Paragraph(
                "Difference-in-differences for every spin-out of the programme that started in "
                "the same quarter and reported in every quarter, against in-house comparators."
            ),
            tables.cohort_results(f.cohort_results),
        ]
        for result in figures.chosen_event_studies(f.cohort_results):
            figure = figures.event_study_figure(result)
            if figure:
                blocks.append(figure)
    if f.own_results:
        blocks += [
            Subheading("impact-own", "This provider on its own"),
            Paragraph(
                "Synthetic control: the provider against a weighted combination of in-house "
                "comparators that matches it before spin-out."
            ),
            tables.provider_results(f.own_results),
        ]
    return Section("impact", "Impact on services", tuple(blocks))


def _risk(f: ProviderFigures) -> Section:
    return Section(
        "risk",
        "Risk of failure",
        (
            Paragraph(f"As of {f.risk.as_of:%-d %B %Y}: {risk_sentence(f.risk)}"),
            tables.risk_factors(f.risk),
            Paragraph(f.risk.continuity.sentence),
        ),
    )


def _monitoring(f: ProviderFigures) -> Section:
    blocks: list = [Paragraph(monitoring_finding(f))]
    if f.spc:
        blocks.append(tables.spc_summary(f.spc))
    if f.alerts:
        blocks += [
            Subheading("open-alerts", "Open alerts"),
            Bullets(
                tuple(
                    f"{a.metric.name}, from {a.period}: {a.get_kind_display().lower()} — "
                    f"{RULE_TEXT.get(a.rule, a.rule).lower()} (value {plain(a.value)})"
                    for a in f.alerts
                )
            ),
        ]
    alerted = {a.metric_id for a in f.alerts}
    charted = [
        s
        for s in f.spc
        if s.metric.pk in alerted or (s.enough_points and s.variation == "special_cause_concern")
    ]
    blocks += [figures.spc_figure(s) for s in charted[:MAX_SPC_CHARTS]]
    return Section("monitoring", "Performance monitoring", tuple(blocks))


def provider_report(f: ProviderFigures, *, generated_at: datetime | None = None) -> Report:
    o = f.organisation
    sections = (
        _summary(f),
        _contracts(f),
        _savings(f),
        _impact(f),
        _risk(f),
        _monitoring(f),
        methods(f.run, f.savings.options, DEFAULT_THRESHOLDS),
        data_section(f.data, provider=True),
    )
    return Report(
        kind="provider",
        title=f"{o.name}: scorecard",
        subtitle=f"Provider report as of {f.as_of:%-d %B %Y}",
        as_of=f.as_of,
        generated_at=generated_at or timezone.now(),
        demo=f.data.demo,
        sections=sections,
        run=run_info(f.run),
        filename=f"scorecard-{o.pk}-{f.as_of:%Y-%m-%d}",
    )
