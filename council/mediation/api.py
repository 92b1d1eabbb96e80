"""/api/v1 for mediation: everything the pages do, as JSON (bearer tokens only).

Each action on a file is `POST /api/v1/mediation/{id}/{action}` with the fields of the page's
form (council.mediation.schemas); sub-records (a party, a session, a term) are named in the path.
Every action answers with the whole file as it now is (FileOut). Errors are problem+json
(council.web.errors). Phones and ID numbers are masked in every answer.

Handlers stay thin: the typed body becomes the use case's input (dates as YYYY-MM-DD, fields not
given left out), and the use case validates, checks role and station, writes and audits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from council.accounts.permissions import Role
from council.core.errors import Forbidden, Invalid, NotFound
from council.mediation import agreements, committees, documents, files, judicial, performance, queries, sessions
from council.mediation import schemas as s
from council.mediation.pages import G, _pdf, period
from council.mediation.stats import DEFINITIONS, percent
from council.privacy import mask_id_number, mask_phone
from council.web.guards import client_ip

TAGS = ["Mediation"]
F = "/mediation/{dispute_id:int}"


def _input(data: msgspec.Struct) -> dict[str, Any]:
    """A typed body as the use case's input: the fields given, dates as YYYY-MM-DD."""
    out = {}
    for k, v in msgspec.structs.asdict(data).items():
        if v is None:
            continue
        out[k] = v.isoformat() if isinstance(v, dt.date) else v
    return out


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _party(p: dict) -> s.PartyOut:
    return s.PartyOut(
        **{k: p[k] for k in ("id", "role", "kind", "person", "organisation", "name", "gender", "address",
                             "agent_name", "agent_basis", "consent", "consent_on", "consent_note",
                             "notice_given_on", "notice_ack_on", "version")},
        phone=mask_phone(p["phone"]), id_number=mask_id_number(p["id_number"]),
        agent_phone=mask_phone(p["agent_phone"]))


def _session(r: dict) -> s.SessionOut:
    return s.SessionOut(
        **{k: r[k] for k in ("id", "starts_at", "ends_at", "room", "room_name", "place", "level", "mediators",
                             "attendees", "record", "result", "version")},
        meeting=r.get("meeting"), cancelled=r.get("cancelled_at") is not None,
        cancel_reason=r.get("cancel_reason") or "")


def _obligation(o: dict) -> s.ObligationOut:
    st = o["status"]
    return s.ObligationOut(
        **{k: o[k] for k in ("id", "position", "party", "party_name", "what", "due_date", "manner", "version")},
        amount=_money(o["amount"]), state=st.state, performed_amount=_money(st.performed_amount),
        performed_on=st.performed_on, late=bool(st.late),
        performances=[s.PerformanceOut(id=p["id"], performed_on=p["performed_on"], amount=_money(p["amount"]),
                                       complete=p["complete"], evidence=p["evidence"]) for p in o["performances"]])


def file_out(f: dict) -> s.FileOut:
    a = f["agreement"]
    effect = f["effect"]
    agreement = None
    if a:
        agreement = s.AgreementOut(
            **{k: a[k] for k in ("id", "form", "facts", "matters", "responsibilities", "status_matter", "reached_on",
                                 "mediator_signed_on", "sealed_on", "effective_on", "version")},
            effective=bool(effect and effect.effective),
            missing=[list(m) for m in (effect.missing if effect else ())],
            signatures=[s.SignatureOut(party=g["party"], method=g["method"], signed_on=g["signed_on"])
                        for g in f.get("signatures", {}).values()],
            obligations=[_obligation(o) for o in f["obligations"]],
            confirmation_eligibility=f.get("eligibility"), confirmation_deadline=f.get("deadline"),
            confirmation_window=f.get("window"))
    c = f["confirmation"]
    return s.FileOut(
        **{k: f[k] for k in ("id", "number", "case", "case_number", "station", "title", "description", "state",
                             "category", "source", "source_detail", "level", "opened_on", "closed_on", "referral",
                             "referral_detail", "outcome_reason", "version", "case_version", "flagged", "days_open",
                             "moves", "next_level", "committee_name")},
        parties=[_party(p) for p in f["parties"]],
        mediators=[s.MediatorOut(user=m["user"], name=m["name"], lead=m["lead"]) for m in f["mediators"]],
        sessions=[_session(r) for r in f["sessions"]],
        agreement=agreement,
        confirmation=s.ConfirmationOut(
            **{k: c[k] for k in ("applied_on", "court", "court_case_number", "ruling", "ruling_on", "version",
                                 "joint", "accepted_on", "extended_on", "extension_reason")},
            decision_deadline=f["decision"]["deadline"], decision_state=f["decision"]["state"]) if c else None,
        followups=[s.FollowupOut(**{k: v[k] for k in ("id", "visited_on", "visitor", "who", "note")})
                   for v in f["followups"]],
    )


async def _detail(request: Request, dispute_id: int) -> s.FileOut:
    return file_out(await queries.file_detail(request.user, dispute_id))


# ---------------------------------------------------------------- the list, registering, one file

@get("/mediation", guards=G, tags=TAGS, summary="Dispute files (paginated; state=open for all open ones)")
async def list_api(request: Request, state_: Annotated[str, QueryParameter(name="state")] = "", q: FromQuery[str] = "",
                   page: FromQuery[int] = 1) -> s.FilePage:
    # `state` is a name Litestar reserves for the application state, hence the alias.
    if page < 1 or page > 100000:
        raise Invalid("Enter a whole number of at least 1.", field="page")
    rows, total = await queries.list_files(request.user, state=state_[:20], q=q[:100].strip(), page=page)
    keys = ("id", "number", "case", "title", "state", "category", "source", "level", "opened_on", "closed_on",
            "days_open", "flagged", "station")
    return s.FilePage(items=[s.FileSummary(**{k: r[k] for k in keys}) for r in rows], total=total, page=page,
                      per_page=queries.PER_PAGE)


@post("/mediation", guards=G, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Register a dispute (a case of kind dispute and its numbered file)")
async def create_api(request: Request, data: JSONBody[s.DisputeIn]) -> s.FileOut:
    made = await files.register_dispute(request.user, _input(data), ip=client_ip(request))
    return await _detail(request, made["id"])


@get("/mediation/waiting", guards=G, tags=TAGS,
     summary="Dispute cases registered elsewhere (case intake, reception desk) with no mediation file yet")
async def waiting_api(request: Request) -> list[s.WaitingCase]:
    return [s.WaitingCase(**{k: r[k] for k in ("id", "number", "title", "created_at", "station")})
            for r in await queries.disputes_without_file(request.user)]


@post("/mediation/from-case/{case_id:int}", guards=G, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Open the mediation file of a dispute case registered elsewhere (category, source, source_detail)")
async def open_from_case_api(request: Request, case_id: FromPath[int], data: JSONBody[s.OpenFileIn]) -> s.FileOut:
    made = await files.open_file(request.user, case_id, _input(data), ip=client_ip(request))
    return await _detail(request, made["id"])


@get(F, guards=G, tags=TAGS, summary="One dispute file with parties, sessions, agreement, performance, confirmation")
async def detail_api(request: Request, dispute_id: FromPath[int]) -> s.FileOut:
    return await _detail(request, dispute_id)


# ---------------------------------------------------------------- actions on a file

def _action(path: str, fn, body: type[msgspec.Struct], summary: str, sub: bool = False):
    """POST F/path taking `body`, calling fn(principal, dispute_id[, sub_id], input, ip), answering
    with the file. The handler's annotations are set to the real types: Litestar reads them to
    parse the body and to document it."""
    if not sub:
        async def route(request: Request, dispute_id: int, data: Any) -> s.FileOut:
            await fn(request.user, dispute_id, _input(data), client_ip(request))
            return await _detail(request, dispute_id)

        route.__annotations__ = {"request": Request, "dispute_id": FromPath[int], "data": JSONBody[body],
                                 "return": s.FileOut}
    else:
        async def route(request: Request, dispute_id: int, sub_id: int, data: Any) -> s.FileOut:  # type: ignore[misc]
            await fn(request.user, dispute_id, sub_id, _input(data), client_ip(request))
            return await _detail(request, dispute_id)

        route.__annotations__ = {"request": Request, "dispute_id": FromPath[int], "sub_id": FromPath[int],
                                 "data": JSONBody[body], "return": s.FileOut}
    route.__name__ = f"mediation_{path.replace('/', '_').replace('{', '').replace('}', '').replace(':int', '')}"
    return post(F + "/" + path, guards=G, tags=TAGS, status_code=HTTP_200_OK, summary=summary,
                operation_id=route.__name__)(route)


ACTION_ROUTES = [
    _action("details", files.update_details, s.DetailsIn, "Change title, description, category, source"),
    _action("parties", files.add_party, s.PartyIn,
            "Add a party (applicant or respondent; person or organisation; optional agent)"),
    _action("parties/{sub_id:int}", files.update_party, s.PartyUpdate,
            "Correct a party's details (fields left out keep their value)", sub=True),
    _action("parties/{sub_id:int}/consent", files.record_consent, s.ConsentIn,
            "Record a party's consent or refusal (a refusal is recorded against the party; it does not close the file)", sub=True),
    _action("parties/{sub_id:int}/withdraw-refusal", files.withdraw_refusal, s.WithdrawRefusalIn,
            "Withdraw a party's refusal entered by mistake, with the reason (until the file is closed)", sub=True),
    _action("parties/{sub_id:int}/notice", files.record_notice, s.NoticeIn,
            "Record the rights-and-duties notice given and acknowledged", sub=True),
    _action("mediators", files.assign_mediator, s.MediatorIn, "Assign a mediator (lead: true makes them the lead)"),
    _action("mediators/remove", files.remove_mediator, s.MediatorRemoveIn, "Remove a mediator"),
    _action("move", files.move, s.MoveIn,
            "Move the file: seek_consent, start, refuse, settle, not_settle, withdraw, terminate"),
    _action("escalate", files.escalate, s.EscalateIn, "Escalate to the street, then the district (same file)"),
    _action("sessions", sessions.schedule_session, s.SessionIn,
            "Schedule a session (date, start, end, room or place, mediators)"),
    _action("sessions/{sub_id:int}", sessions.record_session, s.SessionRecordIn,
            "Record a session: attendees, record, result", sub=True),
    _action("sessions/{sub_id:int}/move", sessions.move_session, s.SessionMoveIn,
            "Move a session to another time or room, with the reason (its meeting moves too)", sub=True),
    _action("sessions/{sub_id:int}/cancel", sessions.cancel_session, s.SessionCancelIn,
            "Cancel a session, with the reason (its meeting is cancelled)", sub=True),
    _action("agreement", agreements.save_agreement, s.AgreementIn, "Draft or correct the agreement (frozen once signed)"),
    _action("agreement/obligations", agreements.add_obligation, s.ObligationIn,
            "Add a term: party, what, amount (string, yuan), due_date, manner"),
    _action("agreement/sign", agreements.sign, s.SignIn,
            "Record a signature: who = party:<id> / mediator / seal, method, signed_on"),
    _action("obligations/{sub_id:int}/performance", performance.record_performance, s.PerformanceIn,
            "Record performance with evidence", sub=True),
    _action("followups", performance.add_followup, s.FollowupIn, "Record a follow-up visit (回访)"),
    _action("confirmation", judicial.apply, s.ConfirmationIn, "Record the joint application for judicial confirmation"),
    _action("confirmation/ruling", judicial.record_ruling, s.RulingIn, "Record the court's ruling"),
    _action("confirmation/court", judicial.record_court_step, s.CourtStepIn,
            "Record the day the court accepted the application, or extended its 15-day period by 10 days"),
]


@post(F + "/agreement/obligations/{obligation_id:int}/remove", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Remove a term (only before anyone signs)")
async def remove_obligation_api(request: Request, dispute_id: FromPath[int], obligation_id: FromPath[int]) -> s.FileOut:
    await agreements.remove_obligation(request.user, dispute_id, obligation_id, ip=client_ip(request))
    return await _detail(request, dispute_id)


@post(F + "/parties/{party_id:int}/reveal", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="A party's full phone and ID number (mediators and the secretariat; every look is audited)")
async def reveal_party_api(request: Request, dispute_id: FromPath[int], party_id: FromPath[int]) -> s.RevealedOut:
    return s.RevealedOut(**await files.reveal_party(request.user, dispute_id, party_id, ip=client_ip(request)))


@get(F + "/agreement.pdf", guards=G, tags=TAGS, media_type="application/pdf",
     summary="The agreement (调解协议书) as an A4 PDF, with the parties' full ID numbers (printing is audited)")
async def agreement_pdf_api(request: Request, dispute_id: FromPath[int]) -> Response:
    content, name = await documents.agreement_pdf(request.user, dispute_id, ip=client_ip(request))
    return _pdf(content, name)


@get(F + "/sessions/{session_id:int}/record.pdf", guards=G, tags=TAGS, media_type="application/pdf",
     summary="A session record (调解笔录) as an A4 PDF (IDs and phones masked)")
async def record_pdf_api(request: Request, dispute_id: FromPath[int], session_id: FromPath[int]) -> Response:
    content, name = await documents.session_record_pdf(request.user, dispute_id, session_id)
    return _pdf(content, name)


# ---------------------------------------------------------------- the committee, windows, statistics

def _committee(row: dict) -> s.CommitteeOut:
    return s.CommitteeOut(**{k: row[k] for k in ("id", "station", "name", "abbreviation", "version")})


@get("/mediation/committee/{station_id:int}", guards=G, tags=TAGS,
     summary="The station's mediation committee: name and the abbreviation used in file numbers")
async def committee_api(request: Request, station_id: FromPath[int]) -> s.CommitteeOut:
    return _committee(await committees.committee(request.user, station_id))


def secretariat(connection, _) -> None:
    """The committee is renamed by the secretariat: a mediator is refused before the body is read."""
    user = connection.scope.get("user")
    if user is not None and user.role not in (Role.admin, Role.secretary):
        raise Forbidden()


@post("/mediation/committee/{station_id:int}", guards=[*G, secretariat], tags=TAGS, status_code=HTTP_200_OK,
      summary="Rename the committee or change its abbreviation (secretariat; applies to files numbered after)")
async def committee_update_api(request: Request, station_id: FromPath[int], data: JSONBody[s.CommitteeIn]) -> s.CommitteeOut:
    return _committee(await committees.update_committee(request.user, station_id, _input(data), ip=client_ip(request)))


@get("/mediation/confirmations", guards=G, tags=TAGS,
     summary="Judicial confirmation windows still open, soonest first (window: closing within a week, or open)")
async def confirmations_api(request: Request) -> list[s.WindowOut]:
    keys = ("dispute", "number", "title", "station", "effective_on", "deadline", "window", "days_left")
    return [s.WindowOut(**{k: r[k] for k in keys}) for r in await queries.closing_windows(request.user)]


@get("/mediation/court-decisions", guards=G, tags=TAGS,
     summary="Applications for judicial confirmation whose court decision period (15 days, +10 if extended) "
             "runs out within 3 days or has run out with no ruling recorded")
async def court_decisions_api(request: Request) -> list[s.DecisionDueOut]:
    keys = ("dispute", "number", "title", "station", "court", "applied_on", "accepted_on", "extended_on",
            "decision_deadline", "decision_state", "days_left")
    return [s.DecisionDueOut(**{k: r[k] for k in keys}) for r in await queries.court_decisions_due(request.user)]


def _stats_part(sm: dict) -> s.StatsPart:
    c = sm["counts"]
    return s.StatsPart(
        counts=s.StatsCounts(**{k: getattr(c, k) for k in s.StatsCounts.__struct_fields__}),
        closed_files=len(c.closed_days), success_rate=percent(sm["success_rate"]),
        performance_rate=percent(sm["performance_rate"]), confirmation_rate=percent(sm["confirmation_rate"]),
        average_days_to_close=sm["average_days_text"])


@get("/mediation/stats", guards=G, tags=TAGS,
     summary="Statistics for files registered between start and end (YYYY-MM-DD), with each rate's definition and raw counts")
async def stats_api(request: Request, start: FromQuery[str | None] = None, end: FromQuery[str | None] = None,
                    station: FromQuery[int | None] = None) -> s.StatsOut:
    # The three are read from the query by `period` (shared with the page); declared here so the
    # document lists them.
    first, last, where = period(request)
    st = await queries.statistics(request.user, station=where, start=first, end=last)
    return s.StatsOut(start=first, end=last, definitions=DEFINITIONS, total=_stats_part(st["total"]),
                      by_category={k: _stats_part(v) for k, v in st["by_category"].items()})


API_ROUTES = [list_api, create_api, waiting_api, open_from_case_api, detail_api, *ACTION_ROUTES, remove_obligation_api,
              reveal_party_api, agreement_pdf_api, record_pdf_api, committee_api, committee_update_api,
              confirmations_api, court_decisions_api, stats_api]
PAGE_ROUTES: list = []
__all__ = ["API_ROUTES", "PAGE_ROUTES", "NotFound"]
