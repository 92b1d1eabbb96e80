"""The home page and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from council import db
from council.accounts.permissions import Role
from council.web.guards import signed_in
from council.web.rendering import page


@get("/", guards=[signed_in])
async def home(request: Request) -> Any:
    from council.places.tables import Building, Estate, Unit
    from council.people.tables import Person
    from council.stations.tables import Room, Station

    principal = request.user
    stations = Station.select(Station.id, Station.name, Station.address, Station.reception_weekday,
                              Station.reception_start, Station.reception_end, Station.community.name)
    if not principal.is_admin:
        stations = stations.where(Station.id.is_in(list(principal.station_ids) or [-1]))
    stations = await stations.order_by(Station.name)
    communities = list(principal.community_ids) or [-1]

    def scoped(query, table):
        return query if principal.is_admin else query.where(table.community.is_in(communities))

    counts = {}
    if principal.role in (Role.admin, Role.secretary, Role.grid_worker, Role.mediator):
        counts = {
            "Estates": await scoped(Estate.count(), Estate),
            "Buildings": await scoped(Building.count(), Building),
            "Units": await scoped(Unit.count(), Unit),
            "Residents": await scoped(Person.count(), Person),
            "Rooms": await scoped(Room.count(), Room),
        }
    from council.core.fields import WEEKDAYS

    return page(request, "home.html", stations=stations, counts=counts,
                weekdays={int(k): v for k, v in WEEKDAYS})


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
