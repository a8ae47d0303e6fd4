"""axe-core in the browser tests: inject the vendored ``axe.min.js`` into a Playwright page and
assert it finds no WCAG 2.1 A/AA violation (issue 14, item 6).

Reusable by any browser test (the staff pages, the patient pages)::

    from tests.web.axe import assert_accessible

    page.goto(url)
    assert_accessible(page, "the patient's diary in Korean")

A failure lists each violation's rule id, impact, help text and the nodes (CSS targets and
axe's failure summary), so the template to fix is plain. The asset is axe-core 4.14.1 from the
npm package (``tests/assets/axe-core/README.md``); its hash is checked before it is injected.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

__all__ = ["AXE_VERSION", "WCAG_TAGS", "assert_accessible", "axe_violations", "format_violations"]

AXE_VERSION = "4.14.1"
AXE_JS = Path(__file__).resolve().parents[1] / "assets" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
#: The rules of WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@functools.cache
def _axe_source() -> str:
    data = AXE_JS.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != AXE_SHA256:
        raise AssertionError(f"{AXE_JS} is not axe-core {AXE_VERSION} (sha256 {digest})")
    return data.decode("utf-8")


def axe_violations(page: Page, *, tags: tuple[str, ...] = WCAG_TAGS) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; its violations of the rules tagged ``tags``."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    version = page.evaluate("() => window.axe.version")
    if version != AXE_VERSION:
        raise AssertionError(f"axe-core {version} injected, {AXE_VERSION} expected")
    result: dict[str, Any] = page.evaluate(
        """async (tags) => await window.axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        })""",
        list(tags),
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule id, impact, help, then each node."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{v.get('helpUrl', '')}]")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    {target}: {summary}")
            lines.append(f"      {str(node.get('html', ''))[:200]}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str = "") -> None:
    """Fail unless axe-core finds zero WCAG 2.1 AA violations on ``page`` (``where`` names the
    page in the message)."""
    violations = axe_violations(page)
    if violations:
        name = where or page.url
        raise AssertionError(
            f"{len(violations)} WCAG 2.1 AA violation(s) on {name}:\n"
            + format_violations(violations)
        )
