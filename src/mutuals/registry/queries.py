"""Read-side queries for the registry pages: portfolio figures, searching and one organisation.

Each function does its counting and paging in the database, so the pages stay
fast with a national world of thousands of organisations.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from mutuals.accounts.permissions import ANONYMOUS, Viewer, visible
from mutuals.contracts.models import Contract, ContractStatus
from mutuals.registry.models import (
    Organisation,
    OrganisationKind,
    Programme,
    ProgrammeMembership,
)
from mutuals.returns.queries import observation_count

SPIN_OUT = ProgrammeMembership.Role.SPIN_OUT


@dataclass(frozen=True)
class PortfolioFigures:
    providers: int
    commissioners: int
    comparators: int
    programmes: int
    active_contracts: int
    active_contract_value: Decimal
    staff_in_spin_outs: int
    observations: int


def portfolio_figures() -> PortfolioFigures:
    """The headline counts on the home page, in four aggregate queries."""
    kinds = Organisation.objects.aggregate(
        providers=Count("pk", filter=Q(kind=OrganisationKind.PROVIDER)),
        commissioners=Count("pk", filter=Q(kind=OrganisationKind.COMMISSIONER)),
        comparators=Count("pk", filter=Q(kind=OrganisationKind.COMPARATOR)),
        staff=Sum("staff_count", filter=Q(kind=OrganisationKind.PROVIDER, exit_date__isnull=True)),
    )
    contracts = Contract.objects.filter(status=ContractStatus.ACTIVE).aggregate(
        count=Count("pk"), value=Sum("annual_value")
    )
    return PortfolioFigures(
        providers=kinds["providers"],
        commissioners=kinds["commissioners"],
        comparators=kinds["comparators"],
        programmes=Programme.objects.count(),
        active_contracts=contracts["count"],
        active_contract_value=contracts["value"] or Decimal("0.00"),
        staff_in_spin_outs=kinds["staff"] or 0,
        observations=observation_count(),
    )


def programme_summaries() -> QuerySet[Programme]:
    """Programmes with their number of spin-outs and the annual value of their active contracts.

    Both figures are correlated subqueries, evaluated once per programme; a join
    and GROUP BY would evaluate the value subquery once per membership.
    """
    spin_outs = (
        ProgrammeMembership.objects.filter(programme=OuterRef("pk"), role=SPIN_OUT)
        .order_by()
        .values("programme")
        .annotate(n=Count("pk"))
        .values("n")
    )
    value = (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            provider__programmemembership__programme=OuterRef("pk"),
            provider__programmemembership__role=SPIN_OUT,
        )
        .order_by()
        .values("provider__programmemembership__programme")
        .annotate(total=Sum("annual_value"))
        .values("total")
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    return Programme.objects.annotate(
        spin_outs=Coalesce(Subquery(spin_outs, output_field=IntegerField()), 0),
        active_contract_value=Coalesce(
            Subquery(value, output_field=money), Decimal("0.00"), output_field=money
        ),
    ).order_by("name", "pk")


def programme_choices() -> list[tuple[str, str]]:
    return list(Programme.objects.order_by("name").values_list("code", "name"))


def search_organisations(
    text: str = "",
    programme: str = "",
    kinds: list[str] | None = None,
    *,
    viewer: Viewer = ANONYMOUS,
) -> QuerySet[Organisation]:
    """Organisations the viewer may see whose name contains, or whose identifier is,
    ``text``; in a stable order."""
    organisations = visible(viewer, "organisation")
    text = text.strip()
    if text:
        code = text.upper()
        organisations = organisations.filter(
            Q(name__icontains=text)
            | Q(ods_code=code)
            | Q(company_number=code)
            | Q(charity_number=code)
        )
    if programme:
        organisations = organisations.filter(programmemembership__programme__code=programme)
    if kinds:
        organisations = organisations.filter(kind__in=kinds)
    return organisations.only(
        "name", "kind", "legal_form", "region", "spinout_date", "staff_count"
    ).order_by("name", "pk")


@dataclass(frozen=True)
class OrganisationPage:
    organisation: Organisation
    memberships: list[ProgrammeMembership]
    contracts_held: list[Contract]
    contracts_commissioned: list[Contract]


def organisation_page(pk: int, *, viewer: Viewer = ANONYMOUS) -> OrganisationPage:
    """One organisation with its programmes and contracts; 404 when there is none, or
    when the viewer may not see it (so guessing ids reveals nothing)."""
    organisation = get_object_or_404(
        visible(viewer, "organisation").select_related("parent").prefetch_related("services"),
        pk=pk,
    )
    memberships = list(
        ProgrammeMembership.objects.filter(organisation=organisation)
        .select_related("programme")
        .order_by("programme__name")
    )
    commissioners = Prefetch("commissioners", queryset=Organisation.objects.only("name"))
    contracts = visible(viewer, "contract")
    held = (
        contracts.filter(provider=organisation)
        .prefetch_related(commissioners)
        .order_by("-start_date", "reference")
    )
    commissioned = (
        contracts.filter(commissioners=organisation)
        .select_related("provider")
        .order_by("-start_date", "reference")
    )
    return OrganisationPage(
        organisation=organisation,
        memberships=memberships,
        contracts_held=list(held),
        contracts_commissioned=list(commissioned),
    )
