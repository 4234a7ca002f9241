"""Schemathesis against the served API: no server errors, and every response (errors
included) conforms to the OpenAPI document the API publishes.

The document is fetched from the running application, and each operation is fuzzed
with valid and invalid data through Django's WSGI application, in the test's own
database transaction, as a person holding two roles would (an auditor who also manages
Brackenford Community Health) with a token of every scope, so each operation can
succeed as well as fail. Examples are kept few, so this runs in well under a minute.
(Schemathesis's own pytest plugin does not run under this pytest, so the operations
are driven with Hypothesis directly.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from accounts.conftest import make_user
from mutuals.accounts.models import ApiToken, Role
from mutuals.evaluation import services
from mutuals.evaluation.models import Alert, EvaluationResult, EvaluationRun, RunStatus

# Few by default; MUTUALS_FUZZ_EXAMPLES=200 for a longer hunt.
EXAMPLES = int(os.environ.get("MUTUALS_FUZZ_EXAMPLES", "8"))
# A report is typeset on every call (a PDF takes seconds), so fewer of those.
SLOW_EXAMPLES = max(1, EXAMPLES // 4)
# A request can match the document and still break a rule no schema can state (an
# unknown programme code, a period 2011/15, a row naming another provider): the API
# refuses those with 422 and a problem naming the field, which is what it should do. A
# booking can also be refused by the state of things (the person already has a place,
# the rate has closed): 409.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}
TOKEN: dict[str, str] = {}


@SCHEMA.auth(refresh_interval=None)
class BearerToken:
    """The test's token, applied as schemathesis applies credentials (so its negative
    cases leave the header out on purpose, and expect 401)."""

    def get(self, case, context):
        return TOKEN["current"]

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@pytest.fixture
def token(world, settings, monkeypatch):
    settings.API_RATE_LIMIT = 0
    monkeypatch.setattr("mutuals.evaluation.services.start", lambda run: None)
    user = make_user("both@example.org", "auditor")
    Role.objects.create(user=user, role="provider_manager", organisation=world["health"])
    _, TOKEN["current"] = ApiToken.objects.issue(user, ["admin"])
    _evaluation_with_results(world)
    Alert.objects.create(
        organisation=world["health"], metric=world["visits"], kind="concern", period="2011-Q3",
        rule="run", value=93.25,
    )  # fmt: skip
    _events(user)
    # The WSGI handler closes the connection after each request, as it should between
    # requests in production; here that would end the test's transaction (the test
    # client disconnects the same signal).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _events(user) -> None:
    """A published learning event with a free and a paid rate, and a booking to cancel."""
    from events.event_world import learning_draft, publish
    from mutuals.accounts.permissions import viewer_for_user
    from mutuals.events.booking import Attendee, book
    from mutuals.events.organising import RateDraft

    event = publish(user, learning_draft(rates=[RateDraft("Free", 0), RateDraft("Paid", 30)]))
    book(viewer_for_user(user), user, event.pk, event.rates.get(name="Free").pk,
         Attendee("Both Roles", "Brackenford", "both@example.org"))  # fmt: skip


def _evaluation_with_results(world) -> None:
    run = EvaluationRun.objects.create(
        status=RunStatus.DONE, configuration=services.EvaluationConfig().to_json()
    )
    EvaluationResult.objects.create(
        run=run, programme=world["programme"], metric=world["visits"], cohort="2011-Q2",
        method="did", treated_units=2, comparison_units=3, pre_periods=16, post_periods=30,
        att=-1.25, se=float("nan"), verdict="improved", grade=3,
        details={"event_study": [{"e": 0, "att": -1.0}]},
    )  # fmt: skip


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) == 34, sorted(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_api_conforms_to_its_document(token, label, mode):
    statuses = []
    examples = SLOW_EXAMPLES if "/reports/" in label or "replication" in label else EXAMPLES

    @given(case=OPERATIONS[label].as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case):
        statuses.append(case.call_and_validate().status_code)

    call()
    if mode == GenerationMode.POSITIVE:
        assert set(statuses) - {401}, "the token was not sent: every request was refused"
