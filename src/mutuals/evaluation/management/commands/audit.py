"""``mutuals audit``: the portfolio objectives audit, savings totals and high-risk providers."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from mutuals.contracts.audit import QUESTIONS, PortfolioAudit, PortfolioRow, portfolio_audit
from mutuals.contracts.savings import PortfolioSavings, portfolio_savings
from mutuals.evaluation.risk import PortfolioRisk, portfolio_risk, returns_as_of

UNAVAILABLE = {
    "no_baseline": "no baseline",
    "no_unit_cost": "baseline gives no unit cost",
    "unit_mismatch": "baseline in another unit",
    "no_returns": "no returns",
    "invalid_returns": "returns with a negative or missing figure",
}


class Command(BaseCommand):
    help = (
        "Audit the portfolio: how many contracts, and what share of contract value, pass "
        "each objectives-audit test (by programme, commissioner and in total); savings "
        "against the in-house counterfactual with the sensitivity band; and the providers "
        "at high risk of failure, with the reasons."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            metavar="YYYY-MM-DD",
            help=(
                "date for savings and risk (default: the end of the latest quarter whose "
                "returns are substantially complete)"
            ),
        )

    def handle(self, *args, **options):
        day = _parse_date(options["as_of"]) if options.get("as_of") else returns_as_of()
        audit = portfolio_audit()
        saved = portfolio_savings(as_of=day)
        risk = portfolio_risk(day)
        if options.get("json"):
            self.stdout.write(_json(day, audit, saved, risk))
        else:
            self.stdout.write("\n".join([*audit_text(audit), "", *savings_text(saved)]))
            self.stdout.write("\n".join(["", *risk_text(risk)]))


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not a date: use YYYY-MM-DD") from None


def _json(day: date, audit: PortfolioAudit, saved: PortfolioSavings, risk: PortfolioRisk) -> str:
    payload = {
        "as_of": day.isoformat(),
        "audit": audit.to_dict(),
        "savings": saved.to_dict(),
        "risk": {
            "as_of": risk.as_of.isoformat(),
            "counts": risk.counts,
            "thresholds": vars(risk.thresholds),
            "high": [a.to_dict() for a in risk.high],
        },
    }
    return json.dumps(payload, indent=1)


def _money(value) -> str:
    value = float(value)
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value) / 1e6:,.1f}m"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _table_row(name: str, row: PortfolioRow) -> str:
    cells = [f"{_share(t.share_of_value)} ({t.passed})" for t in row.tallies]
    return f"{name[:38]:<38} {row.contracts:>9} {_money(row.annual_value):>10} " + " ".join(
        f"{c:>{len(q.label)}}" for c, q in zip(cells, QUESTIONS, strict=True)
    )


def audit_text(audit: PortfolioAudit) -> list[str]:
    total = audit.total
    header = f"{'':<38} {'Contracts':>9} {'Value/yr':>10} " + " ".join(q.label for q in QUESTIONS)
    lines = [
        f"Objectives audit of {total.contracts} contracts worth "
        f"{_money(total.annual_value)} a year",
        "Each test: share of contract value passing (number of contracts passing).",
        "",
        header,
        _table_row(total.name, total),
        "By programme",
        *[_table_row("  " + r.name, r) for r in audit.by_programme],
        "By commissioner",
        *[_table_row("  " + r.name, r) for r in audit.by_commissioner],
    ]
    return lines


def savings_text(saved: PortfolioSavings) -> list[str]:
    t, options = saved.totals, saved.options
    when = f", as of {saved.as_of:%-d %B %Y}" if saved.as_of else ""
    lines = [f"Savings against the in-house counterfactual{when}"]
    missing = ", ".join(
        f"{UNAVAILABLE.get(code, code)} {n}" for code, n in saved.unavailable_by_reason().items()
    )
    lines.append(
        f"  {t.contracts} contracts measured; {len(saved.unavailable)} could not be"
        + (f" ({missing})." if missing else ".")
    )
    if not t.contracts:
        return lines
    low, high = options.band
    lines += [
        f"  Central (in-house efficiency {options.efficiency:.0%} a year): "
        f"{_money(t.savings_real)} in {t.price_year}/{(t.price_year + 1) % 100:02d} prices; "
        f"present value {_money(t.savings_present_value)}.",
        f"  Sensitivity: {_money(t.savings_at_high_efficiency)} at {high:.0%} to "
        f"{_money(t.savings_at_low_efficiency)} at {low:.0%} a year.",
        f"  Counterfactual cost {_money(t.counterfactual_real)}; actual {_money(t.actual_real)}.",
        f"  Contracted savings: {t.requirements_met} of {t.contracts_with_requirement} "
        f"contracts with a requirement met it ({_money(t.requirement)} required in all).",
    ]
    return lines


def risk_text(risk: PortfolioRisk) -> list[str]:
    counts = risk.counts
    lines = [
        f"Provider-failure risk as of {risk.as_of:%-d %B %Y}: {counts['high']} high, "
        f"{counts['medium']} medium, {counts['low']} low "
        f"({len(risk.assessments)} providers).",
    ]
    if not risk.high:
        return [*lines, "No provider is at high risk."]
    lines.append("High risk:")
    for assessment in risk.high:
        lines.append(f"  {assessment.organisation.name}")
        lines += [f"    - {factor.sentence}" for factor in assessment.reasons]
        lines.append(f"    - {assessment.continuity.sentence}")
    return lines
