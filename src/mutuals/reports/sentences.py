"""Sentences about one contract's savings and one provider's risk, in the report's style."""

from __future__ import annotations

from mutuals.contracts.savings import ContractSavings
from mutuals.evaluation.risk import RiskAssessment
from mutuals.reports.formatting import financial_year, money, saving_range


def savings_sentence(c: ContractSavings) -> str:
    """'RTR-0001 cost £4.1m more than the in-house counterfactual from 2010/11 to 2014/15…'"""
    low, high = c.band
    direction = "less" if c.savings_real >= 0 else "more"
    text = (
        f"{c.reference} cost {money(abs(c.savings_real))} {direction} than the in-house "
        f"counterfactual from {financial_year(c.first_year)} to {financial_year(c.last_year)} "
        f"({financial_year(c.base_year)} prices, in-house efficiency {c.efficiency:.0%} a "
        f"year). With in-house efficiency from {low:.0%} to {high:.0%} a year, it cost "
        f"{saving_range(c.savings_at_low_efficiency, c.savings_at_high_efficiency)}."
    )
    if c.requirement_status == "met":
        text += f" The contracted saving of {money(c.requirement)} was achieved."
    elif c.requirement_status == "not_met":
        text += (
            f" The contracted saving of {money(c.requirement)} was missed by {money(c.shortfall)}."
        )
    return text


def _lower_first(label: str) -> str:
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[0].lower() + label[1:]


def risk_sentence(a: RiskAssessment) -> str:
    """'High risk of failure: income concentration, operating margin and SPC concerns are
    past their thresholds.'"""
    reasons = [_lower_first(f.label) for f in a.reasons]
    if not reasons:
        return f"{a.rating.capitalize()} risk of failure: no factor is past its threshold."
    listed = reasons[0] if len(reasons) == 1 else ", ".join(reasons[:-1]) + " and " + reasons[-1]
    verb = "is" if len(reasons) == 1 else "are"
    return f"{a.rating.capitalize()} risk of failure: {listed} {verb} past the threshold."
