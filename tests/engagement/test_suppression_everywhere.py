"""The acceptance test: a survey group below the minimum size never appears — not in pages,
the API or downloads. The small group (4 people, all answering 5, so scoring 10.0) and the
group hidden with it (Weekend teams, 12 people answering 4) must leave no label, count or
score anywhere."""

from __future__ import annotations

import io

import polars as pl
import pytest
from django.urls import reverse

from engagement.conftest import SMALL
from web.test_page_conventions import check_conventions

HIDDEN = (SMALL, "Weekend teams")


def assert_absent(text: str) -> None:
    for label in HIDDEN:
        assert label not in text
    assert "10.0" not in text and "7.5" not in text  # their scores


def assert_rows_clean(frame: pl.DataFrame) -> None:
    assert frame.height > 0
    assert not set(HIDDEN) & set(frame["group"].to_list())
    assert not {4, 12} & set(frame["respondents"].to_list())
    assert not {10.0, 7.5} & set(frame["engagement"].to_list())


@pytest.mark.parametrize("role", ["public", "provider_manager", "auditor"])
def test_pages(sign_in, surveyed, role):
    client = sign_in(role)
    survey = surveyed["health"]
    for url, shown in (
        (survey.get_absolute_url(), "Day teams"),  # the survey page shows its groups
        (survey.organisation.get_absolute_url(), ">66<"),  # the provider page, its total
    ):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        check_conventions(html)
        assert shown in html and "No survey results you may see yet" not in html
        assert_absent(html)
    assert (
        "2 groups were too small to show" in client.get(survey.get_absolute_url()).content.decode()
    )


@pytest.mark.parametrize("role", ["public", "provider_manager", "auditor"])
def test_api(client, surveyed, as_role, api, role):
    caller = api if role == "public" else as_role(role)
    response = caller.get("/engagement/results")
    assert response.status_code == 200
    assert_absent(response.content.decode())
    body = response.json()
    [health] = [r for r in body["results"] if r["survey"]["id"] == surveyed["health"].pk]
    assert [g["group"] for g in health["groups"]] == ["Day teams", "Evening teams"]
    assert health["groups_hidden"] == 2 and health["overall"]["respondents"] == 66


@pytest.mark.parametrize("format_", ["csv", "parquet"])
def test_downloads_and_open_data(client, surveyed, format_):
    for url in (
        reverse("survey-results-download", args=[format_]),
        reverse("open-data-table", args=["staff-engagement", format_]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content
        frame = (
            pl.read_csv(io.BytesIO(body)) if format_ == "csv" else pl.read_parquet(io.BytesIO(body))
        )
        assert_rows_clean(frame)
        if format_ == "csv":
            assert_absent(body.decode())
        # Only the published survey reaches the public.
        assert frame["survey_id"].unique().to_list() == [surveyed["health"].pk]


def test_cli_scores(surveyed, capsys):
    from django.core.management import call_command

    call_command("survey", "scores")
    out = capsys.readouterr()
    assert_absent(out.out)
    frame = pl.read_csv(io.StringIO(out.out))
    assert_rows_clean(frame)
    assert "too small to show" in out.err


def test_open_data_follows_a_survey_published_after_it_was_first_downloaded(client, surveyed):
    """The open-data table is kept in the cache; publishing another survey's results shows
    at once, not when the cache expires."""
    url = reverse("open-data-table", args=["staff-engagement", "csv"])
    before = pl.read_csv(io.BytesIO(client.get(url).content))
    assert before["survey_id"].unique().to_list() == [surveyed["health"].pk]

    practice = surveyed["practice"]
    practice.results_published = True
    practice.save()
    after = pl.read_csv(io.BytesIO(client.get(url).content))
    assert sorted(after["survey_id"].unique().to_list()) == sorted(
        [surveyed["health"].pk, practice.pk]
    )
