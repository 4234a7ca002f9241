"""Running a survey: create it, issue its single-use links, close it and publish results.
Each step is recorded in the audit trail under the person who took it (none from the
command line).

Links go either to the people on the provider's staff register employed on a date (each
person once; their role group travels with the link when the survey asks no group
question of its own), or as a number of unaddressed links for the provider to hand out.
The tokens exist only in what :func:`issue_links` returns (and the CSV written from it);
the database keeps their digests, in a shuffled order unrelated to the people.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mutuals.accounts import audit
from mutuals.engagement.errors import InvalidSurvey, SurveyError
from mutuals.engagement.models import Invitation, Response, Survey, SurveyLink, SurveyStatus
from mutuals.engagement.tokens import digest, new_token
from mutuals.exports import neutralise_text
from mutuals.governance.models.register import STAFF_GROUPS, Person, employed_on
from mutuals.registry.models import Organisation

MAX_LINKS = 100_000
MAX_GROUP_LENGTH = 100


def create_survey(
    organisation: Organisation,
    *,
    year: int,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    group_question: str = "",
    group_choices: Sequence[str] = (),
    user=None,
) -> Survey:
    """A new open survey, with the minimum group size of today's setting."""
    choices = [choice.strip() for choice in group_choices if choice.strip()]
    if bool(group_question.strip()) != bool(choices):
        raise InvalidSurvey("A group question needs its answers, and answers need a question.")
    if len(set(choices)) != len(choices) or any(len(c) > MAX_GROUP_LENGTH for c in choices):
        raise InvalidSurvey(
            f"Group answers must differ from one another and be at most {MAX_GROUP_LENGTH} "
            "characters long."
        )
    survey = Survey(
        organisation=organisation,
        year=year,
        title=title.strip() or f"Staff engagement survey {year}",
        opens_on=opens_on,
        closes_on=closes_on,
        group_question=group_question.strip(),
        group_choices=choices,
        min_group_size=settings.SURVEY_MIN_GROUP_SIZE,
    )
    try:
        survey.full_clean()
    except ValidationError as error:
        raise InvalidSurvey(_first_message(error)) from None
    try:
        with transaction.atomic():
            survey.save()
            audit.record(
                "survey-create",
                user=user,
                obj=survey,
                organisation=organisation,
                changes={
                    "year": [None, survey.year],
                    "opens_on": [None, survey.opens_on.isoformat()],
                    "closes_on": [None, survey.closes_on.isoformat()],
                    "min_group_size": [None, survey.min_group_size],
                    "group_question": [None, survey.group_question],
                },
            )
    except IntegrityError:
        raise InvalidSurvey(f"{organisation.name} already has a survey for {year}.") from None
    return survey


def _first_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        where = "" if field == "__all__" else f"{field.replace('_', ' ')}: "
        return f"{where}{messages[0]}"
    return error.messages[0]


@dataclass(frozen=True)
class IssuedLink:
    """A token to send, and (when issued from the register) to whom."""

    token: str
    reference: str = ""
    name: str = ""
    group: str = ""

    def path(self) -> str:
        from django.urls import reverse

        return reverse("survey-answer", args=[self.token])


def issue_links(
    survey: Survey, *, count: int | None = None, register_on: dt.date | None = None, user=None
) -> list[IssuedLink]:
    """New single-use links: ``count`` unaddressed ones, or one for each person employed
    on ``register_on`` who has not been sent one yet."""
    if (count is None) == (register_on is None):
        raise SurveyError("Ask for a number of links, or for the register on a date, not both.")
    with transaction.atomic():
        # Locked, so two requests for the register's links are issued one after the other
        # (the second finds everyone invited) and none lands on a survey being closed.
        survey = locked_open(survey, "no more links can be issued")
        if count is not None:
            if not 1 <= count <= MAX_LINKS:
                raise SurveyError(f"Ask for between 1 and {MAX_LINKS:,} links, not {count}.")
            issued = [IssuedLink(new_token()) for _ in range(count)]
        else:
            issued = _register_links(survey, register_on)
        shuffled = random.SystemRandom().sample(issued, len(issued))
        SurveyLink.objects.bulk_create(
            SurveyLink(survey=survey, token_digest=digest(link.token), group=link.group)
            for link in shuffled
        )
        how = {"register_on": register_on.isoformat()} if register_on else {"count": count}
        if not issued:
            return issued
        audit.record(
            "survey-links",
            user=user,
            obj=survey,
            organisation=survey.organisation,
            changes={"links": [None, len(issued)], **{k: [None, v] for k, v in how.items()}},
        )
    return issued


def _register_links(survey: Survey, day: dt.date) -> list[IssuedLink]:
    already = Invitation.objects.filter(survey=survey).values("person_id")
    people = list(
        Person.objects.filter(organisation=survey.organisation, role_group__in=STAFF_GROUPS)
        .filter(employed_on(day))
        .exclude(pk__in=already)
        .order_by("reference")
    )
    Invitation.objects.bulk_create(Invitation(survey=survey, person=person) for person in people)
    carries_group = not survey.group_question
    return [
        IssuedLink(
            new_token(),
            person.reference,
            person.name,
            person.get_role_group_display() if carries_group else "",
        )
        for person in people
    ]


LINK_COLUMNS = ("reference", "name", "group", "link")


def write_links_csv(links: Sequence[IssuedLink], path: Path | str, base_url: str) -> Path:
    """The links as a CSV for a mail merge: reference, name, group and the full address.
    Written to a new file only, so a list of live tokens is never silently replaced."""
    path = Path(path)
    with path.open("x", newline="", encoding="utf-8") as handle:
        write_links(links, handle, base_url)
    return path


def write_links(links: Sequence[IssuedLink], handle: TextIO, base_url: str) -> None:
    root = base_url.rstrip("/")
    writer = csv.writer(handle)
    writer.writerow(LINK_COLUMNS)
    for link in links:
        cells = (link.reference, link.name, link.group, root + link.path())
        writer.writerow([neutralise_text(cell) for cell in cells])  # opened for a mail merge


def _locked(survey: Survey) -> Survey:
    """The survey read again and locked for the caller's transaction."""
    return Survey.objects.select_for_update().select_related("organisation").get(pk=survey.pk)


def locked_open(survey: Survey, refused: str) -> Survey:
    """The survey read again and locked for the caller's transaction, if still open."""
    locked = _locked(survey)
    if locked.status != SurveyStatus.OPEN:
        raise SurveyError(f"{locked.title} is closed: {refused}.")
    return locked


def close_survey(survey: Survey, *, publish: bool = False, user=None) -> Survey:
    """Stop taking answers (unused links stop working); optionally publish the results."""
    with transaction.atomic():
        locked = _locked(survey)
        if locked.status == SurveyStatus.CLOSED:
            return _publish(locked, user) if publish else locked
        was_published = locked.results_published
        locked.status = SurveyStatus.CLOSED
        locked.results_published = was_published or publish
        locked.save(update_fields=["status", "results_published"])
        rewrite_responses(locked)
        audit.record(
            "survey-close",
            user=user,
            obj=locked,
            organisation=locked.organisation,
            changes={
                "status": [SurveyStatus.OPEN.value, SurveyStatus.CLOSED.value],
                "results_published": [was_published, locked.results_published],
            },
        )
    return locked


def rewrite_responses(survey: Survey) -> int:
    """Delete and re-insert the survey's responses in a random order (keys and answers
    unchanged), so the rows' order no longer follows the order people answered in, which
    for staff answering signed in is the order of their invitations. Copies of the old rows
    that the database's free space, its write-ahead log or a backup still hold are beyond
    this; the ballots' close goes further (:func:`mutuals.governance.ballots.lifecycle.
    rewrite_votes`)."""
    rows = list(Response.objects.filter(survey=survey).values())
    random.SystemRandom().shuffle(rows)
    Response.objects.filter(survey=survey).delete()
    Response.objects.bulk_create((Response(**row) for row in rows), batch_size=2000)
    return len(rows)


def publish_results(survey: Survey, *, user=None) -> Survey:
    """Let commissioners and the public read a closed survey's results (small groups
    stay hidden to everyone). Cannot be undone."""
    with transaction.atomic():
        locked = _locked(survey)
        return _publish(locked, user)


def _publish(locked: Survey, user) -> Survey:
    if locked.status != SurveyStatus.CLOSED:
        raise SurveyError("Close the survey before publishing its results.")
    if not locked.results_published:
        locked.results_published = True
        locked.save(update_fields=["results_published"])
        audit.record(
            "survey-publish",
            user=user,
            obj=locked,
            organisation=locked.organisation,
            changes={"results_published": [False, True]},
        )
    return locked
