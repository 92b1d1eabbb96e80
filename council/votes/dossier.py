"""What a ballot decides (issue 17): the proposal behind a vote, shown to the voter beside their
choice — the plan (options and tasks), its cost (budget lines), who pays (funding sources, the
residents' share per household, the voter's own pledge), photos, and the approved minutes of the
meetings that discussed it.

Read-only. Everything free-text passes council.privacy.mask_free_text: a voter sees no phone or
ID number, whoever typed it. A vote without a case (a standalone question) has no dossier.
"""

from __future__ import annotations

from council import db

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from council import storage
from council.cases.tables import Attachment, BudgetLine, Case, FundingSource, Option, Pledge, Task
from council.cases.vocabulary import FUNDING_SOURCES, TASK_STATUSES
from council.core.errors import NotFound
from council.meetings.tables import AgendaItem, MinutesVersion
from council.privacy import mask_free_text as scrub
from council.votes.tables import VoteVoter

CENT = Decimal("0.01")
RESIDENTS = "residents_pledges"


def per_household(amount: Decimal, households: int) -> Decimal | None:
    """The residents' part split evenly over the households asked (None when nobody is asked)."""
    if households <= 0:
        return None
    return (Decimal(amount) / households).quantize(CENT, rounding=ROUND_HALF_UP)


def _units(voter: dict) -> list[int]:
    units = voter.get("units") or []
    if isinstance(units, str):
        units = json.loads(units or "[]")
    return [int(u) for u in units]


async def for_vote(vote: dict, voter: dict | None) -> dict | None:
    case_id = vote.get("case")
    if not case_id:
        return None
    case = await Case.select(Case.id, Case.number, Case.title, Case.description, Case.funding_not_needed).where(
        Case.id == case_id).first()
    if case is None:
        return None
    options = await Option.select(Option.title, Option.description, Option.preferred).where(
        Option.case == case_id).order_by(Option.id)
    tasks = await Task.select(Task.what, Task.organisation.name.as_alias("org"), Task.responsible, Task.status).where(
        (Task.case == case_id) & (Task.status != "cancelled")).order_by(Task.id)
    lines = await BudgetLine.select(BudgetLine.item, BudgetLine.amount).where(BudgetLine.case == case_id).order_by(BudgetLine.id)
    sources = await FundingSource.select(FundingSource.source, FundingSource.amount, FundingSource.note).where(
        FundingSource.case == case_id).order_by(FundingSource.id)
    households = await VoteVoter.count().where(VoteVoter.vote == vote["id"])
    residents = sum((Decimal(s["amount"]) for s in sources if s["source"] == RESIDENTS), Decimal(0))
    mine = Decimal(0)
    if voter and _units(voter):
        mine = sum((Decimal(p["amount"]) for p in await Pledge.select(Pledge.amount).where(
            (Pledge.case == case_id) & Pledge.unit.is_in(_units(voter)))), Decimal(0))
    photos = await Attachment.select(Attachment.id, Attachment.filename).where(
        (Attachment.case == case_id) & db.starts_with(Attachment.content_type, "image/")).order_by(Attachment.id)
    source_labels = dict(FUNDING_SOURCES)
    return {
        "number": case["number"], "title": scrub(case["title"]), "description": scrub(case["description"]),
        "options": [{"title": scrub(o["title"]), "description": scrub(o["description"]), "preferred": o["preferred"]}
                    for o in options],
        "tasks": [{"what": scrub(t["what"]), "who": t["org"] or scrub(t["responsible"]),
                   "status": dict(TASK_STATUSES).get(t["status"], t["status"])} for t in tasks],
        "lines": [{"item": scrub(b["item"]), "amount": Decimal(b["amount"])} for b in lines],
        "cost": sum((Decimal(b["amount"]) for b in lines), Decimal(0)),
        "sources": [{"label": source_labels.get(s["source"], s["source"]), "amount": Decimal(s["amount"]),
                     "note": scrub(s["note"])} for s in sources],
        "funding_not_needed": case["funding_not_needed"],
        "households": households, "residents": residents,
        "share": per_household(residents, households) if residents else None,
        "my_pledge": mine or None,
        "photos": [{"id": p["id"], "filename": p["filename"]} for p in photos],
        "minutes": await _minutes(case_id, vote["id"]),
    }


async def _minutes(case_id: int, vote_id: int) -> list[dict]:
    """The latest approved version of each meeting whose agenda took up this case or this vote,
    with just that agenda item's discussion and decisions (already masked when approved)."""
    items = await AgendaItem.select(AgendaItem.meeting, AgendaItem.case, AgendaItem.vote).where(
        (AgendaItem.case == case_id) | (AgendaItem.vote == vote_id))
    meetings = sorted({i["meeting"] for i in items})
    out = []
    for meeting_id in meetings:
        version = await MinutesVersion.select(MinutesVersion.snapshot, MinutesVersion.number).where(
            MinutesVersion.meeting == meeting_id).order_by(MinutesVersion.number, ascending=False).first()
        if version is None:
            continue  # minutes not approved yet: nothing to show a voter
        snap = version["snapshot"]
        snap = json.loads(snap) if isinstance(snap, str) else snap
        parts = [i for i in snap.get("items", [])
                 if i.get("case_id") == case_id or (i.get("vote") or {}).get("id") == vote_id]
        out.append({"title": scrub(snap.get("title", "")), "date": snap.get("date", ""),
                    "parts": [{"title": scrub(p.get("title", "")), "discussion": scrub(p.get("discussion", "")),
                               "decisions": scrub(p.get("decisions", ""))} for p in parts]})
    return out


async def photo(vote: dict, attachment_id: int, upload_dir: Path) -> tuple[dict, bytes]:
    """An image attached to the vote's case, for its voters; nothing else is served this way."""
    row = await Attachment.select().where(
        (Attachment.id == attachment_id) & (Attachment.case == (vote.get("case") or -1))).first()
    if row is None or not row["content_type"].startswith("image/"):
        raise NotFound()
    from council.cases.attachments import STORED_NAME

    if not STORED_NAME.match(row["stored_as"]):
        raise NotFound()
    body = await storage.read(upload_dir, f"cases/{row['stored_as']}")
    if body is None:
        raise NotFound()
    return row, body


__all__ = ["for_vote", "per_household", "photo"]
