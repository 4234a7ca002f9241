"""Published material and its comments.

Anyone may list published items — current ones by default, withdrawn ones or both on
asking (``status``) — read one (a withdrawn item too: reading it gives the date and
reason) and read their visible comments. Posting a comment needs a token with the
``comment`` scope, and follows the web's rules exactly: the item must be published with its
comments open (403 when closed or withdrawn), the text plain and at most 5,000 characters
(shown escaped everywhere), and at most COMMENT_RATE_LIMIT comments an hour per person, web
and API together (429 with Retry-After).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from mutuals.accounts.names import display_name
from mutuals.api import schemas
from mutuals.api.auth import PUBLIC_READ, BearerToken, caller
from mutuals.api.errors import ApiProblem, FieldError, not_found
from mutuals.api.listing import PageParams, page
from mutuals.api.routers.register import MAX_ID
from mutuals.publishing import comments, services
from mutuals.publishing.errors import (
    CommentRateLimited,
    CommentRejected,
    CommentsClosed,
    NotAllowed,
)
from mutuals.publishing.models import Comment

router = Router(tags=["Publishing"])
COMMENT = BearerToken("comment")


PublicStatus = Literal["published", "withdrawn"]
ListedStatus = Literal["published", "withdrawn", "all"]
ListedKind = Literal["portfolio", "scorecard", "evaluation"]


class PublishedItem(Schema):
    id: int
    kind: str
    title: str
    version: int = Field(description="The latest published version.")
    published_at: datetime | None
    comments_open: bool
    url: str
    status: PublicStatus = Field(
        description="withdrawn: found to be wrong and kept only as a record; it is left out "
        "of the list of current publications unless asked for."
    )


class PublicationDetail(PublishedItem):
    withdrawn_at: datetime | None = Field(description="When it was withdrawn, if it was.")
    withdrawal_reason: str | None = Field(
        description="Why it was withdrawn, if it was: plain text, escape it when showing it."
    )


class CommentOut(Schema):
    id: int
    item: int
    version: int = Field(description="The item's version current when it was written.")
    author: str = Field(
        description="The name the author chose to be shown under, or 'A registered user'."
    )
    body: str = Field(description="Plain text, as typed: escape it when showing it as HTML.")
    created_at: datetime


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(description="Plain text, at most 5,000 characters.")


PublishedItemPage = schemas.page_of(PublishedItem)
CommentPage = schemas.page_of(CommentOut)


def item_json(item) -> dict:
    """``item`` comes from ``services.public_items()`` (or ``published_items()``): the
    title is its latest version's, never an unpublished draft's."""
    return {
        "id": item.pk,
        "kind": item.kind,
        "title": item.public_title,
        "version": item.latest_version,
        "published_at": item.last_published_at,
        "comments_open": item.comments_open,
        "url": item.get_absolute_url(),
        "status": item.status,
    }


def detail_json(item) -> dict:
    withdrawn = item.is_withdrawn
    return {
        **item_json(item),
        "withdrawn_at": item.withdrawn_at if withdrawn else None,
        "withdrawal_reason": item.withdrawal_reason if withdrawn else None,
    }


def comment_json(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "item": comment.item_id,
        "version": comment.version,
        "author": display_name(comment.author),
        "body": comment.body,
        "created_at": comment.created_at,
    }


def _public(id: int):
    """A published or withdrawn item (readers may still open a withdrawn one)."""
    item = services.public_items().filter(pk=id).first()
    if item is None:
        raise not_found(f"published item {id}")
    return item


STATUS_QUERY = Query(
    "published",
    description="published (the default): current material only; withdrawn: only material "
    "withdrawn as wrong; all: both.",
)
KIND_QUERY = Query(None, description="portfolio, scorecard or evaluation; every kind if left out.")
LISTED = {
    "published": services.published_items,
    "withdrawn": services.withdrawn_items,
    "all": services.public_items,
}


@router.get(
    "/publications",
    response=schemas.responses({200: PublishedItemPage}),
    auth=PUBLIC_READ,
    summary="List published material",
)
def list_publications(
    request,
    paging: Query[PageParams],
    kind: ListedKind | None = KIND_QUERY,
    status: ListedStatus = STATUS_QUERY,
):
    """Published reports, scorecards and evaluations, by id: current ones unless
    ``status`` asks for withdrawn ones too, or only them."""
    items = LISTED[status]()
    if kind:
        items = items.filter(kind=kind)
    return page(request, items.order_by("pk"), paging, item_json)


@router.get(
    "/publications/{id}",
    response=schemas.responses({200: PublicationDetail}),
    auth=PUBLIC_READ,
    summary="Read a published item",
)
def get_publication(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """One published item, current or withdrawn; a withdrawn one says when and why."""
    return detail_json(_public(id))


@router.get(
    "/publications/{id}/comments",
    response=schemas.responses({200: CommentPage}),
    auth=PUBLIC_READ,
    summary="List a published item's comments",
)
def list_comments(request, paging: Query[PageParams], id: int = Path(..., ge=1, le=MAX_ID)):
    """Visible comments in the order they were written (hidden ones are left out)."""
    item = _public(id)
    shown = comments.shown_comments(item).order_by("pk")
    return page(request, shown, paging, comment_json)


@router.post(
    "/publications/{id}/comments",
    response=schemas.responses({201: CommentOut}),
    auth=COMMENT,
    summary="Comment on a published item",
)
def post_comment(request, body: CommentIn, id: int = Path(..., ge=1, le=MAX_ID)):
    item = _public(id)
    try:
        comment = comments.post(caller(request).user, item, body.body)
    except CommentsClosed as error:
        raise ApiProblem(403, "forbidden", str(error)) from error
    except CommentRateLimited as error:
        raise ApiProblem(
            429, "rate-limited", str(error), headers={"Retry-After": str(error.retry_after)}
        ) from error
    except CommentRejected as error:
        raise ApiProblem(
            422, "invalid-request", str(error), [FieldError(str(error), field="body")]
        ) from error
    except NotAllowed as error:
        raise ApiProblem(403, "forbidden", str(error)) from error
    return Status(201, comment_json(comment))
