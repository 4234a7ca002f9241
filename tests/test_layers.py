"""The layers we keep: the domain apps import nothing above them.

The engine imports nothing of Django (tests/engine/test_purity.py). The domain apps —
registry, contracts, returns, accounts — hold the data and its rules; evaluation,
reports and publishing sit above them, and the demo world and the faces (web, API, CLI
commands of higher layers) on top. A domain module importing from above is the kind of
shortcut that makes a change in a page ripple into the data layer, so it fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "mutuals"
DOMAIN = ("registry", "contracts", "returns", "accounts")
ABOVE = ("web", "api", "evaluation", "reports", "publishing", "demo", "governance",
         "engagement", "events", "charts")  # fmt: skip


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("app", DOMAIN)
def test_a_domain_app_imports_nothing_above_it(app):
    offending = []
    for path in sorted((SRC / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "mutuals" and len(parts) > 1 and parts[1] in ABOVE:
                offending.append(f"{path.relative_to(SRC)} imports {module}")
    assert not offending, "\n".join(offending)
