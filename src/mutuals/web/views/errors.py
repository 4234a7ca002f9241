"""Error pages. Django calls these by the names wired in ``mutuals.urls``.

The 500 page renders without a request context, so no context processor (and
no database query) runs: it has to work when the database is the problem.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from mutuals.web.demo import holds_demo_data_without_database
from mutuals.web.params import InvalidValue


def bad_request(request, exception=None):
    """A request value the page cannot use: the reason when it is ours (a form's message),
    nothing of Django's own (a bad Host header, say), which is not for the reader."""
    reason = str(exception) if isinstance(exception, InvalidValue) else ""
    return render(request, "mutuals/errors/400.html", {"reason": reason}, status=400)


def forbidden(request, exception=None):
    """Someone not signed in is sent to sign in first, then back to the page (``?next=``);
    someone signed in whose account does not reach the page gets the 403 page. The API
    answers for itself, a script asking for JSON (a progress poll) gets a plain 403, and a
    form sent without a session keeps the 403 page, with a link to sign in."""
    user = getattr(request, "user", None)
    anonymous = user is not None and not user.is_authenticated
    if anonymous and _is_page_visit(request):
        return redirect_to_login(request.get_full_path())
    return render(request, "mutuals/errors/403.html", {"anonymous": anonymous}, status=403)


def _is_page_visit(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith("/api/")
        and request.accepts("text/html")
    )


def csrf_failure(request, reason=""):
    """A form sent without its security token (often an old tab): the 403 page, no detail."""
    return render(request, "mutuals/errors/403.html", status=403)


def not_found(request, exception=None):
    return render(request, "mutuals/errors/404.html", status=404)


def server_error(request):
    template = loader.get_template("mutuals/errors/500.html")
    context = {"service_name": "Mutuals", "demo_data": holds_demo_data_without_database()}
    return HttpResponseServerError(template.render(context))
