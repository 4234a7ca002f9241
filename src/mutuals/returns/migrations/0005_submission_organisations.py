"""Which organisations each submission carried, kept in a table of its own rather than found
through an index of every observation by its submission (see SubmissionOrganisation)."""

import django.db.models.deletion
from django.db import migrations, models

CARRIED = """
INSERT INTO returns_submissionorganisation (submission_id, organisation_id)
SELECT DISTINCT submission_id, organisation_id FROM returns_observation
WHERE organisation_id IN (SELECT id FROM registry_organisation)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("returns", "0004_observation_submission_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SubmissionOrganisation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.organisation",
                    ),
                ),
                (
                    "submission",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="carried",
                        to="returns.submission",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("submission", "organisation"),
                        name="one_row_per_carried_organisation",
                    )
                ],
            },
        ),
        migrations.RunSQL(CARRIED, migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="observation", name="observation_submission"),
    ]
