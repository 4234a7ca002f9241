"""Charts: valid, accessible SVG with the marks each chart promises, cached after the first
drawing; and the variation and assurance icons."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from unittest import mock

import pytest
from django.core.cache import cache

from mutuals import charts
from mutuals.evaluation.monitoring import SeriesSpc, SpcPoint
from mutuals.returns.models import Metric

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything but well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def marks(root: ET.Element, kind: str) -> list[ET.Element]:
    """The groups of one of the chart's own marks (not axes or legends), such as 'symbol'."""
    return [
        g
        for g in root.iter(f"{SVG}g")
        if f"mark-{kind}" in g.get("class", "") and "role-mark" in g.get("class", "")
    ]


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    first, second = list(root)[:2]
    assert first.tag == f"{SVG}title" and first.text == title
    assert second.tag == f"{SVG}desc" and len(second.text) > 40
    inside = [e for e in root.iter() if e is not root]
    assert not [e.tag for e in inside if e.get("role") or e.get("aria-roledescription")]
    assert not [e.tag for e in root.iter() if e.get("style") is not None], "no inline style"
    assert not list(root.iter(f"{SVG}script"))
    assert root.get("width") == str(charts.WIDTH)
    fonts = {e.get("font-family") for e in root.iter(f"{SVG}text")}
    assert fonts == {charts.FONT}


def spc_series(target: float | None = 20.0) -> SeriesSpc:
    """12 quarters: 10 common-cause points, one improvement (low) and one concern (high)."""
    metric = Metric(code="waiting-days", name="Waiting time", unit="days", direction="lower")
    variations = ["common_cause"] * 10 + ["special_cause_improvement", "special_cause_concern"]
    values = [10.0, 11.0] * 5 + [2.0, 19.0]
    points = tuple(
        SpcPoint(
            period=f"{2016 + i // 4}-Q{i % 4 + 1}",
            period_start=dt.date(2016 + i // 4, 3 * (i % 4) + 1, 1),
            value=value,
            mean=10.5,
            lower_limit=7.8,
            upper_limit=13.2,
            variation=variation,
            rules=() if variation == "common_cause" else ("outside_limits",),
        )
        for i, (value, variation) in enumerate(zip(values, variations, strict=True))
    )
    return SeriesSpc(
        metric=metric,
        period_kind="quarter",
        points=points,
        variation="special_cause_concern",
        assurance="inconsistent" if target else None,
        target=target,
    )


def symbol_fills(root: ET.Element) -> list[str]:
    (points,) = marks(root, "symbol")
    return [path.get("fill") for path in points.iter(f"{SVG}path")]


def test_spc_chart_draws_points_line_mean_limits_and_target():
    series = spc_series()
    root = parse(charts.spc_chart(series))
    assert_accessible(root, charts.spc_title(series))
    fills = symbol_fills(root)
    assert len(fills) == 12
    assert fills.count(charts.BLUE) == 1 and fills.count(charts.ORANGE) == 1
    assert fills.count(charts.SECONDARY) == 10
    lines = marks(root, "line")
    assert len(lines) == 4, "upper limit, lower limit, mean and the figures"
    dashed = [g for g in lines if g.find(f"{SVG}path").get("stroke-dasharray")]
    assert len(dashed) == 2, "the process limits are dashed"
    (target,) = marks(root, "rule")
    assert target.find(f"{SVG}line").get("stroke") == charts.RED
    description = root.find(f"{SVG}desc").text
    assert "Target 20.0" in description and "1 of concern, 1 of improvement" in description
    assert "Special cause variation: concern" in description


def test_spc_chart_without_a_target_has_no_target_line():
    root = parse(charts.spc_chart(spc_series(target=None)))
    assert marks(root, "rule") == []
    assert "No target to assure against" in root.find(f"{SVG}desc").text


def test_event_study_chart_draws_estimates_intervals_zero_and_treatment_lines():
    rows = [
        {"e": e, "att": 0.5 * max(e, 0), "ci_low": 0.5 * max(e, 0) - 1, "ci_high": 0.5 * e + 1}
        for e in range(-4, 5)
    ]
    root = parse(charts.event_study_chart(rows, "Effect on waiting time", "days"))
    assert_accessible(root, "Effect on waiting time")
    (points,) = marks(root, "symbol")
    assert len(list(points.iter(f"{SVG}path"))) == 9
    rules = marks(root, "rule")
    assert len(rules) == 3, "zero line, treatment line, intervals"
    interval_lines = max(len(list(g.iter(f"{SVG}line"))) for g in rules)
    assert interval_lines == 9
    dashed = [line for g in rules for line in g.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1, "the treatment line"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Effect on waiting time" in texts, "the title is drawn too"
    assert "4 periods before treatment and 5 after" in root.find(f"{SVG}desc").text


def test_savings_chart_draws_the_band_and_both_cost_paths():
    rows = [
        {
            "year": f"{2011 + i}/{12 + i}",
            "counterfactual": 100 * 0.96**i,
            "actual": 100 * 0.94**i,
            "band_low": 100 * 0.97**i,
            "band_high": 100 * 0.95**i,
        }
        for i in range(6)
    ]
    root = parse(charts.savings_chart(rows, "£ million"))
    assert_accessible(root, "Actual cost against the counterfactual")
    assert len(marks(root, "area")) == 1
    lines = marks(root, "line")
    assert len(lines) == 2
    assert {g.find(f"{SVG}path").get("stroke") for g in lines} == {charts.BLUE, charts.BLACK}
    (points,) = marks(root, "symbol")
    assert len(list(points.iter(f"{SVG}path"))) == 12
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"2011/12", "2016/17", "Actual cost", "Counterfactual (in-house) cost"} <= labels
    assert "below the counterfactual" in root.find(f"{SVG}desc").text


def test_a_chart_is_drawn_once_for_the_same_data():
    """A cached chart needs neither Altair nor vl-convert."""
    import vl_convert

    series = spc_series()
    first = charts.spc_chart(series)
    with (
        mock.patch.object(vl_convert, "vegalite_to_svg", side_effect=AssertionError),
        mock.patch.object(charts, "_spec", side_effect=AssertionError),
    ):
        assert charts.spc_chart(series) == first
    other = spc_series(target=30.0)
    assert charts.spc_chart(other) != first, "other data, another drawing"


def test_responsive_svg_follows_its_container_width():
    root = parse(charts.responsive(charts.spc_chart(spc_series())))
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("viewBox").startswith("0 0 640 ")


def test_weasyprint_draws_the_chart_into_a_pdf():
    import weasyprint

    html = (
        f"<html lang='en'><body><h1>Waiting time</h1>{charts.spc_chart(spc_series())}</body></html>"
    )
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5_000


def test_text_is_escaped_in_titles_and_descriptions():
    svg = charts.accessible('<svg xmlns="http://www.w3.org/2000/svg"></svg>', "A < B", "C & D")
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "A < B"
    assert root.find(f"{SVG}desc").text == "C & D"


@pytest.mark.parametrize("label", list(charts._VARIATION_ICONS))
@pytest.mark.parametrize("side", [None, "high", "low"])
def test_variation_icons_are_named_images(label, side):
    root = parse(charts.variation_icon(label, side=side))
    assert root.get("role") == "img"
    name = root.get("aria-label")
    assert root.find(f"{SVG}title").text == name
    assert name.startswith({"common_cause": "Common", "special_cause_neutral": "Special"}.get(
        label, "Special cause variation: "))  # fmt: skip
    if side and label != "common_cause":
        assert name.endswith(f", {side}")
    assert root.get("width") == root.get("height") == "40"


@pytest.mark.parametrize(
    ("label", "letter", "fill"),
    [
        ("consistently_passing", "P", charts.GREEN),
        ("consistently_failing", "F", charts.ORANGE),
        ("inconsistent", "?", charts.DARK_GREY),
        (None, "–", charts.WHITE),
    ],
)
def test_assurance_icons_show_a_letter_in_a_coloured_circle(label, letter, fill):
    root = parse(charts.assurance_icon(label))
    assert root.find(f"{SVG}text").text == letter
    assert root.find(f"{SVG}circle").get("fill") == fill
    assert root.get("aria-label") == root.find(f"{SVG}title").text


def test_decorative_icons_are_hidden_from_assistive_technology():
    for svg in (
        charts.variation_icon("common_cause", decorative=True),
        charts.assurance_icon("inconsistent", decorative=True),
    ):
        root = parse(svg)
        assert root.get("aria-hidden") == "true"
        assert root.get("role") is None and root.find(f"{SVG}title") is None
