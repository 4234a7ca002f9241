"""Every CSV a person downloads from the site, fetched over HTTP: the open-data tables,
survey results, a survey's links and the register. Formula text arrives quoted; numbers
arrive as they are; Parquet, for programs, carries the text unchanged."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest
from django.urls import reverse

from engagement.conftest import closed_survey
from exports.conftest import (
    AT,
    LINK,
    RETURN,
    SUBTRACTION,
    SUM,
    TAB,
    assert_neutralised,
    column,
    csv_rows,
    register,  # noqa: F401
)
from mutuals.contracts.models import Objective
from mutuals.engagement.surveys import create_survey
from web.date_boxes import date_boxes


@pytest.fixture
def planted(world):
    """Formula text in the public tables: a provider's name, a contract's text fields, an
    objective (whose target is negative), a metric and a published survey's group."""
    health, contract = world["health"], world["health_contract"]
    health.name = LINK
    health.save()
    contract.title, contract.continuity_plan = SUM, SUBTRACTION
    contract.extra_benefits, contract.evaluation_plan = TAB, RETURN
    contract.save()
    Objective.objects.filter(contract=contract, metric__isnull=False).update(
        description=AT, target=-3.5
    )
    world["visits"].description = SUBTRACTION
    world["visits"].save()
    closed_survey(health, {AT: (12, 4), "Day teams": (12, 3)})
    return world


def download(client, table: str, format_: str = "csv"):
    response = client.get(reverse("open-data-table", args=[table, format_]))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("table", "name", "planted_text"),
    [
        ("organisations", "name", LINK),
        ("programmes", "organisation_name", LINK),
        ("contracts", "provider_name", LINK),
        ("contracts", "title", SUM),
        ("contracts", "continuity_plan", SUBTRACTION),
        ("contracts", "extra_benefits", TAB),
        ("contracts", "evaluation_plan", RETURN),
        ("objectives", "description", AT),
        ("metrics", "description", SUBTRACTION),
        ("staff-engagement", "group", AT),
        ("staff-engagement", "organisation", LINK),
    ],
)
def test_open_data_csv_quotes_formula_text(client, planted, table, name, planted_text):
    rows = csv_rows(download(client, table).content.decode())
    assert_neutralised(column(rows, name), planted_text)


def test_open_data_csv_keeps_its_numbers(client, planted):
    contracts = csv_rows(download(client, "contracts").content.decode())
    [contract] = [row for row in contracts if row["reference"] == "RTR-0001"]
    assert (contract["annual_value"], contract["savings_requirement_pct"]) == ("12500000.1", "2.0")
    objectives = csv_rows(download(client, "objectives").content.decode())
    assert "-3.5" in column(objectives, "target")
    scores = csv_rows(download(client, "staff-engagement").content.decode())
    [group] = [row for row in scores if row["group"] == "'" + AT]
    assert (group["respondents"], group["engagement"]) == ("12", "7.5")


def test_open_data_parquet_is_for_programs_and_keeps_the_text(client, planted):
    frame = pl.read_parquet(io.BytesIO(download(client, "contracts", "parquet").content))
    [contract] = frame.filter(pl.col("reference") == "RTR-0001").iter_rows(named=True)
    assert (contract["title"], contract["provider_name"]) == (SUM, LINK)


def test_survey_results_download_quotes_groups_and_names(client, planted):
    response = client.get(reverse("survey-results-download", args=["csv"]))
    assert response.status_code == 200
    rows = csv_rows(response.content.decode())
    assert_neutralised(column(rows, "group"), AT)
    assert_neutralised(column(rows, "organisation"), LINK)
    [group] = [row for row in rows if row["group"] == "'" + AT]
    assert (group["respondents"], group["motivation"], group["engagement"]) == ("12", "7.5", "7.5")


def test_survey_links_download_quotes_people_from_the_register(sign_in, register):  # noqa: F811
    survey = create_survey(
        register, year=2024, title="Staff survey 2024",
        opens_on=dt.date(2024, 10, 1), closes_on=dt.date(2099, 11, 30),
    )  # fmt: skip
    manager = sign_in("provider_manager")
    response = manager.post(
        reverse("survey-links", args=[survey.pk]),
        {"recipients": "register", **date_boxes("register_on", dt.date(2024, 10, 1))},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response.content.decode("utf-8"))
    assert_neutralised(column(rows, "reference"), AT)
    for name in (LINK, TAB, RETURN):
        assert_neutralised(column(rows, "name"), name)
    assert "Frontline staff" in column(rows, "group")
    assert all(link.startswith("http://testserver/survey/") for link in column(rows, "link"))


@pytest.mark.parametrize(
    ("table", "name", "planted_text"),
    [
        ("people", "reference", AT),
        ("people", "name", LINK),
        ("people", "name", TAB),
        ("people", "name", RETURN),
        ("holdings", "reference", AT),
        ("holdings", "share_class", SUM),
        ("board", "holder_name", SUBTRACTION),
    ],
)
def test_register_download_quotes_formula_text(sign_in, register, table, name, planted_text):  # noqa: F811
    response = sign_in("provider_manager").get(
        reverse("register-download", args=[register.pk, table])
    )
    assert response.status_code == 200
    assert_neutralised(column(csv_rows(response.content.decode()), name), planted_text)


def test_register_download_keeps_its_numbers(sign_in, register):  # noqa: F811
    response = sign_in("provider_manager").get(
        reverse("register-download", args=[register.pk, "holdings"])
    )
    rows = csv_rows(response.content.decode())
    assert [(r["shares"], r["votes_per_share"], r["carries_equity"]) for r in rows] == [
        ("2.5", "1.5", "yes"),
        ("3", "1.5", "yes"),
    ]
