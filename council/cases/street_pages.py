"""The street office's part of the dashboard page (council.cases.street) and its XLSX exports.
Kept apart from council/cases/pages.py so the dashboard route only adds one call."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from council.accounts.principal import Principal
from council.cases import street
from council.cases.calendar_store import categories_for
from council.cases.chart import funnel_chart
from council.core import tabular
from council.core.errors import Forbidden, Invalid, NotFound
from council.web.downloads import download
from council.web.guards import signed_in
from council.web.rendering import locale_of, translator

TITLES = {"funnel": "Six steps", "category": "By category", "department": "By department",
          "estate": "By estate", "grid": "By grid"}


async def _figures(request: Request, station_id: int, start: str | None, end: str | None) -> dict:
    first, last = street.parse_range(start, end)
    labels = {c["code"]: c["label"] for c in await categories_for(station_id)}
    _ = translator(locale_of(request))
    return await street.figures(request.user, station_id, first, last, {k: _(v) for k, v in labels.items()})


async def context(request: Request, station_id: int, step_labels: dict[str, str]) -> dict:
    """What the dashboard draws below its figures: the range form, the funnel chart, the tables."""
    _ = translator(locale_of(request))
    qp = request.query_params
    errors: dict[str, str] = {}
    try:
        data = await _figures(request, station_id, qp.get("start"), qp.get("end"))
    except Invalid as e:
        errors = {k: _(v) for k, v in e.errors.items()}
        data = await _figures(request, station_id, None, None)
    chart = funnel_chart([(_(step_labels.get(s["step"], s["step"])), s["now"], s["median_days"]) for s in data["funnel"]],
                         title=_("Six steps: cases in each step now, and median days spent in it"),
                         days_word=_("days"))
    tables = [(name, _(TITLES[name]), street.table(data, name, _, step_labels)) for name in street.TABLES]
    return {"street": data, "funnel_chart": chart, "street_tables": tables, "range_errors": errors,
            "range_query": f"station={station_id}&start={data['start'].isoformat()}&end={data['end'].isoformat()}"}


@get("/dashboard/export.xlsx", guards=[signed_in])
async def dashboard_export(request: Request) -> Response:
    """One dashboard table as an XLSX file, through the one writer (council.core.tabular)."""
    from council.accounts import permissions
    from council.cases.pages import STATE_LABELS

    principal: Principal = request.user
    if not permissions.can_read(principal.role, "dashboard"):
        raise Forbidden()
    qp = request.query_params
    name = qp.get("table", "")
    raw = qp.get("station", "")
    if name not in street.TABLES or not raw.isdigit():
        raise NotFound()
    _ = translator(locale_of(request))
    data = await _figures(request, int(raw), qp.get("start"), qp.get("end"))
    rows = street.table(data, name, _, STATE_LABELS)
    content = tabular.write_xlsx(rows, title=_(TITLES[name]))
    filename = f"dashboard-{name}-{data['start'].isoformat()}-{data['end'].isoformat()}.xlsx"
    return download(content, filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


ROUTES: list[Any] = [dashboard_export]
