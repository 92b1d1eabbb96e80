"""The application factory.

Routes are declared by the domains, not here. Each domain package has a `routes.py` that builds
its `page_router` (pages, mounted at /) and/or its `api_router` (mounted under /api/v1, the only
part in the OpenAPI document), each a litestar Router carrying

- the domain's path prefix (`/audit`, `/board`, `/reports`; `/` for a domain whose pages live
  under several prefixes, such as cases: /cases, /inbox, /my/tasks), handler paths being relative
  to it;
- its guards: `signed_in` on the router, so a handler adds only its role checks; the few links
  that need no sign-in (a voting token, a notice key, a calendar feed, a message link, the login
  page) are listed by name in the domain's routes.py and mounted beside the guarded router;
- its OpenAPI tags.

A new route goes into its domain module's PAGE_ROUTES / API_ROUTES, which routes.py mounts.
create_app() mounts the domains listed in DOMAINS, so adding a domain is one line:

    DOMAINS = (..., "oversight")   # council/oversight/routes.py: page_router = Router(...)

tests/test_routes_snapshot.py holds every route with its guards and the API document: a route
that appears, disappears or changes its guards shows there.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from council import db
from council.settings import Settings, env_bool, load_settings

log = logging.getLogger("council")
ROOT = Path(__file__).resolve().parent
from council.paths import TEMPLATES  # noqa: E402  (checkout or installed wheel)
# Forms and JSON bodies are small: anything over 1 MB is refused with 413 before it is read.
# Routes that take files raise their own limit (request_max_body_size on the handler: case
# photos and attachments, register spreadsheets).
MAX_BODY = 1024 * 1024


# Each is council/<name>/routes.py (see above). Order does not matter.
DOMAINS = (
    "ops",
    "home",
    "accounts",
    "places",
    "parties",
    "people",
    "stations",
    "cases",
    "votes",
    "meetings",
    "mediation",
    "reception",
    "notify",
    "reports",
    "board",
    "audit",
    "jobs",
    "oversight",
)


def domain_routers() -> tuple[list[Router], list[Router]]:
    """The page routers and the API routers of DOMAINS."""
    modules = [importlib.import_module(f"council.{name}.routes") for name in DOMAINS]
    for name, m in zip(DOMAINS, modules):
        if getattr(m, "page_router", None) is None and getattr(m, "api_router", None) is None:
            raise RuntimeError(f"council/{name}/routes.py declares neither page_router nor api_router")
    pages = [m.page_router for m in modules if getattr(m, "page_router", None) is not None]
    apis = [m.api_router for m in modules if getattr(m, "api_router", None) is not None]
    return pages, apis


class NotMigrated(RuntimeError):
    pass


def _load_registers() -> None:
    # Importing declares the registers (council.core.registry.REGISTERS).
    import council.parties.registers  # noqa: F401
    import council.people.registers  # noqa: F401
    import council.places.registers  # noqa: F401
    import council.stations.registers  # noqa: F401
    import council.cases.registers  # noqa: F401


async def _check_migrated(app: Litestar) -> None:
    from council.migrations import pending

    await db.start()
    waiting = await pending()
    # /healthz reports this (it runs nothing but SELECT 1): the server never runs with any pending.
    app.state.pending_migrations = [m.ID for m in waiting]
    if waiting:
        await db.stop()
        raise NotMigrated(
            "The database is not migrated (pending: "
            + ", ".join(m.ID for m in waiting)
            + "). Run `council migrate` first."
        )


async def _warn_fonts(app: Litestar) -> None:
    """Chinese PDFs need the Noto CJK font and HarfBuzz subsetting (else ~7 s a page): say so at start."""
    import asyncio

    from council import pdf

    for warning in await asyncio.to_thread(pdf.font_report):
        log.warning("PDF: %s", warning)


async def _start_pdf_workers(app: Litestar) -> None:
    """Start the PDF workers now, each warming up (WeasyPrint, fonts) at low priority, so the
    first PDF after a start is as fast as any. COUNCIL_PDF_WARM=0 leaves them to the first PDF
    (the test suite, which starts an app per test client)."""
    import os

    from council import pdf

    if env_bool("COUNCIL_PDF_WARM", True):
        pdf.start()


async def _compile_templates(app: Litestar) -> None:
    from council.web.speed import compile_templates

    compile_templates(app.template_engine.engine)


async def _start_jobs(app: Litestar) -> None:
    from council.jobs.runner import start_in_process

    await start_in_process(app)


async def _shutdown(app: Litestar) -> None:
    import asyncio

    from council import pdf
    from council.jobs.runner import stop_in_process

    await stop_in_process(app)  # before the database closes under a running job
    await db.stop()
    # Spawned PDF workers do not notice their parent leaving: stop them, or they outlive the server.
    await asyncio.to_thread(pdf.shutdown, True)


def create_app(settings: Settings | None = None) -> Litestar:
    from council.accounts.middleware import AuthMiddleware
    from council.notify.pages import bell_middleware
    from council.web.errors import EXCEPTION_HANDLERS
    from council.web.guards import above_stations
    from council.web import speed
    from litestar.datastructures import CacheControlHeader
    from council.web.security import JsonDepthMiddleware, add_security_headers, install_log_redaction

    settings = settings or load_settings()
    db.configure(settings.database_url)
    from council import storage

    storage.configure(settings.file_store, settings.upload_dir)
    _load_registers()
    page_routers, api_routers = domain_routers()

    # The OpenAPI document describes the API only: pages are left out app-wide (below) and the
    # /api/v1 router puts its own routes back in, so new domains need no flags of their own.
    api = Router(path="/api/v1", route_handlers=api_routers, include_in_schema=True)
    app = Litestar(
        route_handlers=[
            *page_routers,
            api,
            create_static_files_router(path="/static", directories=[ROOT / "static"], include_in_schema=False,
                                       cache_control=CacheControlHeader(max_age=speed.STATIC_MAX_AGE, public=True)),
        ],
        middleware=[speed.RequestLog(), AuthMiddleware(), bell_middleware,
                    DefineMiddleware(JsonDepthMiddleware, max_body=MAX_BODY)],
        # The officers above the stations read and write only chases and escalations (issue 18).
        guards=[above_stations],
        before_send=[add_security_headers],  # every response, 404s included
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            # The API takes bearer tokens only (never cookies), so it cannot be forged from a browser.
            exclude=["/api/", "/healthz", "/readyz", "/metrics"],
        ),
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine,
            engine_callback=lambda e: speed.configure_jinja(
                e.engine, debug=settings.debug, cache_dir=settings.data_dir / "cache" / "jinja")),
        openapi_config=OpenAPIConfig(
            title="Council API", version="1", path="/api/v1/schema",
            # JSON only: the interactive viewers load their scripts from a CDN.
            render_plugins=[JsonRenderPlugin()],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[_check_migrated, _warn_fonts, _start_pdf_workers, _compile_templates, _start_jobs],
        on_shutdown=[_shutdown],
        request_max_body_size=MAX_BODY,
        include_in_schema=False,
        debug=settings.debug,
    )
    app.state.settings = settings
    speed.inline_sync_guards(app)
    install_log_redaction()  # the access log never holds a voting link, a feed token or a search
    from council.ops.observe import RequestContext

    # Outside routing and the exception handlers: every response, a 404 or a 500 too, gets its id.
    app.asgi_handler = RequestContext(app.asgi_handler)
    from council.web.openapi import document_problems

    document_problems(app.openapi_schema)  # API errors are problem+json: say so in the document
    return app
