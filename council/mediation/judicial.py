"""Judicial confirmation (司法确认, Art. 33): the parties' joint application within 30 days of the
agreement taking effect, the court, its case number, and the ruling."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.principal import Principal
from council.cases.calendar_store import calendar_for, today
from council.core.errors import Conflict, Invalid
from council.mediation import rules, store
from council.mediation.agreements import agreement_effect, agreement_of
from council.mediation.fields import FIX, Reader
from council.mediation.tables import JudicialConfirmation
from council.mediation.vocabulary import RULINGS, codes


async def deadline_for(station_id: int, effective_on) -> Any:
    """The last day to apply, rolled past the station's days off (weekends and holidays)."""
    calendar = await calendar_for(station_id)
    return rules.confirmation_deadline(effective_on, lambda d: not calendar.is_working_day(d))


def decision(c: dict | None, day) -> dict | None:
    """The court's decision period for a recorded application: counted from the day the court
    accepted it (from the application until that day is recorded), 15 days, 25 when extended;
    its state says when it has run out with no ruling recorded."""
    if c is None:
        return None
    start = c["accepted_on"] or c["applied_on"]
    deadline = rules.decision_deadline(start, extended=c["extended_on"] is not None)
    return {"deadline": deadline, "state": rules.decision_state(deadline, day, ruled=bool(c["ruling"])),
            "counted_from": "accepted" if c["accepted_on"] else "applied", "days_left": (deadline - day).days}


async def apply(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    """The parties' joint application (Art. 33): `joint` must say they applied together."""
    r = Reader(data, {"applied_on", "court", "court_case_number", "joint", "accepted_on"})
    applied_on = r.date("applied_on", required=True, not_after=today())
    court = r.text("court", required=True, limit=120)
    number = r.text("court_case_number", limit=80)
    accepted_on = r.date("accepted_on", not_after=today())
    joint = r.flag("joint")
    why = rules.application_refusal(joint=joint)
    if why:
        r.errors["joint"] = why
    if applied_on and accepted_on and accepted_on < applied_on:
        r.errors["accepted_on"] = "The court accepted it before it was applied for?"
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        a = await agreement_of(dispute_id)
        if a is None:
            raise Conflict("There is no agreement to confirm.")
        effect = await agreement_effect(dispute_id, a)
        why = rules.eligibility(form=a["form"], status_matter=a["status_matter"], effective=bool(effect and effect.effective))
        if why:
            raise Conflict(why)
        deadline = await deadline_for(f["station"], effect.effective_on)
        if applied_on < effect.effective_on:
            raise Invalid(FIX, errors={"applied_on": "The agreement had not taken effect on that day."})
        if applied_on > deadline:
            raise Invalid(FIX, errors={"applied_on": "The 30-day window for judicial confirmation had closed."})
        if await JudicialConfirmation.exists().where(JudicialConfirmation.dispute == dispute_id):
            raise Conflict("Already recorded.")
        values = dict(dispute=dispute_id, agreement=a["id"], applied_on=applied_on, court=court,
                      court_case_number=number, joint=True, accepted_on=accepted_on)
        cid = (await JudicialConfirmation.insert(JudicialConfirmation(**values)))[0]["id"]
        await store.history(principal, f, "confirmation_applied", text=court, entity_type="judicial_confirmation",
                            entity_id=cid, after=values, ip=ip)
    return cid


async def record_ruling(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> None:
    r = Reader(data, {"ruling", "ruling_on", "court_case_number"})
    ruling = r.choice("ruling", codes(RULINGS) - {""})
    ruling_on = r.date("ruling_on", required=True, not_after=today())
    number = r.text("court_case_number", limit=80)
    version = r.version()
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        c = await _application(dispute_id)
        if ruling_on < c["applied_on"]:
            raise Invalid(FIX, errors={"ruling_on": "The ruling is dated before the application."})
        if c["accepted_on"] and ruling_on < c["accepted_on"]:
            raise Invalid(FIX, errors={"ruling_on": "The ruling is dated before the court accepted the application."})
        values = dict(ruling=ruling, ruling_on=ruling_on, court_case_number=number or c["court_case_number"])
        await store.update_versioned(JudicialConfirmation, c["id"], version, c["version"], values)
        await store.history(principal, f, "confirmation_ruling", text=values["court_case_number"], entity_type="judicial_confirmation",
                            entity_id=c["id"], before={k: c[k] for k in values}, after=values, ip=ip)


async def record_court_step(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> None:
    """What the court did before ruling: the day it accepted the application (受理: its 15 days
    run from the next day), and the day it extended its decision period by 10 days, with the
    reason it gave. Each is recorded once; a ruling closes both."""
    r = Reader(data, {"accepted_on", "extended_on", "extension_reason"})
    accepted_on = r.date("accepted_on", not_after=today())
    extended_on = r.date("extended_on", not_after=today())
    reason = r.text("extension_reason", limit=1000)
    version = r.version()
    if accepted_on is None and extended_on is None:
        r.errors["accepted_on"] = "This field is required."
    if extended_on is not None and not reason:
        r.errors["extension_reason"] = "Give the reason the court extended its period."
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        c = await _application(dispute_id)
        if c["ruling"]:
            raise Conflict("The court has ruled.")
        values: dict[str, Any] = {}
        if accepted_on is not None:
            if c["accepted_on"] is not None:
                raise Conflict("Already recorded.")
            if accepted_on < c["applied_on"]:
                raise Invalid(FIX, errors={"accepted_on": "The court accepted it before it was applied for?"})
            values["accepted_on"] = accepted_on
        if extended_on is not None:
            if c["extended_on"] is not None:
                raise Conflict("The court's period can be extended once, by 10 days.")
            start = accepted_on or c["accepted_on"] or c["applied_on"]
            if extended_on < start:
                raise Invalid(FIX, errors={"extended_on": "The extension is dated before the application was accepted."})
            values["extended_on"] = extended_on
            values["extension_reason"] = reason
        await store.update_versioned(JudicialConfirmation, c["id"], version, c["version"], values)
        await store.history(principal, f, "confirmation_court", text=reason or "",
                            entity_type="judicial_confirmation", entity_id=c["id"],
                            before={k: c[k] for k in values}, after=values, ip=ip)


async def _application(dispute_id: int) -> dict:
    """The file's application for judicial confirmation; the court's steps need one first."""
    c = await JudicialConfirmation.select().where(JudicialConfirmation.dispute == dispute_id).first()
    if c is None:
        raise Conflict("Record the application first.")
    return c
