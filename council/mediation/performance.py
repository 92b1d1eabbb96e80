"""Performance of the agreement (Art. 31: the committee supervises it) and follow-up visits (回访)."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.principal import Principal
from council.cases.calendar_store import today
from council.core.errors import Conflict, NotFound
from council.mediation import rules, store
from council.mediation.agreements import agreement_of
from council.mediation.fields import Reader
from council.mediation.tables import AgreementObligation, FollowUpVisit, ObligationPerformance


async def record_performance(principal: Principal, dispute_id: int, obligation_id: int, data: dict[str, Any],
                             ip: str = "") -> rules.ObligationState:
    """What was done, when, and the evidence (a receipt, a photo of the repair, the party's word)."""
    r = Reader(data, {"performed_on", "amount", "complete", "evidence"})
    on = r.date("performed_on", required=True, not_after=today())
    amount = r.money("amount")
    complete = r.flag("complete")
    evidence = r.text("evidence", required=True, limit=2000)
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        a = await agreement_of(dispute_id)
        o = await AgreementObligation.select().where(
            (AgreementObligation.id == obligation_id) & (AgreementObligation.agreement == (a["id"] if a else -1))).first()
        if o is None:
            raise NotFound()
        if a["effective_on"] is None:
            raise Conflict("The agreement has not taken effect yet.")
        if o["amount"] is None and amount is not None:
            from council.core.errors import Invalid

            raise Invalid("Please correct the marked fields.", errors={"amount": "This term is not about money."})
        before = await obligation_state(o)
        if before.state == "performed":
            raise Conflict("This term has been performed already.")
        values = dict(obligation=obligation_id, performed_on=on, amount=amount, complete=complete, evidence=evidence,
                      recorded_by=principal.user_id or None, recorded_at=store.utcnow())
        pid = (await ObligationPerformance.insert(ObligationPerformance(**values)))[0]["id"]
        after = await obligation_state(o)
        await store.history(principal, f, "performance", text=f'{o["what"]}: {evidence}',
                            entity_type="agreement_obligation", entity_id=obligation_id,
                            before={"state": before.state}, after={"state": after.state, "performance": pid,
                                                                   "amount": amount, "performed_on": on}, ip=ip)
    return after


async def obligation_state(o: dict, on=None) -> rules.ObligationState:
    rows = await ObligationPerformance.select().where(ObligationPerformance.obligation == o["id"])
    return rules.obligation_state(
        amount=o["amount"], due=o["due_date"], today=on or today(),
        performances=[rules.Performance(p["performed_on"], p["amount"], p["complete"]) for p in rows],
    )


async def add_followup(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    r = Reader(data, {"visited_on", "who", "note"})
    on = r.date("visited_on", required=True, not_after=today())
    who = r.text("who", limit=200)
    note = r.text("note", required=True, limit=5000)
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        values = dict(dispute=dispute_id, visited_on=on, visited_by=principal.user_id or None, who=who, note=note,
                      recorded_at=store.utcnow())
        vid = (await FollowUpVisit.insert(FollowUpVisit(**values)))[0]["id"]
        await store.history(principal, f, "followup", text=note, entity_type="mediation_followup", entity_id=vid,
                            after=values, ip=ip)
    return vid
