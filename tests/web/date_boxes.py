"""What a browser posts from a GOV.UK date input (and the time box beside one), and how a
page shows one in error."""

from __future__ import annotations

import datetime as dt
import re

from .test_page_conventions import check_conventions


def date_boxes(name: str, day: dt.date) -> dict[str, str]:
    """The day, month and year boxes of the date input ``name``, filled with ``day``."""
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def moment_boxes(date_name: str, time_name: str, moment: dt.datetime) -> dict[str, str]:
    """A date input and the time box beside it, filled with ``moment`` (in local time)."""
    return {**date_boxes(date_name, moment.date()), time_name: f"{moment:%H:%M}"}


def highlighted(html: str, name: str) -> list[str]:
    """Which of the date input ``name``'s boxes are marked as wrong."""
    return [
        part
        for part in ("day", "month", "year")
        if re.search(rf'class="[^"]*govuk-input--error[^"]*" id="id_{name}-{part}"', html)
    ]


def assert_refused(html: str, name: str, message: str) -> None:
    """The error summary lists ``message``, linked to the date input's day box, and the
    message stands by the date input too."""
    assert "There is a problem" in html and "<title>Error: " in html
    assert f'<a href="#id_{name}-day">{message}</a>' in html
    assert f'<p id="id_{name}-error" class="govuk-error-message">' in html


def page(response, status: int) -> str:
    """The page's HTML, once it has answered ``status`` and keeps the site's conventions."""
    assert response.status_code == status, response.content.decode()[:2000]
    html = response.content.decode()
    check_conventions(html)
    return html
