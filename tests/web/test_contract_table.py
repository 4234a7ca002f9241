"""The contracts table: filters by commissioner, provider, programme, status and each audit
test, a search, sortable columns and a CSV of every row the filters keep."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from mutuals.contracts.models import Contract, ContractStatus

from .test_page_conventions import check_conventions


@pytest.fixture
def formula_contract(world):
    contract = Contract.objects.create(
        reference="RTR-0100",
        title='=HYPERLINK("http://example.invalid","click")',
        provider=world["health"],
        start_date=dt.date(2012, 4, 1),
        end_date=dt.date(2015, 3, 31),
        annual_value=Decimal("250000.00"),
        status=ContractStatus.DRAFT,
    )
    contract.commissioners.add(world["pct"])
    return contract


def references(response) -> list[str]:
    page = response.content.decode()
    return [
        ref for ref in ("RTR-0001", "RTR-0002", "RTR-0100", "SWP-0001") if f">{ref}</a>" in page
    ]


def rows_of(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_table_shows_each_audit_test_and_keeps_the_conventions(client, world):
    response = client.get(reverse("contracts"))
    page = response.content.decode()
    check_conventions(page)
    headings = page.replace("\u00ad", "")  # soft hyphens let the headings break
    for label in ("Objectives", "Savings", "Baseline", "Benefits", "Continuity", "Evaluation"):
        assert f">{label}</th>" in headings
    assert "6 of 6" in page  # RTR-0001 passes every test
    assert 'role="region"' in page and 'tabindex="0"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"commissioner": "pct"}, ["RTR-0001", "RTR-0002"]),
        ({"provider": "practice"}, ["SWP-0001"]),
        ({"programme": "right-to-request"}, ["RTR-0001", "RTR-0002"]),
        ({"status": "terminated"}, ["RTR-0002"]),
        ({"q": "fenmoor"}, ["SWP-0001"]),
        ({"q": "rtr-0002"}, ["RTR-0002"]),
        ({"test_baseline": "pass"}, ["RTR-0001"]),
        ({"test_baseline": "fail"}, ["RTR-0002", "SWP-0001"]),
        ({"audit": "failing"}, ["RTR-0002", "SWP-0001"]),
        ({"audit": "pass"}, ["RTR-0001"]),
        ({"test_savings": "pass", "test_baseline": "fail"}, []),
    ],
)
def test_each_filter_narrows_the_table(client, world, query, expected):
    ids = {"pct": world["pct"].pk, "practice": world["practice"].pk}
    query = {key: str(ids.get(value, value)) for key, value in query.items()}
    assert references(client.get(reverse("contracts"), query)) == expected


def test_a_bad_filter_value_is_dropped_not_an_error(client, world):
    response = client.get(reverse("contracts"), {"commissioner": "abc", "sort": "nonsense"})
    assert response.status_code == 200
    assert len(references(response)) == 3


def test_columns_sort_both_ways(client, world):
    by_value = client.get(reverse("contracts"), {"sort": "value", "order": "desc"})
    assert references(by_value) == ["RTR-0001", "RTR-0002", "SWP-0001"]
    page = by_value.content.decode()
    assert 'aria-sort="descending"' in page
    order = [page.index(f">{ref}</a>") for ref in ("RTR-0001", "SWP-0001", "RTR-0002")]
    assert order == sorted(order)
    ascending = client.get(reverse("contracts"), {"sort": "value", "order": "asc"}).content
    order = [ascending.decode().index(f">{r}</a>") for r in ("RTR-0002", "SWP-0001", "RTR-0001")]
    assert order == sorted(order)


def test_the_csv_has_the_filtered_rows_with_every_test(client, world, formula_contract):
    rows = rows_of(
        client.get(reverse("contracts"), {"commissioner": world["pct"].pk, "download": "csv"})
    )
    assert [row["reference"] for row in rows] == ["RTR-0001", "RTR-0002", "RTR-0100"]
    first = rows[0]
    assert first["provider"] == "Brackenford Community Health CIC"
    assert first["annual_value"] == "12500000.10"
    assert first["tests_passed"] == "6"
    assert {first[code] for code in ("objectives", "savings", "baseline")} == {"passed"}
    assert rows[2]["baseline"] == "failed"
    # A title a spreadsheet would run as a formula is written as text.
    assert rows[2]["title"].startswith("'=HYPERLINK")


def test_the_table_reads_only_what_the_viewer_may_see(client, world, formula_contract):
    """Contracts are public records, as on Contracts Finder; the table and its CSV list
    exactly what the contract list may, and the choices offered name no one else."""
    response = client.get(reverse("contracts"))
    assert references(response) == ["RTR-0001", "RTR-0002", "RTR-0100", "SWP-0001"]


def test_the_query_count_does_not_grow_with_the_contracts(
    client, world, formula_contract, django_assert_max_num_queries
):
    client.get(reverse("contracts"))  # the demo-data flag, cached for every page after
    with django_assert_max_num_queries(7):  # one for the data's version (mutuals.web.kept)
        client.get(reverse("contracts"), {"audit": "failing", "sort": "passed"})
    with django_assert_max_num_queries(6):
        client.get(reverse("contracts"), {"download": "csv"})
