"""What makes pages cheap to serve, wired into the app by create_app: compiled templates kept
(bytecode cache, no reload checks outside development), static files with a year's cache and a
fingerprint in their URL, and a debug line per request naming its statements."""

from __future__ import annotations

import hashlib
import logging
import time
from functools import lru_cache
from pathlib import Path

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from council import db

STATIC = Path(__file__).resolve().parent.parent / "static"
# A year: the URL changes whenever the file does (static_url), so a browser never keeps a stale copy.
STATIC_MAX_AGE = 365 * 24 * 3600
log = logging.getLogger("council.requests")


@lru_cache(maxsize=None)
def static_url(name: str) -> str:
    """/static/<name>?v=<first 10 hex of its SHA-256>: read once per process (files do not change
    while the server runs; a deploy restarts it)."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def configure_jinja(environment, *, debug: bool, cache_dir: Path | None) -> None:
    """Litestar's engine_callback: templates are compiled once per process and their bytecode kept
    on disk for the next start; only development (COUNCIL_DEBUG=1) checks files for changes."""
    from jinja2 import FileSystemBytecodeCache

    environment.auto_reload = debug
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        environment.bytecode_cache = FileSystemBytecodeCache(str(cache_dir))
    environment.globals["static_url"] = static_url
    environment.globals["nav_html"] = nav_html(environment)
    environment.globals["steps_html"] = steps_html(environment)
    environment.globals["translated"] = translated
    environment.globals["case_row_html"] = case_row_html(environment)


def nav_html(environment):
    """base.html's menu (templates/_nav.html) for a set of menus, a language and a page: the same
    HTML for everyone who has them, so rendered once each and kept (it was a tenth of a page)."""
    from markupsafe import Markup

    @lru_cache(maxsize=2048)
    def rendered(locale: str, path: str, key: tuple) -> Markup:
        from council.web.rendering import translator

        first, menus = key
        return Markup(environment.get_template("_nav.html").render(
            first=first, menus=menus, path=path, _=translator(locale)).strip())

    def nav(locale: str, path: str, menus_of_user) -> Markup:
        first, menus = menus_of_user
        return rendered(locale, path, (tuple(first), tuple((m, tuple(items)) for m, items in menus)))

    return nav


def translated(locale: str, labels: dict) -> dict:
    """code → label in this language, for a table that shows one label per row: translated once
    per language and set of labels, not once per row."""
    # A msgid with a context (i18n.InContext) equals the bare msgid as a str: key the context too.
    return _translated(locale, tuple((code, label, getattr(label, "context", None)) for code, label in labels.items()))


@lru_cache(maxsize=64)
def _translated(locale: str, items: tuple) -> dict:
    from council.web.rendering import translator

    _ = translator(locale)
    return {code: _(label) for code, label, _context in items}


# Rows kept drawn (about 1.5 KB each): a station's recent cases and the pages its staff look at.
CASE_ROWS_KEPT = 4096


def case_row_html(environment):
    """One row of the case tables (templates/cases/_row.html) for a language and the values it
    shows, drawn once and kept while they stay the same: a list page is mostly its rows, and the
    same rows are drawn again for every look at the list (half a list request, issue 19)."""
    from markupsafe import Markup

    from council.core.rows import Row

    @lru_cache(maxsize=CASE_ROWS_KEPT)
    def rendered(locale: str, key: tuple) -> Markup:
        from council.web.rendering import translator

        r = Row(zip(_ROW_FIELDS, key))
        macro = environment.get_template("cases/_row.html").module.row
        return Markup(str(macro(r, translator(locale), locale)))

    def row(locale: str, r, kind_text: dict, state_text: dict, escalation_text: dict) -> Markup:
        escalation = r.get("escalation")
        return rendered(locale, (
            r["id"], r["number"], r["title"], kind_text.get(r["kind"], r["kind"]),
            state_text.get(r["state"], r["state"]), escalation_text.get(escalation, escalation) if escalation else "",
            r.get("estate_name") or "", r.get("organisation_name") or "", r.get("due_date"), bool(r.get("overdue")),
            tuple(map(tuple, r.get("progress") or ()))))

    return row


_ROW_FIELDS = ("id", "number", "title", "kind_text", "state_text", "escalation_text", "estate_name",
               "organisation_name", "due_date", "overdue", "progress")


def steps_html(environment):
    """A case's progress bar (templates/cases/_steps.html) for a language, a size and the marks of
    its steps: a handful of distinct bars exist (kind × state), so each is drawn once and kept —
    drawn per row it was a fifth of the case list."""
    from markupsafe import Markup

    @lru_cache(maxsize=512)
    def rendered(locale: str, small: bool, progress: tuple) -> Markup:
        from council.cases.pages import STEP_SHORT
        from council.web.rendering import translator

        macro = environment.get_template("cases/_steps.html").module.steps
        return Markup(str(macro(progress, STEP_SHORT, translator(locale), small=small)))

    def steps(locale: str, progress, small: bool = False) -> Markup:
        return rendered(locale, small, tuple(map(tuple, progress)))

    return steps


def compile_templates(environment) -> int:
    """Load (compile) every page template now, at start, rather than in the first request for each."""
    n = 0
    for name in environment.list_templates(extensions=["html"]):
        if name.startswith("pdf/"):
            continue  # the PDF workers have their own environment
        environment.get_template(name)
        n += 1
    return n


class RequestLog(ASGIMiddleware):
    """At DEBUG: one line per request with its statements' count and time, and the slowest ones,
    so a slow page names its queries. Counting costs an addition per statement: always on."""

    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        stats = db.count_statements()
        started = time.perf_counter()
        status = 0

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, send_status)
        finally:
            if log.isEnabledFor(logging.DEBUG):
                total = (time.perf_counter() - started) * 1000
                slowest = "; ".join(f"{s * 1000:.1f} ms {' '.join(sql.split())[:160]}" for s, sql in stats.slowest)
                log.debug("%s %s %s %.1f ms, %d statements %.1f ms | slowest: %s", scope.get("method"),
                          scope.get("path"), status, total, stats.count, stats.seconds * 1000, slowest,
                          extra={"statements": stats.count, "path": scope.get("path")})


def inline_sync_guards(app) -> int:
    """Run the app's plain-function guards on the event loop instead of in a worker thread.

    Litestar runs a guard written as a plain function in a thread (it cannot know it does not
    block): a thread hop per request, which under load costs more than the page's queries. Every
    guard here only looks at the principal already on the request, so it runs inline."""
    from litestar.utils.sync import AsyncCallable

    def inline(guard: AsyncCallable):
        fn = guard.func

        async def run(connection, handler) -> None:
            fn(connection, handler)

        return run

    def once(guards: list) -> list:
        """A domain's router guards its routes (council/<domain>/routes.py) and many handlers still
        name the same guard: run each guard once, in the order the layers give."""
        seen, kept = set(), []
        for g in guards:
            key = getattr(g, "func", g)
            if key not in seen:
                seen.add(key)
                kept.append(g)
        return kept

    n = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            guards = handler.resolve_guards()
            if len(once(guards)) != len(guards):
                guards = handler._resolved_guards = once(guards)
            if any(isinstance(g, AsyncCallable) for g in guards):
                handler._resolved_guards = [inline(g) if isinstance(g, AsyncCallable) else g for g in guards]
                n += 1
    return n
