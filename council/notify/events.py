"""The hooks the services call, one line each, inside their write transaction: each decides who is
told about this change and enqueues the messages (council.notify.outbox).

The event key names one occurrence: a case's version after the move, a meeting's version, a
session's new time — so the same occurrence never makes two messages, and a new occurrence
(a second chase) does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from council.core.localtime import local_time
from council.notify import recipients as who
from council.notify.outbox import enqueue, utcnow

# request loop action -> event name
REQUEST_EVENTS = {"dispatch": "request.dispatch", "reject_report": "request.reject_report", "report": "request.report",
                  "close": "request.close", "send_back": "request.send_back"}


def _case_params(row: dict, **extra: Any) -> dict:
    return {"case": row["id"], "number": row["number"], "title": row["title"][:60],
            "due": row["due_date"].isoformat() if row.get("due_date") else "", **extra}


async def case_moved(row: dict, action: str, *, text: str = "") -> None:
    """A request moved along the closed loop (dispatch, report back, verify and close, …)."""
    event = REQUEST_EVENTS.get(action)
    if event is None or row["kind"] != "request":
        return
    if action in ("dispatch", "reject_report"):
        targets = await who.organisation(row["organisation"], link=("case_handle", row["id"]))
    elif action == "close":
        targets = await who.residents([row["reporter"]], consented=[row["reporter"]] if row["contact_consent"] else [])
    else:
        targets = await who.station_staff(row["station"])
    await enqueue(event, f"{event}:case:{row['id']}:v{row['version']}", targets,
                  _case_params(row, text=text[:200]), case_id=row["id"], urgent=row.get("priority") == "urgent")


async def case_chased(row: dict, text: str = "", *, from_above: bool = False) -> None:
    """督单: the organisation is chased; every chase is its own occurrence. A chase from the street
    or the district (督办, issue 18) reaches the station's staff too (and the organisation, if the
    case has one)."""
    targets = await who.organisation(row["organisation"], link=("case_handle", row["id"])) if row["organisation"] else []
    if from_above:
        targets = who.merge(await who.station_staff(row["station"]), targets)
    await enqueue("request.chase", f"request.chase:case:{row['id']}:{utcnow().isoformat()}", targets,
                  _case_params(row, text=text[:200]), case_id=row["id"])


async def case_escalated(row: dict, text: str = "") -> None:
    targets = who.merge(await who.station_staff(row["station"]),
                        await who.organisation(row["organisation"], link=("case_handle", row["id"])))
    await enqueue("request.escalate", f"request.escalate:case:{row['id']}:v{row['version']}", targets,
                  _case_params(row, level=row.get("escalation", ""), text=text[:200]), case_id=row["id"], urgent=True)


async def vote_moved(row: dict, event: str) -> None:
    """vote.opened: each voter with their own voting link (the letter's link, computed from its
    salt at sending); vote.closed: the station's secretaries and the voters with an account."""
    from council.votes.tables import VoteVoter

    voters = await VoteVoter.select(VoteVoter.id, VoteVoter.person).where(VoteVoter.vote == row["id"])
    by_person = {v["person"]: v["id"] for v in voters if v["person"]}
    params = {"vote": row["id"], "title": row["title"][:60], "case": row.get("case"),
              "closes": local_time(row["closes_at"]) if row.get("closes_at") else ""}
    targets = await who.residents(by_person)
    if event == "vote.closed":
        targets = who.merge(await who.station_staff(row["station"], group=False), targets)
        params["passed"] = bool(row.get("passed"))
    else:
        for t in targets:  # each resident's message carries their own letter's link
            if t.key.startswith("person:"):
                t.extra = {"voter": by_person.get(int(t.key[7:]))}
    await enqueue(event, f"{event}:vote:{row['id']}", targets, params, case_id=row.get("case"))


async def _meeting_parties(meeting_id: int) -> list:
    from council.meetings.tables import MeetingParty

    parties = await MeetingParty.select().where(MeetingParty.meeting == meeting_id)
    out = []
    for p in parties:
        out += await _party_target(p)
    return out


async def _party_target(p: dict) -> list:
    if p["organisation"]:
        return await who.organisation(p["organisation"])
    if p["user"]:
        return await who.users([p["user"]])
    if p["person"]:
        return await who.residents([p["person"]])
    return []


def _meeting_params(row: dict, **extra: Any) -> dict:
    return {"meeting": row["id"], "title": row["title"][:60], "when": local_time(row.get("starts_at")), **extra}


async def meeting_invited(row: dict, party_key: str) -> None:
    from council.meetings.tables import MeetingParty

    p = await MeetingParty.select().where((MeetingParty.meeting == row["id"]) & (MeetingParty.party_key == party_key)).first()
    if p is None:
        return
    await enqueue("meeting.invited", f"meeting.invited:meeting:{row['id']}:{party_key}", await _party_target(p),
                  _meeting_params(row))


async def meeting_created(row: dict, party_keys: list[str]) -> None:
    for key in party_keys:
        await meeting_invited(row, key)


async def meeting_moved(row: dict, action: str) -> None:
    """rescheduled or cancelled: every invited party, the chair and the recorder."""
    if action not in ("reschedule", "cancel"):
        return
    event = "meeting.moved" if action == "reschedule" else "meeting.cancelled"
    targets = who.merge(await _meeting_parties(row["id"]), await who.users([row.get("chair"), row.get("recorder")]))
    await enqueue(event, f"{event}:meeting:{row['id']}:v{row['version']}", targets,
                  _meeting_params(row, reason=(row.get("reason") or "")[:100]), urgent=action == "cancel")


async def minutes_approved(row: dict, number: int) -> None:
    targets = who.merge(await _meeting_parties(row["id"]), await who.users([row.get("chair"), row.get("recorder")]))
    await enqueue("minutes.approved", f"minutes.approved:meeting:{row['id']}:n{number}", targets,
                  _meeting_params(row, number=number))


async def session_moved(f: dict, session_id: int, starts_at: dt.datetime, event: str = "session.scheduled") -> None:
    """A mediation session booked or moved: the consenting parties (with a link to confirm the
    time) and the file's mediators."""
    from council.mediation.tables import DisputeMediator

    mediators = await DisputeMediator.select(DisputeMediator.user).where(DisputeMediator.dispute == f["id"])
    targets = who.merge(await who.dispute_parties(f["id"], link_session=session_id),
                        await who.users(m["user"] for m in mediators))
    await enqueue(event, f"{event}:session:{session_id}:{starts_at.isoformat()}", targets,
                  {"file": f["number"], "session": session_id, "when": local_time(starts_at)}, case_id=f["case"])


async def agreement_effective(f: dict, effective_on: dt.date) -> None:
    targets = who.merge(await who.dispute_parties(f["id"]), await who.station_staff(f["station"], ("secretary", "mediator")))
    await enqueue("agreement.effective", f"agreement.effective:file:{f['id']}:{effective_on.isoformat()}", targets,
                  {"file": f["number"], "effective_on": effective_on.isoformat()}, case_id=f["case"])
