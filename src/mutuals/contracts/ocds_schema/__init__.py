"""The OCDS 1.1.5 release package schema, with the metrics and sustainability extensions,
loaded from the files shipped beside this module (see VENDORED.md): never from the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from mutuals.errors import Problem
from mutuals.returns.cells import excerpt

HERE = Path(__file__).parent
EXTENSIONS = ("metrics-extension", "sustainability-extension")


@dataclass(frozen=True, order=True)
class PathProblem(Problem):
    """A problem at a JSON path in an OCDS document (``column`` holds the path; ``row`` the
    release's position counting from one, or 0 for the package as a whole)."""

    def __str__(self) -> str:
        return f"path {self.column}: {self.reason}" if self.column else self.reason


def _load(name: str) -> dict:
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch: how OCDS extensions patch the release schema."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


@cache
def release_schema() -> dict:
    schema = _load("release-schema")
    for extension in EXTENSIONS:
        schema = merge_patch(schema, _load(f"{extension}-release-schema"))
    return schema


@cache
def package_validator() -> Draft4Validator:
    release = release_schema()
    registry = Registry().with_resource(
        release["id"], Resource.from_contents(release, default_specification=DRAFT4)
    )
    return Draft4Validator(_load("release-package-schema"), registry=registry)


def json_path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _reason(error: ValidationError) -> tuple[str, str]:
    """The path and a plain-English reason for one schema error; values the file holds are
    quoted as excerpts, so a 10 MB string cannot fill the message."""
    path = json_path(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return json_path([*error.absolute_path, missing]), "is required but missing"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"{excerpt(repr(error.instance))} is not of type {expected}"
    if error.validator == "enum":
        return path, f"{excerpt(repr(error.instance))} is not one of the codes {_codes(error)}"
    return path, excerpt(error.message, 200)


def _codes(error: ValidationError) -> str:
    """The codes an enum allows: a few, then how many more (ISO 4217 lists 300)."""
    codes = list(error.validator_value)
    shown = ", ".join(repr(code) for code in codes[:8])
    return f"{shown} and {len(codes) - 8} more" if len(codes) > 8 else shown


def validate_release_package(data) -> list[PathProblem]:
    """Problems with ``data`` as an OCDS 1.1 release package, each naming its JSON path."""
    problems = set()
    for error in package_validator().iter_errors(data):
        for leaf in _leaves(error):
            path, reason = _reason(leaf)
            parts = list(leaf.absolute_path)
            row = parts[1] + 1 if len(parts) > 1 and parts[0] == "releases" else 0
            problems.add(PathProblem(row, path, reason))
    return sorted(problems)


def _leaves(error: ValidationError):
    """The most specific errors under an ``anyOf``/``oneOf`` failure, else the error itself."""
    if error.context:
        for child in error.context:
            yield from _leaves(child)
    else:
        yield error
