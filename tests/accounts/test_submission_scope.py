"""Who may see a submission is decided from the organisations it carried, never by reading
the millions of returns a national submission holds."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutuals.accounts.permissions import viewer_for_user, visible
from mutuals.returns.models import Submission


def test_the_submissions_a_viewer_may_see_are_found_without_the_returns(people):
    for role in ("commissioner", "provider_manager", "auditor"):
        viewer = viewer_for_user(people[role])
        with CaptureQueriesContext(connection) as queries:
            seen = set(visible(viewer, "submission").values_list("pk", flat=True))
        assert seen, role  # the world's submission carries Brackenford's returns only
        assert seen <= set(Submission.objects.values_list("pk", flat=True))
        assert not [query for query in queries if "returns_observation" in query["sql"]], role
