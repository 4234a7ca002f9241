"""``mutuals ballot``: run a secret staff ballot from the command line."""

from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mutuals.governance import ballots
from mutuals.governance.ballots.casting import local_moment
from mutuals.governance.ballots.published import HEAD
from mutuals.governance.models import Ballot
from mutuals.registry.lookup import organisation_by_key
from mutuals.registry.models import Organisation

VERBS = ("create", "freeze", "open", "close", "tally", "verify", "tick")


class Command(BaseCommand):
    help = (
        "Secret staff ballots: create one (--organisation, --question, --option repeated, "
        "--electorate-date, --opens, --closes, --subject), freeze its electorate, open, "
        "close, tally, verify (recompute the log, seals and tally; exits non-zero naming "
        "any altered entry; --published-head and --published-entries hold the log to a copy "
        "of its published result), or tick (open and close ballots whose time has come, and tally closed ones left without "
        "a result). A spin_out or constitution ballot needs --for-option and --against-option: "
        "the options whose votes count as for and against in the staff-control assessment "
        "(others count as abstentions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=VERBS, help="what to do")
        parser.add_argument(
            "ballot", nargs="?", type=int, help="the ballot's id (not for create or tick)"
        )
        parser.add_argument(
            "--organisation", help="create: the provider's id, ODS code or company number"
        )
        parser.add_argument("--question", help="create: what the staff are asked")
        parser.add_argument(
            "--option", action="append", default=[], help="create: an option (give two or more)"
        )
        parser.add_argument(
            "--electorate-date",
            dest="electorate_date",
            metavar="YYYY-MM-DD",
            help="create: the staff register on this day is the electorate",
        )
        parser.add_argument("--opens", metavar="YYYY-MM-DDTHH:MM", help="create: when voting opens")
        parser.add_argument(
            "--closes", metavar="YYYY-MM-DDTHH:MM", help="create: when voting closes"
        )
        parser.add_argument(
            "--subject",
            default="other",
            choices=ballots.lifecycle.SUBJECTS,
            help="create: spin_out and constitution ballots feed the staff-control assessment",
        )
        parser.add_argument(
            "--for-option",
            dest="for_option",
            default="",
            metavar="LABEL",
            help="create, spin_out or constitution: the option (as given to --option) that "
            "counts as in favour",
        )
        parser.add_argument(
            "--against-option",
            dest="against_option",
            default="",
            metavar="LABEL",
            help="create, spin_out or constitution: the option that counts as against",
        )
        parser.add_argument(
            "--published-head",
            dest="published_head",
            metavar="HASH",
            type=_head,
            help="verify: the log head a copy of the published result gives; the log must "
            "still hold it",
        )
        parser.add_argument(
            "--published-entries",
            dest="published_entries",
            metavar="N",
            type=_entries,
            help="verify, with --published-head: how many log entries the published result "
            "gives; entry N must be the published head",
        )
        parser.add_argument(
            "--members-only",
            dest="members_only",
            action="store_true",
            help="create: staff must also be members on the electorate date",
        )

    def handle(self, *args, verb, ballot, **options):
        try:
            if verb == "create":
                return self._create(options)
            if verb == "tick":
                return self._tick()
            if ballot is None:
                raise CommandError(f"Name the ballot: mutuals ballot {verb} ID.")
            if not Ballot.objects.filter(pk=ballot).exists():
                raise CommandError(f"There is no ballot {ballot}.")
            if verb == "verify":
                return self._verify(ballot, _published(options))
            getattr(self, f"_{verb}")(ballot)
        except ballots.BallotError as error:
            raise CommandError(str(error)) from None

    def _create(self, options) -> None:
        missing = [
            f"--{name.replace('_', '-')}"
            for name in ("organisation", "question", "electorate_date", "opens", "closes")
            if not options[name]
        ]
        if missing:
            raise CommandError(f"create needs {', '.join(missing)}.")
        draft = ballots.BallotDraft(
            organisation=_organisation(options["organisation"]),
            question=options["question"],
            options=options["option"],
            electorate_date=_date(options["electorate_date"], "--electorate-date"),
            opens_at=_moment(options["opens"], "--opens"),
            closes_at=_moment(options["closes"], "--closes"),
            subject=options["subject"],
            members_only=options["members_only"],
            for_option=options["for_option"],
            against_option=options["against_option"],
        )
        try:
            ballot = ballots.create_ballot(draft)
        except ballots.BallotInvalid as invalid:
            raise CommandError(_invalid_text(invalid)) from None
        self.stdout.write(
            f"Created ballot {ballot.pk} for {ballot.organisation.name}: {ballot.question} "
            f"Freeze its electorate next: mutuals ballot freeze {ballot.pk}"
        )

    def _freeze(self, pk: int) -> None:
        ballot = ballots.freeze(pk)
        self.stdout.write(
            f"Froze ballot {pk}: {ballot.electorate_size} electors, electorate hash "
            f"{ballot.electorate_hash}."
        )

    def _open(self, pk: int) -> None:
        ballot = ballots.open_ballot(pk)
        self.stdout.write(f"Ballot {pk} is open until {local_moment(ballot.closes_at)}.")

    def _close(self, pk: int) -> None:
        ballots.close_ballot(pk)
        self.stdout.write(f"Ballot {pk} is closed. Publish its result: mutuals ballot tally {pk}")

    def _tally(self, pk: int) -> None:
        ballot = ballots.tally(pk)
        found = ballots.result(ballot)
        turnout = f"{found.turnout:.1%}" if found.turnout is not None else "none"
        self.stdout.write(f"Ballot {pk}: {ballot.question}")
        for count in found.counts:
            self.stdout.write(f"  {count.label}: {count.votes}")
        self.stdout.write(
            f"Turnout {turnout} ({found.votes} of {found.electorate}); results digest "
            f"{found.results_digest}; log head {found.log_head} after {found.log_entries} "
            "entries. Keep the log head and count: `mutuals ballot verify "
            f"{pk} --published-entries {found.log_entries} --published-head {found.log_head}` "
            "shows if entries are later cut from the log."
        )

    def _verify(self, pk: int, published: ballots.PublishedLog | None = None) -> None:
        report = ballots.verify(pk, published=published)
        if report.ok:
            self.stdout.write(
                f"Ballot {pk} verified: {report.entries} log entries chain correctly, "
                f"{report.votes} vote seals hold, counts agree"
                f"{' and the tally recounts the same' if report.ballot.status == 'tallied' else ''}."
            )
            if published is not None:
                self.stdout.write(
                    f"  and the log still holds the published head {published.head[:16]}…"
                    + (f" at entry #{published.entries}." if published.entries else ".")
                )
            return
        for problem in report.problems:
            self.stderr.write(f"  {problem}")
        raise CommandError(f"Ballot {pk} failed verification: {len(report.problems)} problem(s).")

    def _tick(self) -> None:
        report = ballots.tick()
        for ballot in report.opened:
            self.stdout.write(f"Opened ballot {ballot.pk}: {ballot.question}")
        for ballot in report.closed:
            self.stdout.write(f"Closed and tallied ballot {ballot.pk}: {ballot.question}")
        for ballot in report.published:
            self.stdout.write(
                f"Tallied ballot {ballot.pk}, which had closed without a result: {ballot.question}"
            )
        for ballot, why in report.waiting:
            self.stderr.write(f"Ballot {ballot.pk} is due but waits: {why}.")
        if not (report.opened or report.closed or report.published or report.waiting):
            self.stdout.write("No ballot is due to open or close.")


FLAGS = {
    "options": "--option",
    "opens_at": "--opens",
    "closes_at": "--closes",
    "for_option": "--for-option",
    "against_option": "--against-option",
}


def _invalid_text(invalid) -> str:
    lines = [
        f"  {FLAGS.get(field, '--' + field.replace('_', '-'))}: {reason}"
        for field, reason in invalid.problems.items()
    ]
    return "The ballot was not created:\n" + "\n".join(lines)


def _head(text: str) -> str:
    head = text.strip().lower()
    if not HEAD.fullmatch(head):
        raise ArgumentTypeError(
            f"{text!r} is not a log head: give the 64 letters and digits (0-9, a-f) the "
            "published result shows"
        )
    return head


def _entries(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ArgumentTypeError(f"{text!r} is not a number of log entries, such as 42")
    return int(text)


def _published(options) -> ballots.PublishedLog | None:
    head, entries = options.get("published_head"), options.get("published_entries")
    if head is None:
        if entries is not None:
            raise CommandError("--published-entries needs --published-head: give both.")
        return None
    return ballots.PublishedLog(head=head, entries=entries)


def _organisation(key: str) -> Organisation:
    return organisation_by_key(key)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date: write it as YYYY-MM-DD.") from None


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{option} {text!r} is not a date and time: write it as YYYY-MM-DDTHH:MM."
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
