"""One index for an observation's two rules (see ``Observation.Meta``). The partial index
goes first, so the rebuild of the table that SQLite needs to drop the other (a constraint
of its ``CREATE TABLE``) copies the rows with no index to keep, and the new index is built
once, over the rows in place."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("returns", "0005_submission_organisations"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="observation", name="one_current_version"),
        migrations.RemoveConstraint(model_name="observation", name="one_row_per_version"),
        migrations.AddConstraint(
            model_name="observation",
            constraint=models.UniqueConstraint(
                models.F("organisation"),
                models.F("metric"),
                models.F("period"),
                models.Case(
                    models.When(is_current=True, then=models.Value(-1)),
                    default=models.F("version"),
                    output_field=models.IntegerField(),
                ),
                name="one_current_version_and_distinct_versions",
            ),
        ),
    ]
