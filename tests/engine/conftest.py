"""Engine tests run without Django (``-p no:django``): the engine is pure.

The suite-wide conftest has an autouse, session-scoped fixture that needs
pytest-django's ``django_db_blocker``; this same-named fixture replaces it for
the engine tests, which never touch a database.
"""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _database_is_the_one_asked_for():
    """No database here: nothing to check."""
