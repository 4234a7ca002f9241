"""Staff engagement journeys: answering a survey, reading its results, downloading scores,
and the engagement → quality link across the portfolio.

Answering needs no sign-in: the single-use link is the only credential, and the page
stores nothing that ties the answers to it. Staff on the register who sign in can answer
without a link, once (see :mod:`mutuals.engagement.answering`). Every result shown or
downloaded comes through :func:`mutuals.engagement.results.survey_results`, which
suppresses small groups.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from mutuals import charts
from mutuals.accounts.permissions import Viewer, allowed_in, may, viewer_for, visible
from mutuals.engagement import link as quality_link
from mutuals.engagement import queries
from mutuals.engagement.answering import (
    open_link,
    open_to_signed_in,
    submit,
    submit_signed_in,
)
from mutuals.engagement.errors import (
    AlreadyAsked,
    InvalidAnswers,
    LinkUnknown,
    LinkUsed,
    NotOnRegister,
    SurveyNotOpen,
)
from mutuals.engagement.forms import AnswerForm
from mutuals.engagement.models import Survey
from mutuals.engagement.results import results_table, survey_results
from mutuals.engine.engagement import CAVEAT
from mutuals.registry.models import Organisation
from mutuals.web.params import cleaned, id_field
from mutuals.web.views.open_data import FORMATS, frame_download

# --- answering ------------------------------------------------------------------------------


@never_cache
def answer(request, token: str):
    try:
        link = open_link(token)
    except (LinkUnknown, LinkUsed, SurveyNotOpen) as error:
        return _refused(request, error)
    survey = link.survey
    ask_group = bool(survey.group_question) and not link.group
    data = request.POST if request.method == "POST" else None
    form = AnswerForm(data, survey=survey, ask_group=ask_group)
    if request.method == "POST" and form.is_valid():
        try:
            submit(token, form.answers(), form.group() if ask_group else "")
        except (LinkUnknown, LinkUsed, SurveyNotOpen, InvalidAnswers) as error:
            return _refused(request, error)
        return render(request, "mutuals/engagement/thanks.html", {"survey": survey})
    return render(
        request,
        "mutuals/engagement/answer.html",
        {
            "survey": survey,
            "form": form,
            "action": reverse("survey-answer", args=[token]),
            "ask_group": ask_group,
        },
        status=400 if form.errors else 200,
    )


@never_cache
def answer_signed_in(request, pk: int):
    """The same questions for a member of staff on the register who signs in instead of
    using a link: the page their home links to. Answering records that they were asked."""
    if not request.user.is_authenticated:
        raise PermissionDenied  # sent to sign in, and back here
    survey = get_object_or_404(visible(viewer_for(request), "survey"), pk=pk)
    try:
        open_to_signed_in(survey, request.user)
    except (NotOnRegister, AlreadyAsked, SurveyNotOpen) as error:
        return _refused(request, error, signed_in=True)
    ask_group = bool(survey.group_question)
    data = request.POST if request.method == "POST" else None
    form = AnswerForm(data, survey=survey, ask_group=ask_group)
    if request.method == "POST" and form.is_valid():
        try:
            submit_signed_in(survey.pk, request.user, form.answers(), form.group())
        except (NotOnRegister, AlreadyAsked, SurveyNotOpen, InvalidAnswers) as error:
            return _refused(request, error, signed_in=True)
        return render(
            request, "mutuals/engagement/thanks.html", {"survey": survey, "signed_in": True}
        )
    return render(
        request,
        "mutuals/engagement/answer.html",
        {
            "survey": survey,
            "form": form,
            "action": reverse("survey-answer-signed-in", args=[survey.pk]),
            "ask_group": ask_group,
            "signed_in": True,
        },
        status=400 if form.errors else 200,
    )


REFUSALS = {
    LinkUnknown: ("This survey link is not recognised", 404),
    LinkUsed: ("This survey link has already been used", 410),
    SurveyNotOpen: ("This survey is not taking answers", 410),
    InvalidAnswers: ("Your answers could not be saved", 400),
    NotOnRegister: ("You cannot answer this survey here", 403),
    AlreadyAsked: ("You cannot answer this survey again", 409),
}


def _refused(request, error: Exception, *, signed_in: bool = False):
    heading, status = REFUSALS[type(error)]
    return render(
        request,
        "mutuals/engagement/refused.html",
        {"heading": heading, "message": str(error), "signed_in": signed_in},
        status=status,
    )


# --- results --------------------------------------------------------------------------------


def organisation_section(viewer: Viewer, organisation: Organisation) -> dict | None:
    """The provider page's Staff engagement section, or None when there is nothing to show."""
    results = queries.visible_results(viewer, organisation_id=organisation.pk)
    running = list(
        queries.visible_surveys(viewer).filter(organisation=organisation).order_by("-year")
    )
    if not results and not running:
        return None
    return {"results": results, "surveys": running}


def results_page(request, pk: int, *, problem: str = "", status: int = 200):
    """A survey's results (closed, and the viewer may see them) and, for those who run
    it, how many links were issued and used, and the next steps."""
    viewer = viewer_for(request)
    survey = Survey.objects.select_related("organisation").filter(pk=pk).first()
    running = queries.visible_surveys(viewer).filter(pk=pk).exists()
    results_visible = visible(viewer, "result").filter(pk=pk).exists()
    if survey is None or not (running or results_visible):
        raise Http404("No such survey")
    organisation = survey.organisation
    return render(
        request,
        "mutuals/engagement/results.html",
        {
            "survey": survey,
            "result": survey_results([survey])[0] if results_visible else None,
            "progress": _progress(survey) if running else None,
            "may_run": running and allowed_in(viewer, "change", "survey", organisation.pk),
            "problems": [("#survey-actions", problem)] if problem else [],
            "breadcrumbs": [
                ("Home", reverse("home")),
                ("Organisations", reverse("organisations")),
                (organisation.name, organisation.get_absolute_url()),
                ("Staff surveys", reverse("surveys", args=[organisation.pk])),
            ]
            if running
            else [
                ("Home", reverse("home")),
                (organisation.name, organisation.get_absolute_url()),
            ],
        },
        status=status,
    )


def _progress(survey) -> dict:
    links = survey.links.all()
    return {
        "links": links.count(),
        "answered_by_link": links.filter(used=True).count(),
        "responses": survey.responses.count(),
    }


class ResultsFilter(forms.Form):
    organisation = id_field("organisation", required=False)


def results_download(request, format_: str):
    """Every score the viewer may see, as CSV or Parquet (``?organisation=ID`` for one)."""
    if format_ not in FORMATS:
        raise Http404("No such format")
    chosen = cleaned(ResultsFilter(request.GET))["organisation"]
    results = queries.visible_results(viewer_for(request), organisation_id=chosen)
    return frame_download(results_table(results), format_, "staff-engagement")


# --- the portfolio link ---------------------------------------------------------------------


def link_page(request):
    viewer = viewer_for(request)
    if not may(viewer, "view", "evaluation"):
        raise PermissionDenied
    metrics = list(quality_link.quality_metrics())
    code = request.GET.get("metric", "")
    metric = next((m for m in metrics if m.code == code), None)
    scores = quality_link.scores_for(viewer)  # read and scored once for both steps
    if metric is None:
        metric = quality_link.default_metric(viewer=viewer, metrics=metrics, scores=scores)
    found = (
        quality_link.estimate(metric, viewer=viewer, scores=scores) if metric is not None else None
    )
    chart = found.chart() if found is not None else None
    return render(
        request,
        "mutuals/engagement/link.html",
        {
            "metrics": metrics,
            "metric": metric,
            "link": found,
            "chart": mark_safe(charts.responsive(chart)) if chart else None,
            "caveat": CAVEAT,
            "breadcrumbs": [("Home", reverse("home")), ("Portfolio", reverse("portfolio"))],
        },
    )
