"""What the browser tests check on a page: axe-core's WCAG 2.2 AA rules, and reflow at 320 CSS
pixels. Each saves a screenshot of what it checked."""

from __future__ import annotations

from pathlib import Path

from .conftest import screenshot

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it stands and return its violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """One readable paragraph per violation: rule, impact, help, link and the elements."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def assert_reflows(page, name: str) -> None:
    """WCAG 1.4.10: at 320 CSS pixels wide nothing but a data table scrolls sideways (a wide
    table scrolls inside its own region, so the page itself never does)."""
    page.set_viewport_size({"width": 320, "height": 640})
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    screenshot(page, f"{name}-320px")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 320 CSS pixels"


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    violations = axe_violations(page)
    assert not violations, f"axe found WCAG violations on {name} ({page.url}):\n" + describe(
        violations
    )
