"""The demo publishes a portfolio report, an evaluation and scorecards, with comments."""

from __future__ import annotations

import pytest

from mutuals.demo.accounts import assign_demo_roles, ensure_demo_users
from mutuals.publishing.demo import publish_demo_material
from mutuals.publishing.models import Comment, ItemKind, ItemStatus

pytestmark = pytest.mark.django_db


def test_demo_material_is_published_once(world, finished_run, _fast_hashing):
    ensure_demo_users()
    assign_demo_roles()
    items = publish_demo_material()
    kinds = sorted(item.kind for item in items)
    assert kinds.count(ItemKind.SCORECARD) == 2
    assert {ItemKind.PORTFOLIO, ItemKind.EVALUATION} <= set(kinds)
    assert all(item.status == ItemStatus.PUBLISHED for item in items)
    assert Comment.objects.count() == 3
    assert publish_demo_material() == []
