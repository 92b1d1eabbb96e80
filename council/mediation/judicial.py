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


async def apply(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    r = Reader(data, {"applied_on", "court", "court_case_number"})
    applied_on = r.date("applied_on", required=True, not_after=today())
    court = r.text("court", required=True, limit=120)
    number = r.text("court_case_number", limit=80)
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
                      court_case_number=number)
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
        c = await JudicialConfirmation.select().where(JudicialConfirmation.dispute == dispute_id).first()
        if c is None:
            raise Conflict("Record the application first.")
        if ruling_on < c["applied_on"]:
            raise Invalid(FIX, errors={"ruling_on": "The ruling is dated before the application."})
        values = dict(ruling=ruling, ruling_on=ruling_on, court_case_number=number or c["court_case_number"])
        await store.update_versioned(JudicialConfirmation, c["id"], version, c["version"], values)
        await store.history(principal, f, "confirmation_ruling", text=values["court_case_number"], entity_type="judicial_confirmation",
                            entity_id=c["id"], before={k: c[k] for k in values}, after=values, ip=ip)
