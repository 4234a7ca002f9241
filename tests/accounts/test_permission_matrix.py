"""The permission matrix, tried for every role against every kind of object and action.

For each (role, kind, action) the matrix names a scope; this test builds one object of each
kind inside the role's reach (Brackenford Community Health, commissioned by the
commissioner's PCT and employing the provider's people) and one outside it (Fenmoor
Social Work Practice), and checks that the querysets, ``can`` and ``allowed_in`` all
agree with the scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
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
from mutuals.contracts import relationships
from mutuals.contracts.models import (
    CommissioningRelationship,
    Objective,
    ObjectiveDirection,
    RelationshipStatus,
)
from mutuals.contracts.relationships import decide
from mutuals.returns.models import Observation, PeriodKind, Submission

from . import commissioning
from .conftest import make_user


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
    linked = CommissioningRelationship.objects.all()
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
        "relationship": (
            linked.get(commissioner=world["pct"], provider=world["health"]),
            linked.get(commissioner=world["council"], provider=world["practice"]),
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


# A commissioner's reach into a provider it names -------------------------------------------
#
# Anyone holding a commissioner's role can record a contract naming any provider, so naming
# one grants nothing unpublished: the provider's managers (or an auditor) confirm the
# relationship first. Every way a relationship comes into being is tried, in each state.

# What a commissioner gets of a provider it commissions, beyond the public record: every
# (kind, action) its role scopes to "commissioned" that belongs to the provider, rather than
# to the commissioner itself (its contracts, their objectives, its relationships: reached
# through a path to their commissioners, and its own to see and change).
COMMISSIONED_DATA = sorted(
    (kind, action)
    for (role, kind, action), scope in MATRIX.items()
    if role == "commissioner"
    and scope == "commissioned"
    and not (kind in PATHS and PATHS[kind].commissioners)
)


@pytest.fixture
def practice_objects(world):
    return _objects(world)


def _reach_into_practice(world, viewer, objects) -> dict[tuple[str, str], bool]:
    """For each commissioned (kind, action): may the viewer reach Fenmoor's?"""
    reach = {}
    for kind, action in COMMISSIONED_DATA:
        allowed = allowed_in(viewer, action, kind, world["practice"].pk)
        if kind in objects:
            theirs = objects[kind][1]
            assert can(viewer, action, theirs) is allowed, (kind, action)
            listed = visible(viewer, kind, action).filter(pk=theirs.pk).exists()
            assert listed is allowed, (kind, action)
        reach[(kind, action)] = allowed
    return reach


def _reach(world, commissioner, objects) -> dict[tuple[str, str], bool]:
    return _reach_into_practice(world, viewer_for_user(commissioner), objects)


def test_commissioned_data_covers_returns_audit_and_scorecards():
    assert {("observation", "view"), ("submission", "view"), ("audit_event", "view")} <= set(
        COMMISSIONED_DATA
    )


@pytest.mark.parametrize("way", sorted(commissioning.LINKS))
def test_naming_a_provider_gives_nothing_unpublished(world, people, practice_objects, way):
    commissioner = people["commissioner"]
    contract = commissioning.LINKS[way](world, commissioner)
    assert not any(_reach(world, commissioner, practice_objects).values()), way
    # The contract itself is the commissioner's own record, to see and change.
    viewer = viewer_for_user(commissioner)
    assert can(viewer, "view", contract) and can(viewer, "change", contract)


@pytest.mark.parametrize("way", sorted(commissioning.WAYS))
def test_a_relationship_grants_access_only_while_confirmed(world, people, practice_objects, way):
    commissioner = people["commissioner"]
    commissioning.WAYS[way](world, commissioner)
    relationship = CommissioningRelationship.objects.get(
        commissioner=world["pct"], provider=world["practice"]
    )
    assert relationship.status == RelationshipStatus.PENDING
    assert AuditEvent.objects.filter(
        action=relationships.REQUESTED, organisation=world["practice"]
    ).exists()
    practice_manager = make_user("fenmoor@example.org", "provider_manager", world["practice"])

    decide(viewer_for_user(practice_manager), practice_manager, relationship, confirm=True)
    reach = _reach(world, commissioner, practice_objects)
    assert all(reach.values()), [pair for pair, allowed in reach.items() if not allowed]

    decide(viewer_for_user(practice_manager), practice_manager, relationship, confirm=False)
    assert not any(_reach(world, commissioner, practice_objects).values())
    actions = AuditEvent.objects.filter(organisation=world["practice"]).values_list(
        "action", flat=True
    )
    assert {relationships.CONFIRMED, relationships.DECLINED} <= set(actions)


def test_only_the_provider_s_managers_and_auditors_decide(world, people, practice_objects):
    commissioning.by_wizard(world, people["commissioner"])
    relationship = CommissioningRelationship.objects.get(
        commissioner=world["pct"], provider=world["practice"]
    )
    # The commissioner asking, and a manager of another provider (Brackenford's), may not.
    for role in ("commissioner", "provider_manager", "provider_staff"):
        viewer = viewer_for_user(people[role])
        assert not can(viewer, "change", relationship), role
        with pytest.raises(PermissionDenied):
            decide(viewer, people[role], relationship, confirm=True)
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.PENDING
    assert not any(_reach(world, people["commissioner"], practice_objects).values())

    auditor = people["auditor"]
    assert can(viewer_for_user(auditor), "change", relationship)
    decide(viewer_for_user(auditor), auditor, relationship, confirm=True)
    assert all(_reach(world, people["commissioner"], practice_objects).values())


def test_a_confirmed_relationship_ends_with_the_last_contract(world, people, practice_objects):
    """Access follows a confirmed relationship *and* a contract that still links the two."""
    contract = commissioning.by_wizard(world, people["commissioner"])
    CommissioningRelationship.objects.filter(provider=world["practice"]).update(
        status=RelationshipStatus.CONFIRMED
    )
    assert all(_reach(world, people["commissioner"], practice_objects).values())
    contract.commissioners.clear()
    assert not any(_reach(world, people["commissioner"], practice_objects).values())
