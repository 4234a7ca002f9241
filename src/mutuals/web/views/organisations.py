"""The organisation journey: find an organisation, then read about it.

A spin-out provider's page shows, to those who may see its returns, a Monitoring section:
each metric's variation and assurance, and its open alerts. Commissioners and in-house
comparators hold no contract to monitor, so their pages have none, and skip the statistics
(20-40 ms of processor time a page). The section's charts are images the browser fetches
from the same address with ``?chart=<metric code>``, so drawing them (100-200 ms each the
first time, then cached) never holds up the page itself. The statistics themselves are
cached too, keyed by the provider's newest observation and its contract targets, so a
resubmission or a changed target is seen at once.
"""

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from mutuals import charts
from mutuals.accounts.permissions import allowed_in, viewer_for, visible
from mutuals.contracts.models import Objective
from mutuals.evaluation.models import Alert
from mutuals.evaluation.monitoring import (
    MIN_POINTS,
    RULE_TEXT,
    SeriesSpc,
    open_alerts,
    provider_spc,
)
from mutuals.registry import queries
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.returns.queries import latest_returns
from mutuals.returns.summary import returns_version
from mutuals.web.components import paginate, pagination
from mutuals.web.forms import OrganisationFilterForm
from mutuals.web.kept import fragments, kept
from mutuals.web.views import commissioning, engagement
from mutuals.web.views import events as event_views
from mutuals.web.views.register import staff_control_section


def organisation_list(request):
    form = OrganisationFilterForm(request.GET, programmes=queries.programme_choices())
    filters = form.filters()
    page = paginate(
        request,
        queries.search_organisations(
            filters["q"], filters["programme"], filters["kind"], viewer=viewer_for(request)
        ),
    )
    return render(
        request,
        "mutuals/organisations/list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "pagination": pagination(request, page),
            "breadcrumbs": [("Home", reverse("home"))],
        },
    )


def organisation_detail(request, pk: int):
    viewer = viewer_for(request)
    # 404 when there is none, or when the viewer may not see it (guessing ids reveals nothing).
    organisation = get_object_or_404(visible(viewer, "organisation"), pk=pk)
    if "chart" in request.GET:
        return spc_chart(request, organisation, _is_monitored(viewer, organisation))
    # Everything but the commissioning and consultation sections is the same for everyone
    # with the same roles, and kept; those two are made live (forms; what is upcoming now).
    body = fragments(
        "organisation",
        (organisation.pk, viewer.signature),
        "mutuals/organisations/detail_body.html",
        lambda: _organisation_body(viewer, pk),
    )
    return render(
        request,
        "mutuals/organisations/detail.html",
        {
            "organisation": organisation,
            "body": body,
            "consultation": event_views.provider_section(viewer, organisation),
            "commissioning": commissioning.organisation_section(viewer, organisation),
            "breadcrumbs": [("Home", reverse("home")), ("Organisations", reverse("organisations"))],
        },
    )


def _is_monitored(viewer, organisation: Organisation) -> bool:
    """Whether the page shows the viewer a Monitoring section: providers, to those who may
    see their returns."""
    return organisation.kind == OrganisationKind.PROVIDER and allowed_in(
        viewer, "view", "observation", organisation.pk
    )


def _organisation_body(viewer, pk: int) -> dict:
    organisation_page = queries.organisation_page(pk, viewer=viewer)
    organisation = organisation_page.organisation
    is_provider = organisation.kind == OrganisationKind.PROVIDER
    return {
        "page": organisation_page,
        "organisation": organisation,
        "may_see_returns": allowed_in(viewer, "view", "observation", organisation.pk),
        "monitoring": kept("monitoring", (organisation.pk,), lambda: monitoring(organisation))
        if _is_monitored(viewer, organisation)
        else None,
        "may_upload_returns": allowed_in(viewer, "create", "submission", organisation.pk),
        "may_see_ballots": is_provider and allowed_in(viewer, "view", "ballot", organisation.pk),
        "latest_returns": latest_returns(organisation, viewer=viewer),
        "engagement": engagement.organisation_section(viewer, organisation),
        "may_run_surveys": is_provider and allowed_in(viewer, "create", "survey", organisation.pk),
        "staff_control": staff_control_section(organisation, viewer),
    }


@dataclass(frozen=True)
class MonitoredSeries:
    """One metric's chart on the page: the image to fetch, its words and its icons."""

    series: SeriesSpc
    chart_url: str
    chart_title: str
    chart_description: str
    variation_icon: SafeString
    assurance_icon: SafeString


@dataclass(frozen=True)
class Monitoring:
    series: list[MonitoredSeries]
    alerts: list[Alert]
    several_kinds: bool
    min_points: int = MIN_POINTS

    def __bool__(self) -> bool:
        return bool(self.series or self.alerts)


def cached_provider_spc(organisation: Organisation) -> list[SeriesSpc]:
    """:func:`provider_spc`, computed once per version of the returns and the provider's
    targets. The returns' version is read from primary keys alone: the newest of this
    provider's rows would be cheaper to keep but not to find (PostgreSQL walks the whole
    table backwards for it)."""
    newest = returns_version()
    targets = Objective.objects.filter(
        contract__provider=organisation, metric__isnull=False, target__isnull=False
    ).values_list("metric_id", "target", "contract__status", "contract__end_date", "pk")
    version = hashlib.sha256(repr((newest, sorted(targets))).encode()).hexdigest()[:16]
    key = f"provider-spc:{organisation.pk}:{version}"
    series = cache.get(key)
    if series is None:
        series = provider_spc(organisation)
        cache.set(key, series, timeout=24 * 3600)
    return series


def monitoring(organisation: Organisation) -> Monitoring:
    """What the Monitoring section shows: every metric's chart and labels, and the alerts."""
    all_series = cached_provider_spc(organisation)
    alerts = open_alerts(organisation)
    for alert in alerts:
        alert.rule_text = RULE_TEXT.get(alert.rule, alert.rule)
    return Monitoring(
        series=[_monitored(organisation, series) for series in all_series],
        alerts=alerts,
        several_kinds=len({s.metric.pk for s in all_series}) < len(all_series),
    )


def _monitored(organisation: Organisation, series: SeriesSpc) -> MonitoredSeries:
    query = urlencode({"chart": series.metric.code, "period_kind": series.period_kind})
    return MonitoredSeries(
        series=series,
        chart_url=f"{organisation.get_absolute_url()}?{query}",
        chart_title=charts.spc_title(series),
        chart_description=charts.spc_description(series),
        variation_icon=mark_safe(
            charts.variation_icon(series.variation, side=series.last.side, decorative=True)
        ),
        assurance_icon=mark_safe(charts.assurance_icon(series.assurance, decorative=True)),
    )


def spc_chart(request, organisation: Organisation, monitored: bool) -> HttpResponse:
    """One metric's XmR chart as SVG, for those who may see a provider's returns."""
    if not monitored:
        raise PermissionDenied
    code = request.GET.get("chart", "")
    period_kind = request.GET.get("period_kind", "quarter")
    found = [
        s for s in provider_spc(organisation, metric_codes=[code]) if s.period_kind == period_kind
    ]
    if not found:
        raise Http404("No such series")
    response = HttpResponse(charts.spc_chart(found[0]), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response
