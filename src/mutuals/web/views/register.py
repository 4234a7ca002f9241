"""The member register journey of a provider: read it, upload it, download it, and record a
constitution or a staff vote.

The register names people, so only the provider's managers and auditors read it (MATRIX kind
"register"), and only the provider's managers change it. Everything goes through the
register services, which keep history and write the audit trail.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from mutuals.accounts.permissions import allowed_in, viewer_for
from mutuals.errors import FileUnreadable
from mutuals.governance import control, summary
from mutuals.governance.forms import ConstitutionForm, RegisterUploadForm, StaffVoteForm
from mutuals.governance.models.register import (
    BoardSeat,
    Constitution,
    Holding,
    Person,
    StaffVoteRecord,
)
from mutuals.governance.register.exporting import COLUMNS, register_csv
from mutuals.governance.register.importing import TABLES, RegisterRejected, import_register
from mutuals.governance.register.records import record_constitution, record_staff_vote
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.web.access import provider_for
from mutuals.web.components import paginate, pagination
from mutuals.web.kept import kept
from mutuals.web.uploads import PROBLEMS_SHOWN, TOO_LARGE, refuse_if_too_large, saved


def _crumbs(organisation: Organisation, *, register: bool = False) -> list[tuple[str, str]]:
    crumbs = [
        ("Home", reverse("home")),
        ("Organisations", reverse("organisations")),
        (organisation.name, organisation.get_absolute_url()),
    ]
    if register:
        crumbs.append(("Member register", reverse("register", args=[organisation.pk])))
    return crumbs


def register_page(request, pk: int):
    organisation = provider_for(request, pk, "view", "register")
    today = timezone.localdate()
    people = Person.objects.filter(organisation=organisation).select_related("user")
    page = paginate(request, people.order_by("name", "reference"))
    holdings = (
        Holding.objects.filter(person__organisation=organisation, valid_until__isnull=True)
        .select_related("person", "share_class")
        .order_by("share_class__name", "-shares", "person__name")
    )
    assessment = control.assess(organisation, today)
    return render(
        request,
        "mutuals/register/page.html",
        {
            "organisation": organisation,
            "today": today,
            "page": page,
            "pagination": pagination(request, page),
            "people_count": page.paginator.count,
            "holdings": holdings[:200],
            "holding_count": holdings.count(),
            "seats": BoardSeat.objects.filter(organisation=organisation).select_related("person"),
            "constitutions": Constitution.objects.filter(organisation=organisation),
            "votes": StaffVoteRecord.objects.filter(organisation=organisation),
            "staff_control": _section(assessment, today, may_see_register=False),
            "may_change": allowed_in(viewer_for(request), "change", "register", organisation.pk),
            "tables": TABLES,
            "breadcrumbs": _crumbs(organisation),
        },
    )


def _section(result, day, *, may_see_register: bool) -> dict:
    return {
        "result": result,
        "day": day,
        "rows": summary.summary_rows(result),
        "flags": summary.flag_lines(result),
        "not_enough": summary.NOT_ENOUGH,
        "may_see_register": may_see_register,
    }


def staff_control_section(organisation: Organisation, viewer) -> dict | None:
    """The provider page's Staff control section: a summary anyone who may see the
    organisation may read; the link to the register only for those who may see names."""
    if organisation.kind != OrganisationKind.PROVIDER:
        return None
    today = timezone.localdate()
    # Read from watched tables only, so kept until one of them changes.
    assessment = kept(
        "staff-control", (organisation.pk,), lambda: control.assess(organisation, today)
    )
    return _section(
        assessment,
        today,
        may_see_register=allowed_in(viewer, "view", "register", organisation.pk),
    )


def register_download(request, pk: int, table: str):
    organisation = provider_for(request, pk, "view", "register")
    if table not in COLUMNS:
        raise Http404("No such table")
    response = HttpResponse(register_csv(organisation, table), content_type="text/csv")
    name = f"register-{organisation.pk}-{table}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def register_upload(request, pk: int):
    organisation = provider_for(request, pk, "change", "register")
    posted = request.method == "POST"
    form = RegisterUploadForm(request.POST if posted else None, request.FILES if posted else None)
    context = {
        "organisation": organisation,
        "form": form,
        "breadcrumbs": _crumbs(organisation, register=True),
    }
    if posted and refuse_if_too_large(request, form, None):
        return render(request, "mutuals/register/upload.html", context, status=TOO_LARGE)
    if not (posted and form.is_valid()):
        return render(
            request, "mutuals/register/upload.html", context, status=400 if posted else 200
        )
    try:
        report = _import(organisation, form.cleaned_data, request.user)
    except RegisterRejected as rejected:
        problems = rejected.problems
        context.update(
            problems=[(f"#id_{rejected.table}", str(p)) for p in problems[:PROBLEMS_SHOWN]],
            more_problems=max(0, len(problems) - PROBLEMS_SHOWN),
            rejected=rejected,
        )
        return render(request, "mutuals/register/upload.html", context, status=400)
    except FileUnreadable as error:
        form.add_error(None, f"A file could not be read: {error}")
        return render(request, "mutuals/register/upload.html", context, status=400)
    context["report"] = report
    return render(request, "mutuals/register/upload_done.html", context)


def _import(organisation: Organisation, files: dict, user):
    with saved({table: files.get(table) for table in TABLES}) as paths:
        return import_register(organisation, user=user, **paths)


def constitution_new(request, pk: int):
    organisation = provider_for(request, pk, "change", "register")
    form = ConstitutionForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        record_constitution(organisation, form.facts(), user=request.user)
        return redirect(reverse("register", args=[organisation.pk]) + "#constitution-heading")
    return _form_page(
        request, organisation, form, "Record the constitution", "register-constitution"
    )


def staff_vote_new(request, pk: int):
    organisation = provider_for(request, pk, "change", "register")
    form = StaffVoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record_staff_vote(organisation, form.vote(), user=request.user)
        return redirect(reverse("register", args=[organisation.pk]) + "#votes-heading")
    return _form_page(request, organisation, form, "Record a staff vote", "register-staff-vote")


def _form_page(request, organisation, form, heading: str, url_name: str):
    return render(
        request,
        "mutuals/register/record_form.html",
        {
            "organisation": organisation,
            "form": form,
            "heading": heading,
            "action": reverse(url_name, args=[organisation.pk]),
            "first_field_id": next(iter(form)).id_for_label,
            "breadcrumbs": _crumbs(organisation, register=True),
        },
        status=400 if form.errors else 200,
    )
