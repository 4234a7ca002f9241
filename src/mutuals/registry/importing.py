"""``mutuals import-organisations``: organisations from CSV, matched on their identifiers.

A row whose ODS code, Companies House number or charity number is already registered updates
that organisation; any other row creates one. A parent body may be named by
an identifier already registered or given on an earlier row of the file.
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import Q

from mutuals.registry.models import (
    LegalForm,
    Organisation,
    OrganisationKind,
    Programme,
    ProgrammeMembership,
    Region,
    Service,
)
from mutuals.returns.cells import quoted
from mutuals.tabular import (
    CellError,
    TableReport,
    choice,
    import_table,
    optional_date,
    optional_int,
    split,
    text,
)

REQUIRED = ("name", "kind", "legal_form", "region")
OPTIONAL = (
    "ods_code",
    "company_number",
    "charity_number",
    "parent",
    "spinout_date",
    "exit_date",
    "staff_count",
    "services",
    "programmes",
)


def find_by_identifier(identifier: str) -> Organisation | None:
    return Organisation.objects.filter(
        Q(ods_code=identifier) | Q(company_number=identifier) | Q(charity_number=identifier)
    ).first()


def import_organisations(path: Path | str, *, skip_invalid: bool = False) -> TableReport:
    seen: dict[str, int] = {}
    return import_table(
        path,
        required=REQUIRED,
        optional=OPTIONAL,
        prepare=lambda cells, row: _prepare(cells, row, seen),
        skip_invalid=skip_invalid,
    )


def _prepare(cells: dict[str, str], row: int, seen: dict[str, int]):
    ods = text(cells, "ods_code") or None
    company = text(cells, "company_number") or None
    charity = text(cells, "charity_number") or None
    given = [
        (c, i)
        for c, i in (("ods_code", ods), ("company_number", company), ("charity_number", charity))
        if i
    ]
    if not given:
        raise CellError(
            "ods_code", "give an ODS code, a Companies House number or a charity number"
        )
    for column, identifier in given:
        if identifier in seen:
            raise CellError(column, f"{quoted(identifier)} repeats row {seen[identifier]}")
        seen[identifier] = row
    organisation = next(
        (found for _, i in given if (found := find_by_identifier(i)) is not None), None
    )
    created = organisation is None
    organisation = organisation or Organisation()
    organisation.name = text(cells, "name", required=True)
    organisation.kind = choice(cells, "kind", OrganisationKind)
    organisation.legal_form = choice(cells, "legal_form", LegalForm)
    organisation.region = choice(cells, "region", Region)
    organisation.ods_code, organisation.company_number = ods, company
    organisation.charity_number = charity
    organisation.spinout_date = optional_date(cells, "spinout_date")
    organisation.exit_date = optional_date(cells, "exit_date")
    organisation.staff_count = optional_int(cells, "staff_count")
    organisation.parent = _parent(cells)
    programmes = _programmes(cells)
    organisation.full_clean()

    def save() -> bool:
        organisation.save()
        services = [
            Service.objects.get_or_create(name=name)[0] for name in split(cells, "services")
        ]
        organisation.services.set(services)
        for programme in programmes:
            ProgrammeMembership.objects.get_or_create(
                programme=programme, organisation=organisation
            )
        return created

    return save


def _parent(cells: dict[str, str]) -> Organisation | None:
    identifier = text(cells, "parent")
    if not identifier:
        return None
    parent = find_by_identifier(identifier)
    if parent is None:
        raise CellError(
            "parent",
            f"no organisation has the ODS code, Companies House number or charity number {quoted(identifier)}",
        )
    return parent


def _programmes(cells: dict[str, str]) -> list[Programme]:
    codes = split(cells, "programmes")
    found = {p.code: p for p in Programme.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise CellError("programmes", f"no programme has the code {quoted(unknown[0])}")
    return [found[code] for code in codes]
