"""The README's command-line examples run as pasted on a fresh demo database.

Every ``uv run mutuals ...`` line in the README's ``sh`` blocks is run, in the README's
order, against a database ``mutuals demo --no-serve`` has just built (as ``make demo``
does), from a folder holding the input files the examples name. The few that cannot run
here (they run until stopped, replace the database, or check a production set-up) are
listed with the reason, and are still checked against their ``--help``: the subcommand
exists and knows every option the example gives.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from mutuals.engine.engagement import ENGAGEMENT_ITEMS

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[1]
README = REPOSITORY / "README.md"
PREFIX = "uv run mutuals "
MUTUALS = Path(sys.executable).parent / "mutuals"
# What a reader would have to replace before running an example: optional parts in
# brackets, an ellipsis, or a word in capitals such as ID, N or HASH.
PLACEHOLDER = re.compile(r"\[|\]|\.\.\.|(?<![\w-])(?:[A-Z]{2,}|N)(?![\w-])")

# Examples not run here, by how they start, and why.
NOT_RUN = {
    "scheduler": "runs until stopped",
    "worker": "runs until stopped",
    "restore": "replaces the database with a backup",
    "check --deploy": "checks a production set-up (DEBUG off, HTTPS), which the demo is not",
    "migrate": "make demo has migrated the database already",
    "collectstatic": "make demo has collected the static files already",
    "demo-data": "would replace the demo world the other examples use",
    "revoke-token": "needs the prefix of a token create-token printed, which is random",
    "events attend": "needs the references of bookings, which are random",
}

ITEMS = [item for items in ENGAGEMENT_ITEMS.values() for item in items]
# Input files the examples name, as a person would prepare them for the demo world: its
# provider N3K (Cobblehurst Healthcare CIC), commissioned by the PCT 5WM.
INPUT_FILES = {
    "returns.csv": "organisation,metric,period,value\n"
    "N3K,sickness-absence,2019-Q4,2.5\n"
    "N3K,patient-experience,2019-Q4,83.1\n",
    "organisations.csv": "name,kind,legal_form,region,ods_code\n"
    "Harbourside Community Health CIC,provider,cic_guarantee,north_west,NZZ01\n",
    "contracts.csv": "reference,title,provider,commissioners,start_date,end_date,"
    "annual_value,status\n"
    "RTR-9001,Community podiatry,N3K,5WM,2012-04-01,2015-03-31,450000,active\n",
    "objectives.csv": "reference,description,direction,metric,target,deadline\n"
    "RTR-9001,Keep sickness absence down,decrease,sickness-absence,3,2014-03-31\n",
    "answers.csv": ",".join(ITEMS)
    + ",group\n"
    + ",".join(["4"] * len(ITEMS))
    + ",Nursing\n"
    + ",".join(["5"] * len(ITEMS))
    + ",Therapies\n",
}


def readme_commands(text: str | None = None) -> list[str]:
    """Every ``uv run mutuals`` command in the README's sh blocks, continuation lines joined
    and comments dropped, in order."""
    text = README.read_text() if text is None else text
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith(PREFIX):
                commands.append(_without_comment(line))
    return commands


def _without_comment(line: str) -> str:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return shlex.join(list(lexer))


def _not_run(command: str) -> str | None:
    rest = command.removeprefix(PREFIX)
    return next((why for start, why in NOT_RUN.items() if rest.startswith(start)), None)


# Runs each command line given as JSON on stdin through the ``mutuals`` entry point, one
# after another in one process (starting Python and Django once, not fifty times), and
# prints each one's exit status and output as JSON.
RUNNER = r"""
import contextlib, io, json, sys
from mutuals.cli import main

results = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except Exception as error:
            code, err = 1, io.StringIO(f"{type(error).__name__}: {error}")
    results.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A fresh demo database, as make demo builds it, and a folder with the input files."""
    data = tmp_path_factory.mktemp("demo-data")
    work = tmp_path_factory.mktemp("work")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TASK_BACKEND")}
    env.update(MUTUALS_DATA_DIR=str(data), DEBUG="true", COLUMNS="200")
    built = subprocess.run(
        [str(MUTUALS), "demo", "--no-serve"], env=env, cwd=work, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout + built.stderr
    for name, content in INPUT_FILES.items():
        (work / name).write_text(content)
    return env, work


def _argv(command: str) -> list[str]:
    """The arguments after ``uv run mutuals``; for an example not run, its ``--help``."""
    argv = shlex.split(command)[3:]
    if _not_run(command):
        return [argv[0], "--help"]
    return argv


def test_the_readme_has_examples_and_every_one_is_run_or_explained():
    commands = readme_commands()
    assert len(commands) > 40
    for command in commands:
        assert "NQX01" not in command, f"{command}: NQX01 is not in the demo world"
        if _not_run(command) is None:
            assert not PLACEHOLDER.search(command), (
                f"{command}: replace the placeholder with a value from the demo world"
            )


def test_every_example_runs_as_pasted_on_a_fresh_demo(demo):
    env, work = demo
    commands = readme_commands()
    ran = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps([_argv(command) for command in commands]),
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    failures = []
    for command, result in zip(commands, json.loads(ran.stdout.splitlines()[-1]), strict=True):
        shown = f"$ {command}\n{result['out'][-1500:]}{result['err'][-1500:]}"
        if result["code"] != 0:
            failures.append(shown)
        elif _not_run(command):
            unknown = [
                option
                for option in shlex.split(command)
                if option.startswith("--") and option.split("=")[0] not in result["out"]
            ]
            if unknown:
                failures.append(f"$ {command}\n--help does not list {', '.join(unknown)}")
    assert not failures, "README examples that fail:\n\n" + "\n\n".join(failures)


def test_create_token_help_lists_every_scope_and_so_does_the_readme():
    from mutuals.accounts.models import TokenScope

    result = subprocess.run(
        [str(MUTUALS), "create-token", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    text = README.read_text()
    for scope in TokenScope.values:
        assert scope in result.stdout, f"create-token --help omits {scope}"
        assert f"`{scope}`" in text, f"the README omits the {scope} scope"
