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


def _words(values) -> str:
    """A list of the code's own state names as SQL literals (constants, never user input)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + ")"


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
    Four statements: the cases, their ratings, the votes, the names."""
    on = on or local_today()
    lo, hi = _bounds(start, end)
    ids = _ids(station_ids)
    open_requests = _words(request_loop.OPEN)
    cases = await db.raw(
        'SELECT "station", COUNT(*) AS received, '
        'SUM(CASE WHEN "closed_at" IS NOT NULL THEN 1 ELSE 0 END) AS done, '
        f'SUM(CASE WHEN "state" IN {_words(OPEN_STATES)} THEN 1 ELSE 0 END) AS in_progress, '
        f'SUM(CASE WHEN "kind" = \'request\' AND "state" IN {open_requests} AND "due_date" < {{}} '
        'THEN 1 ELSE 0 END) AS overdue, '
        'SUM(CASE WHEN "kind" = \'request\' AND "closed_at" IS NOT NULL THEN 1 ELSE 0 END) AS requests_done, '
        'SUM(CASE WHEN "kind" = \'request\' AND "closed_at" IS NOT NULL AND ("due_date" IS NULL OR '
        f'{_local_closed_day_on_time()}) THEN 1 ELSE 0 END) AS on_time, '
        'SUM(CASE WHEN "closed_at" IS NOT NULL THEN "close_minutes" ELSE 0 END) AS close_minutes, '
        'SUM(CASE WHEN "closed_at" IS NOT NULL AND "close_minutes" IS NOT NULL THEN 1 ELSE 0 END) AS timed, '
        f'SUM(CASE WHEN "kind" = \'dispute\' AND "state" = \'{funnel.MEDIATION_SUCCESS}\' THEN 1 ELSE 0 END) '
        'AS settled, '
        f'SUM(CASE WHEN "kind" = \'dispute\' AND "state" IN {_words(funnel.MEDIATION_ENDED)} THEN 1 ELSE 0 END) '
        'AS ended '
        f'FROM "case_file" WHERE "station" IN {ids} AND "created_at" >= {{}} AND "created_at" < {{}} '
        'GROUP BY "station"', on, lo, hi)
    ratings = await db.raw(
        'SELECT c."station" AS station, COUNT(*) AS rated, '
        f'SUM(CASE WHEN r."rating" IN {_words(GOOD_RATINGS)} THEN 1 ELSE 0 END) AS good '
        'FROM "case_rating" r JOIN "case_file" c ON c."id" = r."case" '
        f'WHERE c."station" IN {ids} AND c."created_at" >= {{}} AND c."created_at" < {{}} '
        'GROUP BY c."station"', lo, hi)
    votes = await db.raw(
        'SELECT "station", COUNT(*) AS n FROM "vote" '
        f'WHERE "station" IN {ids} AND "state" = \'closed\' AND "closed_at" >= {{}} AND "closed_at" < {{}} '
        'GROUP BY "station"', lo, hi)
    names = await station_names(station_ids)
    by_case = {r["station"]: r for r in cases}
    by_rating = {r["station"]: r for r in ratings}
    by_vote = {r["station"]: r["n"] for r in votes}
    out = []
    seen = set()
    for sid in station_ids:
        sid = int(sid)
        if sid not in names or sid in seen:
            continue
        seen.add(sid)
        c = by_case.get(sid, {})
        n = lambda key: int(c.get(key) or 0)  # noqa: E731  (SUM over no rows is NULL)
        rt = by_rating.get(sid, {})
        good, rated = int(rt.get("good") or 0), int(rt.get("rated") or 0)
        timed = n("timed")
        out.append({
            "station_id": sid, "station": names[sid],
            "received": n("received"), "done": n("done"), "in_progress": n("in_progress"),
            "overdue": n("overdue"),
            "requests_done": n("requests_done"), "on_time": n("on_time"),
            "on_time_rate": funnel.rate(n("on_time"), n("requests_done")),
            "avg_days_to_close": round(n("close_minutes") / timed / 1440, 1) if timed else None,
            "ratings_good": good, "ratings": rated, "satisfaction": funnel.rate(good, rated),
            "mediation_settled": n("settled"), "mediation_ended": n("ended"),
            "mediation_success_rate": funnel.rate(n("settled"), n("ended")),
            "votes_held": int(by_vote.get(sid, 0)),
        })
    return out


async def monthly_trend(station_ids: list[int], start: dt.date, end: dt.date) -> list[dict]:
    """Per station per month from start's month to end's (every month present, zeros included):
    {station_id, month: 'YYYY-MM', received, done}. Two grouped statements on the month columns."""
    first, last = month_key(start), month_key(end)
    ids = _ids(station_ids)
    received = await db.raw(
        'SELECT "station", "created_month" AS m, COUNT(*) AS n FROM "case_file" '
        f'WHERE "station" IN {ids} AND "created_month" >= {{}} AND "created_month" <= {{}} '
        'GROUP BY "station", "created_month"', first, last)
    done = await db.raw(
        'SELECT "station", "closed_month" AS m, COUNT(*) AS n FROM "case_file" '
        f'WHERE "station" IN {ids} AND "closed_month" >= {{}} AND "closed_month" <= {{}} '
        'GROUP BY "station", "closed_month"', first, last)
    got = {(r["station"], r["m"]): r["n"] for r in received}
    closed = {(r["station"], r["m"]): r["n"] for r in done}
    names = await station_names(station_ids)
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
    rows = await db.raw(
        'SELECT c."community" AS community_id, m."name" AS community, c."category" AS category, '
        'COUNT(*) AS n FROM "case_file" c JOIN "community" m ON m."id" = c."community" '
        f'WHERE c."station" IN {_ids(station_ids)} AND c."created_at" >= {{}} AND c."created_at" < {{}} '
        'GROUP BY c."community", m."name", c."category"', lo, hi)
    out = [{"community_id": r["community_id"], "community": r["community"], "category": r["category"],
            "count": int(r["n"])} for r in rows]
    out.sort(key=lambda r: (-r["count"], r["community"], r["category"]))
    return out
