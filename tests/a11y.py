"""axe-core (installed from the npm registry by scripts/install.sh) run inside a Playwright page.

`violations(page)` returns the serious and critical violations of the page as it is now. The
script is evaluated through the DevTools protocol, which the app's Content-Security-Policy does
not govern, so the pages are checked exactly as served."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / ".cache/node/node_modules/axe-core/axe.min.js"
SERIOUS = ("serious", "critical")


@lru_cache(maxsize=1)
def _source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run scripts/install.sh")
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in SERIOUS]


def describe(found: list[dict]) -> str:
    return "\n".join(f'{v["impact"]}: {v["id"]} ({v["help"]}) at {", ".join(v["nodes"])}' for v in found)
