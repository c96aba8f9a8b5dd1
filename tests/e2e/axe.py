"""axe-core (Deque, from npm: tests/e2e/a11y/package.json, pinned with its sha512 in the lock) in a
Playwright page: the accessibility rules of WCAG 2.x A/AA and axe's best practices, run in the
page as the citizen's browser rendered it.

The citizen's pages refuse inline scripts (CSP), and ``add_script_tag(path=...)`` injects the file's
text inline: the contexts that run axe are opened with ``bypass_csp=True``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.e2e.live_server import require_tool

AXE_JS = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
#: the impacts that fail a page (axe's four levels: minor, moderate, serious, critical)
FAILING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]
    summary: str

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:8]) + (f" (+{len(self.targets) - 8} more)" if len(self.targets) > 8 else "")
        return f"[{self.impact}] {self.rule}: {self.help} ({self.help_url})\n    at {shown}\n    {self.summary}"


def axe_script() -> Path:
    """The installed axe.min.js; skips (fails under CI=true) when `npm ci` has not run."""
    return Path(require_tool(str(AXE_JS), "axe-core (run `npm ci` in tests/e2e/a11y, as `make test` does)"))


def axe_violations(page, *, impacts: tuple[str, ...] = FAILING_IMPACTS) -> list[Violation]:
    """Run axe on ``page`` as it is now; the violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_script()))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map((v) => ({
            rule: v.id, impact: v.impact || "", help: v.help, help_url: v.helpUrl,
            targets: v.nodes.map((n) => n.target.join(" ")),
            summary: (v.nodes[0] && v.nodes[0].failureSummary || "").replace(/\\s+/g, " "),
        }));
    }""")
    return [Violation(v["rule"], v["impact"], v["help"], v["help_url"], tuple(v["targets"]), v["summary"])
            for v in found if v["impact"] in impacts]
