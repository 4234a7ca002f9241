"""Answering a survey, anonymously: through a single-use link, or signed in as a member of
the provider's staff.

:func:`submit` is one transaction: it marks the link used with a conditional update
(``used = false`` in the WHERE clause), and only when that update changed a row does it
store the answers. Two submissions racing on one link both run the update, the database
lets exactly one change the row, and the other stores nothing and is told the link was
used. The stored response names neither the link nor a time.

:func:`submit_signed_in` is the same for someone signed in who is staff on the register and
has not been sent a link: one transaction records their :class:`Invitation` (as a link
from the register would have; its uniqueness lets each person answer once) and stores the
response, which names neither the person nor a time and carries their role group only
when the survey asks no group question, as their register link would. Nothing else is
written: no audit event, no session change. While the survey is open, someone reading the
database could pair signed-in invitations with responses by the order the rows were
written; closing the survey rewrites its responses in a random order
(:func:`mutuals.engagement.surveys.close_survey`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from mutuals.engagement.errors import (
    AlreadyAsked,
    InvalidAnswers,
    LinkUnknown,
    LinkUsed,
    NotOnRegister,
    SurveyNotOpen,
)
from mutuals.engagement.models import (
    ITEM_COLUMNS,
    Invitation,
    Response,
    Survey,
    SurveyLink,
    SurveyStatus,
)
from mutuals.engagement.tokens import digest
from mutuals.governance.models.register import STAFF_GROUPS, Person, employed_on

MAX_TOKEN_LENGTH = 100
ASKED = (
    "You have answered this survey already, or were sent a single-use link to it: each "
    "person answers once. If you have a link you have not used, answer with that."
)


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


def staff_entries(user, today: dt.date) -> QuerySet[Person]:
    """The ``user``'s entries on providers' registers as staff employed on ``today``: whom
    a survey of those providers may ask when they sign in."""
    return Person.objects.filter(user=user, role_group__in=STAFF_GROUPS).filter(employed_on(today))


def open_to_signed_in(survey: Survey, user, *, today: dt.date | None = None) -> Person:
    """The ``user``'s entry on the register, if they may answer ``survey`` signed in today
    (it is open, they are its provider's staff and were not sent a link), or a named error."""
    today = today or timezone.localdate()
    _require_open(survey, today)
    person = staff_entries(user, today).filter(organisation_id=survey.organisation_id).first()
    if person is None:
        raise NotOnRegister(
            f"You are not on {survey.organisation.name}'s staff register, so you cannot answer "
            "its survey here. If you were given a survey link, answer with that."
        )
    if Invitation.objects.filter(survey=survey, person=person).exists():
        raise AlreadyAsked(ASKED)
    return person


def submit_signed_in(
    survey_id: int,
    user,
    answers: Mapping[str, int | None],
    group: str = "",
    *,
    today: dt.date | None = None,
) -> None:
    """Store one response from a signed-in member of staff and record that they have been
    asked, atomically; a second answer stores nothing."""
    values = _checked_answers(answers)
    with transaction.atomic():
        # Locked, as in :func:`submit`: a close either comes first (this is refused) or waits.
        survey = Survey.objects.select_for_update(no_key=True).get(pk=survey_id)
        person = open_to_signed_in(survey, user, today=today)
        if survey.group_question:
            chosen = _checked_group(survey, group)
        else:
            chosen = person.get_role_group_display()
        try:
            with transaction.atomic():
                Invitation.objects.create(survey=survey, person=person)
        except IntegrityError:
            raise AlreadyAsked(ASKED) from None
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
