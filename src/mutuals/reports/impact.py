"""Impact results read out in words, for pages, reports and published snapshots.

A commissioner should not need a statistician beside them: each result is
read as a sentence ("Sickness absence fell by 0.8 percentage points compared
with 140 in-house comparators; the 95% interval runs from 0.2 to 1.4
percentage points"), the verdict's reason says why it is what it is, and the
evidence grade and the placebo test are explained where they appear.
Everything here takes plain values, so a frozen snapshot reads the same as a
live result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mutuals.engine.grade import LEVEL_NAMES
from mutuals.engine.numbers import amount, approx, figure, p_value, percent

DECIDED = ("improved", "worsened", "increased", "decreased")
VERDICT_TEXT = {
    "improved": "Improved",
    "worsened": "Worsened",
    "increased": "Increased",
    "decreased": "Decreased",
    "no_important_effect": "No effect that matters",
    "inconclusive": "Inconclusive",
    "too_early": "Too early to assess",
    "cannot_assess": "Cannot be assessed",
    # runs judged before these verdicts
    "no_detectable_effect": "No detectable effect",
}
VERDICT_COLOURS = {
    "improved": "green",
    "worsened": "red",
    "no_important_effect": "blue",
    "too_early": "yellow",
    "cannot_assess": "orange",
}
VERDICT_MEANINGS = (
    ("improved", "Improved or worsened",
     "The interval excludes no effect, after allowing for the number of tests the run made. "
     "When the whole interval is smaller than the smallest effect that matters (5% of the "
     "level before spin-out), the row says so."),
    ("increased", "Increased or decreased",
     "The same, for a metric where neither direction is better (such as income)."),
    ("no_important_effect", "No effect that matters",
     "The interval rules out the smallest effect that matters in both directions: whatever "
     "the effect is, it is too small to matter."),
    ("inconclusive", "Inconclusive",
     "There is enough data, but the interval includes both no effect and an effect that "
     "matters."),
    ("too_early", "Too early to assess",
     "Waiting would help: the row gives the quarter from which the evidence should suffice."),
    ("cannot_assess", "Cannot be assessed",
     "Waiting would not help: the row says what would (more comparators, more providers, or "
     "another design)."),
)  # fmt: skip
BELOW_THRESHOLD = "by less than the smallest effect that matters"
GRADE_SCALE = (
    "The evidence grade is the design's level on the Maryland Scientific Methods Scale, "
    "from 1 (no comparison group) to 5 (a randomised trial). Level 3, a before-and-after "
    "comparison against a justified comparison group, is the lowest that What Works "
    "centres count as evidence of impact; a comparison whose groups did not move together "
    "before spin-out is marked down to 2."
)
PLACEBO_TEST = (
    "A single provider is compared with a synthetic control: a weighted blend of in-house "
    "comparators that tracked it before spin-out. The placebo test does the same for every "
    "comparator as if it had spun out, and ranks the provider's gap after spin-out (relative "
    "to how well it was tracked before) among them all: a p-value of 1 in 21 means its gap "
    "was the largest of 21. With fewer than 19 comparators no provider can rank high enough "
    "to reach the 5% level."
)


def verdict_text(verdict: str, assessable_from: str = "", below_threshold: bool = False) -> str:
    """The verdict as a short label: 'Too early to assess (until 2014-Q2)'."""
    text = VERDICT_TEXT.get(verdict, verdict.replace("_", " ").capitalize())
    if verdict == "too_early" and assessable_from:
        text += f" until {assessable_from}"
    if below_threshold and verdict in DECIDED:
        text += f", {BELOW_THRESHOLD}"
    return text


def grade_text(level: int | None) -> str:
    """'Level 3 of 5: before/after with a justified comparison group'."""
    if level is None:
        return "Not graded: nothing was estimated"
    return f"Level {level} of 5: {LEVEL_NAMES[level]}"


def reading(
    *,
    metric: str,
    unit: str,
    method: str,
    att: float | None,
    ci_low: float | None,
    ci_high: float | None,
    ci_level: float | None,
    comparators: int,
    p: float | None = None,
) -> str:
    """The estimate and its interval in a sentence (see the module docstring)."""
    if att is None or not math.isfinite(att):
        return f"{_capital(metric)}: nothing could be estimated."
    against = (
        "its synthetic control"
        if method == "synth"
        else f"{comparators:,} in-house comparator{'s' if comparators != 1 else ''}"
    )
    text = f"{_capital(metric)} {_moved(att, unit)} compared with {against}"
    if ci_low is not None and ci_high is not None and ci_level:
        text += f"; the {percent(ci_level)} interval runs from {_span(ci_low, ci_high, unit)}"
    elif method == "synth":
        text += "; the placebo test could not bound it"
    text += "."
    if method == "synth" and p is not None and comparators:
        text += " " + placebo_sentence(p, comparators)
    return text


def placebo_sentence(p: float, comparators: int) -> str:
    """'Its gap ranked 1st of 21 units compared (placebo p = 0.048).'"""
    units = comparators + 1
    rank = max(1, round(p * units))
    place = "the largest" if rank == 1 else f"{_ordinal(rank)} largest"
    return (
        f"Its gap after spin-out was {place} of {units} units compared (placebo p = {p_value(p)})."
    )


def reading_of(result) -> str:
    """:func:`reading` for a stored :class:`~mutuals.evaluation.models.EvaluationResult`."""
    return reading(
        metric=result.metric.name,
        unit=result.metric.unit,
        method=result.method,
        att=result.att,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        ci_level=getattr(result, "ci_level", None) or (0.95 if result.ci_low is not None else None),
        comparators=result.comparison_units,
        p=result.p_value,
    )


def explanation_of(result) -> str:
    """What a page shows under the verdict: the reason when the reading alone does not
    say why (every verdict but a plain finding)."""
    if result.verdict in DECIDED and not result.below_threshold:
        return ""
    return result.reason


def multiplicity_sentence(summary: Mapping[str, Any] | None) -> str:
    """How many tests the run made and what chance alone would have given."""
    if not summary or not summary.get("tests"):
        return ""
    tests, found = summary["tests"], summary["findings"]
    alpha = summary["alpha"]
    text = (
        f"The run made {tests:,} test{'s' if tests != 1 else ''}. If nothing had any effect, "
        f"chance alone would give about {approx(summary['expected_by_chance'])} "
        f"\u201cfindings\u201d at the {percent(alpha)} level, so the run controls the false "
        f"discovery rate at {percent(alpha)} ({summary.get('method_name', 'Benjamini–Hochberg')}): "
        f"{found:,} finding{'s' if found != 1 else ''} survive{'s' if found == 1 else ''}, and "
        f"every interval is shown at the {percent(summary['interval_level'])} level this "
        "requires, so an interval clear of zero is always a finding."
    )
    if summary.get("not_counted"):
        n = summary["not_counted"]
        text += (
            f" {n:,} single-provider comparison{'s' if n != 1 else ''} with too few comparators "
            "to ever reach that level " + ("is" if n == 1 else "are") + " not counted and "
            "cannot be assessed."
        )
    return text


# --- wording -----------------------------------------------------------------------------------


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _moved(value: float, unit: str) -> str:
    size = amount(abs(value), unit)
    if figure(value) == "0":
        return "did not change"
    return f"{'rose' if value > 0 else 'fell'} by {size}"


def _span(low: float, high: float, unit: str) -> str:
    """'0.2 to 1.4 percentage points' when both bounds move one way (as magnitudes, in the
    estimate's direction), else 'a fall of 0.3 to a rise of 1.2 weeks'."""
    if low >= 0 or high <= 0:
        near, far = sorted((abs(low), abs(high)))
        first = amount(near, unit) if unit.strip().startswith("£") else figure(near)
        return f"{first} to {amount(far, unit)}"
    fall = amount(abs(low), unit) if unit.strip().startswith("£") else figure(abs(low))
    return f"a fall of {fall} to a rise of {amount(high, unit)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


__all__ = [
    "BELOW_THRESHOLD", "GRADE_SCALE", "PLACEBO_TEST", "VERDICT_COLOURS", "VERDICT_MEANINGS",
    "VERDICT_TEXT",
    "explanation_of", "grade_text", "multiplicity_sentence", "placebo_sentence",
    "reading", "reading_of", "verdict_text",
]  # fmt: skip
