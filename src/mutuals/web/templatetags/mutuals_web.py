"""Template helpers: navigation, money and 'Not recorded' for empty values."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.phase_banner import GovUKPhaseBanner
from govuk_frontend_django.components.tag import GovUKTag

from mutuals.accounts.permissions import may, viewer_for
from mutuals.contracts.date_input import parts_of, wrong_parts
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
    signed_in = bool(user and user.is_authenticated)
    return components.service_navigation(
        request.path if request else None,
        signed_in,
        extra,
        sign_out=_sign_out_form(request) if signed_in else None,
    )


def _sign_out_form(request) -> str:
    """Sign out is a POST with the CSRF token (a link could be followed by anyone's page),
    shown as the navigation's last link."""
    return format_html(
        '<li class="govuk-service-navigation__item">'
        '<form method="post" action="{}" class="mutuals-inline-form">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="govuk-service-navigation__link mutuals-link-button">'
        "Sign out</button></form></li>",
        reverse("sign-out"),
        get_token(request),
    )


@register.simple_tag
def govuk(name: str, **parameters) -> str:
    """A GOV.UK Frontend component: {% govuk "tag" text="Draft" classes="govuk-tag--grey" %}."""
    return components.render(components.build(name, **parameters))


FEEDBACK_SUBJECT = "Feedback on Mutuals"


@register.simple_tag
def phase_banner(demo: bool = False) -> str:
    """The phase banner with a feedback link; in the demo it says the data are synthetic."""
    feedback = format_html(
        '<a class="govuk-link" href="mailto:{}?subject={}">give your feedback by email</a>',
        settings.FEEDBACK_EMAIL,
        quote(FEEDBACK_SUBJECT),
    )
    if demo:
        tag, html = "Demo", format_html("{} Help us improve Mutuals: {}.", DEMO_NOTICE, feedback)
    else:
        tag, html = "Beta", format_html("This is a new service. Help us improve it: {}.", feedback)
    return components.render(GovUKPhaseBanner(tag=GovUKTag(text=tag), html=html))


@register.filter
def date_parts(value) -> dict[str, str]:
    """The day, month and year boxes of a GOV.UK date input, from a form field's value."""
    return parts_of(value)


@register.filter
def date_parts_in_error(errors) -> tuple[str, ...]:
    """The boxes of a GOV.UK date input to highlight for a form field's errors."""
    return wrong_parts(errors)


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
