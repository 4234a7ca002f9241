"""Every setting Mutuals reads from the environment, declared once.

Each setting has a type, a default and help text. ``settings.py`` reads them
through :func:`load`, the README's settings table is generated from
:data:`SETTINGS`, and a test fails when a setting is undocumented.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """An environment variable holds a value Mutuals cannot use."""


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use true or false")


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None


def _str(name: str, raw: str) -> str:
    return raw


def _list(name: str, raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _fraction(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number: use a fraction like 0.5") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}={raw!r} must be a fraction from 0 to 1 (0.5 is half)")
    return value


def _count(name: str, raw: str) -> int:
    value = _int(name, raw)
    if value < 0:
        raise ConfigError(f"{name}={raw!r} must be 0 or more")
    return value


def _positive(name: str, raw: str) -> int:
    value = _int(name, raw)
    if value < 1:
        raise ConfigError(f"{name}={raw!r} must be 1 or more")
    return value


def _quarter(name: str, raw: str) -> str:
    cleaned = raw.strip().upper()
    if not re.fullmatch(r"\d{4}-Q[1-4]", cleaned) or cleaned.startswith("0000"):
        raise ConfigError(f"{name}={raw!r} is not a quarter: use a label such as 2000-Q1")
    return cleaned


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str, str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MUTUALS_DATA_DIR",
        _str,
        "./var",
        "Folder for the embedded database, the generated secret key and other local files.",
    ),
    Setting(
        "DATABASE_URL",
        _str,
        None,
        "Database to use, as a URL (sqlite:///path or postgres://user@host:port/name). "
        "Defaults to an SQLite file mutuals.sqlite3 in MUTUALS_DATA_DIR.",
    ),
    Setting(
        "SECRET_KEY",
        _str,
        None,
        "Django's signing key. When unset, one is generated on first run and kept in "
        "MUTUALS_DATA_DIR/secret_key; set it explicitly in production.",
    ),
    Setting(
        "DEBUG",
        _bool,
        False,
        "Show detailed error pages and allow the demo accounts. Off unless running the demo.",
    ),
    Setting(
        "ALLOWED_HOSTS",
        _list,
        ["127.0.0.1", "localhost"],
        "Comma-separated host names the web server answers to.",
    ),
    Setting("PORT", _int, 8000, "Port for the demo web server (make demo)."),
    Setting(
        "DEMO_SCALE",
        _str,
        "small",
        "Size of the synthetic world make demo generates: small (about 150 comparators) "
        "or national (about 5,000).",
    ),
    Setting(
        "SECURE_SSL_REDIRECT",
        _bool,
        None,
        "Redirect plain HTTP requests to HTTPS. On unless DEBUG is on; turn it off only "
        "when a proxy in front of Mutuals already redirects.",
    ),
    Setting(
        "AXES_FAILURE_LIMIT",
        _int,
        5,
        "Failed sign-in attempts allowed for one account, from any address, before it is locked.",
    ),
    Setting(
        "AXES_COOLOFF_HOURS",
        _int,
        1,
        "Hours a locked account stays locked after the last attempt to sign in to it (each "
        "attempt while it is locked starts the wait again); a password reset unlocks it.",
    ),
    Setting(
        "SIGN_IN_RATE_LIMIT",
        _int,
        20,
        "Failed sign-in attempts a minute one address may make (an office or a proxy shares "
        "one); more get 429 and a page asking to wait until the minute ends. No account is "
        "locked by it. Counted in Django's cache; 0 turns the limit off.",
    ),
    Setting(
        "REDIS_URL",
        _str,
        "",
        "Redis server for Django's shared cache (rate limits, cached statistics), as "
        "redis://host:6379/0; needed when more than one machine serves the site. Empty: a "
        "file cache in MUTUALS_DATA_DIR, shared by the web processes of one machine.",
    ),
    Setting(
        "TASK_BACKEND",
        _str,
        "django_tasks_db.DatabaseBackend",
        "Django Tasks backend for background work (evaluation runs, report PDFs, digests, "
        "the ballot tick, monitoring after an import, event reminders). The default is a queue in the database, worked by `mutuals "
        "worker`; django_tasks.backends.immediate.ImmediateBackend runs each task at once, "
        "in the process that asks.",
    ),
    Setting(
        "WORKER_HEARTBEAT_SECONDS",
        _int,
        5,
        "How often each `mutuals worker` process says it is alive. A task held by a worker "
        "silent for six times this long (it was killed, or its machine died) is put back "
        "in the queue for another worker.",
    ),
    Setting(
        "LOG_FORMAT",
        _str,
        "text",
        "text, or json for one JSON object per line (with the request id), for a log "
        "collector. Survey and ballot secrets and API tokens are never logged either way.",
    ),
    Setting(
        "EMAIL_FROM",
        _str,
        "mutuals@localhost",
        "Sender address of the invitations and password reset emails Mutuals sends.",
    ),
    Setting(
        "DEMO_SEED",
        _int,
        2011,
        "Random seed for the synthetic demo world; the same seed gives the same world.",
    ),
    Setting(
        "SAVINGS_ACTIVITY_METRIC",
        _str,
        "contacts-delivered",
        "Metric code whose returns give a provider's activity, for savings against the "
        "counterfactual.",
    ),
    Setting(
        "SAVINGS_COST_METRIC",
        _str,
        "unit-cost-per-contact",
        "Metric code whose returns give the cost per unit of activity, for savings.",
    ),
    Setting(
        "API_RATE_LIMIT",
        _int,
        600,
        "Requests a minute each API token (or, without a token, each address) may make; "
        "more get 429 with Retry-After. Counted in Django's cache; 0 turns the limit off.",
    ),
    Setting(
        "API_MAX_UPLOAD_MB",
        _int,
        200,
        "Largest returns submission the API accepts, in megabytes (100,000 rows take about "
        "13 MB as JSON, 4 MB as CSV); larger bodies get 413.",
    ),
    Setting(
        "EMAIL_HOST",
        _str,
        "localhost",
        "Mail server (SMTP) that digests, confirmations and invitations are sent through.",
    ),
    Setting("EMAIL_PORT", _int, 25, "Port of the mail server named by EMAIL_HOST."),
    Setting(
        "EMAIL_HOST_USER",
        _str,
        "",
        "User name for the mail server; leave empty when it needs no sign-in.",
    ),
    Setting(
        "EMAIL_HOST_PASSWORD",
        _str,
        "",
        "Password for the mail server's EMAIL_HOST_USER; leave empty when it needs no sign-in.",
    ),
    Setting(
        "EMAIL_USE_TLS",
        _bool,
        False,
        "Upgrade the mail server connection with STARTTLS (usually on port 587).",
    ),
    Setting(
        "DEFAULT_FROM_EMAIL",
        _str,
        None,
        "Sender address of every email Mutuals sends (digests included). When unset, "
        "EMAIL_FROM is used.",
    ),
    Setting(
        "FEEDBACK_EMAIL",
        _str,
        None,
        "Address the feedback link in every page's phase banner writes to. When unset, "
        "DEFAULT_FROM_EMAIL (or EMAIL_FROM) is used.",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        _str,
        "http://127.0.0.1:8000",
        "Address of the site as readers reach it, without a trailing slash: links in emails "
        "(digests, confirmations, unsubscribe) start with it.",
    ),
    Setting(
        "COMMENT_RATE_LIMIT",
        _int,
        10,
        "Comments one person may post in an hour, on the web and the API together; more "
        "are refused until the hour has passed. 0 turns the limit off.",
    ),
    Setting(
        "DIGEST_DAILY_HOUR",
        _int,
        7,
        "Hour of the day (0-23, UK time) after which mutuals scheduler sends the daily "
        "digest of the day before.",
    ),
    Setting(
        "DIGEST_WEEKLY_DAY",
        _str,
        "monday",
        "Day of the week (monday to sunday) on which mutuals scheduler sends the weekly "
        "digest of the week before, after DIGEST_DAILY_HOUR.",
    ),
    Setting(
        "SURVEY_MIN_GROUP_SIZE",
        _int,
        11,
        "Fewest respondents a staff survey group needs before its results are shown "
        "anywhere (pages, API, downloads); each survey keeps the value it was created with.",
    ),
    Setting(
        "MUTUALS_CONTROL_SENIOR_MAJORITY",
        _fraction,
        0.5,
        "Staff control: senior managers and directors holding more than this share of a "
        "provider's votes or equity flags a management buy-out risk.",
    ),
    Setting(
        "MUTUALS_CONTROL_STAFF_AT_LARGE_MIN",
        _fraction,
        0.5,
        "Staff control: frontline staff and managers together holding less than this share "
        "of the votes also flags a management buy-out risk.",
    ),
    Setting(
        "MUTUALS_CONTROL_MIN_TURNOUT",
        _fraction,
        0.5,
        "Staff control: a staff vote on spinning out with a lower turnout (votes cast over "
        "the electorate) is flagged as low turnout.",
    ),
    Setting(
        "MUTUALS_CONTROL_MIN_SHARE_FOR",
        _fraction,
        0.5,
        "Staff control: a spin-out vote carries only with more than this share of the "
        "decided votes in favour.",
    ),
    Setting(
        "MUTUALS_CONTROL_MIN_TAKE_UP",
        _fraction,
        0.5,
        "Staff control: fewer employed staff than this share being members is flagged as "
        "low membership take-up.",
    ),
    Setting(
        "MUTUALS_CONTROL_MIN_STAFF_ELECTED_SEATS",
        _int,
        1,
        "Staff control: fewer board seats elected by staff than this is flagged.",
    ),
    Setting(
        "MUTUALS_COMPLETE_RETURNS_SHARE",
        _fraction,
        0.9,
        "Portfolio figures are as of the end of the latest quarter whose returns are "
        "substantially complete: the organisations returning for it number at least this "
        "share of those that returned in the busiest of the four quarters before (0.9 is "
        "90%), so early returns cannot move the date.",
    ),
    Setting(
        "RETURNS_FIRST_PERIOD",
        _quarter,
        "2000-Q1",
        "Earliest quarter a return may be for (a quarter such as 2000-Q1). Returns for "
        "earlier periods are refused on import, and any already stored are left out of the "
        "portfolio's figures.",
    ),
    Setting(
        "RETURNS_MAX_QUARTERS_AHEAD",
        _count,
        0,
        "How many quarters after the current one a return may be for: 0 allows periods up "
        "to the end of the current quarter. Later periods are refused on import and left "
        "out of the portfolio's figures.",
    ),
    Setting(
        "UPLOAD_MAX_MB",
        _positive,
        50,
        "Largest upload the web pages accept, in megabytes (a returns or survey responses "
        "file, or the register's tables together); a larger one is refused with 413 and "
        "nothing past the limit is stored. Bigger returns files go through the command line "
        "or the API (API_MAX_UPLOAD_MB).",
    ),
    Setting(
        "XLSX_MAX_INFLATED_MB",
        _positive,
        200,
        "Most an XLSX file may unpack to, in megabytes, summed over its parts, on every "
        "path; a larger one (or one that unpacks over 100 times its packed size) is refused "
        "before it is read, so a small file cannot unpack to gigabytes.",
    ),
    Setting(
        "EVENTS_OFFER_HOURS",
        _positive,
        48,
        "Hours a place freed at a full event is held for the first person on its waiting "
        "list; not accepted by then (or by the event's start, if sooner), the offer lapses "
        "and the place is offered to the next person.",
    ),
    Setting(
        "EVENTS_REMINDER_HOURS",
        _positive,
        24,
        "Hours before an event starts that everyone with a place is emailed a reminder, "
        "once, by the background tasks.",
    ),
    Setting(
        "EVENTS_RETENTION_DAYS",
        _positive,
        90,
        "Days after an event ends that its attendees' names, email addresses, access needs "
        "and billing details are deleted; the numbers booked, attended and paid are kept. "
        "The booking pages' privacy notice gives this number.",
    ),
)


def documented_names() -> list[str]:
    return [setting.name for setting in SETTINGS]


def load(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read every declared setting from ``environ`` (default ``os.environ``)."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        values[setting.name] = setting.default if raw is None else setting.parse(setting.name, raw)
    data_dir = Path(values["MUTUALS_DATA_DIR"]).resolve()
    values["MUTUALS_DATA_DIR"] = data_dir
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{data_dir / 'mutuals.sqlite3'}"
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = _kept_secret_key(data_dir)
    return values


def _kept_secret_key(data_dir: Path) -> str:
    """Generate a secret key on first run and keep it, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


def settings_table_markdown() -> str:
    """The README's table of settings, generated from :data:`SETTINGS`."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for setting in SETTINGS:
        default = setting.default
        if isinstance(default, list):
            default = ",".join(default)
        shown = "(see text)" if default is None else f"`{default}`"
        rows.append(f"| `{setting.name}` | {shown} | {setting.help} |")
    return "\n".join(rows)
