"""Running a survey from the web: a provider's manager creates one, issues its links as a
CSV download, adds responses from a file, closes it and publishes the results; every step
is audited, and nobody else may take them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mutuals.accounts.models import AuditEvent
from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey, SurveyLink, SurveyStatus
from mutuals.engagement.surveys import create_survey
from mutuals.governance.models.register import Person, RoleGroup
from web.date_boxes import date_boxes
from web.test_page_conventions import check_conventions

OPENS_1_OCTOBER = date_boxes("opens_on", dt.date(2024, 10, 1))
OCTOBER_TO_NOVEMBER = {**OPENS_1_OCTOBER, **date_boxes("closes_on", dt.date(2024, 11, 30))}
CLOSES_BEFORE_OPENING = {**OPENS_1_OCTOBER, **date_boxes("closes_on", dt.date(2024, 9, 1))}
REGISTER_1_OCTOBER = date_boxes("register_on", dt.date(2024, 10, 1))


@pytest.fixture
def survey(world):
    return create_survey(
        world["health"],
        year=2024,
        title="Staff survey 2024",
        opens_on=dt.date(2024, 10, 1),
        closes_on=dt.date(2099, 11, 30),
        group_question="Which rota are you on?",
        group_choices=["Days", "Nights"],
    )


@pytest.fixture
def manager(sign_in):
    return sign_in("provider_manager")


def page(response, status=200) -> str:
    assert response.status_code == status, response.content.decode()[:2000]
    html = response.content.decode()
    check_conventions(html)
    return html


def audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_a_manager_creates_a_survey(manager, world):
    listed = page(manager.get(reverse("surveys", args=[world["health"].pk])))
    assert "has run no staff surveys" in listed and "Create a survey" in listed
    new = reverse("survey-new", args=[world["health"].pk])
    form = page(manager.get(new))
    assert 'name="year"' in form

    refused = page(
        manager.post(new, {"year": "20x4", **CLOSES_BEFORE_OPENING}),
        400,
    )
    assert "Enter the survey year as a number" in refused
    refused = page(
        manager.post(new, {"year": "2024", **CLOSES_BEFORE_OPENING}),
        400,
    )
    assert "The closing date must be on or after the opening date" in refused
    refused = page(
        manager.post(
            new,
            {
                "year": "2024",
                **OCTOBER_TO_NOVEMBER,
                "group_question": "Which rota?",
            },
        ),
        400,
    )
    assert "Enter the answers to the group question" in refused
    assert not Survey.objects.exists()

    done = manager.post(
        new,
        {
            "year": "2024",
            **OCTOBER_TO_NOVEMBER,
            "group_question": "Which rota?",
            "group_choices": "Days\n\nNights\n",
        },
        follow=True,
    )
    survey = Survey.objects.get()
    html = page(done)
    assert survey.groups == ["Days", "Nights"] and survey.title == "Staff engagement survey 2024"
    assert "Survey created" in html and "Issue links" in html
    [event] = audited("survey-create")
    assert event.organisation == world["health"] and event.object_id == str(survey.pk)

    again = page(
        manager.post(new, {"year": "2024", **OCTOBER_TO_NOVEMBER}),
        400,
    )
    assert "already has a survey for that year" in again
    assert Survey.objects.count() == 1


def read_links(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert response.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_links_go_to_the_register_once_each_or_in_a_number(manager, client, world, survey):
    Person.objects.bulk_create(
        Person(organisation=world["health"], reference=f"P{n}", name=f"Person {n}",
               role_group=RoleGroup.FRONTLINE, employed_from=dt.date(2010, 1, 1))
        for n in range(3)
    )  # fmt: skip
    url = reverse("survey-links", args=[survey.pk])
    assert "Keep the file safe" in page(manager.get(url))

    rows = read_links(manager.post(url, {"recipients": "register", **REGISTER_1_OCTOBER}))
    assert [row["reference"] for row in rows] == ["P0", "P1", "P2"]
    assert all(row["link"].startswith("http") and "/survey/" in row["link"] for row in rows)
    again = page(manager.post(url, {"recipients": "register", **REGISTER_1_OCTOBER}), 400)
    assert "no links were issued" in again

    rows = read_links(manager.post(url, {"recipients": "count", "count": "4"}))
    assert len(rows) == 4 and {row["name"] for row in rows} == {""}
    assert SurveyLink.objects.filter(survey=survey).count() == 7
    answer_path = "/" + rows[0]["link"].split("/", 3)[3]
    assert client.get(answer_path).status_code == 200

    for data, message in [
        ({}, "Select who the links are for"),
        ({"recipients": "register"}, "Enter the date of the register to use"),
        ({"recipients": "count", "count": "0"}, "Ask for at least 1 link"),
        ({"recipients": "count", "count": "lots"}, "Enter the number of links as a whole"),
    ]:
        assert message in page(manager.post(url, data), 400)
    assert SurveyLink.objects.filter(survey=survey).count() == 7
    assert [event.changes for event in audited("survey-links")] == [
        {"links": [None, 3], "register_on": [None, "2024-10-01"]},
        {"links": [None, 4], "count": [None, 4]},
    ]


def responses_file(*rows: str, name="responses.csv") -> SimpleUploadedFile:
    header = ",".join((*ITEM_COLUMNS, "group"))
    return SimpleUploadedFile(name, "\n".join((header, *rows)).encode())


def test_responses_from_a_file_are_all_added_or_none(manager, survey):
    url = reverse("survey-responses", args=[survey.pk])
    page(manager.get(url))
    bad = responses_file("4,4,4,4,4,4,4,4,4,Days", "9,4,4,4,4,4,4,4,4,Weekends")
    html = page(manager.post(url, {"responses_file": bad}), 400)
    assert "Nothing was added: the file has 2 problems in 2 rows" in html
    assert "row 3, column q_look_forward" in html and "row 3, column group" in html
    assert not Response.objects.exists()
    html = page(manager.post(url, {"responses_file": SimpleUploadedFile("r.txt", b"x")}), 400)
    assert "must be a CSV or XLSX file" in html

    good = responses_file("4,4,4,4,4,4,4,4,4,Days", "strongly agree,5,5,5,5,5,5,5,5,Nights")
    done = page(manager.post(url, {"responses_file": good}, follow=True))
    assert "2 responses added from 2 rows" in done
    assert Response.objects.filter(survey=survey).count() == 2
    assert [event.changes for event in audited("survey-import")] == [{"responses": [None, 2]}]


def test_closing_then_publishing(manager, survey):
    SurveyLink.objects.create(survey=survey, token_digest="0" * 64)
    close = reverse("survey-close", args=[survey.pk])
    assert "the 1 link not yet used will stop working" in page(manager.get(close))
    done = page(manager.post(close, {}, follow=True))
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED and not survey.results_published
    assert "The survey is closed." in done and "Publish the results" in done

    for url, data in [
        (close, {}),
        (reverse("survey-links", args=[survey.pk]), {"recipients": "count", "count": "2"}),
        (
            reverse("survey-responses", args=[survey.pk]),
            {"responses_file": responses_file("4,4,4,4,4,4,4,4,4,Days")},
        ),
    ]:
        assert "This survey is closed" in page(
            manager.post(url, data), 409 if url == close else 400
        )
    assert SurveyLink.objects.count() == 1 and not Response.objects.exists()

    published = page(manager.post(reverse("survey-publish", args=[survey.pk]), follow=True))
    survey.refresh_from_db()
    assert survey.results_published and "The results are published" in published
    assert [event.action for event in AuditEvent.objects.filter(object_id=str(survey.pk))
            .exclude(action="survey-create").order_by("pk")] == [
        "survey-close", "survey-publish"
    ]  # fmt: skip


def test_closing_can_publish_at_once(manager, survey):
    manager.post(reverse("survey-close", args=[survey.pk]), {"publish": "on"})
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED and survey.results_published


def test_publishing_an_open_survey_is_refused(manager, survey):
    html = page(manager.post(reverse("survey-publish", args=[survey.pk])), 409)
    assert "Close the survey before publishing its results" in html
    survey.refresh_from_db()
    assert not survey.results_published


@pytest.mark.parametrize(
    ("role", "listing", "running"),
    # Someone not signed in is asked to sign in (302); signed in, they may still be refused.
    [("provider_staff", 200, 403), ("commissioner", 403, 404), ("auditor", 200, 403),
     ("public", 302, 404)],
)  # fmt: skip
def test_only_the_providers_managers_run_its_surveys(
    sign_in, world, survey, role, listing, running
):
    client = sign_in(role)
    assert client.get(reverse("surveys", args=[world["health"].pk])).status_code == listing
    new = client.get(reverse("survey-new", args=[world["health"].pk]))
    assert new.status_code == (302 if role == "public" else 403)
    for name in ("survey-links", "survey-responses", "survey-close"):
        assert client.get(reverse(name, args=[survey.pk])).status_code == running
    assert client.post(reverse("survey-publish", args=[survey.pk])).status_code == running
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN and not SurveyLink.objects.exists()


def test_another_providers_manager_cannot_see_the_survey(client, world, survey):
    from accounts.conftest import make_user

    other = make_user("fen-pm@example.org", "provider_manager", world["practice"])
    client.force_login(other)
    assert client.get(reverse("survey-links", args=[survey.pk])).status_code == 404
    assert client.get(reverse("surveys", args=[world["health"].pk])).status_code == 403


def test_the_provider_page_links_its_managers_to_the_surveys(manager, world):
    html = page(manager.get(world["health"].get_absolute_url()))
    assert reverse("surveys", args=[world["health"].pk]) in html


def test_a_stale_copy_of_a_closed_survey_changes_nothing(tmp_path, survey):
    """Each step reads the survey again, locked, inside its own transaction."""
    from mutuals.engagement.errors import SurveyError
    from mutuals.engagement.importing import import_responses
    from mutuals.engagement.surveys import close_survey, issue_links

    stale = Survey.objects.get(pk=survey.pk)
    close_survey(survey, publish=True)
    path = tmp_path / "late.csv"
    path.write_text(",".join(ITEM_COLUMNS) + "\n" + ",".join("4" * len(ITEM_COLUMNS)) + "\n")
    with pytest.raises(SurveyError, match="closed"):
        import_responses(stale, path)
    with pytest.raises(SurveyError, match="closed"):
        issue_links(stale, count=3)
    close_survey(stale)  # a second close from the stale copy keeps it published
    survey.refresh_from_db()
    assert survey.results_published and not Response.objects.exists()
    assert not SurveyLink.objects.exists()
    assert AuditEvent.objects.filter(action="survey-close").count() == 1


def test_an_answer_is_refused_once_the_survey_is_closed(survey):
    from mutuals.engagement.answering import submit
    from mutuals.engagement.errors import SurveyNotOpen
    from mutuals.engagement.surveys import close_survey, issue_links

    [link] = issue_links(survey, count=1)
    opened = dt.date(2024, 10, 2)
    close_survey(survey)
    with pytest.raises(SurveyNotOpen):
        submit(link.token, dict.fromkeys(ITEM_COLUMNS, 4), "Days", today=opened)
    assert not Response.objects.exists()


def test_action_pages_of_a_closed_survey_lead_back_to_it(manager, survey):
    from mutuals.engagement.surveys import close_survey

    close_survey(survey)
    for name in ("survey-links", "survey-responses", "survey-close"):
        response = manager.get(reverse(name, args=[survey.pk]))
        assert response.status_code == 302 and response["Location"] == survey.get_absolute_url()


def test_group_problems_are_named_on_their_fields(manager, world):
    new = reverse("survey-new", args=[world["health"].pk])
    base = {"year": "2024", **OCTOBER_TO_NOVEMBER}
    cases = [
        ({"group_question": "Which rota?"}, "Enter the answers to the group question"),
        ({"group_choices": "Days"}, "Enter the group question, or clear its answers"),
        (
            {"group_question": "Which rota?", "group_choices": "Days\nDays"},
            "&#x27;Days&#x27; is repeated",
        ),
        ({"group_question": "Q?", "group_choices": "x" * 101}, "100 characters or fewer"),
    ]
    for extra, message in cases:
        html = page(manager.post(new, base | extra), 400)
        assert message in html
        assert 'href="#id_year"' not in html  # the summary points at the group fields
    assert not Survey.objects.exists()


def test_links_start_with_the_address_the_manager_uses(manager, survey, settings):
    settings.ALLOWED_HOSTS = ["mutuals.example.org"]
    url = reverse("survey-links", args=[survey.pk])
    shown = page(manager.get(url, HTTP_HOST="mutuals.example.org"))
    assert "http://mutuals.example.org/survey/" in shown
    rows = read_links(
        manager.post(url, {"recipients": "count", "count": "1"}, HTTP_HOST="mutuals.example.org")
    )
    assert rows[0]["link"].startswith("http://mutuals.example.org/survey/")


def test_survey_tokens_stay_out_of_the_logs(client, survey, caplog):
    from mutuals.engagement.surveys import issue_links

    [link] = issue_links(survey, count=1)
    with caplog.at_level("INFO"):
        client.post(reverse("survey-answer", args=[link.token]), {})  # incomplete: 400
        client.get(reverse("survey-answer", args=["not-a-real-token-at-all"]))  # 404
    assert "Bad Request" in caplog.text and "/survey/[token]" in caplog.text
    assert link.token not in caplog.text and "not-a-real-token-at-all" not in caplog.text
