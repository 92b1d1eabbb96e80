"""Invitations (accept / decline / send a delegate) and attendance at the meeting
(present / absent / represented by), with the quorum shown when a vote is on the agenda."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.meetings import policy, statemachine as sm
from council.meetings.common import load_meeting, now, record, require
from council.meetings.tables import AgendaItem, MeetingParty
from council.votes import rules
from council.votes.tables import Vote

FIX = "Please correct the marked fields."
RESPONSES = (("accepted", "Accept"), ("declined", "Decline"), ("delegated", "Send a delegate"))
RESPONSE_LABELS = {"pending": "No answer yet", "accepted": "Accepted", "declined": "Declined",
                   "delegated": "Sends a delegate"}
ATTENDANCE = (("present", "Present"), ("absent", "Absent"), ("represented", "Represented by"))
ATTENDANCE_LABELS = dict(ATTENDANCE)


async def respond(principal: Principal, meeting_id: int, party_id: int, response: str, *, delegate: str = "",
                  note: str = "", version: Any = None, ip: str = "") -> None:
    row, view = await load_meeting(principal, meeting_id)
    party = await MeetingParty.select().where((MeetingParty.id == party_id) & (MeetingParty.meeting == meeting_id)).first()
    if party is None:
        raise NotFound()
    if not policy.can_answer(principal, view, party["party_key"]):
        raise Forbidden()
    if row["state"] not in ("planned", "scheduled"):
        raise Conflict("This meeting cannot do that in its current state.")
    errors = {}
    if response not in dict(RESPONSES):
        errors["response"] = "Choose one of the listed options."
    delegate = (delegate or "").strip()[:100]
    if response == "delegated" and not delegate:
        errors["delegate"] = "Name the delegate."
    if errors:
        raise Invalid(FIX, errors=errors)
    values = {MeetingParty.response: response, MeetingParty.response_note: (note or "").strip()[:500],
              MeetingParty.responded_at: now(), MeetingParty.version: party["version"] + 1}
    if response == "delegated":
        values[MeetingParty.delegates] = delegate
    async with db.write():
        where = MeetingParty.id == party_id
        if version not in (None, ""):
            where = where & (MeetingParty.version == int(version))
        if not await MeetingParty.update(values).where(where).returning(MeetingParty.id):
            raise Conflict("Someone else changed this meeting after you opened it. Reload to see their changes.")
        await record(principal, "invitation_answered", row, {"party": party["party_key"], "response": party["response"]},
                     {"party": party["party_key"], "response": response, "delegate": delegate}, ip)


async def take_attendance(principal: Principal, meeting_id: int, entries: list[dict], ip: str = "") -> None:
    """entries: [{"party": id, "attendance": present/absent/represented, "represented_by": name}]."""
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_record(principal, view))
    if row["state"] not in sm.ATTENDANCE_STATES:
        raise Conflict("Attendance is taken once the meeting is scheduled and until its minutes are approved.")
    parties = {p["id"]: p for p in await MeetingParty.select().where(MeetingParty.meeting == meeting_id)}
    errors: dict[str, str] = {}
    changes = []
    for e in entries:
        pid = e.get("party")
        if pid not in parties:
            raise NotFound()
        att = (e.get("attendance") or "").strip()
        by = (e.get("represented_by") or "").strip()[:100]
        if att not in ("", *ATTENDANCE_LABELS):
            errors[f"attendance_{pid}"] = "Choose one of the listed options."
        if att == "represented" and not by:
            errors[f"represented_by_{pid}"] = "Name who represents them."
        if att != "represented":
            by = ""
        if (att, by) != (parties[pid]["attendance"], parties[pid]["represented_by"]):
            changes.append((pid, att, by))
    if errors:
        raise Invalid(FIX, errors=errors)
    async with db.write():
        for pid, att, by in changes:
            await MeetingParty.update({MeetingParty.attendance: att, MeetingParty.represented_by: by,
                                       MeetingParty.version: MeetingParty.version + 1}).where(MeetingParty.id == pid)
        if changes:
            await record(principal, "attendance", row,
                         {parties[pid]["party_key"]: parties[pid]["attendance"] for pid, _, _ in changes},
                         {parties[pid]["party_key"]: (att if att != "represented" else f"represented:{by}")
                          for pid, att, by in changes}, ip)


@dataclass(frozen=True)
class Quorum:
    present: int
    invited: int
    threshold: str  # "≥ 2/3"
    met: bool


def quorum(attendance: list[str], threshold: rules.Threshold = rules.DEFAULT_QUORUM) -> Quorum:
    """Parties present or represented, against the threshold (exact fractions). Pure."""
    present = sum(1 for a in attendance if a in ("present", "represented"))
    invited = len(attendance)
    return Quorum(present, invited, f"{threshold.symbol} {threshold.fraction}", threshold.met(Fraction(present), invited))


async def quorum_for(meeting_id: int, parties: list[dict]) -> Quorum | None:
    """Shown only when a vote is on the agenda; a representatives' vote brings its own quorum."""
    vote_ids = [r["vote"] for r in await AgendaItem.select(AgendaItem.vote).where(
        (AgendaItem.meeting == meeting_id) & AgendaItem.vote.is_not_null())]
    if not vote_ids:
        return None
    threshold = rules.DEFAULT_QUORUM
    for v in await Vote.select(Vote.rule_set, Vote.rule_params).where(Vote.id.is_in(vote_ids)):
        try:
            params = json.loads(v["rule_params"]) if isinstance(v["rule_params"], str) else v["rule_params"]
            rs = rules.build(v["rule_set"], params or {})
        except (ValueError, TypeError):
            continue
        if rs.counting == rules.PERSONS and rs.turnout_heads:
            threshold = rs.turnout_heads
            break
    return quorum([p["attendance"] for p in parties], threshold)
