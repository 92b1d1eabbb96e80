"""The mediation agreement (调解协议, Art. 28/29): its content, its terms as obligations, and the
signatures that make it take effect."""

from __future__ import annotations

import datetime as dt
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.accounts.tables import User
from council.cases.calendar_store import local_date, today
from council.core.errors import Conflict, Invalid, NotFound
from council.mediation import rules, store
from council.mediation.fields import FIX, Reader
from council.mediation.tables import (
    AgreementObligation, AgreementSignature, DisputeMediator, DisputeParty, MediationAgreement, MediationSession,
)
from council.meetings.common import utc
from council.mediation.vocabulary import AGREEMENT_FORMS, SIGN_METHODS, STATUS_MATTERS, codes

async def mediator_ids(dispute_id: int) -> list[int]:
    from council.mediation.files import mediator_ids as ids

    return await ids(dispute_id)


FROZEN = "The agreement has been signed: its content can no longer change."


async def agreement_of(dispute_id: int) -> dict | None:
    return await MediationAgreement.select().where(MediationAgreement.dispute == dispute_id).first()


async def agreement_session_day(dispute_id: int) -> dt.date | None:
    """The local day of the first session recorded as having reached the agreement."""
    rows = await MediationSession.select(MediationSession.starts_at).where(
        (MediationSession.dispute == dispute_id) & (MediationSession.result == "agreement")
        & MediationSession.cancelled_at.is_null())
    return rules.first_agreement_session(local_date(utc(r["starts_at"])) for r in rows)


async def agreement_effect(dispute_id: int, agreement: dict | None = None) -> rules.Effectiveness | None:
    a = agreement or await agreement_of(dispute_id)
    if a is None:
        return None
    mediators = {m["user"] for m in await DisputeMediator.select(DisputeMediator.user).where(
        DisputeMediator.dispute == dispute_id)}
    # Only a mediator of this file signs for the committee's mediation (Art. 29): a signature
    # recorded for anyone else (a row from before this rule) does not count.
    mediator_signed_on = a["mediator_signed_on"] if a["mediator_signer"] in mediators else None
    parties = await DisputeParty.select(DisputeParty.id, DisputeParty.name).where(
        DisputeParty.dispute == dispute_id).order_by(DisputeParty.id)
    signed = {s["party"]: s["signed_on"] for s in await AgreementSignature.select().where(AgreementSignature.agreement == a["id"])}
    return rules.effectiveness(
        a["form"], reached_on=a["reached_on"],
        parties=[rules.PartySignature(p["id"], p["name"], signed.get(p["id"])) for p in parties],
        mediator_signed_on=mediator_signed_on, sealed_on=a["sealed_on"],
    )


async def _signed(a: dict) -> bool:
    return a["mediator_signed_on"] is not None or a["sealed_on"] is not None or await AgreementSignature.exists().where(
        AgreementSignature.agreement == a["id"])


async def _refresh_effective(principal: Principal, f: dict, a: dict, ip: str) -> None:
    """Keep effective_on in step with the signatures; the day it takes effect goes on the timeline."""
    effect = await agreement_effect(f["id"], a)
    effective_on = effect.effective_on if effect else None
    if effective_on != a["effective_on"]:
        await MediationAgreement.update({MediationAgreement.effective_on: effective_on}).where(MediationAgreement.id == a["id"])
        if effective_on is not None:
            await store.history(principal, f, "agreement_effective", text=effective_on.isoformat(),
                                entity_type="mediation_agreement", entity_id=a["id"],
                                before={"effective_on": None}, after={"effective_on": effective_on}, ip=ip)


async def save_agreement(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    """Draft or correct the agreement's content (Art. 29: the main facts, the disputed matters,
    each party's responsibility). Once anyone has signed, the content is frozen."""
    r = Reader(data, {"form", "facts", "matters", "responsibilities", "status_matter", "reached_on"})
    form = r.choice("form", codes(AGREEMENT_FORMS), default="written")
    facts = r.text("facts", limit=10000)
    matters = r.text("matters", limit=10000)
    responsibilities = r.text("responsibilities", limit=10000)
    status_matter = r.choice("status_matter", codes(STATUS_MATTERS), default="none")
    reached_on = r.date("reached_on", not_after=today())
    version = r.version()
    if form == "written":
        for name, value in (("facts", facts), ("matters", matters), ("responsibilities", responsibilities)):
            if not value:
                r.errors[name] = "A written agreement must state this (Art. 29)."
    if form == "oral":
        if not facts:
            r.errors["facts"] = "Record the content of the oral agreement."
        if reached_on is None:
            r.errors["reached_on"] = "This field is required."
    f = await store.load_file(principal, dispute_id)
    why = rules.agreement_date_refusal(reached_on, opened_on=f["opened_on"],
                                       session_day=await agreement_session_day(dispute_id))
    if why:
        r.errors["reached_on"] = why
    r.check()
    values = dict(form=form, facts=facts, matters=matters, responsibilities=responsibilities,
                  status_matter=status_matter, reached_on=reached_on)
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        if f["state"] != "mediating":
            raise Conflict("An agreement is recorded while mediating.")
        a = await agreement_of(dispute_id)
        if a is None:
            agreement_id = (await MediationAgreement.insert(MediationAgreement(dispute=dispute_id, **values)))[0]["id"]
            await store.history(principal, f, "agreement_drafted", entity_type="mediation_agreement",
                                entity_id=agreement_id, after=values, ip=ip)
            a = await agreement_of(dispute_id)
        else:
            agreement_id = a["id"]
            if await _signed(a):
                raise Conflict(FROZEN)
            await store.update_versioned(MediationAgreement, agreement_id, version, a["version"], values)
            await store.history(principal, f, "agreement_changed", entity_type="mediation_agreement",
                                entity_id=agreement_id, before={k: a[k] for k in values}, after=values, ip=ip)
            a = await agreement_of(dispute_id)
        await _refresh_effective(principal, f, a, ip)
    return agreement_id


async def _open_agreement(principal: Principal, dispute_id: int) -> tuple[dict, dict]:
    f = await store.load_file(principal, dispute_id)
    a = await agreement_of(dispute_id)
    if a is None:
        raise Conflict("Draft the agreement first.")
    return f, a


async def add_obligation(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    """One term: which party does what, the amount when it is money, by when, and how."""
    r = Reader(data, {"party", "what", "amount", "due_date", "manner"})
    party_id = r.ident("party", required=True)
    what = r.text("what", required=True, limit=2000)
    amount = r.money("amount")
    due = r.date("due_date")
    manner = r.text("manner")
    f = await store.load_file(principal, dispute_id)
    if party_id is not None and not await DisputeParty.exists().where(
            (DisputeParty.id == party_id) & (DisputeParty.dispute == dispute_id)):
        r.errors["party"] = "Choose one of the listed options."
    r.check()
    async with db.write():
        f, a = await _open_agreement(principal, dispute_id)
        if await _signed(a):
            raise Conflict(FROZEN)
        if due is not None and a["reached_on"] is not None and due < a["reached_on"]:
            raise Invalid(FIX, errors={"due_date": "The due date is before the agreement was reached."})
        position = await AgreementObligation.count().where(AgreementObligation.agreement == a["id"]) + 1
        values = dict(agreement=a["id"], position=position, party=party_id, what=what, amount=amount,
                      due_date=due, manner=manner)
        oid = (await AgreementObligation.insert(AgreementObligation(**values)))[0]["id"]
        await store.history(principal, f, "obligation_added", text=what, entity_type="agreement_obligation",
                            entity_id=oid, after=values, ip=ip)
    return oid


async def remove_obligation(principal: Principal, dispute_id: int, obligation_id: int, ip: str = "") -> None:
    async with db.write():
        f, a = await _open_agreement(principal, dispute_id)
        row = await AgreementObligation.select().where(
            (AgreementObligation.id == obligation_id) & (AgreementObligation.agreement == a["id"])).first()
        if row is None:
            raise NotFound()
        if await _signed(a):
            raise Conflict(FROZEN)
        await AgreementObligation.delete().where(AgreementObligation.id == obligation_id)
        await store.history(principal, f, "obligation_removed", text=row["what"], entity_type="agreement_obligation",
                            entity_id=obligation_id, before=row, after={}, ip=ip)


async def sign(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> rules.Effectiveness:
    """Record one signature with its date: a party's (signed, sealed or fingerprinted), the
    mediator's, or the committee's seal. Returns what is still missing."""
    r = Reader(data, {"who", "method", "signed_on", "mediator", "on_behalf"})
    who = r.text("who", required=True, limit=30)
    method = r.choice("method", codes(SIGN_METHODS), default="signature")
    on = r.date("signed_on", required=True, not_after=today())
    signer = r.ident("mediator")
    on_behalf = r.flag("on_behalf")
    f = await store.load_file(principal, dispute_id)
    if who == "mediator" and signer is None:
        signer = principal.user_id  # "I signed": the mediator records their own signature
    if on is not None and not r.errors.get("signed_on"):
        why = rules.agreement_date_refusal(on, opened_on=f["opened_on"],
                                           session_day=await agreement_session_day(dispute_id))
        if why:
            r.errors["signed_on"] = why
    party_id = None
    if who.startswith("party:") and who[6:].isdigit():
        party_id = int(who[6:])
    elif who not in ("mediator", "seal"):
        r.errors.setdefault("who", "Choose one of the listed options.")
    r.check()
    async with db.write():
        f, a = await _open_agreement(principal, dispute_id)
        if a["form"] != "written":
            raise Conflict("An oral agreement is not signed; it takes effect when reached.")
        if f["state"] != "mediating":
            raise Conflict("An agreement is recorded while mediating.")
        if not a["facts"]:
            raise Conflict("Draft the agreement first.")
        if not await AgreementObligation.exists().where(AgreementObligation.agreement == a["id"]):
            raise Conflict("Add the agreed terms before anyone signs.")
        if a["reached_on"] is not None and on < a["reached_on"]:
            raise Invalid(FIX, errors={"signed_on": "Signed before the agreement was reached?"})
        if party_id is not None:
            party = await DisputeParty.select().where(
                (DisputeParty.id == party_id) & (DisputeParty.dispute == dispute_id)).first()
            if party is None:
                raise Invalid(FIX, errors={"who": "Choose one of the listed options."})
            if await AgreementSignature.exists().where(
                    (AgreementSignature.agreement == a["id"]) & (AgreementSignature.party == party_id)):
                raise Conflict("Already recorded.")
            await AgreementSignature.insert(AgreementSignature(agreement=a["id"], party=party_id, method=method,
                                                               signed_on=on, recorded_by=principal.user_id or None))
            label = party["name"]
        elif who == "mediator":
            if a["mediator_signed_on"] is not None:
                raise Conflict("Already recorded.")
            why = rules.mediator_signature_refusal(
                signer=signer, recorder=principal.user_id, recorder_role=str(principal.role),
                file_mediators=await mediator_ids(dispute_id), on_behalf=on_behalf)
            if why:
                field = "on_behalf" if "behalf" in why and "Only" not in why else "mediator"
                raise Invalid(FIX, errors={field: why})
            own = signer == principal.user_id
            await MediationAgreement.update({
                MediationAgreement.mediator_signed_on: on, MediationAgreement.mediator_signer: signer,
                MediationAgreement.mediator_recorded_by: principal.user_id or None,
                MediationAgreement.mediator_on_behalf: not own}).where(MediationAgreement.id == a["id"])
            name = (await User.select(User.display_name, User.username).where(User.id == signer).first()) or {}
            label = name.get("display_name") or name.get("username") or ""
            if not own:  # the timeline says who typed it in, for whom
                label = f"{label}（{principal.label}代为录入）"
        else:
            if a["sealed_on"] is not None:
                raise Conflict("Already recorded.")
            await MediationAgreement.update({MediationAgreement.sealed_on: on}).where(MediationAgreement.id == a["id"])
            label = "调解委员会印章"  # the timeline names who signed; the committee signs by its seal
        await store.history(principal, f, "signed", text=f"{label} {on.isoformat()}", entity_type="mediation_agreement",
                            entity_id=a["id"], after={"who": who, "method": method, "signed_on": on,
                                                      **({"mediator": signer, "recorded_by": principal.user_id,
                                                          "on_behalf": signer != principal.user_id}
                                                         if who == "mediator" else {})}, ip=ip)
        a = await agreement_of(dispute_id)
        await _refresh_effective(principal, f, a, ip)
        return await agreement_effect(dispute_id, a)
