"""Figures across many stations, each grouped in SQL: a handful of statements whatever the number
of stations or cases (no per-station or per-row loops). The meanings are the project's own:

- the cohort is the cases *received* in the period (created_at within [start, end], local days),
  as on the single-station street dashboard (council.cases.street): of them,
  - done: closed (closed_at set: closed, rated, rejected, a mediation that ended);
  - in_progress: still in an open state (council.cases.queries.OPEN_STATES);
  - overdue: the one meaning of council.cases.overdue.case_overdue — a request still in the
    closed loop whose working-day deadline is before today;
  - on_time_rate: of the requests done, those closed on or before their deadline, the day taken
    in station-local time (a request without a deadline is on time), as the monthly report
    (council.reports.monthly) counts it;
  - avg_days_to_close: mean of close_minutes (kept with each case, as the station dashboard
    council.cases.queries.dashboard averages it) over the cases done, in days;
  - satisfaction: council.cases.satisfaction's rate, (satisfied + basically satisfied) / all
    ratings given to those cases, in percent, with the raw counts (good, rated) beside it;
  - mediation_success_rate: council.cases.funnel.mediation_success, settled / ended disputes;
- votes_held: votes closed within the period (a vote is held when it closes with a result).

Rates are percent with one decimal (council.cases.funnel.rate), None when nothing to divide.
The monthly trend counts by month as the station dashboard does: received by created_month,
done by closed_month (local months kept on each case, answered from the indexes).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from council import db
from council.cases import funnel, request_loop
from council.cases.calendar_store import today as local_today
from council.cases.queries import OPEN_STATES
from council.core.localtime import LOCAL

GOOD_RATINGS = ("satisfied", "basically_satisfied")


def _ids(station_ids) -> str:
    """The station ids as an SQL list of integers (every one passed through int())."""
    ids = sorted({int(s) for s in station_ids})
    return "(" + ", ".join(str(i) for i in ids) + ")" if ids else "(-1)"


async def _together(*statements):
    """The statements side by side on PostgreSQL, each on a connection of the pool, when no
    transaction holds this task to one connection; else (SQLite, or inside db.read()/write())
    one after the other. Either way, their results in order."""
    engine = db.engine()
    current = getattr(engine, "current_transaction", None)
    if db.is_sqlite() or current is None or current.get() is not None or not getattr(engine, "pool", None):
        return [await s for s in statements]
    return await asyncio.gather(*statements)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end + 1 day 00:00) in station-local time."""
    return (dt.datetime.combine(start, dt.time(), LOCAL),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), LOCAL))


def _local_closed_day_on_time() -> str:
    """SQL: the case's closed_at, as a station-local day, is on or before its due_date."""
    if db.is_sqlite():
        # Timestamps are stored as UTC text (Piccolo), dates as YYYY-MM-DD text.
        return "date(substr(\"closed_at\", 1, 19), '+8 hours') <= \"due_date\""
    return "(\"closed_at\" AT TIME ZONE 'Asia/Shanghai')::date <= \"due_date\""


def month_key(day: dt.date) -> int:
    return day.year * 100 + day.month


def months_between(start: dt.date, end: dt.date) -> list[int]:
    """Every month from start's to end's, as YYYYMM, oldest first."""
    out, y, m = [], start.year, start.month
    while y * 100 + m <= month_key(end):
        out.append(y * 100 + m)
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


async def station_names(station_ids) -> dict[int, str]:
    rows = await db.raw(f'SELECT "id", "name" FROM "station" WHERE "id" IN {_ids(station_ids)}')
    return {r["id"]: r["name"] for r in rows}


async def station_figures(station_ids: list[int], start: dt.date, end: dt.date,
                          on: dt.date | None = None) -> list[dict]:
    """One row per station (in the order of station_ids; unknown ids are left out).

    Four statements: the cases grouped by station, kind and state (the meanings above are applied
    to those groups here, so the database evaluates few expressions per case), their ratings by
    station and rating, the votes, the names."""
    on = on or local_today()
    lo, hi = _bounds(start, end)
    ids = _ids(station_ids)
    groups, ratings, votes, names = await _together(db.raw(
        'SELECT "station", "kind", "state", COUNT(*) AS n, COUNT("closed_at") AS done, '
        'SUM(CASE WHEN "closed_at" IS NOT NULL THEN "close_minutes" END) AS minutes, '
        'COUNT(CASE WHEN "closed_at" IS NOT NULL THEN "close_minutes" END) AS timed, '
        'SUM(CASE WHEN "due_date" < {} THEN 1 ELSE 0 END) AS past_due, '
        'SUM(CASE WHEN "closed_at" IS NOT NULL AND ("due_date" IS NULL OR '
        f'{_local_closed_day_on_time()}) THEN 1 ELSE 0 END) AS on_time '
        f'FROM "case_file" WHERE "station" IN {ids} AND "created_at" >= {{}} AND "created_at" < {{}} '
        'GROUP BY "station", "kind", "state"', on, lo, hi),
        # A rating comes after its case: only ratings given since the period began can belong to
        # a case received in it, which lets the index on the rating's time narrow the join.
        db.raw(
        'SELECT c."station" AS station, r."rating" AS rating, COUNT(*) AS n '
        'FROM "case_rating" r JOIN "case_file" c ON c."id" = r."case" '
        f'WHERE r."created_at" >= {{}} AND c."station" IN {ids} AND c."created_at" >= {{}} AND c."created_at" < {{}} '
        'GROUP BY c."station", r."rating"', lo, lo, hi),
        db.raw(
        'SELECT "station", COUNT(*) AS n FROM "vote" '
        f'WHERE "station" IN {ids} AND "state" = \'closed\' AND "closed_at" >= {{}} AND "closed_at" < {{}} '
        'GROUP BY "station"', lo, hi),
        station_names(station_ids))
    zero = dict.fromkeys(("received", "done", "in_progress", "overdue", "requests_done", "on_time", "minutes",
                          "timed", "settled", "ended", "good", "rated"), 0)
    sums: dict[int, dict] = {}
    for g in groups:
        t = sums.setdefault(g["station"], dict(zero))
        n, kind, state = int(g["n"]), g["kind"], g["state"]
        t["received"] += n
        t["done"] += int(g["done"])
        t["minutes"] += int(g["minutes"] or 0)
        t["timed"] += int(g["timed"])
        if state in OPEN_STATES:
            t["in_progress"] += n
        if kind == "request":
            if state in request_loop.OPEN:
                t["overdue"] += int(g["past_due"] or 0)  # case_overdue: an open request past its deadline
            t["requests_done"] += int(g["done"])
            t["on_time"] += int(g["on_time"] or 0)
        if kind == "dispute":
            t["settled"] += n if state == funnel.MEDIATION_SUCCESS else 0
            t["ended"] += n if state in funnel.MEDIATION_ENDED else 0
    for r in ratings:
        t = sums.setdefault(r["station"], dict(zero))
        t["rated"] += int(r["n"])
        t["good"] += int(r["n"]) if r["rating"] in GOOD_RATINGS else 0
    by_vote = {r["station"]: int(r["n"]) for r in votes}
    out = []
    for sid in dict.fromkeys(int(s) for s in station_ids):
        if sid not in names:
            continue
        t = sums.get(sid, zero)
        out.append({
            "station_id": sid, "station": names[sid],
            "received": t["received"], "done": t["done"], "in_progress": t["in_progress"], "overdue": t["overdue"],
            "requests_done": t["requests_done"], "on_time": t["on_time"],
            "on_time_rate": funnel.rate(t["on_time"], t["requests_done"]),
            "avg_days_to_close": round(t["minutes"] / t["timed"] / 1440, 1) if t["timed"] else None,
            "ratings_good": t["good"], "ratings": t["rated"], "satisfaction": funnel.rate(t["good"], t["rated"]),
            "mediation_settled": t["settled"], "mediation_ended": t["ended"],
            "mediation_success_rate": funnel.rate(t["settled"], t["ended"]),
            "votes_held": by_vote.get(sid, 0),
        })
    return out


async def monthly_trend(station_ids: list[int], start: dt.date, end: dt.date) -> list[dict]:
    """Per station per month from start's month to end's (every month present, zeros included):
    {station_id, month: 'YYYY-MM', received, done}. Two grouped statements on the month columns."""
    first, last = month_key(start), month_key(end)
    ids = _ids(station_ids)
    received, done, names = await _together(db.raw(
        'SELECT "station", "created_month" AS m, COUNT(*) AS n FROM "case_file" '
        f'WHERE "station" IN {ids} AND "created_month" >= {{}} AND "created_month" <= {{}} '
        'GROUP BY "station", "created_month"', first, last),
        db.raw(
        'SELECT "station", "closed_month" AS m, COUNT(*) AS n FROM "case_file" '
        f'WHERE "station" IN {ids} AND "closed_month" >= {{}} AND "closed_month" <= {{}} '
        'GROUP BY "station", "closed_month"', first, last),
        station_names(station_ids))
    got = {(r["station"], r["m"]): r["n"] for r in received}
    closed = {(r["station"], r["m"]): r["n"] for r in done}
    out = []
    for sid in dict.fromkeys(int(s) for s in station_ids):
        if sid not in names:
            continue
        for m in months_between(start, end):
            out.append({"station_id": sid, "month": f"{m // 100}-{m % 100:02d}",
                        "received": int(got.get((sid, m), 0)), "done": int(closed.get((sid, m), 0))})
    return out


async def heat(station_ids: list[int], start: dt.date, end: dt.date) -> list[dict]:
    """Cases received in the period by category × community (the community the case is in):
    [{community_id, community, category, count}], largest first. One grouped statement."""
    lo, hi = _bounds(start, end)
    # Grouped first, named after: the names join 800 groups, not every case.
    rows = await db.raw(
        'SELECT h."community" AS community_id, m."name" AS community, h."category" AS category, h.n AS n FROM ('
        'SELECT "community", "category", COUNT(*) AS n FROM "case_file" '
        f'WHERE "station" IN {_ids(station_ids)} AND "created_at" >= {{}} AND "created_at" < {{}} '
        'GROUP BY "community", "category") h JOIN "community" m ON m."id" = h."community"', lo, hi)
    out = [{"community_id": r["community_id"], "community": r["community"], "category": r["category"],
            "count": int(r["n"])} for r in rows]
    out.sort(key=lambda r: (-r["count"], r["community"], r["category"]))
    return out


async def dashboard(station_ids: list[int], start: dt.date, end: dt.date, on: dt.date | None = None) -> dict:
    """The three together, as the street and district dashboards show them:
    {"stations": station_figures, "trend": monthly_trend, "heat": heat}."""
    stations, trend, cells = await _together(station_figures(station_ids, start, end, on),
                                             monthly_trend(station_ids, start, end), heat(station_ids, start, end))
    return {"stations": stations, "trend": trend, "heat": cells}
