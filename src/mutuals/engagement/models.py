"""Staff engagement surveys: the survey, its single-use links and its anonymous responses.

What is stored keeps a respondent and their answers apart, in the spirit of the secret
ballots (:mod:`mutuals.governance.models.ballots`):

- :class:`SurveyLink` keeps only the SHA-256 digest of its token and a ``used`` mark: no
  person, no time of use. Links are created in a shuffled order with random keys, so
  neither key nor insertion order lines up with the list of people they were sent to;
- :class:`Invitation` records who was sent a link (so nobody is sent two), and nothing
  about which link or whether it was used;
- :class:`Response` carries the survey, the group the respondent chose and the nine
  answers: no link, no person, no time, and a random key rather than a sequence.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from mutuals.engine.engagement import ENGAGEMENT_ITEMS
from mutuals.governance.models.register import Person
from mutuals.registry.models import Organisation

ITEM_COLUMNS: tuple[str, ...] = tuple(c for cols in ENGAGEMENT_ITEMS.values() for c in cols)
NOT_STATED = "Not stated"


class SurveyStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Survey(models.Model):
    """One engagement survey of a provider's staff, for one year."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="surveys")
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(1990)])
    title = models.CharField(max_length=200)
    opens_on = models.DateField()
    closes_on = models.DateField(help_text="The last day answers are taken.")
    status = models.CharField(max_length=10, choices=SurveyStatus.choices, default="open")
    min_group_size = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2)],
        help_text="Groups with fewer respondents are never shown; copied from "
        "SURVEY_MIN_GROUP_SIZE when the survey is created.",
    )
    group_question = models.CharField(
        max_length=200,
        blank=True,
        help_text="An optional question sorting respondents into groups, such as their team.",
    )
    group_choices = models.JSONField(
        default=list, blank=True, help_text="The answers the group question offers."
    )
    results_published = models.BooleanField(
        default=False, help_text="Whether the public and commissioners may see the results."
    )

    class Meta:
        ordering = ["organisation", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"],
                name="one_survey_a_year",
                violation_error_message="This provider already has a survey for that year.",
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")),
                name="survey_closes_after_opening",
                violation_error_message="A survey must close on or after the day it opens.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("survey-results", args=[self.pk])

    @property
    def groups(self) -> list[str]:
        return [str(choice) for choice in self.group_choices]


class SurveyLink(models.Model):
    """A single-use anonymous link: the digest of its token, whether it was used, and
    optionally the group its holder belongs to (from the staff register)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    token_digest = models.CharField(max_length=64, unique=True)
    group = models.CharField(max_length=100, blank=True)
    used = models.BooleanField(default=False)

    class Meta:
        ordering = ["survey", "token_digest"]

    def __str__(self) -> str:
        return f"link {self.token_digest[:8]}"


class Invitation(models.Model):
    """That a person on the register was sent a link to a survey; nothing more."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["survey", "person"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], name="one_invitation_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} invited to survey {self.survey_id}"


ANSWER = [MinValueValidator(1), MaxValueValidator(5)]


def _answer_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, null=True, blank=True, validators=ANSWER)


class Response(models.Model):
    """One respondent's answers (1 strongly disagree … 5 strongly agree, blank if skipped)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    group = models.CharField(max_length=100, blank=True)
    q_look_forward = _answer_field("I look forward to going to work")
    q_enthusiastic = _answer_field("I am enthusiastic about my job")
    q_time_passes = _answer_field("Time passes quickly when I am working")
    q_initiative = _answer_field("There are opportunities for me to show initiative in my role")
    q_suggestions = _answer_field("I am able to make suggestions to improve the work of my team")
    q_improvements = _answer_field("I am able to make improvements happen in my area of work")
    q_care_priority = _answer_field(
        "Care of patients or service users is my organisation's top priority"
    )
    q_recommend_work = _answer_field("I would recommend my organisation as a place to work")
    q_standard_of_care = _answer_field(
        "If a friend or relative needed treatment or care, I would be happy with the "
        "standard provided by this organisation"
    )

    class Meta:
        ordering = ["survey", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (1, 5)}),
                name=f"{name}_is_1_to_5",
            )
            for name in ITEM_COLUMNS
        ]

    def __str__(self) -> str:
        return f"response to survey {self.survey_id}"
