"""Template helpers: navigation, money and 'Not recorded' for empty values."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from govuk_frontend_django.components.phase_banner import GovUKPhaseBanner
from govuk_frontend_django.components.tag import GovUKTag

from mutuals.accounts.permissions import may, viewer_for
from mutuals.engine import numbers
from mutuals.reports import impact
from mutuals.web import components

register = template.Library()

NOT_RECORDED = "Not recorded"


DEMO_NOTICE = "All organisations and figures on this site are synthetic demo data."


@register.simple_tag(takes_context=True)
def service_navigation(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    extra = ()
    if request is not None and may(viewer_for(request), "view", "evaluation"):
        extra = (("Portfolio", "portfolio"), ("Evaluation", "evaluations"))
    return components.service_navigation(
        request.path if request else None, bool(user and user.is_authenticated), extra
    )


@register.simple_tag
def govuk(name: str, **parameters) -> str:
    """A GOV.UK Frontend component: {% govuk "tag" text="Draft" classes="govuk-tag--grey" %}."""
    return components.render(components.build(name, **parameters))


@register.simple_tag
def demo_banner() -> str:
    """The phase banner saying the data are synthetic."""
    return components.render(GovUKPhaseBanner(tag=GovUKTag(text="Demo"), text=DEMO_NOTICE))


@register.filter
def pounds(value) -> str:
    """£1,234,567 for whole pounds, £1,234,567.89 otherwise; exact for Decimals."""
    if value is None or value == "":
        return NOT_RECORDED
    amount = Decimal(value)
    if amount == amount.to_integral_value():
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


@register.filter
def number(value) -> str:
    """A count or measure with thousands separators (measures to 2 decimal places);
    'Not recorded' when missing."""
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, float | Decimal):
        if value == int(value):
            return intcomma(int(value))
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return intcomma(value)


@register.filter
def or_not_recorded(value):
    """The value, or 'Not recorded' when it is None or blank (0 is a value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return NOT_RECORDED
    return value


@register.filter
def price_year(value) -> str:
    """A financial year from its first calendar year: 2010 -> '2010/11'."""
    if value is None or value == "":
        return NOT_RECORDED
    year = int(value)
    return f"{year}/{(year + 1) % 100:02d}"


@register.filter
def signed(value) -> str:
    """An estimate to three significant figures with its sign: +1.23, −6,830, 0."""
    if value is None or value == "":
        return NOT_RECORDED
    return numbers.signed(value, missing=NOT_RECORDED)


@register.filter
def plain_number(value) -> str:
    """A measure to three significant figures, never in exponent form: 12.6, −3.06."""
    if value is None or value == "":
        return NOT_RECORDED
    return numbers.plain(value, missing=NOT_RECORDED)


@register.filter
def in_unit(value, unit: str) -> str:
    """An effect in its metric's unit: '+2.03 percentage points', '−£7.8m', '+6,830 contacts';
    '–' when nothing was estimated."""
    if value is None or value == "":
        return "–"
    return numbers.amount(value, unit, sign=True)


@register.filter
def reading(result) -> str:
    """An impact result read out in a sentence (:func:`mutuals.reports.impact.reading_of`)."""
    return impact.reading_of(result)


@register.filter
def verdict_label(result) -> str:
    """'Improved', 'Too early to assess until 2014-Q2' (the tag's words)."""
    return impact.verdict_text(result.verdict, result.assessable_from)


@register.filter
def verdict_colour(verdict: str) -> str:
    return impact.VERDICT_COLOURS.get(verdict, "grey")


@register.filter
def explanation(result) -> str:
    """The verdict's reason when the reading alone does not say why."""
    return impact.explanation_of(result)


@register.filter
def grade_label(level) -> str:
    """'Level 3 of 5: before/after with a justified comparison group'."""
    return impact.grade_text(level)


@register.filter
def p_value(value) -> str:
    """A p-value to three decimals, or '<0.001'."""
    return numbers.p_value(value)
