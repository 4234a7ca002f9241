"""Who sees which survey results, pages and the portfolio link (MATRIX kinds survey, result)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mutuals.accounts.permissions import viewer_for_user
from mutuals.engagement.queries import result_surveys, visible_surveys

# role -> (sees Brackenford's published results, sees Fenmoor's unpublished results)
RESULTS = {
    "public": (True, False),
    "commissioner": (True, False),
    "provider_manager": (True, False),
    "provider_staff": (True, False),
    "auditor": (True, True),
}


@pytest.mark.parametrize("role", RESULTS)
def test_results_follow_the_matrix(people, surveyed, role):
    viewer = viewer_for_user(people[role])
    seen = set(result_surveys(viewer).values_list("pk", flat=True))
    health, practice = surveyed["health"].pk, surveyed["practice"].pk
    assert (health in seen, practice in seen) == RESULTS[role]
    running = set(visible_surveys(viewer).values_list("pk", flat=True))
    assert (health in running) == (role in {"provider_manager", "provider_staff", "auditor"})
    assert (practice in running) == (role == "auditor")


def test_unpublished_results_are_for_the_provider_and_auditors(world, people, surveyed):
    from accounts.conftest import make_user

    practice_staff = make_user("fen@example.org", "provider_staff", world["practice"])
    viewer = viewer_for_user(practice_staff)
    assert surveyed["practice"] in result_surveys(viewer)


@pytest.mark.parametrize(
    ("role", "status"),
    [("public", 404), ("commissioner", 404), ("provider_manager", 404), ("auditor", 200)],
)
def test_an_unpublished_survey_page_is_hidden(sign_in, surveyed, role, status):
    assert sign_in(role).get(surveyed["practice"].get_absolute_url()).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    # Someone not signed in is asked to sign in (302); signed in, they may still be refused.
    [("public", 302), ("provider_manager", 403), ("provider_staff", 403),
     ("commissioner", 200), ("auditor", 200)],
)  # fmt: skip
def test_the_link_page_is_for_auditors_and_commissioners(sign_in, surveyed, role, status):
    assert sign_in(role).get(reverse("engagement-link")).status_code == status


def test_the_link_api_is_for_auditors_and_commissioners(surveyed, as_role):
    assert as_role("provider_manager").get("/engagement/link").status_code == 403
    # The small world has too few surveyed providers for an estimate: a 422 naming why.
    response = as_role("auditor").get("/engagement/link")
    assert response.status_code == 422
    assert "at least 3" in response.json()["detail"]


def test_the_manager_sees_the_running_survey_and_its_progress(sign_in, surveyed):
    client = sign_in("provider_manager")
    html = client.get(surveyed["health"].get_absolute_url()).content.decode()
    assert "Links issued" in html and "Responses (links and imports)" in html
    client.logout()
    public = client.get(surveyed["health"].get_absolute_url()).content.decode()
    assert "Links issued" not in public
