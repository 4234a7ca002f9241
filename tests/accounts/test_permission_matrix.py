"""The permission matrix, tried for every role against every kind of object and action.

For each (role, kind, action) the matrix names a scope; this test builds one object of each
kind inside the role's reach (Brackenford Community Health, commissioned by the
commissioner's PCT and employing the provider's people) and one outside it (Fenmoor
Social Work Practice), and checks that the querysets, ``can`` and ``allowed_in`` all
agree with the scope."""

from __future__ import annotations

import pytest
from django.db.models import Q

from mutuals.accounts import permissions
from mutuals.accounts.models import AuditEvent
from mutuals.accounts.permissions import (
    ACTIONS,
    KINDS,
    MATRIX,
    PATHS,
    PUBLISHED,
    ROLES,
    SCOPES,
    allowed_in,
    can,
    rule,
    viewer_for_user,
    visible,
)
from mutuals.contracts.models import Objective, ObjectiveDirection
from mutuals.returns.models import Observation, PeriodKind, Submission


def test_the_matrix_is_well_formed():
    for (role, kind, action), scope in MATRIX.items():
        assert role in ROLES and kind in KINDS and action in ACTIONS and scope in SCOPES
    assert rule("public", "observation", "view") == "none"


def _objects(world) -> dict[str, tuple]:
    """(inside, outside) for every kind with a model."""
    practice_objective = Objective.objects.create(
        contract=world["practice_contract"],
        description="Fewer placement moves",
        direction=ObjectiveDirection.DECREASE,
    )
    practice_submission = Submission.objects.create(source=Submission.Source.UPLOAD)
    practice_observation = Observation.objects.create(
        organisation=world["practice"],
        metric=world["visits"],
        period="2011-Q2",
        period_start="2011-04-01",
        period_kind=PeriodKind.QUARTER,
        value=80.0,
        submission=practice_submission,
    )
    health_observation = Observation.objects.filter(organisation=world["health"]).first()
    return {
        "organisation": (world["health"], world["practice"]),
        "contract": (world["health_contract"], world["practice_contract"]),
        "objective": (world["health_contract"].objectives.first(), practice_objective),
        "observation": (health_observation, practice_observation),
        "submission": (health_observation.submission, practice_submission),
        "audit_event": (
            AuditEvent.objects.create(action="contract.change", organisation=world["health"]),
            AuditEvent.objects.create(action="contract.change", organisation=world["practice"]),
        ),
    }


def expected(scope: str, kind: str) -> tuple[bool, bool]:
    """May the role reach (the inside object, the outside object)?"""
    if scope == "all":
        return True, True
    if scope == "published":
        # Only a kind published whole answers for an organisation; a kind whose filter picks
        # some rows (publications) is decided row by row, so allowed_in says no.
        published = kind in PUBLISHED and PUBLISHED[kind]() == Q()
        return published, published
    if scope in {"own_organisation", "commissioned"}:
        return True, False
    return False, False


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_role_against_every_kind_and_action(world, people, role, kind):
    viewer = viewer_for_user(people[role])
    assert viewer.roles == [role]
    objects = _objects(world) if kind in PATHS else {}
    for action in ACTIONS:
        scope = rule(role, kind, action)
        inside, outside = expected(scope, kind)
        where = f"{role} {action} {kind} ({scope})"
        inside_org, outside_org = world["health"].pk, world["practice"].pk
        assert allowed_in(viewer, action, kind, inside_org) is inside, where + " inside"
        assert allowed_in(viewer, action, kind, outside_org) is outside, where + " outside"
        if kind in objects:
            mine, theirs = objects[kind]
            assert can(viewer, action, mine) is inside, where + " can(inside)"
            assert can(viewer, action, theirs) is outside, where + " can(outside)"
            listed = set(visible(viewer, kind, action).values_list("pk", flat=True))
            assert (mine.pk in listed, theirs.pk in listed) == (inside, outside), where


def test_a_person_can_hold_roles_in_several_organisations(world, people):
    from mutuals.accounts.models import Role

    manager = people["provider_manager"]
    Role.objects.create(user=manager, role="provider_manager", organisation=world["practice"])
    viewer = viewer_for_user(manager)
    assert viewer.holding("provider_manager") == {world["health"].pk, world["practice"].pk}
    assert allowed_in(viewer, "view", "observation", world["practice"].pk)
    assert permissions.visible_observations(viewer).count() == 5  # all Brackenford's
    assert not allowed_in(viewer, "view", "observation", world["exited"].pk)


def test_an_inactive_user_is_public(world, people):
    auditor = people["auditor"]
    auditor.is_active = False
    auditor.save()
    assert viewer_for_user(auditor).is_public
