"""The permission matrix through the API: each role against each endpoint.

The expectations come from two places that must agree: the permission functions the
web uses (:mod:`mutuals.accounts.permissions`), and a table written out by hand below
for the small world (the commissioner's PCT commissions Brackenford Community Health;
the provider's people work there; Fenmoor Social Work Practice is nobody's but the
auditor's). Lists return 200 with only the visible objects, details of invisible
objects 404, forbidden actions 403, and without a token only public records."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import commissioning
from accounts.conftest import make_user
from mutuals.accounts.permissions import ROLES, allowed_in, may, viewer_for_user, visible
from mutuals.evaluation import services
from mutuals.evaluation.models import Alert, EvaluationRun
from mutuals.returns.models import CurrentObservation, Observation, PeriodKind, Submission

PROBLEM = "application/problem+json"


@pytest.fixture
def objects(world):
    """Beside the world's Brackenford returns: a Fenmoor return, alerts for both, a run."""
    practice_submission = Submission.objects.create(source=Submission.Source.UPLOAD)
    Observation.objects.create(
        organisation=world["practice"],
        metric=world["visits"],
        period="2011-Q2",
        period_start="2011-04-01",
        period_kind=PeriodKind.QUARTER,
        value=80.0,
        submission=practice_submission,
    )
    alerts = {
        name: Alert.objects.create(
            organisation=world[name],
            metric=world["visits"],
            kind="concern",
            period="2011-Q2",
            rule="run",
            value=80.0,
        )  # fmt: skip
        for name in ("health", "practice")
    }
    health_submission = Observation.objects.filter(organisation=world["health"]).first().submission
    run = EvaluationRun.objects.create(configuration=services.EvaluationConfig().to_json())
    return {
        "submissions": {"health": health_submission, "practice": practice_submission},
        "alerts": alerts,
        "run": run,
    }


# The hand-written table: what each role may reach, beside the permission functions.
SEES_RETURNS_OF = {
    "public": None,  # needs a token: 401
    "commissioner": {"health"},
    "provider_manager": {"health"},
    "provider_staff": set(),
    "auditor": {"health", "practice"},
}
MAY_EVALUATE = {"commissioner", "auditor"}
MAY_SUBMIT = {"provider_manager"}


def client_for(role, api, as_role):
    return api if role == "public" else as_role(role)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_the_register_and_contracts_are_public(world, people, objects, api, as_role, role):
    caller = client_for(role, api, as_role)
    viewer = viewer_for_user(people[role])
    assert ids(caller.get("/organisations", limit=1000)) == set(
        visible(viewer, "organisation").values_list("pk", flat=True)
    )
    assert ids(caller.get("/contracts")) == set(
        visible(viewer, "contract").values_list("pk", flat=True)
    )
    for name in ("health", "practice"):
        assert caller.get(f"/organisations/{world[name].pk}").status_code == 200
    response = caller.get(f"/contracts/{world['practice_contract'].pk}")
    assert response.status_code == 200
    objectives = {
        o["description"]
        for o in caller.get(f"/contracts/{world['health_contract'].pk}").json()["objectives"]
    }
    assert objectives == {"Raise visits made on time", "Improve staff wellbeing"}


@pytest.mark.parametrize("role", ROLES)
def test_returns_show_only_what_the_role_may_see(world, people, objects, api, as_role, role):
    caller = client_for(role, api, as_role)
    response = caller.get("/returns")
    expected = SEES_RETURNS_OF[role]
    if expected is None:
        assert response.status_code == 401 and response["Content-Type"] == PROBLEM
        assert response["WWW-Authenticate"].startswith("Bearer")
        return
    viewer = viewer_for_user(people[role])
    visible_ids = set(
        visible(viewer, "observation", queryset=CurrentObservation.objects.all()).values_list(
            "pk", flat=True
        )
    )
    assert ids(response) == visible_ids
    organisations = {item["organisation_id"] for item in response.json()["results"]}
    assert organisations == {world[name].pk for name in expected}


@pytest.mark.parametrize("role", ROLES)
def test_a_submission_is_404_to_those_who_may_not_see_it(
    world, people, objects, api, as_role, role
):
    caller = client_for(role, api, as_role)
    viewer = viewer_for_user(people[role])
    for name, submission in objects["submissions"].items():
        response = caller.get(f"/submissions/{submission.pk}")
        if role == "public":
            assert response.status_code == 401
            continue
        may_see = (SEES_RETURNS_OF[role] or set()) >= {name}
        assert may_see == visible(viewer, "submission").filter(pk=submission.pk).exists()
        assert response.status_code == (200 if may_see else 404), (name, response.content)
        if not may_see:
            assert response["Content-Type"] == PROBLEM
            assert response.json()["type"] == "/api/v1/problems/not-found"


@pytest.mark.parametrize("role", ROLES)
def test_alerts_follow_the_returns(world, people, objects, api, as_role, role):
    caller = client_for(role, api, as_role)
    response = caller.get("/alerts")
    if role == "public":
        assert response.status_code == 401
        return
    viewer = viewer_for_user(people[role])
    expected = {
        objects["alerts"][name].pk
        for name in ("health", "practice")
        if allowed_in(viewer, "view", "observation", world[name].pk)
    }
    assert expected == {objects["alerts"][name].pk for name in SEES_RETURNS_OF[role]}
    assert ids(response) == expected


@pytest.mark.parametrize("role", ROLES)
def test_evaluations_are_for_auditors_and_commissioners(
    world, people, objects, api, as_role, role, monkeypatch
):
    started = []
    monkeypatch.setattr("mutuals.evaluation.services.start", started.append)
    caller = client_for(role, api, as_role)
    run = objects["run"]
    responses = [
        caller.get("/evaluations"),
        caller.get(f"/evaluations/{run.pk}"),
        caller.post("/evaluations", {"metrics": ["visits-on-time"]}),
    ]
    if role == "public":
        assert [r.status_code for r in responses] == [401, 401, 401]
        return
    allowed = role in MAY_EVALUATE
    assert allowed == may(viewer_for_user(people[role]), "view", "evaluation")
    assert allowed == may(viewer_for_user(people[role]), "create", "evaluation")
    if allowed:
        assert [r.status_code for r in responses] == [200, 200, 202]
        assert ids(responses[0]) == {run.pk}
        assert len(started) == 1 and started[0].configuration["metrics"] == ["visits-on-time"]
        assert responses[2]["Location"] == f"/api/v1/evaluations/{started[0].pk}"
    else:
        assert [r.status_code for r in responses] == [403, 403, 403]
        assert all(r["Content-Type"] == PROBLEM for r in responses)
        assert started == []


@pytest.mark.parametrize("role", ROLES)
def test_a_replication_package_is_for_those_who_read_every_provider_s_returns(
    world, people, objects, api, as_role, role
):
    """The package holds every provider's returns the run read: auditors only. (The
    fixture's run has no fingerprint of today's returns, so an auditor is told it cannot be
    made, with a 409, rather than being given other data.)"""
    caller = client_for(role, api, as_role)
    response = caller.get(f"/evaluations/{objects['run'].pk}/replication.zip")
    if role == "public":
        assert response.status_code == 401
        return
    viewer = viewer_for_user(people[role])
    allowed = may(viewer, "view", "evaluation") and may(viewer, "view", "observation")
    assert response.status_code == (409 if allowed else 403), role
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("role", ROLES)
def test_only_a_provider_manager_submits_and_only_for_their_organisation(
    world, people, objects, api, as_role, role
):
    caller = client_for(role, api, as_role)
    row = {"metric": "visits-on-time", "period": "2012-Q1", "value": 90.0}
    own = caller.post("/returns", {"rows": [{**row, "organisation": "NQX01"}]})
    other = caller.post("/returns", {"rows": [{**row, "organisation": "RS007001"}]})
    if role == "public":
        assert (own.status_code, other.status_code) == (401, 401)
        return
    viewer = viewer_for_user(people[role])
    allowed = role in MAY_SUBMIT
    assert allowed == allowed_in(viewer, "create", "submission", world["health"].pk)
    assert not allowed_in(viewer, "create", "submission", world["practice"].pk)
    if allowed:
        assert own.status_code == 201
        assert other.status_code == 422
        assert other.json()["errors"][0]["field"] == "organisation"
    else:
        assert (own.status_code, other.status_code) == (403, 403)


@pytest.mark.parametrize("role", ["commissioner", "provider_manager", "auditor"])
def test_a_token_with_only_the_read_scope_may_not_act(world, people, objects, api, role):
    from mutuals.accounts.models import ApiToken

    _, token = ApiToken.objects.issue(people[role], ["read"])
    submit = api.post("/returns", {"rows": []}, token=token)
    start = api.post("/evaluations", {}, token=token)
    for response, scope in ((submit, "submit-returns"), (start, "evaluate")):
        assert response.status_code == 403 and response["Content-Type"] == PROBLEM
        problem = response.json()
        assert problem["type"] == "/api/v1/problems/missing-scope"
        assert f"the {scope} scope" in problem["detail"]
    assert api.get("/organisations", token=token).status_code == 200


def test_a_token_without_the_read_scope_may_not_read(world, people, api):
    from mutuals.accounts.models import ApiToken

    _, token = ApiToken.objects.issue(people["provider_manager"], ["submit-returns"])
    response = api.get("/returns", token=token)
    assert response.status_code == 403 and "the read scope" in response.json()["detail"]


@pytest.fixture
def mixed_submission(world):
    """One file carrying both providers' rows, as an auditor's bulk import does."""
    submission = Submission.objects.create(
        source=Submission.Source.CLI, filename="all-providers.csv", row_count=2
    )
    for name in ("health", "practice"):
        Observation.objects.create(
            organisation=world[name],
            metric=world["sickness"],
            period="2012-Q1",
            period_start="2012-01-01",
            period_kind=PeriodKind.QUARTER,
            value=3.0,
            submission=submission,
        )
    return submission


@pytest.mark.parametrize("role", ROLES)
def test_a_submission_carrying_others_rows_is_404_to_those_who_may_not_see_them_all(
    world, people, objects, mixed_submission, api, as_role, role
):
    """A submission's metadata (its file name, when, how many rows) describes every row in
    it, so it is shown only to those who may see every one of its rows."""
    caller = client_for(role, api, as_role)
    response = caller.get(f"/submissions/{mixed_submission.pk}")
    if role == "public":
        assert response.status_code == 401
        return
    may_see_all = (SEES_RETURNS_OF[role] or set()) >= {"health", "practice"}
    viewer = viewer_for_user(people[role])
    assert may_see_all == visible(viewer, "submission").filter(pk=mixed_submission.pk).exists()
    assert response.status_code == (200 if may_see_all else 404), response.content
    if may_see_all:
        assert response.json()["row_count"] == 2
    else:
        assert response["Content-Type"] == PROBLEM
        assert "all-providers" not in response.content.decode()
    # The rows the caller may see stay listed under the submission.
    rows = caller.get("/returns", submission=mixed_submission.pk)
    organisations = {item["organisation_id"] for item in rows.json()["results"]}
    assert organisations == {world[name].pk for name in SEES_RETURNS_OF[role]}


def _practice_reach(world, objects, caller) -> dict[str, bool]:
    """What the caller gets of Fenmoor's unpublished data through the API."""
    returns = caller.get("/returns", organisation="RS007001", limit=1000)
    alerts = ids(caller.get("/alerts"))
    submission = caller.get(f"/submissions/{objects['submissions']['practice'].pk}")
    scorecard = caller.get(f"/reports/providers/{world['practice'].pk}.html")
    assert submission.status_code in (200, 404) and scorecard.status_code in (200, 403)
    return {
        "returns": bool(ids(returns)),
        "alerts": objects["alerts"]["practice"].pk in alerts,
        "submission": submission.status_code == 200,
        "scorecard": scorecard.status_code == 200,
    }


@pytest.mark.parametrize("way", sorted(commissioning.LINKS))
def test_a_provider_the_commissioner_names_shows_nothing_until_confirmed(
    world, people, objects, as_role, way
):
    caller = as_role("commissioner")
    commissioning.LINKS[way](world, people["commissioner"])
    reach = _practice_reach(world, objects, caller)
    assert not any(reach.values()), reach
    # Its contract with Fenmoor is its own record, shown with the rest.
    contracts = caller.get("/contracts", organisation="RS007001")
    assert len(ids(contracts)) == 2


@pytest.mark.parametrize("decision", ["confirm", "decline"])
def test_the_provider_s_decision_opens_or_keeps_closed_its_data(
    client, world, people, objects, as_role, decision
):
    from mutuals.contracts.models import CommissioningRelationship

    commissioning.by_wizard(world, people["commissioner"])
    relationship = CommissioningRelationship.objects.get(
        commissioner=world["pct"], provider=world["practice"]
    )
    manager = make_user("fenmoor@example.org", "provider_manager", world["practice"])
    client.force_login(manager)
    response = client.post(
        reverse("commissioning-decision", args=[relationship.pk]), {"decision": decision}
    )
    assert response.status_code == 302
    client.logout()
    reach = _practice_reach(world, objects, as_role("commissioner"))
    assert reach == dict.fromkeys(reach, decision == "confirm")


@pytest.mark.parametrize("role", ROLES)
def test_events_are_seen_and_booked_as_on_the_web(world, people, api, role):
    """Learning events are public, a provider's consultation meetings its own staff's, and a
    draft its organisers'; booking needs the book-events scope and the matrix's "book"."""
    from events.event_world import learning_draft, publish, soon
    from mutuals.accounts.models import ApiToken
    from mutuals.events import access, organising

    auditor = people["auditor"]
    published = publish(auditor, learning_draft())
    draft = organising.create_event(viewer_for_user(auditor), auditor, learning_draft())
    meeting = publish(people["provider_manager"], organising.EventDraft(
        kind="consultation", title="Your questions", starts_at=soon(days=3),
        ends_at=soon(days=3, hours=1), booking_deadline=soon(days=2), capacity=5,
        venue="Staff room", provider=world["health"],
    ))  # fmt: skip
    user = people[role]
    token = ApiToken.objects.issue(user, ["read", "book-events"])[1] if user else None
    viewer = viewer_for_user(user)
    listed = ids(api.get("/events", token=token))
    assert listed == set(access.events(viewer).values_list("pk", flat=True))
    assert published.pk in listed and (draft.pk in listed) is (role == "auditor")
    assert (meeting.pk in listed) is (role in {"provider_manager", "provider_staff", "auditor"})
    rate = published.rates.get(name="Early bird")
    body = {"rate": rate.pk, "name": "Someone", "email": f"{role}@example.org",
            "billing": {"method": "invoice", "organisation": "Org", "address": "1 Way",
                        "email": "finance@example.org"}}  # fmt: skip
    response = api.post(f"/events/{published.pk}/bookings", body, token=token)
    if role == "public":
        assert response.status_code == 401
    else:
        assert access.may_book(viewer, published)
        assert response.status_code == 201, response.content
