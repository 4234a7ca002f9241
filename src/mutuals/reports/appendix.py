"""The appendices every report ends with: methods (with the run's fingerprint) and data."""

from __future__ import annotations

from django.utils.timezone import localtime

from mutuals.contracts.audit import QUESTIONS
from mutuals.contracts.savings import SavingsOptions
from mutuals.engine.grade import LEVEL_NAMES
from mutuals.engine.savings import GREEN_BOOK_SCHEDULE
from mutuals.evaluation.models import EvaluationRun
from mutuals.evaluation.monitoring import MIN_POINTS, RECENT_POINTS
from mutuals.evaluation.risk import RiskThresholds
from mutuals.evaluation.services import EvaluationConfig
from mutuals.registry.models import OrganisationKind
from mutuals.reports.content import DataSources
from mutuals.reports.document import Bullets, Paragraph, Section, Subheading, Terms
from mutuals.reports.formatting import count


def _rates() -> str:
    (first_last, first_rate), (second_last, second_rate) = GREEN_BOOK_SCHEDULE[:2]
    return (
        f"{first_rate:.1%} real for years 0 to {first_last} and {second_rate:.1%} for years "
        f"{first_last + 1} to {second_last}"
    )


def _estimators(config: EvaluationConfig) -> tuple[tuple[str, str], ...]:
    confidence = f"{1 - config.alpha:.0%}"
    return (
        (
            "Difference-in-differences",
            "Staggered difference-in-differences (Callaway and Sant'Anna, 2021): each cohort "
            "of spin-outs (those starting in the same quarter) is compared with the "
            "programme's in-house comparators that never spun out, with doubly robust "
            f"estimates, analytic standard errors and {confidence} confidence intervals; with "
            "few providers in a cohort the intervals use Student t critical values with "
            "Welch-Satterthwaite degrees of freedom (a small-sample correction). A "
            f"cohort needs at least {config.min_cohort_units} providers and "
            f"{config.min_pre_periods} quarters of returns before spin-out; providers not "
            "observed in every quarter are left out. A Wald test that every effect before "
            "spin-out is zero checks for differing trends.",
        ),
        (
            "Synthetic control",
            "For each provider evaluated on its own (social work practices, integrated-care "
            "mutuals, and spin-outs whose cohort is too small): a weighted combination of up "
            f"to {config.synth_max_donors} comparators, those closest in their mean before "
            "spin-out, fitted to the provider's quarters before spin-out. The placebo "
            "p-value is the share of all units, the provider included, whose ratio of fit "
            "after to fit before spin-out is at least the provider's.",
        ),
        (
            "Verdicts",
            f"The smallest effect that matters is {config.effect_threshold:.0%} of the group's "
            "own mean before spin-out. An estimate is too early to assess while there are "
            f"fewer than {config.min_post_periods} quarters after spin-out or while the "
            "minimum detectable effect (at 80% power) exceeds that threshold; the report "
            "then says from which quarter the evidence should suffice. Otherwise an interval "
            "that excludes zero is an improvement or a deterioration, according to whether "
            "higher or lower is better for the metric, and one that includes zero shows no "
            "detectable effect.",
        ),
        (
            "Evidence grade",
            "The Maryland Scientific Methods Scale level of the design actually achieved: "
            + "; ".join(f"{level} {name}" for level, name in LEVEL_NAMES.items())
            + ". A difference-in-differences whose pre-trend test fails, or a synthetic "
            "control that does not fit before spin-out, is graded 2. What Works centres "
            "count level 3 and above as evidence.",
        ),
    )


def _other_methods(options: SavingsOptions, thresholds: RiskThresholds) -> tuple:
    low, high = options.band
    return (
        (
            "Objectives audit",
            "Each contract is scored on six questions the National Audit Office asked of "
            "the Right to Request contracts. Shares are of annual contract value; a contract "
            "counts under every commissioner it has, with its full value.",
        ),
        (
            "Savings against the counterfactual",
            "Counterfactual cost = in-house baseline unit cost × activity × (1 − efficiency) "
            f"to the power of the years since the baseline's price year, with in-house "
            f"efficiency of {options.efficiency:.0%} a year (the NHS planning assumption of "
            f"2011) and a range of {low:.0%} to {high:.0%}. Activity is read from "
            f"'{options.activity_metric}' and cost per unit from '{options.cost_metric}' "
            "returns, added up by financial year. Actual costs are converted to the "
            f"baseline's prices with an assumed deflator of {options.inflation:.0%} a year, "
            "not an official series. Present values use the Green Book discount rates "
            f"({_rates()}). A contracted saving of p% a year is p% of the central "
            "counterfactual cost.",
        ),
        (
            "Statistical process control",
            "NHS Making Data Count: XmR charts with process limits at the mean ± 2.66 × the "
            "average moving range; a special cause is a point beyond a limit, 7 points in a "
            "row on one side of the mean, 7 rising or falling, or 2 of 3 points beyond "
            f"two-thirds of the way to a limit. Series of fewer than {MIN_POINTS} points are "
            "not judged. An alert is raised for a special cause of concern reaching one of "
            f"the last {RECENT_POINTS} points, and for a target outside the process limits "
            "on the wrong side.",
        ),
        (
            "Failure risk",
            f"Five factors: more than {thresholds.concentration:.0%} of income from one "
            f"commissioner; fewer than {thresholds.cash_days:g} days of cash (severe below "
            f"{thresholds.cash_days_severe:g}); an operating margin below "
            f"{thresholds.margin_pct:g}% (severe below {thresholds.margin_severe_pct:g}%); "
            f"{thresholds.expiry_share:.0%} or more of live contract value ending within "
            f"{thresholds.expiry_months} months; {thresholds.spc_concerns} or more open "
            "special-cause concerns. High risk: a severe factor, or "
            f"{thresholds.high_when_fired} factors together; medium: any one factor. These "
            "thresholds are a documented choice, not an official definition.",
        ),
    )


def _run_terms(run: EvaluationRun) -> tuple[tuple[str, str], ...]:
    def when(moment) -> str:
        return localtime(moment).strftime("%-d %B %Y %H:%M") if moment else "–"

    return (
        ("Evaluation run", str(run.pk)),
        ("Started", when(run.created_at)),
        ("Finished", when(run.finished_at)),
        ("Code version", run.code_version or "–"),
        ("Data fingerprint", run.fingerprint or "–"),
        (
            "Settings",
            ", ".join(
                f"{key} {value}"
                for key, value in run.configuration.items()
                if key not in ("programmes", "metrics", "as_of")
            ),
        ),
    )


def methods(
    run: EvaluationRun | None, options: SavingsOptions, thresholds: RiskThresholds
) -> Section:
    config = EvaluationConfig.from_json(run.configuration) if run else EvaluationConfig()
    blocks: list = [
        Paragraph(
            "How each figure in this report was made, and the settings used. Every figure "
            "can be reproduced from the same data with the `mutuals` command line."
        ),
        Subheading("methods-questions", "The six objectives-audit questions"),
        Bullets(tuple(f"{q.label}: {q.question}" for q in QUESTIONS)),
        Subheading("methods-measures", "Measures"),
        Terms(_other_methods(options, thresholds)),
        Subheading("methods-impact", "Impact evaluation"),
        Terms(_estimators(config)),
        Subheading("methods-run", "The evaluation run"),
    ]
    if run is None:
        blocks.append(Paragraph("No impact evaluation had been run when this report was made."))
    else:
        blocks += [
            Paragraph(
                "The impact figures come from one stored evaluation run. Its fingerprint is a "
                "SHA-256 digest of its settings, the code version and every value it read: "
                "running it again on the same data gives the same fingerprint and the same "
                "numbers."
            ),
            Terms(_run_terms(run)),
        ]
    return Section("methods", "Appendix: methods", tuple(blocks), appendix=True)


def data_section(data: DataSources, *, provider: bool = False) -> Section:
    kinds = dict(OrganisationKind.choices)
    organisations = ", ".join(
        count(n, kinds.get(kind, kind).lower()) for kind, n in sorted(data.organisations.items())
    )
    span = (
        f"from {data.first_period:%B %Y} to {data.last_period:%B %Y}"
        if data.first_period and data.last_period
        else "none received"
    )
    whose = "this provider's" if provider else "providers' and comparators'"
    items = (
        ("Registry", f"Organisations recorded in Mutuals: {organisations or 'none'}."),
        (
            "Contracts",
            f"{count(data.contracts, 'contract')} with their objectives, in-house baselines, "
            "savings requirements and plans, as recorded by commissioners.",
        ),
        (
            "Returns",
            f"{count(data.current_observations, 'current figure')} of "
            f"{count(data.metrics, 'metric')} in {whose} periodic returns, {span} "
            f"({count(data.all_versions, 'version')} including earlier versions superseded "
            "by resubmissions).",
        ),
        (
            "Alerts",
            "The open alerts of the latest monitoring run (`mutuals monitor`).",
        ),
    )
    blocks: list = [Terms(items)]
    if data.demo:
        blocks.append(
            Paragraph(
                "All organisations and figures in this report are synthetic demo data, made "
                "by the Mutuals demo generator. The organisations are fictional."
            )
        )
    return Section("data", "Appendix: data sources", tuple(blocks), appendix=True)
