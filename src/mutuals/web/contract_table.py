"""The contracts table: filtered, searched, sorted and downloadable, with the six audit tests
as columns.

Contracts are narrowed in the database (who may see them, commissioner, provider, programme,
status, the search words), scored on the audit tests in four queries
(:func:`mutuals.contracts.audit.audit_contracts`), then filtered by test and sorted in
Python: a test is a judgement on text and related rows, and the contracts one person reads
number in the hundreds, not the millions. The CSV has every row the filters keep, text
neutralised against formula injection (:mod:`mutuals.exports`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpResponse

from mutuals.accounts.permissions import Viewer, visible
from mutuals.contracts.audit import QUESTIONS, TEST_CODES, ContractAudit, audit_contracts
from mutuals.contracts.models import Contract, ContractStatus
from mutuals.exports import neutralise_frame
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.web.forms import LenientFilterForm

PASS, FAIL, FAILING = "pass", "fail", "failing"
# Column headings, with soft hyphens so that six test columns fit beside the others.
SHORT_LABELS = {
    "objectives": "Objec\u00adtives",
    "savings": "Sav\u00adings",
    "baseline": "Base\u00adline",
    "extra_benefits": "Bene\u00adfits",
    "continuity": "Contin\u00aduity",
    "evaluation": "Evalu\u00adation",
}
SORTS = {
    "reference": ("Contract", lambda a: (a.reference.lower(), a.contract_id)),
    "provider": ("Provider", lambda a: (a.provider.name.lower(), a.reference.lower())),
    "status": ("Status", lambda a: (a.status, a.reference.lower())),
    "value": ("Annual value", lambda a: (a.annual_value, a.reference.lower())),
    "passed": ("Tests passed", lambda a: (a.passed_count, a.reference.lower())),
}
STATUS_NAMES = dict(ContractStatus.choices)


def test_field(code: str) -> str:
    return f"test_{code}"


class ContractTableForm(LenientFilterForm):
    q = forms.CharField(
        label="Search",
        help_text="Part of a contract's reference or title, or its provider's name",
        required=False,
        max_length=200,
    )
    commissioner = forms.TypedChoiceField(
        label="Commissioner", required=False, coerce=int, empty_value=None
    )
    provider = forms.TypedChoiceField(
        label="Provider", required=False, coerce=int, empty_value=None
    )
    programme = forms.ChoiceField(label="Programme", required=False)
    status = forms.MultipleChoiceField(
        label="Status", choices=ContractStatus.choices, required=False
    )
    audit = forms.ChoiceField(
        label="Audit tests",
        required=False,
        choices=[
            ("", "Any result"),
            (FAILING, "Failing at least one test"),
            (PASS, "Passing all six"),
        ],
    )
    sort = forms.ChoiceField(
        required=False, choices=[(key, label) for key, (label, _) in SORTS.items()]
    )
    order = forms.ChoiceField(
        required=False, choices=[("asc", "Ascending"), ("desc", "Descending")]
    )

    def __init__(self, *args, viewer: Viewer, programmes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        commissioners, providers = _organisation_choices(viewer)
        self.fields["commissioner"].choices = [("", "All commissioners"), *commissioners]
        self.fields["provider"].choices = [("", "All providers"), *providers]
        self.fields["programme"].choices = [("", "All programmes"), *programmes]
        for question in QUESTIONS:
            self.fields[test_field(question.code)] = forms.ChoiceField(
                label=question.label,
                help_text=question.question,
                required=False,
                choices=[("", "Passed or failed"), (PASS, "Passed"), (FAIL, "Failed")],
            )

    def test_fields(self):
        return [self[test_field(code)] for code in TEST_CODES]


def _organisation_choices(viewer: Viewer) -> tuple[list, list]:
    """The commissioners and the providers of the contracts the viewer may see, by name, in
    one query (a commissioning body holds no contracts as a provider)."""
    contracts = visible(viewer, "contract")
    named = Organisation.objects.filter(
        Q(kind=OrganisationKind.COMMISSIONER, pk__in=contracts.values("commissioners"))
        | Q(pk__in=contracts.values("provider"))
    ).order_by("name", "pk")
    commissioners, providers = [], []
    for pk, name, kind in named.values_list("pk", "name", "kind"):
        (commissioners if kind == OrganisationKind.COMMISSIONER else providers).append((pk, name))
    return commissioners, providers


def _narrowed(viewer: Viewer, filters: dict) -> QuerySet[Contract]:
    contracts = visible(viewer, "contract")
    if filters["commissioner"]:
        contracts = contracts.filter(commissioners=filters["commissioner"])
    if filters["provider"]:
        contracts = contracts.filter(provider_id=filters["provider"])
    if filters["programme"]:
        contracts = contracts.filter(
            provider__programmemembership__programme__code=filters["programme"]
        )
    if filters["status"]:
        contracts = contracts.filter(status__in=filters["status"])
    if words := (filters["q"] or "").strip():
        contracts = contracts.filter(
            Q(reference__icontains=words)
            | Q(title__icontains=words)
            | Q(provider__name__icontains=words)
        )
    return Contract.objects.filter(pk__in=contracts.values("pk"))


def _keeps(audit: ContractAudit, filters: dict) -> bool:
    if filters["audit"] == FAILING and not audit.failures:
        return False
    if filters["audit"] == PASS and audit.failures:
        return False
    for code in TEST_CODES:
        wanted = filters[test_field(code)]
        if wanted and audit.passed(code) != (wanted == PASS):
            return False
    return True


@dataclass(frozen=True)
class ContractTable:
    rows: list[ContractAudit]
    sort: str
    descending: bool


def contract_table(viewer: Viewer, filters: dict) -> ContractTable:
    """The audits of the contracts the filters keep, in the order asked for."""
    audits = [a for a in audit_contracts(_narrowed(viewer, filters)) if _keeps(a, filters)]
    sort = filters["sort"] or "reference"
    descending = filters["order"] == "desc"
    audits.sort(key=SORTS[sort][1], reverse=descending)
    return ContractTable(audits, sort, descending)


def sort_headers(request, table: ContractTable) -> list[dict]:
    """Each sortable column's heading: its link (the other order when it is the sorted one)
    and its aria-sort value."""
    headers = []
    for key, (label, _) in SORTS.items():
        query = request.GET.copy()
        query.pop("page", None)
        current = key == table.sort
        query["sort"] = key
        query["order"] = (
            "asc"
            if current and table.descending
            else ("desc" if current else ("desc" if key in ("value", "passed") else "asc"))
        )
        headers.append(
            {
                "key": key,
                "label": label,
                "href": "?" + query.urlencode(),
                "aria_sort": (
                    ("descending" if table.descending else "ascending") if current else "none"
                ),
            }
        )
    return headers


CSV_COLUMNS = [
    "reference",
    "title",
    "provider",
    "commissioners",
    "programmes",
    "status",
    "start_date",
    "end_date",
    "annual_value",
    *TEST_CODES,
    "tests_passed",
]


def contracts_csv(table: ContractTable) -> HttpResponse:
    """Every row of the table as CSV, tests as ``passed`` or ``failed``."""
    frame = pl.DataFrame(
        [
            {
                "reference": a.reference,
                "title": a.title,
                "provider": a.provider.name,
                "commissioners": "; ".join(c.name for c in a.commissioners),
                "programmes": "; ".join(p.name for p in a.programmes),
                "status": STATUS_NAMES.get(a.status, a.status),
                "start_date": a.start_date.isoformat(),
                "end_date": a.end_date.isoformat(),
                "annual_value": str(a.annual_value),
                **{code: "passed" if a.passed(code) else "failed" for code in TEST_CODES},
                "tests_passed": a.passed_count,
            }
            for a in table.rows
        ],
        schema={name: pl.Int64 if name == "tests_passed" else pl.String for name in CSV_COLUMNS},
    )
    buffer = io.BytesIO()
    neutralise_frame(frame).write_csv(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="contracts.csv"'
    return response
