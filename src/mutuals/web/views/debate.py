"""Comments on published material: post, report, hide with a reason, restore, and close or
reopen an item's comments. Each view is a thin edge over :mod:`mutuals.publishing.comments`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import viewer_for
from mutuals.publishing import comments, services
from mutuals.publishing.errors import (
    CommentRateLimited,
    CommentRejected,
    CommentsClosed,
    NotAllowed,
)
from mutuals.publishing.models import Comment
from mutuals.web.publishing_forms import CommentForm, ReasonForm
from mutuals.web.views.publishing import item_detail, item_for


@require_POST
def post_comment(request, pk: int):
    item = item_for(request, pk)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('sign-in')}?next={item.get_absolute_url()}")
    form = CommentForm(request.POST, ask_name=comments.asks_name(request.user))
    if form.is_valid():
        try:
            comments.post(
                request.user,
                item,
                form.cleaned_data["body"],
                display_name=form.cleaned_data.get("display_name", ""),
            )
        except CommentsClosed as error:
            form.add_error("body", str(error))
            return item_detail(request, pk, comment_form=form, status=403)
        except CommentRateLimited as error:
            form.add_error("body", str(error))
            response = item_detail(request, pk, comment_form=form, status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        except (CommentRejected, NotAllowed) as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, "Your comment has been posted.")
            return redirect(item.get_absolute_url() + "#comments")
    return item_detail(request, pk, comment_form=form, status=400)


def _comment(request, pk: int, comment_pk: int) -> Comment:
    item = item_for(request, pk)
    return get_object_or_404(Comment.objects.select_related("item"), pk=comment_pk, item=item)


def _reason_page(request, comment: Comment, action: str, form, status=200):
    latest = services.version_of(comment.item)  # readers' title, not a draft's
    titles = {"report": "Report a comment", "hide": "Hide a comment"}
    return render(
        request,
        "mutuals/publishing/reason.html",
        {
            "comment": comment,
            "item": comment.item,
            "form": form,
            "title": titles[action],
            "action_url": reverse(f"comment-{action}", args=[comment.item_id, comment.pk]),
            "button": "Send the report" if action == "report" else "Hide the comment",
            "hint": (
                "Tell the moderators which rule the comment breaks."
                if action == "report"
                else "Readers will see that a moderator hid a comment, and this reason."
            ),
            "breadcrumbs": [
                ("Home", reverse("home")),
                ("Published", reverse("publications")),
                (latest.title if latest else comment.item.title, comment.item.get_absolute_url()),
            ],
        },
        status=status,
    )


@login_required
def report_comment(request, pk: int, comment_pk: int):
    comment = _comment(request, pk, comment_pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            comments.report(request.user, comment, form.cleaned_data["reason"])
        except (CommentRejected, NotAllowed) as error:
            form.add_error("reason", str(error))
        else:
            messages.success(request, "Thank you: the moderators will look at the comment.")
            return redirect(comment.item.get_absolute_url() + "#comments")
    return _reason_page(request, comment, "report", form, 400 if form.errors else 200)


@login_required
def hide_comment(request, pk: int, comment_pk: int):
    comment = _comment(request, pk, comment_pk)
    viewer = viewer_for(request)
    if not comments.may_moderate(viewer, request.user, comment.item):
        raise PermissionDenied("Only moderators may hide comments.")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            comments.hide(viewer, request.user, comment, form.cleaned_data["reason"])
        except CommentRejected as error:
            form.add_error("reason", str(error))
        else:
            messages.success(request, "The comment is hidden.")
            return redirect(comment.item.get_absolute_url() + "#comments")
    return _reason_page(request, comment, "hide", form, 400 if form.errors else 200)


@require_POST
@login_required
def restore_comment(request, pk: int, comment_pk: int):
    comment = _comment(request, pk, comment_pk)
    try:
        comments.restore(viewer_for(request), request.user, comment)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "The comment is shown again.")
    return redirect(comment.item.get_absolute_url() + "#comments")


@require_POST
@login_required
def set_comments_open(request, pk: int):
    item = item_for(request, pk)
    open_ = request.POST.get("open") == "yes"
    try:
        comments.set_open(viewer_for(request), request.user, item, open_)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except CommentsClosed as error:
        return item_detail(request, pk, status=409, publish_error=str(error))
    messages.success(request, "Comments are open again." if open_ else "Comments are closed.")
    return redirect(item.get_absolute_url() + "#comments")
