"""The register: organisations, programmes and the metric catalogue. Public records, so
anyone may read them, with or without a token."""

from __future__ import annotations

from typing import Literal

from django.db.models import Prefetch
from ninja import Path, Query, Router

from mutuals.accounts.permissions import visible
from mutuals.api import schemas
from mutuals.api.auth import PUBLIC_READ, caller
from mutuals.api.errors import not_found
from mutuals.api.listing import (
    CODE,
    OrganisationFilter,
    PageParams,
    ProgrammeFilter,
    organisation_ids,
    page,
)
from mutuals.api.schemas import responses
from mutuals.registry.models import Organisation, Programme, ProgrammeMembership
from mutuals.returns.models import Metric

router = Router(tags=["Register"], auth=PUBLIC_READ)

MAX_ID = 2**63 - 1
Kind = Literal["commissioner", "provider", "comparator"]


def organisation_ref(organisation: Organisation | None) -> dict | None:
    if organisation is None:
        return None
    return {"id": organisation.pk, "name": organisation.name, "identifier": organisation.identifier}


def _organisations(request):
    memberships = ProgrammeMembership.objects.select_related("programme").order_by(
        "programme__code"
    )
    return (
        visible(caller(request).viewer, "organisation")
        .prefetch_related("services", Prefetch("programmemembership_set", queryset=memberships))
        .order_by("pk")
    )


def organisation_json(organisation: Organisation) -> dict:
    fields = (
        "name",
        "kind",
        "legal_form",
        "identifier",
        "ods_code",
        "company_number",
        "charity_number",
        "parent_id",
        "spinout_date",
        "exit_date",
        "staff_count",
        "region",
    )
    return {
        "id": organisation.pk,
        **{name: getattr(organisation, name) for name in fields},
        "services": sorted(service.name for service in organisation.services.all()),
        "programmes": [
            {"programme": membership.programme.code, "role": membership.role}
            for membership in organisation.programmemembership_set.all()
        ],
    }


@router.get(
    "/organisations",
    response=responses({200: schemas.OrganisationPage}),
    summary="List organisations",
)
def list_organisations(
    request,
    paging: Query[PageParams],
    where: Query[OrganisationFilter],
    programme: Query[ProgrammeFilter],
    kind: Kind | None = None,
):
    """Commissioners, spin-out providers and in-house comparators, by id."""
    organisations = _organisations(request)
    if where.organisation:
        organisations = organisations.filter(pk__in=organisation_ids(where.organisation))
    if programme.programme:
        organisations = organisations.filter(
            programmemembership__programme__code=programme.programme
        )
    if kind:
        organisations = organisations.filter(kind=kind)
    return page(request, organisations, paging, organisation_json)


@router.get(
    "/organisations/{id}",
    response=responses({200: schemas.Organisation}),
    summary="Read an organisation",
)
def get_organisation(request, id: int = Path(..., ge=1, le=MAX_ID)):
    organisation = _organisations(request).filter(pk=id).first()
    if organisation is None:
        raise not_found(f"organisation {id}")
    return organisation_json(organisation)


@router.get(
    "/programmes", response=responses({200: schemas.ProgrammePage}), summary="List programmes"
)
def list_programmes(request, paging: Query[PageParams]):
    """Groups of spin-outs evaluated together, by code."""
    programmes = Programme.objects.order_by("code").values("code", "name", "kind", "description")
    return page(request, programmes, paging)


@router.get(
    "/programmes/{code}",
    response=responses({200: schemas.ProgrammeDetail}),
    summary="Read a programme and its members",
)
def get_programme(request, code: str = Path(..., pattern=CODE)):
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        raise not_found(f"programme {code!r}")
    organisations = visible(caller(request).viewer, "organisation")
    memberships = (
        ProgrammeMembership.objects.filter(programme=programme, organisation__in=organisations)
        .select_related("organisation")
        .order_by("organisation_id")
    )
    return {
        "code": programme.code,
        "name": programme.name,
        "kind": programme.kind,
        "description": programme.description,
        "members": [
            {"organisation": organisation_ref(m.organisation), "role": m.role} for m in memberships
        ],
    }


METRIC_FIELDS = ("code", "name", "unit", "direction", "domain", "description", "allows_negative")


@router.get("/metrics", response=responses({200: schemas.MetricPage}), summary="List metrics")
def list_metrics(request, paging: Query[PageParams]):
    """The catalogue returns are submitted against, by code."""
    return page(request, Metric.objects.order_by("code").values(*METRIC_FIELDS), paging)


@router.get("/metrics/{code}", response=responses({200: schemas.Metric}), summary="Read a metric")
def get_metric(request, code: str = Path(..., pattern=CODE)):
    metric = Metric.objects.filter(code=code).values(*METRIC_FIELDS).first()
    if metric is None:
        raise not_found(f"metric {code!r}")
    return metric
