"""What can go wrong when publishing, withdrawing, commenting and subscribing, in words a
person can act on. The web pages, the API and the commands each render these in one place."""

from __future__ import annotations

from mutuals.errors import MutualsError


class PublishingError(MutualsError):
    """Base class: a request about published material that cannot be done as asked."""


class NotAllowed(PublishingError):
    """The person's roles do not allow this."""


class NothingToPublish(PublishingError):
    """The material has no figures yet (no finished evaluation run, say)."""


class CannotWithdraw(PublishingError):
    """Only what is published now can be withdrawn (not a draft, nor twice)."""


class WithdrawalRejected(PublishingError):
    """The reason for withdrawing is missing, too short or too long."""


class CommentsClosed(PublishingError):
    """The item no longer takes comments."""


class CommentRejected(PublishingError):
    """The comment's text is empty or too long."""


class CommentRateLimited(PublishingError):
    """Too many comments in the last hour."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class SubscriptionError(PublishingError):
    """A subscription request that names nothing to follow, or a bad or expired link."""


class MailServerUnreachable(PublishingError):
    """The SMTP server named by EMAIL_HOST and EMAIL_PORT does not answer."""


class ScheduleError(PublishingError):
    """A scheduler setting that cannot be used."""
