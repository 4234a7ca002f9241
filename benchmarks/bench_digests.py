"""A daily digest to 2,000 subscribers through a real SMTP server, on SQLite and PostgreSQL.

Each database is freshly migrated and given a programme of 20 providers, a published
item about each, and 2,000 confirmed subscribers following the programme (every fourth a
signed-in commissioner, so alerts and ballots are checked against their roles). A local
aiosmtpd server receives the mail. Prints the time of ``digests.send`` (planning, claiming,
building each recipient's content, rendering, sending and marking every delivery) beside
the baseline: the same number of already-built messages sent with bare ``smtplib`` over
one connection (the faster of a run before and one after, so noise never flatters the
ratio), and the ratio beside its target (at most 3x). Also the time of a second run of
the same period, which must send nothing: the benchmark exits non-zero if it sends any.

The worker process first loads the URL configuration (the first ``reverse`` imports every
view, the API and the statistics libraries behind them: about two seconds). A ``mutuals
worker`` pays that once in its life, not per digest, so it is left out of the timing;
``--cold`` keeps it in.

    uv run python benchmarks/bench_digests.py [--recipients 2000] [--only sqlite|postgres]
        [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _postgres import scratch_database

HERE = Path(__file__).resolve()
BENCH_DB = "mutuals_bench_digests"
PROVIDERS = 20
TARGET = 3.0  # digests.send at most this many times bare smtplib


class Counter:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += len(envelope.rcpt_tos)
        return "250 OK"


def build(recipients: int, during):
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import Role
    from mutuals.publishing.models import Item, Publication, Subscriber, Subscription
    from mutuals.registry.models import Organisation, Programme, ProgrammeMembership

    programme = Programme.objects.create(
        code="bench", name="Benchmark programme", kind="user_defined"
    )
    for n in range(PROVIDERS):
        provider = Organisation.objects.create(
            name=f"Benchmark Provider {n}", kind="provider", legal_form="cic_guarantee",
            region="north_west",
        )  # fmt: skip
        ProgrammeMembership.objects.create(programme=programme, organisation=provider)
        item = Item.objects.create(
            key=f"scorecard:{provider.pk}", kind="scorecard", title=f"Scorecard {n}",
            organisation=provider, status="published", latest_version=1,
            last_published_at=during,
        )  # fmt: skip
        item.providers.add(provider)
        item.programmes.add(programme)
        Publication.objects.create(
            item=item, version=1, title=item.title, published_at=during, data={},
            content_sha256="0" * 64,
        )  # fmt: skip
    commissioner = Organisation.objects.create(
        name="Benchmark PCT", kind="commissioner", legal_form="nhs_commissioner",
        region="north_west",
    )  # fmt: skip
    users = get_user_model().objects
    subscribers = []
    for n in range(recipients):
        user = None
        if n % 4 == 0:
            user = users.create(username=f"c{n}@example.org", email=f"c{n}@example.org")
            Role.objects.create(user=user, role="commissioner", organisation=commissioner)
        subscribers.append(Subscriber(email=f"s{n}@example.org", user=user, confirmed_at=during))
    subscribers = Subscriber.objects.bulk_create(subscribers, batch_size=1000)
    Subscription.objects.bulk_create(
        (Subscription(subscriber=s, target="programme", programme=programme, frequency="daily")
         for s in subscribers),
        batch_size=1000,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bare_smtp(port: int, recipients: int) -> float:
    """Seconds to send ``recipients`` ready-made messages over one bare SMTP connection."""
    body = ("Subject: digest\r\nFrom: a@example.org\r\n\r\n" + ("x" * 70 + "\r\n") * 30).encode()
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(recipients):
            smtp.sendmail("a@example.org", [f"s{n}@example.org"], body)
    return time.perf_counter() - began


def worker(database_url: str, recipients: int, cold: bool = False) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "mutuals.settings"
    import datetime as dt

    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command
    from django.urls import get_resolver
    from django.utils import timezone

    from mutuals.publishing import digests, periods

    call_command("migrate", verbosity=0)
    day = dt.date(2026, 11, 20)
    build(recipients, timezone.make_aware(dt.datetime(2026, 11, 20, 9)))
    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    if not cold:
        get_resolver().check()  # imports every view: what a long-lived worker has loaded
    try:
        bare_before = bare_smtp(port, recipients)
        counter.received = 0
        period = periods.containing("daily", day)
        began = time.perf_counter()
        summary = digests.send("daily", period=period)
        send_s = time.perf_counter() - began
        assert summary.sent == recipients == counter.received, (summary, counter.received)
        began = time.perf_counter()
        again = digests.send("daily", period=period)
        rerun_s = time.perf_counter() - began
        resent = again.sent + counter.received - recipients
        bare_s = min(bare_before, bare_smtp(port, recipients))
    finally:
        controller.stop()
    return {
        "send_s": send_s,
        "rerun_s": rerun_s,
        "bare_s": bare_s,
        "sent": summary.sent,
        "resent": resent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--cold", action="store_true", help="time the URLconf's first import too")
    parser.add_argument("--worker", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.recipients, args.cold)))
        return
    print(f"A daily digest to {args.recipients:,} subscribers through a local SMTP server")
    print(
        f"{'database':<10}{'send':>10}{'per mail':>10}{'rerun':>10}{'bare SMTP':>11}"
        f"{'ratio':>8}{'target':>9}"
    )
    missed = []  # a target missed, or a period sent twice
    with tempfile.TemporaryDirectory() as folder:
        for name in ("sqlite", "postgres"):
            if args.only and name != args.only:
                continue
            url = (
                f"sqlite:///{folder}/digests.sqlite3"
                if name == "sqlite"
                else scratch_database(BENCH_DB)
            )
            env = {**os.environ, "MUTUALS_DATA_DIR": folder}
            command = [
                sys.executable,
                str(HERE),
                "--recipients",
                str(args.recipients),
                "--worker",
                url,
                *(["--cold"] if args.cold else []),
            ]
            output = subprocess.run(command, env=env, capture_output=True, text=True)
            if name == "postgres":
                scratch_database(BENCH_DB, drop_only=True)
            if output.returncode:
                sys.exit(f"The {name} run failed:\n{output.stderr}")
            r = json.loads(output.stdout.strip().splitlines()[-1])
            per_mail_ms = 1000 * r["send_s"] / r["sent"]
            ratio = r["send_s"] / r["bare_s"]
            verdict = "met" if ratio <= TARGET else "MISSED"
            if ratio > TARGET:
                missed.append(f"{name}: {ratio:.1f}x bare SMTP, above the {TARGET:.0f}x target")
            print(
                f"{name:<10}{r['send_s']:>9.2f}s{per_mail_ms:>8.1f}ms{r['rerun_s']:>9.2f}s"
                f"{r['bare_s']:>10.2f}s{ratio:>7.1f}x  <= {TARGET:.0f}x {verdict}"
            )
            if r["resent"]:
                missed.append(f"{name}: a second run of the period sent {r['resent']} again")
    if missed:
        sys.exit("\n".join(missed))


if __name__ == "__main__":
    main()
