"""Issue 13, mediation: each rule refused at the boundary with nothing written, through the use
cases, /api/v1 and the pages (zh-CN first). The pure rules are in test_mediation_rules.py."""

from __future__ import annotations

import datetime as dt
import io
import secrets

import pytest
from pypdf import PdfReader

from council.accounts.principal import SYSTEM
from council.accounts.services import create_token, create_user
from council.accounts.tables import User
from council.audit.tables import AuditEntry
from council.cases.calendar_store import today
from council.cases.tables import CaseEvent
from council.core.errors import Conflict, Invalid
from council.mediation import agreements, files, judicial, queries, sessions
from council.mediation.tables import DisputeFile, DisputeMediator, JudicialConfirmation, MediationAgreement
from tests.support import post_form
from tests.test_mediation_services import new_dispute, principal, station_id

ZH = {"Accept-Language": "zh-CN"}


async def user_id(username: str) -> int:
    return (await User.select(User.id).where(User.username == username).first())["id"]


async def consenting(d: dict) -> tuple[int, int]:
    """Two parties who agree and were told their rights — but no mediator on the file yet."""
    med = await principal("mediator")
    a = await files.add_party(med, d["id"], {"role": "applicant", "name": "王建国", "id_number": "320102198001011234"})
    b = await files.add_party(med, d["id"], {"role": "respondent", "name": "李明"})
    await files.move(med, d["id"], {"move": "seek_consent"})
    t = today().isoformat()
    for p in (a, b):
        await files.record_consent(med, d["id"], p, {"consent": "given"})
        await files.record_notice(med, d["id"], p, {"notice_given_on": t, "notice_ack_on": t})
    return a, b


async def settled_agreement(d: dict, a: int, b: int, *, on: dt.date, hour: int) -> None:
    """A session held on `on` that reached the agreement, its terms, both parties and the seal —
    everything but the mediator's signature."""
    med = await principal("mediator")
    # Registered before all this happened: an agreement is never dated before its registration.
    await DisputeFile.update({DisputeFile.opened_on: on - dt.timedelta(days=5)}).where(DisputeFile.id == d["id"])
    sid = await sessions.schedule_session(med, d["id"], {"date": on.isoformat(), "start": f"{hour:02d}:00",
                                                         "end": f"{hour:02d}:45", "place": "3 栋 601 现场"})
    await sessions.record_session(med, d["id"], sid, {"attendees": "王建国\n李明", "record": "达成协议。",
                                                      "result": "agreement"})
    await agreements.save_agreement(med, d["id"], {"form": "written", "facts": "701 漏水至 601。", "matters": "维修与赔偿。",
                                                   "responsibilities": "李明负责。", "reached_on": on.isoformat()})
    await agreements.add_obligation(med, d["id"], {"party": b, "what": "赔偿修复费用", "amount": "1000"})
    for who in (f"party:{a}", f"party:{b}", "seal"):
        await agreements.sign(med, d["id"], {"who": who, "signed_on": on.isoformat()})


@pytest.fixture(scope="module")
async def second_mediator() -> dict:
    """Another mediator of the demo station, not on the files below unless assigned."""
    tag = secrets.token_hex(3)
    await create_user(SYSTEM, username=f"med2_{tag}", password="another-long-pass", role="mediator",
                      display_name="第二调解员", station_ids=[await station_id()])
    from council.accounts.services import principal_for_user

    row = await User.select().where(User.username == f"med2_{tag}").first()
    return {"id": row["id"], "principal": await principal_for_user(row, via="session"), "username": row["username"]}


# ---------------------------------------------------------------- 1. a mediator on the file

async def test_mediation_cannot_start_without_a_mediator(as_user):
    d = await new_dispute("楼道堆物争执")
    await consenting(d)
    med = await principal("mediator")
    with pytest.raises(Conflict) as e:
        await files.move(med, d["id"], {"move": "start"})
    assert "mediator" in e.value.message
    # The page: refused in Chinese, the reason shown, nothing changed.
    page = as_user("mediator")
    url = f"/mediation/{d['id']}"
    assert 'id="no-mediator"' in page.get(url, headers=ZH).text and 'id="move-start"' not in page.get(url).text
    f = await queries.file_detail(med, d["id"])
    r = post_form(page, url + "/do/move", {"move": "start", "version": str(f["case_version"])}, headers=ZH)
    assert r.status_code == 409 and "请先为卷宗指定至少一名调解员" in r.text
    assert (await queries.file_detail(med, d["id"]))["state"] == "consent"
    # With one, it starts; and the last one cannot then be taken off the file.
    uid = await user_id("mediator")
    await files.assign_mediator(med, d["id"], {"user": uid})
    assert await files.move(med, d["id"], {"move": "start"}) == "mediating"
    with pytest.raises(Conflict):
        await files.remove_mediator(med, d["id"], {"user": uid})
    assert await DisputeMediator.count().where(DisputeMediator.dispute == d["id"]) == 1


# ---------------------------------------------------------------- 1. who signs as the mediator

async def test_only_the_files_mediator_signs_and_the_secretary_says_when_on_their_behalf(second_mediator, as_user):
    med, sec, other = await principal("mediator"), await principal("secretary"), second_mediator["principal"]
    d = await new_dispute()
    a, b = await consenting(d)
    uid = await user_id("mediator")
    await files.assign_mediator(med, d["id"], {"user": uid})
    await files.move(med, d["id"], {"move": "start"})
    await settled_agreement(d, a, b, on=today() - dt.timedelta(days=1), hour=7)
    t = today().isoformat()
    before = await AuditEntry.count()

    async def unsigned() -> bool:
        row = await MediationAgreement.select().where(MediationAgreement.dispute == d["id"]).first()
        return row["mediator_signed_on"] is None and row["effective_on"] is None

    # A mediator of the station who is not on this file: refused, for themself or for anyone.
    with pytest.raises(Invalid) as e:
        await agreements.sign(other, d["id"], {"who": "mediator", "signed_on": t})
    assert "Only a mediator of this file" in e.value.errors["mediator"]
    # The secretary types in the file mediator's signature without saying so: refused.
    with pytest.raises(Invalid) as e:
        await agreements.sign(sec, d["id"], {"who": "mediator", "mediator": uid, "signed_on": t})
    assert "on_behalf" in e.value.errors
    # Another mediator on the file cannot enter a colleague's signature either.
    await files.assign_mediator(med, d["id"], {"user": second_mediator["id"]})
    with pytest.raises(Invalid):
        await agreements.sign(other, d["id"], {"who": "mediator", "mediator": uid, "on_behalf": True, "signed_on": t})
    assert await unsigned() and await AuditEntry.count() == before + 1  # the assignment's entry only
    # The page offers the secretary the "on their behalf" box, and refuses without it, in Chinese.
    sec_page = as_user("secretary")
    url = f"/mediation/{d['id']}"
    assert 'id="g-on-behalf"' in sec_page.get(url).text
    r = post_form(sec_page, url + "/do/sign", {"who": "mediator", "mediator": str(uid), "method": "signature",
                                               "signed_on": t}, headers=ZH)
    assert r.status_code == 422 and "代调解员录入签名" in r.text and await unsigned()
    # With it: recorded as the file mediator's signature, entered by the secretary, who is named.
    eff = await agreements.sign(sec, d["id"], {"who": "mediator", "mediator": uid, "on_behalf": True, "signed_on": t})
    assert eff.effective and eff.effective_on == today()
    row = await MediationAgreement.select().where(MediationAgreement.dispute == d["id"]).first()
    assert (row["mediator_signer"], row["mediator_recorded_by"], row["mediator_on_behalf"]) == (uid, sec.user_id, True)
    f = await DisputeFile.select(DisputeFile.case).where(DisputeFile.id == d["id"]).first()
    signed = [e["text"] for e in await CaseEvent.select().where(
        (CaseEvent.case == f["case"]) & (CaseEvent.kind == "mediation.signed"))]
    assert any("代为录入" in text and sec.label in text for text in signed), signed
    # The mediator who signed stays on the file.
    with pytest.raises(Conflict):
        await files.remove_mediator(med, d["id"], {"user": uid})
    # The PDF names the mediator who signed and says 已于 … 生效 under filled lines.
    content = as_user("mediator").get(f"/mediation/{d['id']}/agreement.pdf").content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).replace(" ", "")
    assert "陈淑芬" in text and "本协议已于" in text


async def test_a_signature_by_someone_off_the_file_does_not_make_it_effective(second_mediator, as_user):
    """A row from before the rule: the mediator's line was filled by someone who is not (or no
    longer) a mediator of the file. It does not count, and the PDF leaves the line empty and
    never says 已生效, whatever date is stored."""
    med = await principal("mediator")
    d = await new_dispute()
    a, b = await consenting(d)
    await files.assign_mediator(med, d["id"], {"user": await user_id("mediator")})
    await files.move(med, d["id"], {"move": "start"})
    await settled_agreement(d, a, b, on=today() - dt.timedelta(days=1), hour=8)
    await MediationAgreement.update({MediationAgreement.mediator_signed_on: today(),
                                     MediationAgreement.mediator_signer: second_mediator["id"],
                                     MediationAgreement.effective_on: today()}).where(
        MediationAgreement.dispute == d["id"])
    f = await queries.file_detail(med, d["id"])
    assert not f["effect"].effective and ("mediator",) in f["effect"].missing
    with pytest.raises(Conflict):
        await files.move(med, d["id"], {"move": "settle"})
    content = as_user("mediator").get(f"/mediation/{d['id']}/agreement.pdf").content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).replace(" ", "")
    assert "王建国" in text and "已于" not in text and "已生效" not in text and "第二调解员" not in text


# ---------------------------------------------------------------- 2. a refusal, on the page

async def test_refusal_on_the_page_is_the_partys_and_closing_needs_the_mediators_confirmation(as_user):
    d = await new_dispute("宠物狗夜间吠叫")
    med = await principal("mediator")
    p = await files.add_party(med, d["id"], {"role": "applicant", "name": "赵敏"})
    await files.add_party(med, d["id"], {"role": "respondent", "name": "孙丽"})
    await files.assign_mediator(med, d["id"], {"user": await user_id("mediator")})
    await files.move(med, d["id"], {"move": "seek_consent"})
    page, sec = as_user("mediator"), as_user("secretary")
    url = f"/mediation/{d['id']}"
    r = post_form(page, url + "/do/consent", {"party": str(p), "consent": "refused", "consent_on": today().isoformat(),
                                              "consent_note": "不愿调解"})
    assert r.status_code == 303, r.text
    html = page.get(url, headers=ZH).text
    assert 'data-state="consent"' in html and "withdraw-refusal-form" in html and 'id="confirm-refuse"' in html
    version = str((await queries.file_detail(med, d["id"]))["case_version"])
    r = post_form(page, url + "/do/move", {"move": "refuse", "reason": "赵敏拒绝调解", "version": version}, headers=ZH)
    assert r.status_code == 422 and "请确认因当事人拒绝调解而结案" in r.text
    r = post_form(sec, url + "/do/move", {"move": "refuse", "reason": "赵敏拒绝调解", "confirm": "1",
                                          "version": version}, headers=ZH)
    assert r.status_code == 409 and "只有本卷宗的调解员" in r.text
    assert (await queries.file_detail(med, d["id"]))["state"] == "consent"
    r = post_form(page, url + "/do/move", {"move": "refuse", "reason": "赵敏拒绝调解", "confirm": "1",
                                           "version": version})
    assert r.status_code == 303 and (await queries.file_detail(med, d["id"]))["state"] == "refused"


# ---------------------------------------------------------------- 3. time runs one way

async def test_an_agreement_is_not_dated_before_the_session_that_reached_it():
    med = await principal("mediator")
    d = await new_dispute()
    a, b = await consenting(d)
    await files.assign_mediator(med, d["id"], {"user": await user_id("mediator")})
    await files.move(med, d["id"], {"move": "start"})
    # Registered 40 days ago; the agreement was drafted for a day 10 days back.
    await DisputeFile.update({DisputeFile.opened_on: today() - dt.timedelta(days=40)}).where(DisputeFile.id == d["id"])
    ten = (today() - dt.timedelta(days=10)).isoformat()
    await agreements.save_agreement(med, d["id"], {"form": "written", "facts": "x", "matters": "x",
                                                   "responsibilities": "x", "reached_on": ten})
    # A session five days ago "reached" it: the agreement would predate it — refused.
    sid = await sessions.schedule_session(med, d["id"], {"date": (today() - dt.timedelta(days=5)).isoformat(),
                                                         "start": "06:00", "end": "06:30", "place": "现场"})
    with pytest.raises(Conflict) as e:
        await sessions.record_session(med, d["id"], sid, {"attendees": "x", "record": "x", "result": "agreement"})
    assert "before the session" in e.value.message
    await sessions.record_session(med, d["id"], sid, {"attendees": "x", "record": "x", "result": "continue"})
    # Before registration, or in the future: refused, nothing written.
    a_row = await MediationAgreement.select().where(MediationAgreement.dispute == d["id"]).first()
    for day, field in (((today() - dt.timedelta(days=41)).isoformat(), "reached_on"),
                       ((today() + dt.timedelta(days=1)).isoformat(), "reached_on")):
        with pytest.raises(Invalid) as e:
            await agreements.save_agreement(med, d["id"], {"form": "written", "facts": "x", "matters": "x",
                                                           "responsibilities": "x", "reached_on": day})
        assert field in e.value.errors
    assert await MediationAgreement.select().where(MediationAgreement.dispute == d["id"]).first() == a_row
    with pytest.raises(Invalid) as e:
        await agreements.sign(med, d["id"], {"who": f"party:{a}", "signed_on": (today() + dt.timedelta(days=1)).isoformat()})
    assert "signed_on" in e.value.errors


# ---------------------------------------------------------------- 4. judicial confirmation

async def test_joint_application_and_the_courts_decision_period(client, as_user):
    med = await principal("mediator")
    d = await new_dispute("装修损坏赔偿")
    a, b = await consenting(d)
    uid = await user_id("mediator")
    await files.assign_mediator(med, d["id"], {"user": uid})
    await files.move(med, d["id"], {"move": "start"})
    await DisputeFile.update({DisputeFile.opened_on: today() - dt.timedelta(days=40)}).where(DisputeFile.id == d["id"])
    took_effect = today() - dt.timedelta(days=30)
    await settled_agreement(d, a, b, on=took_effect, hour=5)
    await agreements.sign(med, d["id"], {"who": "mediator", "signed_on": took_effect.isoformat()})
    await files.move(med, d["id"], {"move": "settle"})
    applied, accepted = today() - dt.timedelta(days=25), today() - dt.timedelta(days=20)
    # Not jointly: refused, nothing written.
    with pytest.raises(Invalid) as e:
        await judicial.apply(med, d["id"], {"applied_on": applied.isoformat(), "court": "江北新区人民法院"})
    assert "jointly" in e.value.errors["joint"]
    assert not await JudicialConfirmation.exists().where(JudicialConfirmation.dispute == d["id"])
    await judicial.apply(med, d["id"], {"applied_on": applied.isoformat(), "court": "江北新区人民法院", "joint": True,
                                        "accepted_on": accepted.isoformat()})
    # Accepted 20 days ago: the 15 days ran out 5 days ago with no ruling — warned on the file
    # page, in the closing-soon lists and over the API.
    f = await queries.file_detail(med, d["id"])
    assert f["confirmation"]["joint"] and f["decision"]["deadline"] == accepted + dt.timedelta(days=15)
    assert f["decision"]["state"] == "overdue"
    page = as_user("mediator")
    html = page.get(f"/mediation/{d['id']}", headers=ZH).text
    assert 'id="court-decision-warning"' in html and "法院审查期限已届满" in html and "双方当事人共同申请" in html
    assert d["number"] in page.get("/mediation/confirmations", headers=ZH).text
    assert 'id="court-decisions"' in page.get("/mediation", headers=ZH).text
    token = await create_token(SYSTEM, "mediator", "law test")
    due = client.get("/api/v1/mediation/court-decisions", headers={"Authorization": f"Bearer {token}"}).json()
    mine = [x for x in due if x["dispute"] == d["id"]]
    assert mine and mine[0]["decision_state"] == "overdue" and mine[0]["decision_deadline"] == (accepted + dt.timedelta(days=15)).isoformat()
    # The court had extended its period by 10 days: 25 from acceptance, still 5 days to go.
    with pytest.raises(Invalid) as e:
        await judicial.record_court_step(med, d["id"], {"extended_on": (today() - dt.timedelta(days=8)).isoformat()})
    assert "extension_reason" in e.value.errors
    await judicial.record_court_step(med, d["id"], {"extended_on": (today() - dt.timedelta(days=8)).isoformat(),
                                                    "extension_reason": "需要通知当事人补充材料"})
    f = await queries.file_detail(med, d["id"])
    assert f["decision"]["deadline"] == accepted + dt.timedelta(days=25) and f["decision"]["state"] == "waiting"
    assert d["id"] not in [x["dispute"] for x in await queries.court_decisions_due(med)]
    with pytest.raises(Conflict):  # once only
        await judicial.record_court_step(med, d["id"], {"extended_on": today().isoformat(), "extension_reason": "再延"})
    await judicial.record_ruling(med, d["id"], {"ruling": "confirmed", "ruling_on": today().isoformat()})
    assert (await queries.file_detail(med, d["id"]))["decision"]["state"] == "ruled"
    with pytest.raises(Conflict):
        await judicial.record_court_step(med, d["id"], {"accepted_on": accepted.isoformat()})
