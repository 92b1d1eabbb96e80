"""The read side of cases: the filtered list, the overdue list, the department inbox, the dashboard.

Every query starts from the principal's scope, so a list can never show a case its reader
may not open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from piccolo.querystring import QueryString

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.cases import request_loop
from council.cases.calendar_store import today
from council.cases.tables import Case
from council.core.errors import Forbidden

PER_PAGE = 25
OPEN_STATES = ("propose", "discuss", "act", "fund", "decide", "evaluate", *request_loop.OPEN)
DONE_STATES = ("closed", "rated", "answered", "rejected", "converted")


@dataclass
class CaseFilter:
    state: str = ""
    kind: str = ""
    category: str = ""
    channel: str = ""
    estate: int | None = None
    organisation: int | None = None
    station: int | None = None
    overdue: bool = False
    q: str = ""
    page: int = 1
    mine: bool = False  # cases I registered


def scope(principal: Principal):
    """The WHERE clause of what the principal may see, or None for everything (admins)."""
    if principal.role == Role.admin:
        return None
    if principal.role in (Role.secretary, Role.grid_worker, Role.mediator):
        return Case.station.is_in(list(principal.station_ids) or [-1])
    if principal.role == Role.department_liaison:
        return Case.organisation == (principal.organisation_id or -1)
    if principal.role == Role.resident:
        return (Case.reporter == (principal.person_id or -1)) | (
            (Case.kind == "proposal") & Case.community.is_in(list(principal.community_ids) or [-1]))
    return Case.id == -1


def _clauses(principal: Principal, f: CaseFilter) -> list:
    clauses = []
    s = scope(principal)
    if s is not None:
        clauses.append(s)
    if f.state:
        clauses.append(Case.state == f.state)
    if f.kind:
        clauses.append(Case.kind == f.kind)
    if f.category:
        clauses.append(Case.category == f.category)
    if f.channel:
        clauses.append(Case.channel == f.channel)
    if f.estate:
        clauses.append(Case.estate == f.estate)
    if f.organisation:
        clauses.append(Case.organisation == f.organisation)
    if f.station:
        clauses.append(Case.station == f.station)
    if f.mine:
        clauses.append(Case.created_by == principal.user_id)
    if f.overdue:
        clauses.append((Case.kind == "request") & Case.state.is_in(list(request_loop.OPEN)) & (Case.due_date < today()))
    if f.q.strip():
        term = f.q.strip()
        clauses.append(db.contains(Case.number, term) | db.contains(Case.title, term) | db.contains(Case.description, term))
    return clauses


LIST_COLUMNS = (
    Case.id, Case.number, Case.kind, Case.title, Case.category, Case.channel, Case.state, Case.priority,
    Case.due_date, Case.escalation, Case.created_at, Case.station, Case.estate.name.as_alias("estate_name"),
    Case.organisation.name.as_alias("organisation_name"),
)


async def list_cases(principal: Principal, f: CaseFilter, per_page: int = PER_PAGE) -> tuple[list[dict], int]:
    clauses = _clauses(principal, f)
    query = Case.select(*LIST_COLUMNS)
    count = Case.count()
    for c in clauses:
        query = query.where(c)
        count = count.where(c)
    page = max(f.page, 1)
    rows = await query.order_by(Case.id, ascending=False).limit(per_page).offset((page - 1) * per_page)
    return rows, await count


async def export_rows(principal: Principal, f: CaseFilter, limit: int = 100_000) -> list[dict]:
    query = Case.select(*LIST_COLUMNS, Case.closed_at)
    for c in _clauses(principal, f):
        query = query.where(c)
    return await query.order_by(Case.id).limit(limit)


# ---------------------------------------------------------------- dashboard

@dataclass
class Dashboard:
    by_kind_state: dict[tuple[str, str], int] = field(default_factory=dict)
    received_month: int = 0
    done_month: int = 0
    received_year: int = 0
    done_year: int = 0
    in_progress: int = 0
    overdue: int = 0
    avg_days_to_close: float | None = None
    closed_count: int = 0
    ratings: dict[str, int] = field(default_factory=dict)
    months: list[tuple[str, int, int]] = field(default_factory=list)  # (YYYY-MM, received, done)

    @property
    def satisfaction_rate(self) -> Fraction | None:
        """(satisfied + basically satisfied) / all ratings."""
        total = sum(self.ratings.values())
        if not total:
            return None
        return Fraction(self.ratings.get("satisfied", 0) + self.ratings.get("basically_satisfied", 0), total)


def _month_expr(column: str) -> str:
    # Months are the station's local (UTC+8) months.
    if db.is_sqlite():
        return f"strftime('%Y-%m', \"{column}\", '+8 hours')"
    return f"to_char(\"{column}\" AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"


def _days_expr() -> str:
    if db.is_sqlite():
        return 'AVG(julianday("closed_at") - julianday("created_at"))'
    return 'AVG(EXTRACT(EPOCH FROM ("closed_at" - "created_at")) / 86400.0)'


async def dashboard(principal: Principal, station_id: int, on: dt.date | None = None) -> Dashboard:
    if not (principal.role == Role.admin or (principal.role in (Role.secretary, Role.grid_worker, Role.mediator)
                                             and station_id in principal.station_ids)):
        raise Forbidden("This belongs to a station you do not serve.")
    on = on or today()
    run = db.engine().run_querystring
    d = Dashboard()
    for r in await run(QueryString(
            'SELECT "kind", "state", COUNT(*) AS n FROM "case_file" WHERE "station" = {} GROUP BY "kind", "state"',
            station_id)):
        d.by_kind_state[(r["kind"], r["state"])] = r["n"]
    d.in_progress = sum(n for (k, s), n in d.by_kind_state.items() if s in OPEN_STATES)
    month, year = on.strftime("%Y-%m"), on.strftime("%Y")
    first_month = (on.replace(day=1) - dt.timedelta(days=335)).replace(day=1).strftime("%Y-%m")
    done = "(" + ", ".join(f"'{s}'" for s in DONE_STATES) + ")"
    received = {r["m"]: r["n"] for r in await run(QueryString(
        f'SELECT {_month_expr("created_at")} AS m, COUNT(*) AS n FROM "case_file" '
        f'WHERE "station" = {{}} AND {_month_expr("created_at")} >= {{}} GROUP BY m', station_id, first_month))}
    closed = {r["m"]: r["n"] for r in await run(QueryString(
        f'SELECT {_month_expr("closed_at")} AS m, COUNT(*) AS n FROM "case_file" '
        f'WHERE "station" = {{}} AND "closed_at" IS NOT NULL AND "state" IN {done} '
        f'AND {_month_expr("closed_at")} >= {{}} GROUP BY m', station_id, first_month))}
    months = []
    cursor = dt.date.fromisoformat(first_month + "-01")
    while cursor.strftime("%Y-%m") <= month:
        key = cursor.strftime("%Y-%m")
        months.append((key, received.get(key, 0), closed.get(key, 0)))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    d.months = months
    d.received_month, d.done_month = received.get(month, 0), closed.get(month, 0)
    d.received_year = sum(n for m, n in received.items() if m.startswith(year))
    d.done_year = sum(n for m, n in closed.items() if m.startswith(year))
    open_requests = "(" + ", ".join(f"'{s}'" for s in request_loop.OPEN) + ")"
    d.overdue = (await run(QueryString(
        f'SELECT COUNT(*) AS n FROM "case_file" WHERE "station" = {{}} AND "kind" = {{}} '
        f'AND "state" IN {open_requests} AND "due_date" < {{}}', station_id, "request", on)))[0]["n"]
    avg = (await run(QueryString(
        f'SELECT {_days_expr()} AS d, COUNT(*) AS n FROM "case_file" WHERE "station" = {{}} '
        f'AND "closed_at" IS NOT NULL AND "state" IN {done}', station_id)))[0]
    d.avg_days_to_close = float(avg["d"]) if avg["d"] is not None else None
    d.closed_count = avg["n"]
    for r in await run(QueryString(
            'SELECT r."rating" AS rating, COUNT(*) AS n FROM "case_rating" r JOIN "case_file" c ON c."id" = r."case" '
            'WHERE c."station" = {} GROUP BY r."rating"', station_id)):
        d.ratings[r["rating"]] = r["n"]
    return d
