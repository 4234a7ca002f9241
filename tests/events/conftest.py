"""Events tests run their background tasks inline, as the suite means them to."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Set through the settings fixture, whose change signal rebuilds django-tasks'
    backends: tests/conftest.py assigns ``settings.TASKS`` too late once a ``@task()`` has
    built the backend from the production setting."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# The fixtures every events test module uses, from its world (and the web tests' world).
from events.event_world import (  # noqa: E402, F401
    _fast_hashing,
    _fresh_cache,
    learning_event,
    meeting,
    people,
    sign_in,
    world,
)
