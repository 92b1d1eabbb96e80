"""/api/v1 for mediation: everything the pages do, as JSON (bearer tokens only).

Each action on a file is `POST /api/v1/mediation/{id}/{action}` with the same fields as the
page's form (JSON object); sub-records (a party, a session, a term) are named in the path.
Errors are problem+json (council.web.errors). Phones and ID numbers are masked in every answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from council.core.errors import Invalid, NotFound
from council.mediation import agreements, documents, files, judicial, performance, queries, sessions
from council.mediation.pages import G, _pdf, period
from council.mediation.stats import DEFINITIONS, percent
from council.privacy import mask_id_number, mask_phone
from council.web.guards import client_ip

TAGS = ["Mediation"]
F = "/mediation/{dispute_id:int}"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _party(p: dict) -> dict:
    return {**{k: p[k] for k in ("id", "role", "kind", "person", "organisation", "name", "gender", "address",
                                 "agent_name", "agent_basis", "consent", "consent_on", "consent_note",
                                 "notice_given_on", "notice_ack_on", "version")},
            "phone": mask_phone(p["phone"]), "id_number": mask_id_number(p["id_number"]),
            "agent_phone": mask_phone(p["agent_phone"])}


def file_out(f: dict) -> dict:
    a = f["agreement"]
    effect = f["effect"]
    out = {k: f[k] for k in ("id", "number", "case", "case_number", "station", "title", "description", "state",
                             "category", "source", "source_detail", "level", "opened_on", "closed_on", "referral",
                             "referral_detail", "outcome_reason", "version", "case_version", "flagged", "days_open",
                             "moves", "next_level", "committee_name")}
    out["parties"] = [_party(p) for p in f["parties"]]
    out["mediators"] = [{"user": m["user"], "name": m["name"], "lead": m["lead"]} for m in f["mediators"]]
    out["sessions"] = [{k: s[k] for k in ("id", "starts_at", "ends_at", "room", "room_name", "place", "level",
                                           "mediators", "attendees", "record", "result", "version")} for s in f["sessions"]]
    out["agreement"] = None
    if a:
        out["agreement"] = {
            **{k: a[k] for k in ("id", "form", "facts", "matters", "responsibilities", "status_matter", "reached_on",
                                 "mediator_signed_on", "sealed_on", "effective_on", "version")},
            "effective": bool(effect and effect.effective),
            "missing": [list(m) for m in (effect.missing if effect else ())],
            "signatures": [{"party": s["party"], "method": s["method"], "signed_on": s["signed_on"]}
                           for s in f.get("signatures", {}).values()],
            "obligations": [{**{k: o[k] for k in ("id", "position", "party", "party_name", "what", "amount", "due_date",
                                                   "manner", "version")},
                             "state": o["status"].state, "performed_amount": o["status"].performed_amount,
                             "performed_on": o["status"].performed_on, "late": o["status"].late,
                             "performances": [{k: p[k] for k in ("id", "performed_on", "amount", "complete", "evidence")}
                                              for p in o["performances"]]} for o in f["obligations"]],
            "confirmation_eligibility": f.get("eligibility"),
            "confirmation_deadline": f.get("deadline"), "confirmation_window": f.get("window"),
        }
    c = f["confirmation"]
    out["confirmation"] = {k: c[k] for k in ("applied_on", "court", "court_case_number", "ruling", "ruling_on", "version")} if c else None
    out["followups"] = [{k: v[k] for k in ("id", "visited_on", "visitor", "who", "note")} for v in f["followups"]]
    return _plain(out)


async def _detail(request: Request, dispute_id: int) -> dict:
    return file_out(await queries.file_detail(request.user, dispute_id))


def _body(data: Any) -> dict:
    if not isinstance(data, dict):
        raise Invalid("Please correct the marked fields.", errors={"body": "Send an object."})
    return data


@get("/mediation", guards=G, tags=TAGS, summary="Dispute files (paginated; state=open for all open ones)")
async def list_api(request: Request, state_: Annotated[str, QueryParameter(name="state")] = "", q: FromQuery[str] = "",
                   page: FromQuery[int] = 1) -> dict:
    state = state_
    if page < 1 or page > 100000:
        raise Invalid("Enter a whole number of at least 1.", field="page")
    rows, total = await queries.list_files(request.user, state=state[:20], q=q[:100].strip(), page=page)
    keys = ("id", "number", "case", "title", "state", "category", "source", "level", "opened_on", "closed_on",
            "days_open", "flagged", "station")
    return _plain({"items": [{k: r[k] for k in keys} for r in rows], "total": total, "page": page,
                   "per_page": queries.PER_PAGE})


@post("/mediation", guards=G, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Register a dispute (a case of kind dispute and its numbered file)")
async def create_api(request: Request, data: JSONBody[dict[str, Any]]) -> dict:
    made = await files.register_dispute(request.user, _body(data), ip=client_ip(request))
    return await _detail(request, made["id"])


@get("/mediation/waiting", guards=G, tags=TAGS,
     summary="Dispute cases registered elsewhere (case intake, reception desk) with no mediation file yet")
async def waiting_api(request: Request) -> list[dict]:
    return _plain(await queries.disputes_without_file(request.user))


@post("/mediation/from-case/{case_id:int}", guards=G, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Open the mediation file of a dispute case registered elsewhere (category, source, source_detail)")
async def open_from_case_api(request: Request, case_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict:
    made = await files.open_file(request.user, case_id, _body(data), ip=client_ip(request))
    return await _detail(request, made["id"])


@get(F, guards=G, tags=TAGS, summary="One dispute file with parties, sessions, agreement, performance, confirmation")
async def detail_api(request: Request, dispute_id: FromPath[int]) -> dict:
    return await _detail(request, dispute_id)


def _action(path: str, fn, summary: str, sub: str | None = None):
    async def handler(request: Request, dispute_id: int, data: dict[str, Any], sub_id: int | None = None) -> dict:
        body = _body(data)
        if sub is None:
            await fn(request.user, dispute_id, body, client_ip(request))
        else:
            await fn(request.user, dispute_id, sub_id, body, client_ip(request))
        return await _detail(request, dispute_id)

    if sub is None:
        async def route(request: Request, dispute_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict:
            return await handler(request, dispute_id, data)
    else:
        async def route(request: Request, dispute_id: FromPath[int], sub_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict:  # type: ignore[misc]
            return await handler(request, dispute_id, data, sub_id)
    route.__name__ = f"mediation_{path.replace('/', '_').replace('{', '').replace('}', '').replace(':int', '')}"
    return post(F + "/" + path, guards=G, tags=TAGS, status_code=HTTP_200_OK, summary=summary,
                operation_id=route.__name__)(route)


ACTION_ROUTES = [
    _action("details", files.update_details, "Change title, description, category, source"),
    _action("parties", files.add_party, "Add a party (applicant or respondent; person or organisation; optional agent)"),
    _action("parties/{sub_id:int}", files.update_party, "Correct a party's details", sub="party"),
    _action("parties/{sub_id:int}/consent", files.record_consent, "Record a party's consent or refusal (a refusal stops the file)", sub="party"),
    _action("parties/{sub_id:int}/notice", files.record_notice, "Record the rights-and-duties notice given and acknowledged", sub="party"),
    _action("mediators", files.assign_mediator, "Assign a mediator (lead: true makes them the lead)"),
    _action("mediators/remove", files.remove_mediator, "Remove a mediator"),
    _action("move", files.move, "Move the file: seek_consent, start, refuse, settle, not_settle, withdraw, terminate"),
    _action("escalate", files.escalate, "Escalate to the street, then the district (same file)"),
    _action("sessions", sessions.schedule_session, "Schedule a session (date, start, end, room or place, mediators)"),
    _action("sessions/{sub_id:int}", sessions.record_session, "Record a session: attendees, record, result", sub="session"),
    _action("agreement", agreements.save_agreement, "Draft or correct the agreement (frozen once signed)"),
    _action("agreement/obligations", agreements.add_obligation, "Add a term: party, what, amount (string, yuan), due_date, manner"),
    _action("agreement/sign", agreements.sign, "Record a signature: who = party:<id> / mediator / seal, method, signed_on"),
    _action("obligations/{sub_id:int}/performance", performance.record_performance, "Record performance with evidence", sub="obligation"),
    _action("followups", performance.add_followup, "Record a follow-up visit (回访)"),
    _action("confirmation", judicial.apply, "Record the joint application for judicial confirmation"),
    _action("confirmation/ruling", judicial.record_ruling, "Record the court's ruling"),
]


@post(F + "/agreement/obligations/{obligation_id:int}/remove", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Remove a term (only before anyone signs)")
async def remove_obligation_api(request: Request, dispute_id: FromPath[int], obligation_id: FromPath[int]) -> dict:
    await agreements.remove_obligation(request.user, dispute_id, obligation_id, ip=client_ip(request))
    return await _detail(request, dispute_id)


@post(F + "/parties/{party_id:int}/reveal", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="A party's full phone and ID number (mediators and the secretariat; every look is audited)")
async def reveal_party_api(request: Request, dispute_id: FromPath[int], party_id: FromPath[int]) -> dict:
    return await files.reveal_party(request.user, dispute_id, party_id, ip=client_ip(request))


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


@get("/mediation/committee/{station_id:int}", guards=G, tags=TAGS,
     summary="The station's mediation committee: name and the abbreviation used in file numbers")
async def committee_api(request: Request, station_id: FromPath[int]) -> dict:
    from council.mediation import committees

    row = await committees.committee(request.user, station_id)
    return {k: row[k] for k in ("id", "station", "name", "abbreviation", "version")}


@post("/mediation/committee/{station_id:int}", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Rename the committee or change its abbreviation (secretariat; applies to files numbered after)")
async def committee_update_api(request: Request, station_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict:
    from council.mediation import committees

    row = await committees.update_committee(request.user, station_id, _body(data), ip=client_ip(request))
    return {k: row[k] for k in ("id", "station", "name", "abbreviation", "version")}


@get("/mediation/confirmations", guards=G, tags=TAGS,
     summary="Judicial confirmation windows still open, soonest first (window: closing within a week, or open)")
async def confirmations_api(request: Request) -> list[dict]:
    return _plain(await queries.closing_windows(request.user))


@get("/mediation/stats", guards=G, tags=TAGS,
     summary="Statistics for files registered between start and end (YYYY-MM-DD), with each rate's definition and raw counts")
async def stats_api(request: Request) -> dict:
    start, end, station = period(request)
    s = await queries.statistics(request.user, station=station, start=start, end=end)

    def one(sm: dict) -> dict:
        c = sm["counts"]
        return {"counts": {k: getattr(c, k) for k in ("received", "open", "settled", "not_settled", "withdrawn",
                                                       "terminated", "refused", "obligations_due",
                                                       "obligations_performed", "confirmation_applied", "confirmed",
                                                       "rejected")},
                "closed_files": len(c.closed_days),
                "success_rate": percent(sm["success_rate"]), "performance_rate": percent(sm["performance_rate"]),
                "confirmation_rate": percent(sm["confirmation_rate"]), "average_days_to_close": sm["average_days_text"]}

    return _plain({"start": start, "end": end, "definitions": DEFINITIONS, "total": one(s["total"]),
                   "by_category": {k: one(v) for k, v in s["by_category"].items()}})


API_ROUTES = [list_api, create_api, waiting_api, open_from_case_api, detail_api, *ACTION_ROUTES, remove_obligation_api, reveal_party_api, agreement_pdf_api,
              record_pdf_api, committee_api, committee_update_api, confirmations_api, stats_api]
PAGE_ROUTES: list = []
__all__ = ["API_ROUTES", "PAGE_ROUTES", "NotFound"]
