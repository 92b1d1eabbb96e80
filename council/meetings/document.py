"""The minutes document: everything the 会议纪要 shows, gathered once into plain data.

The same snapshot is hashed, stored with the approved version and handed to the PDF template
(picklable for the render pool). Every text is scrubbed of phone and ID numbers on the way in —
the discussion and also titles (a case's title often carries the caller's number) and names:
minutes are printed and filed, and a number typed anywhere must not end up on paper.
"""

from __future__ import annotations

import datetime as dt
import json

from council.accounts.tables import User
from council.cases.tables import Case
from council.core import i18n
from council.core.localtime import local_time
from council.meetings.statemachine import KINDS
from council.meetings.tables import AgendaItem, MeetingParty
from council.parties.tables import Organisation
from council.privacy import mask_free_text, mask_id_number, mask_phone
from council.stations.tables import Room, Station
from council.votes.tables import Vote

def scrub(text: str) -> str:
    """Mask phone and ID numbers in free text (council.privacy.mask_free_text, used by every PDF)."""
    return mask_free_text(text) if text else ""


local = local_time


async def _user_name(user_id: int | None) -> str:
    if not user_id:
        return ""
    u = await User.select(User.display_name, User.username).where(User.id == user_id).first()
    return (u["display_name"] or u["username"]) if u else ""


async def snapshot_for(row: dict, content: dict, *, number: int, approved_by: str = "",
                       approved_at: dt.datetime | None = None, reason: str = "", draft: bool = False) -> dict:
    station = await Station.select(Station.name, Station.address).where(Station.id == row["station"]).first()
    room = await Room.select(Room.name).where(Room.id == row["room"]).first() if row["room"] else None
    parties = await MeetingParty.select().where(MeetingParty.meeting == row["id"]).order_by(
        MeetingParty.required, ascending=False).order_by(MeetingParty.id)
    org_kinds = {o["id"]: o["kind"] for o in await Organisation.select(Organisation.id, Organisation.kind).where(
        Organisation.id.is_in([p["organisation"] for p in parties if p["organisation"]] or [-1]))}
    attendees, absentees = [], []
    for p in parties:
        entry = {
            "name": scrub(p["name"]), "kind": p["party_key"].split(":")[0], "org_kind": org_kinds.get(p["organisation"], ""),
            "delegates": [scrub(d.strip()) for d in (p["delegates"] or "").splitlines() if d.strip()],
            "attendance": p["attendance"], "represented_by": scrub(p["represented_by"]), "required": p["required"],
        }
        (absentees if p["attendance"] in ("absent", "") else attendees).append(entry)
    items = []
    agenda = await AgendaItem.select().where(AgendaItem.meeting == row["id"]).order_by(
        AgendaItem.position).order_by(AgendaItem.id)
    cases = {c["id"]: c for c in await Case.select(Case.id, Case.number, Case.title).where(
        Case.id.is_in([a["case"] for a in agenda if a["case"]] or [-1]))}
    votes = {v["id"]: v for v in await Vote.select(Vote.id, Vote.title, Vote.state, Vote.result, Vote.passed).where(
        Vote.id.is_in([a["vote"] for a in agenda if a["vote"]] or [-1]))}
    org_names = {o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name)}
    zh = i18n.translations("zh_CN")

    def _(s: str, **k) -> str:
        t = zh.gettext(s)
        return t % k if k else t

    for n, a in enumerate(agenda, start=1):
        part = (content.get("items") or {}).get(str(a["id"]), {})
        vote = None
        if a["vote"] and a["vote"] in votes:
            v = votes[a["vote"]]
            text = ""
            result = json.loads(v["result"]) if isinstance(v["result"], str) else v["result"]
            if result:
                from council.votes.tally import summary

                try:
                    text = summary(result, _)
                except Exception:  # an unexpected result shape must not stop the minutes
                    text = ""
            vote = {"id": v["id"], "title": scrub(v["title"]), "state": v["state"], "passed": v["passed"], "summary": text}
        items.append({
            "n": n, "title": scrub(a["title"]), "minutes": a["minutes"], "case_id": a["case"],
            "case_number": cases[a["case"]]["number"] if a["case"] in cases else "",
            "discussion": scrub(part.get("discussion", "")), "decisions": scrub(part.get("decisions", "")),
            "actions": [{"id": x.get("id", ""), "what": scrub(x["what"]), "organisation": x.get("organisation"),
                         "who": org_names.get(x.get("organisation"), "") if x.get("organisation") else scrub(x.get("person", "")),
                         "person": scrub(x.get("person", "")), "due": x.get("due", "")}
                        for x in part.get("actions", [])],
            "vote": vote,
        })
    return {
        "title": scrub(row["title"]), "kind": row["kind"], "kind_label": dict(KINDS).get(row["kind"], row["kind"]),
        "station_name": station["name"] if station else "", "station_address": station["address"] if station else "",
        "room": room["name"] if room else "", "starts": local(row["starts_at"]), "ends": local(row["ends_at"], "%H:%M"),
        "date": local(row["starts_at"], "%Y年%m月%d日"),
        "chair": scrub(await _user_name(row["chair"])), "recorder": scrub(await _user_name(row["recorder"])),
        "attendees": attendees, "absentees": absentees, "items": items,
        "notes": scrub(content.get("notes", "")), "number": number, "reason": scrub(reason or ""),
        "approved_by": approved_by, "approved_at": local(approved_at) if approved_at else "",
        "draft": draft, "meeting_id": row["id"],
    }
