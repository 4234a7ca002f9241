"""The member register: people, their holdings with history, board seats and constitution.

Dates are inclusive starts and exclusive ends (``until`` is the first day no longer true),
so "on a date" questions are ``from <= day < until`` everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from mutuals.registry.models import Organisation


class RoleGroup(models.TextChoices):
    FRONTLINE = "frontline", "Frontline staff"
    MANAGER = "manager", "Manager"
    SENIOR = "senior", "Senior manager or director"
    NON_STAFF = "non_staff", "Not staff (an investor, trust or public body)"


STAFF_GROUPS = (RoleGroup.FRONTLINE, RoleGroup.MANAGER, RoleGroup.SENIOR)


class Person(models.Model):
    """Someone on a provider's register: an employee, a member, or an outside holder."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="register"
    )
    reference = models.CharField(
        max_length=40, help_text="The provider's own reference, such as a payroll number."
    )
    name = models.CharField(max_length=200)
    role_group = models.CharField(max_length=20, choices=RoleGroup.choices)
    employed_from = models.DateField(null=True, blank=True)
    employed_until = models.DateField(null=True, blank=True)
    member_from = models.DateField(
        null=True, blank=True, help_text="When they joined as a member; blank if never."
    )
    member_until = models.DateField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="register_entries",
        help_text="Their sign-in, so they can vote and answer surveys.",
    )

    class Meta:
        ordering = ["organisation", "name", "id"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="one_register_entry_per_reference"
            ),
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=Q(user__isnull=False),
                name="one_register_entry_per_user",
                violation_error_message="That sign-in is already linked to another entry on "
                "this organisation's register.",
            ),
            models.CheckConstraint(
                condition=Q(employed_until__isnull=True)
                | Q(employed_from__isnull=True)
                | Q(employed_until__gt=models.F("employed_from")),
                name="employment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(member_until__isnull=True)
                | Q(member_from__isnull=True)
                | Q(member_until__gt=models.F("member_from")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reference})"

    @property
    def is_staff_member(self) -> bool:
        return self.role_group in STAFF_GROUPS


def employed_on(day) -> Q:
    """People employed on ``day``."""
    return Q(employed_from__isnull=False, employed_from__lte=day) & (
        Q(employed_until__isnull=True) | Q(employed_until__gt=day)
    )


def member_on(day) -> Q:
    """People who are members on ``day``."""
    return Q(member_from__isnull=False, member_from__lte=day) & (
        Q(member_until__isnull=True) | Q(member_until__gt=day)
    )


class ShareClass(models.Model):
    """A class of shares, or the single membership class of a one-member-one-vote society."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="share_classes"
    )
    name = models.CharField(max_length=80)
    votes_per_share = models.DecimalField(max_digits=9, decimal_places=3, default=1)
    carries_equity = models.BooleanField(
        default=True, help_text="Whether holders share in the assets (false for voting-only)."
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name_plural = "share classes"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="one_share_class_name")
        ]

    def __str__(self) -> str:
        return self.name


class Holding(models.Model):
    """Shares (and the votes they carry) a person held in a class over a period. A change
    closes the current row and opens a new one, so history is kept."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="holdings")
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="holdings")
    shares = models.DecimalField(max_digits=14, decimal_places=3)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "share_class", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(shares__gte=0), name="shares_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="holding_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["person", "share_class"],
                condition=Q(valid_until__isnull=True),
                name="one_current_holding_per_class",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} holds {self.shares} {self.share_class}"


def valid_on(day) -> Q:
    """Holdings valid on ``day``."""
    return Q(valid_from__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gt=day))


class SeatFilledBy(models.TextChoices):
    STAFF_ELECTED = "staff_elected", "Elected by staff"
    APPOINTED = "appointed", "Appointed by the board or owners"
    COMMISSIONER_NOMINEE = "commissioner_nominee", "Nominated by a commissioner"
    INDEPENDENT = "independent", "Independent"


class BoardSeat(models.Model):
    """A board seat held over a period, and how it was filled."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="board_seats"
    )
    holder_name = models.CharField(max_length=200)
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="board_seats",
        help_text="Their register entry, when the holder is on the register.",
    )
    filled_by = models.CharField(max_length=30, choices=SeatFilledBy.choices)
    is_executive = models.BooleanField(default=False)
    held_from = models.DateField()
    held_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "held_from", "holder_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(held_until__isnull=True) | Q(held_until__gt=models.F("held_from")),
                name="seat_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} ({self.get_filled_by_display()})"


def seated_on(day) -> Q:
    return Q(held_from__lte=day) & (Q(held_until__isnull=True) | Q(held_until__gt=day))


class MemberVoting(models.TextChoices):
    ONE_MEMBER_ONE_VOTE = "one_member_one_vote", "One member, one vote"
    PER_SHARE = "per_share", "Votes follow shares"


class Constitution(models.Model):
    """Constitution facts from a date (the legal form is the organisation's)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="constitutions"
    )
    effective_from = models.DateField()
    asset_lock = models.BooleanField(
        help_text="Whether assets must stay in the community or public benefit."
    )
    member_voting = models.CharField(max_length=30, choices=MemberVoting.choices)
    staff_membership_open = models.BooleanField(
        default=True, help_text="Whether every employee may become a member."
    )
    profit_reinvested_min = models.DecimalField(
        "minimum share of profit reinvested",
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="As a fraction (0.65 for 65%); blank if the constitution sets none.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["organisation", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "effective_from"], name="one_constitution_per_date"
            ),
            models.CheckConstraint(
                condition=Q(profit_reinvested_min__isnull=True)
                | (Q(profit_reinvested_min__gte=0) & Q(profit_reinvested_min__lte=1)),
                name="reinvested_share_is_a_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"Constitution of {self.organisation_id} from {self.effective_from}"


class StaffVoteRecord(models.Model):
    """A staff vote on the provider's future, such as whether to spin out: held in Mutuals
    (``ballot`` set, figures from its tally) or recorded from the provider's papers."""

    class Subject(models.TextChoices):
        SPIN_OUT = "spin_out", "Whether to spin out"
        CONSTITUTION = "constitution", "A change to the constitution"
        OTHER = "other", "Another question"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="staff_votes"
    )
    subject = models.CharField(max_length=20, choices=Subject.choices)
    held_on = models.DateField()
    question = models.CharField(max_length=300)
    electorate = models.PositiveIntegerField()
    votes_for = models.PositiveIntegerField()
    votes_against = models.PositiveIntegerField()
    abstentions = models.PositiveIntegerField(default=0)
    ballot = models.OneToOneField(
        "governance.Ballot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vote_record",
    )
    source = models.CharField(
        max_length=200, blank=True, help_text="Where recorded figures come from."
    )

    class Meta:
        ordering = ["organisation", "-held_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    electorate__gte=models.F("votes_for")
                    + models.F("votes_against")
                    + models.F("abstentions")
                ),
                name="votes_within_electorate",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} on {self.held_on}"

    @property
    def turnout(self) -> float | None:
        if not self.electorate:
            return None
        return (self.votes_for + self.votes_against + self.abstentions) / self.electorate

    @property
    def share_for(self) -> float | None:
        decided = self.votes_for + self.votes_against
        return self.votes_for / decided if decided else None
