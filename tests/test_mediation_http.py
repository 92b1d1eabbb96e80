"""Mediation over HTTP: pages and /api/v1, wrong role and wrong station → 403 with nothing
changed, and the agreement PDF (Chinese text, CJK font embedded, full IDs only there)."""

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
from council.mediation.tables import DisputeFile, DisputeParty
from council.places.tables import Community, Street
from council.stations.tables import Room, Station
from tests.support import post_form


@pytest.fixture(scope="module")
async def tokens() -> dict:
    tag = secrets.token_hex(3)
    street = (await Street.insert(Street(name=f"调解街道{tag}")))[0]["id"]
    community = (await Community.insert(Community(street=street, name=f"调解社区{tag}")))[0]["id"]
    station = (await Station.insert(Station(community=community, name=f"调解驿站{tag}", case_prefix=f"M{tag}".upper(),
                                            reception_start=dt.time(9), reception_end=dt.time(11))))[0]["id"]
    await create_user(SYSTEM, username=f"med_{tag}", password="another-long-pass", role="mediator", station_ids=[station])
    out = {}
    for name in ("admin", "secretary", "gridworker", "mediator", "liaison", "resident", f"med_{tag}"):
        out[name] = {"Authorization": f"Bearer {await create_token(SYSTEM, name, 'mediation test')}"}
    out["other"] = out[f"med_{tag}"]
    return out


@pytest.fixture(scope="module")
async def zxl() -> int:
    return (await Station.select(Station.id).where(Station.case_prefix == "ZXL").first())["id"]


def water_leak(client, h) -> dict:
    r = client.post("/api/v1/mediation", json={"title": "楼上漏水", "category": "neighbours", "source": "applied",
                                               "description": "701 卫生间漏水"}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


async def test_api_flow_to_effective_agreement_and_pdf(client, tokens, zxl):
    h = tokens["mediator"]
    f = water_leak(client, h)
    fid = f["id"]
    assert f["number"].startswith(f"（{today().year}）振兴路人调字第 ") and f["state"] == "registered"
    a = client.post(f"/api/v1/mediation/{fid}/parties", json={"role": "applicant", "name": "王建国", "gender": "男",
                    "id_number": "320102198001011234", "phone": "13812345678", "address": "中南悦园 3 栋 601"}, headers=h)
    assert a.status_code == 200, a.text
    assert a.json()["parties"][0]["phone"] == "138****5678"
    assert a.json()["parties"][0]["id_number"] == "320***********1234"
    r = client.post(f"/api/v1/mediation/{fid}/parties", json={"role": "respondent", "name": "李明",
                    "id_number": "320102198505052345", "address": "中南悦园 3 栋 701"}, headers=h)
    pa, pb = [p["id"] for p in r.json()["parties"]]
    uid = (await User.select(User.id).where(User.username == "mediator").first())["id"]
    assert client.post(f"/api/v1/mediation/{fid}/mediators", json={"user": uid}, headers=h).status_code == 200
    assert client.post(f"/api/v1/mediation/{fid}/move", json={"move": "seek_consent"}, headers=h).json()["state"] == "consent"
    t = today().isoformat()
    for p in (pa, pb):
        assert client.post(f"/api/v1/mediation/{fid}/parties/{p}/consent", json={"consent": "given"}, headers=h).status_code == 200
        assert client.post(f"/api/v1/mediation/{fid}/parties/{p}/notice",
                           json={"notice_given_on": t, "notice_ack_on": t}, headers=h).status_code == 200
    assert client.post(f"/api/v1/mediation/{fid}/move", json={"move": "start"}, headers=h).json()["state"] == "mediating"
    room = (await Room.select(Room.id).where(Room.station == zxl).first())["id"]
    r = client.post(f"/api/v1/mediation/{fid}/sessions", json={"date": (today() + dt.timedelta(days=40)).isoformat(),
                    "start": "14:00", "end": "15:00", "room": room}, headers=h)
    assert r.status_code == 200, r.text
    future = r.json()["sessions"][0]["id"]
    # Forty days ahead, the session has not begun: its record is refused, in Chinese, as problem+json.
    r = client.post(f"/api/v1/mediation/{fid}/sessions/{future}", json={"attendees": "王建国\n李明",
                    "record": "双方同意由 701 负责维修。", "result": "agreement"},
                    headers={**h, "Accept-Language": "zh-CN"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert "尚未开始" in r.text, r.text
    # The session that really took place: yesterday afternoon, at the parties' building.
    held_on = today() - dt.timedelta(days=1)
    r = client.post(f"/api/v1/mediation/{fid}/sessions", json={"date": held_on.isoformat(), "start": "18:00",
                    "end": "19:00", "place": "中南悦园 3 栋 601"}, headers=h)
    assert r.status_code == 200, r.text
    sid = next(x["id"] for x in r.json()["sessions"] if x["id"] != future)
    r = client.post(f"/api/v1/mediation/{fid}/sessions/{sid}", json={"attendees": "王建国\n李明",
                    "record": "双方同意由 701 负责维修。", "result": "agreement"}, headers=h)
    assert r.status_code == 200, r.text
    # An agreement dated before the session that reached it: refused, the field named.
    r = client.post(f"/api/v1/mediation/{fid}/agreement", json={"facts": "x", "matters": "x", "responsibilities": "x",
                    "reached_on": (held_on - dt.timedelta(days=1)).isoformat()}, headers=h)
    assert r.status_code == 422 and "reached_on" in r.json()["errors"], r.text
    client.post(f"/api/v1/mediation/{fid}/agreement", json={"facts": "701 卫生间防水层破损，渗水至 601。",
                "matters": "维修责任与损失赔偿。", "responsibilities": "李明负责维修并赔偿。", "reached_on": t}, headers=h)
    due = (today() + dt.timedelta(days=15))
    r = client.post(f"/api/v1/mediation/{fid}/agreement/obligations", json={"party": pb, "what": "赔偿 601 天花板修复费用",
                    "amount": "2800.00", "due_date": due.isoformat(), "manner": "微信转账"}, headers=h)
    assert r.status_code == 200, r.text
    # A float amount is refused by the typed body before the use case: money travels as a string.
    bad = client.post(f"/api/v1/mediation/{fid}/agreement/obligations", json={"party": pb, "what": "x", "amount": 1.1}, headers=h)
    assert bad.status_code == 400 and "amount" in str(bad.json()["errors"]), bad.text
    # A string that is no amount is the use case's: 422 with the field named.
    bad = client.post(f"/api/v1/mediation/{fid}/agreement/obligations", json={"party": pb, "what": "x", "amount": "1.234"}, headers=h)
    assert bad.status_code == 422 and "amount" in bad.json()["errors"]
    # A misspelt field is refused, not ignored.
    bad = client.post(f"/api/v1/mediation/{fid}/agreement/obligations", json={"party": pb, "what": "x", "amonut": "1"}, headers=h)
    assert bad.status_code == 400
    for who in (f"party:{pa}", f"party:{pb}", "seal"):
        r = client.post(f"/api/v1/mediation/{fid}/agreement/sign", json={"who": who, "signed_on": t}, headers=h)
        assert r.status_code == 200, r.text
    # Everyone but the mediator has signed: the PDF shows the empty line and never 已生效.
    partial = client.get(f"/api/v1/mediation/{fid}/agreement.pdf", headers=h)
    ptext = "".join(p.extract_text() for p in PdfReader(io.BytesIO(partial.content)).pages).replace(" ", "")
    assert "王建国" in ptext and "已于" not in ptext and "已生效" not in ptext
    # The mediator of the file signs, recorded by themself.
    r = client.post(f"/api/v1/mediation/{fid}/agreement/sign", json={"who": "mediator", "signed_on": t}, headers=h)
    assert r.status_code == 200, r.text
    ag = r.json()["agreement"]
    assert ag["effective"] and ag["effective_on"] == t and ag["obligations"][0]["state"] == "pending"
    assert ag["confirmation_deadline"] >= (today() + dt.timedelta(days=30)).isoformat()
    assert client.post(f"/api/v1/mediation/{fid}/move", json={"move": "settle"}, headers=h).json()["state"] == "settled"

    pdf = client.get(f"/api/v1/mediation/{fid}/agreement.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(p.extract_text() for p in reader.pages).replace(" ", "").replace("\n", "")
    mediator_name = (await User.select(User.display_name).where(User.id == uid).first())["display_name"].replace(" ", "")
    for expected in ("人民调解协议书", "申请人", "被申请人", "王建国", "李明", "赔偿601天花板修复费用", "2,800.00元", f"本协议已于{today().year}年",
                     mediator_name,
                     f"{due.year}年{due.month}月{due.day}日", "320102198001011234", "人民调解委员会"):
        assert expected in text, expected
    fonts = set()
    for p in reader.pages:
        for font in (p["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    assert any("CJK" in f or "Noto" in f for f in fonts), fonts
    rec = client.get(f"/api/v1/mediation/{fid}/sessions/{sid}/record.pdf", headers=h)
    rtext = "".join(p.extract_text() for p in PdfReader(io.BytesIO(rec.content)).pages).replace(" ", "")
    assert "人民调解笔录" in rtext and "320102198001011234" not in rtext and "320***********1234" in rtext
    s = client.get("/api/v1/mediation/stats", headers=h).json()
    assert s["total"]["counts"]["settled"] >= 1 and "Success rate" in s["definitions"]["success_rate"]


async def test_wrong_role_and_wrong_station_get_403_and_nothing_changes(client, tokens, zxl):
    f = water_leak(client, tokens["mediator"])
    before = (await DisputeParty.count(), await DisputeFile.count(), await AuditEntry.count())
    for who in ("gridworker", "liaison", "resident", "other"):
        h = tokens[who]
        # Wrong role: 403. Another station's mediator: 404, as if the file did not exist (no oracle).
        refused = 404 if who == "other" else 403
        r = client.post(f"/api/v1/mediation/{f['id']}/parties", json={"role": "applicant", "name": "某某"}, headers=h)
        assert r.status_code == refused and r.headers["content-type"].startswith("application/problem+json"), (who, r.text)
        assert client.get(f"/api/v1/mediation/{f['id']}", headers=h).status_code == refused
        assert client.get(f"/api/v1/mediation/{f['id']}/agreement.pdf", headers=h).status_code == refused
        r = client.post("/api/v1/mediation", json={"station": zxl, "title": "x", "category": "neighbours",
                                                   "source": "applied"}, headers=h)
        assert r.status_code == refused, (who, r.text)
    # The other station's mediator lists nothing of ZXL.
    assert client.get("/api/v1/mediation", headers=tokens["other"]).json()["total"] == 0
    assert (await DisputeParty.count(), await DisputeFile.count(), await AuditEntry.count()) == before


async def test_pages_register_and_refuse(as_user, tokens):
    med = as_user("mediator")
    r = post_form(med, "/mediation/new", {"title": "车位被占", "category": "property_service", "source": "applied"})
    assert r.status_code == 303, r.text
    url = r.headers["location"].split("?")[0]
    page = med.get(url)
    assert page.status_code == 200 and "人调字第" in page.text
    bad = post_form(med, url + "/do/party", {"role": "applicant", "name": "", "phone": "abc"})
    assert bad.status_code == 422 and "field-error" in bad.text
    grid = as_user("gridworker")
    r = post_form(grid, url + "/do/party", {"role": "applicant", "name": "某某"})
    assert r.status_code == 403
    assert grid.get(url).status_code == 403
    assert grid.get("/mediation").status_code == 403
    for path in ("/mediation", "/mediation/confirmations", "/mediation/stats"):
        assert med.get(path).status_code == 200, path


async def test_refused_move_on_the_page_changes_nothing_and_old_files_are_flagged(as_user):
    from council.cases.tables import Case

    med = as_user("mediator")
    r = post_form(med, "/mediation/new", {"title": "宠物狗夜间吠叫", "category": "neighbours", "source": "grid_worker"})
    url = r.headers["location"].split("?")[0]
    fid = int(url.rsplit("/", 1)[1])
    row = await DisputeFile.select().where(DisputeFile.id == fid).first()
    case = await Case.select().where(Case.id == row["case"]).first()
    # seek_consent without parties: refused, shown on the page in Chinese, nothing changed.
    r = post_form(med, url + "/do/move", {"move": "seek_consent", "version": str(case["version"])})
    assert r.status_code == 409 and "请先登记至少一名申请人和一名被申请人" in r.text
    assert (await Case.select(Case.state, Case.version).where(Case.id == case["id"]).first()) == {
        "state": "registered", "version": case["version"]}
    # A file registered 31 days ago is flagged; 30 days is not yet.
    await DisputeFile.update({DisputeFile.opened_on: today() - dt.timedelta(days=30)}).where(DisputeFile.id == fid)
    assert 'id="flag-30"' not in med.get(url).text
    await DisputeFile.update({DisputeFile.opened_on: today() - dt.timedelta(days=31)}).where(DisputeFile.id == fid)
    assert 'id="flag-30"' in med.get(url).text
    assert "超过 30 天未结" in med.get("/mediation?state=open").text


async def test_full_contact_details_only_on_request_and_audited(client, tokens):
    h = tokens["mediator"]
    f = water_leak(client, h)
    r = client.post(f"/api/v1/mediation/{f['id']}/parties", json={"role": "applicant", "name": "钱芳",
                    "phone": "13700001111", "id_number": "320102199001011111"}, headers=h)
    pid = r.json()["parties"][0]["id"]
    assert "13700001111" not in r.text and "320102199001011111" not in r.text
    before = await AuditEntry.count().where(AuditEntry.action == "mediation.party_revealed")
    shown = client.post(f"/api/v1/mediation/{f['id']}/parties/{pid}/reveal", headers=h).json()
    assert shown["phone"] == "13700001111" and shown["id_number"] == "320102199001011111"
    assert await AuditEntry.count().where(AuditEntry.action == "mediation.party_revealed") == before + 1
    assert client.post(f"/api/v1/mediation/{f['id']}/parties/{pid}/reveal", headers=tokens["other"]).status_code == 404
    assert client.post(f"/api/v1/mediation/{f['id']}/parties/{pid}/reveal", headers=tokens["gridworker"]).status_code == 403


async def test_committee_abbreviation_sets_later_numbers(client, tokens, zxl):
    c = client.get(f"/api/v1/mediation/committee/{zxl}", headers=tokens["mediator"]).json()
    assert c["abbreviation"] == "振兴路" and c["name"] == "振兴路社区人民调解委员会"
    body = {"name": c["name"], "abbreviation": "泰山振兴", "version": c["version"]}
    assert client.post(f"/api/v1/mediation/committee/{zxl}", json=body, headers=tokens["mediator"]).status_code == 403
    r = client.post(f"/api/v1/mediation/committee/{zxl}", json=body, headers=tokens["secretary"])
    assert r.status_code == 200, r.text
    # The same (now stale) version again: refused.
    assert client.post(f"/api/v1/mediation/committee/{zxl}", json=body, headers=tokens["secretary"]).status_code == 409
    try:
        assert "泰山振兴人调字第" in water_leak(client, tokens["mediator"])["number"]
    finally:
        client.post(f"/api/v1/mediation/committee/{zxl}", json={**body, "abbreviation": "振兴路", "version": c["version"] + 1},
                    headers=tokens["secretary"])


async def test_details_form_keeps_its_version(as_user):
    med = as_user("mediator")
    r = post_form(med, "/mediation/new", {"title": "邻居装修噪音", "category": "neighbours", "source": "applied"})
    url = r.headers["location"].split("?")[0]
    fid = int(url.rsplit("/", 1)[1])
    v = (await DisputeFile.select(DisputeFile.version).where(DisputeFile.id == fid).first())["version"]
    form = {"title": "邻居装修噪音（周末）", "category": "neighbours", "source": "applied", "version": str(v)}
    assert post_form(med, url + "/do/details", form).status_code == 303
    stale = post_form(med, url + "/do/details", {**form, "title": "又改"})
    assert stale.status_code == 409 and "已有他人修改" in stale.text
    assert "邻居装修噪音（周末）" in med.get(url).text


async def test_party_details_corrected_on_the_page(client, as_user, tokens):
    h = tokens["mediator"]
    f = water_leak(client, h)
    r = client.post(f"/api/v1/mediation/{f['id']}/parties", json={"role": "applicant", "name": "王建国",
                    "phone": "13812345678", "id_number": "320102198001011234", "address": "3 栋 601"}, headers=h)
    pid = r.json()["parties"][0]["id"]
    med = as_user("mediator")
    url = f"/mediation/{f['id']}"
    page = med.get(url)
    assert 'class="party-edit-form"' in page.text and "13812345678" not in page.text
    party = await DisputeParty.select().where(DisputeParty.id == pid).first()
    form = {"party": str(pid), "version": str(party["version"]), "role": "applicant", "kind": "person",
            "name": "王建国", "gender": "男", "id_number": "", "phone": "", "address": "中南悦园 3 栋 601",
            "agent_name": "", "agent_phone": "", "agent_basis": ""}
    # Bad input: the error in Chinese on the party's own form, nothing changed.
    bad = post_form(med, url + "/do/party_edit", {**form, "phone": "abc", "name": ""})
    assert bad.status_code == 422 and "field-error" in bad.text and "请填写电话号码" in bad.text, bad.text[-3000:]
    assert await DisputeParty.select().where(DisputeParty.id == pid).first() == party
    # Without the form's CSRF token: refused.
    assert med.post(url + "/do/party_edit", data=form, follow_redirects=False).status_code == 403
    # Blank phone and ID number keep what is on file; the rest is corrected, and audited masked.
    before = await AuditEntry.count().where(AuditEntry.action == "mediation.party_changed")
    r = post_form(med, url + "/do/party_edit", form)
    assert r.status_code == 303, r.text
    row = await DisputeParty.select().where(DisputeParty.id == pid).first()
    assert (row["address"], row["gender"], row["phone"], row["id_number"]) == (
        "中南悦园 3 栋 601", "男", "13812345678", "320102198001011234")
    assert row["version"] == party["version"] + 1
    entries = await AuditEntry.select().where(AuditEntry.action == "mediation.party_changed").order_by(AuditEntry.id)
    assert len(entries) == before + 1 and "13812345678" not in str(entries[-1]) and "320102198001011234" not in str(entries[-1])
    # A new phone replaces the old one; the stale version is refused.
    assert post_form(med, url + "/do/party_edit", {**form, "version": str(row["version"]), "phone": "13900001111"}).status_code == 303
    assert (await DisputeParty.select(DisputeParty.phone).where(DisputeParty.id == pid).first())["phone"] == "13900001111"
    stale = post_form(med, url + "/do/party_edit", {**form, "name": "王建"})
    assert stale.status_code == 409 and "已有他人修改" in stale.text
    # Another role: refused, nothing changed.
    grid = as_user("gridworker")
    assert post_form(grid, url + "/do/party_edit", {**form, "name": "某某"}).status_code == 403
    # The API keeps the fields not sent.
    r = client.post(f"/api/v1/mediation/{f['id']}/parties/{pid}", json={"agent_name": "王小明", "agent_basis": "委托代理"},
                    headers=h)
    assert r.status_code == 200, r.text
    p = r.json()["parties"][0]
    assert (p["name"], p["agent_name"], p["phone"], p["address"]) == ("王建国", "王小明", "139****1111", "中南悦园 3 栋 601")
