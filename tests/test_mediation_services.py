"""Mediation use cases against the real database: a water-leak dispute from registration to an
effective agreement, performance and judicial confirmation; refusals that change nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from council.accounts.services import principal_for_user
from council.accounts.tables import User
from council.audit.tables import AuditEntry
from council.cases.calendar_store import today
from council.cases.tables import Case, CaseEvent
from council.core.errors import Conflict, Forbidden, Invalid
from council.mediation import agreements, files, judicial, performance, queries, sessions
from council.mediation.tables import DisputeFile, DisputeParty, MediationAgreement
from council.stations.tables import Room, Station


async def principal(username: str):
    user = await User.select().where(User.username == username).first()
    return await principal_for_user(user, via="session")


async def station_id() -> int:
    return (await Station.select(Station.id).where(Station.case_prefix == "ZXL").first())["id"]


async def new_dispute(title="楼上漏水，天花板渗水", category="neighbours") -> dict:
    med = await principal("mediator")
    return await files.register_dispute(med, {"station": await station_id(), "title": title, "category": category,
                                              "source": "applied", "description": "701 卫生间漏水至 601。"})


async def ready_to_mediate(d: dict) -> tuple[int, int]:
    med = await principal("mediator")
    a = await files.add_party(med, d["id"], {"role": "applicant", "name": "王建国", "phone": "13812345678",
                                             "id_number": "320102198001011234", "address": "中南悦园 3 栋 601"})
    b = await files.add_party(med, d["id"], {"role": "respondent", "name": "李明", "phone": "13987654321",
                                             "address": "中南悦园 3 栋 701"})
    uid = (await User.select(User.id).where(User.username == "mediator").first())["id"]
    await files.assign_mediator(med, d["id"], {"user": uid})
    await files.move(med, d["id"], {"move": "seek_consent"})
    for p in (a, b):
        await files.record_consent(med, d["id"], p, {"consent": "given"})
        await files.record_notice(med, d["id"], p, {"notice_given_on": today().isoformat(),
                                                    "notice_ack_on": today().isoformat()})
    await files.move(med, d["id"], {"move": "start"})
    return a, b


async def held_session(med, d: dict, result: str = "continue", *, days_ago: int | None = None) -> int:
    """A session that has already taken place (one is recorded only once it has begun), on a
    random past day away from other tests' sessions of the same mediator, then recorded."""
    import random

    for _ in range(5):
        day = today() - dt.timedelta(days=days_ago if days_ago is not None else random.randint(2, 3000))
        try:
            sid = await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "15:00",
                                                                 "end": "16:00", "place": "3 栋 601 现场"})
            break
        except Invalid:
            if days_ago is not None:
                raise
    await sessions.record_session(med, d["id"], sid, {"attendees": "王建国\n李明", "record": "双方陈述。",
                                                      "result": result})
    return sid


async def test_file_numbers_per_committee_and_year_are_sequential_under_concurrency():
    made = await asyncio.gather(*[new_dispute() for _ in range(6)])
    seqs = sorted(int(m["number"].split("第 ")[1].split(" ")[0]) for m in made)
    assert seqs == list(range(seqs[0], seqs[0] + 6))
    assert made[0]["number"].startswith(f"（{today().year}）振兴路人调字第 ")
    case = await Case.select().where(Case.id == made[0]["case"]).first()
    assert case["kind"] == "dispute" and case["state"] == "registered"


async def test_water_leak_to_effective_agreement_and_confirmation():
    med = await principal("mediator")
    d = await new_dispute()
    a, b = await ready_to_mediate(d)
    room = (await Room.select(Room.id).where(Room.station == await station_id()).first())["id"]
    day = (today() + dt.timedelta(days=3)).isoformat()
    sid = await sessions.schedule_session(med, d["id"], {"date": day, "start": "09:00", "end": "10:00", "room": room})
    # The room is now busy then: a second session there at an overlapping time is refused.
    with pytest.raises(Invalid) as e:
        await sessions.schedule_session(med, d["id"], {"date": day, "start": "09:30", "end": "10:30", "room": room})
    assert "room" in e.value.errors or "mediators" in e.value.errors
    # Three days ahead, it has not begun: no record yet, and nothing is written.
    with pytest.raises(Conflict) as e:
        await sessions.record_session(med, d["id"], sid, {"attendees": "王建国\n李明", "record": "双方陈述。",
                                                          "result": "continue"})
    assert "not started" in e.value.message
    assert (await sessions.sessions_of(d["id"]))[0]["record"] == ""
    await held_session(med, d, "agreement")
    await agreements.save_agreement(med, d["id"], {
        "form": "written", "facts": "701 卫生间防水层破损，渗水至 601 天花板。", "matters": "维修与赔偿。",
        "responsibilities": "李明承担维修责任。", "reached_on": today().isoformat()})
    await agreements.add_obligation(med, d["id"], {"party": b, "what": "修复卫生间防水层",
                                                   "due_date": (today() + dt.timedelta(days=10)).isoformat(),
                                                   "manner": "请专业公司施工"})
    oid = await agreements.add_obligation(med, d["id"], {"party": b, "what": "赔偿 601 装修损失", "amount": "3200.50",
                                                         "due_date": (today() + dt.timedelta(days=20)).isoformat(),
                                                         "manner": "银行转账"})
    # Not settled before it takes effect.
    with pytest.raises(Conflict):
        await files.move(med, d["id"], {"move": "settle"})
    t = today().isoformat()
    eff = await agreements.sign(med, d["id"], {"who": f"party:{a}", "signed_on": t})
    assert not eff.effective and ("mediator",) in eff.missing and ("seal",) in eff.missing
    assert any(m[0] == "party" and m[1] == b for m in eff.missing)
    await agreements.sign(med, d["id"], {"who": f"party:{b}", "method": "fingerprint", "signed_on": t})
    await agreements.sign(med, d["id"], {"who": "mediator", "signed_on": t})
    eff = await agreements.sign(med, d["id"], {"who": "seal", "signed_on": t})
    assert eff.effective and eff.effective_on == today()
    with pytest.raises(Conflict):  # frozen once signed
        await agreements.add_obligation(med, d["id"], {"party": b, "what": "再加一条"})
    await files.move(med, d["id"], {"move": "settle"})
    f = await queries.file_detail(med, d["id"])
    assert f["state"] == "settled" and f["closed_on"] == today()
    assert [o["status"].state for o in f["obligations"]] == ["pending", "pending"]
    assert f["obligations"][1]["amount"] == Decimal("3200.50")
    assert f["window"] in ("open", "closing") and f["deadline"] >= today() + dt.timedelta(days=30)
    # Partly paid, then the rest.
    st = await performance.record_performance(med, d["id"], oid, {"performed_on": t, "amount": "1000",
                                                                  "evidence": "转账截图"})
    assert st.state == "partly_performed" and st.performed_amount == Decimal("1000.00")
    st = await performance.record_performance(med, d["id"], oid, {"performed_on": t, "amount": "2200.50",
                                                                  "evidence": "转账截图"})
    assert st.state == "performed"
    await performance.add_followup(med, d["id"], {"visited_on": t, "who": "王建国", "note": "已修好，不再漏水。"})
    windows = await queries.closing_windows(med)
    assert d["id"] in [w["dispute"] for w in windows]
    with pytest.raises(Invalid) as e:  # one party's application is not the joint one Art. 33 asks for
        await judicial.apply(med, d["id"], {"applied_on": t, "court": "南京市江北新区人民法院"})
    assert "joint" in e.value.errors
    await judicial.apply(med, d["id"], {"applied_on": t, "court": "南京市江北新区人民法院", "joint": True})
    await judicial.record_ruling(med, d["id"], {"ruling": "confirmed", "ruling_on": t, "court_case_number": "（2026）苏0192民特100号"})
    assert d["id"] not in [w["dispute"] for w in await queries.closing_windows(med)]
    kinds = [e["kind"] for e in await CaseEvent.select(CaseEvent.kind).where(CaseEvent.case == d["case"])]
    for k in ("mediation.registered", "mediation.signed", "mediation.agreement_effective", "mediation.settle",
              "mediation.performance", "mediation.confirmation_ruling"):
        assert k in kinds
    s = await queries.statistics(med, station=await station_id(), start=today(), end=today())
    c = s["total"]["counts"]
    assert c.settled >= 1 and c.confirmed >= 1 and c.confirmation_applied >= 1
    assert c.obligations_performed >= 1 and c.obligations_due >= c.obligations_performed
    neighbours = s["by_category"]["neighbours"]["counts"]
    assert neighbours.received >= 1 and neighbours.obligations_performed >= 1


async def test_a_refusal_is_the_partys_and_closing_is_the_mediators_confirmed_move():
    med = await principal("mediator")
    uid = (await User.select(User.id).where(User.username == "mediator").first())["id"]
    d = await new_dispute("宠物狗夜间吠叫", "neighbours")
    p = await files.add_party(med, d["id"], {"role": "applicant", "name": "赵敏"})
    await files.add_party(med, d["id"], {"role": "respondent", "name": "孙丽"})
    await files.move(med, d["id"], {"move": "seek_consent"})
    with pytest.raises(Invalid) as e:
        await files.record_consent(med, d["id"], p, {"consent": "refused"})
    assert "consent_note" in e.value.errors
    await files.record_consent(med, d["id"], p, {"consent": "refused", "consent_note": "不愿调解，要去法院。"})
    # Recorded against the party; the file stays open, and cannot start while the refusal stands.
    f = await queries.file_detail(med, d["id"])
    assert f["state"] == "consent" and [x["consent"] for x in f["parties"]] == ["refused", ""]
    assert "refuse" in f["moves"] and "start" not in f["moves"]
    # The refusal is not overwritten by a later "given": it is withdrawn explicitly.
    with pytest.raises(Conflict):
        await files.record_consent(med, d["id"], p, {"consent": "given"})
    # Withdrawn (entered by mistake), with the reason, audited; then recorded again.
    with pytest.raises(Invalid) as e:
        await files.withdraw_refusal(med, d["id"], p, {})
    assert "reason" in e.value.errors
    await files.withdraw_refusal(med, d["id"], p, {"reason": "误录：拒绝的是孙丽的家属，不是赵敏。"})
    row = await DisputeParty.select().where(DisputeParty.id == p).first()
    assert row["consent"] == "" and row["consent_on"] is None
    assert await AuditEntry.exists().where((AuditEntry.action == "mediation.refusal_withdrawn")
                                           & (AuditEntry.entity_id == p))
    with pytest.raises(Conflict):  # nothing left to withdraw
        await files.withdraw_refusal(med, d["id"], p, {"reason": "x"})
    await files.record_consent(med, d["id"], p, {"consent": "refused", "consent_note": "坚持不调解。"})
    # Closing as refused: only a mediator of this file, and only confirmed. Nothing changes before.
    sec = await principal("secretary")
    with pytest.raises(Conflict) as e:
        await files.move(sec, d["id"], {"move": "refuse", "reason": "当事人拒绝调解", "confirm": "1"})
    assert "mediator of this file" in e.value.message
    with pytest.raises(Conflict):  # the mediator of the station, but not (yet) of this file
        await files.move(med, d["id"], {"move": "refuse", "reason": "当事人拒绝调解", "confirm": "1"})
    await files.assign_mediator(med, d["id"], {"user": uid})
    with pytest.raises(Invalid) as e:
        await files.move(med, d["id"], {"move": "refuse", "reason": "当事人拒绝调解"})
    assert "confirm" in e.value.errors
    assert (await queries.file_detail(med, d["id"]))["state"] == "consent"
    assert await files.move(med, d["id"], {"move": "refuse", "reason": "赵敏坚持不调解", "confirm": "1"}) == "refused"
    f = await queries.file_detail(med, d["id"])
    assert f["state"] == "refused" and "坚持不调解" in f["outcome_reason"]
    with pytest.raises(Conflict):  # closed: the refusal stays on record
        await files.withdraw_refusal(med, d["id"], p, {"reason": "x"})


async def test_wrong_role_and_station_are_refused_and_nothing_changes():
    d = await new_dispute()
    before = (await DisputeParty.count(), await AuditEntry.count())
    for name in ("gridworker", "liaison", "resident"):
        p = await principal(name)
        with pytest.raises(Forbidden):
            await files.add_party(p, d["id"], {"role": "applicant", "name": "某某"})
        with pytest.raises(Forbidden):
            await queries.file_detail(p, d["id"])
    assert (await DisputeParty.count(), await AuditEntry.count()) == before


async def test_escalation_keeps_the_file_and_number():
    med = await principal("mediator")
    d = await new_dispute("停车位被占", "property_service")
    assert await files.escalate(med, d["id"], {"reason": "社区调解未果"}) == "street"
    assert await files.escalate(med, d["id"], {"reason": "街道调解未果"}) == "district"
    with pytest.raises(Conflict):
        await files.escalate(med, d["id"], {"reason": "再升"})
    row = await DisputeFile.select().where(DisputeFile.id == d["id"]).first()
    assert row["number"] == d["number"] and row["level"] == "district"


async def test_stale_version_is_refused():
    med = await principal("mediator")
    d = await new_dispute()
    row = await DisputeFile.select().where(DisputeFile.id == d["id"]).first()
    await files.update_details(med, d["id"], {"title": "漏水", "category": "neighbours", "source": "applied",
                                              "version": str(row["version"])})
    with pytest.raises(Conflict):
        await files.update_details(med, d["id"], {"title": "漏水2", "category": "neighbours", "source": "applied",
                                                  "version": str(row["version"])})


async def test_marriage_matter_is_not_eligible_for_confirmation():
    med = await principal("mediator")
    d = await new_dispute("离婚后子女抚养", "family_marriage")
    a, b = await ready_to_mediate(d)
    await agreements.save_agreement(med, d["id"], {"form": "written", "facts": "事实", "matters": "争议",
                                                   "responsibilities": "责任", "status_matter": "marriage"})
    await agreements.add_obligation(med, d["id"], {"party": b, "what": "按月支付抚养费", "amount": "800"})
    t = today().isoformat()
    for who in (f"party:{a}", f"party:{b}", "mediator", "seal"):
        await agreements.sign(med, d["id"], {"who": who, "signed_on": t})
    with pytest.raises(Conflict) as e:
        await judicial.apply(med, d["id"], {"applied_on": t, "court": "某法院", "joint": True})
    assert "personal-status" in e.value.message
    assert (await MediationAgreement.select().where(MediationAgreement.dispute == d["id"]).first())["effective_on"] == today()


async def test_a_dispute_registered_elsewhere_gets_its_file_once():
    from council.cases import intake

    sec = await principal("secretary")
    case = await intake.register_case(sec, {"station": await station_id(), "kind": "dispute", "title": "彩礼返还纠纷",
                                            "category": "other", "channel": "reception_day"})
    med = await principal("mediator")
    assert case["id"] in [c["id"] for c in await queries.disputes_without_file(med)]
    with pytest.raises(Forbidden):
        await files.open_file(await principal("gridworker"), case["id"], {"category": "bride_price", "source": "applied"})
    made = await files.open_file(med, case["id"], {"category": "bride_price", "source": "applied"})
    assert "人调字第" in made["number"]
    assert case["id"] not in [c["id"] for c in await queries.disputes_without_file(med)]
    with pytest.raises(Conflict):
        await files.open_file(med, case["id"], {"category": "bride_price", "source": "applied"})


async def test_oral_agreement_takes_effect_when_reached_and_needs_no_signatures():
    med = await principal("mediator")
    d = await new_dispute("楼道堆物争执", "neighbours")
    a, b = await ready_to_mediate(d)
    with pytest.raises(Invalid) as e:
        await agreements.save_agreement(med, d["id"], {"form": "oral"})
    assert {"facts", "reached_on"} <= set(e.value.errors)
    await agreements.save_agreement(med, d["id"], {"form": "oral", "facts": "双方口头同意三日内清走杂物。",
                                                   "reached_on": today().isoformat()})
    with pytest.raises(Conflict):
        await agreements.sign(med, d["id"], {"who": f"party:{a}", "signed_on": today().isoformat()})
    await files.move(med, d["id"], {"move": "settle"})
    f = await queries.file_detail(med, d["id"])
    assert f["state"] == "settled" and f["effect"].effective_on == today()
    assert f["eligibility"] is not None  # an oral agreement is not for the court
    with pytest.raises(Conflict):
        await judicial.apply(med, d["id"], {"applied_on": today().isoformat(), "court": "某法院", "joint": True})


async def test_the_mediators_home_lists_their_files_sessions_and_follow_ups_due():
    """The mediator's home sections (council.home.worklist, one statement each): their open file,
    a session within the week, an obligation due within seven days and not yet performed — and
    neither a performed obligation nor one due later; another mediator sees none of it."""
    from council.home import worklist

    med = await principal("mediator")
    d = await new_dispute("空调外机噪音扰民")
    a, b = await ready_to_mediate(d)
    day = today() + dt.timedelta(days=2)  # a session this week
    await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "14:00", "end": "15:00",
                                                   "place": "5 栋楼下"})
    await held_session(med, d, "agreement")
    await agreements.save_agreement(med, d["id"], {
        "form": "written", "facts": "外机正对卧室窗户。", "matters": "移机。", "responsibilities": "李明负责移机。",
        "reached_on": today().isoformat()})
    soon = await agreements.add_obligation(med, d["id"], {"party": b, "what": "移装空调外机",
                                                          "due_date": (today() + dt.timedelta(days=5)).isoformat()})
    paid = await agreements.add_obligation(med, d["id"], {"party": b, "what": "补偿噪音损失", "amount": "300",
                                                          "due_date": (today() + dt.timedelta(days=3)).isoformat()})
    part = await agreements.add_obligation(med, d["id"], {"party": b, "what": "赔偿清洁费", "amount": "120",
                                                          "due_date": (today() + dt.timedelta(days=4)).isoformat()})
    await agreements.add_obligation(med, d["id"], {"party": b, "what": "半年后回访",
                                                   "due_date": (today() + dt.timedelta(days=40)).isoformat()})
    t = today().isoformat()
    for who in (f"party:{a}", f"party:{b}", "mediator", "seal"):
        await agreements.sign(med, d["id"], {"who": who, "signed_on": t})
    # Paid in full without the "complete" box: performed all the same, as the file's page says.
    await performance.record_performance(med, d["id"], paid, {"performed_on": t, "amount": "300", "evidence": "现金"})
    await performance.record_performance(med, d["id"], part, {"performed_on": t, "amount": "50", "evidence": "转账"})

    found = {s.key: s for s in await worklist.sections_for(med)}
    assert f'/mediation/{d["id"]}' in [r["href"] for r in found["files"].rows] or found["files"].total > len(
        found["files"].rows)
    number = (await DisputeFile.select(DisputeFile.number).where(DisputeFile.id == d["id"]).first())["number"]
    assert number in [r["label"] for r in found["sessions"].rows] or found["sessions"].total > len(found["sessions"].rows)
    labels = [r["label"] for r in found["followups"].rows if r["href"] == f'/mediation/{d["id"]}']
    # Not the one paid in full, not the one due in 40 days; the partly paid one is still due.
    assert labels == [f"{number} 赔偿清洁费", f"{number} 移装空调外机"], labels
    assert soon

    other = dataclasses.replace(med, user_id=-1)  # a mediator with no files of their own
    for key, fn in (("files", worklist._my_files), ("sessions", worklist._sessions_this_week),
                    ("followups", worklist._follow_ups_due)):
        section = await fn(other)
        assert all(r["href"] != f'/mediation/{d["id"]}' for r in section.rows), key
