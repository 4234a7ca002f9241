"""The upload pages (returns, the register, survey responses) against hostile files: an
XLSX decompression bomb, an upload past UPLOAD_MAX_MB, an empty file and no file. Each is
refused with the GOV.UK error summary and a 4xx status, never a 500."""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fuzz.files import MB, bomb_xlsx
from mutuals.engagement.surveys import create_survey
from mutuals.governance.models.register import Person
from mutuals.returns.models import Observation

from .test_page_conventions import _sign_in_as, check_conventions

SUMMARY = '<div class="govuk-error-summary"'


@pytest.fixture
def manager(client, world):
    return _sign_in_as(client, world, "provider_manager")


@pytest.fixture
def survey(world):
    return create_survey(
        world["health"], year=2024, title="Staff survey 2024", opens_on=dt.date(2024, 10, 1),
        closes_on=dt.date(2099, 11, 30),
    )  # fmt: skip


def _pages(world, survey) -> dict[str, tuple[str, str]]:
    """Each upload page: (its address, its file field)."""
    health = world["health"].pk
    return {
        "returns": (reverse("returns-upload", args=[health]), "returns_file"),
        "register": (reverse("register-upload", args=[health]), "people"),
        "survey responses": (reverse("survey-responses", args=[survey.pk]), "responses_file"),
    }


def _refused(response, status: int, words: str) -> str:
    assert response.status_code == status, response.content.decode()[:3000]
    html = response.content.decode()
    check_conventions(html)
    assert SUMMARY in html and words in html, html[:3000]
    return html


PAGES = ("returns", "register", "survey responses")


@pytest.mark.parametrize("page", PAGES)
def test_an_upload_past_the_limit_is_413_and_is_not_stored(
    manager, world, survey, settings, monkeypatch, page
):
    settings.UPLOAD_MAX_MB = 1
    stored = _bytes_stored(monkeypatch)
    url, field = _pages(world, survey)[page]
    big = SimpleUploadedFile("big.csv", b"organisation,metric,period,value\n" + b"x" * (2 * MB))
    _refused(manager.post(url, {field: big}), 413, "The selected file must be smaller than 1 MB")
    assert sum(stored) <= MB


def _bytes_stored(monkeypatch) -> list[int]:
    """The sizes of the chunks Django's own handlers keep (in memory or on disk)."""
    from django.core.files import uploadhandler

    stored: list[int] = []
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        keep = handler.receive_data_chunk

        def counting(self, raw_data, start, keep=keep):
            stored.append(len(raw_data))
            return keep(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return stored


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_file_or_none_is_400(manager, world, survey, page):
    url, field = _pages(world, survey)[page]
    _refused(manager.post(url, {field: SimpleUploadedFile("r.csv", b"")}), 400, "is empty")
    _refused(manager.post(url, {}), 400, "Select ")


def test_an_xlsx_bomb_uploaded_is_refused_quickly_in_little_memory(manager, world, tmp_path):
    bomb = bomb_xlsx(tmp_path / "returns.xlsx", inflated_mb=64)
    url = reverse("returns-upload", args=[world["health"].pk])
    before = Observation.objects.count()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with open(bomb, "rb") as handle:
            response = manager.post(url, {"returns_file": handle})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 3
    assert peak < 20_000_000
    _refused(response, 400, "refused unread")
    assert Observation.objects.count() == before


def test_a_register_table_with_an_unknown_column_names_it(manager, world):
    people = b"reference,name,role_group,employed_frm\nP1,Ada,frontline,2011-04-01\n"
    response = manager.post(
        reverse("register-upload", args=[world["health"].pk]),
        {"people": SimpleUploadedFile("people.csv", people)},
    )
    _refused(response, 400, "the file has a column this import does not know: &#x27;employed_frm")
    assert not Person.objects.exists()


def test_the_close_page_answers_400_for_an_invalid_form(manager, survey, monkeypatch):
    """The close form is one optional box, so a form that refuses stands in for any
    future rule: its errors must set the status, as on every other form."""
    from mutuals.web.views import surveys as views

    class Invalid(views.CloseForm):
        def clean(self):
            self.add_error("publish", "Say whether to publish the results")
            return self.cleaned_data

    monkeypatch.setattr(views, "CloseForm", Invalid)
    response = manager.post(reverse("survey-close", args=[survey.pk]), {"publish": "maybe"})
    _refused(response, 400, "Say whether to publish the results")
    survey.refresh_from_db()
    assert survey.status == "open"
