"""/api/v1 for the reception desk: the same use cases as the pages, as JSON (bearer tokens only).
Refusals become problem+json in council.web.errors; role guards run before any body is read."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from council.accounts import permissions
from council.cases.calendar_store import today
from council.core.errors import Forbidden, Invalid, NotFound
from council.mediation import handover
from council.reception import desk, grid, moves, queue, report, reports, rota, store
from council.reception import schemas as s
from council.web.guards import client_ip, signed_in

TAGS = ["Reception"]
FIX = "Please correct the marked fields."
ACTIONS = moves.ACTIONS


def _role(key: str, write: bool):
    def guard(connection, _) -> None:
        user = connection.scope.get("user")
        if user is not None and not (permissions.can_write if write else permissions.can_read)(user.role, key):
            raise Forbidden()

    return guard


READ = [signed_in, _role("reception", False)]
WRITE = [signed_in, _role("reception", True)]
MANAGE = [signed_in, _role("reception_admin", True)]


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else today()
    except ValueError:
        raise Invalid(FIX, errors={"day": "Enter a date as YYYY-MM-DD."}) from None


def _visit(v: dict, links: dict[int, dict] | None = None) -> s.VisitOut:
    f = (links or {}).get(v.get("case") or 0)
    return s.VisitOut(
        id=v["id"], station=v["station"], day=v["day"], number=v["number"],
        ticket=v.get("ticket") or queue.ticket(v["number"]), status=v["status"], source=v["source"],
        arrived_at=v["arrived_at"], person=v["person"], visitor_name=v["visitor_name"] or "",
        phone=v.get("phone_masked") or "", topic=v["topic"] or "", category=v["category"] or "",
        detail=v["detail"] or "", sender=v["sender"] or "", message=v["message"] or "",
        message_time=v["message_time"] or "", called_at=v["called_at"], done_at=v["done_at"],
        outcome=v["outcome"] or "", answer=v["answer"] or "", case=v["case"], case_kind=v["case_kind"] or "",
        organisation=v["organisation"], mediator=v["mediator"],
        mediation_file=f["id"] if f else None, mediation_number=f["number"] if f else None, version=v["version"])


async def _one(request: Request, row: dict) -> s.VisitOut:
    return _visit(row, await handover.files_for_cases(request.user, [row.get("case")]))


@get("/reception/visits", guards=READ, tags=TAGS, summary="The day's queue (or drafts) at a station")
async def visits_api(request: Request, station: FromQuery[int | None] = None, day: FromQuery[str] = "",
                     drafts: FromQuery[bool] = False) -> list[s.VisitOut]:
    st = await store.desk_station(request.user, station)
    rows = await desk.day_visits(st["id"], _day(day), drafts=drafts)
    links = await handover.files_for_cases(request.user, [r["case"] for r in rows])
    return [_visit(v, links) for v in rows]


@get("/reception/visitors", guards=READ, tags=TAGS, summary="Find a visitor: name, unit or last 4 phone digits (masked)")
async def visitors_api(request: Request, q: FromQuery[str] = "", station: FromQuery[int | None] = None) -> list[s.VisitorOut]:
    return [s.VisitorOut(id=r["id"], name=r["name"], phone=r["phone"], units=r["units"])
            for r in await desk.find_visitors(request.user, station, q, ip=client_ip(request))]


@post("/reception/visits", guards=WRITE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Log a visit (gets the next queue number); with `outcome` it is finished at once")
async def log_visit_api(request: Request, data: JSONBody[s.VisitIn]) -> s.VisitOut:
    return await _one(request, await desk.log_visit(request.user, s.as_data(data), ip=client_ip(request)))


@post("/reception/visits/{visit_id:int}/{action:str}", guards=WRITE, tags=TAGS, status_code=HTTP_200_OK,
      summary="call / requeue / left / finish (outcome …) / confirm / discard; `version` guards against races (409)")
async def visit_action_api(request: Request, visit_id: FromPath[int], action: FromPath[str],
                           data: JSONBody[s.VisitActionIn | None] = None) -> s.VisitOut:
    if action not in ACTIONS:
        raise NotFound()
    body = s.as_data(data)
    p, ip = request.user, client_ip(request)
    if action in moves.BARE:
        unknown = {k: "Unknown field." for k in body if k != "version"}
        if unknown:
            raise Invalid(FIX, errors=unknown)
    return await _one(request, await moves.act(p, visit_id, action, body, ip))


@post("/reception/grid", guards=WRITE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Paste WeChat grid-group messages: one draft visit per message")
async def grid_api(request: Request, data: JSONBody[s.GridPasteIn]) -> s.GridPasteOut:
    made = await grid.import_paste(request.user, data.station, data.text, data.day, ip=client_ip(request))
    return s.GridPasteOut(created=made["created"], skipped=made["skipped"], ids=made["ids"])


@get("/reception/schedule", guards=READ, tags=TAGS, summary="Reception days (exceptions applied) and who is on duty")
async def schedule_api(request: Request, station: FromQuery[int | None] = None, start: FromQuery[str] = "",
                       weeks: FromQuery[int] = 8) -> s.ScheduleOut:
    st = await store.desk_station(request.user, station)
    first = _day(start)
    weeks = max(1, min(weeks, 53))
    occ = await store.occurrences(st, first, first + dt.timedelta(weeks=weeks))
    duty = await store.duty_weeks(st["id"], first, weeks)
    return s.ScheduleOut(
        station=st["id"],
        days=[s.ReceptionDayOut(day=o.day, start=o.start.strftime("%H:%M"), end=o.end.strftime("%H:%M"),
                                moved_from=o.moved_from) for o in occ],
        duty=[s.DutyWeekOut(week=w, members=[s.DutyMemberOut(id=m["id"], name=m["name"]) for m in ms])
              for w, ms in duty])


@post("/reception/exceptions", guards=MANAGE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Cancel or move a regular reception day")
async def exception_api(request: Request, data: JSONBody[s.ExceptionIn]) -> s.ReceptionCreated:
    body = s.as_data(data)
    station = body.pop("station", None)
    return s.ReceptionCreated(id=await rota.add_exception(request.user, station or -1, body, ip=client_ip(request)))


@post("/reception/roster", guards=MANAGE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Add a staff member or a volunteering party member to the roster")
async def member_api(request: Request, data: JSONBody[s.RosterMemberIn]) -> s.ReceptionCreated:
    body = s.as_data(data)
    station = body.pop("station", None)
    return s.ReceptionCreated(id=await rota.add_member(request.user, station or -1, body, ip=client_ip(request)))


@post("/reception/swaps", guards=WRITE, tags=TAGS, status_code=HTTP_201_CREATED, summary="Ask for a duty swap")
async def swap_api(request: Request, data: JSONBody[s.SwapIn]) -> s.ReceptionCreated:
    body = s.as_data(data)
    station = body.pop("station", None)
    return s.ReceptionCreated(id=await rota.request_swap(request.user, station or -1, body, ip=client_ip(request)))


@post("/reception/swaps/{swap_id:int}/decide", guards=MANAGE, tags=TAGS, status_code=HTTP_200_OK,
      summary="Approve or refuse a swap ({approve: true|false})")
async def decide_api(request: Request, swap_id: FromPath[int], data: JSONBody[s.SwapDecisionIn]) -> s.SwapOut:
    row = await rota.decide_swap(request.user, swap_id, data.approve, data.version, ip=client_ip(request))
    return s.SwapOut(id=row["id"], status=row["status"])


@get("/reception/report", guards=READ, tags=TAGS, summary="The day's report (contacts masked)")
async def report_api(request: Request, station: FromQuery[int | None] = None, day: FromQuery[str] = "") -> s.DayReportOut:
    return msgspec.convert(await reports.day_report(request.user, station, _day(day)), s.DayReportOut)


@get("/reception/totals", guards=READ, tags=TAGS, summary="Weekly, monthly or yearly totals of a station")
async def totals_api(request: Request, station: FromQuery[int | None] = None, period: FromQuery[str] = "month",
                     day: FromQuery[str] = "") -> s.TotalsOut:
    if period not in dict(report.PERIODS):
        raise Invalid(FIX, errors={"period": "Choose one of the listed options."})
    return msgspec.convert(await reports.period_totals(request.user, station, period, _day(day)), s.TotalsOut)


API_ROUTES: list = [visits_api, visitors_api, log_visit_api, visit_action_api, grid_api, schedule_api, exception_api,
                    member_api, swap_api, decide_api, report_api, totals_api]
PAGE_ROUTES: list = []
