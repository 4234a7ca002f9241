"""What one subscriber's digest says for one period, limited to what they may see.

- **Alerts** newly detected at the providers they follow (or in the programmes they
  follow, or of the kinds they follow) — only at providers whose returns they may see, as
  alerts are read from returns; a member of the public never gets alerts.
- **Published material** newly published (first versions and new versions) about what
  they follow; the portfolio report goes to everyone who follows a programme. A version
  withdrawn since is left out (a corrected version published after it is told).
- **Ballots opened**: ballots at followed providers that actually opened in the period,
  by the ``open`` entry of the ballot's log (a ballot opened late, or early, is told in
  the period it opened, not the one its planned opening time falls in). Ballots are for a
  provider's own staff: those who may see the ballot get its question and closing time;
  everyone else only that a staff ballot opened at that provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse

from mutuals.accounts.permissions import ANONYMOUS, Viewer, allowed_in, viewer_for_user
from mutuals.evaluation.models import Alert
from mutuals.evaluation.monitoring import RULE_TEXT
from mutuals.governance.models import Ballot, BallotEvent, BallotStatus
from mutuals.publishing.models import ItemKind, Publication, Subscriber, Target
from mutuals.publishing.periods import Period
from mutuals.registry.models import ProgrammeMembership

MAX_PER_SECTION = 50
OPENED = (BallotStatus.OPEN, BallotStatus.CLOSED, BallotStatus.TALLIED)


@dataclass
class Section:
    entries: list[dict] = field(default_factory=list)
    more: int = 0


@dataclass
class DigestContent:
    period: Period
    follows: list[str]
    alerts: Section
    publications: Section
    ballots: Section

    @property
    def is_empty(self) -> bool:
        return not (self.alerts.entries or self.publications.entries or self.ballots.entries)


@dataclass(frozen=True)
class Follows:
    provider_ids: frozenset[int]
    programme_ids: frozenset[int]
    alert_kinds: frozenset[str]
    described: tuple[str, ...]


class Memo(dict):
    """What one run of a period has already read: many subscribers follow the same things,
    so each distinct set of follows is queried once per run, not once per subscriber."""

    def get_or(self, key, compute):
        if key not in self:
            self[key] = compute()
        return self[key]


def follows_of(subscriber: Subscriber, frequency: str, memo: Memo | None = None) -> Follows:
    memo = Memo() if memo is None else memo
    subscriptions = list(
        subscriber.subscriptions.filter(frequency=frequency).select_related(
            "programme", "organisation"
        )
    )
    programmes = frozenset(s.programme_id for s in subscriptions if s.target == Target.PROGRAMME)
    providers = {s.organisation_id for s in subscriptions if s.target == Target.PROVIDER}
    members = memo.get_or(
        ("members", programmes),
        lambda: set(
            ProgrammeMembership.objects.filter(
                programme_id__in=programmes, role=ProgrammeMembership.Role.SPIN_OUT
            ).values_list("organisation_id", flat=True)
        ),
    )
    return Follows(
        provider_ids=frozenset(providers | members),
        programme_ids=programmes,
        alert_kinds=frozenset(s.alert_kind for s in subscriptions if s.target == Target.ALERT_KIND),
        described=tuple(s.describe() for s in subscriptions),
    )


def _capped(entries: list[dict]) -> Section:
    return Section(entries[:MAX_PER_SECTION], max(0, len(entries) - MAX_PER_SECTION))


def _alerts(viewer: Viewer, follows: Follows, period: Period, memo: Memo) -> Section:
    """Alerts at followed providers or of followed kinds, where the viewer may see returns."""
    if viewer.is_public:
        return Section()

    def read() -> list[Alert]:
        wanted = Q(organisation_id__in=follows.provider_ids) | Q(kind__in=follows.alert_kinds)
        return list(
            Alert.objects.filter(
                wanted, detected_at__gte=period.starts_at, detected_at__lt=period.ends_at
            )
            .select_related("organisation", "metric")
            .order_by("organisation__name", "metric__name", "period", "pk")
        )

    alerts = memo.get_or(("alerts", follows.provider_ids, follows.alert_kinds), read)
    allowed: dict[int, bool] = {}
    entries = []
    for alert in alerts:
        if alert.organisation_id not in allowed:
            allowed[alert.organisation_id] = allowed_in(
                viewer, "view", "observation", alert.organisation_id
            )
        if allowed[alert.organisation_id]:
            entries.append(
                {
                    "organisation": alert.organisation.name,
                    "metric": alert.metric.name,
                    "kind": alert.get_kind_display(),
                    "period": alert.period,
                    "rule": RULE_TEXT.get(alert.rule, alert.rule),
                    "path": alert.organisation.get_absolute_url(),
                }
            )
    return _capped(entries)


def _publications(follows: Follows, period: Period, memo: Memo) -> Section:
    """Versions published in the period about what is followed (the same for everyone)."""
    if not (follows.provider_ids or follows.programme_ids):
        return Section()

    def read() -> Section:
        about = Q(item__providers__in=follows.provider_ids) | Q(
            item__programmes__in=follows.programme_ids
        )
        if follows.programme_ids:
            about |= Q(item__kind=ItemKind.PORTFOLIO)
        versions = (
            Publication.objects.filter(
                about,
                withdrawn_at__isnull=True,  # withdrawn since, even if republished in the period
                published_at__gte=period.starts_at,
                published_at__lt=period.ends_at,
            )
            .select_related("item")
            .distinct()
            .order_by("published_at", "pk")
        )
        return _capped(
            [
                {
                    "title": version.title,
                    "version": version.version,
                    "kind": version.item.get_kind_display(),
                    "path": reverse("publication-version", args=[version.item_id, version.version]),
                }
                for version in versions
            ]
        )

    return memo.get_or(("publications", follows.provider_ids, follows.programme_ids), read)


def _ballots(viewer: Viewer, follows: Follows, period: Period, memo: Memo) -> Section:
    def read() -> list[Ballot]:
        opened = BallotEvent.objects.filter(
            kind="open", at__gte=period.starts_at, at__lt=period.ends_at
        ).values("ballot_id")
        return list(
            Ballot.objects.filter(
                organisation_id__in=follows.provider_ids, status__in=OPENED, pk__in=opened
            )
            .select_related("organisation")
            .order_by("opens_at", "pk")
        )

    entries = []
    for ballot in memo.get_or(("ballots", follows.provider_ids), read):
        entry = {"organisation": ballot.organisation.name, "question": "", "closes_at": None}
        if allowed_in(viewer, "view", "ballot", ballot.organisation_id):
            entry["question"] = ballot.question
            entry["closes_at"] = ballot.closes_at
        entries.append(entry)
    return _capped(entries)


def content_for(subscriber: Subscriber, period: Period, memo: Memo | None = None) -> DigestContent:
    """One subscriber's digest; share one ``memo`` across a run's subscribers."""
    memo = Memo() if memo is None else memo
    viewer = viewer_for_user(subscriber.user) if subscriber.user_id else ANONYMOUS
    follows = follows_of(subscriber, period.frequency, memo)
    return DigestContent(
        period=period,
        follows=list(follows.described),
        alerts=_alerts(viewer, follows, period, memo),
        publications=_publications(follows, period, memo),
        ballots=_ballots(viewer, follows, period, memo),
    )
