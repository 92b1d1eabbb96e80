"""The public board's pages: no sign-in, no personal data (see council.board.queries)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get
from litestar.params import FromPath, FromQuery

from council.board import queries
from council.core.errors import NotFound
from council.core.localtime import LOCAL
from council.web.rendering import page


@get("/")
async def board_index(request: Request) -> Any:
    return page(request, "board/index.html", stations=await queries.stations())


@get("/{prefix:str}")
async def station_board(request: Request, prefix: FromPath[str], month: FromQuery[str] = "") -> Any:
    station = await queries.station_by_prefix(prefix)
    if station is None:
        raise NotFound()
    today = dt.datetime.now(LOCAL).date()
    m = queries.parse_month(month[:10], today)
    data = await queries.board(station["id"], m)
    previous = (m - 1) if m % 100 != 1 else (m - 100 + 11)
    return page(request, "board/station.html", station=station, month=f"{m // 100}-{m % 100:02d}",
                previous=f"{previous // 100}-{previous % 100:02d}",
                following=None if m >= today.year * 100 + today.month else
                f"{(m + 1) // 100 if m % 100 != 12 else m // 100 + 1}-{(m % 100) % 12 + 1:02d}", **data)


PAGE_ROUTES = [board_index, station_board]
API_ROUTES: list = []
