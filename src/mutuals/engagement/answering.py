"""Answering a survey through a single-use link, anonymously.

:func:`submit` is one transaction: it marks the link used with a conditional update
(``used = false`` in the WHERE clause), and only when that update changed a row does it
store the answers. Two submissions racing on one link both run the update, the database
lets exactly one change the row, and the other stores nothing and is told the link was
used. The stored response names neither the link nor a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from mutuals.engagement.errors import InvalidAnswers, LinkUnknown, LinkUsed, SurveyNotOpen
from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey, SurveyLink, SurveyStatus
from mutuals.engagement.tokens import digest

MAX_TOKEN_LENGTH = 100


def open_link(token: str, *, today: dt.date | None = None) -> SurveyLink:
    """The unused link for ``token`` of a survey taking answers today, or a named error."""
    link = _link(token)
    if link.used:
        raise LinkUsed(
            "This link has already been used to answer the survey. Each link counts once."
        )
    _require_open(link.survey, today or timezone.localdate())
    return link


def _link(token: str) -> SurveyLink:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkUnknown("This survey link is not recognised. Check it was copied in full.")
    link = (
        SurveyLink.objects.select_related("survey__organisation")
        .filter(token_digest=digest(token))
        .first()
    )
    if link is None:
        raise LinkUnknown("This survey link is not recognised. Check it was copied in full.")
    return link


def _require_open(survey: Survey, today: dt.date) -> None:
    if survey.status != SurveyStatus.OPEN or today > survey.closes_on:
        raise SurveyNotOpen(f"This survey closed on {survey.closes_on:%-d %B %Y}.")
    if today < survey.opens_on:
        raise SurveyNotOpen(f"This survey opens on {survey.opens_on:%-d %B %Y}.")


def submit(
    token: str, answers: Mapping[str, int | None], group: str = "", *, today: dt.date | None = None
) -> None:
    """Store one response and use up the link, atomically; a used link stores nothing."""
    link = open_link(token, today=today)
    survey = link.survey
    values = _checked_answers(answers)
    chosen = link.group or _checked_group(survey, group)
    with transaction.atomic():
        # The survey's row, locked: a close committing now either comes before this answer
        # (which is then refused) or waits for it.
        locked = Survey.objects.select_for_update(no_key=True).get(pk=survey.pk)
        _require_open(locked, today or timezone.localdate())
        changed = SurveyLink.objects.filter(pk=link.pk, used=False).update(used=True)
        if changed != 1:
            raise LinkUsed("This link has already been used to answer the survey.")
        Response.objects.create(survey=survey, group=chosen, **values)


def _checked_answers(answers: Mapping[str, int | None]) -> dict[str, int | None]:
    unknown = set(answers) - set(ITEM_COLUMNS)
    if unknown:
        raise InvalidAnswers(f"Unknown question {sorted(unknown)[0]!r}.")
    values = {name: answers.get(name) for name in ITEM_COLUMNS}
    for name, value in values.items():
        if value is not None and value not in (1, 2, 3, 4, 5):
            raise InvalidAnswers(f"{name}: {value!r} is not an answer from 1 to 5.")
    return values


def _checked_group(survey: Survey, group: str) -> str:
    group = (group or "").strip()
    if group and group not in survey.groups:
        raise InvalidAnswers(f"{group!r} is not one of the answers to {survey.group_question!r}.")
    return group
