import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutuals.engagement import surveys
from mutuals.engagement.errors import SurveyError
from mutuals.engagement.importing import import_responses
from mutuals.engagement.models import Survey
from mutuals.engagement.results import results_table, survey_results
from mutuals.errors import FileUnreadable, ImportRejected
from mutuals.exports import neutralise_frame
from mutuals.registry.lookup import organisation_by_key
from mutuals.registry.models import Organisation


class Command(BaseCommand):
    help = (
        "Run staff engagement surveys: create one, issue single-use links (to the staff "
        "register or as a number to hand out), close it, import responses from a file, and "
        "print scores with small groups suppressed."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="create an open survey for a provider")
        create.add_argument("organisation", help="the provider's id, ODS code or company number")
        create.add_argument("--year", type=int, required=True)
        create.add_argument("--title", default="")
        create.add_argument("--opens", type=_date, required=True, metavar="YYYY-MM-DD")
        create.add_argument("--closes", type=_date, required=True, metavar="YYYY-MM-DD")
        create.add_argument("--group-question", default="", help="e.g. 'Which team are you in?'")
        create.add_argument(
            "--group", action="append", default=[], dest="groups", help="an answer (repeat)"
        )

        issue = actions.add_parser("issue-links", help="issue single-use links into a CSV")
        issue.add_argument("survey", type=int, help="the survey's id")
        who = issue.add_mutually_exclusive_group(required=True)
        who.add_argument("--count", type=int, help="this many unaddressed links")
        who.add_argument(
            "--register-on",
            type=_date,
            metavar="YYYY-MM-DD",
            help="one link for each person on the staff register employed on this date",
        )
        issue.add_argument("--out", required=True, help="new CSV file for the mail merge")
        issue.add_argument(
            "--base-url", required=True, help="the site's address, e.g. https://mutuals.example"
        )

        close = actions.add_parser("close", help="stop taking answers")
        close.add_argument("survey", type=int)
        close.add_argument(
            "--publish", action="store_true", help="let the public and commissioners see results"
        )

        load = actions.add_parser("import", help="import responses from a CSV or XLSX file")
        load.add_argument("survey", type=int)
        load.add_argument("file")

        scores = actions.add_parser("scores", help="print scores by organisation, year, group")
        scores.add_argument("--organisation", default=None)
        scores.add_argument("--year", type=int, default=None)
        scores.add_argument("--out", default=None, help="write CSV or Parquet (by extension)")

    def handle(self, *args, action, **options):
        handler = getattr(self, "_" + action.replace("-", "_"))
        try:
            handler(**options)
        except SurveyError as error:
            raise CommandError(str(error)) from None
        except FileUnreadable as error:
            raise CommandError(str(error)) from None
        except ImportRejected as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(error)) from None

    def _create(self, organisation, year, title, opens, closes, group_question, groups, **_):
        survey = surveys.create_survey(
            _provider(organisation),
            year=year,
            title=title,
            opens_on=opens,
            closes_on=closes,
            group_question=group_question,
            group_choices=groups,
        )
        self.stdout.write(
            f"Survey {survey.pk} created: {survey.title} for {survey.organisation.name}; "
            f"groups under {survey.min_group_size} respondents will not be shown."
        )

    def _issue_links(self, survey, count, register_on, out, base_url, **_):
        path = Path(out)
        if path.exists():
            raise CommandError(f"{path} already exists: links are only written to a new file.")
        links = surveys.issue_links(_survey(survey), count=count, register_on=register_on)
        surveys.write_links_csv(links, path, base_url)
        self.stdout.write(
            f"Issued {len(links)} single-use links into {path}. Only their digests are kept: "
            "this file is the one copy of the links."
        )

    def _close(self, survey, publish, **_):
        closed = surveys.close_survey(_survey(survey), publish=publish)
        published = " and published its results" if closed.results_published else ""
        self.stdout.write(f"Closed survey {closed.pk}{published}.")

    def _import(self, survey, file, **_):
        report = import_responses(_survey(survey), file)
        self.stdout.write(f"Imported {report.imported} responses from {report.rows} rows.")

    def _scores(self, organisation, year, out, **_):
        chosen = Survey.objects.select_related("organisation").order_by("organisation_id", "year")
        if organisation:
            chosen = chosen.filter(organisation=_provider(organisation))
        if year:
            chosen = chosen.filter(year=year)
        results = survey_results(chosen)
        table = results_table(results)
        if out:
            _write_scores(table, out)
            self.stdout.write(f"Wrote {table.height} rows to {out}.")
        else:
            self.stdout.write(neutralise_frame(table).write_csv(), ending="")
        for result in results:
            if not result.is_closed:
                self.stderr.write(f"Survey {result.survey.pk} is open: no scores until it closes.")
            elif result.hidden_sentence:
                self.stderr.write(f"Survey {result.survey.pk}: {result.hidden_sentence}")


def _write_scores(table, out: str) -> None:
    """Parquet as it is, for programs; CSV with formula-like text neutralised, as people
    open it in spreadsheets (a group's label is whatever the survey's manager typed)."""
    if out.endswith(".parquet"):
        table.write_parquet(out)
    else:
        neutralise_frame(table).write_csv(out)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date: use YYYY-MM-DD, like 2012-10-01") from None


def _provider(key: str) -> Organisation:
    return organisation_by_key(key, provider_because="surveys are of a provider's staff")


def _survey(pk: int) -> Survey:
    survey = Survey.objects.select_related("organisation").filter(pk=pk).first()
    if survey is None:
        raise CommandError(f"There is no survey {pk}: check the id on the survey's page.")
    return survey
