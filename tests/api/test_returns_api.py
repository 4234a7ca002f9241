"""Bulk submission of returns through the API: the CLI's rules, all or nothing."""

from __future__ import annotations

import pytest

from mutuals.accounts.models import ApiToken, AuditEvent
from mutuals.returns.models import CurrentObservation, Observation, Submission

PROBLEM = "application/problem+json"


def rows(*extra: dict, count: int = 3) -> dict:
    base = [
        {"organisation": "NQX01", "metric": "sickness-absence", "period": f"2012-Q{q}", "value": v}
        for q, v in zip(range(1, count + 1), (4.0, 3.9, 3.5, 3.1), strict=False)
    ]
    return {"rows": base + list(extra)}


def test_a_provider_manager_submits_json_rows(world, as_role):
    response = as_role("provider_manager").post("/returns", rows(count=3))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rows"] == 3 and body["imported"] == 3 and body["new_versions"] == 0
    submission = Submission.objects.get(pk=body["submission_id"])
    assert submission.source == "api" and submission.submitted_by.username == "pm@example.org"
    assert response["Location"] == f"/api/v1/submissions/{submission.pk}"
    event = AuditEvent.objects.get(action="returns.import", object_id=str(submission.pk))
    assert event.organisation.ods_code == "NQX01"  # the one organisation the rows are for
    stored = CurrentObservation.objects.filter(submission=submission).order_by("period_start")
    assert [o.value for o in stored] == [4.0, 3.9, 3.5]


def test_one_bad_row_rejects_the_whole_submission_naming_row_and_field(world, as_role):
    before = Observation.objects.count()
    bad = {"organisation": "NQX01", "metric": "sickness-absence", "period": "2013-Q1"}
    response = as_role("provider_manager").post("/returns", rows({**bad, "value": True}))
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["type"] == "/api/v1/problems/invalid-returns"
    assert problem["instance"] == "/api/v1/returns"
    assert problem["errors"] == [
        {
            "row": 4,
            "field": "value",
            "message": "true is a boolean, not a number: send a JSON number",
            "pointer": "/rows/3/value",
        }
    ]
    assert Observation.objects.count() == before


def test_the_cli_rules_apply_to_json_rows(world, as_role):
    before = Observation.objects.count()
    submitted = rows(
        {"organisation": "NQX01", "metric": "no-such-metric", "period": "2013-Q1", "value": 1},
        {"organisation": "NQX01", "metric": "sickness-absence", "period": "2012-Q1", "value": 2},
        {"organisation": "NQX01", "metric": "sickness-absence", "period": "2013-Q5", "value": 2},
    )
    response = as_role("provider_manager").post("/returns", submitted)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        (4, "metric"),
        (5, "period"),
        (6, "period"),
    ]
    assert "'no-such-metric' is not a metric code" in errors[0]["message"]
    assert errors[1]["message"] == "repeats row 1 (same organisation, metric and period)"
    assert Observation.objects.count() == before


def test_csv_rows_name_the_line_a_spreadsheet_shows(world, as_role):
    csv = (
        "organisation,metric,period,value\n"
        "NQX01,sickness-absence,2012-Q1,4.0\n"
        "NQX01,sickness-absence,2012-Q2,twelve\n"
    )
    response = as_role("provider_manager").post("/returns", csv, content_type="text/csv")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 3, "field": "value", "message": "'twelve' is not a number"}
    ]
    good = csv.replace("twelve", "3.5")
    response = as_role("provider_manager").post("/returns", good, content_type="text/csv")
    assert response.status_code == 201 and response.json()["imported"] == 2


def test_a_resubmission_adds_a_version(world, as_role):
    first = {"organisation": "NQX01", "metric": "visits-on-time", "period": "2011-Q3"}
    response = as_role("provider_manager").post("/returns", {"rows": [{**first, "value": 94.0}]})
    assert response.json()["new_versions"] == 1
    versions = Observation.objects.filter(organisation=world["health"], period="2011-Q3")
    assert sorted(versions.filter(metric=world["visits"]).values_list("version", flat=True)) == [
        1,
        2,
        3,
    ]


def test_a_provider_manager_cannot_submit_for_another_organisation(world, as_role):
    other = {"organisation": "RS007001", "metric": "visits-on-time", "period": "2012-Q1"}
    response = as_role("provider_manager").post("/returns", rows({**other, "value": 80}))
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["row"] == 4 and error["field"] == "organisation"
    assert not Observation.objects.filter(organisation=world["practice"]).exists()


@pytest.mark.parametrize("role", ["commissioner", "auditor", "provider_staff"])
def test_only_provider_managers_submit(world, as_role, role):
    response = as_role(role).post("/returns", rows())
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "provider's managers" in response.json()["detail"]


def test_a_read_only_token_cannot_submit(world, people, api):
    _, token = ApiToken.objects.issue(people["provider_manager"], ["read"])
    response = api.post("/returns", rows(), token=token)
    assert response.status_code == 403
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/missing-scope"
    assert "submit-returns scope" in problem["detail"]


def test_an_admin_token_holds_every_scope(world, people, api):
    _, token = ApiToken.objects.issue(people["provider_manager"], ["admin"])
    assert api.post("/returns", rows(), token=token).status_code == 201


def test_bodies_that_are_not_rows_are_refused_with_a_reason(world, as_role, settings):
    manager = as_role("provider_manager")
    response = manager.post("/returns", "a,b\n", content_type="text/plain")
    assert response.status_code == 415 and response["Content-Type"] == PROBLEM
    response = manager.post("/returns", '{"rows": [', content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]
    response = manager.post("/returns", {"rows": []})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "rows"
    response = manager.post("/returns", {"rows": [{"organisation": "NQX01"}], "extra": 1})
    fields = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert fields == {(1, "metric"), (1, "period"), (1, "value"), (None, "extra")}
    response = manager.post("/returns", "organisation,metric\n", content_type="text/csv")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"period", "value"}
    settings.API_MAX_UPLOAD_MB = 0
    assert manager.post("/returns", rows()).status_code == 413


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_one_bad_row_among_thousands_rejects_them_all(world, as_role, content_type, settings):
    settings.RETURNS_FIRST_PERIOD = "1800-Q1"  # 2,500 distinct months, 1800-01 to 2008-04
    periods = [f"{year}-{month:02d}" for year in range(1800, 2100) for month in range(1, 13)]
    body = [
        {"organisation": "NQX01", "metric": metric, "period": period, "value": 1.5}
        for metric in ("sickness-absence", "visits-on-time")
        for period in periods[:2500]
    ]
    body[3216]["value"] = -2.0  # a share cannot be negative
    if content_type == "text/csv":
        lines = [f"{r['organisation']},{r['metric']},{r['period']},{r['value']}" for r in body]
        sent = "organisation,metric,period,value\n" + "\n".join(lines) + "\n"
        row = 3216 + 2  # the CSV line, counting the header as line 1
    else:
        sent, row = {"rows": body}, 3216 + 1
    before = Observation.objects.count()
    response = as_role("provider_manager").post("/returns", sent, content_type=content_type)
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "Nothing was imported: 1 problem(s) in 1 of 5000 row(s)."
    assert problem["errors"] == [
        {"row": row, "field": "value", "message": "-2.0 is negative, and this metric cannot be"}
    ]
    assert Observation.objects.count() == before
