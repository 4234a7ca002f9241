import subprocess
import sys
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from mutuals.accounts.demo import DEMO_PASSWORD
from mutuals.demo.accounts import assign_demo_roles, ensure_demo_users
from mutuals.registry.models import Organisation


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, build the synthetic world if the database has none (with "
        "its monitoring alerts and a first impact evaluation), create the demo accounts "
        "and serve the site on 127.0.0.1, with a queue worker beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "national"], default=settings.DEMO_SCALE)
        parser.add_argument("--seed", type=int, default=settings.DEMO_SEED)
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare everything but do not serve"
        )

    def _workbench(self) -> None:
        """Monitor every series and evaluate every programme, so the workbench has figures."""
        from mutuals.evaluation.monitoring import run_monitoring
        from mutuals.evaluation.services import EvaluationConfig, evaluate

        summary = run_monitoring()
        self.stdout.write(f"Monitoring: {summary.opened} alerts on {summary.series:,} series.")
        run = evaluate(EvaluationConfig())
        self.stdout.write(f"Evaluation run {run.pk}: {run.results.count()} results.")

    def handle(self, *args, scale, seed, port, no_serve, **options):
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        if not Organisation.objects.exists():
            truth = settings.DATA_DIR / "demo-truth.json"
            call_command("demo-data", scale=scale, seed=seed, truth_out=str(truth))
            self._workbench()
        else:
            self.stdout.write("The database already holds a world; using it.")
        users = ensure_demo_users()
        for role, where in assign_demo_roles().items():
            self.stdout.write(f"  {role}@demo.invalid: {where}")
        from mutuals.governance.ballots.demo import hold_demo_ballots

        for line in hold_demo_ballots(seed):
            self.stdout.write(line)
        from mutuals.events.demo import hold_demo_events

        for line in hold_demo_events(seed):
            self.stdout.write(line)
        from mutuals.publishing.demo import publish_demo_material

        if published := publish_demo_material():
            self.stdout.write(f"Published {len(published)} items, with comments, at /published/.")
        from mutuals.engagement.demo import open_demo_survey

        for line in open_demo_survey():
            self.stdout.write(line)
        self.stdout.write(f"Ready in {time.monotonic() - started:.0f} s.")
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}): {', '.join(users)}")
        if no_serve:
            return
        self.stdout.write(self.style.SUCCESS(f"Open http://127.0.0.1:{port}/"))
        with background_worker():
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)


@contextmanager
def background_worker():
    """A `mutuals worker` beside the demo's web server, for the work it queues (evaluation
    runs, report PDFs); stopped with it."""
    worker = subprocess.Popen([sys.executable, "-m", "mutuals.cli", "worker"])
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
