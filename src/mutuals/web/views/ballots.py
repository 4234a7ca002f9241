"""The ballot journeys: a provider's ballots; a manager creates, freezes, opens and closes
one; a member of staff votes, gets a receipt, and later finds their vote in the result.

Every step calls :mod:`mutuals.governance.ballots`; a :class:`BallotError` is shown on the
page it came from. Casting writes nothing to the session and no message, so the voter's
session row does not change when they vote; the receipt is rendered in the response to the
vote itself (never stored, never cached) rather than after a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import allowed_in, viewer_for, visible
from mutuals.governance import ballots
from mutuals.governance.ballots.casting import check_open, not_in_electorate
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
FORM_FIELDS = {
    "question",
    "options",
    "subject",
    "for_option",
    "against_option",
    "electorate_date",
    "opens_at",
    "closes_at",
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
                form.add_error(field if field in FORM_FIELDS else None, reason)
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


@never_cache
def ballot_vote(request, pk: int):
    """Choose (GET, or POST without ``confirm``), check (POST), cast (POST with ``confirm``)."""
    ballot = _ballot(request, pk)
    if not allowed_in(viewer_for(request), "vote", "ballot", ballot.organisation_id):
        raise PermissionDenied
    form = VoteForm(posted(request), ballot=ballot)
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


def ballot_result(request, pk: int):
    ballot = _ballot(request, pk)
    found = ballots.result(ballot)
    if found is None:
        raise Http404("no result yet")
    page = paginate(request, ballots.published_receipts(ballot), per_page=100)
    return render(
        request,
        "mutuals/ballots/result.html",
        {
            "ballot": ballot,
            "result": found,
            "page": page,
            "pagination": pagination(request, page),
            "breadcrumbs": _crumbs(ballot.organisation, ballot=ballot),
        },
    )


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
