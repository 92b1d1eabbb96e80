"""/api/v1 for meetings: everything the meeting pages do, as JSON (bearer tokens only).

Handlers stay thin: parse, call a use case, shape the answer. Errors become problem+json in
council.web.errors. Times are ISO 8601; a time without an offset is read in station time
(Asia/Shanghai); answers give times with their offset.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from council.accounts import permissions
from council.core.errors import Forbidden
from council.meetings import agenda, attendance, feeds, minutes, queries, scheduling
from council.meetings import schemas as s
from council.meetings.common import load_meeting
from council.meetings.pages import LOCAL, need
from council.web.guards import client_ip, signed_in

TAGS = ["Meetings"]
G = [signed_in]


def _writers_only(connection, _) -> None:
    """The role rule of the matching page, checked before any body is read (403, not 400)."""
    user = connection.scope.get("user")
    if user is not None and not permissions.can_write(user.role, "meeting"):
        raise Forbidden()


W = [signed_in, _writers_only]
M = "/meetings/{meeting_id:int}"


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Station time, with its offset (+08:00)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(LOCAL)


def _party_out(p: dict) -> s.PartyOut:
    return s.PartyOut(id=p["id"], key=p["party_key"], name=p["name"], required=p["required"],
                      delegates=p["delegates"], response=p["response"], attendance=p["attendance"],
                      represented_by=p["represented_by"], version=p["version"])


def _meeting_out(d: dict) -> s.MeetingOut:
    return s.MeetingOut(
        id=d["id"], station=d["station"], kind=d["kind"], title=d["title"], state=d["state"], room=d["room"],
        room_name=d.get("room_name") or "", starts_at=_local(d["starts_at"]), ends_at=_local(d["ends_at"]),
        chair=d["chair"], recorder=d["recorder"], reason=d["reason"] or "", forced=bool(d["forced"]),
        version=d["version"], parties=[_party_out(p) for p in d.get("parties", [])],
        agenda=[s.AgendaItemOut(id=i["id"], position=i["position"], title=i["title"], case=i["case"],
                                case_number=i.get("case_number"), vote=i["vote"], minutes=i["minutes"])
                for i in d.get("agenda", [])],
    )


async def _detail(request: Request, meeting_id: int) -> s.MeetingOut:
    row, _v = await load_meeting(request.user, meeting_id)
    return _meeting_out(await queries.meeting_detail(row))


@get("/meetings", guards=G, tags=TAGS, summary="Meetings the caller may see")
async def list_api(request: Request,
                   state_: Annotated[str, QueryParameter(name="state")] = "") -> list[s.MeetingSummary]:
    need(request.user)
    rows = await queries.list_meetings(request.user, state=state_[:20])
    return [s.MeetingSummary(id=r["id"], title=r["title"], kind=r["kind"], state=r["state"],
                             starts_at=_local(r["starts_at"]), ends_at=_local(r["ends_at"]), room_name=r["room_name"])
            for r in rows]


@post("/meetings", guards=W, tags=TAGS, summary="Create a meeting (refused on a double booking unless forced)")
async def create_api(request: Request, data: JSONBody[s.MeetingIn]) -> s.Created:
    need(request.user, write=True)
    mid = await scheduling.create_meeting(
        request.user, station=data.station, kind=data.kind, title=data.title, room=data.room,
        starts_at=data.starts_at, ends_at=data.ends_at, chair=data.chair, recorder=data.recorder,
        parties=[msgspec.structs.asdict(p) for p in data.parties], force=data.force, ip=client_ip(request))
    return s.Created(id=mid)


@get(M, guards=G, tags=TAGS, summary="A meeting with its parties and agenda")
async def detail_api(request: Request, meeting_id: FromPath[int]) -> s.MeetingOut:
    need(request.user)
    return await _detail(request, meeting_id)


@patch(M, guards=W, tags=TAGS, summary="Edit a meeting before it is held (send the version you read)")
async def update_api(request: Request, meeting_id: FromPath[int], data: JSONBody[s.MeetingPatch]) -> s.MeetingOut:
    need(request.user, write=True)
    kw: dict[str, Any] = {}
    fields = msgspec.structs.asdict(data)
    for name in ("room", "chair", "recorder", "starts_at", "ends_at"):
        if fields[name] is not None:  # null or absent: keep what is there
            kw[name] = fields[name]
    await scheduling.update_meeting(request.user, meeting_id, version=data.version, title=data.title, kind=data.kind,
                                    force=data.force, ip=client_ip(request), **kw)
    return await _detail(request, meeting_id)


@post(M + "/moves", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="schedule / reschedule / cancel / hold")
async def move_api(request: Request, meeting_id: FromPath[int], data: JSONBody[s.MeetingMoveIn]) -> s.MeetingOut:
    need(request.user)
    await scheduling.move(request.user, meeting_id, data.move, version=data.version, reason=data.reason,
                          starts_at=data.starts_at, ends_at=data.ends_at,
                          room=data.room if data.room is not None else "keep", force=data.force,
                          ip=client_ip(request))
    return await _detail(request, meeting_id)


@post("/meetings/slots", guards=W, tags=TAGS, status_code=HTTP_200_OK,
      summary="The slot finder: ranked times, and near misses")
async def slots_api(request: Request, data: JSONBody[s.SlotQuery]) -> s.SlotsOut:
    need(request.user, write=True)
    result, names = await scheduling.suggest(
        request.user, data.station, [msgspec.structs.asdict(p) for p in data.parties],
        duration_minutes=data.duration_minutes, first_day=data.first_day, last_day=data.last_day,
        need_room=data.need_room, limit=max(1, min(data.limit, 50)), per_day=None,
        include_holidays=data.include_holidays)

    def out(slot) -> s.SlotOut:
        return s.SlotOut(starts_at=_local(slot.start), ends_at=_local(slot.end),
                         room=int(slot.room[5:]) if slot.room else None,
                         room_name=names.get(slot.room, "") if slot.room else "",
                         attending=list(slot.attending), absent=list(slot.absent),
                         blocked=[s.BlockedOut(key=k, name=names.get(k, k)) for k in slot.blocked])

    return s.SlotsOut(slots=[out(x) for x in result.slots], near_misses=[out(x) for x in result.near_misses])


@post(M + "/parties", guards=W, tags=TAGS, status_code=HTTP_204_NO_CONTENT, summary="Invite a party")
async def party_add_api(request: Request, meeting_id: FromPath[int], data: JSONBody[s.PartyInviteIn]) -> None:
    need(request.user, write=True)
    await scheduling.add_party(request.user, meeting_id, data.key, required=data.required, delegates=data.delegates,
                               force=data.force, ip=client_ip(request))


@delete(M + "/parties/{party_id:int}", guards=W, tags=TAGS, status_code=HTTP_204_NO_CONTENT,
        summary="Withdraw an invitation")
async def party_remove_api(request: Request, meeting_id: FromPath[int], party_id: FromPath[int]) -> None:
    need(request.user, write=True)
    await scheduling.remove_party(request.user, meeting_id, party_id, ip=client_ip(request))


@post(M + "/parties/{party_id:int}/response", guards=G, tags=TAGS, status_code=HTTP_204_NO_CONTENT,
      summary="Answer an invitation: accept, decline or send a delegate")
async def respond_api(request: Request, meeting_id: FromPath[int], party_id: FromPath[int],
                      data: JSONBody[s.ResponseIn]) -> None:
    need(request.user)
    await attendance.respond(request.user, meeting_id, party_id, data.response, delegate=data.delegate,
                             note=data.note, version=data.version, ip=client_ip(request))


@post(M + "/agenda", guards=W, tags=TAGS, summary="Add an agenda item (a case, optionally a vote)")
async def agenda_add_api(request: Request, meeting_id: FromPath[int], data: JSONBody[s.AgendaIn]) -> s.Created:
    need(request.user, write=True)
    return s.Created(id=await agenda.add_item(request.user, meeting_id, title=data.title, case=data.case,
                                              vote=data.vote, minutes=data.minutes, ip=client_ip(request)))


@delete(M + "/agenda/{item_id:int}", guards=W, tags=TAGS, status_code=HTTP_204_NO_CONTENT,
        summary="Remove an agenda item")
async def agenda_remove_api(request: Request, meeting_id: FromPath[int], item_id: FromPath[int]) -> None:
    need(request.user, write=True)
    await agenda.remove_item(request.user, meeting_id, item_id, ip=client_ip(request))


@put(M + "/attendance", guards=G, tags=TAGS, summary="Record attendance; answers the quorum when a vote is on the agenda")
async def attendance_api(request: Request, meeting_id: FromPath[int],
                         data: JSONBody[list[s.AttendanceEntry]]) -> s.AttendanceOut:
    need(request.user)
    await attendance.take_attendance(request.user, meeting_id, [msgspec.structs.asdict(e) for e in data],
                                     ip=client_ip(request))
    row, _v = await load_meeting(request.user, meeting_id)
    d = await queries.meeting_detail(row)
    q = await attendance.quorum_for(meeting_id, d["parties"])
    return s.AttendanceOut(parties=[_party_out(p) for p in d["parties"]], quorum=None if q is None else
                           s.QuorumOut(present=q.present, invited=q.invited, threshold=q.threshold, met=q.met))


@get(M + "/minutes", guards=G, tags=TAGS, summary="The minutes draft and the approved versions")
async def minutes_api(request: Request, meeting_id: FromPath[int]) -> s.MinutesOut:
    need(request.user)
    await load_meeting(request.user, meeting_id)
    d = await minutes.draft(meeting_id)
    return s.MinutesOut(
        version=d["version"], content=msgspec.convert(d["content"] or {}, s.MinutesContentOut, strict=False),
        versions=[s.MinutesVersionOut(number=v["number"], content_hash=v["content_hash"], reason=v["reason"] or "",
                                      approved_at=_local(v["approved_at"]), pdf_sha256=v["pdf_sha256"] or None)
                  for v in await minutes.versions(meeting_id)])


@put(M + "/minutes", guards=G, tags=TAGS, summary="Save the draft (409 if someone saved since your version)")
async def minutes_save_api(request: Request, meeting_id: FromPath[int], data: JSONBody[s.MinutesIn]) -> s.MinutesSaved:
    need(request.user)
    content = {"items": {k: msgspec.structs.asdict(v) | {"actions": [msgspec.structs.asdict(a) for a in v.actions]}
                         for k, v in data.items.items()}, "notes": data.notes}
    return s.MinutesSaved(version=await minutes.save_draft(request.user, meeting_id, content, version=data.version,
                                                           ip=client_ip(request)))


@post(M + "/minutes/approve", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Approve: freeze a version with its hash and PDF")
async def approve_api(request: Request, meeting_id: FromPath[int], data: JSONBody[s.VersionIn]) -> s.Approved:
    need(request.user)
    return s.Approved(number=await minutes.approve(request.user, meeting_id, version=data.version,
                                                   ip=client_ip(request)))


@post(M + "/minutes/correct", guards=G, tags=TAGS, status_code=HTTP_204_NO_CONTENT,
      summary="Open approved minutes for a correction (a new version, with its reason)")
async def correct_api(request: Request, meeting_id: FromPath[int], data: JSONBody[s.CorrectIn]) -> None:
    need(request.user)
    await minutes.correct(request.user, meeting_id, reason=data.reason, version=data.version, ip=client_ip(request))


@get(M + "/minutes/versions/{number:int}/pdf", guards=G, tags=TAGS, summary="An approved version's PDF, as stored",
     media_type="application/pdf")
async def minutes_pdf_api(request: Request, meeting_id: FromPath[int], number: FromPath[int]) -> Response:
    need(request.user)
    content, n = await minutes.stored_pdf(request.user, meeting_id, number)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="minutes-{meeting_id}-v{n}.pdf"'})


@get(M + "/calendar.ics", guards=G, tags=TAGS, summary="The meeting as an .ics file", media_type="text/calendar")
async def ics_api(request: Request, meeting_id: FromPath[int]) -> Response:
    need(request.user)
    row, _v = await load_meeting(request.user, meeting_id)
    return Response(await feeds.meeting_ics(row), media_type="text/calendar; charset=utf-8")


@post("/meetings/busy", guards=W, tags=TAGS, summary="Add a busy time for a party or a room")
async def busy_add_api(request: Request, data: JSONBody[s.BusyIn]) -> s.Created:
    need(request.user, write=True)
    return s.Created(id=await scheduling.add_busy_block(request.user, data.station, data.who, data.starts_at,
                                                        data.ends_at, data.label, ip=client_ip(request)))


@delete("/meetings/busy/{block_id:int}", guards=W, tags=TAGS, status_code=HTTP_204_NO_CONTENT,
        summary="Delete a busy time")
async def busy_delete_api(request: Request, block_id: FromPath[int]) -> None:
    need(request.user, write=True)
    await scheduling.delete_busy_block(request.user, block_id, ip=client_ip(request))


@post("/meetings/busy/import", guards=W, tags=TAGS, summary="Import busy times from .ics text (replaces the last import)")
async def busy_import_api(request: Request, data: JSONBody[s.IcsIn]) -> s.IcsImported:
    need(request.user, write=True)
    result = await scheduling.import_ics(request.user, data.station, data.who, data.ics.encode(), ip=client_ip(request))
    return s.IcsImported(events=result["events"], recurring=result["recurring"], until=result["until"])


@post("/meetings/feeds", guards=G, tags=TAGS, summary="A new secret calendar feed URL (shown once)")
async def feed_api(request: Request, data: JSONBody[s.FeedIn]) -> s.FeedOut:
    need(request.user)
    if request.user.via != "token":
        raise Forbidden()
    token = await feeds.make_feed(request.user, organisation=data.organisation, ip=client_ip(request))
    from council.links import public_url

    return s.FeedOut(url=public_url(f"/calendar/{token}.ics", request))


API_ROUTES: list = [
    list_api, create_api, detail_api, update_api, move_api, slots_api, party_add_api, party_remove_api, respond_api,
    agenda_add_api, agenda_remove_api, attendance_api, minutes_api, minutes_save_api, approve_api, correct_api,
    minutes_pdf_api, ics_api, busy_add_api, busy_delete_api, busy_import_api, feed_api,
]
PAGE_ROUTES: list = []
