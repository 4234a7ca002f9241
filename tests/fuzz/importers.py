"""Every table importer, with a valid header and row, what it writes, and a small world to
import into: shared by the hostile-file tests and the fuzz suite.

A refusal is one of the importer's own errors: :class:`ImportRejected` (every problem by
row and column), :class:`FileUnreadable` (the file as a whole) or, for survey answers,
:class:`SurveyError`. Anything else escaping an importer is a fault.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db.models import Model

from mutuals.accounts.models import AuditEvent
from mutuals.contracts.importing import import_contracts, import_objectives
from mutuals.contracts.models import Baseline, CommissioningRelationship, Contract, Objective
from mutuals.engagement.errors import SurveyError
from mutuals.engagement.importing import import_responses
from mutuals.engagement.models import ITEM_COLUMNS, Response
from mutuals.engagement.surveys import create_survey
from mutuals.errors import FileUnreadable, ImportRejected
from mutuals.governance.models.register import BoardSeat, Holding, Person, ShareClass
from mutuals.governance.register.importing import import_register
from mutuals.registry.importing import import_organisations
from mutuals.registry.models import (
    LegalForm,
    Organisation,
    OrganisationKind,
    ProgrammeMembership,
    Region,
    Service,
)
from mutuals.returns.models import Direction, Domain, Metric, Observation, Submission
from mutuals.returns.services import import_returns

REFUSALS = (ImportRejected, FileUnreadable, SurveyError)


@dataclass(frozen=True)
class Importer:
    name: str
    header: tuple[str, ...]
    row: tuple[str, ...]  # a row that imports
    run: Callable[[dict, Path], object]  # (world, path) -> report; raises a REFUSAL
    writes: tuple[type[Model], ...]  # every table an import may add to or change

    def counts(self) -> dict[str, int]:
        return {model.__name__: model.objects.count() for model in self.writes}


def make_world() -> dict:
    """A provider (NQX01), a commissioner (5QX), a metric, a contract, a person on the
    register and an open survey: what a valid row of each importer names."""
    commissioner = Organisation.objects.create(
        name="Brackenford PCT", kind=OrganisationKind.COMMISSIONER,
        legal_form=LegalForm.NHS_COMMISSIONER, region=Region.NORTH_EAST, ods_code="5QX",
    )  # fmt: skip
    provider = Organisation.objects.create(
        name="Brackenford Community Health CIC", kind=OrganisationKind.PROVIDER,
        legal_form=LegalForm.CIC_GUARANTEE, region=Region.NORTH_EAST, ods_code="NQX01",
    )  # fmt: skip
    Metric.objects.create(
        code="sickness-absence", name="Sickness absence", unit="%",
        direction=Direction.LOWER_IS_BETTER, domain=Domain.WORKFORCE,
    )  # fmt: skip
    contract = Contract.objects.create(
        reference="C-1", title="Community nursing", provider=provider,
        start_date=dt.date(2011, 4, 1), end_date=dt.date(2016, 3, 31),
        annual_value=Decimal("1000000.00"), status="active",
    )  # fmt: skip
    contract.commissioners.add(commissioner)
    Person.objects.create(organisation=provider, reference="P1", name="Ada", role_group="frontline")
    survey = create_survey(
        provider, year=2024, title="Staff survey 2024", opens_on=dt.date(2024, 10, 1),
        closes_on=dt.date(2099, 11, 30), group_question="Which rota?",
        group_choices=["Days", "Nights"],
    )  # fmt: skip
    return {"provider": provider, "survey": survey}


REGISTER_WRITES = (Person, Holding, ShareClass, BoardSeat, AuditEvent)

IMPORTERS = {
    importer.name: importer
    for importer in (
        Importer(
            "returns",
            ("organisation", "metric", "period", "value", "numerator", "denominator"),
            ("NQX01", "sickness-absence", "2011-Q2", "4.5", "9", "200"),
            lambda world, path: import_returns(path),
            (Observation, Submission, AuditEvent),
        ),
        Importer(
            "organisations",
            ("name", "kind", "legal_form", "region", "ods_code", "staff_count", "services"),
            ("Fenmoor Care", "provider", "cooperative", "south_west", "RS1", "45", "Home care"),
            lambda world, path: import_organisations(path),
            (Organisation, Service, ProgrammeMembership),
        ),
        Importer(
            "contracts",
            (
                "reference",
                "title",
                "provider",
                "commissioners",
                "start_date",
                "end_date",
                "annual_value",
                "status",
                "savings_requirement_pct",
            ),  # fmt: skip
            (
                "C-2",
                "Therapies",
                "NQX01",
                "5QX",
                "2011-04-01",
                "2014-03-31",
                "900000",
                "active",
                "2.5",
            ),  # fmt: skip
            lambda world, path: import_contracts(path),
            (Contract, Baseline, Service, CommissioningRelationship),
        ),
        Importer(
            "objectives",
            ("reference", "description", "direction", "metric", "target", "deadline"),
            ("C-1", "Fewer days lost", "decrease", "sickness-absence", "3.5", "2014-03-31"),
            lambda world, path: import_objectives(path),
            (Objective,),
        ),
        Importer(
            "people",
            ("reference", "name", "role_group", "employed_from", "member_from"),
            ("P2", "Cara", "senior", "2011-04-01", "2011-04-01"),
            lambda world, path: import_register(world["provider"], people=path),
            REGISTER_WRITES,
        ),
        Importer(
            "holdings",
            ("reference", "share_class", "shares", "valid_from", "votes_per_share"),
            ("P1", "Ordinary", "1", "2011-04-01", "1"),
            lambda world, path: import_register(world["provider"], holdings=path),
            REGISTER_WRITES,
        ),
        Importer(
            "board",
            ("holder_name", "filled_by", "held_from", "is_executive", "reference"),
            ("Ada", "staff_elected", "2011-04-01", "no", "P1"),
            lambda world, path: import_register(world["provider"], board=path),
            REGISTER_WRITES,
        ),
        Importer(
            "survey answers",
            (*ITEM_COLUMNS, "group"),
            (*["4"] * len(ITEM_COLUMNS), "Days"),
            lambda world, path: import_responses(world["survey"], path),
            (Response, AuditEvent),
        ),
    )
}
