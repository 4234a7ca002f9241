"""What every caller meets: paging in a stable order, filters, problems for every error
(ninja's own, 404 and 405 included), rate limits and strict types."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from mutuals.evaluation.models import Alert
from mutuals.registry.models import Organisation

PROBLEM = "application/problem+json"


def test_pages_follow_one_another_in_id_order(world, api):
    first = api.get("/organisations", limit=3).json()
    assert [o["id"] for o in first["results"]] == sorted(
        Organisation.objects.values_list("pk", flat=True)
    )[:3]
    assert first["previous"] is None and first["next"].endswith("limit=3&offset=3")
    seen = [o["id"] for o in first["results"]]
    url = first["next"]
    while url:
        page = api.client.get(url).json()
        seen += [o["id"] for o in page["results"]]
        url = page["next"]
    assert seen == sorted(Organisation.objects.values_list("pk", flat=True))


def test_organisations_can_be_filtered(world, api):
    def names(**params):
        return {o["name"] for o in api.get("/organisations", **params).json()["results"]}

    health = "Brackenford Community Health CIC"
    assert names(organisation="NQX01") == {health}
    assert names(organisation="07123456") == {health}
    assert names(organisation=str(world["health"].pk)) == {health}
    assert names(programme="integrated-care") == {health}
    assert names(kind="comparator") == {
        "Comparator Community Services 1",
        "Comparator Community Services 2",
    }


def test_an_organisation_reads_as_the_register_holds_it(world, api):
    body = api.get(f"/organisations/{world['health'].pk}").json()
    assert body["identifier"] == "NQX01" and body["services"] == ["District nursing"]
    assert body["programmes"] == [
        {"programme": "integrated-care", "role": "spin_out"},
        {"programme": "right-to-request", "role": "spin_out"},
    ]


def test_contracts_carry_their_objectives_and_filter_by_either_party(world, api):
    def references(**params):
        return {c["reference"] for c in api.get("/contracts", **params).json()["results"]}

    assert references(organisation="5QX") == {"RTR-0001", "RTR-0002"}  # the PCT commissions
    assert references(organisation="NQX01") == {"RTR-0001"}
    assert references(status="terminated") == {"RTR-0002"}
    contract = api.get(f"/contracts/{world['health_contract'].pk}").json()
    assert contract["annual_value"] == "12500000.10"
    assert contract["commissioners"] == [
        {"id": world["pct"].pk, "name": "Brackenford Primary Care Trust", "identifier": "5QX"}
    ]
    objective = contract["objectives"][0]
    assert objective["metric"] == "visits-on-time" and objective["is_measurable"] is True
    assert contract["baseline"]["quality_metric"] == "visits-on-time"


def test_returns_filter_by_metric_and_period(world, as_role):
    auditor = as_role("auditor")

    def periods(**params):
        body = auditor.get("/returns", **params).json()
        return sorted((r["metric"], r["period"], r["value"]) for r in body["results"])

    assert periods(metric="visits-on-time") == [
        ("visits-on-time", "2011-Q2", 90.0),
        ("visits-on-time", "2011-Q3", 93.25),  # the current version only
    ]
    assert periods(period_from="2011-Q3") == [
        ("sickness-absence", "2011-Q3", 4.1),
        ("visits-on-time", "2011-Q3", 93.25),
    ]
    assert periods(period_to="2011-06", metric="sickness-absence") == [
        ("sickness-absence", "2011-Q2", 4.5)
    ]
    assert len(periods(period_from="2011/12", period_to="2011/12")) == 4
    assert periods(organisation="RS007001") == []


def test_alerts_filter_by_state_and_period(world, as_role):
    common = {"organisation": world["health"], "metric": world["visits"], "kind": "concern"}
    Alert.objects.create(**common, period="2011-Q2", rule="run")
    Alert.objects.create(**common, period="2012-Q1", rule="trend", is_open=False)
    auditor = as_role("auditor")

    def rules(**params):
        return [a["rule"] for a in auditor.get("/alerts", **params).json()["results"]]

    assert rules() == ["run", "trend"]
    assert rules(is_open="true") == ["run"]
    assert rules(period_from="2012-01") == ["trend"]
    assert rules(metric="sickness-absence") == []


def test_bad_parameters_are_problems_naming_the_parameter(world, as_role):
    response = as_role("auditor").get("/returns", limit="lots")
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [
        {"row": None, "field": "limit", "message": '"lots" is not a whole number'}
    ]
    response = as_role("auditor").get("/returns", limit="0")
    assert response.json()["errors"][0]["field"] == "limit"
    response = as_role("auditor").get("/returns", period_from="2011/15")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "period_from"
    assert "the year after 2011" in response.json()["errors"][0]["message"]
    response = as_role("auditor").get("/returns", organization="NQX01")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": None, "field": "organization", "message": "not a parameter of this operation"}
    ]
    assert "organisation" in response.json()["detail"]


def test_evaluation_requests_are_strict(world, as_role, monkeypatch):
    monkeypatch.setattr("mutuals.evaluation.services.start", lambda run: None)
    auditor = as_role("auditor")
    response = auditor.post("/evaluations", {"programmes": "right-to-request"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "programmes"
    response = auditor.post("/evaluations", {"programmes": ["no-such-programme"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "programmes"
    assert "known: integrated-care, right-to-request" in response.json()["detail"]
    response = auditor.post("/evaluations", {"as_of": 2013})
    assert response.json()["errors"][0] == {
        "row": None,
        "field": "as_of",
        "message": "2013 is not text: send a JSON string",
        "pointer": "/as_of",
    }
    response = auditor.post("/evaluations", "")
    assert response.json()["errors"][0]["message"] == "send a JSON object as the body, such as {}"


def test_unknown_paths_and_wrong_methods_are_problems(world, api):
    response = api.get("/nothing-here")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert "openapi.json" in response.json()["detail"]
    response = api.get("/organisations/")
    assert (
        response.status_code == 404
        and "did you mean /api/v1/organisations?" in response.json()["detail"]
    )
    response = api.get("/organisations/not-a-number")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "id"
    response = api.get("/organisations/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no organisation 999999 that you may see."
    response = api.client.delete("/api/v1/organisations")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert (
        response["Content-Type"] == PROBLEM and "DELETE is not allowed" in response.json()["detail"]
    )


def test_problem_types_explain_themselves(api):
    response = api.get("/problems/invalid-returns")
    assert response.status_code == 200 and response.json()["title"] == "Returns rejected"


def test_the_document_describes_every_error_as_a_problem(api):
    document = api.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "403", "404", "422", "429"} <= statuses, (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    (media_type,) = response["content"]
                    assert media_type == PROBLEM, (method, path, status)
    submit = document["paths"]["/api/v1/returns"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert submit["security"] == [{"bearerToken": ["submit-returns"]}]
    assert document["paths"]["/api/v1/organisations"]["get"]["security"] == [
        {"bearerToken": ["read"]},
        {},
    ]


class Clock:
    """Time standing still 20 s into a minute, until moved on."""

    def __init__(self):
        self.now = 60 * 1_000_000 + 20.0

    def time(self) -> float:
        return self.now


def test_each_token_has_a_rate_limit(world, as_role, api, settings, monkeypatch):
    settings.API_RATE_LIMIT = 3
    clock = Clock()
    monkeypatch.setattr("mutuals.api.ratelimit.time", clock)
    cache.clear()
    auditor = as_role("auditor")
    assert [auditor.get("/metrics").status_code for _ in range(3)] == [200, 200, 200]
    response = auditor.get("/metrics")
    assert response.status_code == 429 and response["Content-Type"] == PROBLEM
    assert response["Retry-After"] == "40"
    assert "API_RATE_LIMIT" in response.json()["detail"]
    # Another token, and the public, count separately.
    assert as_role("commissioner").get("/metrics").status_code == 200
    assert api.get("/metrics").status_code == 200
    clock.now += 40  # the next minute
    assert auditor.get("/metrics").status_code == 200


@pytest.mark.parametrize("value", [True, "4.5", None, [4.5]])
def test_a_value_must_be_a_json_number(world, as_role, value):
    row = {
        "organisation": "NQX01",
        "metric": "sickness-absence",
        "period": "2012-Q1",
        "value": value,
    }
    response = as_role("provider_manager").post("/returns", {"rows": [row]})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["row"], error["field"]) == (1, "value")


def test_the_root_says_where_to_start(api):
    body = api.get("/").json()
    assert body["openapi"].endswith("/api/v1/openapi.json")
    assert body["returns"].endswith("/api/v1/returns")
