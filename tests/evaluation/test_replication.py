"""A run's replication package lets an outsider reproduce it: issue #14's acceptance.

On the small demo world, a run's package is unpacked and its own ``reproduce_did.py``
is run as its README says, with csdid: every cohort effect and standard error must
match the run's to 1e-6. The package is the run's data only while the returns have not
changed, and only those who may read every provider's returns may download it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from functools import cache

import polars as pl
import pytest
from django.urls import reverse

from mutuals.demo.load import load_world
from mutuals.demo.world import build_world
from mutuals.engine.did import did
from mutuals.evaluation import replication
from mutuals.evaluation.models import EvaluationRun
from mutuals.evaluation.services import EvaluationConfig, evaluate
from mutuals.returns.models import CurrentObservation

CONFIG = EvaluationConfig(
    programmes=("right-to-request", "integrated-care"),
    metrics=("sickness-absence", "staff-turnover", "waiting-time-weeks"),
)


@cache
def small_world():
    return build_world("small", seed=2011)


@pytest.fixture
def run(db) -> EvaluationRun:
    load_world(small_world())
    return evaluate(CONFIG)


def _unpack(package: bytes, into) -> tuple:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        archive.extractall(into)
    (folder,) = into.iterdir()
    return folder


@pytest.mark.django_db
@pytest.mark.slow
def test_the_package_reproduces_the_did_estimates_in_csdid(run, tmp_path):
    folder = _unpack(replication.build(run), tmp_path)
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"README.md", "run.json", "results.csv", "organisations.csv", "reproduce_did.py",
            "reproduce_did.R"} <= names  # fmt: skip
    assert any(n.startswith("panels/did/") for n in names)
    assert any(n.startswith("panels/synth/") for n in names)
    about = json.loads((folder / "run.json").read_text())
    assert about["fingerprint"] == run.fingerprint and about["code_version"] == run.code_version
    assert run.fingerprint in (folder / "README.md").read_text()
    # the README's command, as an outsider would run it
    done = subprocess.run(
        [sys.executable, "reproduce_did.py"], cwd=folder, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    checked, worst = re.search(
        r"(\d+) cohort effects; largest difference (\S+)", done.stdout
    ).groups()
    assert int(checked) == run.results.filter(method="did").exclude(att=None).count() > 0
    assert float(worst) <= 1e-6


@pytest.mark.django_db
def test_the_panels_are_what_the_estimator_saw(run, tmp_path):
    folder = _unpack(replication.build(run), tmp_path)
    with open(folder / "results.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["method"] == "did" and r["att"]]
    panel = rows[0]["panel"]
    result = did(
        pl.read_csv(folder / panel), outcome="outcome", unit="unit", time="time",
        cohort="cohort", small_sample=True,
    )  # fmt: skip
    for row in (r for r in rows if r["panel"] == panel):
        year, quarter = row["cohort"].split("-Q")
        g = int(year) * 4 + int(quarter) - 1
        effect = result.group.filter(pl.col("g") == g).row(0, named=True)
        assert effect["att"] == float(row["att"]) and effect["se"] == float(row["se"])


@pytest.mark.django_db
def test_changed_returns_refuse_the_package_rather_than_pass_off_other_data(run):
    observation = CurrentObservation.objects.filter(
        metric__code="sickness-absence", organisation__programmes__code="right-to-request"
    ).first()
    observation.value += 0.25
    observation.save(update_fields=["value"])
    with pytest.raises(replication.ReplicationError, match="returns have changed"):
        replication.build(run)


@pytest.mark.django_db
def test_only_those_who_read_every_provider_s_returns_may_download_it(client, run):
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import Role, RoleName
    from mutuals.registry.models import Organisation, OrganisationKind

    def person(role: str, organisation=None):
        user = get_user_model().objects.create_user(f"{role}@example.org", password="x-12345-y")
        Role.objects.create(user=user, role=role, organisation=organisation)
        return user

    url = reverse("evaluation-run-replication", args=[run.pk])
    commissioning = Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER).first()
    client.force_login(person(RoleName.COMMISSIONER, commissioning))
    assert client.get(url).status_code == 403
    assert url not in client.get(run.get_absolute_url()).content.decode()
    client.force_login(person(RoleName.AUDITOR))
    assert f'href="{url}"' in client.get(run.get_absolute_url()).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "private" in response["Cache-Control"]
    CurrentObservation.objects.filter(metric__code="staff-turnover").update(value=1.0)
    refused = client.get(url)
    assert refused.status_code == 409 and "returns have changed" in refused.content.decode()
