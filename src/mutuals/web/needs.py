"""What needs each person, for the top of their home page.

Every list is fetched through the permission scoping functions (:func:`visible` and the
viewer's own organisations), so nobody is told of something they may not open. Each role
gets a few short groups of links, each one click from what it asks for:

- staff: ballots open to them that they have not voted in, and open surveys of their
  provider that they have not answered (nor been sent a link to), each linking to where
  they vote or answer;
- a provider's managers: its returns calendar, ballots and surveys to run, and recent
  comments on its published material;
- commissioners: their contracts failing any of the six audit tests, their providers at high
  risk (with the reasons) and alerts opened lately on those providers;
- auditors: evaluation runs finished lately, drafts waiting to be published and withdrawn
  material.

Each group costs one or two queries; none reads returns except the managers' calendar (one
organisation's current returns, by index) and the commissioners' risk (their own providers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from mutuals.accounts.permissions import Viewer, visible
from mutuals.contracts.audit import audit_contracts
from mutuals.contracts.models import ContractStatus
from mutuals.engagement.answering import staff_entries
from mutuals.engagement.models import SurveyStatus
from mutuals.evaluation.models import Alert, EvaluationRun, RunStatus
from mutuals.evaluation.risk import assessed_providers, portfolio_risk
from mutuals.governance.models import BallotStatus, Elector
from mutuals.publishing.models import Comment, CommentStatus, ItemStatus
from mutuals.web.returns_calendar import ReturnsCalendar, portfolio_as_of, returns_calendar

RECENT = timedelta(days=30)
SHOWN = 10  # links in a group; a group with more says how many and links to the rest
CALENDARS_SHOWN = 3


@dataclass(frozen=True)
class Need:
    text: str
    href: str
    detail: str = ""


@dataclass(frozen=True)
class NeedGroup:
    heading: str
    needs: tuple[Need, ...]
    total: int = 0  # how many there are in all, when more than are shown
    more_href: str = ""
    more_text: str = ""

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.needs))


@dataclass(frozen=True)
class Needs:
    groups: tuple[NeedGroup, ...] = ()
    calendars: tuple[ReturnsCalendar, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(group.needs for group in self.groups) and not self.calendars

    @property
    def nonempty_groups(self) -> tuple[NeedGroup, ...]:
        return tuple(group for group in self.groups if group.needs)


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y}"


# --- staff --------------------------------------------------------------------------------


def ballots_to_vote_in(viewer: Viewer, user) -> NeedGroup:
    now = timezone.now()
    unvoted = Elector.objects.filter(person__user=user, has_voted=False).values("ballot_id")
    ballots = (
        visible(viewer, "ballot", "vote")
        .filter(pk__in=unvoted, status=BallotStatus.OPEN, opens_at__lte=now, closes_at__gt=now)
        .select_related("organisation")
        .order_by("closes_at", "pk")
    )
    return NeedGroup(
        "Ballots open to you",
        tuple(
            Need(
                f"Vote: {ballot.question}",
                reverse("ballot-vote", args=[ballot.pk]),
                f"{ballot.organisation.name}. Voting closes {_when(ballot.closes_at)}.",
            )
            for ballot in ballots[:SHOWN]
        ),
    )


def surveys_to_answer(viewer: Viewer, user) -> NeedGroup:
    """Open surveys of the providers whose staff register has the user on it today, that
    they have neither answered signed in nor been sent a link to: each links to the page
    where they answer it."""
    today = timezone.localdate()
    staff_of = viewer.holding("provider_staff") | viewer.holding("provider_manager")
    on_register = staff_entries(user, today).values("organisation_id")
    surveys = (
        visible(viewer, "survey")
        .filter(
            organisation__in=staff_of,
            status=SurveyStatus.OPEN,
            opens_on__lte=today,
            closes_on__gte=today,
        )
        .filter(organisation__in=on_register)
        .exclude(invitations__person__user=user)
        .select_related("organisation")
        .order_by("closes_on", "pk")
    )
    return NeedGroup(
        "Staff surveys to answer",
        tuple(
            Need(
                f"Answer the survey: {survey.title}",
                reverse("survey-answer-signed-in", args=[survey.pk]),
                f"{survey.organisation.name}. Open until {survey.closes_on:%-d %B %Y}. Your "
                "answers are anonymous.",
            )
            for survey in surveys[:SHOWN]
        ),
    )


# --- a provider's managers --------------------------------------------------------------------


def ballots_to_run(viewer: Viewer) -> NeedGroup:
    steps = {
        BallotStatus.DRAFT: "freeze its electorate",
        BallotStatus.FROZEN: "open it for voting",
        BallotStatus.OPEN: "close it when voting ends",
        BallotStatus.CLOSED: "count the votes and publish the result",
    }
    ballots = (
        visible(viewer, "ballot", "change")
        .filter(status__in=list(steps))
        .select_related("organisation")
        .order_by("closes_at", "pk")
    )
    return NeedGroup(
        "Ballots to run",
        tuple(
            Need(
                f"Manage the ballot: {ballot.question}",
                reverse("ballot-manage", args=[ballot.pk]),
                f"{ballot.organisation.name}. {ballot.get_status_display()}. Next, "
                f"{steps[ballot.status]}.",
            )
            for ballot in ballots[:SHOWN]
        ),
    )


def surveys_to_run(viewer: Viewer) -> NeedGroup:
    surveys = (
        visible(viewer, "survey", "change")
        .exclude(status=SurveyStatus.CLOSED, results_published=True)
        .select_related("organisation")
        .order_by("closes_on", "pk")
    )
    needs = []
    for survey in surveys[:SHOWN]:
        if survey.status == SurveyStatus.OPEN:
            detail = (
                f"Open until {survey.closes_on:%-d %B %Y}: issue links, add responses or close it."
            )
        else:
            detail = "Closed: publish its results when you are ready."
        needs.append(
            Need(
                f"Run the survey: {survey.title}",
                survey.get_absolute_url(),
                f"{survey.organisation.name}. {detail}",
            )
        )
    return NeedGroup("Staff surveys to run", tuple(needs))


def comments_on_material(viewer: Viewer) -> NeedGroup:
    own = viewer.holding("provider_manager")
    items = visible(viewer, "publication").filter(organisation__in=own)
    comments = (
        Comment.objects.filter(
            item__in=items,
            status=CommentStatus.VISIBLE,
            created_at__gte=timezone.now() - RECENT,
        )
        .select_related("item")
        .order_by("-created_at", "-pk")
    )
    shown = list(comments[:SHOWN])
    return NeedGroup(
        "Comments on your published material in the last 30 days",
        tuple(
            Need(
                f"Comment on {comment.item.title}",
                f"{comment.item.get_absolute_url()}#comment-{comment.pk}",
                f"Written {_when(comment.created_at)}.",
            )
            for comment in shown
        ),
    )


def calendars(viewer: Viewer) -> tuple[ReturnsCalendar, ...]:
    """The returns calendars of the organisations the viewer manages and may submit for."""
    own = visible(viewer, "organisation").filter(pk__in=viewer.holding("provider_manager"))
    managed = list(own.order_by("name")[:CALENDARS_SHOWN])
    if not managed:
        return ()
    as_of = portfolio_as_of()
    return tuple(returns_calendar(organisation, as_of) for organisation in managed)


# --- commissioners -------------------------------------------------------------------------------


def failing_contracts(viewer: Viewer) -> NeedGroup:
    ours = visible(viewer, "contract").filter(pk__in=viewer.commissioned_contract_ids)
    live = ours.filter(status__in=[ContractStatus.DRAFT, ContractStatus.ACTIVE])
    failing = [audit for audit in audit_contracts(live) if audit.failures]
    commissioners = sorted(viewer.holding("commissioner"))
    more_href = reverse("contracts") + "?audit=failing"
    if len(commissioners) == 1:
        more_href += f"&commissioner={commissioners[0]}"
    return NeedGroup(
        "Your contracts failing an audit test",
        tuple(
            Need(
                f"{audit.reference}: {audit.title}",
                reverse("contract", args=[audit.contract_id]),
                "Fails: " + ", ".join(test.label.lower() for test in audit.failures) + ".",
            )
            for audit in failing[:SHOWN]
        ),
        total=len(failing),
        more_href=more_href,
        more_text="See all your contracts that fail a test",
    )


def providers_at_high_risk(viewer: Viewer) -> NeedGroup:
    ours = viewer.commissioned_provider_ids
    if not ours:
        return NeedGroup("Your providers at high risk", ())
    as_of = portfolio_as_of()
    providers = visible(viewer, "organisation", queryset=assessed_providers(as_of)).filter(
        pk__in=ours
    )
    high = portfolio_risk(as_of, providers=providers).high
    return NeedGroup(
        f"Your providers at high risk of failing (returns to {as_of:%-d %B %Y})",
        tuple(
            Need(
                assessment.organisation.name,
                reverse("scorecard", args=[assessment.organisation.id]),
                " ".join(factor.sentence for factor in assessment.reasons) or assessment.summary,
            )
            for assessment in high[:SHOWN]
        ),
        total=len(high),
        more_href=reverse("portfolio"),
        more_text="See every provider's risk on the portfolio",
    )


def new_alerts(viewer: Viewer) -> NeedGroup:
    ours = viewer.commissioned_provider_ids
    alerts = (
        Alert.objects.filter(
            organisation_id__in=ours,
            is_open=True,
            detected_at__gte=timezone.now() - RECENT,
        )
        .select_related("organisation", "metric")
        .order_by("-detected_at", "-pk")
    )
    shown = list(alerts[:SHOWN]) if ours else []
    return NeedGroup(
        "New alerts on your providers in the last 30 days",
        tuple(
            Need(
                f"{alert.organisation.name}: {alert.metric.name}",
                reverse("organisation", args=[alert.organisation_id]) + "#open-alerts-heading",
                f"{alert.get_kind_display()} in {alert.period}.",
            )
            for alert in shown
        ),
    )


# --- auditors -------------------------------------------------------------------------------------


def finished_runs() -> NeedGroup:
    runs = EvaluationRun.objects.filter(
        status__in=[RunStatus.DONE, RunStatus.FAILED],
        finished_at__gte=timezone.now() - RECENT,
    ).order_by("-finished_at", "-pk")
    return NeedGroup(
        "Evaluation runs finished in the last 30 days",
        tuple(
            Need(
                f"Evaluation run {run.pk}",
                run.get_absolute_url(),
                f"{run.get_status_display()} {_when(run.finished_at)}.",
            )
            for run in runs[:SHOWN]
        ),
    )


def publications(viewer: Viewer, status: str, heading: str, words: str) -> NeedGroup:
    items = visible(viewer, "publication").filter(status=status).order_by("-created_at", "-pk")
    return NeedGroup(
        heading,
        tuple(
            Need(item.title, item.get_absolute_url(), words.format(item=item))
            for item in items[:SHOWN]
        ),
    )


# --- everyone ---------------------------------------------------------------------------------------


def needs_for(viewer: Viewer, user) -> Needs:
    """The groups for every role the viewer holds, staff first, auditors last."""
    if viewer.is_public:
        return Needs()
    groups: list[NeedGroup] = []
    staff = viewer.holding("provider_staff") | viewer.holding("provider_manager")
    if staff:
        groups += [ballots_to_vote_in(viewer, user), surveys_to_answer(viewer, user)]
    if viewer.holding("provider_manager"):
        groups += [ballots_to_run(viewer), surveys_to_run(viewer), comments_on_material(viewer)]
    if viewer.holding("commissioner"):
        groups += [
            failing_contracts(viewer),
            providers_at_high_risk(viewer),
            new_alerts(viewer),
        ]
    if viewer.is_auditor:
        groups += [
            finished_runs(),
            publications(
                viewer,
                ItemStatus.DRAFT,
                "Drafts waiting to be published",
                "Draft: check it and publish it.",
            ),
            publications(
                viewer, ItemStatus.WITHDRAWN, "Withdrawn material", "Withdrawn: readers see why."
            ),
        ]
    return Needs(groups=tuple(groups), calendars=calendars(viewer))
