"""The true effects built into the demo world, so the evaluation can be checked.

An effect applies to every spin-out of a programme from its first treated
quarter (the quarter containing its spin-out date). ``delay_quarters`` quarters
after that it starts; it then grows in a straight line over ``ramp_quarters``
quarters to its full ``size`` (at once when the ramp is 0). ``relative``
effects are proportions of the value the provider would have had in-house
(+0.03 is 3% higher); the others are in the metric's own unit.

Any programme × metric pair not listed has no effect at all (a true zero).
The truth file records, per programme, cohort and metric, the average effect
actually injected over the cohort's (provider, quarter) cells from its first
treated quarter to the last quarter it reported, which is what the
Callaway–Sant'Anna simple aggregation estimates. A delayed effect evaluated
as of an earlier date (the evaluation's ``as_of`` option) is "too early": for
the 2012-Q2 Right to Request cohort, the waiting-time gain starts only in 2014-Q2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Effect:
    programme: str
    metric: str
    size: float
    relative: bool = False
    delay_quarters: int = 0
    ramp_quarters: int = 0
    comment: str = ""

    def path(self, since: np.ndarray) -> np.ndarray:
        """The effect ``since`` quarters after spin-out (negative: before; NaN: never)."""
        since = np.nan_to_num(np.asarray(since, dtype=float), nan=-1.0)
        started = since - self.delay_quarters
        if self.ramp_quarters:
            share = np.clip((started + 1) / self.ramp_quarters, 0.0, 1.0)
        else:
            share = (started >= 0).astype(float)
        return np.where(started >= 0, share * self.size, 0.0)


EFFECTS: tuple[Effect, ...] = (
    # --- Right to Request -------------------------------------------------
    Effect(
        "right-to-request",
        "sickness-absence",
        -0.8,
        ramp_quarters=4,
        comment="Beneficial: absence falls by 0.8 points over the first year, as staff "
        "who own the organisation take fewer sick days.",
    ),
    Effect(
        "right-to-request",
        "staff-turnover",
        -1.5,
        ramp_quarters=4,
        comment="Beneficial: turnover falls by 1.5 points over the first year.",
    ),
    Effect(
        "right-to-request",
        "unit-cost-per-contact",
        0.03,
        relative=True,
        comment="Harmful: unit cost rises 3% at once (new overheads: finance, HR, "
        "insurance and VAT the trust used to carry).",
    ),
    Effect(
        "right-to-request",
        "waiting-time-weeks",
        -1.0,
        delay_quarters=8,
        ramp_quarters=4,
        comment="Beneficial but late: waits fall by a week, starting two years after "
        "spin-out — too early to see in the NAO's 2011 review.",
    ),
    Effect(
        "right-to-request",
        "patient-experience",
        2.0,
        delay_quarters=8,
        ramp_quarters=8,
        comment="Beneficial but late: two points more positive ratings, from year three.",
    ),
    Effect(
        "right-to-request",
        "cash-days",
        -4.0,
        comment="Harmful: fewer cash days, as new enterprises depend on the trust's payment terms.",
    ),
    # Contacts delivered, income and operating margin: no effect (true zeros).
    # --- Social work practices --------------------------------------------
    Effect(
        "social-work-practices",
        "caseload-per-worker",
        -4.0,
        comment="Beneficial: smaller caseloads, so more face-to-face time.",
    ),
    Effect(
        "social-work-practices",
        "keyworker-continuity",
        8.0,
        ramp_quarters=2,
        comment="Beneficial: children more likely to keep their key worker.",
    ),
    Effect(
        "social-work-practices",
        "staff-turnover",
        -2.0,
        ramp_quarters=4,
        comment="Beneficial: higher morale and retention.",
    ),
    Effect(
        "social-work-practices",
        "unit-cost-per-contact",
        0.06,
        relative=True,
        comment="Harmful: smaller practices cost more per contact.",
    ),
    # Placement stability and sickness absence: no effect ("mixed" results).
    # --- Integrated care mutuals ------------------------------------------
    Effect(
        "integrated-care",
        "sickness-absence",
        -1.0,
        ramp_quarters=4,
        comment="Beneficial: absence falls by a point over the first year.",
    ),
    Effect(
        "integrated-care",
        "waiting-time-weeks",
        -1.5,
        delay_quarters=8,
        ramp_quarters=4,
        comment="Beneficial but late: joined-up teams cut waits from year three.",
    ),
    Effect(
        "integrated-care",
        "unit-cost-per-contact",
        -0.04,
        relative=True,
        delay_quarters=4,
        ramp_quarters=4,
        comment="Beneficial: 4% lower unit cost from the second year.",
    ),
    Effect(
        "integrated-care",
        "operating-margin",
        -1.5,
        comment="Harmful: thinner margins on pooled budgets.",
    ),
)


def effect_for(programme: str, metric: str) -> Effect | None:
    for effect in EFFECTS:
        if effect.programme == programme and effect.metric == metric:
            return effect
    return None


def effects_table() -> str:
    """The built-in effects as a plain-text table, for documentation and the CLI."""
    lines = [f"{'programme':<22} {'metric':<24} {'size':>7} {'delay':>5} {'ramp':>4}  comment"]
    for e in EFFECTS:
        size = f"{e.size:+.0%}" if e.relative else f"{e.size:+g}"
        lines.append(
            f"{e.programme:<22} {e.metric:<24} {size:>7} {e.delay_quarters:>5} "
            f"{e.ramp_quarters:>4}  {e.comment}"
        )
    return "\n".join(lines)
