"""``mutuals demo --no-serve`` prepares a world the workbench can show at once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from mutuals.evaluation.models import Alert, EvaluationRun, RunStatus


@pytest.mark.django_db
def test_the_demo_arrives_monitored_and_evaluated(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    run = EvaluationRun.objects.get()
    assert run.status == RunStatus.DONE and run.results.exists()
    assert Alert.objects.filter(is_open=True).exists()
    text = out.getvalue()
    assert "Monitoring:" in text and f"Evaluation run {run.pk}:" in text
    assert "auditor@demo.invalid" in text
