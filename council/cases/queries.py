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
# A dispute is open while registered (shared with requests), seeking consent or being mediated
# (council.mediation.machine.OPEN_STATES).
OPEN_STATES = ("propose", "discuss", "act", "fund", "decide", "evaluate", *request_loop.OPEN, "consent", "mediating")


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
    # What the cross-station overview's figures drill down to (council.oversight): the cases received
    # in a period (station-local days), in a community, and of those: done, still open, done on time,
    # rated (any rating, or a good one).
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    community: int | None = None
    done: bool = False
    open: bool = False
    on_time: bool = False
    rated: str = ""  # "" / "any" / "good"
    closed_from: dt.date | None = None  # the trend's "done in a month": closed in a period
    closed_to: dt.date | None = None

    def drill_down(self) -> bool:
        return bool(self.received_from or self.received_to or self.community or self.done or self.open
                    or self.on_time or self.rated or self.closed_from or self.closed_to)


def _local_midnight(day: dt.date) -> dt.datetime:
    from council.core.localtime import LOCAL

    return dt.datetime.combine(day, dt.time(), LOCAL)


def _drill_down(f: CaseFilter) -> list:
    """The overview's figures as case filters, with the figures' own meanings (council.oversight.figures)."""
    clauses = []
    if f.received_from:
        clauses.append(Case.created_at >= _local_midnight(f.received_from))
    if f.received_to:
        clauses.append(Case.created_at < _local_midnight(f.received_to + dt.timedelta(days=1)))
    if f.closed_from:
        clauses.append(Case.closed_at >= _local_midnight(f.closed_from))
    if f.closed_to:
        clauses.append(Case.closed_at < _local_midnight(f.closed_to + dt.timedelta(days=1)))
    if f.community:
        clauses.append(Case.community == f.community)
    if f.done:
        clauses.append(Case.closed_at.is_not_null())
    if f.open:
        clauses.append(Case.state.is_in(list(OPEN_STATES)))
    if f.on_time:
        from piccolo.columns.combination import WhereRaw

        from council.oversight.figures import _local_closed_day_on_time

        clauses.append((Case.kind == "request") & Case.closed_at.is_not_null()
                       & (Case.due_date.is_null() | WhereRaw(_local_closed_day_on_time())))
    if f.rated in ("any", "good"):
        from council.cases.tables import Rating

        ratings = Rating.select(Rating.case)
        if f.rated == "good":
            ratings = ratings.where(Rating.rating.is_in(["satisfied", "basically_satisfied"]))
        clauses.append(Case.id.is_in(ratings))
    return clauses


def scope(principal: Principal):
    """The WHERE clause of what the principal may see, or None for everything (admins)."""
    if principal.role == Role.admin:
        return None
    if principal.role in (Role.secretary, Role.mediator):
        return Case.station.is_in(list(principal.station_ids) or [-1])
    # Disputes only for those who may read them (policy.can_read_disputes, and why).
    if principal.role == Role.grid_worker:
        return Case.station.is_in(list(principal.station_ids) or [-1]) & (Case.kind != "dispute")
    if principal.role in (Role.street_officer, Role.district_officer):
        # The street / district officers read every case of the stations under them, disputes too
        # (the street and district are mediation's next levels, and their overview counts them);
        # the mediation files themselves stay with the mediators (council.cases.policy).
        return Case.station.is_in(list(principal.station_ids) or [-1])
    if principal.role == Role.department_liaison:
        return (Case.organisation == (principal.organisation_id or -1)) & (Case.kind != "dispute")
    if principal.role == Role.resident:
        return ((Case.reporter == (principal.person_id or -1)) & (Case.kind != "dispute")) | (
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
        # A resident's own cases are those they reported; staff's those they registered.
        if principal.role == Role.resident:
            clauses.append(Case.reporter == (principal.person_id or -1))
        else:
            clauses.append(Case.created_by == principal.user_id)
    if f.overdue:
        clauses.append((Case.kind == "request") & Case.state.is_in(list(request_loop.OPEN)) & (Case.due_date < today()))
    clauses += _drill_down(f)
    if f.q.strip():
        term = f.q.strip()
        clauses.append(db.contains(Case.number, term) | db.contains(Case.title, term) | db.contains(Case.description, term))
    return clauses


LIST_COLUMNS = (
    Case.id, Case.number, Case.kind, Case.title, Case.category, Case.channel, Case.state, Case.priority,
    Case.due_date, Case.escalation, Case.created_at, Case.station, Case.estate, Case.organisation,
)


async def _with_names(rows: list[dict]) -> list[dict]:
    """Estate and organisation names for one page of rows, looked up after paging: joining
    before ORDER BY … LIMIT would make the database join every matching case first."""
    from council.parties.tables import Organisation
    from council.places.tables import Estate

    estate_ids = {r["estate"] for r in rows if r["estate"]}
    org_ids = {r["organisation"] for r in rows if r["organisation"]}
    estates = {e["id"]: e["name"] for e in await Estate.select(Estate.id, Estate.name).where(Estate.id.is_in(list(estate_ids)))} if estate_ids else {}
    orgs = {o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name).where(Organisation.id.is_in(list(org_ids)))} if org_ids else {}
    for r in rows:
        r["estate_name"] = estates.get(r["estate"], "")
        r["organisation_name"] = orgs.get(r["organisation"], "")
    return rows


# A search counts its matches up to this many and then says "1000+": counting every match of a
# common word across a district reads every case (a word of two Chinese characters has no trigram
# to look up), while the page itself stops at its first 25 (docs/scale.md).
SEARCH_COUNT_CAP = 1000


class AtLeast(int):
    """A count that stopped at its cap: the number is the cap, and it prints as "1000+"."""

    def __str__(self) -> str:
        return f"{int(self)}+"

    def __format__(self, spec: str) -> str:
        return format(int(self), spec) + "+"


def scope_sql(principal: Principal, args: list, alias: str = "") -> str | None:
    """scope() as SQL with {} placeholders (its arguments appended to `args`); None for everything."""
    c = alias + "."  if alias else ""
    role = principal.role
    if role == Role.admin:
        return None
    if role in (Role.secretary, Role.mediator, Role.street_officer, Role.district_officer):
        # As scope(): the officers above the stations read every case of the stations under them.
        return db.in_list(f'{c}"station"', principal.station_ids, args)
    if role == Role.grid_worker:
        return db.in_list(f'{c}"station"', principal.station_ids, args) + f" AND {c}\"kind\" <> 'dispute'"
    if role == Role.department_liaison:
        args.append(principal.organisation_id or -1)
        return f"{c}\"organisation\" = {{}} AND {c}\"kind\" <> 'dispute'"
    if role == Role.resident:
        args.append(principal.person_id or -1)
        return (f"(({c}\"reporter\" = {{}} AND {c}\"kind\" <> 'dispute') OR ({c}\"kind\" = 'proposal' AND "
                + db.in_list(f'{c}"community"', principal.community_ids, args) + "))")
    return f'{c}"id" = -1'


def _where_sql(principal: Principal, f: CaseFilter, args: list) -> str | None:
    """_clauses() as SQL, or None when the filter needs what only _clauses() builds (a text search)."""
    if f.q.strip() or f.drill_down():
        return None  # a search, or the overview's drill-down filters: _clauses() builds those
    parts = []
    s = scope_sql(principal, args)
    if s is not None:
        parts.append(f"({s})")
    for column, value in (("state", f.state), ("kind", f.kind), ("category", f.category), ("channel", f.channel),
                          ("estate", f.estate), ("organisation", f.organisation), ("station", f.station)):
        if value:
            parts.append(f'"{column}" = {{}}')
            args.append(value)
    if f.mine:
        if principal.role == Role.resident:
            parts.append('"reporter" = {}')
            args.append(principal.person_id or -1)
        else:
            parts.append('"created_by" = {}')
            args.append(principal.user_id)
    if f.overdue:
        parts.append("\"kind\" = 'request' AND " + db.in_list('"state"', request_loop.OPEN, args) + ' AND "due_date" < {}')
        args.append(today())
    return " AND ".join(parts) if parts else "1 = 1"


_LIST_SELECT = ", ".join(f'"{c._meta.db_column_name}"' for c in LIST_COLUMNS)
_LIST_OUTER = ", ".join(f'c."{c._meta.db_column_name}"' for c in LIST_COLUMNS)


async def list_cases(principal: Principal, f: CaseFilter, per_page: int = PER_PAGE) -> tuple[list[dict], int]:
    """One page of the cases the principal may see, newest first, with estate and organisation
    names, and how many there are: two statements, built once per shape of filter (db.fetch).
    The names are joined after paging: joining before ORDER BY … LIMIT would make the database
    join every matching case first."""
    page = min(max(f.page, 1), 1_000_000)  # an absurd page is just empty; unbounded, OFFSET overflows
    args: list = []
    where = _where_sql(principal, f, args)
    if where is None:
        return await _list_cases_search(principal, f, per_page, page)
    # The count rides along as an uncorrelated subquery (evaluated once): one round trip for the
    # page and its total; only a page past the end, which has no row to carry it, asks again.
    rows = await db.fetch(
        f'SELECT {_LIST_OUTER}, e."name" AS estate_name, o."name" AS organisation_name, '
        f'(SELECT COUNT(*) FROM "case_file" WHERE {where}) AS total_matching FROM '
        f'(SELECT {_LIST_SELECT} FROM "case_file" WHERE {where} ORDER BY "id" DESC LIMIT {{}} OFFSET {{}}) c '
        'LEFT JOIN "estate" e ON e."id" = c."estate" LEFT JOIN "organisation" o ON o."id" = c."organisation" '
        'ORDER BY c."id" DESC', *args, *args, per_page, db.page_offset(page, per_page))
    total = rows[0]["total_matching"] if rows else \
        (await db.fetch(f'SELECT COUNT(*) AS n FROM "case_file" WHERE {where}', *args))[0]["n"]
    for r in rows:
        del r["total_matching"]
        r["estate_name"] = r["estate_name"] or ""
        r["organisation_name"] = r["organisation_name"] or ""
    return rows, total


async def _list_cases_search(principal: Principal, f: CaseFilter, per_page: int, page: int) -> tuple[list[dict], int]:
    clauses = _clauses(principal, f)
    query = Case.select(*LIST_COLUMNS)
    count = Case.count()
    for c in clauses:
        query = query.where(c)
        count = count.where(c)
    if f.q.strip():
        return await _search(clauses, query, page, per_page)
    rows = await query.order_by(Case.id, ascending=False).limit(per_page).offset(db.page_offset(page, per_page))
    return await _with_names(rows), await count


async def _search(clauses: list, query, page: int, per_page: int) -> tuple[list[dict], int]:
    """A search reads the ids of its matches, at most SEARCH_COUNT_CAP + 1 of them, in whatever
    order the database finds them (a scan stops there; a rare term is answered by the trigram
    index). Up to the cap, that list is the count and the page is cut from it; beyond it the
    page is the newest matches (a backwards walk of the ids that stops after one page, since
    matches are many) and the count says "1000+". Two statements either way."""
    ids = Case.select(Case.id)
    for c in clauses:
        ids = ids.where(c)
    found = [r["id"] for r in await ids.limit(SEARCH_COUNT_CAP + 1)]
    if len(found) > SEARCH_COUNT_CAP:
        rows = await query.order_by(Case.id, ascending=False).limit(per_page).offset(db.page_offset(page, per_page))
        return await _with_names(rows), AtLeast(SEARCH_COUNT_CAP)
    found.sort(reverse=True)
    first = db.page_offset(page, per_page)
    chosen = found[first:first + per_page]
    rows = await Case.select(*LIST_COLUMNS).where(Case.id.is_in(chosen)).order_by(Case.id, ascending=False) if chosen else []
    return await _with_names(rows), len(found)


async def export_rows(principal: Principal, f: CaseFilter, limit: int = 100_000) -> list[dict]:
    query = Case.select(*LIST_COLUMNS, Case.closed_at, Case.vote_result)
    for c in _clauses(principal, f):
        query = query.where(c)
    return await _with_names(await query.order_by(Case.id).limit(limit))


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
    unvoted: int = 0  # proposals whose decide step was skipped: 未经表决

    @property
    def satisfaction_rate(self) -> Fraction | None:
        """(satisfied + basically satisfied) / all ratings."""
        total = sum(self.ratings.values())
        if not total:
            return None
        return Fraction(self.ratings.get("satisfied", 0) + self.ratings.get("basically_satisfied", 0), total)


def _months_back(on: dt.date, count: int) -> list[int]:
    """The last `count` local months up to `on`, oldest first, as YYYYMM."""
    y, m = on.year, on.month
    out = []
    for _ in range(count):
        out.append(y * 100 + m)
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


async def dashboard(principal: Principal, station_id: int, on: dt.date | None = None) -> Dashboard:
    """Every figure comes from indexed columns (see Case.created_month / closed_month / close_minutes)."""
    if principal.role not in (Role.admin, Role.secretary, Role.grid_worker, Role.mediator):
        raise Forbidden()  # the role: no dashboards at all
    principal.require_station(station_id)  # another station's: 404, as if it did not exist
    on = on or today()
    run = db.engine().run_querystring
    d = Dashboard()
    for r in await run(QueryString(
            'SELECT "kind", "state", COUNT(*) AS n FROM "case_file" WHERE "station" = {} GROUP BY "kind", "state"',
            station_id)):
        d.by_kind_state[(r["kind"], r["state"])] = r["n"]
    d.in_progress = sum(n for (k, s), n in d.by_kind_state.items() if s in OPEN_STATES)
    months = _months_back(on, 12)
    this_month, year_start = months[-1], on.year * 100 + 1
    since = min(months[0], year_start)
    received = {r["m"]: r["n"] for r in await run(QueryString(
        'SELECT "created_month" AS m, COUNT(*) AS n FROM "case_file" WHERE "station" = {} AND "created_month" >= {} '
        'GROUP BY "created_month"', station_id, since))}
    closed = {r["m"]: (r["n"], r["minutes"]) for r in await run(QueryString(
        'SELECT "closed_month" AS m, COUNT(*) AS n, SUM("close_minutes") AS minutes FROM "case_file" '
        'WHERE "station" = {} AND "closed_month" >= {} GROUP BY "closed_month"', station_id, since))}
    d.months = [(f"{m // 100}-{m % 100:02d}", received.get(m, 0), closed.get(m, (0, 0))[0]) for m in months]
    d.received_month, d.done_month = received.get(this_month, 0), closed.get(this_month, (0, 0))[0]
    d.received_year = sum(n for m, n in received.items() if m >= year_start)
    d.done_year = sum(n for m, (n, _) in closed.items() if m >= year_start)
    open_requests = "(" + ", ".join(f"'{s}'" for s in request_loop.OPEN) + ")"
    d.overdue = (await run(QueryString(
        f'SELECT COUNT(*) AS n FROM "case_file" WHERE "station" = {{}} AND "kind" = {{}} '
        f'AND "state" IN {open_requests} AND "due_date" < {{}}', station_id, "request", on)))[0]["n"]
    # Average days to close, over the cases closed in the last twelve months.
    window = [(n, minutes or 0) for m, (n, minutes) in closed.items() if m >= months[0]]
    d.closed_count = sum(n for n, _ in window)
    d.avg_days_to_close = (sum(mi for _, mi in window) / d.closed_count / 1440) if d.closed_count else None
    for r in await run(QueryString(
            'SELECT r."rating" AS rating, COUNT(*) AS n FROM "case_rating" r JOIN "case_file" c ON c."id" = r."case" '
            'WHERE c."station" = {} GROUP BY r."rating"', station_id)):
        d.ratings[r["rating"]] = r["n"]
    d.unvoted = (await run(QueryString(
        'SELECT COUNT(*) AS n FROM "case_file" WHERE "station" = {} AND "kind" = {} AND "vote_result" = {}',
        station_id, "proposal", "unvoted")))[0]["n"]
    return d
