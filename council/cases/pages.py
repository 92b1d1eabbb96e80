"""The case pages: the list and its exports, intake, the case page with a form for each thing
possible now, the inbox, "my tasks", the overdue list and the station dashboard.

Handlers stay thin: parse the form, call a use case (which validates, checks role and station,
writes and audits in one transaction), then redirect. When a use case refuses, the case page
(or the intake form) is drawn again with the refused form open, its fields marked, the
message in the reader's language and the status of the refusal (422, 409 or 403); nothing
has changed.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council import db
from council.accounts import permissions
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.cases import (
    attachments, decision, detail, export, intake, policy, proposal_steps, proposals, queries, request_loop, requests, timeline,
    worklists,
)
from council.cases.calendar_store import categories_for, today
from council.cases.overdue import case_overdue, task_overdue
from council.cases.chart import month_chart
from council.cases import street_pages
from council.cases.common import load_case, view_of
from council.cases.queries import CaseFilter
from council.cases.tables import StationCategory
from council.cases.vocabulary import (
    CHANNELS, FUNDING_SOURCES, KINDS, PRIORITIES, RATINGS, STANCES, TASK_STATUSES,
)
from council.web.downloads import serve_upload
from council.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, OutOfScope
from council.core.localtime import local_time
from council.parties.tables import Organisation
from council.people.tables import Person
from council.places.tables import Building, Estate, Unit
from council.privacy import mask_phone
from council.stations.tables import Station, StationEstate
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator

FIX = "Please correct the marked fields."


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; templates translate it when they show it."""
    return msgid


# ---------------------------------------------------------------- words shown for codes

STATE_LABELS = {
    "propose": N_("Propose (民事民提)"), "discuss": N_("Discuss (民事民议)"), "act": N_("Act (民事民办)"),
    "fund": N_("Fund (民事民筹)"), "decide": N_("Decide (民事民决)"), "evaluate": N_("Evaluate (民事民评)"),
    "closed": N_("Closed"), "rejected": N_("Rejected"), "answered": N_("Answered on the spot"),
    "registered": N_("Registered"), "dispatched": N_("Dispatched"), "handling": N_("Being handled"),
    "reported": N_("Reported back"), "rated": N_("Rated"), "converted": N_("Converted to a proposal"),
    # A dispute (council.mediation.machine): registered as above, then these.
    "consent": N_("Seeking consent"), "mediating": N_("Mediating"), "settled": N_("Settled"),
    "not_settled": N_("Not settled"), "withdrawn": N_("Withdrawn"), "terminated": N_("Terminated"),
    "refused": N_("Refused by a party"),
}
# Short names for the progress bar, where six steps share a phone's width.
STEP_SHORT = {
    "propose": N_("Propose"), "discuss": N_("Discuss"), "act": N_("Act"), "fund": N_("Fund"),
    "decide": N_("Decide"), "evaluate": N_("Evaluate"),
    "registered": N_("Register"), "dispatched": N_("Dispatch"), "handling": N_("Handle"),
    "reported": N_("Report back"), "closed": N_("Close"), "rated": N_("Rate"),
}
LOOP = ("registered", "dispatched", "handling", "reported", "closed", "rated")
PROPOSAL_MOVES = {
    "accept": N_("Accept for consultation"), "reject": N_("Reject"), "answer": N_("Answer on the spot"),
    "choose_option": N_("Go on with the preferred option"), "complete_plan": N_("Plan complete: go to funding"),
    "decide_funding": N_("Funding settled: go to the vote"), "record_vote": N_("Record the vote"),
    "record_evaluation": N_("Conclude the evaluation"), "skip": N_("Skip this step"),
    "skip_vote": N_("Skip the vote: this matter needs no residents' vote"),
}
REQUEST_MOVES = {
    "dispatch": N_("Dispatch"), "accept": N_("Accept the case"), "send_back": N_("Send back"),
    "report": N_("Report back"), "reject_report": N_("Not done: back to handling"),
    "close": N_("Verify and close"), "rate": N_("Rate"), "convert": N_("Convert to a proposal"),
}
EVENT_LABELS = {
    "created": N_("Case registered"), "note": N_("Progress note"), "chased": N_("Chased (督单)"),
    "escalated": N_("Escalated (提级办)"), "opinion": N_("Opinion"), "option": N_("Option added"), "notified": N_("Notification"), "session_confirmed": N_("Session time confirmed by the party"),
    "option_preferred": N_("Preferred option chosen"), "task": N_("Task added"), "task_progress": N_("Task progress"),
    "task_cancelled": N_("Task cancelled"), "deadline_moved": N_("Deadline moved by the holiday calendar"),
    "budget_line": N_("Budget line added"), "funding_source": N_("Funding source added"),
    "budget_line_changed": N_("Budget line corrected"), "budget_line_removed": N_("Budget line removed"),
    "funding_source_changed": N_("Funding source corrected"), "funding_source_removed": N_("Funding source removed"),
    "funding_not_needed": N_("Funding decision"), "pledge": N_("Household pledge"), "rating": N_("Rating"),
    "vote_linked": N_("Vote recorded"), "extension_requested": N_("Extension requested"),
    # A vote on the proposal (council.votes): the vote and its result are in the event's data.
    "vote_created": N_("Vote created"), "vote_opened": N_("Vote opened"), "vote_closed": N_("Vote closed"),
    "extension_approved": N_("Extension approved"), "extension_refused": N_("Extension refused"),
    "converted": N_("Converted to a proposal"), "attachment": N_("File attached"),
    "meeting": N_("Meeting"),  # on a meeting's agenda, moved, minutes approved (council.meetings)
}
# A dispute's history, written by council.mediation (store.history) as "mediation.<what>".
EVENT_LABELS.update({f"mediation.{k}": v for k, v in {
    "registered": N_("Dispute registered"), "details": N_("Details changed"), "party_added": N_("Party added"),
    "party_changed": N_("Party changed"), "consent": N_("Consent recorded"), "notice": N_("Rights and duties notice"),
    "mediator": N_("Mediator assigned"), "mediator_removed": N_("Mediator removed"), "escalated": N_("Escalated"),
    "session_scheduled": N_("Session scheduled"), "session_moved": N_("Session moved"),
    "session_cancelled": N_("Session cancelled"), "session_recorded": N_("Session recorded"),
    "agreement_drafted": N_("Agreement drafted"), "agreement_changed": N_("Agreement changed"),
    "obligation_added": N_("Term added"), "obligation_removed": N_("Term removed"), "signed": N_("Signed"),
    "agreement_effective": N_("Agreement took effect"), "performance": N_("Performance recorded"),
    "followup": N_("Follow-up visit"), "confirmation_applied": N_("Judicial confirmation applied for"),
    "confirmation_ruling": N_("Court ruling"), "seek_consent": N_("Ask the parties for consent"),
    "start": N_("Start mediation"), "refuse": N_("Stop: a party refuses"), "settle": N_("Settled: close the file"),
    "not_settle": N_("Not settled: refer the parties"), "withdraw": N_("Withdrawn"), "terminate": N_("Terminate"),
}.items()})
ESCALATION_LABELS = {"street": N_("Street level"), "district": N_("District level")}
EXTENSION_LABELS = {"pending": N_("Waiting for a decision"), "approved": N_("Approved"), "refused": N_("Refused")}
VOTE_RESULTS = decision.RESULTS  # passed / failed / unvoted (未经表决)
# Refusals that are about one field of the form: mark that field.
REFUSAL_FIELD = {
    "Give a reason for this action.": "reason",
    "Choose the organisation to dispatch to.": "organisation",
    "Write what was done before reporting back.": "report",
    "Choose a rating.": "rating",
}
SATISFACTION_DEFINITION = N_("Satisfaction rate = (satisfied + basically satisfied) / all ratings")


def event_label(kind: str) -> str:
    if kind.startswith("proposal."):
        return PROPOSAL_MOVES.get(kind[9:], kind)
    if kind.startswith("request."):
        return REQUEST_MOVES.get(kind[8:], kind)
    return EVENT_LABELS.get(kind, kind)


def need(principal: Principal, key: str) -> None:
    if not permissions.can_read(principal.role, key):
        raise Forbidden()


def _int(raw: Any) -> int | None:
    from council.core.reading import bounded_int

    return bounded_int(raw) if isinstance(raw, str) else None


def _choice_id(form: dict, name: str, *, required: bool = False) -> int | None:
    """An id picked from a select: empty is None, anything else must be a number."""
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            raise Invalid(FIX, errors={name: "This field is required."})
        return None
    if not raw.isdigit():
        raise Invalid(FIX, errors={name: "Choose one of the listed options."})
    return int(raw)


# ---------------------------------------------------------------- shared look-ups

async def visible_organisations(community: int | None) -> list[dict]:
    """Organisations a case of this community can work with: its own, and the shared departments."""
    where = Organisation.community.is_null()
    if community is not None:
        where = where | (Organisation.community == community)
    return await Organisation.select(Organisation.id, Organisation.name, Organisation.kind).where(where).order_by(
        Organisation.kind, Organisation.name)


async def _organisation_for(form: dict, name: str, community: int) -> int | None:
    org_id = _choice_id(form, name)
    if org_id is not None and org_id not in {o["id"] for o in await visible_organisations(community)}:
        raise Invalid(FIX, errors={name: "Choose one of the listed options."})
    return org_id


async def stations_for(principal: Principal) -> list[dict]:
    query = Station.select(Station.id, Station.name, Station.community).order_by(Station.id)
    if principal.role == Role.resident:
        query = query.where(Station.community.is_in(list(principal.community_ids) or [-1]))
    elif not principal.is_admin:
        query = query.where(Station.id.is_in(list(principal.station_ids) or [-1]))
    return await query


async def category_labels(station_ids: list[int]) -> dict[str, str]:
    """code → label (a msgid for the default categories, the station's own words otherwise)."""
    labels: dict[str, str] = {}
    if station_ids:
        for r in await StationCategory.select(StationCategory.code, StationCategory.label).where(
                StationCategory.station.is_in(station_ids)).order_by(StationCategory.position):
            labels.setdefault(r["code"], r["label"])
    return labels


async def served_estates(station_ids: list[int]) -> list[dict]:
    if not station_ids:
        return []
    ids = [r["estate"] for r in await StationEstate.select(StationEstate.estate).where(
        StationEstate.station.is_in(station_ids))]
    return await Estate.select(Estate.id, Estate.name).where(Estate.id.is_in(ids or [-1])).order_by(Estate.name)


# ---------------------------------------------------------------- the list, overdue, exports

def case_filter(request: Request, **fixed: Any) -> CaseFilter:
    q = request.query_params
    return CaseFilter(
        state=q.get("state", "").strip()[:20], kind=q.get("kind", "").strip()[:20],
        category=q.get("category", "").strip()[:40], channel=q.get("channel", "").strip()[:30],
        estate=_int(q.get("estate")), organisation=_int(q.get("organisation")), station=_int(q.get("station")),
        overdue=q.get("overdue") in ("1", "on", "true"), q=q.get("q", "").strip()[:100],
        mine=q.get("mine") in ("1", "on", "true"), page=max(_int(q.get("page")) or 1, 1),
        received_from=_day(q.get("received_from")), received_to=_day(q.get("received_to")),
        community=_int(q.get("community")), done=q.get("done") in ("1", "on", "true"),
        open=q.get("open") in ("1", "on", "true"), on_time=q.get("on_time") in ("1", "on", "true"),
        rated=q.get("rated", "") if q.get("rated", "") in ("any", "good") else "",
        closed_from=_day(q.get("closed_from")), closed_to=_day(q.get("closed_to")), **fixed,
    )


def _drill_items(f: CaseFilter) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    if not f.drill_down():
        return []
    return parse_qsl(filter_query(f, q="", state="", kind="", category="", channel="", estate=None, organisation=None,
                                  station=None, overdue="", mine=""))


def _day(raw: str | None) -> dt.date | None:
    """A YYYY-MM-DD day from a query string, or None (a malformed one is ignored, as other filters are)."""
    try:
        return dt.date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


def filter_query(f: CaseFilter, **override: Any) -> str:
    """The filter as a query string (without the page unless given), for pager and export links."""
    values = {"state": f.state, "kind": f.kind, "category": f.category, "channel": f.channel, "estate": f.estate,
              "organisation": f.organisation, "station": f.station, "overdue": "1" if f.overdue else "", "q": f.q,
              "mine": "1" if f.mine else "", "received_from": f.received_from or "", "received_to": f.received_to or "",
              "community": f.community, "done": "1" if f.done else "", "open": "1" if f.open else "",
              "on_time": "1" if f.on_time else "", "rated": f.rated, "closed_from": f.closed_from or "",
              "closed_to": f.closed_to or "", **override}
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


# The filters' choices change when a register does (a new estate, an organisation renamed), rarely
# and never mid-task; the list is the most requested page. Kept per scope for a few seconds —
# the principal cache's lifetime —, so a page asked for many times a second reads them once.
_OPTIONS_SECONDS = 5.0
_options_cache: dict[tuple, tuple[float, tuple]] = {}


async def _list_options(principal: Principal) -> tuple[list[dict], list[dict], dict[str, str], list[dict]]:
    import time

    from council.core import registry

    key = (registry.generation, principal.role, principal.is_admin, principal.station_ids, principal.community_ids)
    now = time.monotonic()
    hit = _options_cache.get(key)
    if hit is not None and now - hit[0] < _OPTIONS_SECONDS:
        return hit[1]
    options = await _read_list_options(principal)
    if len(_options_cache) > 1000:  # many scopes (officers, residents): start again rather than grow
        _options_cache.clear()
    _options_cache[key] = (now, options)
    return options


async def _read_list_options(principal: Principal) -> tuple[list[dict], list[dict], dict[str, str], list[dict]]:
    """What the list's filters offer — the principal's stations, the organisations, the stations'
    categories and served estates — in one statement (what stations_for, the organisations query,
    category_labels and served_estates return, in their order): one round trip instead of five."""
    args: list = []
    if principal.role == Role.resident:
        stations_where = db.in_list('"community"', principal.community_ids, args)
    elif not principal.is_admin:
        stations_where = db.in_list('"id"', principal.station_ids, args)
    else:
        stations_where = "1 = 1"
    station_args = list(args)
    communities = list(principal.community_ids) if not principal.is_admin else None
    if communities is not None:
        orgs_where = '"community" IS NULL OR ' + db.in_list('"community"', communities, args)
    else:
        orgs_where = '"id" > 0'
    args += station_args + station_args
    stations_sub = f'SELECT "id" FROM "station" WHERE {stations_where}'
    rows = await db.fetch(
        f'SELECT \'s\' AS t, "id", "name", \'\' AS code, ROW_NUMBER() OVER (ORDER BY "id") AS k, "community" AS extra '
        f'FROM "station" WHERE {stations_where} '
        f'UNION ALL SELECT \'o\', "id", "name", \'\', ROW_NUMBER() OVER (ORDER BY "name"), 0 '
        f'FROM "organisation" WHERE {orgs_where} '
        f'UNION ALL SELECT \'c\', "id", "label", "code", ROW_NUMBER() OVER (ORDER BY "position"), 0 '
        f'FROM "station_category" WHERE "station" IN ({stations_sub}) '
        f'UNION ALL SELECT \'e\', "id", "name", \'\', ROW_NUMBER() OVER (ORDER BY "name"), 0 '
        f'FROM "estate" WHERE "id" IN (SELECT "estate" FROM "station_estate" WHERE "station" IN ({stations_sub}))',
        *args)
    rows.sort(key=lambda r: (r["t"], r["k"]))
    stations = [{"id": r["id"], "name": r["name"], "community": r["extra"]} for r in rows if r["t"] == "s"]
    organisations = [{"id": r["id"], "name": r["name"]} for r in rows if r["t"] == "o"]
    categories: dict[str, str] = {}
    for r in rows:
        if r["t"] == "c":
            categories.setdefault(r["code"], r["name"])
    estates = [{"id": r["id"], "name": r["name"]} for r in rows if r["t"] == "e"]
    return stations, organisations, categories, estates


async def _list_context(request: Request, f: CaseFilter) -> dict:
    principal: Principal = request.user
    rows, total = await queries.list_cases(principal, f)
    stations, organisations, categories, estates = await _list_options(principal)
    today_ = today()
    for r in rows:
        r["overdue"] = case_overdue(r["kind"], r["state"], r["due_date"], today_)
        r["progress"] = case_progress(r["kind"], r["state"])
    return dict(
        rows=rows, total=total, f=f, pages=max(1, -(-total // queries.PER_PAGE)),
        qs=filter_query(f), categories=categories,
        estates=estates if principal.role != Role.department_liaison else [],
        organisations=organisations if principal.role != Role.resident else [],
        stations=stations if len(stations) > 1 else [],
        can_register=principal.role not in (Role.department_liaison, Role.street_officer, Role.district_officer),
        # The overview's drill-down filters, kept through the list's own forms.
        drill=_drill_items(f),
        can_export=principal.role != Role.resident,
    )


@functools.lru_cache(maxsize=8)
def _filter_options(locale: str) -> tuple[tuple, tuple, tuple]:
    """The list's state, kind and channel choices as (code, translated label), once per language."""
    _ = translator(locale)
    return (tuple((c, _(label)) for c, label in STATE_LABELS.items()), tuple((c, _(label)) for c, label in KINDS),
            tuple((c, _(label)) for c, label in CHANNELS))


def _list_page(request: Request, ctx: dict, *, title: str, action: str, status_code: int = 200) -> Any:
    state_options, kind_options, channel_options = _filter_options(locale_of(request))
    return page(request, "cases/list.html", status_code=status_code, title=title, action=action,
                state_options=state_options, kind_options=kind_options, channel_options=channel_options,
                state_labels=STATE_LABELS, kinds=KINDS, kind_labels=dict(KINDS), channels=CHANNELS, priorities=dict(PRIORITIES),
                escalations=ESCALATION_LABELS, step_short=STEP_SHORT, drill_labels=DRILL_LABELS, **ctx)


DRILL_LABELS = {
    "received_from": N_("received from"), "received_to": N_("received until"), "community": N_("community no."),
    "done": N_("done"), "open": N_("in progress"), "on_time": N_("done on time"), "rated": N_("rated"),
    "any": N_("any rating"), "good": N_("satisfied or basically satisfied"),
    "closed_from": N_("closed from"), "closed_to": N_("closed until"),
}


@get("/cases", guards=[signed_in])
async def case_list(request: Request) -> Any:
    need(request.user, "case")
    ctx = await _list_context(request, case_filter(request))
    return _list_page(request, ctx, title=N_("Cases"), action="/cases")


@get("/cases/overdue", guards=[signed_in])
async def overdue_list(request: Request) -> Any:
    need(request.user, "case_task")  # staff and liaisons; residents have no deadlines to chase
    f = case_filter(request)
    f.overdue = True
    ctx = await _list_context(request, f)
    return _list_page(request, ctx, title=N_("Overdue cases"), action="/cases/overdue")


async def _export(request: Request, fmt: str) -> Response:
    principal: Principal = request.user
    need(principal, "case")
    if principal.role == Role.resident:
        raise Forbidden()
    f = case_filter(request)
    content, media_type = await export.export_cases(principal, f, fmt, translator(locale_of(request)),
                                                    ip=client_ip(request))
    name = f"cases-{today().isoformat()}.{fmt}"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@get("/cases/export.csv", guards=[signed_in])
async def export_csv(request: Request) -> Response:
    return await _export(request, "csv")


@get("/cases/export.xlsx", guards=[signed_in])
async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


# ---------------------------------------------------------------- intake

INTAKE_FIELDS = ("kind", "title", "description", "category", "channel", "estate", "building", "reporter",
                 "contact_consent", "priority")


async def _people(principal: Principal, community: int, q: str, chosen: int | None, ip: str = "") -> list[tuple[int, str]]:
    """Residents matching a name, or a phone as council.core.search allows; the phone stays masked."""
    from council.core import search

    q = q.strip()
    rows: list[dict] = []
    base = (Person.community == community) & Person.anonymised_at.is_null()
    if q:
        match = await search.person_clause(principal, Person.name, Person.phone, q, ip=ip)
        rows = await Person.select(Person.id, Person.name, Person.phone).where(base & match).order_by(
            Person.name).limit(50)
    if chosen and chosen not in {r["id"] for r in rows}:
        rows += await Person.select(Person.id, Person.name, Person.phone).where(base & (Person.id == chosen))
    return [(r["id"], f'{r["name"]} · {mask_phone(r["phone"])}' if r["phone"] else r["name"]) for r in rows]


async def _intake_context(request: Request, values: dict) -> dict:
    principal: Principal = request.user
    stations = await stations_for(principal)
    if not stations:
        raise Forbidden("You are not assigned to a station.")
    wanted = _int(values.get("station")) or _int(request.query_params.get("station"))
    station = next((s for s in stations if s["id"] == wanted), stations[0])
    kinds = [(k, label) for k, label in KINDS if policy.can_register(principal, station["id"], k)]
    if not kinds:
        raise Forbidden()
    categories = [c for c in await categories_for(station["id"]) if c["active"]]
    estates = await served_estates([station["id"]])
    buildings = await Building.select(Building.id, Building.number, Building.estate.name.as_alias("estate_name")).where(
        Building.estate.is_in([e["id"] for e in estates] or [-1])).order_by(Building.estate, Building.id)
    q = request.query_params.get("q", "") or values.get("q", "")
    staff = principal.role != Role.resident
    return dict(
        station=station, stations=stations if len(stations) > 1 and staff else [], kinds=kinds,
        categories=categories, channels=CHANNELS, priorities=PRIORITIES, estates=estates, buildings=buildings,
        people=await _people(principal, station["community"], q, _int(values.get("reporter")),
                             ip=client_ip(request)) if staff else [],
        q=q, staff=staff,
    )


@get("/cases/new", guards=[signed_in])
async def intake_form(request: Request) -> Any:
    values = {k: v for k, v in request.query_params.items() if k in (*INTAKE_FIELDS, "title", "unit_number")}
    values.setdefault("channel", "reception_day")
    values.setdefault("priority", "normal")
    sent = request.query_params.get("sent", "")[:40]
    message = translator(locale_of(request))("Dispute %(number)s registered and handed over to the mediators.",
                                              number=sent) if sent else None
    return page(request, "cases/new.html", values=values, errors={}, message=message,
                **await _intake_context(request, values))


async def _unit_for(estate: int | None, number: str) -> int | None:
    """The unit typed as its number (e.g. 3-1502), looked up within the chosen estate."""
    number = number.strip()
    if not number:
        return None
    if estate is None:
        raise Invalid(FIX, errors={"unit_number": "Choose the estate first."})
    row = await Unit.select(Unit.id).where((Unit.estate == estate) & (Unit.number == number)).first()
    if row is None:
        raise Invalid(FIX, errors={"unit_number": "No unit with this number in the estate."})
    return row["id"]


# Ten phone photos of a few MB each; attachments.check_file still limits each file to 10 MB.
UPLOAD_BODY_LIMIT = 64 * 1024 * 1024


@post("/cases/new", guards=[signed_in], request_max_body_size=UPLOAD_BODY_LIMIT)
async def intake_submit(request: Request) -> Any:
    raw_form = await request.form()
    uploads = [u for u in raw_form.getall("files") if hasattr(u, "read") and u.filename] if "files" in raw_form else []
    form = {k: v for k, v in raw_form.items() if not hasattr(v, "read")}
    principal: Principal = request.user
    data: dict[str, Any] = {k: form.get(k, "") for k in INTAKE_FIELDS if k in form}
    data["contact_consent"] = form.get("contact_consent") == "1"
    if form.get("station"):
        data["station"] = form["station"]
    if principal.role == Role.resident:
        for k in ("channel", "reporter", "contact_consent", "station"):
            data.pop(k, None)
    if form.get("find"):  # looking up the reporter: draw the form again with what was typed
        return page(request, "cases/new.html", values=form, errors={}, message=None,
                    **await _intake_context(request, form))
    try:
        data["unit"] = await _unit_for(_int(form.get("estate")), form.get("unit_number", ""))
        files = [(u.filename, await u.read(attachments.MAX_BYTES + 1)) for u in uploads]
        made = await intake.register_case(principal, data, ip=client_ip(request), files=files,
                                          upload_dir=request.app.state.settings.upload_dir)
    except (Invalid, Conflict, Forbidden) as e:
        _ = translator(locale_of(request))
        return page(request, "cases/new.html", status_code=e.status, values=form,
                    errors={k: _(v) for k, v in e.errors.items()}, message=_(e.message),
                    **await _intake_context(request, form))
    if data.get("kind") == "dispute" and not policy.can_read_disputes(principal):
        # A grid worker who found a dispute hands it over; its page is the mediators' (policy).
        return Redirect(f"/cases/new?sent={made['number']}", status_code=303)
    return Redirect(f"/cases/{made['id']}?done=created", status_code=303)


# ---------------------------------------------------------------- the case page

def _moves_now(d: dict, facts) -> tuple[list[str], dict[str, str]]:
    """Proposal moves from the current step: those possible, and why the others are not yet."""
    possible, blocked = [], {}
    for name, move in proposal_steps.MACHINE.moves.items():
        # The vote's own moves have their own forms in the decide section.
        if d["state"] not in move.sources or name in ("record_vote", "skip_vote"):
            continue
        try:
            proposal_steps.MACHINE.apply(d["state"], name, facts, reason="(check)")
            possible.append(name)
        except Exception as e:  # MoveRefused: its message says what is missing
            blocked[name] = getattr(e, "message", str(e))
    return possible, blocked


def progress(stages: tuple[str, ...], state: str, *, finished: bool) -> list[tuple[str, str]]:
    """Each stage with "done", "now" or "" for the progress bar; an early end leaves it unfilled."""
    if finished:
        return [(s, "done") for s in stages]
    here = stages.index(state) if state in stages else -1
    return [(s, "done" if i < here else "now" if i == here else "") for i, s in enumerate(stages)]


def case_progress(kind: str, state: str) -> list[tuple[str, str]]:
    """A proposal's six steps or a request's closed loop, marked for where this case is (the case
    page, the case lists and the home page draw it with one macro, templates/cases/_steps.html).
    Other kinds have none; a case that ended before its first step (rejected, answered on the spot,
    converted) has nothing marked."""
    if kind == "proposal":
        return progress(proposal_steps.STEPS, state, finished=state == "closed")
    if kind == "request":
        return progress(LOOP, state, finished=state == "rated")
    return []


async def _units_for_case(row: dict) -> list[tuple[int, str]]:
    query = Unit.select(Unit.id, Unit.number, Unit.estate.name.as_alias("estate_name"))
    where = (Unit.estate == row["estate"]) if row["estate"] else (Unit.community == row["community"])
    rows = await query.where(where).order_by(Unit.estate, Unit.number).limit(3000)
    return [(r["id"], f'{r["estate_name"]} {r["number"]}') for r in rows]


async def case_context(principal: Principal, case_id: int) -> dict:
    d = await detail.case_detail(principal, case_id)  # NotFound / Forbidden first
    view = view_of(d)
    perms = dict(
        steer=policy.can_steer(principal, view), follow_up=policy.can_follow_up(principal, view),
        handle=policy.can_handle(principal, view), opinion=policy.can_give_opinion(principal, view),
        rate=policy.can_rate(principal, view), attach=attachments.can_attach(principal, d),
        # 督办 / 提级办: the secretariat, or the street / district officer above the station.
        chase=policy.can_chase(principal, view), above=policy.chases_from_above(principal),
        # A liaison updates the tasks assigned to their organisation, and only those.
        task_org=principal.organisation_id if principal.role == Role.department_liaison else None,
    )
    events = await timeline.case_timeline(case_id)  # case_detail has checked the reader
    organisations = await visible_organisations(d["community"])
    org_names = {o["id"]: o["name"] for o in organisations}
    station = await Station.select(Station.name).where(Station.id == d["station"]).first()
    ctx: dict[str, Any] = dict(
        c=d, perms=perms, events=events, organisations=organisations, org_names=org_names,
        station_name=station["name"] if station else "", categories=await category_labels([d["station"]]),
        open=d["state"] in queries.OPEN_STATES, possible=[], blocked={}, units=[],
    )
    if d["kind"] == "proposal":
        from council.cases.common import proposal_facts

        ctx["possible"], ctx["blocked"] = _moves_now(d, d["proposal_facts"] or await proposal_facts(case_id, d))
        from council.votes.queries import case_votes

        ctx["vote_panel"] = await case_votes(principal, d)  # the decide step's votes, "Start a vote"
        ctx["progress"] = case_progress(d["kind"], d["state"])
        if d["state"] in ("fund", "evaluate") and (perms["follow_up"] or perms["rate"]):
            ctx["units"] = await _units_for_case(d)
    elif d["kind"] == "request":
        ctx["progress"] = case_progress(d["kind"], d["state"])
        ctx["pending_extension"] = next((e for e in d["extensions"] if e["status"] == "pending"), None)
    else:
        ctx["progress"] = []
    if d["kind"] == "dispute":
        from council.mediation.queries import case_link

        ctx["mediation"] = await case_link(principal, d)  # its file, or "open the file"; None: not theirs
    return ctx


async def render_case(request: Request, case_id: int, *, status_code: int = 200, form: str = "",
                      errors: dict | None = None, message: str | None = None, values: dict | None = None) -> Any:
    ctx = await case_context(request.user, case_id)
    return page(
        request, "cases/detail.html", status_code=status_code, form=form, errors=errors or {}, message=message,
        values=values or {}, done=request.query_params.get("done", "") if status_code == 200 else "",
        state_labels=STATE_LABELS, step_short=STEP_SHORT, proposal_moves=PROPOSAL_MOVES, request_moves=REQUEST_MOVES,
        event_label=event_label, local_time=local_time, kinds=dict(KINDS), channels=dict(CHANNELS),
        priorities=dict(PRIORITIES), stances=STANCES, stance_labels=dict(STANCES),
        funding_sources=FUNDING_SOURCES, funding_labels=dict(FUNDING_SOURCES), ratings=RATINGS,
        rating_labels=dict(RATINGS), task_statuses=TASK_STATUSES, task_labels=dict(TASK_STATUSES),
        vote_results=VOTE_RESULTS, extension_labels=EXTENSION_LABELS, escalations=ESCALATION_LABELS, satisfaction_definition=SATISFACTION_DEFINITION,
        needs_reason={n for n, m in proposal_steps.MACHINE.moves.items() if m.needs_reason},
        **ctx,
    )


@get("/cases/{case_id:int}", guards=[signed_in])
async def case_page(request: Request, case_id: FromPath[int]) -> Any:
    return await render_case(request, case_id)


# Each form on the case page posts to /cases/{id}/do/{what}; these call the use cases.
Action = Callable[[Principal, int, dict, str], Awaitable[Any]]


async def _community_of(principal: Principal, case_id: int) -> int:
    return (await load_case(principal, case_id))["community"]  # NotFound / Forbidden before any check


async def _opinion(p, cid, f, ip):
    org = await _organisation_for(f, "organisation", await _community_of(p, cid))
    return await proposals.add_opinion(p, cid, stance=f.get("stance", ""), text=f.get("text", ""),
                                       organisation=org, ip=ip)


async def _task(p, cid, f, ip):
    org = await _organisation_for(f, "organisation", await _community_of(p, cid))
    return await proposals.add_task(p, cid, what=f.get("what", ""), organisation=org,
                                    responsible=f.get("responsible", ""), due=f.get("due_date") or None, ip=ip)


async def _task_status(p, cid, f, ip):
    return await proposals.update_task(p, cid, _choice_id(f, "task", required=True), status=f.get("status", ""),
                                       note=f.get("note", ""), evidence=f.get("evidence", ""),
                                       version=_int(f.get("task_version")), ip=ip)


async def _loop(p, cid, f, ip):
    move = f.get("move", "")
    org = await _organisation_for(f, "organisation", await _community_of(p, cid)) if move == "dispatch" else None
    after = await requests.move_request(p, cid, move, reason=f.get("reason", ""), organisation=org,
                                        report=f.get("report", ""), rating=f.get("rating") or None,
                                        comment=f.get("comment", ""), version=f.get("version"), ip=ip)
    if after.get("proposal_id"):
        return f"/cases/{after['proposal_id']}?done=converted"
    return None


async def _extension_decision(p, cid, f, ip):
    return await requests.decide_extension(p, cid, _choice_id(f, "extension", required=True),
                                           approve=f.get("approve") == "1", reason=f.get("reason", ""), ip=ip)


ACTIONS: dict[str, Action] = {
    # proposals
    "move": lambda p, cid, f, ip: proposals.move_proposal(p, cid, f.get("move", ""), reason=f.get("reason", ""),
                                                          no_vote_needed=f.get("no_vote_needed") == "1",
                                                          version=f.get("version"), ip=ip),
    "opinion": _opinion,
    "option": lambda p, cid, f, ip: proposals.add_option(p, cid, title=f.get("title", ""),
                                                         description=f.get("description", ""), ip=ip),
    "prefer": lambda p, cid, f, ip: proposals.prefer_option(p, cid, _choice_id(f, "option", required=True), ip=ip),
    "task": _task,
    "task_status": _task_status,
    "budget": lambda p, cid, f, ip: proposals.add_budget_line(p, cid, item=f.get("item", ""),
                                                              amount=f.get("amount", ""), ip=ip),
    "funding": lambda p, cid, f, ip: proposals.add_funding_source(p, cid, source=f.get("source", ""),
                                                                  amount=f.get("amount", ""),
                                                                  note=f.get("note", ""), ip=ip),
    "no_funding": lambda p, cid, f, ip: proposals.set_funding_not_needed(p, cid, f.get("not_needed") == "1",
                                                                         f.get("reason", ""), ip=ip),
    "pledge": lambda p, cid, f, ip: proposals.add_pledge(p, cid, unit=_choice_id(f, "unit", required=True),
                                                         amount=f.get("amount", ""), ip=ip),
    "vote": lambda p, cid, f, ip: proposals.record_vote(p, cid, vote=f.get("vote", ""), result=f.get("result"),
                                                        version=f.get("version"), ip=ip),
    "rating": lambda p, cid, f, ip: proposals.add_rating(p, cid, rating=f.get("rating", ""),
                                                         unit=_choice_id(f, "unit", required=True),
                                                         comment=f.get("comment", ""), ip=ip),
    # requests
    "loop": _loop,
    "chase": lambda p, cid, f, ip: requests.chase(p, cid, f.get("text", ""), ip=ip),
    "escalate": lambda p, cid, f, ip: requests.escalate(p, cid, f.get("reason", ""), ip=ip),
    "extension": lambda p, cid, f, ip: requests.request_extension(p, cid, f.get("days", ""), f.get("reason", ""),
                                                                  ip=ip),
    "extension_decision": _extension_decision,
    # any case
    "note": lambda p, cid, f, ip: requests.add_note(p, cid, f.get("text", ""), ip=ip),
    # corrections while the fund step is open (council.cases.fund_edits)
    "budget_edit": lambda p, cid, f, ip: _fund_edit(p, cid, f, ip, "budget"),
    "funding_edit": lambda p, cid, f, ip: _fund_edit(p, cid, f, ip, "funding"),
}


async def _fund_edit(p, cid, f, ip, what: str):
    from council.cases import fund_edits

    record = _choice_id(f, "record", required=True)
    remove = f.get("remove") == "1"
    if what == "budget":
        if remove:
            return await fund_edits.remove_budget_line(p, cid, record, ip=ip)
        return await fund_edits.change_budget_line(p, cid, record, item=f.get("item", ""), amount=f.get("amount", ""),
                                                   ip=ip)
    if remove:
        return await fund_edits.remove_funding_source(p, cid, record, ip=ip)
    return await fund_edits.change_funding_source(p, cid, record, source=f.get("source", ""),
                                                  amount=f.get("amount", ""), note=f.get("note", ""), ip=ip)


def _form_key(what: str, form: dict) -> str:
    """Which form on the page failed: moves share one handler, so the move names the form."""
    if what in ("move", "loop"):
        return f"{what}:{form.get('move', '')}"
    if what == "task_status":
        return f"task_status:{form.get('task', '')}"
    return what


@post("/cases/{case_id:int}/do/{what:str}", guards=[signed_in])
async def case_action(request: Request, case_id: FromPath[int], what: FromPath[str]) -> Any:
    action = ACTIONS.get(what)
    if action is None:
        raise NotFound()
    form = dict(await request.form())
    try:
        target = await action(request.user, case_id, form, client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        _ = translator(locale_of(request))
        errors = dict(e.errors)
        if e.message in REFUSAL_FIELD:
            errors.setdefault(REFUSAL_FIELD[e.message], e.message)
        text = _(e.message, **e.params) if e.params else _(e.message)
        return await render_case(request, case_id, status_code=e.status, form=_form_key(what, form),
                                 errors={k: _(v) for k, v in errors.items()}, message=text, values=form)
    return Redirect(target if isinstance(target, str) else f"/cases/{case_id}?done={what}#{what}", status_code=303)


@post("/cases/{case_id:int}/files", guards=[signed_in], request_max_body_size=UPLOAD_BODY_LIMIT)
async def upload_file(request: Request, case_id: FromPath[int]) -> Any:
    form = await request.form()
    upload = form.get("file")
    try:
        if upload is None or not hasattr(upload, "read"):
            raise Invalid(FIX, errors={"file": "This field is required."})
        content = await upload.read(attachments.MAX_BYTES + 1)
        await attachments.add_attachment(request.user, case_id, filename=upload.filename, content=content,
                                         upload_dir=request.app.state.settings.upload_dir, ip=client_ip(request))
    except DomainError as e:
        if isinstance(e, NotFound):
            raise
        _ = translator(locale_of(request))
        return await render_case(request, case_id, status_code=e.status, form="file",
                                 errors={k: _(v) for k, v in e.errors.items()} or {"file": _(e.message)},
                                 message=_(e.message, **e.params) if e.params else _(e.message))
    return Redirect(f"/cases/{case_id}?done=file#files", status_code=303)


@get("/cases/{case_id:int}/files/{attachment_id:int}", guards=[signed_in])
async def download_file(request: Request, case_id: FromPath[int], attachment_id: FromPath[int]) -> Response:
    row, body = await attachments.open_attachment(request.user, case_id, attachment_id,
                                                  request.app.state.settings.upload_dir)
    return serve_upload(body, row["filename"])


# ---------------------------------------------------------------- work lists

@get("/inbox", guards=[signed_in])
async def inbox_page(request: Request) -> Any:
    principal: Principal = request.user
    need(principal, "case_inbox")
    current = max(_int(request.query_params.get("page")) or 1, 1)
    if principal.role == Role.department_liaison:
        rows, total = await worklists.inbox(principal, current)
    else:  # an admin: every request waiting at a department
        rows, total = await queries.list_cases(principal, CaseFilter(state="dispatched", page=current))
    today_ = today()
    for r in rows:
        r["overdue"] = case_overdue(r["kind"], r["state"], r["due_date"], today_)
        r["progress"] = case_progress(r["kind"], r["state"])
    return page(request, "cases/inbox.html", rows=rows, total=total, page_no=current,
                pages=max(1, -(-total // queries.PER_PAGE)), state_labels=STATE_LABELS, kind_labels=dict(KINDS),
                escalations=ESCALATION_LABELS, step_short=STEP_SHORT)


@get("/my/tasks", guards=[signed_in])
async def my_tasks_page(request: Request) -> Any:
    need(request.user, "case_task")
    rows = await worklists.my_tasks(request.user)
    day = today()
    for t in rows:
        t["overdue"] = task_overdue(t["status"], t["due_date"], day)
    return page(request, "cases/tasks.html", rows=rows, today=day, state_labels=STATE_LABELS,
                task_labels=dict(TASK_STATUSES))


# ---------------------------------------------------------------- dashboard

def percent(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.1f}%" if denominator else "—"


@get("/dashboard", guards=[signed_in])
async def dashboard_page(request: Request) -> Any:
    principal: Principal = request.user
    need(principal, "dashboard")
    stations = await stations_for(principal)
    if not stations:
        raise Forbidden("You are not assigned to a station.")
    wanted = _int(request.query_params.get("station"))
    if wanted is not None and wanted not in {s["id"] for s in stations}:
        raise OutOfScope()
    station = next((s for s in stations if s["id"] == wanted), stations[0])
    d = await queries.dashboard(principal, station["id"])
    from council.cases.national_calendar import coming_year_missing

    calendar_missing = await coming_year_missing()  # from 1 November, while next year is not loaded
    _ = translator(locale_of(request))
    chart = month_chart(d.months, received_label=_("Received"), done_label=_("Closed"),
                        title=_("Cases received and done, month by month"))
    kinds = {}
    for (kind, state), n in sorted(d.by_kind_state.items()):
        kinds.setdefault(kind, []).append((state, n))
    order = {s: i for i, s in enumerate((*proposal_steps.STATES, *request_loop.STATES))}
    for rows in kinds.values():
        rows.sort(key=lambda x: order.get(x[0], 99))
    good = d.ratings.get("satisfied", 0) + d.ratings.get("basically_satisfied", 0)
    return page(request, "cases/dashboard.html", d=d, station=station, stations=stations if len(stations) > 1 else [],
                chart=chart, by_kind=kinds, kinds=dict(KINDS), state_labels=STATE_LABELS,
                rating_labels=RATINGS, rating_total=sum(d.ratings.values()),
                satisfaction=percent(good, sum(d.ratings.values())), good=good,
                satisfaction_definition=SATISFACTION_DEFINITION, calendar_missing=calendar_missing,
                **await street_pages.context(request, station["id"], STATE_LABELS))


PAGE_ROUTES: list = [case_list, overdue_list, export_csv, export_xlsx, intake_form, intake_submit, case_page,
                     case_action, upload_file, download_file, inbox_page, my_tasks_page, dashboard_page, *street_pages.ROUTES]
API_ROUTES: list = []
