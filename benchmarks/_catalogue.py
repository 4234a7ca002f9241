"""Set-up shared by the benchmarks that import returns: Django on one database, with the
demo world's metric catalogue and organisations (but none of its returns)."""

from __future__ import annotations

import os


def setup_catalogue(database_url: str, scale: str):
    """Migrate ``database_url``, insert the world's organisations and metrics; the world."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "mutuals.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from mutuals.demo.world import build_world
    from mutuals.registry.models import Organisation
    from mutuals.returns.models import Metric

    call_command("migrate", verbosity=0)
    world = build_world(scale)
    Organisation.objects.bulk_create(
        Organisation(
            name=row["name"],
            kind=row["kind"],
            legal_form=row["legal_form"],
            ods_code=row["ods_code"],
            company_number=row["company_number"],
            charity_number=row["charity_number"],
            region=row["region"],
        )
        for row in world.organisations.iter_rows(named=True)
    )
    Metric.objects.bulk_create(
        Metric(
            code=m.code,
            name=m.name,
            unit=m.unit,
            direction=m.direction,
            domain=m.domain,
            allows_negative=m.allows_negative,
        )
        for m in world.metrics
    )
    return world
