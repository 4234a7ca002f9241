"""The value-for-money reports on the small demo world (seed 2011): every figure reconciles
with an independent recomputation (the audit from the contracts' fields, savings through the
engine on inputs rebuilt from the returns, impact estimates against the stored results and a
direct difference-in-differences, risk counts against the risk service), the PDF opens with
its contents, page numbers, sections and charts, and ``mutuals report`` behaves.

The world is loaded once for the module, monitored, and reported on by the command, which
finds no evaluation run and runs one first; everything is removed afterwards.
"""

from __future__ import annotations

import io
import re
from collections import Counter

import html5lib
import numpy as np
import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutuals import charts, reports
from mutuals.contracts.models import Contract
from mutuals.contracts.savings import portfolio_savings
from mutuals.demo.load import load_world, wipe
from mutuals.demo.world import build_world
from mutuals.evaluation.models import Alert, EvaluationResult, EvaluationRun, RunStatus
from mutuals.evaluation.monitoring import run_monitoring
from mutuals.evaluation.risk import assessed_providers, portfolio_risk
from mutuals.registry.models import Organisation, OrganisationKind, Programme, Service
from mutuals.reports import impact
from mutuals.reports.content import returns_as_of
from mutuals.reports.document import Bullets, Terms
from mutuals.reports.formatting import against_in_house, amount, money, p_value
from mutuals.returns.models import Metric
from mutuals.returns.periods import quarter_index

from . import recompute

SECTIONS = (
    "Summary",
    "Did commissioners set out what they wanted?",
    "Savings against the counterfactual",
    "Impact on services",
    "Risk of provider failure",
    "Performance monitoring",
    "Appendix: methods",
    "Appendix: data sources",
    "Appendix: objectives audit by commissioner",
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The small world, monitored, with the portfolio PDF the command made (running the
    evaluation itself, since none has been run)."""
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path_factory.mktemp("reports") / "portfolio.pdf"
    with django_db_blocker.unblock():
        load_world(build_world("small", seed=2011))
        run_monitoring()
        call_command("report", "portfolio", "--out", str(path), stdout=out, stderr=err)
        run = EvaluationRun.objects.get()
    yield {"run": run, "pdf": path.read_bytes(), "stdout": out.getvalue(), "stderr": err.getvalue()}
    with django_db_blocker.unblock():
        EvaluationRun.objects.all().delete()
        Alert.objects.all().delete()
        wipe()
        Metric.objects.all().delete()
        Programme.objects.all().delete()
        Service.objects.all().delete()


@pytest.fixture(scope="module")
def portfolio(demo, django_db_blocker):
    with django_db_blocker.unblock():
        return reports.build_portfolio(demo["run"])


@pytest.fixture(scope="module")
def provider(demo, django_db_blocker):
    """An integrated-care mutual: savings measured and its own synthetic control."""
    with django_db_blocker.unblock():
        organisation = (
            Organisation.objects.filter(
                programmemembership__programme__code="integrated-care",
                kind=OrganisationKind.PROVIDER,
                evaluationresult__run=demo["run"],
            )
            .distinct()
            .order_by("name")
            .first()
        )
        return organisation, reports.build_provider(organisation, demo["run"])


def _first(section, kind):
    return next(b for b in section.blocks if isinstance(b, kind))


# --- the command ---------------------------------------------------------------------------


def test_the_command_ran_an_evaluation_first_and_said_so(demo):
    assert "No finished evaluation run covers every programme and metric" in demo["stderr"]
    assert f"Evaluation run {demo['run'].pk} finished." in demo["stderr"]
    assert demo["run"].status == RunStatus.DONE and len(demo["run"].fingerprint) == 64
    assert demo["stdout"].startswith("Wrote ") and demo["pdf"].startswith(b"%PDF-")


@pytest.mark.django_db
def test_the_command_writes_html_for_a_named_run_and_provider(demo, provider, tmp_path):
    organisation, _ = provider
    path = tmp_path / "scorecard.html"
    err = io.StringIO()
    call_command(
        "report", "provider", str(organisation.pk), "--format", "html", "--out", str(path),
        "--run", str(demo["run"].pk), stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    html = path.read_text()
    assert err.getvalue() == ""  # the run was named: nothing to evaluate
    assert f"{organisation.name}: scorecard" in html and f"Evaluation run {demo['run'].pk}" in html


@pytest.mark.django_db
def test_the_command_names_what_is_wrong(demo):
    commissioner = Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER).first()
    queued = EvaluationRun.objects.create(status=RunStatus.QUEUED)
    cases = [
        (("portfolio", "--run", "999999"), "There is no evaluation run 999999"),
        (("portfolio", "--run", str(queued.pk)), f"Evaluation run {queued.pk} is queued"),
        (("provider",), "Name the provider"),
        (("provider", "nonsense"), "No organisation has the id, ODS code or company number"),
        (("provider", str(commissioner.pk)), "scorecards are for spin-out providers"),
        (("portfolio", "12"), "A portfolio report takes no organisation"),
        (("portfolio", "--as-of", "31/12/2019"), "is not a date: use YYYY-MM-DD"),
    ]
    for arguments, message in cases:
        with pytest.raises(CommandError, match=re.escape(message)):
            call_command("report", *arguments, "--format", "html", stdout=io.StringIO())


# --- every figure reconciles -----------------------------------------------------------------


def _check_audit_table(table, groups):
    for record in table.records():
        key = record[table.columns[0].label].value
        contracts = groups[key]
        assert record["Contracts"].value == len(contracts)
        assert record["Annual value"].value == sum(c.annual_value for c in contracts)
        assert record["Annual value"].text == money(sum(c.annual_value for c in contracts))
        expected = recompute.shares(contracts)
        for column, code in zip(table.columns[3:], recompute.TESTS, strict=True):
            cell = record[column.label]
            share, passed = expected[code]
            assert cell.value[1] == passed, (key, code)
            assert cell.value[0] == pytest.approx(share, rel=1e-12), (key, code)
            assert cell.text == f"{share:.0%} ({passed})"


@pytest.mark.django_db
def test_the_audit_reconciles_with_the_contracts(portfolio):
    groups = recompute.audit_groups()
    table = portfolio.table("audit-programmes")
    _check_audit_table(table, {**groups["programme"], **groups["total"]})
    assert [c.value for c in table.rows[-1]][:2] == ["all", Contract.objects.count()]
    commissioners = portfolio.table("audit-commissioners-table")
    _check_audit_table(commissioners, groups["commissioner"])
    assert len(commissioners.rows) == len(groups["commissioner"])


@pytest.mark.django_db
def test_savings_reconcile_with_the_engine_on_inputs_from_the_returns(portfolio):
    as_of = returns_as_of()
    table = portfolio.table("savings-contracts")
    assert table.rows, "the demo world has contracts whose savings can be measured"
    totals = Counter()
    for record in table.records():
        contract = Contract.objects.select_related("baseline").get(
            reference=record["Contract"].value
        )
        _, result = recompute.contract_savings(contract, as_of)
        central, low, high = (result.totals.row(i, named=True) for i in range(3))
        assert record["Counterfactual cost"].value == pytest.approx(central["counterfactual_real"])
        assert record["Actual cost"].value == pytest.approx(central["actual_real"])
        saved = record["Against the counterfactual"]
        assert saved.value == pytest.approx(result.total_savings)
        assert saved.text == against_in_house(result.total_savings)
        assert "−" not in saved.text, "a saving is said without a double negative"
        band = record["With in-house efficiency of 2% to 6%"].value
        assert band == pytest.approx((high["savings_real"], low["savings_real"]))
        assert record["Requirement"].value == result.requirement_status
        totals["saving"] += result.total_savings
        totals["present"] += result.present_value
    terms = dict(_first(portfolio.section("savings"), Terms).items)
    saved = portfolio_savings(as_of=as_of)
    assert len(table.rows) == saved.totals.contracts
    assert saved.totals.savings_real == pytest.approx(totals["saving"])
    assert terms["Present value (Green Book discounting)"] == against_in_house(totals["present"])
    assert terms["Cost against the counterfactual"].startswith(against_in_house(totals["saving"]))


@pytest.mark.django_db
def test_impact_figures_are_the_stored_results_and_the_engine_s(demo, portfolio):
    table = portfolio.table("impact-cohorts")
    stored = {
        (r.programme.code, r.cohort, r.metric.code): r
        for r in EvaluationResult.objects.filter(run=demo["run"], method="did").select_related(
            "programme", "metric"
        )
    }
    assert len(table.rows) == len(stored) > 0
    for record in table.records():
        key = (record["Programme"].value, record["Cohort"].value, record["Metric"].value)
        result = stored[key]
        assert record["Effect"].value == result.att
        assert record["Effect"].text == amount(result.att, result.metric.unit, sign=True)
        evidence = record["What the evidence says"]
        assert evidence.value == result.verdict
        assert impact.reading_of(result) in evidence.text
        if result.verdict == "too_early":
            assert evidence.text.startswith(f"Too early to assess until {result.assessable_from}")
        if result.verdict not in impact.DECIDED:
            assert result.reason in evidence.text, "the row says why it reached no verdict"
        assert record["Grade"].value == result.grade
    # the engine itself, on the programme's panel, for every cohort of one metric
    cohorts = sorted(c for p, c, m in stored if (p, m) == ("right-to-request", "sickness-absence"))
    direct = recompute.did_for("right-to-request", "sickness-absence", cohorts)
    for record in table.records():
        if record["Metric"].value != "sickness-absence":
            continue
        g = quarter_index(record["Cohort"].value)
        row = direct.group.filter(direct.group["g"] == g).row(0, named=True)
        assert record["Effect"].value == pytest.approx(row["att"], rel=1e-9)
        result = stored[("right-to-request", record["Cohort"].value, "sickness-absence")]
        assert result.se == pytest.approx(row["se"], rel=1e-9)


@pytest.mark.django_db
def test_single_provider_results_are_the_stored_ones(demo, portfolio):
    table = portfolio.table("impact-providers")
    stored = EvaluationResult.objects.filter(run=demo["run"], method="synth")
    assert len(table.rows) == stored.count() > 0
    by_key = {(r.organisation_id, r.metric.code): r for r in stored.select_related("metric")}
    for record in table.records():
        result = by_key[(record["Provider"].value, record["Metric"].value)]
        assert record["Effect"].value == result.att
        assert record["What the evidence says"].value == result.verdict
        if result.p_value is not None:
            assert f"placebo p = {p_value(result.p_value)}" in record["What the evidence says"].text


@pytest.mark.django_db
def test_risk_counts_are_the_risk_service_s(portfolio):
    as_of = returns_as_of()
    risk = portfolio_risk(as_of)
    table = portfolio.table("risk-counts")
    shown = {record["Rating"].value: record["Providers"].value for record in table.records()}
    assert shown == risk.counts
    assert sum(shown.values()) == assessed_providers(as_of).count()
    headings = [b.text for b in portfolio.section("risk").subheadings()]
    assert headings == [a.organisation.name for a in risk.high]


@pytest.mark.django_db
def test_the_findings_quote_the_figures(demo, portfolio):
    findings = _first(portfolio.section("summary"), Bullets).items
    total_value = sum(c.annual_value for c in Contract.objects.all())
    assert f"{Contract.objects.count()} contracts worth {money(total_value)} a year" in findings[0]
    run = demo["run"]
    dids = EvaluationResult.objects.filter(run=run, method="did").count()
    assert f"Evaluation run {run.pk} looked at {dids} cohort effects" in findings[2]
    assert f"the {run.multiplicity['tests']} tests it made" in findings[2]
    counts = portfolio_risk(returns_as_of()).counts
    assert f"{counts['high']} of " in findings[3] and f"{counts['medium']} at medium" in findings[3]
    assert f"{Alert.objects.filter(is_open=True).count()} open alerts" in findings[4]


@pytest.mark.django_db
def test_the_provider_report_holds_its_own_figures(demo, provider):
    organisation, report = provider
    own = EvaluationResult.objects.filter(run=demo["run"], organisation=organisation)
    table = report.table("impact-providers")
    assert sorted(r["Effect"].value for r in table.records()) == sorted(r.att for r in own)
    tables = [t for t in report.tables() if t.id.startswith("savings-years-")]
    assert tables
    for years in tables:
        contract = Contract.objects.get(pk=int(years.id.rsplit("-", 1)[1]))
        _, result = recompute.contract_savings(contract, returns_as_of())
        savings = [r["Against the counterfactual"].value for r in years.records()]
        assert savings == pytest.approx(result.by_year["savings_real"].to_list())
    factors = report.table(f"risk-{organisation.pk}")
    assert [r["Factor"].value for r in factors.records()] == [
        "income_concentration", "cash_days", "operating_margin", "expiry_cliff", "spc_concerns",
    ]  # fmt: skip
    assert [s.title for s in report.sections][:6] == [
        "Summary", "Contracts and the objectives audit", "Savings against the counterfactual",
        "Impact on services", "Risk of failure", "Performance monitoring",
    ]  # fmt: skip


# --- HTML and PDF ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_html_is_one_valid_self_contained_document(portfolio):
    html = reports.render_html(portfolio)
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    assert len(document.findall(".//h1")) == 1
    ids = Counter(e.get("id") for e in document.iter() if e.get("id"))
    assert [i for i, n in ids.items() if n > 1] == []
    assert document.findall(".//script") == [] and document.findall(".//link") == []
    assert not re.search(r'(?:src|href)="(?!#)', html), "only links within the report"
    assert "crown" not in html.lower() and "Transport" not in html
    assert "All organisations and figures in this report are synthetic demo data" in html
    assert html.count("<svg") == len(portfolio.figures()) >= 3


def _pages(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_the_pdf_has_contents_page_numbers_and_every_section(demo):
    pages = _pages(demo["pdf"])
    assert len(pages) >= 12
    contents = next(i for i, text in enumerate(pages) if text.startswith("Contents"))
    for title in SECTIONS:
        listed = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", pages[contents], re.M)
        assert listed, f"{title} missing from the contents"
        page = int(listed[1])
        assert pages[page - 1].startswith(title), f"{title} is not on page {page}"
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {len(pages)}" in text
    everything = "\n".join(pages)
    for words in ("Key findings", "Conclusion on value for money", "Evaluation run",
                  "Data fingerprint", demo["run"].fingerprint[:32], "Cannot be assessed"):  # fmt: skip
        assert words in everything, words
    assert not re.search(r"\d[eE][+-]\d", everything), "no scientific notation in the PDF"
    flowing = " ".join(everything.split())  # the PDF's text, lines rejoined
    assert re.search(r"(rose|fell) by [\d.,]+ percentage points compared with", flowing)


def test_long_tables_repeat_their_header_on_every_page(demo):
    pages = [" ".join(text.split()) for text in _pages(demo["pdf"])]
    cohort_pages = [t for t in pages if re.search(r"\d{4}-Q\d \(\d+\)", t)]
    assert len(cohort_pages) >= 2, "the cohort table spans pages"
    assert all("What the evidence says" in t for t in cohort_pages)


def test_the_pdf_uses_server_fonts_only(demo):
    document = pdfium.PdfDocument(demo["pdf"])
    fonts = set()
    for i in range(len(document)):
        for obj in document[i].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_TEXT], max_depth=5):
            font = pdfium.raw.FPDFTextObj_GetFont(obj.raw)
            size = pdfium.raw.FPDFFont_GetBaseFontName(font, None, 0)
            buffer = (pdfium.raw.ctypes.c_char * size)()
            pdfium.raw.FPDFFont_GetBaseFontName(font, buffer, size)
            fonts.add(buffer.value.decode().split("+")[-1])
    assert fonts and all(f.startswith(("Liberation", "DejaVu")) for f in fonts), fonts


def _colour_pixels(image: np.ndarray, colour: str, tolerance: int = 30) -> int:
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image.astype(int) - rgb).max(axis=2) <= tolerance).sum())


def test_the_charts_render_in_the_pdf(demo):
    document = pdfium.PdfDocument(demo["pdf"])
    found = {}
    for i in range(len(document)):
        text = document[i].get_textpage().get_text_range()
        for kind, words in (
            ("savings", "Actual cost against the in-house counterfactual"),
            ("event", "cohort: effect on"),
            ("spc", "statistical process control chart"),
        ):
            if kind not in found and re.search(r"Figure \d+: .*" + re.escape(words), text):
                image = np.asarray(document[i].render(scale=1.5).to_pil().convert("RGB"))
                found[kind] = image
    assert set(found) == {"savings", "event", "spc"}
    for kind, image in found.items():
        ink = (image.min(axis=2) < 200).mean()
        assert ink > 0.01, f"the {kind} chart's page is nearly blank"
    assert _colour_pixels(found["savings"], charts.BLUE) > 200  # the counterfactual line
    assert _colour_pixels(found["savings"], charts.LIGHT_BLUE, 40) > 200  # its band
    assert _colour_pixels(found["event"], charts.BLUE) > 200  # effects after spin-out
    assert _colour_pixels(found["event"], charts.DARK_GREY) > 50  # effects before
    assert _colour_pixels(found["spc"], charts.ORANGE) > 20  # special causes of concern
    assert _colour_pixels(found["spc"], charts.SECONDARY) > 50  # common-cause points


@pytest.mark.django_db
def test_the_provider_pdf_renders(provider):
    _, report = provider
    pages = _pages(reports.render_pdf(report))
    assert pages[0].startswith("Mutuals") and report.title.split(":")[0] in pages[0]
    everything = "\n".join(pages)
    for title in ("Contracts and the objectives audit", "Risk of failure", "Appendix: methods"):
        assert title in everything
