"""The reports page: choose the period and the stations, download the XLSX."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get

from council.accounts import permissions
from council.cases.pages import category_labels
from council.core.errors import Forbidden, Invalid
from council.core.localtime import LOCAL
from council.reports import service
from council.web.guards import signed_in
from council.web.rendering import locale_of, page, translator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _need(principal, roles=None) -> None:
    """The reports page at all, and (roles) this report: refused before its fields are read."""
    if not permissions.can_read(principal.role, "reports") or (roles is not None and principal.role not in roles):
        raise Forbidden()


def _stations(request: Request) -> list[int]:
    raw = request.query_params.getall("station", []) if hasattr(request.query_params, "getall") else []
    out = []
    for value in raw:
        if not str(value).isdigit() or len(str(value)) > 12:
            raise Invalid("Please correct the marked fields.", errors={"station": "Choose one of the listed options."})
        out.append(int(value))
    return out


def _date(text: str, name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid("Please correct the marked fields.", errors={name: "Enter a date as YYYY-MM-DD."}) from None
    if not 2000 <= day.year <= 2100:
        raise Invalid("Please correct the marked fields.", errors={name: "Enter a date as YYYY-MM-DD."})
    return day


def _xlsx(content: bytes, name: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@get("/", guards=[signed_in])
async def reports_page(request: Request) -> Any:
    _need(request.user)
    today = dt.datetime.now(LOCAL).date()
    last_month = (today.replace(day=1) - dt.timedelta(days=1))
    return page(request, "reports/index.html", stations=await service.stations_for(request.user, []),
                month=f"{last_month.year}-{last_month.month:02d}", start=last_month.replace(day=1).isoformat(),
                end=last_month.isoformat(), monthly=request.user.role in service.MONTHLY_ROLES,
                reception=request.user.role in service.RECEPTION_ROLES)


@get("/monthly.xlsx", guards=[signed_in])
async def monthly_xlsx(request: Request) -> Response:
    _need(request.user, service.MONTHLY_ROLES)
    month = request.query_params.get("month", "")[:7]
    stations = _stations(request)
    months = await service.monthly(request.user, month, stations)
    ids = [s["id"] for s in await service.stations_for(request.user, stations)]
    content = service.monthly_xlsx(months, month, translator(locale_of(request)), await category_labels(ids))
    return _xlsx(content, f"station-report-{month}.xlsx")


@get("/mediation.xlsx", guards=[signed_in])
async def mediation_xlsx(request: Request) -> Response:
    _need(request.user, service.MEDIATION_ROLES)
    start = _date(request.query_params.get("start", "")[:10], "start")
    end = _date(request.query_params.get("end", "")[:10], "end")
    content = await service.mediation_xlsx(request.user, start, end, _stations(request),
                                           translator(locale_of(request)))
    return _xlsx(content, f"mediation-statistics-{start}-{end}.xlsx")


@get("/reception.xlsx", guards=[signed_in])
async def reception_xlsx(request: Request) -> Response:
    _need(request.user, service.RECEPTION_ROLES)
    start = _date(request.query_params.get("start", "")[:10], "start")
    end = _date(request.query_params.get("end", "")[:10], "end")
    rows = await service.reception(request.user, start, end, _stations(request))
    return _xlsx(service.reception_xlsx(rows, start, end, translator(locale_of(request))),
                 f"reception-totals-{start}-{end}.xlsx")


PAGE_ROUTES = [reports_page, monthly_xlsx, mediation_xlsx, reception_xlsx]
API_ROUTES: list = []
