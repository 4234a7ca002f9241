"""The returns upload teaches: a template with the organisation's code and every metric, the
metric codes and units, numerator and denominator, importing the good rows with the rejects
to download (nothing left on disk), and the organisation's submission history."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mutuals.accounts.models import Role
from mutuals.returns.models import Observation

from .test_page_conventions import check_conventions


def person(email: str, role: str, organisation=None):
    user = get_user_model().objects.create_user(username=email, email=email)
    Role.objects.create(user=user, role=role, organisation=organisation)
    return user


@pytest.fixture
def manager(client, world):
    client.force_login(person("pm@example.org", "provider_manager", world["health"]))
    return client


def upload(text: str, name: str = "returns.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_the_page_explains_the_columns_codes_and_units(manager, world):
    response = manager.get(reverse("returns-upload", args=[world["health"].pk]))
    page = response.content.decode()
    check_conventions(page)
    assert "NQX01" in page
    assert "visits-on-time" in page and "sickness-absence" in page
    assert "numerator" in page and "denominator" in page
    assert "2024/25" in page  # a financial year's form
    assert "?template=csv" in page


def test_the_template_names_the_organisation_and_every_metric(manager, world):
    url = reverse("returns-upload", args=[world["health"].pk])
    response = manager.get(url, {"template": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "returns-template-nqx01.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["organisation"] for row in rows} == {"NQX01"}
    assert sorted(row["metric"] for row in rows) == ["sickness-absence", "visits-on-time"]
    assert list(rows[0]) == [
        "organisation",
        "metric",
        "period",
        "value",
        "numerator",
        "denominator",
    ]


def test_good_rows_go_in_and_the_rejects_download_and_no_file_stays(
    manager, world, tmp_path, monkeypatch
):
    # Uploads are unpacked in a temporary folder of this test's own: the system's is shared
    # with the tests running beside this one, whose uploads come and go meanwhile.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    url = reverse("returns-upload", args=[world["health"].pk])
    before = set(Path(tempfile.gettempdir()).glob("mutuals-upload-*"))
    assert before == set()
    text = (
        "organisation,metric,period,value\n"
        "NQX01,visits-on-time,2011-Q4,94\n"
        "NQX01,visits-on-time,2012-Q1,ninety\n"
        "NQX01,no-such-metric,2012-Q1,3\n"
    )
    response = manager.post(url, {"returns_file": upload(text), "skip_invalid": "on"})
    page = response.content.decode()
    assert response.status_code == 200, page
    check_conventions(page)
    assert "1 figure imported" in page
    assert "2 rows had problems and were not imported" in page
    assert Observation.objects.filter(organisation=world["health"], period="2011-Q4").exists()
    assert set(Path(tempfile.gettempdir()).glob("mutuals-upload-*")) == before

    link = page.split('href="')[1:]
    rejects = next(part.split('"')[0] for part in link if "rejects=" in part).replace("&amp;", "&")
    download = manager.get(rejects)
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [row["value"] for row in rows] == ["ninety", "3"]
    assert "not a number" in rows[0]["reasons"]

    # The rejects are the uploader's alone.
    other = manager.__class__()
    other.force_login(person("pm2@example.org", "provider_manager", world["health"]))
    assert other.get(rejects).status_code == 404
    assert manager.get(url, {"rejects": "no-such-token"}).status_code == 404


def test_without_the_option_nothing_is_imported(manager, world):
    url = reverse("returns-upload", args=[world["health"].pk])
    text = "organisation,metric,period,value\nNQX01,visits-on-time,2011-Q4,94\nNQX01,visits-on-time,2012-Q1,x\n"
    response = manager.post(url, {"returns_file": upload(text)})
    assert response.status_code == 400
    assert not Observation.objects.filter(period="2011-Q4").exists()


def test_the_history_lists_submissions_with_their_figures_and_versions(
    manager, world, django_assert_max_num_queries
):
    url = reverse("returns-upload", args=[world["health"].pk])
    text = "organisation,metric,period,value\nNQX01,visits-on-time,2011-Q3,95\n"
    assert manager.post(url, {"returns_file": upload(text, "q3-again.csv")}).status_code == 200
    with django_assert_max_num_queries(16):
        page = manager.get(url).content.decode()
    history = page[page.index('id="history-heading"') :]
    assert "q3-again.csv" in history
    assert "Web upload" in history
    # The demo submission's record is shown only to those who may see all of it; the
    # manager sees their own figures in it.
    assert "Not shown: it carried other organisations" not in history or "2011-Q2" in history
    # The re-sent figure is a new version (version 3 of 2011-Q3).
    rows = history.split('<tr class="govuk-table__row">')[2:]
    assert ">1</td>" in rows[0]  # one figure, one new version


def test_a_file_with_no_good_rows_says_nothing_was_imported(manager, world):
    url = reverse("returns-upload", args=[world["health"].pk])
    text = "organisation,metric,period,value\nNQX01,visits-on-time,2012-Q1,ninety\n"
    response = manager.post(url, {"returns_file": upload(text), "skip_invalid": "on"})
    page = response.content.decode()
    check_conventions(page)
    assert "No figures imported" in page and "Returns received" not in page
    assert "Download the rows that were not imported" in page
