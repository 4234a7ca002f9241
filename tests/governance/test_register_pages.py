# ruff: noqa: F811  (pytest fixtures imported from web.conftest are parameters here)
"""The register pages: who may read and change them, uploads, the two record forms, and the
Staff control section of the provider page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.conftest import _fast_hashing, make_user  # noqa: F401
from mutuals.accounts.models import AuditEvent
from mutuals.governance.models import Constitution, Holding, Person, StaffVoteRecord
from web.conftest import _fresh_cache, world  # noqa: F401
from web.date_boxes import date_boxes
from web.test_page_conventions import check_conventions

PEOPLE = (
    b"reference,name,role_group,employed_from,member_from\n"
    b"P1,Ada Quillfeather,frontline,2011-04-01,2011-04-01\n"
    b"P2,Cara Director,senior,2011-04-01,2011-04-01\n"
)
HOLDINGS = (
    b"reference,share_class,shares,valid_from\nP1,Ordinary,1,2011-04-01\nP2,Ordinary,9,2011-04-01\n"
)


@pytest.fixture
def roles(world):  # noqa: F811
    health = world["health"]
    return {
        "provider_manager": make_user("pm@example.org", "provider_manager", health),
        "other_manager": make_user("om@example.org", "provider_manager", world["practice"]),
        "provider_staff": make_user("ps@example.org", "provider_staff", health),
        "commissioner": make_user("c@example.org", "commissioner", world["pct"]),
        "auditor": make_user("a@example.org", "auditor"),
    }


@pytest.fixture
def as_role(client, roles):
    def sign_in(role):
        if role != "public":
            client.force_login(roles[role])
        return client

    return sign_in


def upload(client, health, **files):
    data = {name: SimpleUploadedFile(f"{name}.csv", content) for name, content in files.items()}
    return client.post(reverse("register-upload", args=[health.pk]), data)


@pytest.mark.parametrize(
    ("role", "status"),
    # Someone not signed in is asked to sign in (302); signed in, they may still be refused.
    [("provider_manager", 200), ("auditor", 200), ("other_manager", 403),
     ("provider_staff", 403), ("commissioner", 403), ("public", 302)],
)  # fmt: skip
def test_only_its_managers_and_auditors_read_the_register(as_role, world, role, status):
    health = world["health"]
    client = as_role(role)
    assert client.get(reverse("register", args=[health.pk])).status_code == status
    download = client.get(reverse("register-download", args=[health.pk, "people"]))
    assert download.status_code == status


def test_only_its_managers_change_the_register(as_role, world):
    health = world["health"]
    client = as_role("auditor")
    for name in ("register-upload", "register-constitution", "register-staff-vote"):
        assert client.get(reverse(name, args=[health.pk])).status_code == 403
    assert upload(client, health, people=PEOPLE).status_code == 403
    assert not Person.objects.exists()


def test_upload_then_read_the_register(as_role, world):
    health = world["health"]
    client = as_role("provider_manager")
    page = client.get(reverse("register-upload", args=[health.pk]))
    check_conventions(page.content.decode())
    done = upload(client, health, people=PEOPLE, holdings=HOLDINGS)
    assert done.status_code == 200
    check_conventions(done.content.decode())
    assert "people: 2 added, 0 changed, 0 unchanged" in done.content.decode()
    assert (
        AuditEvent.objects.filter(action="holding-opened", user=done.wsgi_request.user).count() == 2
    )
    register = client.get(reverse("register", args=[health.pk]))
    html = register.content.decode()
    check_conventions(html)
    assert "Ada Quillfeather" in html and "Management buy-out risk" in html
    csv = client.get(reverse("register-download", args=[health.pk, "holdings"]))
    assert csv["Content-Type"] == "text/csv"
    assert b"P2,Ordinary,9,2011-04-01,,1,yes" in csv.content
    assert client.get(reverse("register-download", args=[health.pk, "nothing"])).status_code == 404


def test_a_bad_upload_names_each_problem_and_keeps_the_conventions(as_role, world):
    health = world["health"]
    client = as_role("provider_manager")
    empty = client.post(reverse("register-upload", args=[health.pk]), {})
    assert empty.status_code == 400 and "Select at least one file" in empty.content.decode()
    check_conventions(empty.content.decode())
    bad = upload(client, health, people=PEOPLE, holdings=HOLDINGS.replace(b"P2,", b"P7,"))
    html = bad.content.decode()
    assert bad.status_code == 400
    check_conventions(html)
    assert (
        "row 3, column reference: nobody on the register has the reference &#x27;P7&#x27;" in html
    )
    assert "the holdings table has 1 problem(s)" in html
    assert not Person.objects.exists()
    wrong = client.post(
        reverse("register-upload", args=[health.pk]),
        {"people": SimpleUploadedFile("people.txt", b"x")},
    )
    assert "must be CSV or XLSX" in wrong.content.decode()
    broken = client.post(
        reverse("register-upload", args=[health.pk]),
        {"people": SimpleUploadedFile("people.xlsx", b"not a spreadsheet")},
    )
    assert broken.status_code == 400
    check_conventions(broken.content.decode())
    assert "A file could not be read: people.xlsx is not a readable XLSX file" in (
        broken.content.decode()
    )


def test_record_a_constitution_and_a_staff_vote(as_role, world):
    health = world["health"]
    client = as_role("provider_manager")
    url = reverse("register-constitution", args=[health.pk])
    check_conventions(client.get(url).content.decode())
    invalid = client.post(
        url, {**date_boxes("effective_from", dt.date(2011, 2, 1)), "effective_from-day": "30",
              "profit_reinvested_min": "150"},
    )  # fmt: skip
    assert invalid.status_code == 400
    html = invalid.content.decode()
    check_conventions(html)
    assert "The date it took effect must be a real date" in html
    assert "Select whether the constitution has an asset lock" in html
    assert "must be 100 or less" in html
    answers = {
        **date_boxes("effective_from", dt.date(2011, 4, 1)), "asset_lock": "no",
        "member_voting": "one_member_one_vote", "staff_membership_open": "yes",
        "profit_reinvested_min": "65",
    }  # fmt: skip
    assert client.post(url, answers).status_code == 302
    constitution = Constitution.objects.get(organisation=health)
    assert not constitution.asset_lock and float(constitution.profit_reinvested_min) == 0.65
    again = client.post(url, answers)
    assert "A constitution from 1 April 2011 is already recorded" in again.content.decode()

    url = reverse("register-staff-vote", args=[health.pk])
    check_conventions(client.get(url).content.decode())
    vote = {
        "subject": "spin_out", **date_boxes("held_on", dt.date(2011, 1, 20)), "question": "Should we spin out?",
        "electorate": "100", "votes_for": "60", "votes_against": "50", "abstentions": "0",
        "source": "Returning officer's report",
    }  # fmt: skip
    too_many = client.post(url, vote)
    assert "110 votes were cast, more than the 100 staff" in too_many.content.decode()
    check_conventions(too_many.content.decode())
    assert client.post(url, vote | {"votes_against": "20"}).status_code == 302
    record = StaffVoteRecord.objects.get(organisation=health)
    assert record.turnout == 0.8
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"constitution-recorded", "staff-vote-recorded"} <= actions


def test_the_provider_page_shows_staff_control_to_all_but_names_to_few(as_role, client, world):
    health = world["health"]
    ada = Person.objects.create(organisation=health, reference="P1", name="Ada Quillfeather",
                                role_group="senior", employed_from=dt.date(2011, 4, 1),
                                member_from=dt.date(2011, 4, 1))  # fmt: skip

    from mutuals.governance.models import ShareClass

    ordinary = ShareClass.objects.create(organisation=health, name="Ordinary")
    Holding.objects.create(
        person=ada, share_class=ordinary, shares=1, valid_from=dt.date(2011, 4, 1)
    )
    public = client.get(health.get_absolute_url()).content.decode()
    check_conventions(public)
    assert "Staff control" in public and "Management buy-out risk" in public
    assert "No staff vote on the spin-out" in public
    assert "Ada Quillfeather" not in public and "See the member register" not in public
    manager = as_role("provider_manager").get(health.get_absolute_url()).content.decode()
    assert "See the member register" in manager
    practice = client.get(world["practice"].get_absolute_url()).content.decode()
    assert "Not enough data" in practice
    assert "Staff control" not in client.get(world["pct"].get_absolute_url()).content.decode()


def test_the_staff_control_section_costs_the_same_queries_for_any_register(client, world):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mutuals.governance.models import ShareClass
    from mutuals.web import kept

    health = world["health"]
    url = health.get_absolute_url()
    client.get(url)  # warm the caches

    def queries() -> int:
        # Made afresh, not from what the page kept (mutuals.web.kept) after the last look.
        cache.clear()
        kept.forget_in_memory()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    empty = queries()
    shares = ShareClass.objects.create(organisation=health, name="Ordinary")
    for n in range(40):
        person = Person.objects.create(organisation=health, reference=f"P{n}", name=f"P{n}",
                                       role_group="frontline", employed_from=dt.date(2011, 4, 1),
                                       member_from=dt.date(2011, 4, 1))  # fmt: skip
        Holding.objects.create(person=person, share_class=shares, shares=1,
                               valid_from=dt.date(2011, 4, 1))  # fmt: skip
    assert queries() == empty
