"""The demo registers: sized by staff, deterministic, some flagged, the demo accounts on them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from mutuals.governance import control
from mutuals.governance.demo import MAX_PEOPLE, enrol_demo_accounts, load_registers
from mutuals.governance.models import Person, StaffVoteRecord
from mutuals.registry.models import LegalForm, Organisation, OrganisationKind, Region

FORMS = (LegalForm.CIC_GUARANTEE, LegalForm.CIC_SHARES, LegalForm.COMMUNITY_BENEFIT_SOCIETY)


@pytest.fixture
def providers(db):
    return [
        Organisation.objects.create(
            name=f"Demo Provider {n:02d}", kind=OrganisationKind.PROVIDER,
            legal_form=FORMS[n % 3], region=Region.EAST, spinout_date=dt.date(2011, 4, 1),
            staff_count=[30, 2500, 120][n % 3],
        )
        for n in range(9)
    ]  # fmt: skip


def _snapshot():
    return list(Person.objects.order_by("organisation__name", "reference").values_list(
        "name", "role_group", "employed_from", "member_from"))  # fmt: skip


def test_registers_are_sized_flagged_and_repeatable(providers):
    summary = load_registers(2011)
    assert summary.providers == 9 and summary.buyout_like == 1
    sizes = {o.name: o.register.count() for o in providers}
    assert sizes["Demo Provider 01"] == MAX_PEOPLE and sizes["Demo Provider 00"] == 30
    buyout = control.assess(providers[8], dt.date(2015, 1, 1))
    assert "management_buyout_risk" in {c.code for c in buyout.flags}
    assert "no_staff_elected_director" in {c.code for c in buyout.flags}
    fine = control.assess(providers[0], dt.date(2015, 1, 1))
    assert fine.status == "no_flags", [c.reason for c in fine.flags]
    assert load_registers(2011).providers == 0  # registers already there are kept
    first = _snapshot()
    Person.objects.all().delete()
    StaffVoteRecord.objects.all().delete()
    for organisation in providers:
        organisation.constitutions.all().delete()
        organisation.board_seats.all().delete()
        organisation.share_classes.all().delete()
    load_registers(2011)
    assert _snapshot() == first


def test_the_demo_staff_member_and_manager_are_on_the_register(providers):
    load_registers(2011)
    users = get_user_model().objects
    staff = users.create_user(username="staff@demo.invalid", first_name="Demo staff member")
    manager = users.create_user(username="provider@demo.invalid", first_name="Demo manager")
    enrol_demo_accounts(providers[0], staff_user=staff, manager_user=manager)
    enrol_demo_accounts(providers[0], staff_user=staff, manager_user=manager)  # idempotent
    entry = Person.objects.get(user=staff)
    assert entry.organisation == providers[0] and entry.role_group == "frontline"
    assert entry.employed_until is None and entry.member_from is not None
    assert Person.objects.get(user=manager).role_group == "manager"


def test_an_empty_register_gets_entries_for_the_demo_accounts(providers):
    users = get_user_model().objects
    staff = users.create_user(username="staff@demo.invalid")
    manager = users.create_user(username="provider@demo.invalid")
    enrol_demo_accounts(providers[1], staff_user=staff, manager_user=manager)
    assert Person.objects.filter(organisation=providers[1], user__isnull=False).count() == 2
