"""Staff control across the portfolio: the report's section and table, and the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.conftest import _fast_hashing, make_user  # noqa: F401
from mutuals import reports
from mutuals.governance.models import BoardSeat, Holding, Person, ShareClass
from mutuals.reports.control import control_section, portfolio_control
from web.conftest import _fresh_cache, world  # noqa: F401
from web.test_page_conventions import check_conventions

DAY = dt.date(2012, 6, 30)


@pytest.fixture
def registers(world):  # noqa: F811
    """Brackenford: a director holding 9 of 10 shares. Fenmoor: three staff, a share each,
    one of them elected to the board. Oakhollow has exited by 2014 and has no register."""
    for org, holdings in ((world["health"], {"senior": 9, "frontline": 1}),
                          (world["practice"], {"frontline": 1, "manager": 1})):  # fmt: skip
        shares = ShareClass.objects.create(organisation=org, name="Ordinary")
        for n, (group, held) in enumerate(holdings.items()):
            person = Person.objects.create(
                organisation=org, reference=f"P{n}", name=f"P{n}", role_group=group,
                employed_from=dt.date(2010, 1, 1), member_from=dt.date(2010, 1, 1),
            )  # fmt: skip
            Holding.objects.create(person=person, share_class=shares, shares=held,
                                   valid_from=dt.date(2010, 1, 1))  # fmt: skip
    BoardSeat.objects.create(organisation=world["practice"], holder_name="P0",
                             filled_by="staff_elected", held_from=dt.date(2010, 9, 1))  # fmt: skip
    return world


def test_the_report_section_names_each_provider_with_its_figures(registers):
    portfolio = portfolio_control(DAY)
    assert [o.name for o, _ in portfolio.rows] == [
        "Brackenford Community Health CIC", "Fenmoor Social Work Practice",
        "Oakhollow Therapies CIC",
    ]  # fmt: skip
    assert portfolio.without_data == 1
    assert [o.name for o in portfolio.buyout_risks] == ["Brackenford Community Health CIC"]
    section = control_section(portfolio)
    table = section.table("staff-control-table")
    first, second = table.records()
    assert first["Votes: senior"].value == pytest.approx(0.9)
    assert first["Votes: senior"].text == "90%"
    assert "management_buyout_risk" in first["Flags"].value
    assert second["Staff-elected seats"].text == "1 of 1"
    text = " ".join(b.text for b in section.blocks if hasattr(b, "text"))
    assert "Of 2 spin-outs with a member register, 1 shows a management buy-out risk" in text
    assert "1 other spin-out has no register recorded: not enough data" in text
    assert "not an official definition" in text
    later = portfolio_control(dt.date(2015, 1, 1))
    assert "Oakhollow Therapies CIC" not in [o.name for o, _ in later.rows]


def test_the_portfolio_report_has_the_section(registers):
    report = reports.build_portfolio(None, as_of=DAY)
    section = report.section("staff-control")
    assert section.title == "Staff control"
    assert len(report.table("staff-control-table").rows) == 2
    assert "Staff control" in reports.render_html(report)


def test_without_registers_the_portfolio_says_not_enough_data(world):  # noqa: F811
    section = control_section(portfolio_control(DAY))
    assert section.tables() == []
    assert "not enough data" in section.blocks[1].text


def test_the_dashboard_shows_staff_control(client, registers):
    client.force_login(make_user("auditor@example.org", "auditor"))
    html = client.get(reverse("portfolio")).content.decode()
    check_conventions(html)
    assert 'id="staff-control-heading"' in html
    assert "Management buy-out risk: 1 provider" in html
