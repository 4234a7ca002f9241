"""The demo world's organisations: commissioners, spin-outs and in-house comparators.

Shaped by FACTS.md: about 50 Right to Request spin-outs (most launched on
1 April 2011) with about 25,000 staff and £900m a year of contracts; five social
work practice pilots (December 2009 – May 2010), two discontinued; two
integrated-care mutuals, one of which hands its services back in October 2016;
and in-house comparators that never spin out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from mutuals.demo import names
from mutuals.demo.catalogue import HEALTH_SERVICES, INTEGRATED_SERVICES, SOCIAL_SERVICES

REGIONS = (
    "north_east",
    "north_west",
    "yorkshire",
    "east_midlands",
    "west_midlands",
    "east",
    "london",
    "south_east",
    "south_west",
)
_REGION_WEIGHTS = np.array([5, 13, 10, 9, 11, 11, 16, 16, 9], dtype=float)

PCT_COUNT = 150
COUNCIL_COUNT = 60
RTR_TOTAL_STAFF = 25_000
RTR_TOTAL_VALUE = 900e6
VALUE_PER_STAFF = RTR_TOTAL_VALUE / RTR_TOTAL_STAFF

# First treated quarter → (spin-out date, number of Right to Request spin-outs).
RTR_COHORTS: tuple[tuple[date, int], ...] = (
    (date(2009, 10, 1), 3),
    (date(2010, 4, 1), 4),
    (date(2010, 10, 1), 5),
    (date(2011, 4, 1), 33),
    (date(2012, 4, 1), 5),
)
_RTR_FORMS = ("cic_guarantee", "cic_shares", "community_benefit_society", "cooperative")
_RTR_FORM_WEIGHTS = np.array([0.45, 0.2, 0.2, 0.15])


@dataclass(frozen=True)
class _Pilot:
    legal_form: str
    pattern: str
    start: date
    children: int
    staff: int
    exit: date | None


# The five social work practice pilots; children = the cohort each served.
SOCIAL_WORK_PILOTS: tuple[_Pilot, ...] = (
    _Pilot("in_house_unit", "{} Young People's Practice", date(2009, 12, 1), 180, 21, None),
    _Pilot("company", "{} Children's Practice Ltd", date(2010, 1, 1), 80, 12, date(2011, 10, 1)),
    _Pilot("charity", "{} Leaving Care Partnership", date(2010, 2, 1), 582, 58, None),
    _Pilot("charity", "{} Family Futures Practice", date(2010, 4, 1), 120, 14, date(2012, 4, 1)),
    _Pilot("cic_guarantee", "{} Social Work Practice CIC", date(2010, 5, 1), 150, 17, None),
)


@dataclass
class _Rows:
    rows: list[dict] = field(default_factory=list)
    memberships: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, **row) -> int:
        key = len(self.rows)
        base = dict.fromkeys(
            (
                "ods_code",
                "company_number",
                "charity_number",
                "parent_key",
                "spinout_date",
                "exit_date",
                "staff_count",
                "programme",
                "annual_income",
                "children",
            )
        )
        self.rows.append({**base, **row, "key": key})
        return key


def build_organisations(
    rng: np.random.Generator, health_comparators: int, social_comparators: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The organisations frame and the programme memberships frame."""
    places = names.place_names(rng)
    out = _Rows()
    pcts = _commissioners(rng, out, places)
    councils = [council_for_pct(key) for key in pcts[:COUNCIL_COUNT]]
    ic_pcts = [int(i) for i in rng.choice(COUNCIL_COUNT, size=2, replace=False)]
    free = [i for i in range(PCT_COUNT) if i not in ic_pcts]
    rtr_pcts = [free[int(i)] for i in rng.choice(len(free), size=50, replace=False)]
    _right_to_request(rng, out, places, pcts, rtr_pcts)
    pilot_councils = [int(i) for i in rng.choice(COUNCIL_COUNT, size=5, replace=False)]
    _social_work(rng, out, places, councils, pilot_councils)
    _integrated_care(rng, out, places, pcts, ic_pcts)
    _comparators(
        rng, out, places, pcts, councils, pilot_councils, health_comparators, social_comparators
    )
    _identifiers(rng, out.rows)
    return _frame(out.rows), pl.DataFrame(
        out.memberships,
        schema={"programme": pl.Utf8, "organisation": pl.Int64, "role": pl.Utf8},
        orient="row",
    )


def _commissioners(rng, out: _Rows, places: list[str]) -> list[int]:
    regions = rng.choice(len(REGIONS), size=PCT_COUNT, p=_REGION_WEIGHTS / _REGION_WEIGHTS.sum())
    pcts = [
        out.add(
            name=f"{places[i]} Primary Care Trust",
            kind="commissioner",
            legal_form="nhs_commissioner",
            region=REGIONS[regions[i]],
            services=[],
        )
        for i in range(PCT_COUNT)
    ]
    tiers = ("County Council", "Borough Council", "City Council")
    councils = [
        out.add(
            name=f"{places[i]} {tiers[int(rng.integers(3))]}",
            kind="commissioner",
            legal_form="council",
            region=REGIONS[regions[i]],
            services=[],
        )
        for i in range(COUNCIL_COUNT)
    ]
    if councils != [council_for_pct(key) for key in pcts[:COUNCIL_COUNT]]:
        raise RuntimeError("councils must follow the trusts they share an area with")
    return pcts


def council_for_pct(pct_key: int) -> int | None:
    """The council that shares the trust's area (the first 60 trusts have one)."""
    return PCT_COUNT + pct_key if pct_key < COUNCIL_COUNT else None


def _rtr_staff(rng) -> np.ndarray:
    """Heavy-tailed staff numbers from 6 to 1,200 that total about 25,000."""
    draws = np.sort(np.exp(rng.normal(0.0, 1.1, size=50)))
    low, high = 1.0, 5000.0
    for _ in range(60):  # bisection on the scale so that the clipped total hits the target
        mid = (low + high) / 2
        total = np.clip(draws * mid, 6, 1200).sum()
        low, high = (mid, high) if total < RTR_TOTAL_STAFF else (low, mid)
    staff = np.clip(np.round(draws * low), 6, 1200).astype(int)
    staff[0], staff[-1] = 6, 1200
    return staff[rng.permutation(50)]


def _right_to_request(rng, out: _Rows, places, pcts, rtr_pcts) -> None:
    staff = _rtr_staff(rng)
    value = staff * VALUE_PER_STAFF * np.exp(rng.normal(0, 0.15, size=50))
    value *= RTR_TOTAL_VALUE / value.sum()
    value = np.maximum(np.round(value, -3), 315_000)
    starts = [start for start, count in RTR_COHORTS for _ in range(count)]
    forms = rng.choice(len(_RTR_FORMS), size=50, p=_RTR_FORM_WEIGHTS)
    for i, pct_index in enumerate(rtr_pcts):
        parent = out.rows[pcts[pct_index]]
        form = _RTR_FORMS[forms[i]]
        key = out.add(
            name=names.spin_out_name(places[pct_index], form, int(rng.integers(6))),
            kind="provider",
            legal_form=form,
            parent_key=parent["key"],
            spinout_date=starts[i],
            staff_count=int(staff[i]),
            region=parent["region"],
            programme="right-to-request",
            annual_income=float(value[i]),
            services=_pick(rng, HEALTH_SERVICES, 2, 5),
        )
        out.memberships.append(("right-to-request", key, "spin_out"))


def _social_work(rng, out: _Rows, places, councils, pilot_councils) -> None:
    for pilot, council_index in zip(SOCIAL_WORK_PILOTS, pilot_councils, strict=True):
        council = out.rows[councils[council_index]]
        key = out.add(
            name=pilot.pattern.format(places[council_index]),
            kind="provider",
            legal_form=pilot.legal_form,
            parent_key=council["key"],
            spinout_date=pilot.start,
            exit_date=pilot.exit,
            staff_count=pilot.staff,
            region=council["region"],
            programme="social-work-practices",
            children=pilot.children,
            annual_income=round(pilot.children * 28_000 * float(rng.uniform(0.9, 1.1)), -3),
            services=list(SOCIAL_SERVICES),
        )
        out.memberships.append(("social-work-practices", key, "spin_out"))


def _integrated_care(rng, out: _Rows, places, pcts, ic_pcts) -> None:
    mutuals = (
        ("{} Care Partnership Ltd", "community_benefit_society", date(2011, 7, 1), None, 800),
        ("{} Health and Care CIC", "cic_shares", date(2011, 10, 1), date(2016, 10, 1), 400),
    )
    for (pattern, form, start, exit_date, staff), index in zip(mutuals, ic_pcts, strict=True):
        parent = out.rows[pcts[index]]
        key = out.add(
            name=pattern.format(places[index]),
            kind="provider",
            legal_form=form,
            parent_key=parent["key"],
            spinout_date=start,
            exit_date=exit_date,
            staff_count=staff,
            region=parent["region"],
            programme="integrated-care",
            annual_income=round(staff * 42_000 * float(rng.uniform(0.95, 1.05)), -3),
            services=_pick(rng, HEALTH_SERVICES, 2, 4) + list(INTEGRATED_SERVICES),
        )
        out.memberships.append(("integrated-care", key, "spin_out"))


def _comparators(rng, out: _Rows, places, pcts, councils, pilot_councils, health, social):
    titles = names.unique_pairs(rng, places, names.COMPARATOR_KINDS, health)
    parents = rng.choice(len(pcts), size=health)
    trusts = rng.random(health) < 0.25
    staff = np.clip(np.round(np.exp(rng.normal(np.log(150), 0.8, size=health))), 8, 2500)
    ic_share = max(20, health // 25)
    for i in range(health):
        parent = out.rows[pcts[parents[i]]]
        key = out.add(
            name=titles[i] + (" NHS Trust" if trusts[i] else ""),
            kind="comparator",
            legal_form="nhs_trust" if trusts[i] else "in_house_unit",
            parent_key=parent["key"],
            staff_count=int(staff[i]),
            region=parent["region"],
            annual_income=round(
                float(staff[i]) * VALUE_PER_STAFF * float(rng.uniform(0.85, 1.15)), -3
            ),
            services=_pick(rng, HEALTH_SERVICES, 2, 4),
        )
        out.memberships.append(("right-to-request", key, "comparator"))
        if i < ic_share:
            out.memberships.append(("integrated-care", key, "comparator"))
    others = [c for i, c in enumerate(councils) if i not in pilot_councils]
    titles = names.unique_pairs(rng, places, names.SOCIAL_COMPARATOR_KINDS, social)
    for i in range(social):
        council = out.rows[others[int(rng.integers(len(others)))]]
        children = int(rng.integers(60, 400))
        key = out.add(
            name=titles[i],
            kind="comparator",
            legal_form="in_house_unit",
            parent_key=council["key"],
            staff_count=max(8, children // 10),
            region=council["region"],
            children=children,
            annual_income=round(children * 26_000 * float(rng.uniform(0.9, 1.1)), -3),
            services=list(SOCIAL_SERVICES),
        )
        out.memberships.append(("social-work-practices", key, "comparator"))


def _pick(rng, options: tuple[str, ...], low: int, high: int) -> list[str]:
    count = int(rng.integers(low, high + 1))
    return sorted(options[i] for i in rng.choice(len(options), size=count, replace=False))


def _identifiers(rng, rows: list[dict]) -> None:
    """ODS codes, Companies House and charity numbers, each distinct."""
    pcts = [r for r in rows if r["legal_form"] == "nhs_commissioner"]
    for row, code in zip(pcts, names.pct_codes(rng, len(pcts)), strict=True):
        row["ods_code"] = code
    providers = [r for r in rows if r["kind"] == "provider"]
    health = [r for r in providers if r["programme"] != "social-work-practices"]
    with_ods = [r for r in health if rng.random() < 0.6]
    for row, code in zip(with_ods, names.ods_codes(rng, "N", len(with_ods), 2), strict=True):
        row["ods_code"] = code
    societies = [
        r for r in providers if r["legal_form"] in ("community_benefit_society", "cooperative")
    ]
    for row, number in zip(societies, names.numbers(rng, 1000, 9999, len(societies)), strict=True):
        row["company_number"] = f"RS{number:06d}"
    companies = [
        r for r in providers if r["legal_form"] in ("cic_guarantee", "cic_shares", "company")
    ]
    for row, number in zip(
        companies, names.numbers(rng, 6_500_000, 8_400_000, len(companies)), strict=True
    ):
        row["company_number"] = f"{number:08d}"
    charities = [r for r in providers if r["legal_form"] == "charity"]
    for row, number in zip(
        charities, names.numbers(rng, 1_100_000, 1_150_000, len(charities)), strict=True
    ):
        row["charity_number"] = str(number)
    units = [
        r
        for r in rows
        if r["ods_code"] is None and r["legal_form"] in ("nhs_trust", "in_house_unit")
    ]
    health_units = [r for r in units if "social-work" not in _services_kind(r)]
    social_units = [r for r in units if "social-work" in _services_kind(r)]
    for group, prefix in ((health_units, "R"), (social_units, "L")):
        for row, code in zip(group, names.ods_codes(rng, prefix, len(group), 4), strict=True):
            row["ods_code"] = code


def _services_kind(row: dict) -> str:
    return "social-work" if set(row["services"]) == set(SOCIAL_SERVICES) else "health"


_SCHEMA = {
    "key": pl.Int64,
    "name": pl.Utf8,
    "kind": pl.Utf8,
    "legal_form": pl.Utf8,
    "ods_code": pl.Utf8,
    "company_number": pl.Utf8,
    "charity_number": pl.Utf8,
    "parent_key": pl.Int64,
    "spinout_date": pl.Date,
    "exit_date": pl.Date,
    "staff_count": pl.Int64,
    "region": pl.Utf8,
    "programme": pl.Utf8,
    "annual_income": pl.Float64,
    "children": pl.Int64,
    "services": pl.List(pl.Utf8),
}


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{k: row.get(k) for k in _SCHEMA} for row in rows], schema=_SCHEMA)
