"""Reproduce this run's difference-in-differences estimates with csdid.

For every panel in panels/did/, csdid estimates Callaway and Sant'Anna's group-time
ATTs against never-treated comparators and aggregates them by cohort; each cohort
effect and its standard error are compared with the run's (results.csv: att and
se_analytic). Exits with status 1 if any differs by more than 1e-6.

    pip install csdid
    python reproduce_did.py
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from pathlib import Path

import pandas as pd
from csdid.att_gt import ATTgt

TOLERANCE = 1e-6
HERE = Path(__file__).resolve().parent


def quarter_index(label: str) -> int:
    """'2011-Q2' -> 2011 × 4 + 2 − 1, the panels' time index."""
    year, quarter = label.split("-Q")
    return int(year) * 4 + int(quarter) - 1


def cohort_effects(path: Path) -> dict[int, tuple[float, float]]:
    data = pd.read_csv(path)
    with contextlib.redirect_stdout(io.StringIO()):  # csdid prints its tables
        model = ATTgt(
            yname="outcome",
            gname="cohort",
            idname="unit",
            tname="time",
            xformla="outcome~1",
            data=data,
            control_group="nevertreated",
        ).fit(est_method="dr", bstrap=False)
        model.aggte(typec="group", bstrap=False)
    groups = model.atte
    return {
        int(g): (float(att), float(se))
        for g, att, se in zip(groups["egt"], groups["att_egt"], groups["se_egt"], strict=True)
    }


def main() -> int:
    with open(HERE / "results.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["method"] == "did" and r["att"]]
    panels: dict[str, list[dict]] = {}
    for row in rows:
        panels.setdefault(row["panel"], []).append(row)
    worst = 0.0
    print(f"{'programme':<24} {'metric':<26} {'cohort':<8} {'run att':>14} {'csdid att':>14} "
          f"{'run se':>12} {'csdid se':>12}")  # fmt: skip
    for panel, cohorts in sorted(panels.items()):
        effects = cohort_effects(HERE / panel)
        for row in cohorts:
            att, se = effects[quarter_index(row["cohort"])]
            ours, our_se = float(row["att"]), float(row["se_analytic"])
            worst = max(worst, abs(att - ours), abs(se - our_se))
            print(f"{row['programme']:<24} {row['metric']:<26} {row['cohort']:<8} "
                  f"{ours:>14.8f} {att:>14.8f} {our_se:>12.8f} {se:>12.8f}")  # fmt: skip
    print(f"{len(rows)} cohort effects; largest difference {worst:.2e} (tolerance {TOLERANCE})")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
