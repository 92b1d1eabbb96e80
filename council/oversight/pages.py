"""The overview of the stations under a street or district officer (/oversight): one row of figures
per station, sortable, for a chosen period; the month-by-month trend; a heat table of categories ×
communities. Every figure links to the case list behind it (council.cases.queries.CaseFilter's
drill-down filters), so a number on the screen can always be checked case by case.

The figures are council.oversight.figures' (their meanings are written there); this module only
picks the period and the stations, sorts, and builds the links.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get

from council.accounts import permissions
from council.cases.calendar_store import today
from council.cases.funnel import MEDIATION_SUCCESS, rate
from council.core.errors import Forbidden
from council.oversight import figures
from council.web.guards import signed_in
from council.web.rendering import locale_of, page, translator


def N_(msgid: str) -> str:
    return msgid


# (key, msgid, the row's value to sort by)
COLUMNS = (
    ("station", N_("Station"), lambda r: r["station"]),
    ("received", N_("Received"), lambda r: r["received"]),
    ("done", N_("Done"), lambda r: r["done"]),
    ("in_progress", N_("In progress"), lambda r: r["in_progress"]),
    ("overdue", N_("Overdue"), lambda r: r["overdue"]),
    ("on_time_rate", N_("On time"), lambda r: r["on_time_rate"]),
    ("avg_days_to_close", N_("Average days to close"), lambda r: r["avg_days_to_close"]),
    ("satisfaction", N_("Satisfaction rate"), lambda r: r["satisfaction"]),
    ("mediation_success_rate", N_("Mediation success rate"), lambda r: r["mediation_success_rate"]),
    ("votes_held", N_("Votes held"), lambda r: r["votes_held"]),
)
SORTS = {key: fn for key, _, fn in COLUMNS}
LONGEST = 3 * 366  # days: a longer period is refused (the trend would run to dozens of months)


def may_view(principal) -> bool:
    return principal is not None and permissions.can_read(principal.role, "oversight")


async def _stations(principal) -> list[int]:
    from council.stations.tables import Station

    if principal.is_admin:
        return [r["id"] for r in await Station.select(Station.id).order_by(Station.id)]
    return sorted(principal.station_ids)


def _day(raw: str | None, default: dt.date) -> tuple[dt.date, bool]:
    raw = (raw or "").strip()
    if not raw:
        return default, True
    try:
        return dt.date.fromisoformat(raw[:10]), True
    except ValueError:
        return default, False


def period(request: Request) -> tuple[dt.date, dt.date, dict[str, str]]:
    """The period asked for (default: this year so far), and the errors in it (field → msgid)."""
    on = today()
    start, ok_start = _day(request.query_params.get("start"), dt.date(on.year, 1, 1))
    end, ok_end = _day(request.query_params.get("end"), on)
    errors = {}
    if not ok_start:
        errors["start"] = N_("Enter a date like 2027-01-01.")
    if not ok_end:
        errors["end"] = N_("Enter a date like 2027-01-01.")
    if not errors and end < start:
        errors["end"] = N_("The end is before the start.")
    if not errors and (end - start).days > LONGEST:
        errors["end"] = N_("Choose a period of at most three years.")
    if errors:
        start, end = dt.date(on.year, 1, 1), on
    return start, end, errors


def cases_link(start: dt.date, end: dt.date, **filters: Any) -> str:
    """The case list behind a figure: the cases received in the period, narrowed by `filters`."""
    query = {"received_from": start.isoformat(), "received_to": end.isoformat(), **filters}
    return "/cases?" + urlencode({k: v for k, v in query.items() if v not in (None, "")})


def _totals(rows: list[dict]) -> dict:
    """The stations together, rates recomputed from the raw counts (never an average of rates)."""
    t = {k: sum(r[k] for r in rows) for k in ("received", "done", "in_progress", "overdue", "requests_done", "on_time",
                                              "ratings_good", "ratings", "mediation_settled", "mediation_ended",
                                              "votes_held")}
    timed = [(r["avg_days_to_close"], r["done"]) for r in rows if r["avg_days_to_close"] is not None]
    weight = sum(n for _, n in timed)
    t["avg_days_to_close"] = round(sum(a * n for a, n in timed) / weight, 1) if weight else None
    t["on_time_rate"] = rate(t["on_time"], t["requests_done"])
    t["satisfaction"] = rate(t["ratings_good"], t["ratings"])
    t["mediation_success_rate"] = rate(t["mediation_settled"], t["mediation_ended"])
    return t


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    y, m = (int(x) for x in month.split("-"))
    first = dt.date(y, m, 1)
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


@get("/oversight", guards=[signed_in], name="oversight.index")
async def overview(request: Request) -> Any:
    principal = request.user
    if not may_view(principal):
        raise Forbidden()
    _ = translator(locale_of(request))
    start, end, errors = period(request)
    sort = request.query_params.get("sort", "overdue")
    sort = sort if sort in SORTS else "overdue"
    descending = request.query_params.get("dir", "desc") != "asc"
    ids = await _stations(principal)
    found = await figures.dashboard(ids, start, end)  # the three side by side where the engine allows
    rows = found["stations"]
    # Missing rates sort last whichever way: a station with nothing to rate is not the best nor the worst.
    present = [r for r in rows if SORTS[sort](r) is not None]
    absent = [r for r in rows if SORTS[sort](r) is None]
    rows = sorted(present, key=SORTS[sort], reverse=descending) + absent
    trend_rows = found["trend"]
    months: dict[str, dict] = {}
    for r in trend_rows:
        m = months.setdefault(r["month"], {"month": r["month"], "received": 0, "done": 0})
        m["received"] += r["received"]
        m["done"] += r["done"]
    trend = list(months.values())
    peak = max([m["received"] for m in trend] + [m["done"] for m in trend] + [1])
    for m in trend:
        first, last = _month_bounds(m["month"])
        m["received_link"] = cases_link(first, last)
        m["done_link"] = "/cases?" + urlencode({"closed_from": first.isoformat(), "closed_to": last.isoformat()})
        m["received_pct"] = round(100 * m["received"] / peak)
        m["done_pct"] = round(100 * m["done"] / peak)
    heat_rows = found["heat"]
    from council.cases.pages import category_labels

    labels = await category_labels(ids)
    categories = sorted({h["category"] for h in heat_rows}, key=lambda c: (-sum(
        h["count"] for h in heat_rows if h["category"] == c), c))
    communities: dict[int, dict] = {}
    for h in heat_rows:
        c = communities.setdefault(h["community_id"], {"id": h["community_id"], "name": h["community"], "cells": {},
                                                        "total": 0})
        c["cells"][h["category"]] = h["count"]
        c["total"] += h["count"]
    heat_table = sorted(communities.values(), key=lambda c: (-c["total"], c["name"]))
    hottest = max([h["count"] for h in heat_rows] + [1])
    return page(
        request, "oversight/index.html", status_code=422 if errors else 200, rows=rows, totals=_totals(rows),
        columns=COLUMNS, sort=sort, descending=descending, start=start, end=end,
        errors={k: _(v) for k, v in errors.items()}, raw_start=request.query_params.get("start", ""),
        raw_end=request.query_params.get("end", ""), trend=trend, heat=heat_table, categories=categories,
        category_labels=labels, hottest=hottest, cases_link=cases_link, settled=MEDIATION_SUCCESS,
        area=principal.area_label, station_count=len(ids),
    )


PAGE_ROUTES = [overview]
API_ROUTES: list = []
