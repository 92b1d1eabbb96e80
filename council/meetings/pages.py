"""Meeting pages: the list, a new meeting with the slot finder, the meeting page (time, parties,
invitations, agenda), attendance on a tablet, the minutes editor, PDFs and calendars, busy
times, and the secret calendar feeds.

Handlers stay thin: parse the form, call a use case (validate → permission → write → audit in
one transaction), redirect. A refused form is drawn again with what was typed, its fields
marked, the message in the reader's language and the refusal's status (422, 409 or 403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Awaitable, Callable

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council import db
from council.accounts import permissions
from council.accounts.permissions import STAFF, Role
from council.accounts.principal import Principal
from council.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from council.core.localtime import LOCAL, local_time
from council.meetings import (
    agenda, attendance, feeds, minutes, parties as party_reg, policy, queries, scheduling, statemachine as sm,
)
from council.meetings.common import load_meeting
from council.meetings.document import scrub
from council.stations.tables import Room, Station
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator

FIX = "Please correct the marked fields."


def N_(msgid: str) -> str:
    return msgid


PARTY_KIND_LABELS = {"org": N_("Organisation"), "user": N_("Staff"), "person": N_("Resident")}
MOVE_LABELS = {"schedule": N_("Schedule"), "reschedule": N_("Reschedule"), "cancel": N_("Cancel the meeting"),
               "hold": N_("Mark as held")}


def need(principal: Principal, write: bool = False) -> None:
    ok = permissions.can_write if write else permissions.can_read
    if not ok(principal.role, "meeting"):
        raise Forbidden()


def input_time(moment: dt.datetime | None) -> str:
    return local_time(moment, "%Y-%m-%dT%H:%M")


def _int(raw: Any) -> int | None:
    from council.core.reading import bounded_int

    return bounded_int(raw)


def _choice(form: dict, name: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid(FIX, errors={name: "Choose one of the listed options."})
    return int(raw)


def _tr(request: Request, e: DomainError) -> tuple[str, dict]:
    _ = translator(locale_of(request))
    return (_(e.message, **e.params) if e.params else _(e.message)), {k: _(v) for k, v in e.errors.items()}


def _common() -> dict:
    return dict(kinds=sm.KINDS, kind_labels=dict(sm.KINDS), state_labels=sm.STATE_LABELS,
                response_labels=attendance.RESPONSE_LABELS, attendance_labels=attendance.ATTENDANCE_LABELS,
                party_kind_labels=PARTY_KIND_LABELS, local_time=local_time, input_time=input_time, scrub=scrub)


async def _stations(principal: Principal) -> list[dict]:
    q = Station.select(Station.id, Station.name, Station.community).order_by(Station.id)
    if not principal.is_admin:
        q = q.where(Station.id.is_in(list(principal.station_ids) or [-1]))
    return await q


# ---------------------------------------------------------------- list

@get("/meetings", guards=[signed_in])
async def meeting_list(request: Request) -> Any:
    principal: Principal = request.user
    need(principal)
    state = request.query_params.get("state", "")[:20]
    rows = await queries.list_meetings(principal, state=state)
    bookings = [] if state else await queries.room_bookings(principal)
    return page(request, "meetings/list.html", rows=rows, state=state, bookings=bookings,
                booking_days=queries.BOOKING_DAYS,
                can_create=permissions.can_write(principal.role, "meeting") and bool(principal.station_ids or principal.is_admin),
                **_common())


# ---------------------------------------------------------------- new meeting + slot finder

def _party_specs(form: dict, candidates: list[dict]) -> list[dict]:
    specs = []
    for c in candidates:
        choice = form.get(f"party_{c['key']}", "")
        if choice in ("required", "optional"):
            specs.append({"key": c["key"], "required": choice == "required",
                          "delegates": form.get(f"delegates_{c['key']}", "")})
    return specs


async def _new_context(request: Request, form: dict) -> dict:
    principal: Principal = request.user
    stations = await _stations(principal)
    if not stations:
        raise Forbidden("You are not assigned to a station.")
    wanted = _int(form.get("station")) or _int(request.query_params.get("station"))
    station = next((s for s in stations if s["id"] == wanted), stations[0])
    candidates = await party_reg.candidates(station["id"], station["community"])
    staff = [c for c in candidates if c["kind"] == "user"]
    rooms = await Room.select(Room.id, Room.name, Room.capacity).where(Room.station == station["id"]).order_by(Room.id)
    return dict(station=station, stations=stations if len(stations) > 1 else [], candidates=candidates, staff=staff,
                rooms=rooms)


def _defaults(form: dict) -> dict:
    today = dt.datetime.now(LOCAL).date()
    values = {"kind": "coordination", "duration": "60", "first_day": (today + dt.timedelta(days=1)).isoformat(),
              "last_day": (today + dt.timedelta(days=14)).isoformat(), "need_room": "1"}
    values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return values


@get("/meetings/new", guards=[signed_in])
async def new_meeting_form(request: Request) -> Any:
    need(request.user, write=True)
    values = _defaults(dict(request.query_params))
    return page(request, "meetings/new.html", values=values, errors={}, message=None, result=None, names={},
                **await _new_context(request, values), **_common())


@post("/meetings/new", guards=[signed_in])
async def new_meeting_submit(request: Request) -> Any:
    principal: Principal = request.user
    need(principal, write=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values = _defaults(form)
    ctx = await _new_context(request, values)
    specs = _party_specs(form, ctx["candidates"])
    result, names = None, {}
    try:
        if form.get("do") == "find":
            try:
                first = dt.date.fromisoformat(values.get("first_day", ""))
                last = dt.date.fromisoformat(values.get("last_day", ""))
            except ValueError:
                raise Invalid(FIX, errors={"first_day": "Enter a date like 2026-11-30."}) from None
            duration = _int(values.get("duration")) or 0
            result, names = await scheduling.suggest(principal, ctx["station"]["id"], specs,
                                                     duration_minutes=duration, first_day=first, last_day=last,
                                                     need_room=values.get("need_room") == "1",
                                                     include_holidays=values.get("include_holidays") == "1")
            return page(request, "meetings/new.html", values=values, errors={}, message=None, result=result,
                        names=names, **ctx, **_common())
        starts, ends, room = values.get("starts_at", ""), values.get("ends_at", ""), _choice(values, "room")
        if values.get("slot"):  # a slot chosen from the finder: "start|end|room"
            s, e, r = (values["slot"].split("|") + ["", "", ""])[:3]
            starts, ends = s, e
            room = int(r) if r.isdigit() else room
        mid = await scheduling.create_meeting(
            principal, station=ctx["station"]["id"], kind=values.get("kind", ""), title=values.get("title", ""),
            room=room, starts_at=starts, ends_at=ends, chair=_choice(values, "chair"),
            recorder=_choice(values, "recorder"), parties=specs, force=values.get("force") == "1",
            ip=client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        return page(request, "meetings/new.html", status_code=e.status, values=values, errors=errors,
                    message=message, result=result, names=names, conflict=isinstance(e, Conflict), **ctx, **_common())
    return Redirect(f"/meetings/{mid}?done=created", status_code=303)


# ---------------------------------------------------------------- the meeting page

async def meeting_context(principal: Principal, meeting_id: int) -> dict:
    row, view = await load_meeting(principal, meeting_id)
    d = await queries.meeting_detail(row)
    manage = policy.can_manage(principal, view)
    own = policy.own_keys(principal)
    answerable = [p for p in d["parties"] if policy.can_answer(principal, view, p["party_key"])]
    ctx = dict(m=d, manage=manage, record=policy.can_record(principal, view), moves=sm.allowed(row["state"]),
               answerable={p["id"] for p in answerable}, own_parties=[p for p in d["parties"] if p["party_key"] in own],
               can_force=policy.can_force(principal), editable=row["state"] in sm.EDITABLE_STATES,
               agenda_open=row["state"] in agenda.AGENDA_STATES)
    if manage:
        ctx["case_choices"] = await agenda.case_choices(principal, row["station"])
        ctx["vote_choices"] = await agenda.vote_choices(row["station"])
        everyone = await party_reg.candidates(row["station"], row["community"])
        ctx["candidates"] = [c for c in everyone if c["key"] not in {p["party_key"] for p in d["parties"]}]
        ctx["staff"] = [c for c in everyone if c["kind"] == "user"]
        ctx["rooms"] = await Room.select(Room.id, Room.name).where(Room.station == row["station"]).order_by(Room.id)
    ctx["versions"] = await minutes.versions(meeting_id)
    return ctx


async def render_meeting(request: Request, meeting_id: int, *, status_code: int = 200, form: str = "",
                         errors: dict | None = None, message: str | None = None, values: dict | None = None,
                         conflict: bool = False) -> Any:
    from council.meetings.owners import owner_of

    ctx = await meeting_context(request.user, meeting_id)
    owner = await owner_of(meeting_id)
    if owner is not None:  # its time is the owning record's: no reschedule or cancel offered here
        ctx["moves"] = [mv for mv in ctx.get("moves", []) if mv not in ("reschedule", "cancel")]
    return page(request, "meetings/detail.html", status_code=status_code, form=form, errors=errors or {},
                owner=owner, owner_link=bool(owner) and permissions.can_read(request.user.role, owner.resource),
                message=message, values=values or {}, move_labels=MOVE_LABELS, conflict=conflict,
                done=request.query_params.get("done", "") if status_code == 200 else "",
                needs_reason={a for a, mv in sm.MOVES.items() if mv.needs_reason}, **ctx, **_common())


@get("/meetings/{meeting_id:int}", guards=[signed_in])
async def meeting_page(request: Request, meeting_id: FromPath[int]) -> Any:
    need(request.user)
    return await render_meeting(request, meeting_id)


Action = Callable[[Principal, int, dict, str], Awaitable[Any]]


async def _move(p, mid, f, ip):
    room = _choice(f, "room") if f.get("room") else "keep"
    return await scheduling.move(p, mid, f.get("move", ""), version=f.get("version"), reason=f.get("reason", ""),
                                 starts_at=f.get("starts_at") or None, ends_at=f.get("ends_at") or None, room=room,
                                 force=f.get("force") == "1", ip=ip)


async def _update(p, mid, f, ip):
    """The edit form: title, kind, room, chair and recorder (and the time while only planned)."""
    kw: dict[str, Any] = dict(title=f.get("title", ""), kind=f.get("kind", ""), room=_choice(f, "room"),
                              chair=_choice(f, "chair"), recorder=_choice(f, "recorder"))
    if "starts_at" in f:
        kw.update(starts_at=f.get("starts_at"), ends_at=f.get("ends_at"))
    return await scheduling.update_meeting(p, mid, version=f.get("version"), force=f.get("force") == "1", ip=ip, **kw)


async def _respond(p, mid, f, ip):
    pid = _choice(f, "party")
    if pid is None:
        raise NotFound()
    return await attendance.respond(p, mid, pid, f.get("response", ""), delegate=f.get("delegate", ""),
                                    note=f.get("note", ""), version=f.get("party_version"), ip=ip)


async def _agenda_add(p, mid, f, ip):
    return await agenda.add_item(p, mid, title=f.get("title", ""), case=_choice(f, "case"), vote=_choice(f, "vote"),
                                 minutes=f.get("minutes", "15"), ip=ip)


ACTIONS: dict[str, Action] = {
    "move": _move,
    "update": _update,
    "party_add": lambda p, mid, f, ip: scheduling.add_party(p, mid, f.get("key", ""),
                                                            required=f.get("required", "1") == "1",
                                                            delegates=f.get("delegates", ""),
                                                            force=f.get("force") == "1", ip=ip),
    "party_remove": lambda p, mid, f, ip: scheduling.remove_party(p, mid, _choice(f, "party") or 0, ip=ip),
    "respond": _respond,
    "agenda_add": _agenda_add,
    "agenda_remove": lambda p, mid, f, ip: agenda.remove_item(p, mid, _choice(f, "item") or 0, ip=ip),
    "agenda_move": lambda p, mid, f, ip: agenda.move_item(p, mid, _choice(f, "item") or 0, f.get("direction", ""),
                                                          ip=ip),
}


@post("/meetings/{meeting_id:int}/do/{what:str}", guards=[signed_in])
async def meeting_action(request: Request, meeting_id: FromPath[int], what: FromPath[str]) -> Any:
    need(request.user)
    action = ACTIONS.get(what)
    if action is None:
        raise NotFound()
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        await action(request.user, meeting_id, form, client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        key = f"{what}:{form.get('move', '')}" if what == "move" else what
        return await render_meeting(request, meeting_id, status_code=e.status, form=key, errors=errors,
                                    message=message, values=form,
                                    conflict=isinstance(e, Conflict) and "names" in e.params)
    anchor = {"respond": "parties", "party_add": "parties", "party_remove": "parties"}.get(what, what.split("_")[0])
    return Redirect(f"/meetings/{meeting_id}?done={what}#{anchor}", status_code=303)


# ---------------------------------------------------------------- attendance (tablet)

async def _attendance_page(request: Request, meeting_id: int, *, status_code: int = 200, errors: dict | None = None,
                           message: str | None = None, values: dict | None = None) -> Any:
    row, view = await load_meeting(request.user, meeting_id)
    d = await queries.meeting_detail(row)
    quorum = await attendance.quorum_for(meeting_id, d["parties"])
    return page(request, "meetings/attendance.html", status_code=status_code, m=d, quorum=quorum,
                errors=errors or {}, message=message, values=values or {},
                record=policy.can_record(request.user, view) and row["state"] in sm.ATTENDANCE_STATES,
                choices=attendance.ATTENDANCE, done=request.query_params.get("done", "") if status_code == 200 else "",
                **_common())


@get("/meetings/{meeting_id:int}/attendance", guards=[signed_in])
async def attendance_page(request: Request, meeting_id: FromPath[int]) -> Any:
    need(request.user)
    return await _attendance_page(request, meeting_id)


@post("/meetings/{meeting_id:int}/attendance", guards=[signed_in])
async def attendance_submit(request: Request, meeting_id: FromPath[int]) -> Any:
    need(request.user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    entries = []
    for k, v in form.items():
        if k.startswith("attendance_") and k[11:].isdigit():
            pid = int(k[11:])
            entries.append({"party": pid, "attendance": v, "represented_by": form.get(f"represented_by_{pid}", "")})
    try:
        await attendance.take_attendance(request.user, meeting_id, entries, client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        return await _attendance_page(request, meeting_id, status_code=e.status, errors=errors, message=message,
                                      values=form)
    return Redirect(f"/meetings/{meeting_id}/attendance?done=1", status_code=303)


# ---------------------------------------------------------------- minutes

def content_from_form(form: dict, item_ids: list[int]) -> dict:
    items = {}
    for iid in item_ids:
        actions = []
        for n in range(int(form.get(f"actions_{iid}", "0") or 0) + 1):
            p = f"a_{iid}_{n}_"
            if any(form.get(p + f) for f in ("what", "organisation", "person", "due")):
                actions.append({"id": form.get(p + "id", ""), "what": form.get(p + "what", ""),
                                "organisation": form.get(p + "organisation", ""),
                                "person": form.get(p + "person", ""), "due": form.get(p + "due", "")})
        items[str(iid)] = {"discussion": form.get(f"discussion_{iid}", ""),
                           "decisions": form.get(f"decisions_{iid}", ""), "actions": actions}
    return {"items": items, "notes": form.get("notes", "")}


async def _minutes_page(request: Request, meeting_id: int, *, status_code: int = 200, content: dict | None = None,
                        version: Any = None, errors: dict | None = None, message: str | None = None,
                        form: str = "") -> Any:
    principal: Principal = request.user
    row, view = await load_meeting(principal, meeting_id)
    d = await queries.meeting_detail(row)
    current = await minutes.draft(meeting_id)
    organisations = await party_reg.organisations_for(row["community"])
    votes = await queries.vote_results([i["vote"] for i in d["agenda"] if i["vote"]])
    return page(request, "meetings/minutes.html", status_code=status_code, m=d, votes=votes,
                org_names={o["id"]: o["name"] for o in organisations},
                content=content if content is not None else current["content"],
                version=version if version is not None else current["version"], saved=current,
                edit=policy.can_record(principal, view) and row["state"] in sm.MINUTES_EDIT_STATES,
                manage=policy.can_manage(principal, view),
                organisations=organisations, versions=await minutes.versions(meeting_id), errors=errors or {}, message=message, form=form,
                done=request.query_params.get("done", "") if status_code == 200 else "", **_common())


@get("/meetings/{meeting_id:int}/minutes", guards=[signed_in])
async def minutes_page(request: Request, meeting_id: FromPath[int]) -> Any:
    need(request.user)
    return await _minutes_page(request, meeting_id)


@post("/meetings/{meeting_id:int}/minutes", guards=[signed_in])
async def minutes_save(request: Request, meeting_id: FromPath[int]) -> Any:
    need(request.user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    row, _v = await load_meeting(request.user, meeting_id)
    item_ids = [i["id"] for i in await agenda.items(meeting_id)]
    content = content_from_form(form, item_ids)
    try:
        await minutes.save_draft(request.user, meeting_id, content, version=form.get("version"), ip=client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        # The form keeps what they typed (and the version they started from): nothing is lost.
        return await _minutes_page(request, meeting_id, status_code=e.status, content=content,
                                   version=form.get("version"), errors=errors, message=message, form="save")
    return Redirect(f"/meetings/{meeting_id}/minutes?done=saved", status_code=303)


@post("/meetings/{meeting_id:int}/minutes/approve", guards=[signed_in])
async def minutes_approve(request: Request, meeting_id: FromPath[int]) -> Any:
    need(request.user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        await minutes.approve(request.user, meeting_id, version=form.get("version"), ip=client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        return await _minutes_page(request, meeting_id, status_code=e.status, errors=errors, message=message,
                                   form="approve")
    return Redirect(f"/meetings/{meeting_id}/minutes?done=approved", status_code=303)


@post("/meetings/{meeting_id:int}/minutes/correct", guards=[signed_in])
async def minutes_correct(request: Request, meeting_id: FromPath[int]) -> Any:
    need(request.user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        await minutes.correct(request.user, meeting_id, reason=form.get("reason", ""), version=form.get("meeting_version"),
                              ip=client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        return await _minutes_page(request, meeting_id, status_code=e.status, errors=errors, message=message,
                                   form="correct")
    return Redirect(f"/meetings/{meeting_id}/minutes?done=correcting", status_code=303)


def _pdf_response(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private"})


@get("/meetings/{meeting_id:int}/minutes.docx", guards=[signed_in])
async def minutes_docx(request: Request, meeting_id: FromPath[int]) -> Response:
    """Editable minutes for filing upward, from the approved version's snapshot."""
    need(request.user)
    number = _int(request.query_params.get("version"))
    content, n = await minutes.approved_docx(request.user, meeting_id, number)
    return Response(content, media_type=DOCX, headers={
        "Content-Disposition": f'attachment; filename="minutes-{meeting_id}-v{n}.docx"'})


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@get("/meetings/{meeting_id:int}/minutes.pdf", guards=[signed_in])
async def minutes_pdf(request: Request, meeting_id: FromPath[int]) -> Response:
    """The approved PDF exactly as stored (never re-rendered)."""
    need(request.user)
    number = _int(request.query_params.get("version"))
    content, n = await minutes.stored_pdf(request.user, meeting_id, number)
    return _pdf_response(content, f"minutes-{meeting_id}-v{n}.pdf")


@get("/meetings/{meeting_id:int}/minutes/preview.pdf", guards=[signed_in])
async def minutes_preview(request: Request, meeting_id: FromPath[int]) -> Response:
    """The draft, rendered now and marked as a draft (not a record)."""
    from council import pdf
    from council.meetings.document import snapshot_for

    need(request.user)
    async with db.read():  # a dozen small reads: one connection on SQLite
        row, view = await load_meeting(request.user, meeting_id)
        if not policy.can_record(request.user, view):
            raise Forbidden()
        current = await minutes.draft(meeting_id)
        snap = await snapshot_for(row, current["content"], number=0, draft=True)
        from council.stations.emblem import pdf_emblem

        snap["station_emblem"] = await pdf_emblem(row["station"])
    return _pdf_response(await pdf.render("pdf/minutes.html", snap, "zh_CN"), f"minutes-{meeting_id}-draft.pdf")


# ---------------------------------------------------------------- calendars

@get("/meetings/{meeting_id:int}/calendar.ics", guards=[signed_in])
async def meeting_ics(request: Request, meeting_id: FromPath[int]) -> Response:
    need(request.user)
    row, _v = await load_meeting(request.user, meeting_id)
    return Response(await feeds.meeting_ics(row), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})


@get("/calendar/{token:str}")
async def calendar_feed(request: Request, token: FromPath[str]) -> Response:
    """The secret feed: no login, the token is the key (calendar apps cannot sign in)."""
    token = token.removesuffix(".ics")
    return Response(await feeds.feed(token), media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})


@get("/meetings/feeds", guards=[signed_in])
async def feeds_page(request: Request) -> Any:
    principal: Principal = request.user
    need(principal)
    return await _feeds_page(request)


async def _feeds_page(request: Request, *, token: str = "", status_code: int = 200, message: str | None = None) -> Any:
    principal: Principal = request.user
    orgs: list[dict] = []
    if principal.role in (Role.secretary, Role.admin):
        for s in await _stations(principal):
            orgs += await party_reg.organisations_for(s["community"])
        orgs = list({o["id"]: o for o in orgs}.values())
    elif principal.role == Role.department_liaison and principal.organisation_id:
        orgs = [o for o in await party_reg.organisations_for(-1) if o["id"] == principal.organisation_id]
    from council.links import public_url

    return page(request, "meetings/feeds.html", status_code=status_code, feeds=await feeds.feeds_of(principal),
                organisations=orgs, token=token, url=public_url(f"/calendar/{token}.ics", request) if token else "",
                message=message, **_common())


@post("/meetings/feeds", guards=[signed_in])
async def feeds_make(request: Request) -> Any:
    need(request.user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        token = await feeds.make_feed(request.user, organisation=_choice(form, "organisation"), ip=client_ip(request))
    except (Invalid, Forbidden, NotFound) as e:
        message, _e = _tr(request, e)
        return await _feeds_page(request, status_code=e.status, message=message)
    return await _feeds_page(request, token=token)


# ---------------------------------------------------------------- busy times

async def _busy_page(request: Request, *, status_code: int = 200, errors: dict | None = None,
                     message: str | None = None, values: dict | None = None, form: str = "",
                     imported: dict | None = None) -> Any:
    principal: Principal = request.user
    stations = await _stations(principal)
    if not stations:
        raise Forbidden("You are not assigned to a station.")
    wanted = _int((values or {}).get("station")) or _int(request.query_params.get("station"))
    station = next((s for s in stations if s["id"] == wanted), stations[0])
    candidates = await party_reg.candidates(station["id"], station["community"])
    rooms = await Room.select(Room.id, Room.name).where(Room.station == station["id"]).order_by(Room.id)
    whos = [(c["key"], c["name"]) for c in candidates] + [(f"room:{r['id']}", r["name"]) for r in rooms]
    return page(request, "meetings/busy.html", status_code=status_code, station=station,
                stations=stations if len(stations) > 1 else [], whos=whos, names=dict(whos),
                blocks=await queries.busy_blocks(station["id"]), errors=errors or {}, message=message,
                values=values or {}, form=form, imported=imported,
                manage=policy.can_manage(principal, station=station["id"]),
                done=request.query_params.get("done", "") if status_code == 200 else "", **_common())


@get("/meetings/busy", guards=[signed_in])
async def busy_page(request: Request) -> Any:
    principal: Principal = request.user
    if principal.role not in STAFF and not principal.is_admin:
        raise Forbidden()
    return await _busy_page(request)


@post("/meetings/busy", guards=[signed_in])
async def busy_add(request: Request) -> Any:
    need(request.user, write=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        station = _choice(form, "station") or 0
        await scheduling.add_busy_block(request.user, station, form.get("who", ""), form.get("starts_at", ""),
                                        form.get("ends_at", ""), form.get("label", ""), ip=client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        return await _busy_page(request, status_code=e.status, errors=errors, message=message, values=form, form="add")
    return Redirect(f"/meetings/busy?station={form.get('station', '')}&done=added", status_code=303)


@post("/meetings/busy/import", guards=[signed_in], request_max_body_size=3_000_000)
async def busy_import(request: Request) -> Any:
    need(request.user, write=True)
    data = await request.form()
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    upload = data.get("file")
    try:
        if upload is None or not hasattr(upload, "read"):
            raise Invalid(FIX, errors={"file": "This field is required."})
        content = await upload.read(2_000_001)
        result = await scheduling.import_ics(request.user, _choice(form, "station") or 0, form.get("who", ""),
                                             content, ip=client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _tr(request, e)
        return await _busy_page(request, status_code=e.status, errors=errors, message=message, values=form,
                                form="import")
    return await _busy_page(request, values=form, imported=result)


@post("/meetings/busy/{block_id:int}/delete", guards=[signed_in])
async def busy_delete(request: Request, block_id: FromPath[int]) -> Any:
    need(request.user, write=True)
    await scheduling.delete_busy_block(request.user, block_id, ip=client_ip(request))
    return Redirect("/meetings/busy?done=deleted", status_code=303)


PAGE_ROUTES: list = [
    meeting_list, new_meeting_form, new_meeting_submit, meeting_page, meeting_action, attendance_page,
    attendance_submit, minutes_page, minutes_save, minutes_approve, minutes_correct, minutes_pdf, minutes_docx, minutes_preview,
    meeting_ics, calendar_feed, feeds_page, feeds_make, busy_page, busy_add, busy_import, busy_delete,
]
API_ROUTES: list = []
