"""Report downloads through the API follow the web's rules."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("role", "status"),
    [("auditor", 200), ("commissioner", 403), ("provider_manager", 403), ("public", 401)],
)
def test_the_portfolio_report_is_for_auditors(as_role, role, status):
    response = as_role(role).get("/reports/portfolio.html")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="value-for-money-')
        assert "Value for money" in response.content.decode()
    else:
        assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    ("role", "provider", "status"),
    [
        ("provider_manager", "health", 200),
        ("commissioner", "health", 200),  # its PCT commissions Brackenford
        ("commissioner", "practice", 403),
        ("provider_staff", "health", 403),
        ("auditor", "practice", 200),
    ],
)
def test_a_scorecard_is_for_those_who_may_see_the_returns(as_role, world, role, provider, status):
    response = as_role(role).get(f"/reports/providers/{world[provider].pk}.html")
    assert response.status_code == status, response.content[:300]


def test_a_scorecard_pdf_and_the_problems(as_role, world):
    auditor = as_role("auditor")
    pdf = auditor.get(f"/reports/providers/{world['health'].pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    missing = auditor.get(f"/reports/providers/{world['pct'].pk}.html")  # not a provider
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    assert auditor.get(f"/reports/providers/{world['health'].pk}.docx").status_code == 422
