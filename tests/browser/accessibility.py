"""axe-core inside the browser tests: the vendored axe.min.js is evaluated in the page by
Playwright (not through a <script> tag, so the page's CSP stays as users get it)."""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """The serious and critical violations on the page, one line each with where they are."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async () => {
          const report = await axe.run(document, {resultTypes: ['violations']});
          return report.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            where: v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}));
        }"""
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {v['where']}"
        for v in results
        if v["impact"] in BLOCKING
    ]


def focus_outline(page) -> str:
    """The outline drawn around whatever has keyboard focus now."""
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return s.outlineStyle === 'none' ? '' : s.outlineStyle + ' ' + s.outlineWidth; }"""
    )
