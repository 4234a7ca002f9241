"""Each page shows the right things, its filters narrow, and its errors are pages, not tracebacks."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from mutuals.registry.models import LegalForm, Organisation, OrganisationKind, Region
from mutuals.registry.queries import portfolio_figures
from mutuals.web.templatetags.mutuals_web import number, pounds, price_year
from mutuals.web.views import errors

BANNER = "All organisations and figures on this site are synthetic demo data"


def text(response) -> str:
    return response.content.decode()


def names_listed(response) -> set[str]:
    return {organisation.name for organisation in response.context["page"].object_list}


# Formatting


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("14250000.30"), "£14,250,000.30"),
        (Decimal("1000.00"), "£1,000"),
        (Decimal("0.05"), "£0.05"),
        (None, "Not recorded"),
    ],
)
def test_pounds(value, shown):
    assert pounds(value) == shown


def test_numbers_and_price_years():
    assert (number(1245), number(93.25), number(4.0), number(None)) == (
        "1,245",
        "93.25",
        "4",
        "Not recorded",
    )
    assert (price_year(2010), price_year(1999)) == ("2010/11", "1999/00")


# Home


def test_home_shows_portfolio_figures(client, world):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = text(response)
    assert "<title>Portfolio of staff-led spin-outs – Mutuals</title>" in page
    assert "£14,250,000.30" in page  # the two active contracts, to the penny
    assert "1,245" in page  # staff in operating spin-outs; the exited one is left out
    assert "3</span>" in page and "spin-out providers" in page
    assert "5</span>" in page and "observations on record" in page
    assert BANNER in page


def test_home_lists_programmes_with_spin_outs_and_contract_value(client, world):
    programmes = {p.name: p for p in client.get(reverse("home")).context["programmes"]}
    rtr = programmes["Right to Request"]
    assert rtr.spin_outs == 2  # the comparator member is not a spin-out
    # The terminated contract is not active, so only RTR-0001 counts.
    assert rtr.active_contract_value == Decimal("12500000.10")
    integrated = programmes["Integrated care mutuals"]
    assert (integrated.spin_outs, integrated.active_contract_value) == (1, Decimal("12500000.10"))


def test_contract_value_is_an_exact_decimal_sum(world):
    figures = portfolio_figures()
    assert figures.active_contract_value == Decimal("14250000.30")
    assert (figures.providers, figures.commissioners, figures.comparators) == (3, 2, 2)
    assert (figures.programmes, figures.active_contracts, figures.observations) == (2, 2, 5)


def test_home_without_a_demo_world_has_no_banner(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert BANNER not in text(response)
    assert "No programmes have been recorded yet" in text(response)


@override_settings(DEBUG=True)
def test_banner_always_shows_in_debug(client, db):
    assert BANNER in text(client.get(reverse("home")))


# Organisations


def test_organisation_list_shows_everyone_in_name_order(client, world):
    response = client.get(reverse("organisations"))
    assert response.status_code == 200
    assert "7 organisations" in text(response)
    names = [organisation.name for organisation in response.context["page"].object_list]
    assert names == sorted(names)
    assert "Community interest company limited by guarantee" in text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fenmoor", {"Fenmoor County Council", "Fenmoor Social Work Practice"}),
        ("nqx01", {"Brackenford Community Health CIC"}),
        ("RS007001", {"Fenmoor Social Work Practice"}),
        ("  Oakhollow ", {"Oakhollow Therapies CIC"}),
        ("no such name", set()),
    ],
)
def test_search_by_name_or_identifier(client, world, query, expected):
    response = client.get(reverse("organisations"), {"q": query})
    assert names_listed(response) == expected


def test_filter_by_kind_and_programme(client, world):
    comparators = client.get(reverse("organisations"), {"kind": "comparator"})
    assert names_listed(comparators) == {
        "Comparator Community Services 1",
        "Comparator Community Services 2",
    }
    assert "2 organisations" in text(comparators)
    in_programme = client.get(
        reverse("organisations"), {"programme": "right-to-request", "kind": ["provider"]}
    )
    assert names_listed(in_programme) == {
        "Brackenford Community Health CIC",
        "Oakhollow Therapies CIC",
    }
    assert 'value="provider" checked' in text(in_programme)
    assert '<option value="right-to-request" selected>' in text(in_programme)


def test_bad_filter_values_are_ignored(client, world):
    response = client.get(reverse("organisations"), {"programme": "nope", "kind": "wizard"})
    assert response.status_code == 200
    assert len(names_listed(response)) == 7


@pytest.fixture
def many_comparators(world):
    Organisation.objects.bulk_create(
        Organisation(
            name=f"Zeta Unit {n:03d}",
            kind=OrganisationKind.COMPARATOR,
            legal_form=LegalForm.IN_HOUSE_UNIT,
            region=Region.LONDON,
        )
        for n in range(120)
    )


def test_pagination_pages_by_fifty_and_keeps_filters(client, many_comparators):
    url = reverse("organisations")
    first = client.get(url, {"kind": "comparator"})
    assert "122 organisations" in text(first)
    assert len(first.context["page"].object_list) == 50
    assert "kind=comparator&amp;page=2" in text(first)
    assert "govuk-pagination" in text(first)
    third = client.get(url, {"kind": "comparator", "page": 3})
    assert [o.name for o in third.context["page"].object_list][-1] == "Zeta Unit 119"
    assert len(third.context["page"].object_list) == 22
    assert "Organisations (page 3 of 3) – Mutuals" in text(third)


@pytest.mark.parametrize(("page", "expected"), [("abc", 1), ("0", 3), ("999", 3), ("", 1)])
def test_bad_page_numbers_fall_back(client, many_comparators, page, expected):
    response = client.get(reverse("organisations"), {"kind": "comparator", "page": page})
    assert response.status_code == 200
    assert response.context["page"].number == expected


def test_organisation_list_queries_do_not_grow_with_rows(
    client, many_comparators, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        client.get(reverse("organisations"))


def test_organisation_page(client, world):
    response = client.get(world["health"].get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    assert "<title>Brackenford Community Health CIC – Mutuals</title>" in page
    for shown in ("NQX01", "07123456", "1 April 2011", "1,200", "District nursing", "North East"):
        assert shown in page
    assert f'href="{world["pct"].get_absolute_url()}"' in page  # parent body linked
    assert "Right to Request (spin-out)" in page
    assert f'href="{world["health_contract"].get_absolute_url()}"' in page


def test_organisation_page_shows_latest_current_return_and_its_versions(auditor_client, world):
    latest = {
        o.metric.code: o
        for o in auditor_client.get(world["health"].get_absolute_url()).context["latest_returns"]
    }
    assert (latest["visits-on-time"].period, latest["visits-on-time"].value) == ("2011-Q3", 93.25)
    assert latest["visits-on-time"].versions == 2
    assert (latest["sickness-absence"].value, latest["sickness-absence"].versions) == (4.1, 1)


def test_commissioner_page_lists_contracts_commissioned(auditor_client, world):
    page = text(auditor_client.get(world["pct"].get_absolute_url()))
    assert "Contracts commissioned" in page
    assert "RTR-0001" in page and "RTR-0002" in page
    assert "No returns have been received" in page


def test_unknown_organisation_is_404(client, world):
    response = client.get(reverse("organisation", args=[999999]))
    assert response.status_code == 404
    assert "Page not found" in text(response)


@pytest.mark.parametrize("key", ["health", "pct"])
def test_organisation_page_query_count_is_fixed(client, world, key, django_assert_max_num_queries):
    # A provider's page adds four for its Staff control section (people with their
    # holdings, board seats, constitution, spin-out vote), however large the register,
    # and one for the data's version under which the section is kept (mutuals.web.kept).
    with django_assert_max_num_queries(14):
        assert client.get(world[key].get_absolute_url()).status_code == 200


# Contracts


def test_contract_list_and_filters(client, world):
    everything = client.get(reverse("contracts"))
    assert "3 contracts" in text(everything)
    terminated = client.get(reverse("contracts"), {"status": "terminated"})
    assert [c.reference for c in terminated.context["page"].object_list] == ["RTR-0002"]
    in_programme = client.get(reverse("contracts"), {"programme": "right-to-request"})
    assert [c.reference for c in in_programme.context["page"].object_list] == [
        "RTR-0001",
        "RTR-0002",
    ]
    bad = client.get(reverse("contracts"), {"status": "sideways", "page": "x"})
    assert bad.status_code == 200 and "3 contracts" in text(bad)


def test_contract_page_shows_terms_objectives_and_baseline(client, world):
    response = client.get(world["health_contract"].get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    assert "<title>Contract RTR-0001 – Mutuals</title>" in page
    for shown in (
        "Brackenford Primary Care Trust",
        "£12,500,000.10",
        "1 April 2011",
        "31 March 2016",
        "Raise visits made on time",
        "95 %",
        "Quarterly returns",
        "£50",  # unit cost: £12m over 240,000 contacts
        "240,000 contacts",
        "2010/11",
        "2% a year in real terms",
        "Apprenticeships for local young people.",
    ):
        assert shown in page, shown
    assert page.count("Not measurable") == 1  # staff wellbeing has no metric, target or deadline


def test_contract_without_baseline_or_plans_says_so(client, world):
    page = text(client.get(world["practice_contract"].get_absolute_url()))
    assert "No in-house baseline recorded" in page
    assert "This contract sets out no objectives" in page
    assert page.count("Not recorded") >= 4  # savings, benefits, continuity, evaluation


def test_contract_pages_query_count_is_fixed(client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get(world["health_contract"].get_absolute_url())
    with django_assert_max_num_queries(7):  # one more for the data's version (web.kept)
        client.get(reverse("contracts"))
    with django_assert_max_num_queries(3):  # kept: the version, and no table read again
        client.get(reverse("contracts"))


def test_unknown_contract_is_404(client, world):
    assert client.get(reverse("contract", args=[424242])).status_code == 404


# Errors


def test_server_error_page_is_rendered_without_touching_the_database(
    world, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in text(response)
    assert "Traceback" not in text(response)


def test_an_exception_in_a_view_gives_the_500_page(world):
    client = Client(raise_request_exception=False)
    with mock.patch("mutuals.registry.queries.portfolio_figures", side_effect=RuntimeError("boom")):
        response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in text(response)
    assert "boom" not in text(response)


def test_forbidden_page(world):
    response = errors.forbidden(RequestFactory().get("/"), exception=PermissionError())
    assert response.status_code == 403
    assert "You cannot see this page" in text(response)


# Admin


@pytest.fixture
def admin_client_logged_in(client, world, django_user_model):
    user = django_user_model.objects.create(
        username="back-office", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:registry_organisation_changelist",
        "admin:registry_programme_changelist",
        "admin:contracts_contract_changelist",
        "admin:contracts_contract_add",
        "admin:returns_metric_changelist",
        "admin:returns_observation_changelist",
        "admin:returns_submission_changelist",
    ],
)
def test_admin_pages_render(admin_client_logged_in, url_name):
    assert admin_client_logged_in.get(reverse(url_name)).status_code == 200


def test_observations_are_read_only_in_admin(admin_client_logged_in, world):
    observation = world["health"].observation_set.first()
    assert admin_client_logged_in.get(reverse("admin:returns_observation_add")).status_code == 403
    change = admin_client_logged_in.get(
        reverse("admin:returns_observation_change", args=[observation.pk])
    )
    assert change.status_code == 200
    assert 'name="value"' not in change.content.decode()  # shown, not editable
    delete = reverse("admin:returns_observation_delete", args=[observation.pk])
    assert admin_client_logged_in.get(delete).status_code == 403
