"""Value-for-money reports, as the web's downloads: the portfolio's and one provider's.

The same rules as the web apply: the whole-portfolio report names every provider
with figures from its returns, so it is for those who may see every provider's
returns (auditors); a provider's scorecard is for those who may see that provider's
returns. Reports are made on request from the latest evaluation run that covers
every programme and metric.
"""

from __future__ import annotations

from typing import Literal

from ninja import Path, Router

from mutuals.accounts.permissions import allowed_in, may, visible
from mutuals.api import schemas
from mutuals.api.auth import READ, caller
from mutuals.api.errors import ApiProblem, not_found
from mutuals.api.routers.register import MAX_ID
from mutuals.registry.models import OrganisationKind

router = Router(tags=["Reports"])
Format = Literal["html", "pdf"]
_DOCUMENT = {
    "responses": {
        200: {
            "description": "The report, as an attachment.",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


@router.get(
    "/reports/portfolio.{format}",
    response=schemas.responses({200: None}),
    auth=READ,
    summary="Download the portfolio's value-for-money report",
    openapi_extra=_DOCUMENT,
)
def portfolio_report(request, format: Format):
    from mutuals import reports

    viewer = caller(request).viewer
    if not (may(viewer, "view", "evaluation") and may(viewer, "view", "observation")):
        raise ApiProblem(
            403,
            "forbidden",
            "The portfolio report names every provider with figures from its returns: "
            "only those who may see every provider's returns (auditors) may download it.",
        )
    return reports.attachment(reports.build_portfolio(reports.latest_full_run()), format)


@router.get(
    "/reports/providers/{id}.{format}",
    response=schemas.responses({200: None}),
    auth=READ,
    summary="Download a provider's scorecard report",
    openapi_extra=_DOCUMENT,
)
def provider_report(request, format: Format, id: int = Path(..., ge=1, le=MAX_ID)):
    from mutuals import reports

    viewer = caller(request).viewer
    providers = visible(viewer, "organisation").filter(kind=OrganisationKind.PROVIDER)
    organisation = providers.filter(pk=id).first()
    if organisation is None:
        raise not_found(f"provider {id}")
    if not allowed_in(viewer, "view", "observation", organisation.pk):
        raise ApiProblem(
            403,
            "forbidden",
            "A scorecard is made from the provider's returns: its managers, its "
            "commissioners and auditors may download it.",
        )
    return reports.attachment(
        reports.build_provider(organisation, reports.latest_full_run()), format
    )
