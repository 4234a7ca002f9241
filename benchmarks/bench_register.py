"""Member registers and staff control: demo load, import and the portfolio assessment.

In a fresh SQLite database, with ``--providers`` synthetic spin-outs (default 57, the small
demo world's number):

- **demo registers**: :func:`mutuals.governance.demo.load_registers` (bulk inserts, up to
  300 people a provider), against the same rows written by a bare ``bulk_create`` of the
  people alone (the floor any loader pays);
- **import**: one provider's 300 people and their holdings through ``import_register``
  (validated row by row, history-keeping, audited), against a bare ``bulk_create`` of
  the same people and holdings; the ratio is the price of validation and the audit trail;
- **portfolio assessment**: ``assess_many`` for every provider in a fixed number of
  queries, against one ``assess`` call per provider (the naive loop). Target: the
  dashboard's staff-control section under 1 s for the small world.

    uv run python benchmarks/bench_register.py [--providers N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_ASSESS_S = 1.0


def setup_django(folder: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["MUTUALS_DATA_DIR"] = str(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutuals.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_providers(n: int):
    from mutuals.registry.models import Organisation

    return Organisation.objects.bulk_create(
        Organisation(name=f"Bench Provider {i:04d}", kind="provider", legal_form="cic_shares",
                     region="east", spinout_date=dt.date(2011, 4, 1), staff_count=40 + 97 * i % 900)
        for i in range(n)
    )  # fmt: skip


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - started, out


def people_csv(folder: Path, n: int) -> tuple[Path, Path]:
    people = ["reference,name,role_group,employed_from,member_from"]
    holdings = ["reference,share_class,shares,valid_from"]
    for i in range(n):
        group = "senior" if i < 5 else "manager" if i < 40 else "frontline"
        people.append(f"B{i:04d},Person {i},{group},2011-04-01,2011-04-01")
        holdings.append(f"B{i:04d},Ordinary,1,2011-04-01")
    (folder / "people.csv").write_text("\n".join(people) + "\n")
    (folder / "holdings.csv").write_text("\n".join(holdings) + "\n")
    return folder / "people.csv", folder / "holdings.csv"


def bare_insert(organisation, n: int) -> None:
    from mutuals.governance.models import Holding, Person, ShareClass

    share_class = ShareClass.objects.create(organisation=organisation, name="Bare")
    people = Person.objects.bulk_create(
        Person(organisation=organisation, reference=f"X{i:04d}", name=f"Person {i}",
               role_group="frontline", employed_from=dt.date(2011, 4, 1),
               member_from=dt.date(2011, 4, 1))
        for i in range(n)
    )  # fmt: skip
    Holding.objects.bulk_create(
        Holding(person=p, share_class=share_class, shares=1, valid_from=dt.date(2011, 4, 1))
        for p in people
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=57)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        setup_django(folder)
        from mutuals.governance import control
        from mutuals.governance.demo import load_registers
        from mutuals.governance.models import Person
        from mutuals.governance.register.importing import import_register
        from mutuals.registry.models import Organisation

        providers = make_providers(args.providers)
        load_s, summary = timed(load_registers, 2011)
        extra = Organisation.objects.create(name="Bench import", kind="provider",
                                            legal_form="cic_shares", region="east")  # fmt: skip
        bare_people_s, _ = timed(bare_insert, extra, summary.people // max(summary.providers, 1))
        Person.objects.filter(organisation=extra).delete()
        files = people_csv(folder, 300)
        import_s, _ = timed(import_register, extra, people=files[0], holdings=files[1])
        bare_s, _ = timed(bare_insert, Organisation.objects.create(
            name="Bench bare", kind="provider", legal_form="cic_shares", region="east"), 300)  # fmt: skip
        day = dt.date(2015, 1, 1)
        many_s, results = timed(control.assess_many, providers, day)
        loop_s, _ = timed(lambda: [control.assess(p, day) for p in providers])
        flagged = sum(1 for _, r in results if r.flags)

    rows = [
        ("demo registers", f"{summary.providers} providers, {summary.people:,} people",
         f"{load_s:.2f} s", f"{load_s / summary.providers * 1000:.0f} ms a provider, "
         f"{load_s / summary.providers / bare_people_s:.1f}x a bare bulk_create of one "
         f"provider's people alone ({bare_people_s * 1000:.0f} ms)"),
        ("import 300 people + 300 holdings", "validated, audited", f"{import_s:.2f} s",
         f"{import_s / bare_s:.0f}x the bare bulk_create ({bare_s:.3f} s)"),
        ("assess every provider (assess_many)", f"{len(providers)} providers",
         f"{many_s:.2f} s", f"{loop_s / many_s:.1f}x faster than one assess per provider "
         f"({loop_s:.2f} s); target under {TARGET_ASSESS_S:.0f} s"),
        ("  providers with a flag", f"{flagged} of {len(providers)}", "", ""),
    ]  # fmt: skip
    for row in rows:
        print(f"{row[0]:<44} {row[1]:<28} {row[2]:>9}  {row[3]}")
    if many_s > TARGET_ASSESS_S:
        print(f"SLOWER THAN TARGET: {many_s:.2f} s > {TARGET_ASSESS_S} s", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
