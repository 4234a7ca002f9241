"""Contracts as an OCDS 1.1 release package, out and back in.

One release per contract, tagged ``award`` and ``contract``, with ``ocid`` the
contract reference after :data:`OCID_PREFIX`. Commissioners are parties with the
role ``buyer`` (the first is the release's ``buyer``) and the provider the
``supplier``; each party's identifier uses the org-id.guide schemes ``GB-NHS``
(NHS ODS code), ``GB-COH`` (Companies House) and ``GB-CHC`` (charity number).
Services are items. Objectives are ``contracts[0].agreedMetrics`` (metrics
extension: a ``target`` observation whose ``measure`` is the target, period
``endDate`` the deadline, and dimensions ``metric`` and ``direction``); the
provider's current returns for each objective's metric during the contract are
``contracts[0].implementation.metrics``. Extra benefits and the social value
weight are ``tender.sustainability`` (sustainability extension).

OCDS has no place for the rest, so it travels in the namespaced object
``contracts[0].mutuals`` (an additional property, which OCDS allows): the exact
annual value (OCDS ``value`` is the whole contract's, annual value times its
length in whole months), our status (OCDS's contract status cannot tell a
contract that ended from one terminated early), the savings requirement, the
social value weight as a number, the continuity plan, the evaluation plan and
the in-house baseline.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mutuals.contracts import relationships
from mutuals.contracts.models import (
    Baseline,
    Contract,
    ContractStatus,
    Objective,
    ObjectiveDirection,
)
from mutuals.contracts.ocds_schema import PathProblem, validate_release_package
from mutuals.errors import ImportRejected
from mutuals.registry.models import LegalForm, Organisation, Region, Service
from mutuals.returns.cells import quoted
from mutuals.returns.models import CurrentObservation, Metric

__all__ = [
    "OCID_PREFIX",
    "ImportReport",
    "PathProblem",
    "export_release_package",
    "import_release_package",
    "validate_release_package",
]

OCID_PREFIX = "ocds-mutuals-"  # not a registered OCDS prefix: these are not official releases
PACKAGE_URI = "https://mutuals.invalid/open-data/contracts.ocds.json"
PUBLISHER = {"name": "Mutuals evidence service"}
SCHEMES = {"ods_code": "GB-NHS", "company_number": "GB-COH", "charity_number": "GB-CHC"}
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_metrics_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_sustainability_extension/master/extension.json",
]
CONTRACT_STATUS = {
    ContractStatus.DRAFT: "pending",
    ContractStatus.ACTIVE: "active",
    ContractStatus.ENDED: "terminated",
    ContractStatus.TERMINATED: "terminated",
}
AWARD_STATUS = {ContractStatus.DRAFT: "pending"}  # otherwise "active"
EXTRA_BENEFITS = "contractPerformanceConditions"
SOCIAL_VALUE_WEIGHT = "awardCriteria"


def organisation_identifiers(organisation) -> list[dict]:
    """The organisation's identifiers as OCDS Identifier objects, the ODS code first."""
    return [
        {"scheme": scheme, "id": getattr(organisation, field), "legalName": organisation.name}
        for field, scheme in SCHEMES.items()
        if getattr(organisation, field)
    ]


def party_id(organisation) -> str:
    identifiers = organisation_identifiers(organisation)
    if identifiers:
        return f"{identifiers[0]['scheme']}-{identifiers[0]['id']}"
    return f"mutuals-organisation-{organisation.pk}"


def _party(organisation, roles: list[str]) -> dict:
    party = {"id": party_id(organisation), "name": organisation.name, "roles": roles}
    identifiers = organisation_identifiers(organisation)
    if identifiers:
        party["identifier"] = identifiers[0]
    if len(identifiers) > 1:
        party["additionalIdentifiers"] = identifiers[1:]
    party["address"] = {"region": organisation.get_region_display(), "countryName": "England"}
    party["details"] = {
        "mutuals": {"kind": organisation.kind, "legalForm": organisation.legal_form}
    }
    return party


def _reference(organisation) -> dict:
    return {"id": party_id(organisation), "name": organisation.name}


def _datetime(day: dt.date | None) -> str | None:
    return f"{day.isoformat()}T00:00:00Z" if day else None


def contract_months(start: dt.date, end: dt.date) -> int:
    """The contract's length in whole months (at least one), counting its last day."""
    return max(1, round(((end - start).days + 1) / 365.25 * 12))


def _number(value: Decimal | float | None):
    return None if value is None else float(value)


def export_release_package(contracts=None, *, viewer=None, published: dt.datetime | None = None):
    """An OCDS release package of ``contracts`` (default: all). With ``viewer``, only the
    returns that viewer may see become actual results (none, for the public)."""
    contracts = Contract.objects.all() if contracts is None else contracts
    contracts = list(
        contracts.select_related("provider", "baseline__quality_metric").prefetch_related(
            "commissioners", "services", "objectives__metric"
        )
    )
    results = _results(contracts, viewer)
    published = _datetime_text(published or timezone.now())
    return {
        "uri": PACKAGE_URI,
        "version": "1.1",
        "extensions": EXTENSIONS,
        "publishedDate": published,
        "publisher": PUBLISHER,
        "releases": [_release(contract, results, published) for contract in contracts],
    }


def _datetime_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _results(contracts, viewer) -> dict[tuple[int, int], list]:
    """Current observations of each provider's metrics, keyed by (provider, metric)."""
    providers = {contract.provider_id for contract in contracts}
    metrics = {o.metric_id for c in contracts for o in c.objectives.all() if o.metric_id}
    observations = CurrentObservation.objects.filter(
        organisation_id__in=providers, metric_id__in=metrics
    ).order_by("period_start")
    if viewer is not None:
        from mutuals.accounts.permissions import visible_observations

        observations = visible_observations(viewer, observations)
    found = defaultdict(list)
    for observation in observations:
        found[observation.organisation_id, observation.metric_id].append(observation)
    return found


def _release(contract: Contract, results, published: str) -> dict:
    commissioners = list(contract.commissioners.all())
    period = {"startDate": _datetime(contract.start_date), "endDate": _datetime(contract.end_date)}
    months = contract_months(contract.start_date, contract.end_date)
    total = (contract.annual_value * months / 12).quantize(Decimal("0.01"))
    value = {"amount": float(total), "currency": "GBP"}
    items = [
        {"id": str(number), "description": service.name}
        for number, service in enumerate(contract.services.all(), start=1)
    ]
    award = {
        "id": f"{contract.reference}-award",
        "title": contract.title,
        "status": AWARD_STATUS.get(contract.status, "active"),
        "suppliers": [_reference(contract.provider)],
        "value": value,
        "contractPeriod": period,
    }
    ocds_contract = {
        "id": contract.reference,
        "awardID": award["id"],
        "title": contract.title,
        "status": CONTRACT_STATUS[contract.status],
        "period": period,
        "value": value,
        "mutuals": _terms(contract),
    }
    if items:
        award["items"] = ocds_contract["items"] = items
    if agreed := _agreed_metrics(contract):
        ocds_contract["agreedMetrics"] = agreed
    if actual := _actual_metrics(contract, results):
        ocds_contract["implementation"] = {"metrics": actual}
    release = {
        "ocid": f"{OCID_PREFIX}{contract.reference}",
        "id": f"{contract.reference}-{published}",
        "date": published,
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "language": "en",
        "parties": [_party(o, ["buyer"]) for o in commissioners]
        + [_party(contract.provider, ["supplier"])],
        "tender": {"id": f"{contract.reference}-tender", "title": contract.title},
        "awards": [award],
        "contracts": [ocds_contract],
    }
    if commissioners:
        release["buyer"] = _reference(commissioners[0])
    if sustainability := _sustainability(contract):
        release["tender"].update(hasSustainability=True, sustainability=sustainability)
    return release


def _terms(contract: Contract) -> dict:
    terms = {
        "annualValue": float(contract.annual_value),
        "status": contract.status,
        "savingsRequirementPercent": _number(contract.savings_requirement_pct),
        "socialValueWeightPercent": _number(contract.social_value_weight_pct),
        "continuityPlan": contract.continuity_plan,
        "evaluationPlan": contract.evaluation_plan,
    }
    baseline = getattr(contract, "baseline", None)
    if baseline is not None:
        terms["baseline"] = {
            "annualCost": float(baseline.annual_cost),
            "annualActivity": float(baseline.annual_activity),
            "activityUnit": baseline.activity_unit,
            "qualityMetric": baseline.quality_metric.code if baseline.quality_metric else None,
            "qualityValue": baseline.quality_value,
            "priceYear": baseline.price_year,
        }
    return terms


def _sustainability(contract: Contract) -> list[dict]:
    found = []
    if contract.extra_benefits:
        found.append(
            {
                "goal": "social",
                "strategies": [EXTRA_BENEFITS],
                "description": contract.extra_benefits,
            }
        )
    if contract.social_value_weight_pct is not None:
        found.append(
            {
                "goal": "social",
                "strategies": [SOCIAL_VALUE_WEIGHT],
                "description": f"Social value carried {contract.social_value_weight_pct}% "
                "of the weighting when the contract was awarded.",
            }
        )
    return found


def _agreed_metrics(contract: Contract) -> list[dict]:
    agreed = []
    for number, objective in enumerate(contract.objectives.all(), start=1):
        target = {"id": f"{number}-target", "dimensions": {"direction": objective.direction}}
        if objective.metric:
            target["dimensions"]["metric"] = objective.metric.code
            target["unit"] = {"name": objective.metric.unit}
        if objective.target is not None:
            target["measure"] = objective.target
        if objective.deadline:
            target["period"] = {"endDate": _datetime(objective.deadline)}
        metric = {"id": str(number), "title": objective.description, "observations": [target]}
        if objective.measurement:
            metric["description"] = objective.measurement
        agreed.append(metric)
    return agreed


def _actual_metrics(contract: Contract, results) -> list[dict]:
    actual = []
    for number, objective in enumerate(contract.objectives.all(), start=1):
        if objective.metric is None:
            continue
        observations = [
            {
                "id": f"{number}-{observation.period}",
                "measure": observation.value,
                "period": {"startDate": _datetime(observation.period_start)},
                "unit": {"name": objective.metric.unit},
                "dimensions": {"metric": objective.metric.code, "period": observation.period},
            }
            for observation in results.get((contract.provider_id, objective.metric_id), [])
            if contract.start_date <= observation.period_start <= contract.end_date
        ]
        if observations:
            actual.append(
                {"id": str(number), "title": objective.description, "observations": observations}
            )
    return actual


# Import ---------------------------------------------------------------------------------

STATUS_FROM_OCDS = {
    "pending": ContractStatus.DRAFT,
    "active": ContractStatus.ACTIVE,
    "terminated": ContractStatus.ENDED,
    "cancelled": ContractStatus.TERMINATED,
}
FIELD_FROM_SCHEME = {scheme: field for field, scheme in SCHEMES.items()}
REGIONS = {label.lower(): code for code, label in Region.choices}


class Rejected(Exception):
    """One problem that stops a release being imported."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason


@dataclass(frozen=True)
class ImportReport:
    releases: int
    created: int
    updated: int
    organisations_created: int


@dataclass
class _Organisations:
    """Organisations named by the package: found by identifier, or new ones to create."""

    new: dict[str, Organisation] = field(default_factory=dict)

    def resolve(self, party: dict, path: str, kind: str) -> Organisation:
        identifiers = [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]
        known = [(i.get("scheme"), str(i.get("id"))) for i in identifiers if i.get("id")]
        usable = [(s, code) for s, code in known if s in FIELD_FROM_SCHEME]
        if not usable:
            named = list(Organisation.objects.filter(name=party.get("name") or "")[:2])
            if len(named) == 1:  # an organisation without identifiers, known by its name
                return named[0]
            raise Rejected(
                f"{path}.identifier",
                "give an identifier with the scheme GB-NHS (ODS code), GB-COH (Companies "
                "House) or GB-CHC (charity number) so the organisation can be matched",
            )
        for scheme, code in usable:
            lookup = {FIELD_FROM_SCHEME[scheme]: code}
            found = Organisation.objects.filter(**lookup).first() or self.new.get(scheme + code)
            if found is not None:
                return found
        organisation = self._create(party, path, kind, usable)
        for scheme, code in usable:
            self.new[scheme + code] = organisation
        return organisation

    def _create(self, party, path, kind, usable) -> Organisation:
        details = _object((party.get("details") or {}).get("mutuals"), f"{path}.details.mutuals")
        region = REGIONS.get(str((party.get("address") or {}).get("region", "")).lower())
        if region is None:
            raise Rejected(
                f"{path}.address.region",
                "a new organisation needs its English region, such as 'North East' or 'London'",
            )
        organisation = Organisation(
            name=party.get("name") or "",
            kind=_text(details, "kind", f"{path}.details.mutuals") or kind,
            legal_form=_text(details, "legalForm", f"{path}.details.mutuals")
            or _legal_form(usable[0][0], kind),
            region=region,
            **{FIELD_FROM_SCHEME[scheme]: code for scheme, code in usable},
        )
        _clean(organisation, path, {"name": "name", "ods_code": "identifier.id"})
        return organisation


def _legal_form(scheme: str, kind: str) -> str:
    if scheme == "GB-NHS":
        return LegalForm.NHS_COMMISSIONER if kind == "commissioner" else LegalForm.NHS_TRUST
    return LegalForm.CHARITY if scheme == "GB-CHC" else LegalForm.COMPANY


def _clean(instance, path: str, paths: dict[str, str], exclude=()) -> None:
    """Django validation, with the first problem reported at its JSON path."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            where = paths.get(name, name if name != "__all__" else "")
            raise Rejected(f"{path}.{where}" if where else path, messages[0]) from None


def import_release_package(data) -> ImportReport:
    """Create or update one contract per release, in one transaction. Raises
    :class:`ImportRejected` listing every problem (schema first, then meaning), and then
    nothing is written."""
    if not isinstance(data, dict):
        raise ImportRejected([PathProblem(0, "", "the file is not an OCDS release package")], 0)
    releases = data.get("releases") if isinstance(data.get("releases"), list) else []
    try:
        problems = validate_release_package(data)
    except RecursionError:
        problems = [PathProblem(0, "", "the package nests lists or objects too deeply to read")]
    if problems:
        raise ImportRejected(problems, len(releases))
    organisations = _Organisations()
    savers, seen = [], {}
    for index, release in enumerate(releases):
        try:
            savers.append(_prepare(release, index, organisations, seen))
        except Rejected as error:
            problems.append(PathProblem(index + 1, error.path, error.reason))
    if problems:
        raise ImportRejected(sorted(problems), len(releases))
    with transaction.atomic():
        for organisation in {id(o): o for o in organisations.new.values()}.values():
            organisation.save()
        created = sum(save() for save in savers)
    return ImportReport(
        len(releases),
        created,
        len(releases) - created,
        len({id(o) for o in organisations.new.values()}),
    )


def _prepare(release: dict, index: int, organisations: _Organisations, seen: dict):
    root = f"releases[{index}]"
    award, award_path = _first(release, "awards", root)
    ocds_contract, contract_path = _first(release, "contracts", root)
    main, main_path = (ocds_contract, contract_path) if ocds_contract else (award, award_path)
    if not main:
        raise Rejected(f"{root}.awards", "give an award or a contract to import")
    terms_path = f"{contract_path}.mutuals"
    terms = _object(ocds_contract.get("mutuals"), terms_path)
    reference = str(ocds_contract.get("id") or release["ocid"].removeprefix(OCID_PREFIX))
    if reference in seen:
        raise Rejected(
            f"{root}.ocid", f"contract {quoted(reference)} repeats releases[{seen[reference]}]"
        )
    seen[reference] = index
    parties = {party.get("id"): (p, party) for p, party in enumerate(release.get("parties") or [])}
    provider = _supplier(root, award, award_path, parties, organisations)
    commissioners = _buyers(root, release, parties, organisations)
    period = main.get("period") or main.get("contractPeriod") or {}
    period_path = f"{main_path}.{'period' if 'period' in main else 'contractPeriod'}"
    start = _date(period.get("startDate"), f"{period_path}.startDate", required=True)
    end = _date(period.get("endDate"), f"{period_path}.endDate", required=True)
    contract = Contract.objects.filter(reference=reference).first()
    created = contract is None
    contract = contract or Contract(reference=reference)
    contract.title = main.get("title") or release.get("tender", {}).get("title") or reference
    contract.provider = provider
    contract.start_date, contract.end_date = start, end
    contract.annual_value = _annual_value(main, main_path, terms, start, end)
    contract.status = _text(terms, "status", terms_path) or STATUS_FROM_OCDS.get(
        main.get("status"), ContractStatus.ACTIVE
    )
    benefits, weight = _sustainability_terms(release)
    contract.extra_benefits = benefits
    contract.social_value_weight_pct = _decimal(
        terms.get("socialValueWeightPercent", weight), f"{terms_path}.socialValueWeightPercent"
    )
    contract.savings_requirement_pct = _decimal(
        terms.get("savingsRequirementPercent"), f"{terms_path}.savingsRequirementPercent"
    )
    contract.continuity_plan = _text(terms, "continuityPlan", terms_path)
    contract.evaluation_plan = _text(terms, "evaluationPlan", terms_path)
    _clean(contract, main_path, _CONTRACT_PATHS, exclude=["provider", "reference"])
    services = [str(item.get("description") or "") for item in main.get("items") or []]
    objectives = _objectives(ocds_contract, contract_path)
    baseline = _baseline(terms.get("baseline"), f"{terms_path}.baseline")

    def save() -> bool:
        contract.provider = provider  # now saved, so it has its primary key
        contract.save()
        contract.commissioners.set(commissioners)
        relationships.request_missing(contract, via="import-ocds")
        contract.services.set([Service.objects.get_or_create(name=n)[0] for n in services if n])
        contract.objectives.all().delete()
        for objective in objectives:
            objective.contract = contract
            objective.save()
        if baseline is not None:
            Baseline.objects.update_or_create(contract=contract, defaults=baseline)
        else:
            Baseline.objects.filter(contract=contract).delete()
        return created

    return save


_CONTRACT_PATHS = {
    "title": "title",
    "start_date": "period.startDate",
    "end_date": "period.endDate",
    "annual_value": "value.amount",
    "status": "mutuals.status",
    "savings_requirement_pct": "mutuals.savingsRequirementPercent",
    "social_value_weight_pct": "mutuals.socialValueWeightPercent",
    "__all__": "period.endDate",
}


def _first(release: dict, key: str, root: str) -> tuple[dict, str]:
    found = release.get(key) or []
    return (found[0], f"{root}.{key}[0]") if found else ({}, f"{root}.{key}")


def _supplier(root, award, award_path, parties, organisations) -> Organisation:
    ids = [s.get("id") for s in award.get("suppliers") or []] or [
        pid for pid, (_, party) in parties.items() if "supplier" in (party.get("roles") or [])
    ]
    if len(ids) != 1:
        raise Rejected(f"{award_path}.suppliers", "name exactly one supplier: the provider")
    if ids[0] not in parties:
        raise Rejected(f"{award_path}.suppliers[0].id", f"no party has the id {quoted(ids[0])}")
    position, party = parties[ids[0]]
    return organisations.resolve(party, f"{root}.parties[{position}]", "provider")


def _buyers(root, release, parties, organisations) -> list[Organisation]:
    ids = [pid for pid, (_, p) in parties.items() if "buyer" in (p.get("roles") or [])]
    if not ids and (release.get("buyer") or {}).get("id") in parties:
        ids = [release["buyer"]["id"]]
    if not ids:
        raise Rejected(f"{root}.buyer", "name at least one buyer, the commissioner, in parties")
    return [
        organisations.resolve(parties[pid][1], f"{root}.parties[{parties[pid][0]}]", "commissioner")
        for pid in ids
    ]


def _date(value, path: str, *, required: bool = False) -> dt.date | None:
    if not value:
        if required:
            raise Rejected(path, "is required but missing")
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise Rejected(
            path, f"{quoted(value)} is not a date such as 2011-04-01T00:00:00Z"
        ) from None


def _object(value, path: str) -> dict:
    """A JSON object the schema does not check (our ``mutuals`` terms): {} when absent."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Rejected(path, f"{quoted(json.dumps(value))} is not an object: give {{...}}")
    return value


def _text(terms: dict, key: str, path: str) -> str:
    value = terms.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejected(f"{path}.{key}", f"{quoted(json.dumps(value))} is not text")
    return value


def _decimal(value, path: str) -> Decimal | None:
    """An amount to the penny, or a :class:`Rejected` naming ``path`` when it is not one."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise Rejected(path, f"{quoted(json.dumps(value, default=str))} is not a number")
    try:
        number = Decimal(str(value))
        if not number.is_finite():
            raise Rejected(path, f"{quoted(value)} is not a finite number")
        return number.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise Rejected(path, f"{quoted(value)} is not a number of pounds and pence") from None


def _annual_value(main, main_path, terms, start, end) -> Decimal:
    if terms.get("annualValue") is not None:
        return _decimal(terms["annualValue"], f"{main_path}.mutuals.annualValue")
    value = main.get("value") or {}
    if value.get("amount") is None:
        raise Rejected(f"{main_path}.value.amount", "is required but missing")
    if value.get("currency") != "GBP":
        raise Rejected(f"{main_path}.value.currency", "only contracts in GBP can be imported")
    amount = _decimal(value["amount"], f"{main_path}.value.amount")
    return _decimal(amount * 12 / contract_months(start, end), f"{main_path}.value.amount")


def _sustainability_terms(release) -> tuple[str, Decimal | None]:
    """Extra benefits, and the social value weight where a description gives it."""
    benefits, weight = [], None
    for entry in (release.get("tender") or {}).get("sustainability") or []:
        strategies = entry.get("strategies") or []
        if SOCIAL_VALUE_WEIGHT in strategies and EXTRA_BENEFITS not in strategies:
            continue  # the weight travels as a number in contracts[0].mutuals
        if entry.get("description"):
            benefits.append(entry["description"])
    return "\n\n".join(benefits), weight


def _objectives(ocds_contract, contract_path) -> list[Objective]:
    objectives = []
    for number, metric in enumerate(ocds_contract.get("agreedMetrics") or []):
        path = f"{contract_path}.agreedMetrics[{number}]"
        target = (metric.get("observations") or [{}])[0]
        target_path = f"{path}.observations[0]"
        dimensions = target.get("dimensions") or {}
        catalogue_metric = None
        if code := dimensions.get("metric"):
            catalogue_metric = Metric.objects.filter(code=code).first()
            if catalogue_metric is None:
                raise Rejected(
                    f"{target_path}.dimensions.metric",
                    f"{quoted(code)} is not a metric code in the catalogue",
                )
        objective = Objective(
            description=metric.get("title") or metric.get("description") or metric["id"],
            metric=catalogue_metric,
            direction=dimensions.get("direction") or ObjectiveDirection.MAINTAIN,
            target=_measure(target.get("measure"), f"{target_path}.measure"),
            deadline=_date(
                (target.get("period") or {}).get("endDate"), f"{target_path}.period.endDate"
            ),
            measurement=metric.get("description") if metric.get("title") else "",
        )
        objective.measurement = objective.measurement or ""
        _clean(
            objective,
            path,
            {"description": "title", "direction": "observations[0].dimensions.direction"},
            exclude=["contract"],
        )
        objectives.append(objective)
    return objectives


def _measure(value, path: str, what: str = "a target") -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Rejected(path, f"{quoted(value)} is not a number, so it cannot be {what}") from None
    if not math.isfinite(number):
        raise Rejected(path, f"{quoted(value)} is not a finite number, so it cannot be {what}")
    return number


def _baseline(terms, path: str) -> dict | None:
    terms = _object(terms, path)
    if not terms:
        return None
    try:
        quality = terms.get("qualityMetric")
        values = {
            "annual_cost": _decimal(terms["annualCost"], f"{path}.annualCost"),
            "annual_activity": _decimal(terms["annualActivity"], f"{path}.annualActivity"),
            "activity_unit": str(terms["activityUnit"]),
            "price_year": int(terms["priceYear"]),
            "quality_value": terms.get("qualityValue"),
            "quality_metric": Metric.objects.filter(code=quality).first() if quality else None,
        }
    except KeyError as missing:
        raise Rejected(f"{path}.{missing.args[0]}", "is required but missing") from None
    except (TypeError, ValueError, ArithmeticError):
        raise Rejected(path, "give numbers for annualCost, annualActivity and priceYear") from None
    if quality and values["quality_metric"] is None:
        raise Rejected(
            f"{path}.qualityMetric", f"{quoted(quality)} is not a metric code in the catalogue"
        )
    for key, name in (("annual_cost", "annualCost"), ("annual_activity", "annualActivity")):
        if values[key] is None:
            raise Rejected(f"{path}.{name}", "is required but missing")
    values["quality_value"] = _measure(
        values["quality_value"], f"{path}.qualityValue", "a quality figure"
    )
    if values["annual_activity"] <= 0:
        raise Rejected(f"{path}.annualActivity", "the in-house activity must be above zero")
    _clean(Baseline(**values), path, _BASELINE_PATHS, exclude=["contract"])
    return values


_BASELINE_PATHS = {
    "annual_cost": "annualCost",
    "annual_activity": "annualActivity",
    "activity_unit": "activityUnit",
    "price_year": "priceYear",
    "quality_value": "qualityValue",
    "quality_metric": "qualityMetric",
}
