"""POST /api/v1/returns against the faults an outside test found: periods that cannot
exist, a 100,000-character period echoed whole, unknown columns, UTF-16 and infinities."""

from __future__ import annotations

from mutuals.returns.models import Observation

ROW = {"organisation": "NQX01", "metric": "visits-on-time", "period": "2011-Q2", "value": 1.0}


def _only_error(response) -> dict:
    assert response.status_code == 422, response.content[:500]
    [error] = response.json()["errors"]
    return error


def test_a_period_that_cannot_exist_is_refused_with_the_range(world, as_role):
    response = as_role("provider_manager").post("/returns", {"rows": [ROW | {"period": "9999-Q4"}]})
    error = _only_error(response)
    assert (error["row"], error["field"]) == (1, "period")
    assert error["message"].startswith("'9999-Q4' is after ")
    assert "returns can be for periods from 2000-Q1 to" in error["message"]
    assert not Observation.objects.filter(period="9999-Q4").exists()


def test_a_huge_period_is_quoted_as_an_excerpt(world, as_role):
    period = "2011-Q2" + "x" * 100_000
    response = as_role("provider_manager").post("/returns", {"rows": [ROW | {"period": period}]})
    assert len(response.content) < 2_000
    message = _only_error(response)["message"]
    assert message.startswith(f"'{period[:40]}…' is not a period")


def test_csv_bodies_name_unknown_columns_and_wrong_encodings(world, as_role):
    manager = as_role("provider_manager")
    misspelt = "organisation,metric,period,value,numerater\nNQX01,visits-on-time,2011-Q2,1,1\n"
    error = _only_error(manager.post("/returns", misspelt, content_type="text/csv"))
    assert "'numerater'" in error["message"] and "optionally numerator" in error["message"]
    utf16 = "organisation,metric,period,value\nNQX01,visits-on-time,2011-Q2,1\n".encode("utf-16")
    error = _only_error(manager.post("/returns", utf16, content_type="text/csv"))
    assert "saved as UTF-16 text" in error["message"] and "CSV UTF-8" in error["message"]
    header_only = "organisation,metric,period,value\n"
    error = _only_error(manager.post("/returns", header_only, content_type="text/csv"))
    assert "has column headings but no rows" in error["message"]
    minus_infinity = "organisation,metric,period,value\nNQX01,visits-on-time,2011-Q2,-inf\n"
    error = _only_error(manager.post("/returns", minus_infinity, content_type="text/csv"))
    assert error["message"] == "'-inf' is not a finite number: enter the number itself"
    assert not Observation.objects.filter(submission__source="api").exists()
