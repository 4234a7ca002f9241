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
- **Events to book**: events published in the period that the subscriber may book and
  that still take bookings (:mod:`mutuals.events.digest`), whatever they follow;
  consultation meetings only to the staff on the provider's register; the public, who
  cannot book, get none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.urls import reverse

from mutuals.accounts.models import Role
from mutuals.accounts.permissions import ANONYMOUS, Viewer, allowed_in, viewer_for_user
from mutuals.evaluation.models import Alert
from mutuals.evaluation.monitoring import RULE_TEXT
from mutuals.events.digest import bookable_published_in, lines_for
from mutuals.governance.models import Ballot, BallotEvent, BallotStatus
from mutuals.publishing.models import ItemKind, Publication, Subscriber, Subscription, Target
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
    events: Section = field(default_factory=Section)

    @property
    def is_empty(self) -> bool:
        return not (
            self.alerts.entries
            or self.publications.entries
            or self.ballots.entries
            or self.events.entries
        )


@dataclass(frozen=True)
class Follows:
    provider_ids: frozenset[int]
    programme_ids: frozenset[int]
    alert_kinds: frozenset[str]
    described: tuple[str, ...]


class Memo(dict):
    """What one run of a period has already read: many subscribers follow the same things,
    so each distinct set of follows is queried once per run, not once per subscriber, and
    each distinct set of roles is asked each permission question once."""

    def get_or(self, key, compute):
        if key not in self:
            self[key] = compute()
        return self[key]


def subscriptions_by_subscriber(
    subscriber_ids: list[int], frequency: str
) -> dict[int, list[Subscription]]:
    """The subscriptions at ``frequency`` of many subscribers, in one query: a batch of a
    run reads them together rather than one query per subscriber."""
    found: dict[int, list[Subscription]] = {pk: [] for pk in subscriber_ids}
    rows = Subscription.objects.filter(
        subscriber_id__in=subscriber_ids, frequency=frequency
    ).select_related("programme", "organisation")
    for subscription in rows:  # in the model's order: by target, then as followed
        found[subscription.subscriber_id].append(subscription)
    return found


def viewers_of(subscribers: list[Subscriber]) -> dict[int, Viewer]:
    """The viewer of each subscriber, their roles read in one query for a whole batch and
    held as :func:`~mutuals.accounts.permissions.viewer_for_user` holds them (a member of
    the public, or someone whose account is inactive, is anonymous)."""
    users = [s.user for s in subscribers if s.user_id and s.user.is_active]
    held: dict[int, dict[str, set[int]]] = {user.pk: {} for user in users}
    roles = Role.objects.filter(user__in=users).order_by()
    for user_id, role, organisation_id in roles.values_list("user_id", "role", "organisation_id"):
        ids = held[user_id].setdefault(role, set())
        if organisation_id is not None:
            ids.add(organisation_id)
    viewers = {
        pk: Viewer(pk, {role: frozenset(ids) for role, ids in by_role.items()})
        for pk, by_role in held.items()
    }
    return {s.pk: viewers.get(s.user_id, ANONYMOUS) for s in subscribers}


def follows_of(
    subscriber: Subscriber,
    frequency: str,
    memo: Memo | None = None,
    subscriptions: list[Subscription] | None = None,
) -> Follows:
    """What the subscriber follows at ``frequency`` (``subscriptions``: theirs, when the
    caller read them already)."""
    memo = Memo() if memo is None else memo
    if subscriptions is None:
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


def _roles(viewer: Viewer) -> tuple:
    """The viewer's roles as a key: what they may see depends on these, not on who they are."""
    return tuple(sorted((role, tuple(sorted(ids))) for role, ids in viewer.organisations.items()))


def _allowed(viewer: Viewer, kind: str, organisation_id: int, memo: Memo) -> bool:
    """Whether the viewer may view ``kind`` at the organisation, asked once per set of roles
    in a run (a commissioner's providers take a query to find)."""
    key = ("allowed", _roles(viewer), kind, organisation_id)
    return memo.get_or(key, lambda: allowed_in(viewer, "view", kind, organisation_id))


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
    entries = []
    for alert in alerts:
        if _allowed(viewer, "observation", alert.organisation_id, memo):
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
        if _allowed(viewer, "ballot", ballot.organisation_id, memo):
            entry["question"] = ballot.question
            entry["closes_at"] = ballot.closes_at
        entries.append(entry)
    return _capped(entries)


def _events(viewer: Viewer, period: Period, memo: Memo) -> Section:
    """Events published in the period that the viewer may book: read once for everyone
    holding the same roles, then a consultation meeting kept only for those the
    provider's register shows as its staff."""
    if viewer.is_public:
        return Section()
    found = memo.get_or(
        ("events", _roles(viewer)),
        lambda: bookable_published_in(viewer, period.starts_at, period.ends_at),
    )
    return _capped([asdict(line) for line in lines_for(viewer, found)])


def content_for(
    subscriber: Subscriber,
    period: Period,
    memo: Memo | None = None,
    subscriptions: list[Subscription] | None = None,
    viewer: Viewer | None = None,
) -> DigestContent:
    """One subscriber's digest; share one ``memo`` across a run's subscribers, and pass
    their ``subscriptions`` and ``viewer`` when read for a whole batch
    (:func:`subscriptions_by_subscriber`, :func:`viewers_of`)."""
    memo = Memo() if memo is None else memo
    if viewer is None:
        viewer = viewer_for_user(subscriber.user) if subscriber.user_id else ANONYMOUS
    follows = follows_of(subscriber, period.frequency, memo, subscriptions)
    return DigestContent(
        period=period,
        follows=list(follows.described),
        alerts=_alerts(viewer, follows, period, memo),
        publications=_publications(follows, period, memo),
        ballots=_ballots(viewer, follows, period, memo),
        events=_events(viewer, period, memo),
    )
