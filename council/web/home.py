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


_probe: tuple[Any, Any] | None = None  # (event loop, the SELECT 1 in flight on it)


async def _select_one() -> Any:
    """SELECT 1, shared by the probes that arrive while one is in flight: fifty monitors (or a
    load balancer's health checks on every node) polling at once cost one round trip, not fifty,
    and each still gets an answer the database gave after it asked — or just before, while its
    request was being read (single flight)."""
    global _probe
    import asyncio

    loop = asyncio.get_running_loop()
    if _probe is None or _probe[0] is not loop or _probe[1].done():
        _probe = (loop, loop.create_task(db.engine().run_ddl("SELECT 1 AS ok")))
    # Shielded: one probe's client going away must not cancel the others' answer.
    return await asyncio.shield(_probe[1])


@get("/healthz")
async def healthz(request: Request) -> Any:
    """What monitoring polls: one SELECT 1 and nothing else (no DDL, no migration ledger). The
    pending migrations are the ones found at start, when the server refuses to run with any."""
    from litestar import Response

    try:
        rows = await _select_one()
        waiting = getattr(request.app.state, "pending_migrations", [])
        ok = bool(rows) and not waiting
        body = {"status": "ok" if ok else "degraded",
                "database": {"engine": "sqlite" if db.is_sqlite() else "postgres", "reachable": True,
                             "pending_migrations": waiting}}
        return Response(body, status_code=200 if ok else 503)
    except Exception as e:  # report, don't crash: this is what monitoring polls
        return Response({"status": "error", "database": {"reachable": False, "error": type(e).__name__}}, status_code=503)


ROUTES = [home, healthz]
