"""Use cases of the dispute file itself: registering (调解登记), details, parties, consent and the
rights-and-duties notice, mediators, the steps, and escalation. Each one: validate → permission →
write → audit, in one transaction."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.principal import Principal
from council.accounts.tables import User, UserStation
from council.cases import intake
from council.cases.calendar_store import categories_for, today
from council.cases.common import set_state
from council.cases.tables import Case
from council.core import scope
from council.core.errors import Conflict, Invalid, NotFound
from council.mediation import rules, store
from council.mediation.fields import FIX, Reader
from council.mediation.machine import MACHINE, OPEN_STATES, DisputeFacts, MoveRefused
from council.privacy import mask_id_number, mask_phone
from council.mediation.tables import DisputeFile, DisputeMediator, DisputeParty, MediationAgreement
from council.mediation.vocabulary import (
    CASE_CATEGORY, CATEGORIES, CONSENT, PARTY_KINDS, PARTY_ROLES, REFERRALS, SOURCES, codes,
)
from council.stations.tables import Station

# Which channel of the case list a dispute arrived by.
SOURCE_CHANNEL = {"applied": "reception_day", "grid_worker": "patrol"}


async def _case_category(station_id: int, category: str) -> str:
    active = [c["code"] for c in await categories_for(station_id) if c["active"]]
    for code in (CASE_CATEGORY.get(category), "other"):
        if code in active:
            return code
    if not active:
        raise Invalid("The station has no case categories; ask the secretary to add one.")
    return active[0]


async def register_dispute(principal: Principal, data: dict[str, Any], ip: str = "") -> dict:
    """A new dispute: a case of kind "dispute" (through the case intake, so it has a case number,
    a timeline and shows in the case list) and its file, numbered （2026）振兴路人调字第 N 号."""
    r = Reader(data, {"station", "title", "description", "category", "source", "source_detail", "estate"})
    station_id = r.ident("station")
    title = r.text("title", required=True)
    description = r.text("description", limit=10000)
    category, source, source_detail = _read_origin(r)
    estate = r.ident("estate")
    store.require_role(principal)
    if station_id is None and len(principal.station_ids) == 1:
        station_id = next(iter(principal.station_ids))
    if station_id is None:
        r.errors.setdefault("station", "This field is required.")
    r.check()
    if not await Station.exists().where(Station.id == station_id):
        raise Invalid(FIX, errors={"station": "Choose one of the listed options."})
    store.require_station(principal, station_id)
    async with db.write():
        case = await intake.register_case(principal, {
            "station": station_id, "kind": "dispute", "title": title, "description": description,
            "category": await _case_category(station_id, category), "channel": SOURCE_CHANNEL.get(source, "other"),
            "estate": estate,
        }, ip=ip)
        made = await _new_file(principal, case["id"], station_id, category, source, source_detail, ip)
    return {**made, "case": case["id"], "case_number": case["number"]}


def _read_origin(r: Reader) -> tuple[str, str, str]:
    category = r.choice("category", codes(CATEGORIES))
    source = r.choice("source", codes(SOURCES))
    source_detail = r.text("source_detail")
    if source in ("court", "police", "department") and not source_detail:
        r.errors["source_detail"] = "Say which court, police station or department referred it."
    return category, source, source_detail


async def _new_file(principal: Principal, case_id: int, station_id: int, category: str, source: str,
                    source_detail: str, ip: str) -> dict:
    committee = await store.committee_for(station_id)
    opened = today()
    number, seq = await store.next_file_number(committee, opened.year)
    values = dict(case=case_id, station=station_id, committee=committee["id"], number=number, year=opened.year,
                  sequence=seq, category=category, source=source, source_detail=source_detail,
                  level="community", opened_on=opened)
    try:
        dispute_id = (await DisputeFile.insert(DisputeFile(**values)))[0]["id"]
    except Exception as e:
        if db.is_unique_violation(e):
            raise Conflict("This dispute already has a mediation file.") from None
        raise
    f = {"id": dispute_id, "case": case_id, "station": station_id}
    await store.history(principal, f, "registered", text=number, after=values, ip=ip)
    return {"id": dispute_id, "number": number}


async def open_file(principal: Principal, case_id: int, data: dict[str, Any], ip: str = "") -> dict:
    """A dispute registered elsewhere (the case intake, the reception desk) gets its mediation
    file: the same case, now numbered by the committee. Its timeline so far stays with it."""
    r = Reader(data, {"category", "source", "source_detail"})
    category, source, source_detail = _read_origin(r)
    store.require_role(principal)
    case = await Case.select().where(Case.id == case_id).first()
    if case is None or case["kind"] != "dispute":
        raise NotFound()
    store.require_station(principal, case["station"])
    r.check()
    async with db.write():
        if await DisputeFile.exists().where(DisputeFile.case == case_id):
            raise Conflict("This dispute already has a mediation file.")
        made = await _new_file(principal, case_id, case["station"], category, source, source_detail, ip)
    return {**made, "case": case_id, "case_number": case["number"]}


async def update_details(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> None:
    r = Reader(data, {"title", "description", "category", "source", "source_detail"})
    title = r.text("title", required=True)
    description = r.text("description", limit=10000)
    category = r.choice("category", codes(CATEGORIES))
    source = r.choice("source", codes(SOURCES))
    source_detail = r.text("source_detail")
    version = r.version()
    if source in ("court", "police", "department") and not source_detail:
        r.errors["source_detail"] = "Say which court, police station or department referred it."
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        before = {k: f[k] for k in ("category", "source", "source_detail")}
        after = dict(category=category, source=source, source_detail=source_detail)
        await store.update_versioned(DisputeFile, dispute_id, version, f["version"], after)
        case = await Case.select().where(Case.id == f["case"]).first()
        if (case["title"], case["description"]) != (title, description):
            await Case.update({Case.title: title, Case.description: description, Case.version: case["version"] + 1}).where(
                Case.id == case["id"])
        await store.history(principal, f, "details", before={**before, "title": case["title"]},
                            after={**after, "title": title}, ip=ip)


# ---------------------------------------------------------------- parties

PARTY_FIELDS = {"role", "kind", "person", "organisation", "name", "gender", "id_number", "phone", "address",
                "agent_name", "agent_phone", "agent_basis"}


def _read_party(r: Reader) -> dict:
    values = dict(
        role=r.choice("role", codes(PARTY_ROLES)), kind=r.choice("kind", codes(PARTY_KINDS), default="person"),
        person=r.ident("person"), organisation=r.ident("organisation"), name=r.text("name", limit=120),
        gender=r.choice("gender", {"男", "女"}, required=False), id_number=r.text("id_number", limit=30),
        phone=r.text("phone", limit=20), address=r.text("address"), agent_name=r.text("agent_name", limit=100),
        agent_phone=r.text("agent_phone", limit=20), agent_basis=r.text("agent_basis", limit=100),
    )
    for k in ("phone", "agent_phone"):
        v = values[k].replace("-", "").replace(" ", "")
        if v and not (v.isdigit() and 7 <= len(v) <= 15):
            r.errors[k] = "Enter a phone number (digits only)."
    if values["id_number"] and not values["id_number"].replace("-", "").isalnum():
        r.errors["id_number"] = "Enter the ID number as printed on the card."
    if values["agent_phone"] and not values["agent_name"]:
        r.errors["agent_name"] = "This field is required."
    return values


async def _fill_from_registers(principal: Principal, values: dict, f: dict, r: Reader) -> None:
    """A party who is a registered resident (or organisation) is linked, and their name and phone
    are copied onto the file: the file keeps what the parties said at the time. The row must be
    one the principal may name, of the file's station (council/core/scope.py)."""
    async def scoped(kind: str, field: str) -> dict | None:
        try:
            return await scope.ensure_in_scope(principal, kind, values[field], field=field, station=f["station"])
        except Invalid:
            r.errors[field] = "Choose one of the listed options."
            return None

    if values["person"] is not None:
        person = await scoped("person", "person")
        if person is not None and person["anonymised_at"] is not None:
            r.errors["person"] = "Choose one of the listed options."
        elif person is not None:
            values["name"] = values["name"] or person["name"]
            values["phone"] = values["phone"] or person["phone"]
            values["id_number"] = values["id_number"] or person["id_number"]
    if values["organisation"] is not None:
        org = await scoped("organisation", "organisation")
        if org is not None:
            values["kind"] = "organisation"
            values["name"] = values["name"] or org["name"]
            values["phone"] = values["phone"] or org["phone"]
    if not values["name"]:
        r.errors.setdefault("name", "This field is required.")


async def add_party(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    r = Reader(data, PARTY_FIELDS)
    values = _read_party(r)
    f = await store.load_file(principal, dispute_id)
    await _fill_from_registers(principal, values, f, r)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        if f["state"] not in ("registered", "consent"):
            raise Conflict("Parties are recorded before mediation starts.")
        party_id = (await DisputeParty.insert(DisputeParty(dispute=dispute_id, **values)))[0]["id"]
        await store.history(principal, f, "party_added", text=values["name"], entity_type="dispute_party",
                            entity_id=party_id, after=_masked(values), ip=ip)
    return party_id


async def _party(f: dict, party_id: int | None) -> dict:
    row = await DisputeParty.select().where(
        (DisputeParty.id == (party_id or -1)) & (DisputeParty.dispute == f["id"])).first()
    if row is None:
        raise NotFound()
    return row


def _masked(values: dict) -> dict:
    """For the audit log: it says a phone or ID number was set or changed, not what it is."""
    return {**values, **{k: mask_phone(values[k]) for k in ("phone", "agent_phone") if k in values},
            **({"id_number": mask_id_number(values["id_number"])} if "id_number" in values else {})}


async def update_party(principal: Principal, dispute_id: int, party_id: int, data: dict[str, Any], ip: str = "") -> None:
    """Correct a party's details (name, kind, contact, agent). A field not given keeps its value;
    an empty one clears it. Frozen once anyone has signed the agreement: it carries them."""
    f = await store.load_file(principal, dispute_id)
    party = await _party(f, party_id)
    given = {k: v for k, v in (data if isinstance(data, dict) else {}).items()}
    for k in PARTY_FIELDS:
        if k not in given and party[k] is not None:
            given[k] = party[k]
    r = Reader(given if isinstance(data, dict) else data, PARTY_FIELDS)
    values = _read_party(r)
    version = r.version()
    await _fill_from_registers(principal, values, f, r)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        party = await _party(f, party_id)
        if f["state"] not in OPEN_STATES:
            raise Conflict("The file is closed.")
        if await _agreement_signed(f["id"]):
            raise Conflict("The agreement has been signed: the parties' details can no longer change.")
        await store.update_versioned(DisputeParty, party_id, version, party["version"], values)
        await store.history(principal, f, "party_changed", text=values["name"], entity_type="dispute_party",
                            entity_id=party_id, before=_masked({k: party[k] for k in values}),
                            after=_masked(values), ip=ip)


async def _agreement_signed(dispute_id: int) -> bool:
    from council.mediation.tables import AgreementSignature

    a = await MediationAgreement.select(MediationAgreement.id, MediationAgreement.mediator_signed_on).where(
        MediationAgreement.dispute == dispute_id).first()
    if a is None:
        return False
    return a["mediator_signed_on"] is not None or await AgreementSignature.exists().where(AgreementSignature.agreement == a["id"])


async def record_consent(principal: Principal, dispute_id: int, party_id: int, data: dict[str, Any], ip: str = "") -> None:
    """Whether a party agrees to mediation (Art. 17: voluntary). A refusal is recorded against
    that party, with their reason: mediation cannot start while it stands, but the file stays
    open — closing it as refused is the mediator's own move (move "refuse", confirmed), and a
    refusal entered by mistake is withdrawn with withdraw_refusal, not overwritten."""
    r = Reader(data, {"consent", "consent_on", "consent_note"})
    consent = r.choice("consent", codes(CONSENT) - {""})
    on = r.date("consent_on", not_after=today()) or today()
    note = r.text("consent_note", limit=2000)
    version = r.version()
    if consent == "refused" and not note:
        r.errors["consent_note"] = "Write down the party's reason for refusing."
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        party = await _party(f, party_id)
        if f["state"] not in ("registered", "consent"):
            raise Conflict("Consent is recorded before mediation starts.")
        if party["consent"] == "refused":
            raise Conflict("This party refused mediation: withdraw the refusal, with the reason, before recording "
                           "their consent again.")
        after = dict(consent=consent, consent_on=on, consent_note=note)
        await store.update_versioned(DisputeParty, party_id, version, party["version"], after)
        await store.history(principal, f, "consent" if consent != "refused" else "party_refused",
                            text=f'{party["name"]}: {note}' if note else party["name"],
                            entity_type="dispute_party", entity_id=party_id,
                            before={k: party[k] for k in after}, after=after, ip=ip)


async def withdraw_refusal(principal: Principal, dispute_id: int, party_id: int, data: dict[str, Any],
                           ip: str = "") -> None:
    """A refusal entered by mistake (the wrong party, a misheard answer) is withdrawn, with the
    reason, while the file is open before mediation: the party is back to "not asked yet". The
    refusal and its withdrawal both stay on the timeline and in the audit log."""
    r = Reader(data, {"reason"})
    reason = r.text("reason", required=True, limit=2000)
    version = r.version()
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        party = await _party(f, party_id)
        why = rules.refusal_withdrawal_refusal(state=f["state"], consent=party["consent"])
        if why:
            raise Conflict(why)
        after = dict(consent="", consent_on=None, consent_note="")
        await store.update_versioned(DisputeParty, party_id, version, party["version"], after)
        await store.history(principal, f, "refusal_withdrawn", text=f'{party["name"]}: {reason}',
                            entity_type="dispute_party", entity_id=party_id,
                            before={k: party[k] for k in after}, after={**after, "reason": reason}, ip=ip)


async def record_notice(principal: Principal, dispute_id: int, party_id: int, data: dict[str, Any], ip: str = "") -> None:
    """The rights-and-duties notice (权利义务告知): given to the party, and acknowledged by them."""
    r = Reader(data, {"notice_given_on", "notice_ack_on"})
    given = r.date("notice_given_on", required=True, not_after=today())
    ack = r.date("notice_ack_on", not_after=today())
    version = r.version()
    if given and ack and ack < given:
        r.errors["notice_ack_on"] = "Acknowledged before it was given?"
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        party = await _party(f, party_id)
        after = dict(notice_given_on=given, notice_ack_on=ack)
        await store.update_versioned(DisputeParty, party_id, version, party["version"], after)
        await store.history(principal, f, "notice", text=party["name"], entity_type="dispute_party",
                            entity_id=party_id, before={k: party[k] for k in after}, after=after, ip=ip)


# ---------------------------------------------------------------- mediators

async def assign_mediator(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> None:
    """Add a mediator (a mediator or secretary of the station); `lead` makes them the lead
    mediator, and the previous lead stays on as a member."""
    r = Reader(data, {"user", "lead"})
    user_id = r.ident("user", required=True)
    lead = r.flag("lead")
    f = await store.load_file(principal, dispute_id)
    r.check()
    user = await User.select(User.id, User.role, User.display_name, User.is_active).where(User.id == user_id).first()
    at_station = await UserStation.exists().where((UserStation.user == user_id) & (UserStation.station == f["station"]))
    if user is None or not user["is_active"] or user["role"] not in ("mediator", "secretary") or not at_station:
        raise Invalid(FIX, errors={"user": "Choose a mediator of this station."})
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        if f["state"] not in OPEN_STATES:
            raise Conflict("The file is closed.")
        existing = await DisputeMediator.select().where(DisputeMediator.dispute == dispute_id)
        has_lead = any(m["lead"] for m in existing)
        lead = lead or not has_lead  # the first mediator leads
        if lead:
            await DisputeMediator.update({DisputeMediator.lead: False}).where(DisputeMediator.dispute == dispute_id)
        mine = next((m for m in existing if m["user"] == user_id), None)
        if mine:
            await DisputeMediator.update({DisputeMediator.lead: lead or mine["lead"]}).where(DisputeMediator.id == mine["id"])
        else:
            await DisputeMediator.insert(DisputeMediator(dispute=dispute_id, user=user_id, lead=lead))
        await store.history(principal, f, "mediator", text=user["display_name"],
                            after={"user": user_id, "lead": lead}, ip=ip)


async def remove_mediator(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> None:
    r = Reader(data, {"user"})
    user_id = r.ident("user", required=True)
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        mine = await DisputeMediator.select().where(
            (DisputeMediator.dispute == dispute_id) & (DisputeMediator.user == user_id)).first()
        if mine is None:
            raise NotFound()
        others = await DisputeMediator.count().where(
            (DisputeMediator.dispute == dispute_id) & (DisputeMediator.user != user_id))
        if f["state"] == "mediating" and others == 0:
            raise Conflict("Mediation has started: the file keeps at least one mediator. Assign another first.")
        signed = await MediationAgreement.exists().where(
            (MediationAgreement.dispute == dispute_id) & (MediationAgreement.mediator_signer == user_id)
            & MediationAgreement.mediator_signed_on.is_not_null())
        if signed:
            raise Conflict("This mediator signed the agreement: they stay on the file.")
        await DisputeMediator.delete().where(DisputeMediator.id == mine["id"])
        await store.history(principal, f, "mediator_removed", before={"user": user_id, "lead": mine["lead"]}, after={}, ip=ip)


async def mediator_ids(dispute_id: int) -> list[int]:
    """The file's mediators, the lead first."""
    rows = await DisputeMediator.select(DisputeMediator.user, DisputeMediator.lead).where(
        DisputeMediator.dispute == dispute_id).order_by(DisputeMediator.lead, ascending=False).order_by(DisputeMediator.id)
    return [m["user"] for m in rows]


# ---------------------------------------------------------------- steps

async def facts_for(f: dict) -> DisputeFacts:
    from council.mediation.agreements import agreement_effect

    parties = await DisputeParty.select().where(DisputeParty.dispute == f["id"])
    effect = await agreement_effect(f["id"])
    mediators = await DisputeMediator.count().where(DisputeMediator.dispute == f["id"])
    return DisputeFacts(
        mediators=mediators,
        applicants=sum(p["role"] == "applicant" for p in parties),
        respondents=sum(p["role"] == "respondent" for p in parties),
        consent_missing=sum(p["consent"] != "given" for p in parties),
        consent_refused=sum(p["consent"] == "refused" for p in parties),
        notice_missing=sum(p["notice_given_on"] is None or p["notice_ack_on"] is None for p in parties),
        agreement_effective=bool(effect and effect.effective),
        referral=f.get("referral", ""),
    )


async def _move(principal: Principal, f: dict, move: str, *, reason: str = "", version: int | None = None,
                extra: dict | None = None, ip: str = "") -> str:
    facts = await facts_for({**f, **(extra or {})})
    try:
        target = MACHINE.apply(f["state"], move, facts, reason=reason)
    except MoveRefused as e:
        raise Conflict(e.message) from None
    case = await Case.select().where(Case.id == f["case"]).first()
    if version is not None and case["version"] != version:
        raise Conflict(store.STALE)
    closing = target not in OPEN_STATES
    values: dict[str, Any] = {"state": target}
    if closing:
        values["closed_at"] = store.utcnow()
    await set_state(principal, case, values, event=f"mediation.{move}", text=reason, ip=ip)
    file_values = dict(extra or {})
    if closing:
        file_values["closed_on"] = today()
        file_values["outcome_reason"] = reason
    if file_values:
        await DisputeFile.update({**{getattr(DisputeFile, k): v for k, v in file_values.items()},
                                  DisputeFile.version: DisputeFile.version + 1}).where(DisputeFile.id == f["id"])
    return target


async def move(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> str:
    r = Reader(data, {"move", "reason", "referral", "referral_detail", "confirm"})
    name = r.choice("move", set(MACHINE.moves))
    reason = r.text("reason", limit=2000)
    referral = r.choice("referral", codes(REFERRALS), required=False)
    referral_detail = r.text("referral_detail")
    confirmed = r.flag("confirm")
    version = r.version()
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        if name == "refuse":
            # Closing as 当事人拒绝调解 is the file's mediator's own decision, confirmed: one
            # party's refusal alone does not close it (Art. 17 is about that party's will).
            why = rules.refusal_close_refusal(actor=principal.user_id, file_mediators=await mediator_ids(dispute_id),
                                              confirmed=confirmed)
            if why:
                raise (Invalid(FIX, errors={"confirm": why}) if "Confirm" in why else Conflict(why))
        extra = {"referral": referral, "referral_detail": referral_detail} if name == "not_settle" else None
        return await _move(principal, f, name, reason=reason, version=version, extra=extra, ip=ip)


async def escalate(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> str:
    """To the street's (then the district's) mediation: same file, same number, same history."""
    r = Reader(data, {"reason"})
    reason = r.text("reason", required=True, limit=2000)
    version = r.version()
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        if f["state"] not in OPEN_STATES:
            raise Conflict("The file is closed.")
        target = rules.next_level(f["level"])
        if target is None:
            raise Conflict("The file is already at district level.")
        await store.update_versioned(DisputeFile, dispute_id, version, f["version"], {"level": target})
        case = await Case.select().where(Case.id == f["case"]).first()
        await Case.update({Case.escalation: target, Case.version: case["version"] + 1}).where(Case.id == case["id"])
        await store.history(principal, f, "escalated", text=reason, before={"level": f["level"]},
                            after={"level": target}, ip=ip)
    return target


async def reveal_party(principal: Principal, dispute_id: int, party_id: int, ip: str = "") -> dict:
    """A party's full phone and ID number, for the mediator who must call them or write their
    details into the agreement. Screens show them masked; each look is audited (PIPL)."""
    from council.accounts.permissions import can_view_pii
    from council.audit import service as audit
    from council.core.errors import Forbidden

    f = await store.load_file(principal, dispute_id)
    if not can_view_pii(principal.role):
        raise Forbidden()
    party = await _party(f, party_id)
    await audit.record(principal, "mediation.party_revealed", entity_type="dispute_party", entity_id=party_id,
                       after={"fields": ["phone", "id_number", "agent_phone"]}, station_id=f["station"], ip=ip)
    return {"id": party_id, "phone": party["phone"], "id_number": party["id_number"], "agent_phone": party["agent_phone"]}
