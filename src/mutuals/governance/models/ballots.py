"""Secret ballots of a provider's staff.

The electorate is everyone on the provider's register who is staff (any role group but
"not staff") and employed on the ballot's ``electorate_date``; with ``members_only`` they
must also be a member on that date. Freezing writes one :class:`Elector` per such person and
fixes the electorate's hash, so nobody added to the register later can vote.

What is stored keeps voter and choice apart:

- :class:`Elector` rows are the frozen electorate, one per person, with a ``has_voted``
  mark and nothing else about the vote: no time, no reference to a :class:`Vote`;
- :class:`Vote` rows carry a random key, the option and the digest of the voter's receipt
  code: no voter, no time, no sequence;
- :class:`BallotEvent` is the append-only, hash-chained log. A cast is logged as "a vote
  was cast" with nothing that identifies which :class:`Vote` it produced; the log's length
  and last hash are sealed beside the ballot in its :class:`SealedHead`.

At the close a ballot's votes are deleted and re-inserted in receipt-digest order in one
transaction, so neither the live rows' physical order nor (on PostgreSQL) their writing
transaction reflects the order of casting. The old rows are scrubbed as far as the database
allows: SQLite overwrites the freed space (``secure_delete``) and its write-ahead log is
truncated after the commit; PostgreSQL's vote table is vacuumed after the commit, which
frees the dead rows but does not erase their bytes. Until that space is reused, someone
reading the database's files, its write-ahead log or a backup taken while the ballot was
open could still pair a vote with a ``has_voted`` mark, as could someone watching the
database while the ballot is open; those are the limits. The services that write these rows
are in :mod:`mutuals.governance.ballots`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from mutuals.governance.models.register import Person, StaffVoteRecord
from mutuals.registry.models import Organisation


class BallotStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FROZEN = "frozen", "Electorate frozen"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    TALLIED = "tallied", "Result published"


class Ballot(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ballots")
    question = models.CharField(max_length=300)
    subject = models.CharField(
        max_length=20,
        choices=StaffVoteRecord.Subject.choices,
        default=StaffVoteRecord.Subject.OTHER,
        help_text="What the vote decides; spin-out and constitution votes feed the "
        "staff-control assessment.",
    )
    electorate_date = models.DateField(
        help_text="The staff register on this date is the electorate."
    )
    members_only = models.BooleanField(
        default=False,
        help_text="Whether staff must also be members on the electorate date to vote.",
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=BallotStatus.choices, default=BallotStatus.DRAFT
    )
    electorate_size = models.PositiveIntegerField(null=True, blank=True)
    electorate_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="ballot_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("ballot", args=[self.pk])


class CountsAs(models.TextChoices):
    """How an option of a spin-out or constitution ballot counts in the staff vote record."""

    FOR = "for", "In favour"
    AGAINST = "against", "Against"
    ABSTAIN = "abstain", "Abstention"


class BallotOption(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=200)
    counts_as = models.CharField(
        max_length=10,
        choices=CountsAs.choices,
        blank=True,
        help_text="For spin-out and constitution ballots: whether a vote for this option "
        "counts as for, against or an abstention; blank for other ballots.",
    )

    class Meta:
        ordering = ["ballot", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "position"], name="one_option_per_position"),
            models.UniqueConstraint(fields=["ballot", "label"], name="option_labels_differ"),
        ]

    def __str__(self) -> str:
        return self.label


class Elector(models.Model):
    """One person in a frozen electorate, and whether they have voted (nothing more)."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="electors")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    has_voted = models.BooleanField(default=False)

    class Meta:
        ordering = ["ballot", "person"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "person"], name="one_elector_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in ballot {self.ballot_id}"


class Vote(models.Model):
    """A cast vote: which option, and the digest of the receipt code its voter was given."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(BallotOption, on_delete=models.PROTECT, related_name="votes")
    receipt_digest = models.CharField(max_length=64, unique=True)
    seal = models.CharField(
        max_length=64, help_text="A keyed digest of the vote, so an edited row is detected."
    )

    class Meta:
        ordering = ["ballot", "receipt_digest"]

    def __str__(self) -> str:
        return f"vote {self.receipt_digest[:8]}"


class BallotEvent(models.Model):
    """An append-only log entry; each carries the hash of the one before."""

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    at = models.DateTimeField(
        null=True, blank=True, help_text="Left blank for casts, so a time cannot link a voter."
    )
    payload = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["ballot", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "sequence"], name="one_event_per_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}#{self.sequence} {self.kind}"


class SealedHead(models.Model):
    """The sealed head of a ballot's log (see :mod:`mutuals.governance.ballots.sealed_head`):
    how many entries the log has, the hash of the last, and a keyed seal over both,
    rewritten with every append, so entries cut from the end of the log no longer match.

    A row of its own beside the ballot rather than columns on it: casts queue for the
    ballot's row lock, and on PostgreSQL rewriting the locked row itself at every cast made
    each waiting cast chase the row's newest version, which nearly doubled the slowest
    casts' latency. Only the holder of the ballot's lock touches this row."""

    ballot = models.OneToOneField(
        Ballot, on_delete=models.CASCADE, primary_key=True, related_name="sealed_head"
    )
    entries = models.PositiveIntegerField(default=0, help_text="How many entries the log has.")
    head_hash = models.CharField(
        max_length=64, default="0" * 64, help_text="The hash of the log's last entry."
    )
    seal = models.CharField(
        max_length=64, help_text="A keyed digest of the ballot, its entry count and head."
    )

    def __str__(self) -> str:
        return f"ballot {self.ballot_id}'s log: {self.entries} entries"
