"""Importing and exporting a provider's register: atomic, named problems, history kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from mutuals.accounts.models import AuditEvent, Role, RoleName
from mutuals.governance.models import BoardSeat, Holding, Person, ShareClass
from mutuals.governance.register.exporting import export_register
from mutuals.governance.register.importing import RegisterRejected, import_register
from web.conftest import _fresh_cache, world  # noqa: F401

PEOPLE = """reference,name,role_group,employed_from,employed_until,member_from,member_until,user
P1,Ada Frontline,frontline,2011-04-01,,2011-04-01,,
P2,Ben Manager,manager,2011-04-01,,2011-05-01,,
P3,Cara Director,Senior manager or director,2011-04-01,,2011-04-01,,
T1,Staff Trust,non_staff,,,2011-04-01,,
"""
HOLDINGS = """reference,share_class,shares,valid_from,votes_per_share,carries_equity
P1,Ordinary,1,2011-04-01,1,yes
P2,Ordinary,1,2011-05-01,,
P3,Ordinary,10,2011-04-01,,
T1,Trust,5,2011-04-01,0,no
"""
BOARD = """holder_name,filled_by,held_from,held_until,is_executive,reference
Cara Director,appointed,2011-04-01,,yes,P3
Ada Frontline,staff_elected,2012-01-01,,no,P1
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def health(world):  # noqa: F811
    return world["health"]


@pytest.fixture
def imported(health, tmp_path):
    return import_register(
        health,
        people=write(tmp_path, "people.csv", PEOPLE),
        holdings=write(tmp_path, "holdings.csv", HOLDINGS),
        board=write(tmp_path, "board.csv", BOARD),
    )


def test_import_creates_people_holdings_seats_and_audits_each(health, imported):
    assert imported.sentence() == (
        "people: 4 added, 0 changed, 0 unchanged; holdings: 4 added, 0 changed, 0 unchanged; "
        "board seats: 2 added, 0 changed, 0 unchanged."
    )
    assert Person.objects.get(reference="P3").role_group == "senior"  # label accepted
    trust = ShareClass.objects.get(organisation=health, name="Trust")
    assert trust.votes_per_share == 0 and not trust.carries_equity
    seat = BoardSeat.objects.get(holder_name="Cara Director")
    assert seat.is_executive and seat.person.reference == "P3"
    actions = list(AuditEvent.objects.filter(organisation=health).values_list("action", flat=True))
    assert actions.count("register-person-added") == 4
    assert actions.count("holding-opened") == 4 and actions.count("board-seat-added") == 2
    assert actions.count("share-class-added") == 2


def test_a_change_of_holding_closes_the_old_row_and_opens_a_new_one(health, imported, tmp_path):
    changed = "reference,share_class,shares,valid_from\nP3,Ordinary,2,2014-04-01\n"
    report = import_register(health, holdings=write(tmp_path, "h2.csv", changed))
    assert report.tallies["holdings"].changed == 1
    rows = list(
        Holding.objects.filter(person__reference="P3")
        .order_by("valid_from")
        .values_list("shares", "valid_from", "valid_until")
    )
    assert rows == [
        (Decimal("10.000"), dt.date(2011, 4, 1), dt.date(2014, 4, 1)),
        (Decimal("2.000"), dt.date(2014, 4, 1), None),
    ]
    sold = "reference,share_class,shares,valid_from\nP3,Ordinary,0,2015-01-01\n"
    import_register(health, holdings=write(tmp_path, "h3.csv", sold))
    assert not Holding.objects.filter(person__reference="P3", valid_until__isnull=True).exists()
    assert Holding.objects.filter(person__reference="P3").count() == 2
    assert AuditEvent.objects.filter(action="holding-closed").count() == 2


def test_a_change_dated_before_the_current_holding_is_refused(health, imported, tmp_path):
    early = "reference,share_class,shares,valid_from\nP3,Ordinary,3,2010-01-01\n"
    with pytest.raises(RegisterRejected) as rejected:
        import_register(health, holdings=write(tmp_path, "h.csv", early))
    (problem,) = rejected.value.problems
    assert str(problem).startswith("row 2, column valid_from: overlaps the holding from 2011-04-01")
    same_day = "reference,share_class,shares,valid_from\nP3,Ordinary,3,2011-04-01\n"
    with pytest.raises(RegisterRejected, match="holdings table has 1 problem"):
        import_register(health, holdings=write(tmp_path, "h.csv", same_day))


def test_a_person_changed_is_audited_with_the_difference(health, imported, tmp_path):
    left = PEOPLE.replace(
        "P2,Ben Manager,manager,2011-04-01,,", "P2,Ben Manager,manager,2011-04-01,2013-03-31,"
    )
    report = import_register(health, people=write(tmp_path, "p.csv", left))
    assert (report.tallies["people"].changed, report.tallies["people"].unchanged) == (1, 3)
    event = AuditEvent.objects.get(action="register-person-changed")
    assert event.changes == {"employed_until": [None, "2013-03-31"]}


def test_every_problem_is_named_and_nothing_is_imported(health, tmp_path):
    bad_people = (
        "reference,name,role_group,employed_from,user\n"
        "P1,Ada,frontline,2011-13-01,\n"
        "P2,Ben,chief,,\n"
        "P1,Again,frontline,,\n"
        "P4,Dee,frontline,,nobody@example.org\n"
        "P5,=HYPERLINK(1),frontline,,\n"
    )
    with pytest.raises(RegisterRejected) as rejected:
        import_register(health, people=write(tmp_path, "p.csv", bad_people))
    messages = [str(p) for p in rejected.value.problems]
    assert messages == [
        "row 2, column employed_from: '2011-13-01' is not a date: use YYYY-MM-DD, like 2011-04-01",
        "row 3, column role_group: 'chief' is not one of: frontline, manager, non_staff, senior",
        "row 4, column reference: 'P1' repeats row 2",
        f"row 5, column user: no one with a role at {health.name} has the user name or email "
        "'nobody@example.org'",
        "row 6, column name: '=HYPERLINK(1)' looks like a spreadsheet formula: enter the value "
        "itself",
    ]
    assert str(rejected.value) == (
        "Nothing was imported: the people table has 5 problem(s) in 5 of 5 row(s)"
    )
    assert not Person.objects.exists() and not AuditEvent.objects.exists()


def test_an_end_before_its_start_is_named_by_column(health, tmp_path):
    people = "reference,name,role_group,member_from,member_until\nP1,Ada,frontline,2012-01-01,2011-01-01\n"
    with pytest.raises(RegisterRejected) as rejected:
        import_register(health, people=write(tmp_path, "p.csv", people))
    assert [str(p) for p in rejected.value.problems] == [
        "row 2, column member_until: 2011-01-01 is not after member_from 2012-01-01"
    ]
    board = "holder_name,filled_by,held_from,held_until\nAda,independent,2012-01-01,2012-01-01\n"
    with pytest.raises(RegisterRejected, match="board seats table"):
        import_register(health, board=write(tmp_path, "b.csv", board))


def test_a_bad_later_table_rolls_back_the_earlier_ones(health, tmp_path):
    holdings = "reference,share_class,shares,valid_from\nP9,Ordinary,1,2011-04-01\nP1,Ordinary,-1,2011-04-01\n"
    with pytest.raises(RegisterRejected) as rejected:
        import_register(
            health,
            people=write(tmp_path, "p.csv", PEOPLE),
            holdings=write(tmp_path, "h.csv", holdings),
        )
    assert rejected.value.table == "holdings"
    assert [str(p) for p in rejected.value.problems] == [
        "row 2, column reference: nobody on the register has the reference 'P9'",
        "row 3, column shares: '-1' is negative: holdings are 0 or more",
    ]
    assert not Person.objects.exists() and not ShareClass.objects.exists()


def test_missing_columns_and_mismatched_classes(health, imported, tmp_path):
    with pytest.raises(RegisterRejected) as rejected:
        import_register(
            health, board=write(tmp_path, "b.csv", "holder_name,held_from\nX,2011-01-01\n")
        )
    assert [str(p) for p in rejected.value.problems] == [
        "column filled_by: this required column is missing"
    ]
    clash = "reference,share_class,shares,valid_from,votes_per_share\nP2,Ordinary,1,2012-01-01,5\n"
    with pytest.raises(RegisterRejected, match="holdings") as rejected:
        import_register(health, holdings=write(tmp_path, "h.csv", clash))
    assert "carries 1 vote(s) per share" in str(rejected.value.problems[0])


def account(username, organisation=None, email=""):
    user = get_user_model().objects.create_user(username=username, email=email)
    if organisation is not None:
        Role.objects.create(user=user, organisation=organisation, role=RoleName.PROVIDER_STAFF)
    return user


def test_a_person_may_be_linked_to_their_sign_in(health, tmp_path):
    user = account("ada@example.org", health, email="ada@example.org")
    people = "reference,name,role_group,user\nP1,Ada,frontline,ADA@example.org\n"
    import_register(health, people=write(tmp_path, "p.csv", people))
    assert Person.objects.get(reference="P1").user == user
    by_name = account("ben", health, email="ben.work@example.org")
    people += "P2,Ben,manager,BEN.WORK@example.org\n"
    import_register(health, people=write(tmp_path, "p.csv", people))
    assert Person.objects.get(reference="P2").user == by_name


def test_only_accounts_with_a_role_in_the_provider_may_be_linked(world, health, tmp_path):  # noqa: F811
    account("outsider", world["exited"], email="outsider@example.org")  # a role elsewhere
    account("loner", email="loner@example.org")  # no role at all
    rows = ["outsider@example.org", "outsider", "loner", "nobody@example.org"]
    people = "reference,name,role_group,user\n" + "".join(
        f"P{n},Person {n},frontline,{given}\n" for n, given in enumerate(rows, start=1)
    )
    with pytest.raises(RegisterRejected) as rejected:
        import_register(health, people=write(tmp_path, "p.csv", people))
    # The same words whether the account exists elsewhere, has no role, or does not exist.
    assert [str(p) for p in rejected.value.problems] == [
        f"row {row}, column user: no one with a role at {health.name} has the user name or "
        f"email '{given}'"
        for row, given in enumerate(rows, start=2)
    ]
    assert not Person.objects.exists()


def test_one_account_cannot_be_linked_to_two_entries(health, tmp_path):
    account("keeper", health, email="keeper@example.org")
    twice = "reference,name,role_group,user\nP1,Ada,frontline,keeper\nP2,Ben,manager,KEEPER@example.org\n"
    with pytest.raises(RegisterRejected) as rejected:
        import_register(health, people=write(tmp_path, "p.csv", twice))
    assert [str(p) for p in rejected.value.problems] == [
        "row 3, column user: 'KEEPER@example.org' is also the account given for 'P1' at row 2: "
        "an account belongs to one register entry"
    ]
    assert not Person.objects.exists()

    import_register(health, people=write(tmp_path, "p.csv", twice.split("P2")[0]))
    taken = "reference,name,role_group,user\nP2,Ben,manager,keeper\n"
    with pytest.raises(RegisterRejected) as rejected:
        import_register(health, people=write(tmp_path, "p.csv", taken))
    assert [str(p) for p in rejected.value.problems] == [
        "row 2, column user: 'keeper' is the account of register entry 'P1': an account "
        "belongs to one entry, so clear the user cell of 'P1' first (in an earlier row or an "
        "earlier import)"
    ]
    assert not Person.objects.filter(reference="P2").exists()

    moved = "reference,name,role_group,user\nP1,Ada,frontline,\nP2,Ben,manager,keeper\n"
    import_register(health, people=write(tmp_path, "p.csv", moved))
    assert list(
        Person.objects.filter(user__username="keeper").values_list("reference", flat=True)
    ) == ["P2"]


def test_every_change_of_account_link_is_its_own_audit_event(health, tmp_path):
    account("ada", health)
    account("ben", health)
    keeper = account("keeper")
    steps = ["ada", "ben", ""]
    for given in steps:
        people = f"reference,name,role_group,user\nP1,Ada,frontline,{given}\n"
        import_register(health, people=write(tmp_path, "p.csv", people), user=keeper)
    events = AuditEvent.objects.filter(action__startswith="register-account").order_by("pk")
    assert [(e.action, e.changes, e.username) for e in events] == [
        ("register-account-linked", {"account": [None, "ada"]}, "keeper"),
        ("register-account-relinked", {"account": ["ada", "ben"]}, "keeper"),
        ("register-account-unlinked", {"account": ["ben", None]}, "keeper"),
    ]
    person = Person.objects.get(reference="P1")
    assert {e.object_id for e in events} == {str(person.pk)}
    # The person's own events say nothing of the account; the link has its own.
    assert AuditEvent.objects.filter(action="register-person-added").get().changes.keys() == {
        "name",
        "role_group",
    }
    assert not AuditEvent.objects.filter(action="register-person-changed").exists()


def test_export_then_import_changes_nothing(health, imported, tmp_path):
    import_register(health, holdings=write(tmp_path, "h.csv",
                    "reference,share_class,shares,valid_from\nP3,Ordinary,4,2016-01-01\n"))  # fmt: skip
    files = export_register(health, tmp_path / "out")
    holdings = files["holdings"].read_text().splitlines()
    assert (
        holdings[0]
        == "reference,share_class,shares,valid_from,valid_until,votes_per_share,carries_equity"
    )
    assert "P3,Ordinary,10,2011-04-01,2016-01-01,1,yes" in holdings
    before = AuditEvent.objects.count()
    report = import_register(health, **files)
    assert all(t.created == t.changed == 0 for t in report.tallies.values())
    assert AuditEvent.objects.count() == before


def test_the_command_imports_and_exports(health, tmp_path, capsys):
    people = write(tmp_path, "people.csv", PEOPLE)
    call_command("register", "import", "--organisation", "NQX01", "--people", str(people))
    assert Person.objects.filter(organisation=health).count() == 4
    call_command(
        "register", "export", "--organisation", str(health.pk), "--out", str(tmp_path / "x")
    )
    assert (tmp_path / "x" / "people.csv").read_text().count("\n") == 5
    bad = write(tmp_path, "bad.csv", "reference,name,role_group\nP1,,frontline\n")
    with pytest.raises(CommandError, match="people table has 1 problem"):
        call_command("register", "import", "--organisation", "NQX01", "--people", str(bad))
    assert "people: row 2, column name: this cell is empty" in capsys.readouterr().err
    with pytest.raises(CommandError, match="not a spin-out provider"):
        call_command("register", "export", "--organisation", "5QX", "--out", str(tmp_path))


def test_a_spreadsheet_keeps_whole_dates_and_refuses_formulas(health, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["reference", "name", "role_group", "employed_from", "member_from"])
    sheet.append(["P1", "Ada", "frontline", dt.datetime(2011, 4, 12), dt.date(2011, 5, 3)])
    sheet.append([])
    sheet.append([42, "Ben", "manager", "2012-01-09", None])
    book.save(tmp_path / "people.xlsx")
    report = import_register(health, people=tmp_path / "people.xlsx")
    assert report.tallies["people"].created == 2
    ada = Person.objects.get(reference="P1")
    assert (ada.employed_from, ada.member_from) == (dt.date(2011, 4, 12), dt.date(2011, 5, 3))
    assert Person.objects.get(reference="42").name == "Ben"
    sheet.append(["P3", "=A2", "frontline", None, None])
    book.save(tmp_path / "people.xlsx")
    with pytest.raises(RegisterRejected) as rejected:
        import_register(health, people=tmp_path / "people.xlsx")
    assert "column name: '=A2' looks like a spreadsheet formula" in str(rejected.value.problems[0])
