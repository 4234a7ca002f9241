"""Monitoring alerts: special causes of concern and consistently failing targets.

An alert is read from a provider's returns, so whoever may see the provider's returns
may see its alerts (the organisation page's Monitoring section follows the same rule).
"""

from __future__ import annotations

from ninja import Query, Router

from mutuals.accounts.permissions import allowed_in, may
from mutuals.api import schemas
from mutuals.api.auth import READ, caller
from mutuals.api.listing import (
    MetricFilter,
    OrganisationFilter,
    PageParams,
    PeriodFilter,
    organisation_ids,
    page,
    period_bounds,
    periods_within,
)
from mutuals.api.routers.register import organisation_ref
from mutuals.evaluation.models import Alert

router = Router(tags=["Monitoring"])


def alert_json(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "organisation": organisation_ref(alert.organisation),
        "metric": alert.metric.code,
        **{
            name: getattr(alert, name)
            for name in ("kind", "period", "rule", "value", "target", "detected_at", "is_open")
        },
    }


def _visible_alerts(viewer):
    """Alerts of the organisations whose returns the viewer may see."""
    alerts = Alert.objects.all()
    if may(viewer, "view", "observation"):
        return alerts
    organisation_ids = {
        pk
        for pk in alerts.order_by().values_list("organisation_id", flat=True).distinct()
        if allowed_in(viewer, "view", "observation", pk)
    }
    return alerts.filter(organisation_id__in=organisation_ids)


@router.get(
    "/alerts",
    response=schemas.responses({200: schemas.AlertPage}),
    auth=READ,
    summary="List monitoring alerts",
)
def list_alerts(
    request,
    paging: Query[PageParams],
    where: Query[OrganisationFilter],
    metric: Query[MetricFilter],
    periods: Query[PeriodFilter],
    is_open: bool | None = None,
):
    """Alerts by id; ``is_open=true`` for those still open."""
    alerts = _visible_alerts(caller(request).viewer).select_related("organisation", "metric")
    if where.organisation:
        alerts = alerts.filter(organisation_id__in=organisation_ids(where.organisation))
    if metric.metric:
        alerts = alerts.filter(metric__code=metric.metric)
    start, end = period_bounds(periods)
    if start or end:
        labels = alerts.order_by().values_list("period", flat=True).distinct()
        alerts = alerts.filter(period__in=periods_within(labels, start, end))
    if is_open is not None:
        alerts = alerts.filter(is_open=is_open)
    return page(request, alerts.order_by("pk"), paging, alert_json)
