"""The findings of the portfolio report and dashboard: sentences built from the figures,
in the measured register of a public audit."""

from __future__ import annotations

from collections import Counter

from mutuals.evaluation.models import EvaluationResult
from mutuals.reports import impact
from mutuals.reports.content import PortfolioFigures
from mutuals.reports.formatting import (
    against_in_house,
    count,
    financial_year,
    money,
    saving_range,
    share,
)

VERDICTS = (
    "improved", "worsened", "increased", "decreased", "no_important_effect", "inconclusive",
    "too_early", "cannot_assess",
)  # fmt: skip
UNDECIDED = ("too_early", "cannot_assess")


def verdict_phrase(verdict: str, n: int) -> str:
    """'11 improvements', '1 deterioration', '6 with no effect that matters'."""
    neutral = "in a metric where neither direction is better"
    words = {
        "improved": count(n, "improvement"),
        "worsened": count(n, "deterioration"),
        "increased": f"{count(n, 'increase')} {neutral}",
        "decreased": f"{count(n, 'decrease')} {neutral}",
        "no_important_effect": f"{n:,} with no effect that matters",
        "inconclusive": f"{n:,} inconclusive",
        "too_early": f"{n:,} too early to assess",
        "cannot_assess": f"{n:,} that cannot be assessed",
    }
    return words[verdict]


def verdict_phrases(results) -> list[str]:
    counts = Counter(r.verdict for r in results)
    known = [verdict_phrase(v, counts[v]) for v in VERDICTS if counts[v]]
    others = [  # a stored verdict from before the current vocabulary
        f"{n:,} {impact.verdict_text(v).lower()}" for v, n in counts.items() if v not in VERDICTS
    ]
    return known + others


# --- findings ----------------------------------------------------------------------------


def objectives_finding(f: PortfolioFigures) -> str:
    total = f.audit.total
    if not total.contracts:
        return "No contracts are recorded, so there is nothing to audit."
    t = total.tally
    return (
        f"The portfolio holds {count(total.contracts, 'contract')} worth "
        f"{money(total.annual_value)} a year. {share(t('objectives').share_of_value)} of that "
        f"value ({count(t('objectives').passed, 'contract')}) was let with measurable "
        f"objectives and {share(t('savings').share_of_value)} "
        f"({count(t('savings').passed, 'contract')}) with a requirement to save more than the "
        f"in-house service would have. {share(t('baseline').share_of_value)} recorded the "
        "in-house baseline without which savings cannot be measured, and "
        f"{share(t('evaluation').share_of_value)} a plan for evaluation."
    )


def savings_finding(f: PortfolioFigures) -> str:
    saved, t = f.savings, f.savings.totals
    total = len(saved.contracts) + len(saved.unavailable)
    if not t.contracts:
        return f"Savings could be measured for none of the {count(total, 'contract')}."
    first = min(c.first_year for c in saved.contracts)
    last = max(c.last_year for c in saved.contracts)
    low, high = saved.options.band
    text = (
        f"Savings could be measured for {t.contracts} of {count(total, 'contract')}. From "
        f"{financial_year(first)} to {financial_year(last)} these cost "
        f"{against_in_house(t.savings_real, than='the in-house counterfactual')} "
        f"({financial_year(t.price_year)} prices, in-house efficiency "
        f"{saved.options.efficiency:.0%} a year). With in-house efficiency from {low:.0%} to "
        f"{high:.0%} a year, they cost "
        f"{saving_range(t.savings_at_low_efficiency, t.savings_at_high_efficiency)}."
    )
    if t.contracts_with_requirement:
        met = t.requirements_met
        text += (
            f" {'None' if met == 0 else met} of the "
            f"{count(t.contracts_with_requirement, 'contract')} that required a saving "
            "achieved it."
        )
    return text


def savings_totals(f: PortfolioFigures) -> tuple[tuple[str, str], ...]:
    """The portfolio's savings figures as (what, how much) pairs, each said without a
    double negative ('£470.7m more than in-house', never 'a saving of −£470.7m')."""
    saved, t = f.savings, f.savings.totals
    if not t.contracts:
        return ()
    low, high = saved.options.band
    first = min(c.first_year for c in saved.contracts)
    last = max(c.last_year for c in saved.contracts)
    return (
        ("Contracts measured", f"{t.contracts} of {len(saved.contracts) + len(saved.unavailable)}"),
        (
            "Cost against the counterfactual",
            f"{against_in_house(t.savings_real)} from {financial_year(first)} to "
            f"{financial_year(last)}, in {financial_year(t.price_year)} prices, with in-house "
            f"efficiency of {saved.options.efficiency:.0%} a year",
        ),
        (
            "Range of in-house efficiency",
            f"{saving_range(t.savings_at_low_efficiency, t.savings_at_high_efficiency)}, at "
            f"{low:.0%} to {high:.0%} a year",
        ),
        (
            "Present value (Green Book discounting)",
            against_in_house(t.savings_present_value),
        ),
        (
            "Counterfactual and actual cost",
            f"{money(t.counterfactual_real)} counterfactual; {money(t.actual_real)} actual",
        ),
        (
            "Contracted savings",
            f"{t.requirements_met} of {count(t.contracts_with_requirement, 'contract')} with a "
            f"requirement met it ({money(t.requirement)} required in all)",
        ),
    )


def impact_finding(f: PortfolioFigures) -> str:
    if f.run is None:
        return "No impact evaluation has been run, so the impact of the spin-outs is unknown."
    cohorts, singles = f.cohort_results, f.provider_results
    text = (
        f"Evaluation run {f.run.pk} looked at {count(len(cohorts), 'cohort effect')} by "
        f"difference-in-differences and {count(len(singles), 'single-provider effect')} by "
        "synthetic control"
    )
    tests = (f.run.multiplicity or {}).get("tests")
    text += f", allowing for the {count(tests, 'test')} it made." if tests else "."
    if not cohorts:
        return text
    counts = Counter(r.verdict for r in cohorts)
    decided = [r for r in cohorts if r.verdict not in UNDECIDED]
    if decided:
        text += (
            f" Of the cohort effects, {len(decided)} reached a verdict: "
            f"{and_list(verdict_phrases(decided))}."
        )
    early = counts["too_early"]
    if early:
        dated = sorted(r.assessable_from for r in cohorts if r.verdict == "too_early")
        text += (
            f" {early} {'is' if early == 1 else 'are'} too early to assess: waiting will "
            f"help, and all should be assessable by {dated[-1]}."
        )
    hopeless = counts["cannot_assess"]
    if hopeless:
        text += (
            f" {hopeless} cannot be assessed however long the returns run: they need more "
            "comparators, more providers in the cohort or another design."
        )
    return text


def and_list(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def risk_finding(f: PortfolioFigures) -> str:
    risk = f.risk
    counts, total = risk.counts, len(risk.assessments)
    no_plan = [a for a in risk.high if a.continuity.all_covered is False]
    text = (
        f"As of {risk.as_of:%-d %B %Y}, {counts['high']} of {count(total, 'provider')} "
        f"{'is' if counts['high'] == 1 else 'are'} at high risk of failure and "
        f"{counts['medium']} at medium risk."
    )
    if no_plan:
        text += (
            f" {len(no_plan)} of those at high risk {'holds' if len(no_plan) == 1 else 'hold'} "
            "a live contract with no continuity plan, so the commissioner, who remains "
            "responsible for the services, has no agreed way to keep them running."
        )
    return text


def monitoring_finding(f: PortfolioFigures) -> str:
    a = f.alerts
    if not a.total:
        return "Statistical process control of the returns raises no open alerts."
    return (
        f"Statistical process control of the returns raises {count(a.total, 'open alert')} "
        f"across {count(a.providers, 'organisation')}: {a.concerns} special causes of concern "
        f"and {a.failing} series consistently failing their target."
    )


def findings(f: PortfolioFigures) -> tuple[str, ...]:
    return (
        objectives_finding(f),
        savings_finding(f),
        impact_finding(f),
        risk_finding(f),
        monitoring_finding(f),
    )


def _impact_clause(cohorts) -> tuple[bool, str]:
    """Whether the cohort estimates count in the portfolio's favour, and the clause saying so."""
    counts = Counter(r.verdict for r in cohorts)
    improved, worsened = counts["improved"], counts["worsened"]
    open_ = counts["too_early"] + counts["cannot_assess"] + counts["inconclusive"]
    still = f"{open_} not yet or not able to be judged"
    if improved > worsened:
        return True, (
            f"more cohort estimates show improvement than deterioration ({improved} against "
            f"{worsened}, with {still})"
        )
    if worsened:
        return False, (
            f"as many or more cohort estimates show deterioration as improvement ({worsened} "
            f"against {improved}, with {still})"
        )
    return False, f"no cohort estimate yet shows an improvement ({still})"


def conclusion(f: PortfolioFigures) -> str:
    """A measured judgement that follows from the figures, not a verdict on spin-outs."""
    t = f.audit.total
    concerns, strengths = [], []
    if t.contracts and (t.tally("objectives").share_of_value or 0) < 0.5:
        concerns.append(
            "most contract value was let without measurable objectives, so commissioners "
            "cannot show whether they got what they wanted"
        )
    totals = f.savings.totals
    if totals.contracts:
        low, high = sorted((totals.savings_at_high_efficiency, totals.savings_at_low_efficiency))
        measured = "the contracts whose savings can be measured cost"
        whole_range = "across the whole range of in-house efficiency assumed"
        if high < 0:
            concerns.append(f"{measured} more than the in-house service would have, {whole_range}")
        elif low > 0:
            strengths.append(f"{measured} less than the in-house service would have, {whole_range}")
        else:
            concerns.append(
                "whether the contracts measured saved money depends on how efficient the "
                "in-house service would have been"
            )
    if f.cohort_results:
        favourable, clause = _impact_clause(f.cohort_results)
        (strengths if favourable else concerns).append(clause)
    if not concerns and not strengths:
        return "There is not yet enough evidence to reach a conclusion on value for money."
    if not concerns:
        return (
            "On this evidence, the portfolio shows value for money: " + "; ".join(strengths) + "."
        )
    text = "On this evidence, value for money has not been demonstrated: " + "; ".join(concerns)
    if strengths:
        text += ". Against that, " + "; ".join(strengths)
    return (
        text + ". Commissioners should set measurable objectives and savings requirements, "
        "record baselines and plan evaluation before letting or renewing these contracts."
    )


def singles_sentence(results: list[EvaluationResult]) -> str:
    providers = len({r.organisation_id for r in results})
    return (
        f"{count(providers, 'provider')} evaluated on {'its' if providers == 1 else 'their'} "
        f"own by synthetic control: {count(len(results), 'estimate')}, of which "
        f"{and_list(verdict_phrases(results))}."
    )
