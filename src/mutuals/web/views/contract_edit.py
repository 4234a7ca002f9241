"""The contract journey for commissioners: question pages, check your answers, confirmation.

Answers are kept in the session as the forms' raw data until the check-answers page saves
them in one call to :func:`mutuals.contracts.services.save_contract`. Editing a contract
walks the same pages, starting from the contract's current answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from mutuals.accounts.permissions import can, viewer_for, visible
from mutuals.contracts import relationships, services
from mutuals.contracts.date_input import DateInputField
from mutuals.contracts.forms import (
    BaselineForm,
    CommissionersForm,
    ObjectiveForm,
    RemoveObjectiveForm,
    TermsForm,
    ValueForm,
)
from mutuals.contracts.models import Contract, ContractStatus, ObjectiveDirection
from mutuals.registry.models import Organisation
from mutuals.returns.models import Metric
from mutuals.web.params import cleaned

STEPS = {
    "terms": ("The contract's terms", TermsForm),
    "commissioners": ("Commissioners", CommissionersForm),
    "baseline": ("The in-house baseline", BaselineForm),
    "objectives": ("Objectives", ObjectiveForm),
    "value": ("Savings, benefits and plans", ValueForm),
}
ORDER = list(STEPS)
TASKS = "tasks"  # the task list's place among the steps' addresses


def _key(pk: int | None) -> str:
    return f"mutuals:contract-draft:{pk or 'new'}"


def _raw(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _raw_draft(draft: services.ContractDraft) -> dict:
    return {
        "terms": {k: _raw(v) for k, v in draft.terms.items()},
        "commissioners": {"commissioners": [str(pk) for pk in draft.commissioners]},
        "baseline": {k: _raw(v) for k, v in (draft.baseline or {}).items()},
        "objectives": [{k: _raw(v) for k, v in o.items()} for o in draft.objectives],
        "value": {k: _raw(v) for k, v in draft.value.items()},
    }


def _contract(request, pk: int | None) -> Contract | None:
    """The contract being changed (404 if unseen, 403 if the viewer cannot change it)."""
    viewer = viewer_for(request)
    if pk is None:
        if not viewer.holding("commissioner"):
            raise PermissionDenied
        return None
    contract = get_object_or_404(visible(viewer, "contract"), pk=pk)
    if not can(viewer, "change", contract):
        raise PermissionDenied
    return contract


def _commissioner_choices(request, contract: Contract | None) -> list[tuple[int, str]]:
    ids = set(viewer_for(request).holding("commissioner"))
    if contract is not None:
        ids |= set(contract.commissioners.values_list("pk", flat=True))
    return list(Organisation.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"))


def _form(request, step: str, contract, data=None):
    form_class = STEPS[step][1]
    if step == "commissioners":
        return form_class(data, choices=_commissioner_choices(request, contract))
    return form_class(data)


def _step_url(pk: int | None, step: str) -> str:
    if pk is None:
        return reverse("contract-new-step", args=[step])
    return reverse("contract-edit-step", args=[pk, step])


def _check_url(pk: int | None) -> str:
    return (
        reverse("contract-new-check") if pk is None else reverse("contract-edit-check", args=[pk])
    )


def start(request, pk: int | None = None):
    contract = _contract(request, pk)
    if contract is None:
        choices = _commissioner_choices(request, None)
        raw = {
            "terms": {"status": ContractStatus.ACTIVE},
            "commissioners": {"commissioners": [str(choices[0][0])] if len(choices) == 1 else []},
            "baseline": {},
            "objectives": [],
            "value": {},
        }
    else:
        raw = _raw_draft(services.draft_from(contract))
    request.session[_key(pk)] = raw
    # A new contract is asked question by question; a contract already recorded opens on
    # its task list, from which any section can be changed.
    return redirect(_step_url(pk, "terms" if contract is None else TASKS))


RESTARTED = "mutuals:contract-restarted"


def _start_again(request, pk):
    """A later page opened with no answers kept (bookmarked, or the session ended): back to
    the first question, which says why."""
    request.session[RESTARTED] = True
    return redirect(reverse("contract-new") if pk is None else reverse("contract-edit", args=[pk]))


def _answers(form, data) -> dict:
    """What to keep of a valid page's answers: as typed, and dates as YYYY-MM-DD."""
    kept = {}
    for name, field in form.fields.items():
        if name == "commissioners":
            kept[name] = data.getlist(name)
        elif isinstance(field, DateInputField):
            kept[name] = _raw(form.cleaned_data.get(name))
        else:
            kept[name] = data.get(name, "")
    return kept


def step(request, step: str, pk: int | None = None):
    if step not in STEPS and step != TASKS:
        raise Http404
    contract = _contract(request, pk)
    raw = request.session.get(_key(pk))
    if raw is None:
        return _start_again(request, pk)
    if step == TASKS:
        return _task_list(request, pk, contract, raw)
    if step == "objectives":
        return _objectives(request, pk, contract, raw)
    data = request.POST if request.method == "POST" else None
    form = _form(request, step, contract, data)
    if data is not None and form.is_valid():
        raw[step] = _answers(form, data)
        request.session[_key(pk)] = raw
        following = ORDER.index(step) + 1
        if request.GET.get("from") == TASKS:
            return redirect(_step_url(pk, TASKS))
        if request.GET.get("from") == "check" or following == len(ORDER):
            return redirect(_check_url(pk))
        return redirect(_step_url(pk, ORDER[following]))
    if data is None:
        form = _form(request, step, contract)
        form.initial = raw.get(step, {})
    return render(
        request,
        "mutuals/contracts/edit/step.html",
        _context(request, pk, contract, step, form=form),
        status=400 if form.errors else 200,
    )


def _objectives(request, pk, contract, raw):
    form = ObjectiveForm(
        request.POST if request.method == "POST" and "add" in request.POST else None
    )
    if request.method == "POST":
        if "remove" in request.POST:
            removal = RemoveObjectiveForm(request.POST, count=len(raw["objectives"]))
            del raw["objectives"][cleaned(removal)["remove"]]
            request.session[_key(pk)] = raw
            return redirect(_step_url(pk, "objectives"))
        if form.is_valid():
            raw["objectives"].append(_answers(form, request.POST))
            request.session[_key(pk)] = raw
            return redirect(_step_url(pk, "objectives"))
    next_url = {"check": _check_url(pk), TASKS: _step_url(pk, TASKS)}.get(
        request.GET.get("from"), _step_url(pk, "value")
    )
    return render(
        request,
        "mutuals/contracts/edit/objectives.html",
        _context(
            request,
            pk,
            contract,
            "objectives",
            form=form,
            objectives=[_shown_objective(o) for o in raw["objectives"]],
            next_url=next_url,
        ),
        status=400 if form.errors else 200,
    )


def _back(request, pk, step) -> str | None:
    """The page before: the task list when the page was opened from it, else the question
    before (none before the first)."""
    if request.GET.get("from") == TASKS:
        return _step_url(pk, TASKS)
    return _step_url(pk, ORDER[ORDER.index(step) - 1]) if ORDER.index(step) else None


def _task_list(request, pk, contract, raw):
    """The GOV.UK task list: each section of the contract with whether its answers are
    complete, linking to it; check your answers once they all are."""
    tasks = []
    for name, (heading, _) in STEPS.items():
        if name == "objectives":
            complete = all(ObjectiveForm(item).is_valid() for item in raw["objectives"])
        else:
            complete = _form(request, name, contract, _as_data(raw.get(name, {}))).is_valid()
        tasks.append(
            {
                "name": name,
                "heading": heading,
                "href": _step_url(pk, name) + f"?from={TASKS}",
                "complete": complete,
            }
        )
    return render(
        request,
        "mutuals/contracts/edit/tasks.html",
        {
            "contract": contract,
            "caption": f"Contract {contract.reference}" if contract else "New contract",
            "tasks": tasks,
            "all_complete": all(task["complete"] for task in tasks),
            "check_url": _check_url(pk),
            "back": contract.get_absolute_url() if contract else reverse("contracts"),
            "restarted": request.session.pop(RESTARTED, False),
        },
    )


def _shown_objective(raw: dict) -> dict:
    metric = Metric.objects.filter(pk=raw.get("metric") or None).first()
    return {
        **raw,
        "metric_name": metric.name if metric else "No metric",
        "direction_label": dict(ObjectiveDirection.choices).get(raw.get("direction"), ""),
    }


def _context(request, pk, contract, step, **extra):
    heading = STEPS[step][0]
    return {
        "contract": contract,
        "step": step,
        "heading": heading,
        "action": request.get_full_path(),
        "caption": f"Contract {contract.reference}" if contract else "New contract",
        "back": _back(request, pk, step),
        "restarted": request.session.pop(RESTARTED, False),
        **extra,
    }


def _cleaned(request, pk, contract, raw) -> tuple[services.ContractDraft | None, str | None]:
    """The draft as cleaned values, or the first step whose answers are not valid."""
    cleaned = {}
    for name in ("terms", "commissioners", "baseline", "value"):
        form = _form(request, name, contract, _as_data(raw.get(name, {})))
        if not form.is_valid():
            return None, name
        cleaned[name] = form.cleaned_data
    objectives = []
    for item in raw["objectives"]:
        form = ObjectiveForm(item)
        if not form.is_valid():
            return None, "objectives"
        objectives.append(form.cleaned_data)
    terms = cleaned["terms"]
    baseline = cleaned["baseline"] if cleaned["baseline"].get("annual_cost") is not None else None
    return (
        services.ContractDraft(
            terms=terms,
            commissioners=cleaned["commissioners"]["commissioners"],
            value=cleaned["value"],
            baseline=baseline,
            objectives=objectives,
        ),
        None,
    )


def _as_data(values: dict):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name, value in values.items():
        if isinstance(value, list):
            data.setlist(name, value)
        else:
            data[name] = value
    return data


def check(request, pk: int | None = None):
    contract = _contract(request, pk)
    raw = request.session.get(_key(pk))
    if raw is None:
        return _start_again(request, pk)
    draft, invalid_step = _cleaned(request, pk, contract, raw)
    if draft is None:
        return redirect(_step_url(pk, invalid_step))
    problems = []
    if request.method == "POST":
        try:
            saved = services.save_contract(viewer_for(request), request.user, draft, contract)
        except services.ReferenceTaken:
            problems = [
                (
                    _step_url(pk, "terms") + "?from=check",
                    "Another contract already has this reference: change the reference",
                )
            ]
        else:
            del request.session[_key(pk)]
            request.session["mutuals:contract-saved"] = "created" if contract is None else "changed"
            return redirect("contract-saved", pk=saved.pk)
    return render(
        request,
        "mutuals/contracts/edit/check.html",
        {
            "contract": contract,
            "draft": draft,
            "provider": Organisation.objects.filter(pk=draft.terms["provider"]).first(),
            "commissioners": Organisation.objects.filter(pk__in=draft.commissioners).order_by(
                "name"
            ),
            "objectives": [_shown_objective(o) for o in raw["objectives"]],
            "status_label": dict(ContractStatus.choices)[draft.terms["status"]],
            "change": {name: _step_url(pk, name) + "?from=check" for name in STEPS},
            "back": _step_url(pk, ORDER[-1] if contract is None else TASKS),
            "action": request.path,
            "caption": f"Contract {contract.reference}" if contract else "New contract",
            "problems": problems,
        },
        status=400 if problems else 200,
    )


def saved(request, pk: int):
    viewer = viewer_for(request)
    contract = get_object_or_404(visible(viewer, "contract"), pk=pk)
    if not can(viewer, "change", contract):
        raise PermissionDenied
    outcome = request.session.pop("mutuals:contract-saved", "saved")
    return render(
        request,
        "mutuals/contracts/edit/saved.html",
        {
            "contract": contract,
            "outcome": outcome,
            "unconfirmed": relationships.unconfirmed_for(viewer, contract.provider_id),
        },
    )
