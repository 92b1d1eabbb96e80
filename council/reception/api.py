"""/api/v1 for the reception desk: the same use cases as the pages, as JSON (bearer tokens only).
Refusals become problem+json in council.web.errors; role guards run before any body is read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from council.accounts import permissions
from council.cases.calendar_store import today
from council.core.errors import Forbidden, Invalid
from council.reception import desk, grid, report, reports, rota, store
from council.web.guards import client_ip, signed_in

TAGS = ["Reception"]


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
        raise Invalid("Please correct the marked fields.", errors={"day": "Enter a date as YYYY-MM-DD."}) from None


def _body(data: Any) -> dict:
    if not isinstance(data, dict):
        raise Invalid("Please correct the marked fields.", errors={"body": "Send a JSON object."})
    return data


def _visit(v: dict) -> dict:
    keep = ("id", "station", "day", "number", "status", "source", "arrived_at", "person", "visitor_name", "topic",
            "category", "detail", "sender", "message", "message_time", "called_at", "done_at", "outcome", "answer",
            "case", "case_kind", "organisation", "mediator", "version")
    out = {k: v.get(k) for k in keep}
    out["ticket"] = v.get("ticket") or (f'{v["number"]:03d}' if v.get("number") else "")
    out["phone"] = v.get("phone_masked", "")
    return out


@get("/reception/visits", guards=READ, tags=TAGS, summary="The day's queue (or drafts) at a station")
async def visits_api(request: Request, station: FromQuery[int | None] = None, day: FromQuery[str] = "",
                     drafts: FromQuery[bool] = False) -> list[dict]:
    s = await store.desk_station(request.user, station)
    return [_visit(v) for v in await desk.day_visits(s["id"], _day(day), drafts=drafts)]


@get("/reception/visitors", guards=READ, tags=TAGS, summary="Find a visitor: name, unit or last 4 phone digits (masked)")
async def visitors_api(request: Request, q: FromQuery[str] = "", station: FromQuery[int | None] = None) -> list[dict]:
    return await desk.find_visitors(request.user, station, q)


@post("/reception/visits", guards=WRITE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Log a visit (gets the next queue number); with `outcome` it is finished at once")
async def log_visit_api(request: Request, data: JSONBody[dict[str, Any]]) -> dict:
    return _visit(await desk.log_visit(request.user, _body(data), ip=client_ip(request)))


@post("/reception/visits/{visit_id:int}/{action:str}", guards=WRITE, tags=TAGS, status_code=HTTP_200_OK,
      summary="call / requeue / left / finish (outcome …) / confirm / discard; `version` guards against races (409)")
async def visit_action_api(request: Request, visit_id: FromPath[int], action: FromPath[str],
                           data: JSONBody[dict[str, Any] | None] = None) -> dict:
    body = _body(data or {})
    p, ip, version = request.user, client_ip(request), body.get("version")
    if action == "call":
        row = await desk.call_visit(p, visit_id, version, ip)
    elif action == "requeue":
        row = await desk.requeue_visit(p, visit_id, version, ip)
    elif action == "left":
        row = await desk.mark_left(p, visit_id, version, ip)
    elif action == "finish":
        row = await desk.finish_visit(p, visit_id, body, ip)
    elif action == "confirm":
        row = await grid.confirm_draft(p, visit_id, body, ip)
    elif action == "discard":
        row = await grid.discard_draft(p, visit_id, version, ip)
    else:
        from council.core.errors import NotFound

        raise NotFound()
    return _visit(row)


@post("/reception/grid", guards=WRITE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Paste WeChat grid-group messages: one draft visit per message")
async def grid_api(request: Request, data: JSONBody[dict[str, Any]]) -> dict:
    body = _body(data)
    return await grid.import_paste(request.user, body.get("station"), body.get("text") or "", body.get("day"),
                                   ip=client_ip(request))


@get("/reception/schedule", guards=READ, tags=TAGS, summary="Reception days (exceptions applied) and who is on duty")
async def schedule_api(request: Request, station: FromQuery[int | None] = None, start: FromQuery[str] = "",
                       weeks: FromQuery[int] = 8) -> dict:
    s = await store.desk_station(request.user, station)
    first = _day(start)
    weeks = max(1, min(weeks, 53))
    occ = await store.occurrences(s, first, first + dt.timedelta(weeks=weeks))
    duty = await store.duty_weeks(s["id"], first, weeks)
    return {"station": s["id"],
            "days": [{"day": o.day.isoformat(), "start": o.start.strftime("%H:%M"), "end": o.end.strftime("%H:%M"),
                      "moved_from": o.moved_from.isoformat() if o.moved_from else None} for o in occ],
            "duty": [{"week": w.isoformat(), "members": [{"id": m["id"], "name": m["name"]} for m in ms]} for w, ms in duty]}


@post("/reception/exceptions", guards=MANAGE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Cancel or move a regular reception day")
async def exception_api(request: Request, data: JSONBody[dict[str, Any]]) -> dict:
    body = dict(_body(data))
    station = body.pop("station", None)
    return {"id": await rota.add_exception(request.user, station or -1, body, ip=client_ip(request))}


@post("/reception/roster", guards=MANAGE, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Add a staff member or a volunteering party member to the roster")
async def member_api(request: Request, data: JSONBody[dict[str, Any]]) -> dict:
    body = dict(_body(data))
    station = body.pop("station", None)
    return {"id": await rota.add_member(request.user, station or -1, body, ip=client_ip(request))}


@post("/reception/swaps", guards=WRITE, tags=TAGS, status_code=HTTP_201_CREATED, summary="Ask for a duty swap")
async def swap_api(request: Request, data: JSONBody[dict[str, Any]]) -> dict:
    body = dict(_body(data))
    station = body.pop("station", None)
    return {"id": await rota.request_swap(request.user, station or -1, body, ip=client_ip(request))}


@post("/reception/swaps/{swap_id:int}/decide", guards=MANAGE, tags=TAGS, status_code=HTTP_200_OK,
      summary="Approve or refuse a swap ({approve: true|false})")
async def decide_api(request: Request, swap_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict:
    body = _body(data)
    row = await rota.decide_swap(request.user, swap_id, body.get("approve") is True, body.get("version"),
                                 ip=client_ip(request))
    return {"id": row["id"], "status": row["status"]}


@get("/reception/report", guards=READ, tags=TAGS, summary="The day's report (contacts masked)")
async def report_api(request: Request, station: FromQuery[int | None] = None, day: FromQuery[str] = "") -> dict:
    r = await reports.day_report(request.user, station, _day(day))
    return {k: v for k, v in r.items()}


@get("/reception/totals", guards=READ, tags=TAGS, summary="Weekly, monthly or yearly totals of a station")
async def totals_api(request: Request, station: FromQuery[int | None] = None, period: FromQuery[str] = "month",
                     day: FromQuery[str] = "") -> dict:
    if period not in dict(report.PERIODS):
        raise Invalid("Please correct the marked fields.", errors={"period": "Choose one of the listed options."})
    return await reports.period_totals(request.user, station, period, _day(day))


API_ROUTES: list = [visits_api, visitors_api, log_visit_api, visit_action_api, grid_api, schedule_api, exception_api,
                    member_api, swap_api, decide_api, report_api, totals_api]
PAGE_ROUTES: list = []
