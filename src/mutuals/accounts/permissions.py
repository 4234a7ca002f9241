"""Who may see and do what, written once as data and enforced where data is fetched.

:data:`MATRIX` maps (role, object kind, action) to a *scope*:

- ``all``: every object of that kind;
- ``own_organisation``: objects belonging to an organisation where the person holds the role;
- ``commissioned``: objects of the contracts the person's commissioning organisation
  commissions, and of the providers holding them once each provider has confirmed the
  commissioner (a contract can name any provider, so naming one grants nothing unpublished:
  see :mod:`mutuals.contracts.relationships`);
- ``published``: only what has been published (see :data:`PUBLISHED`);
- ``none``: nothing (the default for any combination not listed).

Views, the API and the CLI build a :class:`Viewer` once and filter through
:func:`scope`, :func:`visible` and :func:`can`; templates only decide layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from django.db.models import Model, Q, QuerySet

from mutuals.accounts.models import AuditEvent, Role, RoleName

PUBLIC = "public"
ROLES = (*RoleName.values, PUBLIC)
Scope = Literal["all", "own_organisation", "commissioned", "published", "none"]
SCOPES: tuple[Scope, ...] = ("all", "own_organisation", "commissioned", "published", "none")
ACTIONS = ("view", "create", "change", "vote", "book")

# Object kinds with a model today, and the kinds later issues will add (register, ballot,
# survey, result): their rules are data now, so those issues only add the model paths.
KINDS = (
    "organisation",
    "contract",
    "objective",
    "observation",
    "submission",
    "audit_event",
    "invitation",
    "register",
    "ballot",
    "survey",
    "result",
    "evaluation",
    "publication",
    "comment",
    "relationship",
    "learning_event",
    "consultation",
    "booking",
)

C, PM, PS, A = (
    RoleName.COMMISSIONER,
    RoleName.PROVIDER_MANAGER,
    RoleName.PROVIDER_STAFF,
    "auditor",
)

MATRIX: dict[tuple[str, str, str], Scope] = {
    # Registry entries and contract terms are public records, as on Contracts Finder.
    **{(role, "organisation", "view"): "published" for role in (C, PM, PS, PUBLIC)},
    (A, "organisation", "view"): "all",
    **{(role, "contract", "view"): "published" for role in (C, PM, PS, PUBLIC)},
    (A, "contract", "view"): "all",
    (C, "contract", "create"): "commissioned",
    (C, "contract", "change"): "commissioned",
    **{(role, "objective", "view"): "published" for role in (C, PM, PS, PUBLIC)},
    (A, "objective", "view"): "all",
    (C, "objective", "create"): "commissioned",
    (C, "objective", "change"): "commissioned",
    # Returns are not published: the provider's managers, its commissioners and auditors.
    (C, "observation", "view"): "commissioned",
    (PM, "observation", "view"): "own_organisation",
    (A, "observation", "view"): "all",
    (C, "submission", "view"): "commissioned",
    (PM, "submission", "view"): "own_organisation",
    (PM, "submission", "create"): "own_organisation",
    (A, "submission", "view"): "all",
    (C, "audit_event", "view"): "commissioned",
    (A, "audit_event", "view"): "all",
    (PM, "invitation", "create"): "own_organisation",
    (A, "invitation", "create"): "all",
    # Governance and engagement, for the issues that build them.
    (PM, "register", "view"): "own_organisation",
    (PM, "register", "change"): "own_organisation",
    (A, "register", "view"): "all",
    (PM, "ballot", "view"): "own_organisation",
    (PM, "ballot", "create"): "own_organisation",
    # Freezing, opening, closing and publishing a ballot; managers are staff too, and vote
    # when the frozen electorate includes them (the electorate, not the role, decides).
    (PM, "ballot", "change"): "own_organisation",
    (PM, "ballot", "vote"): "own_organisation",
    (PS, "ballot", "view"): "own_organisation",
    (PS, "ballot", "vote"): "own_organisation",
    (A, "ballot", "view"): "all",
    (PM, "survey", "view"): "own_organisation",
    (PM, "survey", "create"): "own_organisation",
    # Issuing links, adding responses, closing and publishing results.
    (PM, "survey", "change"): "own_organisation",
    (PS, "survey", "view"): "own_organisation",
    (A, "survey", "view"): "all",
    **{(role, "result", "view"): "published" for role in (C, PUBLIC)},
    (PM, "result", "view"): "own_organisation",
    (PS, "result", "view"): "own_organisation",
    (A, "result", "view"): "all",
    # Impact evaluation runs span the portfolio: auditors and commissioners run and read them.
    **{(role, "evaluation", action): "all" for role in (A, C) for action in ("view", "create")},
    # Published material (the publishing app registers what "published" means): everyone
    # reads what is published; auditors also read drafts. Auditors publish anything,
    # commissioners the scorecards of providers they commission (and, as evaluation
    # runners, evaluations). Comments are moderated by the same people.
    **{(role, "publication", "view"): "published" for role in (C, PM, PS, PUBLIC)},
    (A, "publication", "view"): "all",
    (A, "publication", "create"): "all",
    (C, "publication", "create"): "commissioned",
    (A, "comment", "change"): "all",
    (C, "comment", "change"): "commissioned",
    # A commissioner's standing with a provider: the provider's managers (or an auditor)
    # confirm or decline it, never the commissioner asking; the commissioner sees its own.
    (C, "relationship", "view"): "commissioned",
    (PM, "relationship", "view"): "own_organisation",
    (PM, "relationship", "change"): "own_organisation",
    (A, "relationship", "view"): "all",
    (A, "relationship", "change"): "all",
    # Events (mutuals.events) are of two kinds, one model, each with its own rules, which
    # mutuals.events.access applies to its own kind only. A draft is seen only by those who
    # may change it; "book" asks for a place. Public learning events: auditors organise any,
    # a commissioner those under its own commissioning body; everyone reads the published
    # ones and anyone signed in books them.
    **{(role, "learning_event", "view"): "published" for role in (C, PM, PS, PUBLIC)},
    (A, "learning_event", "view"): "all",
    **{(role, "learning_event", "book"): "published" for role in (C, PM, PS, A)},
    **{(A, "learning_event", action): "all" for action in ("create", "change")},
    **{(C, "learning_event", action): "commissioned" for action in ("create", "change")},
    # Staff consultation meetings before a spin-out ballot: the provider's managers organise
    # them; its managers and staff see and book them, and the register then decides who is
    # staff employed on the meeting's day (the role alone is not enough).
    **{(role, "consultation", "view"): "own_organisation" for role in (PM, PS)},
    (A, "consultation", "view"): "all",
    **{(PM, "consultation", action): "own_organisation" for action in ("create", "change")},
    **{(role, "consultation", "book"): "own_organisation" for role in (PM, PS)},
    # Bookings name people: their event's organisers see the list and mark attendance (view
    # and change); each booker also sees their own (mutuals.events.access).
    **{(PM, "booking", action): "own_organisation" for action in ("view", "change")},
    **{(C, "booking", action): "commissioned" for action in ("view", "change")},
    **{(A, "booking", action): "all" for action in ("view", "change")},
}


def rule(role: str, kind: str, action: str) -> Scope:
    return MATRIX.get((role, kind, action), "none")


# What "published" means per kind, as a filter. Kinds not listed publish nothing yet; the
# publishing app registers a filter here when it marks reports published.
PUBLISHED: dict[str, Callable[[], Q]] = {
    "organisation": Q,
    "contract": Q,
    "objective": Q,
    # Staff survey results the provider chose to publish (only closed surveys have any).
    "result": lambda: Q(results_published=True),
    # Learning events once published (a cancelled one stays readable, saying so).
    "learning_event": lambda: Q(kind="learning", status__in=["published", "cancelled"]),
}
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class ModelPaths:
    """How to reach a kind's owning provider and its commissioners from its queryset."""

    model: Callable[[], type[Model]]
    provider: str  # lookup to the provider organisation's id
    commissioners: str | None = None  # lookup to commissioning organisations' ids


def _model(path: str) -> Callable[[], type[Model]]:
    def load() -> type[Model]:
        from django.apps import apps

        return apps.get_model(path)

    return load


PATHS: dict[str, ModelPaths] = {
    "organisation": ModelPaths(_model("registry.Organisation"), "pk"),
    "contract": ModelPaths(_model("contracts.Contract"), "provider", "commissioners"),
    "objective": ModelPaths(
        _model("contracts.Objective"), "contract__provider", "contract__commissioners"
    ),
    "observation": ModelPaths(_model("returns.Observation"), "organisation"),
    "submission": ModelPaths(_model("returns.Submission"), "carried__organisation"),
    "audit_event": ModelPaths(_model("accounts.AuditEvent"), "organisation"),
    "ballot": ModelPaths(_model("governance.Ballot"), "organisation"),
    "survey": ModelPaths(_model("engagement.Survey"), "organisation"),
    "result": ModelPaths(_model("engagement.Survey"), "organisation"),
    "relationship": ModelPaths(
        _model("contracts.CommissioningRelationship"), "provider", "commissioner"
    ),
    # A consultation meeting belongs to its provider; a learning event to the commissioning
    # body hosting it (none when an auditor organises it). Both kinds are events.Event.
    "learning_event": ModelPaths(_model("events.Event"), "provider", "host"),
    "consultation": ModelPaths(_model("events.Event"), "provider", "host"),
    "booking": ModelPaths(_model("events.Booking"), "event__provider", "event__host"),
}


@dataclass(frozen=True)
class Viewer:
    """The person asking, with the organisations in which they hold each role."""

    user_id: int | None = None
    organisations: dict[str, frozenset[int]] = field(default_factory=dict)

    @property
    def roles(self) -> list[str]:
        held = [role for role, ids in self.organisations.items() if ids or role == A]
        return held or [PUBLIC]

    @property
    def is_auditor(self) -> bool:
        return A in self.organisations

    @property
    def is_public(self) -> bool:
        return self.roles == [PUBLIC]

    @property
    def signature(self) -> tuple:
        """The roles held and where: two viewers with the same signature may see the same
        things, whoever they are (for keeping what a page shows them)."""
        return tuple(sorted((role, tuple(sorted(ids))) for role, ids in self.organisations.items()))

    def holding(self, role: str) -> frozenset[int]:
        return self.organisations.get(role, frozenset())

    @cached_property
    def commissioned_contract_ids(self) -> frozenset[int]:
        from mutuals.contracts.models import Contract

        ids = self.holding(C)
        if not ids:
            return frozenset()
        return frozenset(
            Contract.objects.filter(commissioners__in=ids).values_list("pk", flat=True)
        )

    @cached_property
    def commissioned_provider_ids(self) -> frozenset[int]:
        """Providers whose unpublished data (returns, scorecards, alerts) the viewer reads
        as a commissioner: those that confirmed the commissioning organisation and still hold
        a contract it commissions. Holding the contract alone is not enough."""
        from mutuals.contracts.relationships import confirmed_provider_ids

        ids = self.holding(C)
        if not ids:
            return frozenset()
        return confirmed_provider_ids(ids)


ANONYMOUS = Viewer()


def viewer_for_user(user) -> Viewer:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    held: dict[str, set[int]] = {}
    for role, organisation_id in Role.objects.filter(user=user).values_list(
        "role", "organisation_id"
    ):
        held.setdefault(role, set())
        if organisation_id is not None:
            held[role].add(organisation_id)
    return Viewer(user.pk, {role: frozenset(ids) for role, ids in held.items()})


def viewer_for(request) -> Viewer:
    """The request's viewer, built once per request."""
    viewer = getattr(request, "_mutuals_viewer", None)
    if viewer is None:
        viewer = viewer_for_user(getattr(request, "user", None))
        request._mutuals_viewer = viewer
    return viewer


# Kinds made of many providers' parts: (how to reach each part's provider, the part's link
# to the whole). A bulk import's submission carries many providers' returns, and what it
# says of itself (its file name, row count and time) describes every one, so the whole is
# reached only when each provider it carried is.
WHOLES: dict[str, tuple[ModelPaths, str]] = {
    "submission": (
        ModelPaths(_model("returns.SubmissionOrganisation"), "organisation"),
        "submission_id",
    )
}


def _scope_filter(
    viewer: Viewer, role: str, kind: str, action: str, paths: ModelPaths | None = None
) -> Q:
    """The role's rule for ``kind``, as a filter through ``paths`` (default: the kind's)."""
    scope = rule(role, kind, action)
    if scope == "all":
        return Q()
    if scope == "published":
        return PUBLISHED[kind]() if kind in PUBLISHED else NOTHING
    if scope == "none" or kind not in PATHS:
        return NOTHING
    paths = paths or PATHS[kind]
    if scope == "own_organisation":
        return Q(**{f"{paths.provider}__in": viewer.holding(role)})
    # commissioned: the contracts it commissions; other kinds, their providers' records.
    if kind == "contract":
        return Q(pk__in=viewer.commissioned_contract_ids)
    if paths.commissioners:
        return Q(**{f"{paths.commissioners}__in": viewer.holding(role)})
    return Q(**{f"{paths.provider}__in": viewer.commissioned_provider_ids})


def scope(viewer: Viewer, kind: str, action: str = "view") -> Q:
    """A filter for ``kind``'s queryset: everything any of the viewer's roles allows."""
    if kind in WHOLES:
        return _whole_scope(viewer, kind, action)
    return _any_role(viewer, kind, action, PATHS.get(kind))


def scope_via(viewer: Viewer, kind: str, action: str, paths: ModelPaths) -> Q:
    """The rule for ``kind`` as a filter on another model, reached through ``paths``: asks
    of a whole (an event) what the rule says of its parts (its bookings), parts or none."""
    return _any_role(viewer, kind, action, paths)


def _any_role(viewer: Viewer, kind: str, action: str, paths: ModelPaths | None) -> Q:
    combined = NOTHING
    for role in viewer.roles:
        part = _scope_filter(viewer, role, kind, action, paths)
        if part == Q():
            return Q()
        combined |= part
    return combined


def _whole_scope(viewer: Viewer, kind: str, action: str) -> Q:
    """Wholes with a row the viewer reaches and none it does not (see :data:`WHOLES`)."""
    paths, link = WHOLES[kind]
    rows = _any_role(viewer, kind, action, paths)
    if rows == Q():
        return rows
    row_model = paths.model()
    reached = row_model.objects.filter(rows).values(link)
    others = row_model.objects.filter(**{f"{link}__in": reached}).exclude(rows).values(link)
    return Q(pk__in=reached) & ~Q(pk__in=others)


def visible(viewer: Viewer, kind: str, action: str = "view", queryset: QuerySet | None = None):
    """``queryset`` (default: every object of ``kind``) narrowed to what the viewer may
    ``action``; without duplicates when the filter crosses a many-to-many relation."""
    model = PATHS[kind].model()
    queryset = model.objects.all() if queryset is None else queryset
    condition = scope(viewer, kind, action)
    if condition == Q():
        return queryset
    return queryset.filter(pk__in=model.objects.filter(condition).values("pk"))


def visible_organisations(viewer: Viewer) -> QuerySet:
    return visible(viewer, "organisation")


def visible_contracts(viewer: Viewer) -> QuerySet:
    return visible(viewer, "contract")


def visible_observations(viewer: Viewer, queryset: QuerySet | None = None) -> QuerySet:
    return visible(viewer, "observation", queryset=queryset)


def visible_audit_events(viewer: Viewer) -> QuerySet[AuditEvent]:
    return visible(viewer, "audit_event")


def can(viewer: Viewer, action: str, obj: Model) -> bool:
    """Whether the viewer may ``action`` this object (one query)."""
    kind = kind_of(obj)
    return visible(viewer, kind, action).filter(pk=obj.pk).exists()


# Kinds a commissioning organisation creates under its own name (a contract it lets).
COMMISSIONED_BY_ITSELF = frozenset({"contract", "objective", "learning_event"})


def allowed_in(viewer: Viewer, action: str, kind: str, organisation_id: int) -> bool:
    """Whether the viewer may ``action`` objects of ``kind`` belonging to an organisation
    (for creating things, and for kinds without a model yet)."""
    for role in viewer.roles:
        scope_ = rule(role, kind, action)
        if scope_ == "all":
            return True
        if scope_ == "published" and kind in PUBLISHED and PUBLISHED[kind]() == Q():
            return True
        if scope_ == "own_organisation" and organisation_id in viewer.holding(role):
            return True
        if scope_ == "commissioned" and (
            organisation_id in viewer.commissioned_provider_ids
            or (kind in COMMISSIONED_BY_ITSELF and organisation_id in viewer.holding(role))
        ):
            return True
    return False


def may(viewer: Viewer, action: str, kind: str) -> bool:
    """Whether the viewer may ``action`` every object of ``kind`` (portfolio-wide kinds)."""
    return any(rule(role, kind, action) == "all" for role in viewer.roles)


def kind_of(obj: Model) -> str:
    for kind, paths in PATHS.items():
        if isinstance(obj, paths.model()):
            return kind
    raise LookupError(f"no permission rules for {type(obj).__name__}")
