"""Organisations (commissioners, spin-out providers, in-house comparators) and programmes."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from mutuals.registry.identifiers import (
    validate_charity_number,
    validate_company_number,
    validate_ods_code,
)


class Region(models.TextChoices):
    NORTH_EAST = "north_east", "North East"
    NORTH_WEST = "north_west", "North West"
    YORKSHIRE = "yorkshire", "Yorkshire and the Humber"
    EAST_MIDLANDS = "east_midlands", "East Midlands"
    WEST_MIDLANDS = "west_midlands", "West Midlands"
    EAST = "east", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"


class OrganisationKind(models.TextChoices):
    COMMISSIONER = "commissioner", "Commissioner"
    PROVIDER = "provider", "Spin-out provider"
    COMPARATOR = "comparator", "In-house comparator"


class LegalForm(models.TextChoices):
    CIC_GUARANTEE = "cic_guarantee", "Community interest company limited by guarantee"
    CIC_SHARES = "cic_shares", "Community interest company limited by shares"
    COMMUNITY_BENEFIT_SOCIETY = "community_benefit_society", "Community benefit society"
    COOPERATIVE = "cooperative", "Co-operative society"
    COMPANY = "company", "Private company"
    CHARITY = "charity", "Charitable incorporated organisation"
    NHS_TRUST = "nhs_trust", "NHS trust"
    NHS_COMMISSIONER = "nhs_commissioner", "NHS commissioner (PCT, CCG or ICB)"
    COUNCIL = "council", "Local authority"
    IN_HOUSE_UNIT = "in_house_unit", "In-house unit of a public body"


class Service(models.Model):
    """A kind of service delivered, such as district nursing or care leavers' support."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices, db_index=True)
    legal_form = models.CharField(max_length=40, choices=LegalForm.choices)
    ods_code = models.CharField(
        "NHS ODS code",
        max_length=5,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_ods_code],
    )
    company_number = models.CharField(
        "Companies House number",
        max_length=8,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_company_number],
    )
    charity_number = models.CharField(
        max_length=10, unique=True, null=True, blank=True, validators=[validate_charity_number]
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spin_outs",
        help_text="The public body the organisation left, or belongs to.",
    )
    spinout_date = models.DateField("spin-out date", null=True, blank=True)
    exit_date = models.DateField(
        null=True, blank=True, help_text="When the organisation stopped delivering the services."
    )
    staff_count = models.PositiveIntegerField(null=True, blank=True)
    region = models.CharField(max_length=20, choices=Region.choices, db_index=True)
    services = models.ManyToManyField(Service, blank=True, related_name="organisations")

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["kind", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exit_date__isnull=True)
                | models.Q(spinout_date__isnull=True)
                | models.Q(exit_date__gte=models.F("spinout_date")),
                name="exit_after_spinout",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organisation", args=[self.pk])

    @property
    def identifier(self) -> str | None:
        """The identifier returns files use: the ODS code, else the company or charity number."""
        return self.ods_code or self.company_number or self.charity_number


class ProgrammeKind(models.TextChoices):
    RIGHT_TO_REQUEST = "right_to_request", "Right to Request"
    SOCIAL_WORK_PRACTICES = "social_work_practices", "Social work practices"
    INTEGRATED_CARE = "integrated_care", "Integrated care mutuals"
    USER_DEFINED = "user_defined", "Other programme"


class Programme(models.Model):
    """A group of spin-outs evaluated together, such as the NHS Right to Request cohort."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=ProgrammeKind.choices)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        Organisation, through="ProgrammeMembership", related_name="programmes"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProgrammeMembership(models.Model):
    """An organisation's place in a programme: a spin-out, or a matched comparator."""

    class Role(models.TextChoices):
        SPIN_OUT = "spin_out", "Spin-out"
        COMPARATOR = "comparator", "Matched comparator"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SPIN_OUT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organisation"], name="one_membership_per_programme"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} in {self.programme_id} ({self.role})"
