import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mutuals.demo.load import DemoWorldExistsError, load_world
from mutuals.demo.world import build_world


class Command(BaseCommand):
    help = (
        "Generate the synthetic demo world (fictional organisations, contracts and "
        "quarterly returns 2007-2019 with documented true effects) and load it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=["small", "national"],
            default=settings.DEMO_SCALE,
            help="small: about 150 comparators; national: about 5,000 (2m+ returns).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=settings.DEMO_SEED,
            help="random seed; the same seed gives the same world",
        )
        parser.add_argument(
            "--truth-out",
            dest="truth_out",
            default=None,
            metavar="FILE.json",
            help="where to write the true effects (default: MUTUALS_DATA_DIR/demo-truth.json)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the registry, contracts and returns first",
        )

    def handle(self, *args, scale, seed, truth_out, replace, **options):
        started = time.monotonic()
        world = build_world(scale, seed)
        built = time.monotonic()
        self.stdout.write(f"Built the {scale} demo world (seed {seed}) in {built - started:.1f} s.")
        try:
            summary = load_world(world, replace=replace)
        except DemoWorldExistsError as error:
            raise CommandError(str(error)) from None
        loaded = time.monotonic()
        path = Path(truth_out) if truth_out else Path(settings.DATA_DIR) / "demo-truth.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(world.truth, indent=1) + "\n", encoding="utf-8")
        self.stdout.write(
            f"Loaded {summary.organisations:,} organisations, {summary.memberships:,} "
            f"programme memberships, {summary.contracts:,} contracts "
            f"({summary.objectives:,} objectives) and {summary.observations:,} observations "
            f"in {loaded - built:.1f} s."
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(world.truth):,} true effects to {path}. "
                f"Total {time.monotonic() - started:.1f} s."
            )
        )
