"""The mediation pages: the list of dispute files, registering one, the file page with a form for
each thing possible now, the two PDFs, the confirmation windows about to close, and statistics.

Thin: parse the form, call a use case (validate → permission → write → audit in one
transaction), redirect. A refusal draws the file page again with the message in the reader's
language, the refused form's fields marked, and the refusal's status; nothing has changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Awaitable, Callable

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council.accounts.principal import Principal
from council.cases.calendar_store import today
from council.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from council.mediation import (
    agreements, documents, files, judicial, performance, policy, queries, sessions, store, vocabulary as v,
)
from council.mediation.machine import OPEN_STATES
from council.privacy import mask_id_number, mask_phone
from council.stations.tables import Room, Station
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator


def mediation_roles(connection, _) -> None:
    """Refuse every other role before a body is read (mediator, secretary, admin; the judicial
    office of the area reads the pages, never writes, and gets no PDF or DOCX: the agreement's carry
    full ID numbers)."""
    user = connection.scope.get("user")
    if user is not None and not policy.can_use(user):
        raise Forbidden()
    if user is not None and not policy.can_change(user) and (
            connection.scope["method"] not in ("GET", "HEAD") or connection.scope["path"].endswith((".pdf", ".docx"))):
        raise Forbidden()


G = [signed_in, mediation_roles]


def N_(msgid: str) -> str:
    return msgid


MOVE_LABELS = {
    "seek_consent": N_("Ask the parties for consent"), "start": N_("Start mediation"),
    "refuse": N_("Stop: a party refuses"), "settle": N_("Settled: close the file"),
    "not_settle": N_("Not settled: refer the parties"), "withdraw": N_("Withdrawn"), "terminate": N_("Terminate"),
}
MISSING_LABELS = {"mediator": N_("the mediator's signature"), "seal": N_("the committee's seal"),
                  "parties": N_("the parties"), "reached": N_("the day it was reached")}
WINDOW_LABELS = {"open": N_("Window open"), "closing": N_("Closing soon"), "closed": N_("Window closed"), "applied": N_("Applied")}
DECISION_LABELS = {"waiting": N_("Waiting for the court"), "due_soon": N_("The court's period ends soon"),
                   "overdue": N_("The court's period has run out"), "ruled": N_("Ruled")}


def vocab() -> dict:
    return dict(
        categories=v.CATEGORIES, category_labels=dict(v.CATEGORIES), sources=v.SOURCES, source_labels=dict(v.SOURCES),
        party_roles=v.PARTY_ROLES, role_labels=dict(v.PARTY_ROLES), party_kinds=v.PARTY_KINDS,
        consent_labels=dict(v.CONSENT), levels=dict(v.LEVELS), session_results=v.SESSION_RESULTS,
        result_labels=dict(v.SESSION_RESULTS), referrals=v.REFERRALS, referral_labels=dict(v.REFERRALS),
        agreement_forms=v.AGREEMENT_FORMS, form_labels=dict(v.AGREEMENT_FORMS), sign_methods=v.SIGN_METHODS,
        method_labels=dict(v.SIGN_METHODS), status_matters=v.STATUS_MATTERS, status_labels=dict(v.STATUS_MATTERS),
        rulings=v.RULINGS, ruling_labels=dict(v.RULINGS), obligation_labels=dict(v.OBLIGATION_STATES),
        state_labels=dict(v.STATES), move_labels=MOVE_LABELS, missing_labels=MISSING_LABELS,
        window_labels=WINDOW_LABELS, decision_labels=DECISION_LABELS, mask_phone=mask_phone, mask_id=mask_id_number, today=today(),
    )


async def _stations(principal: Principal) -> list[dict]:
    q = Station.select(Station.id, Station.name).order_by(Station.id)
    if not principal.is_admin:
        q = q.where(Station.id.is_in(sorted(principal.station_ids) or [-1]))
    return await q


# ---------------------------------------------------------------- list, new

@get("/mediation", guards=G)
async def file_list(request: Request) -> Any:
    state = request.query_params.get("state", "")[:20]
    q = request.query_params.get("q", "")[:100].strip()
    raw_page = request.query_params.get("page", "1")
    page_no = int(raw_page) if raw_page.isdigit() and len(raw_page) < 6 else 1
    rows, total = await queries.list_files(request.user, state=state, q=q, page=page_no)
    windows = await queries.closing_windows(request.user)
    return page(request, "mediation/list.html", rows=rows, total=total, state=state, q=q, page_no=page_no,
                per_page=queries.PER_PAGE, closing=[w for w in windows if w["window"] == "closing"],
                decisions=await queries.court_decisions_due(request.user),
                waiting=await queries.disputes_without_file(request.user), stations=(await _stations(request.user))[:20], **vocab())


@post("/mediation/from-case/{case_id:int}", guards=G)
async def open_from_case(request: Request, case_id: FromPath[int]) -> Any:
    form = {k: v for k, v in (await request.form()).items() if k != "_csrf_token"}
    made = await files.open_file(request.user, case_id, form, ip=client_ip(request))  # refusals: the error page
    return Redirect(f"/mediation/{made['id']}?done=registered", status_code=303)


@get("/mediation/new", guards=G)
async def new_form(request: Request) -> Any:
    return page(request, "mediation/new.html", stations=await _stations(request.user), errors={}, values={},
                message=None, **vocab())


@post("/mediation/new", guards=G)
async def new_submit(request: Request) -> Any:
    form = {k: v for k, v in (await request.form()).items() if k != "_csrf_token"}
    try:
        made = await files.register_dispute(request.user, form, ip=client_ip(request))
    except (Invalid, Forbidden) as e:
        _ = translator(locale_of(request))
        return page(request, "mediation/new.html", status_code=e.status, stations=await _stations(request.user),
                    errors={k: _(m) for k, m in e.errors.items()}, values=form, message=_(e.message), **vocab())
    return Redirect(f"/mediation/{made['id']}?done=registered", status_code=303)


# ---------------------------------------------------------------- the file page

async def render_file(request: Request, dispute_id: int, *, status_code: int = 200, form: str = "",
                      errors: dict | None = None, message: str | None = None, values: dict | None = None,
                      revealed: dict | None = None) -> Any:
    f = await queries.file_detail(request.user, dispute_id)
    rooms = await Room.select(Room.id, Room.name).where(Room.station == f["station"]).order_by(Room.name)
    station = await Station.select(Station.name).where(Station.id == f["station"]).first()
    from council.cases.pages import event_label, local_time
    from council.cases.timeline import read_timeline

    events = await read_timeline(request.user, f["case"])
    return page(request, "mediation/detail.html", status_code=status_code, f=f, rooms=rooms,
                station_name=station["name"] if station else "", staff=await sessions.station_mediators(f["station"]),
                events=events, event_label=mediation_event_label(event_label), local_time=local_time,
                form=form, errors=errors or {}, message=message, values=values or {},
                done=request.query_params.get("done", "") if status_code == 200 else "",
                is_open=f["state"] in OPEN_STATES, revealed=revealed or {},
                on_file=request.user.user_id in f["mediator_ids"], **vocab())


EVENT_LABELS = {
    "registered": N_("Dispute registered"), "details": N_("Details changed"), "party_added": N_("Party added"),
    "party_changed": N_("Party changed"), "consent": N_("Consent recorded"),
    "notice": N_("Rights and duties notice"), "mediator": N_("Mediator assigned"),
    "mediator_removed": N_("Mediator removed"), "escalated": N_("Escalated"),
    "session_scheduled": N_("Session scheduled"), "session_recorded": N_("Session recorded"),
    "session_moved": N_("Session moved"), "session_cancelled": N_("Session cancelled"),
    "agreement_drafted": N_("Agreement drafted"), "agreement_changed": N_("Agreement changed"),
    "obligation_added": N_("Term added"), "obligation_removed": N_("Term removed"), "signed": N_("Signed"),
    "agreement_effective": N_("Agreement took effect"), "performance": N_("Performance recorded"),
    "followup": N_("Follow-up visit"), "confirmation_applied": N_("Judicial confirmation applied for"),
    "confirmation_ruling": N_("Court ruling"), "party_refused": N_("A party refuses mediation"),
    "refusal_withdrawn": N_("Refusal withdrawn"), "confirmation_court": N_("Court accepted or extended"),
}


def mediation_event_label(fallback):
    def label(kind: str) -> str:
        if kind.startswith("mediation."):
            name = kind[10:]
            return EVENT_LABELS.get(name) or MOVE_LABELS.get(name, name)
        return fallback(kind)

    return label


@get("/mediation/{dispute_id:int}", guards=G)
async def file_page(request: Request, dispute_id: FromPath[int]) -> Any:
    return await render_file(request, dispute_id)


def _sub(form: dict, name: str) -> int:
    raw = (form.pop(name, "") or "").strip()
    if not raw.isdigit() or len(raw) > 11:
        raise NotFound()
    return int(raw)


def _keep_contact(form: dict) -> dict:
    """The party form shows phones and the ID number masked, never in its fields: a field left
    blank keeps what is on file (the use case keeps fields not given)."""
    return {k: v for k, v in form.items() if not (k in ("phone", "id_number", "agent_phone") and not str(v).strip())}


Action = Callable[[Principal, int, dict, str], Awaitable[Any]]
ACTIONS: dict[str, Action] = {
    "details": files.update_details,
    "party": files.add_party,
    "party_edit": lambda p, d, f, ip: files.update_party(p, d, _sub(f, "party"), _keep_contact(f), ip),
    "consent": lambda p, d, f, ip: files.record_consent(p, d, _sub(f, "party"), f, ip),
    "withdraw_refusal": lambda p, d, f, ip: files.withdraw_refusal(p, d, _sub(f, "party"), f, ip),
    "notice": lambda p, d, f, ip: files.record_notice(p, d, _sub(f, "party"), f, ip),
    "mediator": files.assign_mediator,
    "mediator_remove": files.remove_mediator,
    "move": files.move,
    "escalate": files.escalate,
    "session": sessions.schedule_session,
    "session_record": lambda p, d, f, ip: sessions.record_session(p, d, _sub(f, "session"), f, ip),
    "session_move": lambda p, d, f, ip: sessions.move_session(p, d, _sub(f, "session"), f, ip),
    "session_cancel": lambda p, d, f, ip: sessions.cancel_session(p, d, _sub(f, "session"), f, ip),
    "agreement": agreements.save_agreement,
    "obligation": agreements.add_obligation,
    "obligation_remove": lambda p, d, f, ip: agreements.remove_obligation(p, d, _sub(f, "obligation"), ip),
    "sign": agreements.sign,
    "performance": lambda p, d, f, ip: performance.record_performance(p, d, _sub(f, "obligation"), f, ip),
    "followup": performance.add_followup,
    "confirmation": judicial.apply,
    "ruling": judicial.record_ruling,
    "court": judicial.record_court_step,
}


def _form_key(what: str, form: dict) -> str:
    for sub in ("party", "session", "obligation"):
        if what in ("party_edit", "consent", "withdraw_refusal", "notice", "session_record", "session_move",
                    "session_cancel", "performance") and form.get(sub):
            return f"{what}:{form.get(sub)}"
    return f"move:{form.get('move', '')}" if what == "move" else what


@post("/mediation/{dispute_id:int}/do/{what:str}", guards=G)
async def file_action(request: Request, dispute_id: FromPath[int], what: FromPath[str]) -> Any:
    action = ACTIONS.get(what)
    if action is None:
        raise NotFound()
    form = {k: v for k, v in (await request.form()).multi_items() if k != "_csrf_token"}
    if what == "session":
        form["mediators"] = (await request.form()).getall("mediators") if "mediators" in form else []
    key = _form_key(what, form)
    values = dict(form)
    try:
        await action(request.user, dispute_id, form, client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        _ = translator(locale_of(request))
        await store.load_file(request.user, dispute_id, reading=True)  # a file they may not see: its own 404
        return await render_file(request, dispute_id, status_code=e.status, form=key,
                                 errors={k: _(m) for k, m in e.errors.items()},
                                 message=_(e.message, **e.params) if e.params else _(e.message), values=values)
    anchor = {"party_edit": "parties", "consent": "parties", "notice": "parties", "withdraw_refusal": "parties", "session_record": "sessions",
              "session_move": "sessions", "session_cancel": "sessions",
              "obligation_remove": "agreement", "obligation": "agreement", "sign": "agreement",
              "ruling": "confirmation", "court": "confirmation", "mediator_remove": "mediator"}.get(what, what)
    return Redirect(f"/mediation/{dispute_id}?done={what}#{anchor}", status_code=303)


@post("/mediation/{dispute_id:int}/reveal/{party_id:int}", guards=G)
async def reveal_party(request: Request, dispute_id: FromPath[int], party_id: FromPath[int]) -> Any:
    shown = await files.reveal_party(request.user, dispute_id, party_id, ip=client_ip(request))
    return await render_file(request, dispute_id, revealed=shown)


# ---------------------------------------------------------------- PDFs

def _pdf(content: bytes, name: str) -> Response:
    from urllib.parse import quote

    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename=\"{name.encode('ascii', 'ignore').decode() or 'document'}.pdf\"; filename*=UTF-8''{quote(name)}.pdf"})


@get("/mediation/{dispute_id:int}/agreement.pdf", guards=G)
async def agreement_pdf(request: Request, dispute_id: FromPath[int]) -> Response:
    content, name = await documents.agreement_pdf(request.user, dispute_id, ip=client_ip(request))
    return _pdf(content, name)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@get("/mediation/{dispute_id:int}/agreement.docx", guards=G)
async def agreement_docx(request: Request, dispute_id: FromPath[int]) -> Response:
    """The agreement as an editable .docx, beside its PDF (masked as the PDF is)."""
    from urllib.parse import quote

    content, name = await documents.agreement_docx(request.user, dispute_id, ip=client_ip(request))
    return Response(content, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"agreement-{dispute_id}.docx\"; filename*=UTF-8''{quote(name)}.docx",
        "Cache-Control": "private"})


@get("/mediation/{dispute_id:int}/sessions/{session_id:int}/record.pdf", guards=G)
async def record_pdf(request: Request, dispute_id: FromPath[int], session_id: FromPath[int]) -> Response:
    content, name = await documents.session_record_pdf(request.user, dispute_id, session_id)
    return _pdf(content, name)


# ---------------------------------------------------------------- the committee

async def _committee_page(request: Request, station_id: int, *, status_code: int = 200, errors: dict | None = None,
                          message: str | None = None) -> Any:
    from council.mediation import committees

    row = await committees.committee(request.user, station_id)
    return page(request, "mediation/committee.html", status_code=status_code, c=row, station_id=station_id,
                can_edit=request.user.role in ("admin", "secretary"), errors=errors or {}, message=message,
                sample=rules_sample(row["abbreviation"]), stations=await _stations(request.user))


def rules_sample(abbreviation: str) -> str:
    from council.mediation.rules import format_file_number

    return format_file_number(abbreviation, today().year, 15)


@get("/mediation/committee/{station_id:int}", guards=G)
async def committee_page(request: Request, station_id: FromPath[int]) -> Any:
    return await _committee_page(request, station_id)


@post("/mediation/committee/{station_id:int}", guards=G)
async def committee_submit(request: Request, station_id: FromPath[int]) -> Any:
    from council.mediation import committees

    form = {k: v for k, v in (await request.form()).items() if k != "_csrf_token"}
    try:
        await committees.update_committee(request.user, station_id, form, ip=client_ip(request))
    except (Invalid, Conflict) as e:
        _ = translator(locale_of(request))
        return await _committee_page(request, station_id, status_code=e.status,
                                     errors={k: _(m) for k, m in e.errors.items()}, message=_(e.message))
    return Redirect(f"/mediation/committee/{station_id}?done=1", status_code=303)


# ---------------------------------------------------------------- windows and statistics

@get("/mediation/confirmations", guards=G)
async def confirmations_page(request: Request) -> Any:
    return page(request, "mediation/confirmations.html", rows=await queries.closing_windows(request.user),
                decisions=await queries.court_decisions_due(request.user), **vocab())


def period(request: Request) -> tuple[dt.date, dt.date, int | None]:
    def day(name: str, default: dt.date) -> dt.date:
        raw = request.query_params.get(name, "")
        if not raw:
            return default
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise Invalid("Please correct the marked fields.", errors={name: "Enter a date as YYYY-MM-DD."}) from None

    t = today()
    start = day("start", t.replace(month=1, day=1))
    end = day("end", t)
    raw = request.query_params.get("station", "")
    station = int(raw) if raw.isdigit() and len(raw) < 11 else None
    return start, end, station


@get("/mediation/stats", guards=G)
async def stats_page(request: Request) -> Any:
    from council.mediation.stats import DEFINITIONS, percent

    start, end, station = period(request)
    s = await queries.statistics(request.user, station=station, start=start, end=end)
    return page(request, "mediation/stats.html", s=s, definitions=DEFINITIONS, percent=percent, station=station,
                stations=await _stations(request.user), **vocab())


PAGE_ROUTES = [file_list, open_from_case, new_form, new_submit, file_page, file_action, reveal_party, agreement_pdf, agreement_docx, record_pdf,
               confirmations_page, stats_page, committee_page, committee_submit]
API_ROUTES: list = []

__all__ = ["PAGE_ROUTES", "API_ROUTES", "DomainError"]
