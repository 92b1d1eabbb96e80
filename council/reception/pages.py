"""The reception desk pages: the desk (log a visit, the shared queue), grid-group intake, the
roster and schedule, the day's report (page and PDF) and the period totals.

Thin: parse the form, call a use case, redirect (303) back to the desk. A refusal redraws the
page with the message in the reader's language, the fields marked and the refusal's status;
nothing has changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council.accounts import permissions
from council.accounts.principal import Principal
from council.cases import policy as case_policy
from council.cases.calendar_store import categories_for, today
from council.cases.vocabulary import KINDS, PRIORITIES
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.mediation import handover
from council.parties.tables import Organisation
from council.reception import desk, grid, moves, queue, report, reports, rota, schedule, store
from council.stations.tables import Room
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator

REFUSALS = (Invalid, Conflict, Forbidden, NotFound)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def need(principal: Principal, key: str = "reception", *, write: bool = False) -> None:
    ok = permissions.can_write(principal.role, key) if write else permissions.can_read(principal.role, key)
    if not ok:
        raise Forbidden()


def _int(raw: Any) -> int | None:
    from council.core.reading import bounded_int

    return bounded_int(raw) if isinstance(raw, str) else None


def _day(raw: Any) -> dt.date:
    try:
        return dt.date.fromisoformat((raw or "").strip()) if raw else today()
    except ValueError:
        raise Invalid("Please correct the marked fields.", errors={"day": "Enter a date as YYYY-MM-DD."}) from None


def _form(raw) -> dict:
    return {k: v for k, v in raw.items() if k != "_csrf_token" and not hasattr(v, "read")}


def _desk_url(station: int, day: dt.date, **extra: Any) -> str:
    q = {"station": station, **({"day": day.isoformat()} if day != today() else {}), **extra}
    return "/reception?" + urlencode({k: v for k, v in q.items() if v not in ("", None)})


async def organisations(community: int) -> list[dict]:
    return await Organisation.select(Organisation.id, Organisation.name, Organisation.kind).where(
        Organisation.community.is_null() | (Organisation.community == community)).order_by(
        Organisation.kind, Organisation.name)


async def _desk_context(request: Request, station_id: int | None, day: dt.date, *, q: str = "",
                        values: dict | None = None, finish: int | None = None) -> dict:
    """Everything the desk shows, read together (store.read_all): the desk is the hot path of
    the reception day (benchmarks/reception.py)."""
    principal: Principal = request.user
    async with store.reading():
        return await _desk_reads(principal, station_id, day, q=q, values=values, finish=finish, ip=client_ip(request))


async def _desk_reads(principal: Principal, station_id: int | None, day: dt.date, *, q: str,
                      values: dict | None, finish: int | None, ip: str = "") -> dict:
    station = await store.desk_station(principal, station_id)

    async def queue_and_files() -> tuple[list[dict], list[dict], dict]:
        visits, drafts = await desk.day_queue(station["id"], day)
        # Links to mediation files only for those who may open them (not a grid worker who handed one over).
        files = await handover.files_for_cases(principal, [v["case"] for v in visits if v["case_kind"] == "dispute"])
        return visits, drafts, files

    async def found() -> list[dict]:
        return await desk.find_visitors(principal, station["id"], q, ip=ip) if q else []

    ((occ, nxt), (visits, drafts, files), duty_weeks, stations, categories, orgs, mediators, found_rows) = (
        await store.read_all(
            store.day_and_next(station, day), queue_and_files(), store.duty_weeks(station["id"], day, 1),
            store.stations_for(principal), categories_for(station["id"]), organisations(station["community"]),
            desk.mediators_for(station["id"]), found()))
    duty = [m["name"] for _, ms in duty_weeks for m in ms]
    return dict(
        station=station, stations=stations, day=day, today=today(), occ=occ, next_occ=None if occ else nxt,
        visits=visits, files=files, read_disputes=case_policy.can_read_disputes(principal),
        waiting=[v for v in visits if v["status"] in queue.OPEN], drafts=drafts, duty=duty,
        categories=[c for c in categories if c["active"]],
        organisations=orgs, mediators=mediators,
        kinds=KINDS, priorities=PRIORITIES, outcomes=queue.OUTCOMES, status_labels=dict(queue.STATUSES),
        q=q, found=found_rows,
        values=values or {}, errors={}, message=None, summary=report.summarise_day(visits),
        outcome_labels=dict(queue.OUTCOMES), weekdays=WEEKDAYS, finish=finish, estate_choices=[],
    )


@get("/reception", guards=[signed_in])
async def desk_page(request: Request) -> Any:
    need(request.user)
    qp = request.query_params
    # The finish form is drawn for the visitors at the desk (called) and for the one asked for
    # (?finish=id): a day of 80 visits stays a light page on a phone.
    ctx = await _desk_context(request, _int(qp.get("station")), _day(qp.get("day")), q=qp.get("q", "").strip()[:50],
                              finish=_int(qp.get("finish")))
    return page(request, "reception/desk.html", done=qp.get("done", ""), **ctx)


@get("/reception/visitors", guards=[signed_in])
async def visitors_fragment(request: Request) -> Any:
    """Search results as a fragment the desk swaps in while typing (the Find button works without it)."""
    need(request.user)
    qp = request.query_params
    found = await desk.find_visitors(request.user, _int(qp.get("station")), qp.get("q", "").strip()[:50],
                                     ip=client_ip(request))
    return page(request, "reception/_visitors.html", found=found, q=qp.get("q", ""), values={})


@get("/reception/estates", guards=[signed_in])
async def estates_fragment(request: Request) -> Any:
    """The estate choice the desk draws beside a unit number as soon as it is typed, when several
    of the station's estates have that number (empty otherwise)."""
    need(request.user)
    qp = request.query_params
    station = await store.desk_station(request.user, _int(qp.get("station")))
    choices = await desk.estates_with_unit(station["id"], qp.get("unit_number", ""))
    return page(request, "reception/_estates.html", estate_choices=choices, values={}, errors={})


async def _redraw(request: Request, e, station_id: int | None, day: dt.date, form: dict) -> Any:
    _ = translator(locale_of(request))
    ctx = await _desk_context(request, station_id, day, q=form.get("q", ""), values=form)
    if form.get("unit_number") and ("unit_number" in e.errors or "estate" in e.errors):
        ctx["estate_choices"] = await desk.estates_with_unit(ctx["station"]["id"], form["unit_number"])
    ctx.update(errors={k: _(v) for k, v in e.errors.items()}, message=_(e.message) % e.params if e.params else _(e.message))
    return page(request, "reception/desk.html", status_code=e.status, done="", **ctx)


@post("/reception/visits", guards=[signed_in])
async def log_visit_page(request: Request) -> Any:
    need(request.user, write=True)
    form = _form(await request.form())
    station_id, day = _int(form.get("station")), _day(form.get("day"))
    if form.get("find"):
        ctx = await _desk_context(request, station_id, day, q=form.get("q", "").strip()[:50], values=form)
        return page(request, "reception/desk.html", done="", **ctx)
    data = {k: v for k, v in form.items() if k in desk.VISIT_FIELDS | desk.OUTCOME_FIELDS and v not in ("",)}
    if data.get("outcome") == "queue":
        data.pop("outcome")
    try:
        visit = await desk.log_visit(request.user, data, ip=client_ip(request))
    except REFUSALS as e:
        if isinstance(e, Forbidden) and station_id is not None and not request.user.sees_station(station_id):
            raise
        return await _redraw(request, e, station_id, day, form)
    # Back to where the secretary works (#desk-work): the note and an empty form for the next visitor.
    return Redirect(_desk_url(visit["station"], visit["day"], done=f'{visit["status"]}-{visit["ticket"] if "ticket" in visit else queue.ticket(visit["number"])}')
                    + "#desk-work", status_code=303)


ACTIONS = moves.ACTIONS


@post("/reception/visits/{visit_id:int}/{action:str}", guards=[signed_in])
async def visit_action(request: Request, visit_id: FromPath[int], action: FromPath[str]) -> Any:
    need(request.user, write=True)
    if action not in ACTIONS:
        raise NotFound()
    form = _form(await request.form())
    principal, ip = request.user, client_ip(request)
    station_id, day = _int(form.get("station")), _day(form.get("day"))
    # The form carries the desk's own fields (station, day, next): hand over only the action's.
    if action == "finish":
        data = {k: v for k, v in form.items() if k in desk.OUTCOME_FIELDS | {"topic", "category", "detail"} and v != ""}
    elif action == "confirm":
        data = {k: v for k, v in form.items() if k in ("topic", "category", "person", "version") and v != ""}
    else:
        data = {"version": form.get("version")}
    try:
        row = await moves.act(principal, visit_id, action, data, ip)
    except REFUSALS as e:
        if isinstance(e, (NotFound, Forbidden)) or station_id is None:
            raise
        return await _redraw(request, e, station_id, day, {})
    back = form.get("next", "")
    if back.startswith("/reception") and not back.startswith("//"):
        return Redirect(back, status_code=303)
    return Redirect(_desk_url(row["station"], row["day"], done=f'{row["status"]}-{queue.ticket(row["number"])}'),
                    status_code=303)


# ---------------------------------------------------------------- grid-group intake

@get("/reception/grid", guards=[signed_in])
async def grid_page(request: Request) -> Any:
    need(request.user)
    qp = request.query_params
    station = await store.desk_station(request.user, _int(qp.get("station")))
    day = _day(qp.get("day"))
    return page(request, "reception/grid.html", station=station, day=day, text="", errors={}, message=None,
                drafts=await desk.day_visits(station["id"], day, drafts=True),
                categories=[c for c in await categories_for(station["id"]) if c["active"]], done=qp.get("done", ""))


@post("/reception/grid", guards=[signed_in])
async def grid_submit(request: Request) -> Any:
    need(request.user, write=True)
    form = _form(await request.form())
    station_id = _int(form.get("station"))
    try:
        made = await grid.import_paste(request.user, station_id, form.get("text", ""), form.get("day") or None,
                                       ip=client_ip(request))
    except (Invalid, Conflict) as e:
        _ = translator(locale_of(request))
        station = await store.desk_station(request.user, station_id)
        day = _day(form.get("day"))
        return page(request, "reception/grid.html", status_code=e.status, station=station, day=day,
                    text=form.get("text", ""), errors={k: _(v) for k, v in e.errors.items()}, message=_(e.message),
                    drafts=await desk.day_visits(station["id"], day, drafts=True),
                    categories=[c for c in await categories_for(station["id"]) if c["active"]], done="")
    q = urlencode({"station": station_id or "", "day": form.get("day") or "", "done": made["created"]})
    return Redirect(f"/reception/grid?{q}", status_code=303)


# ---------------------------------------------------------------- roster and schedule

async def _roster_context(request: Request, station_id: int | None) -> dict:
    principal: Principal = request.user
    station = await store.desk_station(principal, station_id)
    from council.accounts.tables import User, UserStation
    from council.reception.tables import ReceptionException, RosterSwap

    start = today()
    setting = await store.setting_for(station["id"])
    members = await store.members_for(station["id"])
    names = {m["id"]: m["name"] for m in await store.members_for(station["id"], active_only=False)}
    staff_ids = [r["user"] for r in await UserStation.select(UserStation.user).where(UserStation.station == station["id"])]
    return dict(
        station=station, setting=setting, members=members, names=names,
        weeks=await store.duty_weeks(station["id"], start, 8),
        occurrences=await store.occurrences(station, start, start + dt.timedelta(days=62)),
        exceptions=await ReceptionException.select().where(ReceptionException.station == station["id"]).order_by(
            ReceptionException.day),
        swaps=await RosterSwap.select().where(RosterSwap.station == station["id"]).order_by(RosterSwap.id, ascending=False).limit(30),
        staff=await User.select(User.id, User.display_name, User.username).where(User.id.is_in(staff_ids or [-1])),
        rooms=await Room.select(Room.id, Room.name).where(Room.station == station["id"]),
        room=await store.reception_room(station["id"], setting), weekdays=WEEKDAYS,
        exception_kinds=schedule.KINDS, manage=permissions.can_write(principal.role, "reception_admin"),
        errors={}, message=None, values={},
    )


@get("/reception/roster", guards=[signed_in])
async def roster_page(request: Request) -> Any:
    need(request.user)
    return page(request, "reception/roster.html", **await _roster_context(request, _int(request.query_params.get("station"))))


ROSTER_ACTIONS = {"member", "remove", "swap", "approve", "refuse", "exception", "unexception", "settings"}
SECRETARIAT_ACTIONS = ROSTER_ACTIONS - {"swap"}


@post("/reception/roster/{action:str}", guards=[signed_in])
async def roster_action(request: Request, action: FromPath[str]) -> Any:
    need(request.user, write=True)
    if action not in ROSTER_ACTIONS:
        raise NotFound()
    if action in SECRETARIAT_ACTIONS:
        need(request.user, "reception_admin", write=True)
    form = _form(await request.form())
    principal, ip = request.user, client_ip(request)
    station_id = _int(form.get("station"))
    try:
        if station_id is None:
            raise Invalid("Please correct the marked fields.", errors={"station": "This field is required."})
        if action == "member":
            await rota.add_member(principal, station_id, {k: v for k, v in form.items() if k in ("user", "person", "name") and v})
        elif action == "remove":
            await rota.remove_member(principal, _int(form.get("id")) or -1, ip)
        elif action == "swap":
            await rota.request_swap(principal, station_id, {k: v for k, v in form.items()
                                                            if k in ("week", "out_member", "in_member", "return_week", "reason") and v}, ip)
        elif action in ("approve", "refuse"):
            await rota.decide_swap(principal, _int(form.get("id")) or -1, action == "approve", form.get("version"), ip)
        elif action == "exception":
            await rota.add_exception(principal, station_id, {k: v for k, v in form.items()
                                                             if k in ("day", "kind", "moved_to", "start_time", "end_time", "note") and v}, ip)
        elif action == "unexception":
            await rota.remove_exception(principal, _int(form.get("id")) or -1, ip)
        else:
            await rota.save_settings(principal, station_id, {k: v for k, v in form.items()
                                                             if k in ("room", "roster_anchor", "per_week", "version") and v}, ip)
    except (Invalid, Conflict) as e:
        _ = translator(locale_of(request))
        ctx = await _roster_context(request, station_id)
        ctx.update(errors={k: _(v) for k, v in e.errors.items()}, message=_(e.message), values=form)
        return page(request, "reception/roster.html", status_code=e.status, **ctx)
    return Redirect(f"/reception/roster?station={station_id}", status_code=303)


# ---------------------------------------------------------------- reports

@get("/reception/report", guards=[signed_in])
async def report_page(request: Request) -> Any:
    need(request.user)
    qp = request.query_params
    ctx = await reports.day_report(request.user, _int(qp.get("station")), _day(qp.get("day")))
    return page(request, "reception/report.html", r=ctx, weekdays=WEEKDAYS)


@get("/reception/report.pdf", guards=[signed_in])
async def report_pdf(request: Request) -> Response:
    need(request.user)
    qp = request.query_params
    day = _day(qp.get("day"))
    content = await reports.day_pdf(request.user, _int(qp.get("station")), day, ip=client_ip(request))
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="reception-{day.isoformat()}.pdf"'})


@get("/reception/totals", guards=[signed_in])
async def totals_page(request: Request) -> Any:
    need(request.user)
    qp = request.query_params
    kind = qp.get("period", "month")
    if kind not in dict(report.PERIODS):
        kind = "month"
    ctx = await reports.period_totals(request.user, _int(qp.get("station")), kind, _day(qp.get("day")))
    return page(request, "reception/totals.html", t=ctx, periods=report.PERIODS)


PAGE_ROUTES: list = [desk_page, visitors_fragment, estates_fragment, log_visit_page, visit_action, grid_page, grid_submit, roster_page,
                     roster_action, report_page, report_pdf, totals_page]
API_ROUTES: list = []
