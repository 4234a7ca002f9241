"""Migrating a database made before providers confirmed their commissioners: every
commissioner a contract already linked to a provider keeps its access, confirmed by the
migration and saying so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("contracts", "0001_initial")]
AFTER = [("contracts", "0002_commissioning_relationship")]


@pytest.mark.django_db(transaction=True)
def test_existing_relationships_are_confirmed_by_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE[0]).apps
    Organisation = old.get_model("registry", "Organisation")
    Contract = old.get_model("contracts", "Contract")

    def organisation(name, kind):
        return Organisation.objects.create(
            name=name, kind=kind, legal_form="company", region="london"
        )

    pct, council = organisation("A PCT", "commissioner"), organisation("A council", "commissioner")
    provider = organisation("A provider", "provider")
    for reference, commissioners in (("C-1", [pct, council]), ("C-2", [pct])):
        contract = Contract.objects.create(
            reference=reference,
            title=reference,
            provider=provider,
            start_date=dt.date(2011, 4, 1),
            end_date=dt.date(2014, 3, 31),
            annual_value=1,
            status="active",
        )
        contract.commissioners.set(commissioners)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER[0]).apps
    found = new.get_model("contracts", "CommissioningRelationship").objects.order_by("pk")
    assert sorted(found.values_list("commissioner__name", "provider__name", "status")) == [
        ("A PCT", "A provider", "confirmed"),
        ("A council", "A provider", "confirmed"),
    ]
    assert all("before providers were asked to confirm" in r.note for r in found)
