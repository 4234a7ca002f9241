"""The ballot journeys: a provider's ballots; a manager creates, freezes, opens and closes
one; a member of staff votes, gets a receipt, and later finds their vote in the result.

Every step calls :mod:`mutuals.governance.ballots`; a :class:`BallotError` is shown on the
page it came from. Casting writes nothing to the session and no message, so the voter's
session row does not change when they vote; the receipt is rendered in the response to the
vote itself (never stored, never cached) rather than after a redirect.

Every response of the voting journey, and every form it posts, is the same size whatever
the choice: a proxy's access log records response sizes, and anyone watching the connection
sees the length of its encrypted records, so a page a byte longer for one option would tell
who voted for what. The options' values are their ids zero-padded to one width, and the
check page pads the chosen option's text to the longest option's. Compressing these
responses would undo that, so they ask proxies not to (``Cache-Control: no-transform``) and
nothing in the project compresses them.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.html import conditional_escape
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import allowed_in, viewer_for, visible
from mutuals.governance import ballots
from mutuals.governance.ballots.casting import check_open, not_in_electorate
from mutuals.governance.ballots.published import PublishedLog
from mutuals.governance.ballots.published import problems as published_problems
from mutuals.governance.ballots.tally import turnout_by_ballot
from mutuals.governance.models import Ballot, BallotEvent, BallotStatus
from mutuals.registry.models import Organisation
from mutuals.web.access import posted, provider_for
from mutuals.web.ballot_forms import BallotForm, ReceiptForm, VoteForm, default_times
from mutuals.web.components import paginate, pagination

MANAGER_STEPS = {
    "freeze": ballots.freeze,
    "open": ballots.open_ballot,
    "close": lambda pk, user: ballots.tally(ballots.close_ballot(pk, user=user).pk, user=user),
    "tally": ballots.tally,
}
STEP_DONE = {
    "freeze": "The electorate is frozen",
    "open": "Voting is open",
    "close": "Voting is closed and the result is published",
    "tally": "The result is published",
}
# Where on the form each of the service's problems with a draft is shown.
FORM_FIELDS = {
    "question": "question",
    "options": "options",
    "subject": "subject",
    "for_option": "for_option",
    "against_option": "against_option",
    "electorate_date": "electorate_date",
    "opens_at": "opens_on",
    "closes_at": "closes_on",
}


def _ballot(request, pk: int) -> Ballot:
    """The ballot, if the viewer may see it (404 otherwise, saying nothing of it)."""
    return get_object_or_404(
        visible(viewer_for(request), "ballot").select_related("organisation"), pk=pk
    )


def _crumbs(organisation: Organisation, *, ballot: Ballot | None = None) -> list:
    crumbs = [
        ("Home", reverse("home")),
        ("Organisations", reverse("organisations")),
        (organisation.name, organisation.get_absolute_url()),
        ("Ballots", reverse("ballots", args=[organisation.pk])),
    ]
    if ballot is not None:
        crumbs.append((ballot.question, ballot.get_absolute_url()))
    return crumbs


def ballot_list(request, pk: int):
    organisation = provider_for(request, pk, "view", "ballot")
    listed = list(Ballot.objects.filter(organisation=organisation).order_by("-opens_at", "-pk"))
    voted = turnout_by_ballot([ballot.pk for ballot in listed])
    for ballot in listed:
        ballot.voted = voted.get(ballot.pk, 0)
    return render(
        request,
        "mutuals/ballots/list.html",
        {
            "organisation": organisation,
            "ballots": listed,
            "may_create": allowed_in(viewer_for(request), "create", "ballot", organisation.pk),
            "breadcrumbs": _crumbs(organisation)[:-1],
        },
    )


def ballot_new(request, pk: int):
    organisation = provider_for(request, pk, "view", "ballot")
    if not allowed_in(viewer_for(request), "create", "ballot", organisation.pk):
        raise PermissionDenied
    form = BallotForm(posted(request), initial=default_times())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = ballots.BallotDraft(
            organisation=organisation,
            question=data["question"],
            options=form.option_labels(),
            electorate_date=data["electorate_date"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            subject=data["subject"],
            members_only=data["members_only"] == "yes",
            for_option=data["for_option"],
            against_option=data["against_option"],
        )
        try:
            ballot = ballots.create_ballot(draft, user=request.user)
        except ballots.BallotInvalid as invalid:
            for field, reason in invalid.problems.items():
                form.add_error(FORM_FIELDS.get(field), reason)
        else:
            return redirect(ballot)
    return render(
        request,
        "mutuals/ballots/new.html",
        {"organisation": organisation, "form": form, "breadcrumbs": _crumbs(organisation)},
        status=400 if form.errors else 200,
    )


def ballot_detail(request, pk: int, *, problem: str = "", status: int = 200):
    ballot = _ballot(request, pk)
    viewer = viewer_for(request)
    organisation = ballot.organisation
    may_manage = allowed_in(viewer, "change", "ballot", organisation.pk)
    voted = ballots.has_voted(ballot, request.user)
    events = BallotEvent.objects.filter(ballot=ballot)
    return render(
        request,
        "mutuals/ballots/detail.html",
        {
            "ballot": ballot,
            "organisation": organisation,
            "options": list(ballot.options.all()),
            "may_manage": may_manage,
            "next_step": _next_step(ballot) if may_manage else None,
            "is_elector": voted is not None,
            "has_voted": bool(voted),
            "may_vote": voted is False and ballot.status == BallotStatus.OPEN,
            "events": events.exclude(kind="cast").order_by("sequence"),
            "casts": events.filter(kind="cast").count(),
            "log_head": ballots.chain.head(ballot),
            "problems": [("#ballot-actions", problem)] if problem else [],
            "breadcrumbs": _crumbs(organisation),
        },
        status=status,
    )


def _next_step(ballot: Ballot) -> tuple[str, str] | None:
    return {
        BallotStatus.DRAFT: ("freeze", "Freeze the electorate"),
        BallotStatus.FROZEN: ("open", "Open voting now"),
        BallotStatus.OPEN: ("close", "Close voting and publish the result"),
        BallotStatus.CLOSED: ("tally", "Publish the result"),
    }.get(BallotStatus(ballot.status))


@require_POST
def ballot_manage(request, pk: int):
    ballot = _ballot(request, pk)
    if not allowed_in(viewer_for(request), "change", "ballot", ballot.organisation_id):
        raise PermissionDenied
    step = request.POST.get("step", "")
    if step not in MANAGER_STEPS:
        raise Http404("no such step")
    try:
        MANAGER_STEPS[step](ballot.pk, user=request.user)
    except ballots.BallotError as error:
        return ballot_detail(request, pk, problem=str(error), status=409)
    messages.success(request, STEP_DONE[step])
    return redirect(ballot)


class SameWidthVoteForm(VoteForm):
    """The vote form with every option's value its id zero-padded to the width of the
    longest, so the form a browser posts is the same length whatever the choice (an id
    posted without the padding is still accepted)."""

    def __init__(self, data=None, *, ballot: Ballot):
        super().__init__(data, ballot=ballot)
        field = self.fields["choice"]
        self.width = max(len(str(value)) for value, _ in field.choices)
        field.choices = [(self.value_of(value), label) for value, label in field.choices]
        chosen = data.get("choice", "") if data is not None else ""
        if chosen.isdigit():
            self.data = data.copy()
            self.data["choice"] = self.value_of(int(chosen))

    def value_of(self, option_id: int) -> str:
        return f"{option_id:0{self.width}d}"


def _filler(chosen: str, labels: list[str]) -> str:
    """Spaces that bring the chosen option's text, as the page sends it (escaped, in
    UTF-8), to the length of the longest option's."""

    def size(label: str) -> int:
        return len(conditional_escape(label).encode())

    return " " * (max(map(size, labels)) - size(chosen))


def _untransformed(view):
    """Ask proxies not to compress or otherwise rewrite the response (``no-transform``):
    compression would make its size depend on its content again."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, no_transform=True)
        return response

    return wrapped


@_untransformed
@never_cache
def ballot_vote(request, pk: int):
    """Choose (GET, or POST without ``confirm``), check (POST), cast (POST with ``confirm``).
    Every response is the same size whatever the choice (see the module's docstring)."""
    ballot = _ballot(request, pk)
    if not allowed_in(viewer_for(request), "vote", "ballot", ballot.organisation_id):
        raise PermissionDenied
    form = SameWidthVoteForm(posted(request), ballot=ballot)
    context = {
        "ballot": ballot,
        "form": form,
        "breadcrumbs": _crumbs(ballot.organisation, ballot=ballot),
    }
    if request.method != "POST" or not form.is_valid():
        problem = _cannot_vote(ballot, request.user)
        context["problems"] = [("#main-content", problem)] if problem else []
        return render(
            request, "mutuals/ballots/vote.html", context, status=400 if form.errors else 200
        )
    choice = form.cleaned_data["choice"]
    context["choice"] = ballot.options.get(pk=choice)
    context["choice_value"] = form.value_of(choice)
    context["filler"] = _filler(
        context["choice"].label, [label for _, label in form.fields["choice"].choices]
    )
    if request.POST.get("confirm") != "yes":
        return render(request, "mutuals/ballots/vote_check.html", context)
    try:
        receipt = ballots.cast_vote(ballot.pk, request.user, choice)
    except ballots.BallotError as error:
        context["problems"] = [("#main-content", str(error))]
        return render(request, "mutuals/ballots/vote.html", context, status=409)
    context["receipt"] = receipt
    return render(request, "mutuals/ballots/receipt.html", context)


def _cannot_vote(ballot: Ballot, user) -> str:
    """Why this person cannot vote now, in words; empty if they can."""
    try:
        check_open(ballot, timezone.now())
    except ballots.BallotError as error:
        return str(error)
    voted = ballots.has_voted(ballot, user)
    if voted is None:
        return str(not_in_electorate(ballot))
    if voted:
        return "You have already voted in this ballot. Keep your receipt code to find your vote in the result."
    return ""


class LogCheckForm(forms.Form):
    """A copy of a published result's log, to hold the ballot's log to."""

    log_entries = forms.IntegerField(
        label="Log entries at the tally",
        required=False,
        min_value=1,
        help_text="As your copy of the result gives them, such as 42. Leave blank if it "
        "gives only the log head",
        error_messages={
            "invalid": "Enter the number of log entries as a whole number, such as 42",
            "min_value": "Enter the number of log entries as a whole number, such as 42",
        },
    )
    log_head = forms.RegexField(
        label="Log head at the tally",
        regex=r"^[0-9a-fA-F]{64}\Z",
        strip=True,
        help_text="The 64 letters and digits your copy of the result gives",
        error_messages={
            "required": "Enter the log head from your copy of the result",
            "invalid": "Enter the log head as the 64 letters and digits (0 to 9, a to f) "
            "your copy of the result gives",
        },
    )

    def published(self) -> PublishedLog:
        return PublishedLog(
            head=self.cleaned_data["log_head"].lower(), entries=self.cleaned_data["log_entries"]
        )


def ballot_result(request, pk: int):
    """The published result; given a copy of one (``log_head``, ``log_entries``), also
    whether the log still reaches it, which works even once the result is gone."""
    ballot = _ballot(request, pk)
    found = ballots.result(ballot)
    check = LogCheckForm(request.GET if "log_head" in request.GET else None)
    if found is None and not check.is_bound:
        raise Http404("no result yet")
    page = paginate(request, ballots.published_receipts(ballot), per_page=100)
    return render(
        request,
        "mutuals/ballots/result.html",
        {
            "ballot": ballot,
            "result": found,
            "in_words": ballots.in_words(ballot, found) if found else "",
            "page": page,
            "pagination": pagination(request, page),
            "check": check,
            "check_problems": _log_check(ballot, check),
            "breadcrumbs": _crumbs(ballot.organisation, ballot=ballot),
        },
        status=400 if check.errors else 200,
    )


def _log_check(ballot: Ballot, check: LogCheckForm) -> list[str] | None:
    """How the log falls short of the copy given; None if none was given (or it was not a
    copy of a result at all)."""
    if not check.is_bound or not check.is_valid():
        return None
    events = BallotEvent.objects.filter(ballot=ballot).only("sequence", "kind", "entry_hash")
    return published_problems(list(events.order_by("sequence")), check.published())


@never_cache
def receipt_lookup(request, pk: int):
    """Posted, not a query string, so receipt codes stay out of addresses and server logs."""
    ballot = _ballot(request, pk)
    form = ReceiptForm(posted(request))
    found = None
    if form.is_bound and form.is_valid():
        try:
            found = ballots.find_receipt(ballot, form.cleaned_data["code"])
        except ballots.ReceiptNotFound as error:
            form.add_error("code", str(error))
    return render(
        request,
        "mutuals/ballots/lookup.html",
        {
            "ballot": ballot,
            "form": form,
            "found": found,
            "breadcrumbs": _crumbs(ballot.organisation, ballot=ballot),
        },
        status=400 if form.errors else 200,
    )
