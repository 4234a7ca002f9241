"""What the ``did`` and ``synth`` commands print: JSON payloads and plain tables.

Kept out of the Django command modules so the commands stay thin and this can
be tested without Django.
"""

from __future__ import annotations

import math
from pathlib import Path

from mutuals.engine.did import DidResult, did
from mutuals.engine.io import read_panel
from mutuals.engine.synth import SynthResult, synth


def _num(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _label(value) -> str:
    """Period or unit label for JSON keys: 1970.0 -> '1970'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _period(value) -> int | float:
    """Period, cohort or event time as a JSON number: 2004.0 -> 2004."""
    value = float(value)
    return int(value) if value.is_integer() else value


def parse_number(text: str) -> int | float:
    """A period such as '1970' or '2011.25' from the command line."""
    number = float(text)
    return int(number) if number.is_integer() else number


def run_did(panel: str | Path, **options) -> DidResult:
    """Read ``panel`` and run ``did`` with the command's options."""
    return did(read_panel(panel), **options)


def run_synth(panel: str | Path, **options) -> SynthResult:
    """Read ``panel`` and run ``synth`` with the command's options."""
    return synth(read_panel(panel), **options)


def _rows(table, key: str) -> list[dict]:
    return [
        {key: _period(row[key]), "att": _num(row["att"]), "se": _num(row["se"])}
        for row in table.iter_rows(named=True)
    ]


def did_payload(result: DidResult) -> dict:
    """The ``did --json`` document."""
    att_gt = [
        {"g": _period(r["g"]), "t": _period(r["t"]), "att": _num(r["att"]), "se": _num(r["se"])}
        for r in result.att_gt.iter_rows(named=True)
    ]
    pre = result.pretrend
    return {
        "att_gt": att_gt,
        "simple": {"att": result.simple.att, "se": result.simple.se},
        "dynamic": _rows(result.dynamic, "e"),
        "dynamic_overall": {"att": result.dynamic_overall.att, "se": result.dynamic_overall.se},
        "group": _rows(result.group, "g"),
        "group_overall": {"att": result.group_overall.att, "se": result.group_overall.se},
        "calendar": _rows(result.calendar, "t"),
        "pretrend": {"chi2": _num(pre.statistic), "df": pre.df, "p_value": _num(pre.p_value)},
        "band_critical_value": result.band_critical_value,
    }


def synth_payload(result: SynthResult) -> dict:
    """The ``synth --json`` document."""
    return {
        "weights": {u: float(w) for u, w in result.weights.iter_rows()},
        "pre_rmspe": result.pre_rmspe,
        "gaps": {_label(t): float(g) for t, g in result.gaps.select("time", "gap").iter_rows()},
        "att": result.att,
        "placebo_p": result.placebo_p,
    }


def _line(label: str, att: float, se: float) -> str:
    return f"  {label:<18} {att:>10.6f} {se:>10.6f}"


def did_text(result: DidResult) -> str:
    """A readable summary of a DiD estimate."""
    head = f"  {'':<18} {'ATT':>10} {'SE':>10}"
    lines = ["Staggered difference-in-differences (Callaway & Sant'Anna)", head]
    lines.append(_line("simple", result.simple.att, result.simple.se))
    lines.append(_line("dynamic (e>=0)", result.dynamic_overall.att, result.dynamic_overall.se))
    lines.append(_line("cohort", result.group_overall.att, result.group_overall.se))
    for title, table, key in (
        ("By event time", result.dynamic, "e"),
        ("By cohort", result.group, "g"),
        ("By period", result.calendar, "t"),
    ):
        lines += ["", title, head]
        lines += [
            _line(f"{key}={_label(r[key])}", r["att"], r["se"]) for r in table.iter_rows(named=True)
        ]
    pre = result.pretrend
    lines += [
        "",
        f"Pre-trend test (event times before treatment all zero): chi2={pre.statistic:.3f}, "
        f"df={pre.df}, p={pre.p_value:.4f}",
    ]
    return "\n".join(lines)


def synth_text(result: SynthResult) -> str:
    """A readable summary of a synthetic control."""
    lines = ["Synthetic control", "", "Donor weights"]
    weights = result.weights.filter(result.weights["weight"] > 1e-6).sort("weight", descending=True)
    lines += [f"  {u:<30} {w:.4f}" for u, w in weights.iter_rows()]
    lines += [
        "",
        f"Pre-period RMSPE  {result.pre_rmspe:.6f}",
        f"Effect (ATT)      {result.att:.6f}",
    ]
    if result.placebo_p is not None:
        lines.append(f"Placebo p-value   {result.placebo_p:.4f}")
    lines += ["", f"  {'period':<10} {'treated':>12} {'synthetic':>12} {'gap':>12}"]
    lines += [
        f"  {_label(t):<10} {y:>12.4f} {s:>12.4f} {g:>12.4f}"
        for t, y, s, g in result.gaps.iter_rows()
    ]
    return "\n".join(lines)
