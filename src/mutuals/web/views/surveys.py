"""Running a staff survey from the web: a provider's managers create one, issue its
single-use links, add responses gathered elsewhere, close it and publish its results.

Every step calls :mod:`mutuals.engagement.surveys` (or the response importer), which
records it in the audit trail. Issued links are answered as a CSV download in the
response to the request that made them: the database keeps only their digests, so that
file is the one copy, and it is never cached.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import allowed_in, viewer_for, visible
from mutuals.engagement import surveys
from mutuals.engagement.errors import InvalidSurvey, SurveyError
from mutuals.engagement.importing import import_responses
from mutuals.engagement.models import Survey, SurveyStatus
from mutuals.errors import FileUnreadable, ImportRejected
from mutuals.registry.models import Organisation
from mutuals.web.access import posted, provider_for
from mutuals.web.survey_forms import (
    CloseForm,
    LinksForm,
    ResponsesForm,
    SurveyForm,
    survey_defaults,
)
from mutuals.web.uploads import (
    TOO_LARGE,
    problems_context,
    refuse_if_too_large,
    saved_as_named,
)
from mutuals.web.views.engagement import results_page as survey_page


def _survey_to_change(request, pk: int) -> Survey:
    """The survey, if the viewer may run it (404 if they may not see it at all)."""
    viewer = viewer_for(request)
    survey = get_object_or_404(visible(viewer, "survey").select_related("organisation"), pk=pk)
    if not allowed_in(viewer, "change", "survey", survey.organisation_id):
        raise PermissionDenied
    return survey


def _crumbs(organisation: Organisation, *, survey: Survey | None = None) -> list:
    crumbs = [
        ("Home", reverse("home")),
        ("Organisations", reverse("organisations")),
        (organisation.name, organisation.get_absolute_url()),
        ("Staff surveys", reverse("surveys", args=[organisation.pk])),
    ]
    if survey is not None:
        crumbs.append((survey.title, survey.get_absolute_url()))
    return crumbs


def survey_list(request, pk: int):
    organisation = provider_for(request, pk, "view", "survey")
    listed = Survey.objects.filter(organisation=organisation).order_by("-year")
    return render(
        request,
        "mutuals/surveys/list.html",
        {
            "organisation": organisation,
            "surveys": list(listed),
            "may_create": allowed_in(viewer_for(request), "create", "survey", organisation.pk),
            "breadcrumbs": _crumbs(organisation)[:-1],
        },
    )


def survey_new(request, pk: int):
    organisation = provider_for(request, pk, "view", "survey")
    if not allowed_in(viewer_for(request), "create", "survey", organisation.pk):
        raise PermissionDenied
    form = SurveyForm(posted(request), initial=survey_defaults())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = surveys.create_survey(
                organisation,
                year=data["year"],
                title=data["title"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                group_question=data["group_question"],
                group_choices=form.choices(),
                user=request.user,
            )
        except InvalidSurvey as invalid:
            form.add_error(None, str(invalid))
        else:
            messages.success(
                request,
                f"Survey created. Groups of fewer than {survey.min_group_size} respondents "
                "will never be shown. Next, issue its links.",
            )
            return redirect(survey)
    return render(
        request,
        "mutuals/surveys/new.html",
        {"organisation": organisation, "form": form, "breadcrumbs": _crumbs(organisation)},
        status=400 if form.errors else 200,
    )


@never_cache
def issue_links(request, pk: int):
    survey = _survey_to_change(request, pk)
    if request.method != "POST" and survey.status != SurveyStatus.OPEN:
        return redirect(survey)  # nothing to do here: the survey page says it is closed
    form = LinksForm(posted(request))
    problem = _not_open(survey)
    if request.method == "POST" and form.is_valid() and not problem:
        try:
            links = surveys.issue_links(survey, **form.request(), user=request.user)
        except SurveyError as error:
            problem = str(error)
        else:
            if links:
                return _links_download(request, survey, links)
            problem = (
                "Everyone on the register employed on that date has been sent a link "
                "already, or nobody is: no links were issued."
            )
    return render(
        request,
        "mutuals/surveys/links.html",
        {
            "survey": survey,
            "form": form,
            "link_start": _base_url(request) + "/survey/",
            "problems": [(_problem_anchor(form), problem)] if problem else [],
            "breadcrumbs": _crumbs(survey.organisation, survey=survey),
        },
        status=400 if form.errors or problem else 200,
    )


def _problem_anchor(form: LinksForm) -> str:
    """Where on the links page a problem with the request points: the field it came from."""
    chosen = form.cleaned_data.get("recipients") if form.is_bound and form.is_valid() else None
    return {LinksForm.REGISTER: "#id_register_on-day", LinksForm.COUNT: "#id_count"}.get(
        chosen, "#main-content"
    )


def _links_download(request, survey: Survey, links) -> HttpResponse:
    buffer = io.StringIO()
    surveys.write_links(links, buffer, _base_url(request))
    # With a byte order mark, so spreadsheet programs read names with accents correctly.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"survey-{survey.pk}-links-{len(links)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _base_url(request) -> str:
    """The site's address as the manager reaches it: links are for the same site (the
    PUBLIC_BASE_URL setting is for email, sent with no request to go by)."""
    return request.build_absolute_uri("/").rstrip("/")


def _not_open(survey: Survey) -> str:
    if survey.status != SurveyStatus.OPEN:
        return "This survey is closed: nothing more can be added to it."
    return ""


def add_responses(request, pk: int):
    survey = _survey_to_change(request, pk)
    submitted = request.method == "POST"
    if not submitted and survey.status != SurveyStatus.OPEN:
        return redirect(survey)
    form = ResponsesForm(posted(request), request.FILES if submitted else None)
    problem = _not_open(survey)
    context = {
        "survey": survey,
        "form": form,
        "breadcrumbs": _crumbs(survey.organisation, survey=survey),
    }
    if submitted and not problem and refuse_if_too_large(request, form, "responses_file"):
        return render(request, "mutuals/surveys/responses.html", context, status=TOO_LARGE)
    if submitted and form.is_valid() and not problem:
        try:
            report = _import(survey, form.cleaned_data["responses_file"], request.user)
        except ImportRejected as rejected:
            context.update(problems_context(rejected.problems, rejected.rows, "id_responses_file"))
            return render(request, "mutuals/surveys/responses.html", context, status=400)
        except FileUnreadable as error:
            form.add_error("responses_file", f"The file could not be read: {error}")
        except SurveyError as error:
            problem = str(error)
        else:
            messages.success(
                request, f"{report.imported:,} responses added from {report.rows:,} rows."
            )
            return redirect(survey)
    if problem:
        context["problems"] = [("#id_responses_file", problem)]
    status = 400 if form.errors or problem else 200
    return render(request, "mutuals/surveys/responses.html", context, status=status)


def _import(survey: Survey, upload, user):
    with saved_as_named(upload) as path:
        return import_responses(survey, path, user=user)


def close(request, pk: int):
    survey = _survey_to_change(request, pk)
    if request.method != "POST" and survey.status != SurveyStatus.OPEN:
        return redirect(survey)
    form = CloseForm(posted(request))
    problem = _not_open(survey)
    if request.method == "POST" and form.is_valid() and not problem:
        survey = surveys.close_survey(
            survey, publish=form.cleaned_data["publish"], user=request.user
        )
        published = " and its results are published" if survey.results_published else ""
        messages.success(request, f"The survey is closed{published}.")
        return redirect(survey)
    return render(
        request,
        "mutuals/surveys/close.html",
        {
            "survey": survey,
            "form": form,
            "unused": survey.links.filter(used=False).count(),
            "problems": [("#id_publish", problem)] if problem else [],
            "breadcrumbs": _crumbs(survey.organisation, survey=survey),
        },
        status=409 if problem else 400 if form.errors else 200,
    )


@require_POST
def publish(request, pk: int):
    survey = _survey_to_change(request, pk)
    try:
        surveys.publish_results(survey, user=request.user)
    except SurveyError as error:
        return survey_page(request, pk, problem=str(error), status=409)
    messages.success(request, "The results are published.")
    return redirect(survey)
