"""The dashboard a street office reads (issue 17): over a date range of cases received, the
six-step funnel (cases per step, median days in each, from the timeline's `moved` events), and
breakdowns by category, department (response time, on-time rate), estate and grid, with the
mediation success rate and satisfaction. The arithmetic is council.cases.funnel (pure).

Every table is a list of rows with one header, so the page and the XLSX export (council.core.
tabular, the one writer) draw the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.cases import funnel as f
from council.cases import proposal_steps
from council.cases.calendar_store import LOCAL, today
from council.core.errors import Forbidden, Invalid

TABLES = ("funnel", "category", "department", "estate", "grid")
# A request's answer reaches the resident when the department reports back.
ANSWERED = ("reported", "closed", "rated")


def parse_range(start: str | None, end: str | None, on: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The date range (inclusive); by default the last 365 days. A bad date is refused, in words."""
    on = on or today()
    errors = {}
    try:
        first = dt.date.fromisoformat(start) if start else on - dt.timedelta(days=364)
    except ValueError:
        errors["start"], first = "Enter a date as YYYY-MM-DD.", on
    try:
        last = dt.date.fromisoformat(end) if end else on
    except ValueError:
        errors["end"], last = "Enter a date as YYYY-MM-DD.", on
    if not errors and first > last:
        errors["end"] = "The end comes before the start."
    if errors:
        raise Invalid("Please correct the marked fields.", errors=errors)
    return first, last


def _check(principal: Principal, station_id: int) -> None:
    """The role reads dashboards (else 403); another station answers as a missing one (404)."""
    if principal.role not in (Role.admin, Role.secretary, Role.grid_worker, Role.mediator):
        raise Forbidden()
    if principal.role != Role.admin:
        principal.require_station(station_id)


_IN_RANGE = 'SELECT "id" FROM "case_file" WHERE "station" = {} AND "created_at" >= {} AND "created_at" < {}'
_CASES = ('SELECT "id", "kind", "state", "category", "estate", "building", "organisation", "due_date", '
          '"created_at", "closed_at" FROM "case_file" WHERE "station" = {} AND "created_at" >= {} AND "created_at" < {}')
_MOVES = ('SELECT "case", "at", "from_state", "to_state" FROM "case_event" WHERE "kind" = \'moved\' '
          f'AND "to_state" IS NOT NULL AND "to_state" <> \'\' AND "case" IN ({_IN_RANGE})')
_RATINGS = f'SELECT "case", "rating" FROM "case_rating" WHERE "case" IN ({_IN_RANGE})'
_ESTATES = f'SELECT "id", "name" FROM "estate" WHERE "id" IN (SELECT "estate" FROM "case_file" WHERE "id" IN ({_IN_RANGE}))'
_GRIDS = ('SELECT gb."building", g."name" FROM "grid_building" gb JOIN "grid" g ON g."id" = gb."grid" '
          f'WHERE gb."building" IN (SELECT "building" FROM "case_file" WHERE "id" IN ({_IN_RANGE}))')
_ORGANISATIONS = ('SELECT "id", "name" FROM "organisation" WHERE "id" IN '
                  f'(SELECT "organisation" FROM "case_file" WHERE "id" IN ({_IN_RANGE}))')


def _at(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


async def figures(principal: Principal, station_id: int, start: dt.date, end: dt.date,
                  category_labels: dict[str, str]) -> dict:
    _check(principal, station_id)
    lo = dt.datetime.combine(start, dt.time(), LOCAL)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), LOCAL)
    # Prebuilt statements, the events and ratings joined to the range's cases rather than listed
    # by id: a year of a busy station's cases as an IN list was most of the page (issue 19).
    cases = await db.fetch(_CASES, station_id, lo, hi)
    moves: dict[int, list] = defaultdict(list)
    for e in await db.fetch(_MOVES, station_id, lo, hi):
        moves[e["case"]].append((_at(e["at"]), e["from_state"], e["to_state"]))
    ratings: dict[int, list[str]] = defaultdict(list)
    for r in await db.fetch(_RATINGS, station_id, lo, hi):
        ratings[r["case"]].append(r["rating"])
    until = dt.datetime.now(dt.timezone.utc)

    # the six steps, for the proposals received in the range (one never moved has spent all its
    # days in the first step: what days_in_states answers, without the call)
    first = proposal_steps.STEPS[0]
    proposals = [c for c in cases if c["kind"] == "proposal"]
    paths = [f.days_in_states(_at(c["created_at"]), first, moves[c["id"]], until) if c["id"] in moves
             else {first: max((until - _at(c["created_at"])).total_seconds(), 0.0) / f.DAY} for c in proposals]
    steps = f.funnel(paths, [c["state"] for c in proposals], proposal_steps.STEPS)

    # What each case adds to any grouping, worked out once: its days to close, its ratings.
    no_ratings: list[str] = []
    per_case = [(c, (_at(c["closed_at"]) - _at(c["created_at"])).total_seconds() / f.DAY if c["closed_at"] else None,
                 ratings.get(c["id"], no_ratings)) for c in cases]

    def group(key, label) -> list[dict]:
        rows: dict = {}  # key -> [received, closed, days, ratings], in order of first appearance
        for c, days, rated in per_case:
            k = key(c)
            r = rows.get(k)
            if r is None:
                r = rows[k] = [0, 0, [], []]
            r[0] += 1
            if days is not None:
                r[1] += 1
                r[2].append(days)
            if rated:
                r[3] += rated
        out = []
        for k, (received, closed, days, rated) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
            good, n, pct = f.satisfaction(rated)
            out.append({"name": label(k), "received": received, "closed": closed,
                        "median_days": f.median_days(days), "satisfaction": pct, "ratings": n})
        return out

    estates = {e["id"]: e["name"] for e in await db.fetch(_ESTATES, station_id, lo, hi)}
    building_grid = {g["building"]: g["name"] for g in await db.fetch(_GRIDS, station_id, lo, hi)}
    orgs = {o["id"]: o["name"] for o in await db.fetch(_ORGANISATIONS, station_id, lo, hi)}

    # departments: the requests dispatched to each
    dept: dict = defaultdict(lambda: {"dispatched": 0, "answered": 0, "on_time": 0, "response": [], "ratings": []})
    for c in cases:
        if c["kind"] != "request" or not c["organisation"]:
            continue
        d = dept[c["organisation"]]
        d["dispatched"] += 1
        d["ratings"] += ratings.get(c["id"], no_ratings)
        ordered = sorted(moves[c["id"]], key=lambda m: m[0])
        sent = next((at for at, _fr, to in ordered if to == "dispatched"), _at(c["created_at"]))
        answer = next((at for at, _fr, to in ordered if to in ANSWERED and at >= sent), None)
        if answer is not None:
            d["answered"] += 1
            d["response"].append((answer - sent).total_seconds() / f.DAY)
            if c["due_date"] is None or answer.astimezone(LOCAL).date() <= c["due_date"]:
                d["on_time"] += 1
    departments = []
    for org, d in sorted(dept.items(), key=lambda kv: -kv[1]["dispatched"]):
        departments.append({"name": orgs.get(org, "—"), "dispatched": d["dispatched"], "answered": d["answered"],
                            "median_response_days": f.median_days(d["response"]),
                            "on_time": f.rate(d["on_time"], d["answered"]),
                            "satisfaction": f.satisfaction(d["ratings"])[2]})
    settled, ended, success = f.mediation_success(c["state"] for c in cases if c["kind"] == "dispute")
    good, rated, satisfied = f.satisfaction(r for rs in ratings.values() for r in rs)
    return {
        "start": start, "end": end, "received": len(cases), "funnel": steps,
        "category": group(lambda c: c["category"], lambda k: category_labels.get(k, k)),
        "department": departments,
        "estate": group(lambda c: c["estate"], lambda k: estates.get(k, "—") if k else "—"),
        "grid": group(lambda c: building_grid.get(c["building"]) if c["building"] else None, lambda k: k or "—"),
        "mediation": {"settled": settled, "ended": ended, "rate": success},
        "satisfaction": {"good": good, "rated": rated, "rate": satisfied},
    }


def _n(value) -> object:
    return "—" if value is None else value


def table(data: dict, name: str, _, step_labels: dict[str, str]) -> list[list]:
    """One table as rows (header first), for the page and the XLSX file alike."""
    if name == "funnel":
        return [[_("Step"), _("Cases in this step now"), _("Cases that reached it"), _("Median days in this step")]] + [
            [_(step_labels.get(s["step"], s["step"])), s["now"], s["reached"], _n(s["median_days"])] for s in data["funnel"]]
    if name == "department":
        return [[_("Department"), _("Dispatched"), _("Answered"), _("Median days to answer"), _("On time (%)"),
                 _("Satisfaction rate (%)")]] + [
            [d["name"], d["dispatched"], d["answered"], _n(d["median_response_days"]), _n(d["on_time"]),
             _n(d["satisfaction"])] for d in data["department"]]
    head = {"category": _("Category"), "estate": _("Estate"), "grid": _("Grid")}[name]
    return [[head, _("Received"), _("Closed"), _("Median days to close"), _("Satisfaction rate (%)")]] + [
        [r["name"], r["received"], r["closed"], _n(r["median_days"]), _n(r["satisfaction"])] for r in data[name]]

