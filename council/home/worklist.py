"""Today's work, per role: what a person signing in must act on, not register counts.

Each role gets a short list of sections; each section is a title, a few rows, a total and a link
to the full list behind it. The rows come from the same queries as those lists (list_cases with a
CaseFilter, the mediation closing windows, the resident's open votes), so the home page, the list
and its count always agree — in particular on what is overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.core.localtime import LOCAL, local_time

ROWS = 5  # rows shown per section; the link opens the rest


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; the page translates it."""
    return msgid


@dataclass
class Section:
    key: str  # a stable id for the page and the tests
    title: str  # msgid
    rows: list[dict] = field(default_factory=list)  # each: label, href, note (already worded), late
    total: int = 0
    more: str = ""  # link to the whole list
    empty: str = N_("Nothing here.")  # msgid shown when there are no rows


def today() -> dt.date:
    return dt.datetime.now(LOCAL).date()


def _week(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Today 00:00 to seven days later, station-local."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL)
    return start, start + dt.timedelta(days=7)


def _case_row(r: dict, day: dt.date) -> dict:
    from council.cases.overdue import case_overdue

    late = case_overdue(r.get("kind", ""), r.get("state", ""), r.get("due_date"), day)
    return {"label": f'{r["number"]} {r["title"]}', "href": f'/cases/{r["id"]}', "state": r.get("state", ""),
            "kind": r.get("kind", ""), "due": r.get("due_date"), "late": late}


_OPEN_REQUEST = frozenset({"registered", "dispatched", "handling", "reported"})


async def _cases(principal: Principal, key: str, title: str, more: str, **filters: Any) -> Section:
    from council.cases.queries import CaseFilter, list_cases

    rows, total = await list_cases(principal, CaseFilter(**filters), per_page=ROWS)
    day = today()
    return Section(key, title, [_case_row(r, day) for r in rows], total, more)


async def _open_votes(principal: Principal) -> Section:
    from council.votes.tables import Vote

    where = Vote.state == "open"
    if principal.role != Role.admin:
        where &= Vote.station.is_in(list(principal.station_ids) or [-1])
    rows = await Vote.select(Vote.id, Vote.title, Vote.closes_at).where(where).order_by(Vote.closes_at).limit(ROWS)
    total = await Vote.count().where(where)
    return Section("votes", N_("Open votes"), [
        {"label": r["title"], "href": f'/votes/{r["id"]}', "until": local_time(r["closes_at"])} for r in rows],
        total, "/votes")


async def _meetings_this_week(principal: Principal, *, invited_only: bool = False) -> Section:
    from council.meetings.tables import Meeting, MeetingParty

    start, end = _week(today())
    where = (Meeting.starts_at >= start) & (Meeting.starts_at < end) & (Meeting.state != "cancelled")
    if invited_only:
        mine = MeetingParty.user == principal.user_id
        if principal.person_id:
            mine |= MeetingParty.person == principal.person_id
        if principal.organisation_id:
            mine |= MeetingParty.organisation == principal.organisation_id
        ids = [r["meeting"] for r in await MeetingParty.select(MeetingParty.meeting).where(mine)]
        where &= Meeting.id.is_in(ids or [-1])
    elif principal.role != Role.admin:
        where &= Meeting.station.is_in(list(principal.station_ids) or [-1])
    rows = await Meeting.select(Meeting.id, Meeting.title, Meeting.starts_at).where(where).order_by(
        Meeting.starts_at).limit(ROWS)
    total = await Meeting.count().where(where)
    title = N_("Meetings I am invited to") if invited_only else N_("Meetings this week")
    return Section("meetings", title, [
        {"label": r["title"], "href": f'/meetings/{r["id"]}', "when": local_time(r["starts_at"])} for r in rows],
        total, "/meetings")


async def _windows_closing(principal: Principal) -> Section:
    from council.mediation.queries import closing_windows

    rows = [r for r in await closing_windows(principal) if r["window"] == "closing"]
    return Section("windows", N_("Judicial confirmation windows closing"), [
        {"label": f'{r["number"]} {r["title"]}', "href": f'/mediation/{r["dispute"]}', "deadline": r["deadline"],
         "days_left": r["days_left"], "late": r["days_left"] <= 2} for r in rows[:ROWS]],
        len(rows), "/mediation/confirmations")


async def _reception(principal: Principal) -> Section:
    """Today's queue when today is a reception day, else when the next one is."""
    from council.reception import store
    from council.reception.tables import Visit
    from council.stations.tables import Station

    where = Station.id.is_in(list(principal.station_ids) or [-1]) if principal.role != Role.admin else Station.id > 0
    stations = await Station.select(Station.id, Station.name, Station.reception_weekday, Station.reception_start,
                                    Station.reception_end).where(where).order_by(Station.name).limit(ROWS)
    day = today()
    rows = []
    for s in stations:
        now_, nxt = await store.day_and_next(s, day)
        if now_ is not None:
            waiting = await Visit.count().where((Visit.station == s["id"]) & (Visit.day == day)
                                                & Visit.status.is_in(["waiting", "called"]))
            rows.append({"label": s["name"], "href": "/reception", "today": True, "waiting": waiting})
        else:
            rows.append({"label": s["name"], "href": "/reception", "today": False,
                         "next": nxt.day if nxt is not None else None})
    # The count is who is waiting now, not how many stations there are.
    return Section("reception", N_("Reception day"), rows, sum(r.get("waiting", 0) for r in rows), "/reception")


async def _pastes_to_sort(principal: Principal) -> Section:
    from council.reception.tables import Visit

    where = (Visit.source == "grid_group") & (Visit.status == "draft")
    if principal.role != Role.admin:
        where &= Visit.station.is_in(list(principal.station_ids) or [-1])
    rows = await Visit.select(Visit.id, Visit.sender, Visit.topic, Visit.message).where(where).order_by(
        Visit.id, ascending=False).limit(ROWS)
    total = await Visit.count().where(where)
    return Section("pastes", N_("Group messages to sort"), [
        {"label": (r["topic"] or r["message"])[:60], "href": "/reception", "sender": r["sender"]} for r in rows],
        total, "/reception")


# The mediator's three sections, each one statement with "my files" as a subquery: on every
# mediator's home page, and the Piccolo join chains cost more to build than to run (issue 19).
_MINE = 'SELECT "dispute" FROM "dispute_mediator" WHERE "user" = {}'
_MY_FILES = ('SELECT f."id", f."number", c."title" AS "title", c."state" AS "state" FROM "dispute_file" f '
             'JOIN "case_file" c ON c."id" = f."case" WHERE f."id" IN (' + _MINE + ') AND f."closed_on" IS NULL '
             'ORDER BY f."id" DESC')
_MY_SESSIONS = ('SELECT s."id", s."dispute", s."starts_at", f."number" AS "number" FROM "mediation_session" s '
                'JOIN "dispute_file" f ON f."id" = s."dispute" WHERE s."dispute" IN (' + _MINE + ') '
                'AND s."starts_at" >= {} AND s."starts_at" < {} AND s."cancelled_at" IS NULL ORDER BY s."starts_at"')
_DUE_OBLIGATIONS = ('FROM "agreement_obligation" o JOIN "mediation_agreement" a ON a."id" = o."agreement" '
                    'JOIN "dispute_file" f ON f."id" = a."dispute" WHERE a."dispute" IN (' + _MINE + ') '
                    'AND o."due_date" IS NOT NULL AND o."due_date" <= {}')
_MY_FOLLOW_UPS = ('SELECT o."id", o."what", o."amount", o."due_date", a."dispute" AS "dispute", f."number" AS "number" '
                  + _DUE_OBLIGATIONS + ' ORDER BY o."due_date"')
_THEIR_PERFORMANCES = ('SELECT "obligation", "performed_on", "amount", "complete" FROM "obligation_performance" '
                       'WHERE "obligation" IN (SELECT o."id" ' + _DUE_OBLIGATIONS + ')')


async def _my_files(principal: Principal) -> Section:
    files = await db.fetch(_MY_FILES, principal.user_id)
    by_state: dict[str, int] = {}
    for f in files:
        by_state[f["state"]] = by_state.get(f["state"], 0) + 1
    section = Section("files", N_("My dispute files"), [
        {"label": f'{f["number"]} {f["title"]}', "href": f'/mediation/{f["id"]}', "state": f["state"]}
        for f in files[:ROWS]], len(files), "/mediation")
    section.by_state = by_state  # type: ignore[attr-defined]
    return section


async def _sessions_this_week(principal: Principal) -> Section:
    start, end = _week(today())
    rows = await db.fetch(_MY_SESSIONS, principal.user_id, start, end)
    return Section("sessions", N_("Mediation sessions this week"), [
        {"label": r["number"], "href": f'/mediation/{r["dispute"]}', "when": local_time(r["starts_at"])}
        for r in rows[:ROWS]], len(rows), "/mediation")


async def _follow_ups_due(principal: Principal) -> Section:
    """Obligations of my files due within a week (or past due) and not yet fully performed."""
    from council.mediation.rules import Performance, obligation_state

    day = today()
    horizon = day + dt.timedelta(days=7)
    performed: dict[int, list] = {}
    for p in await db.fetch(_THEIR_PERFORMANCES, principal.user_id, horizon):
        performed.setdefault(p["obligation"], []).append(Performance(p["performed_on"], p["amount"], p["complete"]))
    # Performed as the file's page says it (council.mediation.rules): recorded complete, or paid
    # in full — not only when the "complete" box was ticked.
    due = [r for r in await db.fetch(_MY_FOLLOW_UPS, principal.user_id, horizon)
           if obligation_state(amount=r["amount"], due=r["due_date"], performances=performed.get(r["id"], []),
                               today=day).state != "performed"]
    return Section("followups", N_("Follow-ups due"), [
        {"label": f'{r["number"]} {r["what"][:40]}', "href": f'/mediation/{r["dispute"]}', "due": r["due_date"],
         "late": r["due_date"] < day} for r in due[:ROWS]], len(due), "/mediation")


async def _resident_votes(principal: Principal) -> Section:
    from council.votes.queries import open_votes_for_resident

    rows = await open_votes_for_resident(principal)
    return Section("votes", N_("My open votes"), [
        {"label": r["title"], "href": "/my/votes", "until": local_time(r["closes_at"]), "voted": r["voted"]}
        for r in rows[:ROWS]], len(rows), "/my/votes")


async def _resident_cases(principal: Principal) -> Section:
    from council.cases.pages import case_progress
    from council.cases.queries import CaseFilter, list_cases

    rows, total = await list_cases(principal, CaseFilter(mine=True), per_page=ROWS)
    out = []
    for r in rows:
        row = _case_row(r, today())
        row["progress"] = case_progress(r["kind"], r["state"])
        out.append(row)
    return Section("cases", N_("My cases"), out, total, "/cases?mine=1")


async def sections_for(principal: Principal) -> list[Section]:
    role = principal.role
    if role in (Role.secretary, Role.admin):
        return [
            await _reception(principal),
            await _cases(principal, "overdue", N_("Overdue cases"), "/cases/overdue", overdue=True),
            await _cases(principal, "reported", N_("Reports waiting for verification"), "/cases?state=reported",
                         state="reported"),
            await _open_votes(principal),
            await _meetings_this_week(principal),
            await _windows_closing(principal),
        ]
    if role == Role.mediator:
        return [await _my_files(principal), await _sessions_this_week(principal),
                await _windows_closing(principal), await _follow_ups_due(principal)]
    if role == Role.department_liaison:
        org = principal.organisation_id or -1
        return [
            await _cases(principal, "overdue", N_("Overdue"), "/cases/overdue", organisation=org, overdue=True),
            await _due_soon(principal, org),
            await _cases(principal, "dispatched", N_("Dispatched to us"), "/inbox", organisation=org,
                         state="dispatched"),
            await _cases(principal, "handling", N_("Being handled"), "/inbox", organisation=org, state="handling"),
        ]
    if role == Role.grid_worker:
        return [await _pastes_to_sort(principal),
                await _cases(principal, "mine", N_("Cases I registered"), "/cases?mine=1", mine=True),
                await _cases(principal, "overdue", N_("Overdue cases"), "/cases/overdue", overdue=True)]
    if role == Role.resident:
        return [await _resident_cases(principal), await _resident_votes(principal),
                await _meetings_this_week(principal, invited_only=True)]
    if role in (Role.street_officer, Role.district_officer):
        # Above the stations (issue 18): what is overdue under them, to chase; the votes running.
        return [await _cases(principal, "overdue", N_("Overdue cases"), "/cases?overdue=1", overdue=True),
                await _open_votes(principal)]
    if role == Role.judicial_officer:
        return [await _windows_closing(principal)]
    return []


async def _due_soon(principal: Principal, org: int) -> Section:
    """Open requests of the organisation due today or within the next two days."""
    from council.cases.queries import scope
    from council.cases.tables import Case

    day = today()
    where = ((Case.organisation == org) & Case.state.is_in(list(_OPEN_REQUEST)) & (Case.due_date >= day)
             & (Case.due_date <= day + dt.timedelta(days=2)))
    s = scope(principal)
    if s is not None:
        where &= s
    rows = await Case.select(Case.id, Case.number, Case.title, Case.state, Case.kind, Case.due_date).where(
        where).order_by(Case.due_date).limit(ROWS)
    return Section("due_soon", N_("Due within two days"), [_case_row(r, day) for r in rows],
                   await Case.count().where(where), "/inbox")


__all__ = ["Section", "sections_for"]
