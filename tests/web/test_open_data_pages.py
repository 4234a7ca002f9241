"""The open-data page and its downloads: public tables only, never returns."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from django.urls import reverse

from mutuals.contracts.ocds import validate_release_package

from .test_page_conventions import check_conventions

TABLES = ["organisations", "programmes", "contracts", "objectives", "metrics"]


def test_page_keeps_the_conventions_and_links_every_download(client, world):
    response = client.get(reverse("open-data"))
    assert response.status_code == 200
    page = response.content.decode()
    check_conventions(page)
    for table in TABLES:
        assert f'href="/open-data/{table}.csv"' in page
        assert f'href="/open-data/{table}.parquet"' in page
    assert 'href="/open-data/contracts.ocds.json"' in page
    assert 'href="/open-data/"' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("table", TABLES)
def test_csv_and_parquet_hold_the_same_table(client, world, table):
    csv = client.get(reverse("open-data-table", args=[table, "csv"]))
    parquet = client.get(reverse("open-data-table", args=[table, "parquet"]))
    assert csv.status_code == parquet.status_code == 200
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert parquet["Content-Type"] == "application/vnd.apache.parquet"
    assert f'filename="{table}.csv"' in csv["Content-Disposition"]
    from_csv = pl.read_csv(io.BytesIO(csv.content))
    from_parquet = pl.read_parquet(io.BytesIO(parquet.content))
    assert from_csv.columns == from_parquet.columns
    assert from_csv.height == from_parquet.height > 0


def test_contracts_table_carries_terms_and_the_objectives_audit(client, world):
    response = client.get(reverse("open-data-table", args=["contracts", "parquet"]))
    contracts = pl.read_parquet(io.BytesIO(response.content)).sort("reference")
    assert contracts["reference"].to_list() == ["RTR-0001", "RTR-0002", "SWP-0001"]
    assert contracts["annual_value"][0] == 12500000.10
    assert any(column.startswith("audit_") for column in contracts.columns)


def test_ocds_download_validates_and_has_no_returns(client, world):
    response = client.get(reverse("open-data-ocds"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    package = json.loads(response.content)
    assert validate_release_package(package) == []
    assert len(package["releases"]) == 3
    assert all("implementation" not in r["contracts"][0] for r in package["releases"])


def test_no_table_for_returns_or_unknown_formats(client, world):
    assert client.get("/open-data/observations.csv").status_code == 404
    assert client.get("/open-data/contracts.xlsx").status_code == 404
