"""The commissioner's and auditor's workbench: the portfolio dashboard, a provider's
scorecard, and their reports as HTML or PDF downloads (a PDF is made by a worker, and
waited for on a page of its own: :mod:`mutuals.publishing.live_reports`).

The portfolio spans every provider, so it follows the evaluation rule (auditors and
commissioners). A scorecard shows a provider's returns, so it follows the returns rule:
auditors, the provider's commissioners and its managers. Each page and its report share
one set of figures (:mod:`mutuals.reports.content`); the impact figures come from the
latest finished evaluation run of everything, when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from mutuals import charts, reports
from mutuals.accounts.permissions import Viewer, allowed_in, may, viewer_for
from mutuals.evaluation.monitoring import MIN_POINTS, RULE_TEXT, SeriesSpc
from mutuals.publishing import live_reports
from mutuals.publishing import services as publishing
from mutuals.publishing.models import Item, ItemKind, ReportJob, ReportKind
from mutuals.registry.models import Organisation
from mutuals.reports import figures as report_figures
from mutuals.reports import findings as portfolio_text
from mutuals.reports import impact, tables
from mutuals.reports import provider as provider_text
from mutuals.reports.content import gather_provider
from mutuals.reports.sentences import risk_sentence, savings_sentence
from mutuals.returns.coverage import AsOfError, QuarterReturns, ReturnsCoverage, returns_coverage
from mutuals.web.access import provider_for
from mutuals.web.kept import fragments
from mutuals.web.portfolio_cache import portfolio_figures


def _portfolio_viewer(request) -> Viewer:
    viewer = viewer_for(request)
    if not may(viewer, "view", "evaluation"):
        raise PermissionDenied
    return viewer


def _publishing(viewer: Viewer, kind: str, organisation: Organisation | None = None) -> dict:
    """What the page's publishing panel shows: the item this page is published as, if it
    ever was prepared, and whether the viewer may prepare and publish it."""
    organisation_id = organisation.pk if organisation else None
    return {
        "kind": kind,
        "provider": organisation_id,
        "item": Item.objects.filter(key=publishing.item_key(kind, organisation, None)).first(),
        "may_publish": publishing.may_publish(viewer, kind, organisation_id),
    }


def _inline(svg: str) -> SafeString:
    return mark_safe(charts.responsive(svg))  # our own charts: no script, no style


# --- the portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AsOfChoice:
    """The quarter a person asked to see the portfolio as of (``?as_of=2018-Q4``): none
    for the default, and what is wrong with the request when it cannot be met."""

    text: str
    quarter: QuarterReturns | None
    problem: str

    def as_of(self, coverage: ReturnsCoverage) -> date | None:
        """The date to measure to; None for the default."""
        return coverage.as_of_for(self.quarter) if self.quarter else None

    @property
    def query(self) -> str:
        """The query string that keeps the choice on the report downloads."""
        return "?" + urlencode({"as_of": self.quarter.label}) if self.quarter else ""


def _as_of_choice(request, coverage: ReturnsCoverage) -> AsOfChoice:
    text = request.GET.get("as_of", "").strip()
    if not text:
        return AsOfChoice("", None, "")
    try:
        return AsOfChoice(text, coverage.choose(text), "")
    except AsOfError as error:
        return AsOfChoice(text, None, str(error))


def _as_of_options(coverage: ReturnsCoverage, choice: AsOfChoice) -> list[dict]:
    """The quarters with returns, latest first, each saying how complete it is."""
    selected = choice.quarter or coverage.default
    options = []
    for quarter in reversed(coverage.quarters):
        text = f"{quarter.label}, to {coverage.as_of_for(quarter):%-d %B %Y}"
        if quarter == coverage.default and quarter.complete:
            text += " (the default: latest substantially complete)"
        elif quarter == coverage.default:
            text += " (the default)"
        elif not quarter.complete:
            text += " (returns not substantially complete)"
        options.append({"value": quarter.label, "text": text, "selected": quarter == selected})
    return options


def portfolio(request):
    viewer = _portfolio_viewer(request)
    coverage = returns_coverage()
    choice = _as_of_choice(request, coverage)
    run = reports.latest_full_run()
    body = fragments(
        "portfolio",
        (viewer.signature, choice.text, run.pk if run else 0),
        "mutuals/workbench/portfolio_body.html",
        lambda: _portfolio_body(viewer, coverage, choice, run),
    )
    return render(
        request,
        "mutuals/workbench/portfolio.html",
        {
            "body": body,
            "problems": [("#as_of", choice.problem)] if choice.problem else [],
            "publishing": _publishing(viewer, ItemKind.PORTFOLIO),
            "breadcrumbs": [("Home", reverse("home"))],
        },
        status=400 if choice.problem else 200,
    )


def _portfolio_body(viewer: Viewer, coverage: ReturnsCoverage, choice: AsOfChoice, run) -> dict:
    """What the dashboard shows, for everyone with the viewer's roles."""
    figures, staff_control = portfolio_figures(run, choice.as_of(coverage), coverage)
    totals = figures.savings.totals
    savings_chart = None
    if totals.contracts:
        path = report_figures.savings_path(
            figures.savings.contracts, totals.price_year, figures.savings.options
        )
        savings_chart = report_figures.savings_figure(
            "figure-savings",
            "Actual cost against the in-house counterfactual",
            path,
            totals.price_year,
            figures.savings.options,
        )
    return {
        "figures": figures,
        "findings": portfolio_text.findings(figures),
        "audit_programmes": tables.audit_groups(
            "audit-programmes",
            "Share of annual contract value passing each test (contracts passing), by programme",
            (*figures.audit.by_programme, figures.audit.total),
            "Programme",
        ),
        "audit_commissioners": tables.audit_groups(
            "audit-commissioners",
            "Share of annual contract value passing each test (contracts passing), by commissioner",
            figures.audit.by_commissioner,
            "Commissioner",
        ),
        "savings_totals": portfolio_text.savings_totals(figures),
        "savings_finding": portfolio_text.savings_finding(figures),
        "singles_sentence": portfolio_text.singles_sentence(list(figures.provider_results))
        if figures.provider_results
        else "",
        "risk_finding": portfolio_text.risk_finding(figures),
        "savings_chart": savings_chart,
        "savings_svg": _inline(savings_chart.svg) if savings_chart else None,
        # A provider's risk reasons come from its returns, which are not published:
        # name only the providers whose returns the viewer may see, and count the rest.
        "high_risk": [
            {"assessment": a, "sentence": risk_sentence(a), "scorecard": True}
            for a in figures.risk.high
            if allowed_in(viewer, "view", "observation", a.organisation.id)
        ],
        "high_risk_unnamed": sum(
            not allowed_in(viewer, "view", "observation", a.organisation.id)
            for a in figures.risk.high
        ),
        "may_download": may(viewer, "view", "observation"),
        "multiplicity_sentence": impact.multiplicity_sentence(
            figures.run.multiplicity if figures.run else None
        ),
        "grade_scale": impact.GRADE_SCALE,
        "report_pdf_url": reverse("portfolio-report-pdf") + choice.query,
        "report_html_url": reverse("portfolio-report-html") + choice.query,
        "as_of_options": _as_of_options(coverage, choice),
        "as_of_problem": choice.problem,
        "problems": [("#as_of", choice.problem)] if choice.problem else [],
        "staff_control": staff_control,
    }


def _portfolio_report_viewer(request) -> Viewer:
    """The whole-portfolio report names providers and their returns: for those who may see
    every provider's returns (auditors)."""
    viewer = _portfolio_viewer(request)
    if not may(viewer, "view", "observation"):
        raise PermissionDenied
    return viewer


def portfolio_report(request, format_: str):
    """The portfolio report: its HTML made here (the figures take a second or two to
    gather; the HTML, milliseconds), its PDF queued for a worker, with a page to wait on."""
    _portfolio_report_viewer(request)
    as_of = None
    if request.GET.get("as_of", "").strip():
        coverage = returns_coverage()
        choice = _as_of_choice(request, coverage)
        if choice.problem:  # the portfolio page names the problem beside the choice
            return redirect(reverse("portfolio") + "?" + urlencode({"as_of": choice.text}))
        as_of = choice.as_of(coverage)
    run = reports.latest_full_run()
    if format_ == "pdf":
        job = live_reports.ask(ReportKind.PORTFOLIO, as_of=as_of, run=run, user=request.user)
        return redirect("report-job", job.pk)
    return reports.attachment(reports.build_portfolio(run, as_of=as_of), format_)


# --- one provider ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpcRow:
    series: SeriesSpc
    variation_icon: SafeString
    assurance_icon: SafeString


def _spc_rows(series: tuple[SeriesSpc, ...]) -> list[SpcRow]:
    return [
        SpcRow(
            s,
            mark_safe(charts.variation_icon(s.variation, side=s.last.side, decorative=True)),
            mark_safe(charts.assurance_icon(s.assurance, decorative=True)),
        )
        for s in series
    ]


def scorecard(request, pk: int):
    organisation = provider_for(request, pk, "view", "observation")
    run = reports.latest_full_run()
    # Everyone who may see a provider's returns sees the same scorecard.
    body = fragments(
        "scorecard",
        (organisation.pk, run.pk if run else 0),
        "mutuals/workbench/scorecard_body.html",
        lambda: _scorecard_body(organisation, run),
    )
    return render(
        request,
        "mutuals/workbench/scorecard.html",
        {
            "organisation": organisation,
            "body": body,
            "publishing": _publishing(viewer_for(request), ItemKind.SCORECARD, organisation),
            "breadcrumbs": [
                ("Home", reverse("home")),
                ("Organisations", reverse("organisations")),
                (organisation.name, organisation.get_absolute_url()),
            ],
        },
    )


def _scorecard_body(organisation: Organisation, run) -> dict:
    figures = gather_provider(organisation, run)
    options = figures.savings.options
    savings = []
    for row in figures.savings.contracts:
        figure = report_figures.contract_savings_figure(row, options)
        savings.append(
            {
                "row": row,
                "sentence": savings_sentence(row),
                "figure": figure,
                "svg": _inline(figure.svg),
            }
        )
    for alert in figures.alerts:
        alert.rule_text = RULE_TEXT.get(alert.rule, alert.rule)
    return {
        "organisation": organisation,
        "figures": figures,
        "grade_scale": impact.GRADE_SCALE,
        "placebo_test": impact.PLACEBO_TEST,
        "findings": provider_text.findings(figures),
        "risk_sentence": risk_sentence(figures.risk),
        "savings": savings,
        "spc_rows": _spc_rows(figures.spc),
        "min_points": MIN_POINTS,
    }


def scorecard_report(request, pk: int, format_: str):
    """A provider's scorecard report, for those who may see its returns: the HTML made
    here, the PDF queued for a worker, with a page to wait on."""
    organisation = provider_for(request, pk, "view", "observation")
    if format_ not in reports.CONTENT_TYPES:
        raise Http404("No such format")
    run = reports.latest_full_run()
    if format_ == "pdf":
        job = live_reports.ask(
            ReportKind.SCORECARD, organisation=organisation, run=run, user=request.user
        )
        return redirect("report-job", job.pk)
    return reports.attachment(reports.build_provider(organisation, run), format_)


# --- a report's PDF, made by a worker ---------------------------------------------------------


def _job_for(request, job_id) -> ReportJob:
    """The job, if the person may see its report now: the report's own rule applies to
    each look (403, or 404 for a provider they may not see); 404 for no such job, or one
    no longer kept."""
    job = live_reports.find(job_id)
    if job is None:
        raise Http404("No such report")
    if job.kind == ReportKind.PORTFOLIO:
        _portfolio_report_viewer(request)
    else:
        provider_for(request, job.organisation_id, "view", "observation")
    return job


def _job_crumbs(job: ReportJob) -> list[tuple[str, str]]:
    if job.kind == ReportKind.PORTFOLIO:
        return [("Home", reverse("home")), ("Portfolio", reverse("portfolio"))]
    organisation = job.organisation
    return [
        ("Home", reverse("home")),
        ("Organisations", reverse("organisations")),
        (organisation.name, organisation.get_absolute_url()),
        ("Scorecard", reverse("scorecard", args=[organisation.pk])),
    ]


def report_job(request, job_id):
    """A report's PDF being made: its progress, then the link to download it."""
    job = _job_for(request, job_id)
    subject = (
        "The portfolio report"
        if job.kind == ReportKind.PORTFOLIO
        else f"Scorecard: {job.organisation.name}"
    )
    response = render(
        request,
        "mutuals/reports/job.html",
        {
            "job": job,
            "subject": subject,
            "back": _job_crumbs(job)[-1],
            "kept_hours": int(live_reports.KEEP.total_seconds() // 3600),
            "breadcrumbs": _job_crumbs(job),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def report_job_progress(request, job_id):
    """The job's status as JSON, for the page's progress script."""
    job = _job_for(request, job_id)
    response = JsonResponse(
        {
            "status": job.status,
            "status_text": job.get_status_display(),
            "step": job.step,
            "percent": job.percent,
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def report_job_download(request, job_id):
    """The PDF, once made; until then, the page that waits for it. Its figures depend on
    who may see them, so it is never kept on the way (``private, no-store``)."""
    job = _job_for(request, job_id)
    pdf = live_reports.pdf_of(job)
    if pdf is None:
        return redirect("report-job", job.pk)
    return reports.download(pdf, "pdf", job.filename)
