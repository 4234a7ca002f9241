"""Charts as accessible SVG: Altair specifications rendered by vl-convert.

The same SVG goes into web pages (inline, or as an image the page links to) and
into PDFs made by WeasyPrint, so
it carries no script, no inline style, no web font (a generic "Arial,
sans-serif" that both can render) and a fixed width of :data:`WIDTH` pixels;
:func:`responsive` lets a page scale it down to a narrow screen instead. Every
chart is an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` say in words
what it shows, and it never relies on colour alone (special-cause points also
differ in shape).

vl-convert takes 100-200 ms of processor time a chart, mostly to lay out text,
and Altair tens of milliseconds more to build the specification, so the
finished SVG is cached under a hash of everything a chart is drawn from (its
rows, labels and :data:`CHART_VERSION`): a chart is drawn once for the same data,
and a cached one costs a hash and a cache read.

Altair is imported only to draw a chart that is not cached yet (it takes half a
second to import). The Making Data Count style icons (:func:`variation_icon`,
:func:`assurance_icon`) are our own small SVG drawings, not NHS artwork.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import altair as alt

    from mutuals.evaluation.monitoring import SeriesSpc

WIDTH = 640
HEIGHT = 260
FONT = "Arial, sans-serif"
CACHE_SECONDS = 7 * 24 * 60 * 60
CHART_VERSION = 1  # raise when the drawing changes, so cached charts are drawn afresh
# GOV.UK Design System colours. Orange fills carry a black outline or letter, since
# orange on white is below the 3:1 contrast graphics need.
BLACK = "#0b0c0c"
DARK_GREY = "#505a5f"
SECONDARY = "#6f777b"
MID_GREY = "#b1b4b6"
LIGHT_GREY = "#f3f2f1"
BLUE = "#1d70b8"
LIGHT_BLUE = "#5694ca"
ORANGE = "#f47738"
GREEN = "#00703c"
PURPLE = "#4c2c92"
RED = "#d4351c"
WHITE = "#ffffff"

# Point category -> (colour, shape), for SPC charts.
SPC_POINTS = {
    "Common cause": (SECONDARY, "circle"),
    "Improvement": (BLUE, "square"),
    "Concern": (ORANGE, "triangle-up"),
    "Special cause, neither better nor worse": (PURPLE, "diamond"),
}
_CATEGORY = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Improvement",
    "special_cause_concern": "Concern",
    "special_cause_neutral": "Special cause, neither better nor worse",
}


def spc_chart(series: SeriesSpc, *, title: str | None = None) -> str:
    """An XmR chart: the figures as points and line, the mean, the process limits, the
    target if any, and special-cause points coloured (and shaped) by what they mean."""
    rows = [
        {
            "date": point.period_start.isoformat(),
            "value": point.value,
            "mean": point.mean,
            "lower": point.lower_limit,
            "upper": point.upper_limit,
            "category": _CATEGORY[point.variation],
        }
        for point in series.points
    ]
    unit, target = series.metric.unit, series.target
    return _cached(
        {"chart": "spc", "rows": rows, "unit": unit, "target": target},
        lambda: _spc_layers(rows, unit, target),
        title or spc_title(series),
        spc_description(series),
        visible_title=title,
    )


def _spc_layers(rows: list[dict], unit: str, target: float | None) -> alt.LayerChart:
    import altair as alt

    present = [c for c in SPC_POINTS if any(r["category"] == c for r in rows)]
    years = {r["date"][:4] for r in rows}
    x = alt.X(
        "date:T",
        title=None,
        axis=alt.Axis(
            format="%Y", tickCount={"interval": "year", "step": max(1, -(-len(years) // 7))}
        ),
    )

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title=unit, scale=alt.Scale(zero=False))

    base = alt.Chart().encode(x=x)
    layers = [
        base.mark_line(color=DARK_GREY, strokeDash=[6, 4], strokeWidth=1).encode(y=y("upper")),
        base.mark_line(color=DARK_GREY, strokeDash=[6, 4], strokeWidth=1).encode(y=y("lower")),
        base.mark_line(color=BLACK, strokeWidth=1).encode(y=y("mean")),
        base.mark_line(color=MID_GREY, strokeWidth=1.5).encode(y=y("value")),
        base.mark_point(filled=True, size=45, stroke=BLACK, strokeWidth=0.5, opacity=1).encode(
            y=y("value"),
            color=alt.Color(
                "category:N",
                title=None,
                scale=alt.Scale(domain=present, range=[SPC_POINTS[c][0] for c in present]),
                legend=alt.Legend(orient="bottom"),
            ),
            shape=alt.Shape(
                "category:N",
                scale=alt.Scale(domain=present, range=[SPC_POINTS[c][1] for c in present]),
            ),
        ),
    ]
    if target is not None:
        line = alt.Chart(alt.Data(values=[{"target": target}]))
        layers.append(
            line.mark_rule(color=RED, strokeDash=[2, 3], strokeWidth=2).encode(y=y("target"))
        )
    return alt.layer(*layers, data=alt.Data(values=rows))


def spc_title(series: SeriesSpc) -> str:
    return (
        f"Statistical process control chart of {series.metric.name}, "
        f"{series.points[0].period} to {series.last.period}"
    )


def spc_description(series: SeriesSpc) -> str:
    """The chart in words: what is plotted, the latest figure, limits, target and signals."""
    points, last = series.points, series.last
    special = [p for p in points if p.special_cause]
    concern = sum(p.variation == "special_cause_concern" for p in special)
    improvement = sum(p.variation == "special_cause_improvement" for p in special)
    parts = [
        f"{series.metric.name} in {series.metric.unit}, {len(points)} "
        f"{series.period_kind}s from {points[0].period} to {last.period}.",
        f"Latest figure {number(last.value)} in {last.period}.",
        f"Mean {number(last.mean)}; process limits {number(last.lower_limit)} to "
        f"{number(last.upper_limit)} (dashed lines).",
        f"Target {number(series.target)} (red dotted line)." if series.target is not None else "",
        f"{len(special)} special-cause points: {concern} of concern, {improvement} of improvement.",
        f"{series.variation_text}. {series.assurance_text}.",
    ]
    return " ".join(p for p in parts if p)


def event_study_chart(rows: Sequence[dict], title: str, unit: str) -> str:
    """Effects by event time with confidence intervals, a zero line and a dashed vertical
    line where treatment starts (between event times −1 and 0)."""
    data = [
        {**{k: row[k] for k in ("e", "att", "ci_low", "ci_high")}, "when": _when(row["e"])}
        for row in rows
    ]
    before = [r for r in data if r["when"] == PHASES[0]]
    after = [r for r in data if r["when"] == PHASES[1]]
    description = (
        f"Estimated effect in {unit} by event time, with confidence intervals: "
        f"{len(before)} periods before treatment and {len(after)} after. "
        + _interval_sentence(before, "before treatment")
        + _interval_sentence(after, "after treatment")
    )
    return _cached(
        {"chart": "event_study", "rows": data, "unit": unit},
        lambda: _event_study_layers(data, unit),
        title,
        description.strip(),
        visible_title=title,
    )


PHASES = ["Before treatment", "After treatment"]


def _event_study_layers(data: list[dict], unit: str) -> alt.LayerChart:
    import altair as alt

    times = [r["e"] for r in data] or [0]
    base = alt.Chart().encode(
        x=alt.X(
            "e:Q",
            title="Periods since treatment started (0 = first treated period)",
            scale=alt.Scale(domain=[min(times) - 0.5, max(times) + 0.5], nice=False),
            axis=alt.Axis(tickMinStep=1, format="d"),
        )
    )
    colour = alt.Color(
        "when:N",
        title=None,
        scale=alt.Scale(domain=PHASES, range=[DARK_GREY, BLUE]),
        legend=alt.Legend(orient="bottom"),
    )
    marks = alt.Chart(alt.Data(values=[{"zero": 0, "start": -0.5}]))
    return alt.layer(
        marks.mark_rule(color=BLACK, strokeWidth=1).encode(y="zero:Q"),
        marks.mark_rule(color=DARK_GREY, strokeDash=[6, 4]).encode(x="start:Q"),
        base.mark_rule(strokeWidth=2).encode(y="ci_low:Q", y2="ci_high:Q", color=colour),
        base.mark_point(filled=True, size=50, opacity=1).encode(
            y=alt.Y("att:Q", title=f"Effect ({unit})"),
            color=colour,
            shape=alt.Shape(
                "when:N", scale=alt.Scale(domain=PHASES, range=["circle", "square"]), legend=None
            ),
        ),
        data=alt.Data(values=data),
    )


def _when(e: float) -> str:
    return "After treatment" if e >= 0 else "Before treatment"


def _interval_sentence(rows: list[dict], when: str) -> str:
    if not rows:
        return ""
    clear = sum(r["ci_low"] > 0 or r["ci_high"] < 0 for r in rows)
    low, high = min(r["att"] for r in rows), max(r["att"] for r in rows)
    return (
        f"Estimates {when} range from {number(low)} to {number(high)}; "
        f"{clear} of {len(rows)} intervals exclude zero. "
    )


def savings_chart(rows: Sequence[dict], unit: str) -> str:
    """Actual cost against the counterfactual cost path, with the counterfactual's band."""
    data = [
        {k: row[k] for k in ("year", "counterfactual", "actual", "band_low", "band_high")}
        for row in rows
    ]
    return _cached(
        {"chart": "savings", "rows": data, "unit": unit},
        lambda: _savings_layers(data, unit),
        "Actual cost against the counterfactual",
        _savings_description(data, unit),
    )


SAVINGS_LINES = ["Counterfactual (in-house) cost", "Actual cost"]


def _savings_layers(data: list[dict], unit: str) -> alt.LayerChart:
    import altair as alt

    lines = SAVINGS_LINES
    colour = alt.Color(
        "line:N",
        title=None,
        scale=alt.Scale(domain=lines, range=[BLUE, BLACK]),
        legend=alt.Legend(orient="bottom"),
    )
    base = alt.Chart().encode(x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)))
    long = base.transform_fold(
        ["counterfactual", "actual"], as_=["series", "cost"]
    ).transform_calculate(line=f"datum.series == 'actual' ? '{lines[1]}' : '{lines[0]}'")
    return alt.layer(
        base.mark_area(color=LIGHT_BLUE, opacity=0.3).encode(
            y=alt.Y("band_low:Q", title=unit), y2="band_high:Q"
        ),
        long.mark_line(point=alt.OverlayMarkDef(filled=True, size=40)).encode(
            y="cost:Q",
            color=colour,
            strokeDash=alt.StrokeDash(
                "line:N", scale=alt.Scale(domain=lines, range=[[6, 4], [1, 0]]), legend=None
            ),
        ),
        data=alt.Data(values=data),
    )


def _savings_description(data: list[dict], unit: str) -> str:
    if not data:
        return "No years to show."
    first, last = data[0], data[-1]
    total = sum(r["counterfactual"] - r["actual"] for r in data)
    return (
        f"Cost in {unit} from {first['year']} to {last['year']}: the counterfactual "
        f"(what the in-house service would have cost, dashed blue, with a shaded "
        f"sensitivity band) against the actual cost (solid black). In {last['year']} the "
        f"counterfactual is {number(last['counterfactual'])} and the actual cost "
        f"{number(last['actual'])}. Over all years the actual cost is "
        f"{number(abs(total))} {'below' if total >= 0 else 'above'} the counterfactual."
    )


def number(value: float | None) -> str:
    """A figure for a sentence: about three significant digits, thousands separated."""
    if value is None:
        return "none"
    size = abs(value)
    decimals = 0 if size >= 100 else 1 if size >= 10 else 2
    return f"{value:,.{decimals}f}"


# Rendering ------------------------------------------------------------------------------


def _cached(
    key: dict[str, Any],
    layers: Callable[[], alt.LayerChart],
    title: str,
    description: str,
    *,
    visible_title: str | None = None,
) -> str:
    """The chart's SVG from the cache, keyed by everything it is drawn from; else drawn
    (Altair builds the specification, vl-convert renders it) and cached."""
    from django.core.cache import cache

    payload = {**key, "title": title, "description": description, "shown": visible_title}
    text = json.dumps([CHART_VERSION, payload], sort_keys=True, default=str)
    cache_key = "mutuals:chart:" + hashlib.sha256(text.encode()).hexdigest()
    svg = cache.get(cache_key)
    if svg is None:
        svg = accessible(svg_from_spec(_spec(layers(), visible_title)), title, description)
        cache.set(cache_key, svg, CACHE_SECONDS)
    return svg


def _spec(chart: alt.LayerChart, visible_title: str | None) -> dict[str, Any]:
    """The full Vega-Lite specification: size, fonts, GOV.UK colours, no ARIA of its own."""
    import altair as alt

    if visible_title:
        chart = chart.properties(title=alt.TitleParams(visible_title, anchor="start"))
    return (
        chart.properties(
            width=WIDTH,
            height=HEIGHT,
            autosize=alt.AutoSizeParams(type="fit", contains="padding"),
            background=WHITE,
        )
        .configure(font=FONT, aria=False)
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=BLACK, titleColor=BLACK, gridColor=LIGHT_GREY, domainColor=DARK_GREY,
            tickColor=DARK_GREY, labelFontSize=12, titleFontSize=12, titleFontWeight="normal",
        )
        .configure_legend(labelColor=BLACK, labelFontSize=12, labelLimit=400, symbolStrokeWidth=0.5)
        .configure_title(color=BLACK, fontSize=16, fontWeight="bold")
        .to_dict(validate=False)
    )  # fmt: skip


def svg_from_spec(spec: dict[str, Any]) -> str:
    """vl-convert's SVG for a Vega-Lite specification."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)


_TAG = re.compile(r"<[^>]+>")
_ARIA = re.compile(r'\s(?:role|aria-[a-z]+)="[^"]*"')
_ROOT = re.compile(r"<svg\b[^>]*>")


def accessible(svg: str, title: str, description: str) -> str:
    """``svg`` as one image to assistive technology: ``role="img"`` with a title and a
    description first inside, and no roles or labels on the parts inside."""
    root = _ROOT.search(svg)
    if root is None:
        raise ValueError("not an SVG document")
    inner = _TAG.sub(lambda tag: _ARIA.sub("", tag.group(0)), svg[root.end() :])
    head = _ARIA.sub("", root.group(0))[:-1].replace(' class="marks"', "")
    return (
        f'{head} role="img" focusable="false" class="mutuals-chart">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>{inner}"
    )


def responsive(svg: str) -> str:
    """The SVG for a web page: as wide as its container (at most its own width in a
    two-thirds column), its height following from the viewBox."""
    root = _ROOT.search(svg)
    if root is None:
        raise ValueError("not an SVG document")
    head = re.sub(r'\s(?:width|height)="[^"]*"', "", root.group(0))
    return svg[: root.start()] + head[:-1] + ' width="100%">' + svg[root.end() :]


# Icons ----------------------------------------------------------------------------------

_VARIATION_ICONS = {
    "common_cause": (DARK_GREY, WHITE, "Common cause variation"),
    "special_cause_improvement": (BLUE, WHITE, "Special cause variation: improvement"),
    "special_cause_concern": (ORANGE, BLACK, "Special cause variation: concern"),
    "special_cause_neutral": (PURPLE, WHITE, "Special cause variation, neither better nor worse"),
}
_ASSURANCE_ICONS = {
    "consistently_passing": (GREEN, WHITE, "P", "Consistently passing the target"),
    "consistently_failing": (ORANGE, BLACK, "F", "Consistently failing the target"),
    "inconsistent": (DARK_GREY, WHITE, "?", "Inconsistent: may pass or fail the target"),
    None: (WHITE, DARK_GREY, "–", "No target to assure against"),
}
ICON_SIZE = 40


def _icon(fill: str, label: str, body: str, decorative: bool) -> str:
    """The icon's SVG: an image named ``label``, or hidden from assistive technology when
    ``decorative`` (the same words are next to it)."""
    text = escape(label)
    named = (
        'aria-hidden="true"' if decorative else f'role="img" aria-label="{text}"'
    ) + ' focusable="false" class="mutuals-icon">'
    if not decorative:
        named += f"<title>{text}</title>"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{ICON_SIZE}" height="{ICON_SIZE}" '
        f'viewBox="0 0 40 40" {named}'
        f'<circle cx="20" cy="20" r="18" fill="{fill}" stroke="{BLACK}" stroke-width="1.5"/>'
        f"{body}</svg>"
    )


def variation_icon(label: str, *, side: str | None = None, decorative: bool = False) -> str:
    """A circle for the variation of a series' latest point: grey with a wavy line for
    common cause; blue (improvement), orange (concern) or purple (neither) with an arrow
    up or down for a special cause pointing to ``side`` ("high" or "low"): the side a point
    lies on, or the direction a trend travels (the engine's ``signal``)."""
    fill, ink, text = _VARIATION_ICONS[label]
    if label == "common_cause":
        body = (
            f'<polyline points="8,22 13,16 18,24 23,15 28,23 32,18" fill="none" '
            f'stroke="{ink}" stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    elif side in ("high", "low"):
        tip, tail, wing = (9, 31, 17) if side == "high" else (31, 9, 23)
        body = (
            f'<path d="M20 {tail} V{tip} M12 {wing} L20 {tip} L28 {wing}" fill="none" '
            f'stroke="{ink}" stroke-width="3.5" stroke-linecap="round" '
            'stroke-linejoin="round"/>'
        )
        text += ", high" if side == "high" else ", low"
    else:
        body = f'<circle cx="20" cy="20" r="5" fill="{ink}"/>'
    return _icon(fill, text, body, decorative)


def assurance_icon(label: str | None, *, decorative: bool = False) -> str:
    """A circle with a letter: P green (consistently passing), F orange (consistently
    failing), ? grey (inconsistent), and an empty circle with a dash when no target."""
    fill, ink, letter, text = _ASSURANCE_ICONS[label]
    body = (
        f'<text x="20" y="27" text-anchor="middle" font-family="{FONT}" font-size="20" '
        f'font-weight="bold" fill="{ink}">{escape(letter)}</text>'
    )
    return _icon(fill, text, body, decorative)
