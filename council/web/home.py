"""The home page and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from council import db
from council.cases.pages import STATE_LABELS, STEP_SHORT
from council.web.guards import signed_in
from council.web.rendering import page


@get("/", guards=[signed_in])
async def home(request: Request) -> Any:
    """Today's work for the role signed in (council.home.worklist), under the stations served."""
    from council.core.fields import WEEKDAYS
    from council.home.worklist import sections_for
    from council.stations.tables import Station

    principal = request.user
    stations = Station.select(Station.id, Station.name, Station.address, Station.reception_weekday,
                              Station.reception_start, Station.reception_end, Station.community.name)
    if not principal.is_admin:
        stations = stations.where(Station.id.is_in(list(principal.station_ids) or [-1]))
    stations = await stations.order_by(Station.name).limit(20)
    return page(request, "home.html", stations=stations, sections=await sections_for(principal),
                weekdays={int(k): v for k, v in WEEKDAYS}, state_names=STATE_LABELS, step_short=STEP_SHORT)


@get("/healthz")
async def healthz(request: Request) -> Any:
    """What monitoring polls: one SELECT 1 and nothing else (no DDL, no migration ledger). The
    pending migrations are the ones found at start, when the server refuses to run with any."""
    from litestar import Response

    try:
        rows = await db.engine().run_ddl("SELECT 1 AS ok")
        waiting = getattr(request.app.state, "pending_migrations", [])
        ok = bool(rows) and not waiting
        body = {"status": "ok" if ok else "degraded",
                "database": {"engine": "sqlite" if db.is_sqlite() else "postgres", "reachable": True,
                             "pending_migrations": waiting}}
        return Response(body, status_code=200 if ok else 503)
    except Exception as e:  # report, don't crash: this is what monitoring polls
        return Response({"status": "error", "database": {"reachable": False, "error": type(e).__name__}}, status_code=503)


ROUTES = [home, healthz]
