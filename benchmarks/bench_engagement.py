"""Staff engagement on the small demo world: loading the synthetic surveys, scoring every
survey with suppression, and the engagement → quality link, on SQLite and PostgreSQL.

Each database is freshly migrated and given the small demo world (which loads its surveys
as part of ``load_world``). Then the surveys are deleted and loaded again on their own,
timed beside the baseline of the same responses written with Django's ``bulk_create``
(the database reader's imports are warmed first, as the rest of the demo load has done);
then every survey is scored through :func:`mutuals.engagement.results.survey_results`
(the one path every page, API call and download takes), and the link estimated for
patient experience (its first call includes statsmodels' import).

    uv run python benchmarks/bench_engagement.py [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _postgres import scratch_database

HERE = Path(__file__).resolve()
BENCH_DB = "mutuals_bench_engagement"


def timed(function, *args):
    began = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - began, value


def worker(database_url: str) -> dict:
    """Runs in a child process, so Django is set up for one database only."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "mutuals.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from mutuals.accounts.permissions import Viewer
    from mutuals.demo.load import load_world
    from mutuals.demo.world import build_world
    from mutuals.engagement import link
    from mutuals.engagement.demo import load_demo_surveys
    from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey
    from mutuals.engagement.results import results_table, survey_results
    from mutuals.evaluation.panels import quarterly_values
    from mutuals.returns.models import Metric

    call_command("migrate", verbosity=0)
    world = build_world("small", 2011)
    world_s, _ = timed(load_world, world)
    fields = ["survey_id", "group", *ITEM_COLUMNS]
    rows = list(Response.objects.values_list(*fields))
    Response.objects.all().delete()
    baseline_s, _ = timed(
        lambda: Response.objects.bulk_create(
            (Response(**dict(zip(fields, row, strict=True))) for row in rows), batch_size=2000
        )
    )
    Survey.objects.all().delete()
    quarterly_values(Metric.objects.get(code="patient-experience").pk)  # warm the reader's imports
    surveys_s, created = timed(lambda: load_demo_surveys(world.seed))
    with transaction.atomic():
        every = list(Survey.objects.select_related("organisation"))
    score_s, results = timed(survey_results, every)
    table_s, table = timed(results_table, results)
    metric = Metric.objects.get(code="patient-experience")
    auditor = Viewer(organisations={"auditor": frozenset()})  # every closed survey
    link_first_s, found = timed(lambda: link.estimate(metric, viewer=auditor))
    link_s, found = timed(lambda: link.estimate(metric, viewer=auditor))
    return {
        "world_s": world_s,
        "responses": created,
        "surveys": len(every),
        "surveys_s": surveys_s,
        "baseline_s": baseline_s,
        "score_s": score_s,
        "table_s": table_s,
        "rows": table.height,
        "hidden": sum(r.hidden_groups for r in results),
        "link_first_s": link_first_s,
        "link_s": link_s,
        "coef": found.estimate.coef,
        "ci": list(found.estimate.confint),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--worker", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    with tempfile.TemporaryDirectory() as folder:
        for name in ("sqlite", "postgres"):
            if args.only and name != args.only:
                continue
            url = (
                f"sqlite:///{folder}/eng.sqlite3"
                if name == "sqlite"
                else scratch_database(BENCH_DB)
            )
            env = {**os.environ, "MUTUALS_DATA_DIR": folder}
            command = [sys.executable, str(HERE), "--worker", url]
            output = subprocess.run(command, env=env, capture_output=True, text=True)
            if name == "postgres":
                scratch_database(BENCH_DB, drop_only=True)
            if output.returncode:
                sys.exit(f"The {name} run failed:\n{output.stderr}")
            r = json.loads(output.stdout.strip().splitlines()[-1])
            print(
                f"{name}: demo world with surveys loaded in {r['world_s']:.1f} s; "
                f"{r['surveys']} surveys, {r['responses']:,} responses"
            )
            print(
                f"  demo surveys alone {r['surveys_s']:.2f} s against bulk_create of the same "
                f"responses {r['baseline_s']:.2f} s ({r['baseline_s'] / r['surveys_s']:.1f}x)"
            )
            print(
                f"  every survey scored with suppression {r['score_s']:.2f} s "
                f"({r['rows']} rows shown, {r['hidden']} groups hidden); table {r['table_s']:.3f} s"
            )
            print(
                f"  link for patient experience {r['link_s']:.2f} s (first call "
                f"{r['link_first_s']:.1f} s): {r['coef']:+.2f} per point, 95% CI "
                f"{r['ci'][0]:.2f} to {r['ci'][1]:.2f}"
            )


if __name__ == "__main__":
    main()
