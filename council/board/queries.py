"""What the public board shows. De-identified by construction: it selects no reporter, unit,
phone, name or party column, masks phone and ID numbers typed into titles, and leaves disputes
out entirely (a mediation is confidential, People's Mediation Law Art. 15)."""

from __future__ import annotations

import datetime as dt

from council.cases.tables import Case
from council.core.localtime import LOCAL, local_time
from council.privacy import mask_free_text as scrub
from council.stations.tables import Station
from council.votes.queries import notice_key
from council.votes.tables import Vote

PUBLIC_KINDS = ("proposal", "request")
DONE_STATES = ("closed", "rated")
LIST_LIMIT = 50


def month_bounds(month: int) -> tuple[dt.datetime, dt.datetime]:
    """YYYYMM → [first moment, first moment of the next month) in station-local time."""
    year, m = divmod(month, 100)
    start = dt.datetime(year, m, 1, tzinfo=LOCAL)
    end = dt.datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=LOCAL)
    return start, end


def parse_month(text: str | None, today: dt.date) -> int:
    """'2026-11' → 202611; anything else (or a month after this one) → this month."""
    this = today.year * 100 + today.month
    try:
        year, m = (int(p) for p in (text or "").split("-"))
        value = year * 100 + m
        return value if 2000 <= year and 1 <= m <= 12 and value <= this else this
    except ValueError:
        return this


async def station_by_prefix(prefix: str) -> dict | None:
    return await Station.select(Station.id, Station.name, Station.address, Station.case_prefix).where(
        Station.case_prefix == prefix[:20]).first()


async def board(station_id: int, month: int) -> dict:
    start, end = month_bounds(month)
    base = (Case.station == station_id) & Case.kind.is_in(list(PUBLIC_KINDS))
    received = await Case.count().where(base & (Case.created_month == month))
    done_where = base & Case.state.is_in(list(DONE_STATES)) & (Case.closed_month == month)
    done = await Case.count().where(done_where)
    rows = await Case.select(Case.number, Case.kind, Case.category, Case.title, Case.closed_at).where(
        done_where).order_by(Case.closed_at, ascending=False).limit(LIST_LIMIT)
    votes = await Vote.select(Vote.id, Vote.title, Vote.closed_at, Vote.passed, Vote.notice_until).where(
        (Vote.station == station_id) & (Vote.state == "closed") & (Vote.closed_at >= start)
        & (Vote.closed_at < end)).order_by(Vote.closed_at, ascending=False).limit(LIST_LIMIT)
    return {
        "received": received, "done": done,
        "cases": [{**r, "title": scrub(r["title"]), "closed_on": local_time(r["closed_at"], "%Y-%m-%d")} for r in rows],
        # A notice's address carries its unguessable key (council.votes.queries.notice_key).
        "votes": [{**v, "title": scrub(v["title"]), "notice_url": f'/notices/{notice_key(v["id"])}'} for v in votes],
    }


async def stations() -> list[dict]:
    return await Station.select(Station.name, Station.case_prefix).order_by(Station.name)
