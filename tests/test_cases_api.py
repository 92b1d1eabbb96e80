"""/api/v1 for cases: every move over HTTP, refusals that change nothing, attachments, exports,
the dashboard and the OpenAPI document."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
from pathlib import Path

import pytest
from openpyxl import load_workbook

from council.accounts.principal import SYSTEM
from council.accounts.services import create_token, create_user
from council.accounts.tables import User
from council.audit.tables import AuditEntry
from council.cases.attachments import MAX_BYTES, display_name
from council.cases.calendar_store import today
from council.cases.tables import Attachment, Case, CaseEvent
from council.people.tables import Person
from council.places.tables import Community, Street, Unit
from council.privacy import mask_name, mask_phone
from council.stations.tables import Station

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
async def zxl() -> dict:
    return await Station.select().where(Station.case_prefix == "ZXL").first()


@pytest.fixture(scope="module")
async def other_station() -> dict:
    """A second station in another community, with its own secretary."""
    tag = secrets.token_hex(3)
    street = (await Street.insert(Street(name=f"测试街道{tag}")))[0]["id"]
    community = (await Community.insert(Community(street=street, name=f"测试社区{tag}")))[0]["id"]
    station = (await Station.insert(Station(community=community, name=f"测试驿站{tag}", case_prefix=f"T{tag}".upper(),
                                            reception_start=dt.time(9), reception_end=dt.time(11))))[0]["id"]
    username = f"secretary_{tag}"
    await create_user(SYSTEM, username=username, password="another-long-pass", role="secretary",
                      station_ids=[station])
    return {"id": station, "community": community, "username": username}


@pytest.fixture(scope="module")
async def tokens(other_station) -> dict[str, dict]:
    names = ("admin", "secretary", "gridworker", "mediator", "liaison", "resident", other_station["username"])
    out = {}
    for name in names:
        out[name] = {"Authorization": f"Bearer {await create_token(SYSTEM, name, 'api test')}"}
    out["other"] = out[other_station["username"]]
    return out


@pytest.fixture(scope="module")
async def liaison_org() -> int:
    return (await User.select(User.organisation).where(User.username == "liaison").first())["organisation"]


@pytest.fixture(scope="module")
async def units(zxl) -> list[int]:
    return [r["id"] for r in await Unit.select(Unit.id).where(Unit.community == zxl["community"]).order_by(Unit.id).limit(6)]


def new_case(client, headers, kind="proposal", **extra) -> dict:
    body = {"kind": kind, "title": "1 米宽的自行车门太窄", "category": "facilities", "channel": "reception_day", **extra}
    r = client.post("/api/v1/cases", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def move(client, headers, case_id, action, **body):
    return client.post(f"/api/v1/cases/{case_id}/moves", json={"action": action, **body}, headers=headers)


def detail(client, headers, case_id) -> dict:
    r = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def hold_vote(client, headers, case_id, *, passed: bool) -> int:
    """The decide step's vote as the law has it: a vote linked to the proposal, one meeting
    ballot, closed — the close copies its result onto the proposal."""
    from council.stations.tables import StationEstate

    station = detail(client, headers, case_id)["station"]
    link = await StationEstate.select(StationEstate.estate).where(StationEstate.station == station).first()
    r = client.post("/api/v1/votes", json={"station": station, "case": case_id, "title": "表决", "question": "是否同意？",
                                           "matter": "community", "rule_set": "simple_majority",
                                           "estate": link["estate"]}, headers=headers)
    assert r.status_code == 201, r.text
    vote = r.json()
    assert client.post(f"/api/v1/votes/{vote['id']}/open", json={"version": vote["version"]},
                       headers=headers).status_code == 200
    voter = client.get(f"/api/v1/votes/{vote['id']}/voters", headers=headers).json()[0]
    r = client.post(f"/api/v1/votes/{vote['id']}/ballots", json={
        "voter": voter["id"], "choice": "agree" if passed else "disagree", "channel": "meeting"}, headers=headers)
    assert r.status_code == 201, r.text
    version = client.get(f"/api/v1/votes/{vote['id']}", headers=headers).json()["version"]
    r = client.post(f"/api/v1/votes/{vote['id']}/close", json={"version": version}, headers=headers)
    assert r.status_code == 200 and r.json()["passed"] is passed, r.text
    return vote["id"]


async def snapshot(case_id: int) -> tuple[dict, int, int]:
    row = await Case.select().where(Case.id == case_id).first()
    events = await CaseEvent.count().where(CaseEvent.case == case_id)
    audits = await AuditEntry.count().where((AuditEntry.entity_type == "case") & (AuditEntry.entity_id == case_id))
    return row, events, audits


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body


# ---------------------------------------------------------------- proposals: the six steps

async def test_a_proposal_walks_the_six_steps_over_the_api(client, tokens, units):
    sec = tokens["secretary"]
    made = new_case(client, sec)
    cid = made["id"]
    assert made["number"].startswith("ZXL-")
    d = detail(client, sec, cid)
    assert d["state"] == "propose" and set(d["allowed_actions"]) == {"accept", "reject", "answer"}

    assert move(client, sec, cid, "accept", version=d["version"]).json()["state"] == "discuss"
    assert client.post(f"/api/v1/cases/{cid}/opinions", json={"stance": "for", "text": "电动车进出困难"},
                       headers=sec).status_code == 201
    option = client.post(f"/api/v1/cases/{cid}/options", json={"title": "拓宽至 1.5 米"}, headers=sec).json()["id"]
    assert "choose_option" not in detail(client, sec, cid)["allowed_actions"]
    assert client.post(f"/api/v1/cases/{cid}/options/{option}/prefer", headers=sec).status_code == 204
    assert "choose_option" in detail(client, sec, cid)["allowed_actions"]
    assert move(client, sec, cid, "choose_option").json()["state"] == "act"

    task = client.post(f"/api/v1/cases/{cid}/tasks", json={"what": "物业拓宽自行车门",
                       "due_date": str(dt.date.today() + dt.timedelta(days=30))},
                       headers=sec).json()["id"]
    r = client.patch(f"/api/v1/cases/{cid}/tasks/{task}", json={"status": "in_progress", "note": "已询价", "version": 1},
                     headers=sec)
    assert r.status_code == 200 and r.json()["status"] == "in_progress" and r.json()["version"] == 2
    stale = client.patch(f"/api/v1/cases/{cid}/tasks/{task}", json={"status": "done", "version": 1}, headers=sec)
    assert_problem(stale, 409)
    assert move(client, sec, cid, "complete_plan").json()["state"] == "fund"

    assert client.post(f"/api/v1/cases/{cid}/budget-lines", json={"item": "门框改造", "amount": "1200.10"},
                       headers=sec).status_code == 201
    assert client.post(f"/api/v1/cases/{cid}/budget-lines", json={"item": "人工", "amount": "0.20"},
                       headers=sec).status_code == 201
    assert client.post(f"/api/v1/cases/{cid}/funding-sources",
                       json={"source": "estate_revenue", "amount": "1000.00"}, headers=sec).status_code == 201
    d = detail(client, sec, cid)
    assert d["coverage"] == {"budget": "1200.30", "funded": "1000.00", "shortfall": "200.30", "covered": False,
                             "funding_not_needed": False}
    refused = move(client, sec, cid, "decide_funding")
    assert_problem(refused, 409)
    assert client.post(f"/api/v1/cases/{cid}/pledges", json={"unit": units[0], "amount": "200.30"},
                       headers=sec).status_code == 201
    assert client.post(f"/api/v1/cases/{cid}/funding-sources",
                       json={"source": "residents_pledges", "amount": "200.30"}, headers=sec).status_code == 201
    d = detail(client, sec, cid)
    assert d["coverage"]["shortfall"] == "0.00" and d["coverage"]["covered"] is True
    assert d["pledged_total"] == "200.30" and d["pledges"][0]["amount"] == "200.30"
    assert move(client, sec, cid, "decide_funding").json()["state"] == "decide"

    # A result typed by hand, or a reference that is not a vote here, is refused; nothing moves.
    assert_problem(client.post(f"/api/v1/cases/{cid}/vote", json={"vote_ref": "vote:7", "result": "passed"},
                               headers=sec), 422)
    assert_problem(client.post(f"/api/v1/cases/{cid}/vote", json={"vote_ref": "//other.host/x"}, headers=sec), 422)
    assert detail(client, sec, cid)["state"] == "decide"
    vote_id = await hold_vote(client, sec, cid, passed=True)
    d = detail(client, sec, cid)
    assert d["state"] == "evaluate" and d["vote_ref"] == f"/votes/{vote_id}" and d["vote_result"] == "passed"
    for unit, rating in zip(units[:3], ("satisfied", "basically_satisfied", "unsatisfied")):
        assert client.post(f"/api/v1/cases/{cid}/ratings", json={"unit": unit, "rating": rating},
                           headers=sec).status_code == 201
    twice = client.post(f"/api/v1/cases/{cid}/ratings", json={"unit": units[0], "rating": "satisfied"}, headers=sec)
    assert_problem(twice, 409)
    d = detail(client, sec, cid)
    assert d["satisfaction"] == {"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 1, "total": 3,
                                 "fraction": "2/3", "percent": "66.7"}
    # The case closes only once each task is done or cancelled with a reason (issue 13).
    assert_problem(move(client, sec, cid, "record_evaluation"), 409)
    assert client.patch(f"/api/v1/cases/{cid}/tasks/{task}", headers=sec, json={
        "status": "cancelled", "note": "物业已在保修期内完成", "version": 2}).status_code == 200
    assert move(client, sec, cid, "record_evaluation").json()["state"] == "closed"

    timeline = client.get(f"/api/v1/cases/{cid}/timeline", headers=sec).json()
    kinds = [e["kind"] for e in timeline]
    assert kinds[0] == "created" and kinds[-1] == "proposal.record_evaluation"
    order = ["proposal.accept", "opinion", "option", "option_preferred", "proposal.choose_option", "task",
             "task_progress", "proposal.complete_plan", "budget_line", "proposal.decide_funding", "vote_linked",
             "proposal.record_vote", "rating", "proposal.record_evaluation"]
    assert [k for k in kinds if k in order] == [k for k in order for _ in range(kinds.count(k))]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)


async def test_a_failed_vote_returns_to_discuss_and_no_money_needed_is_recorded(client, tokens):
    sec = tokens["secretary"]
    cid = new_case(client, sec)["id"]
    move(client, sec, cid, "accept")
    move(client, sec, cid, "skip", reason="方案已由业委会提出")
    assert detail(client, sec, cid)["state"] == "act"
    client.post(f"/api/v1/cases/{cid}/tasks", json={"what": "更换门锁"}, headers=sec)
    move(client, sec, cid, "complete_plan")
    r = client.post(f"/api/v1/cases/{cid}/funding-not-needed", json={"reason": "物业自行承担"}, headers=sec)
    assert r.status_code == 200
    assert detail(client, sec, cid)["coverage"]["funding_not_needed"] is True
    move(client, sec, cid, "decide_funding")
    await hold_vote(client, sec, cid, passed=False)
    assert detail(client, sec, cid)["state"] == "discuss"


# ---------------------------------------------------------------- requests: the closed loop

async def test_a_request_goes_round_the_closed_loop_over_the_api(client, tokens, liaison_org):
    sec, liaison = tokens["secretary"], tokens["liaison"]
    cid = new_case(client, sec, kind="request", title="路灯不亮")["id"]
    assert_problem(client.get(f"/api/v1/cases/{cid}", headers=liaison), 404)  # not dispatched to them yet
    assert "dispatch" in detail(client, sec, cid)["allowed_actions"]
    no_org = move(client, sec, cid, "dispatch")
    assert_problem(no_org, 422)
    assert move(client, sec, cid, "dispatch", organisation=liaison_org).json()["state"] == "dispatched"

    inbox = client.get("/api/v1/inbox", headers=liaison).json()
    assert cid in [c["id"] for c in inbox["items"]]
    assert_problem(client.get("/api/v1/inbox", headers=sec), 403)
    assert set(detail(client, liaison, cid)["allowed_actions"]) == {"accept", "send_back"}
    assert move(client, liaison, cid, "accept").json()["state"] == "handling"

    ext = client.post(f"/api/v1/cases/{cid}/extensions", json={"days": 3, "reason": "需要采购灯具"}, headers=liaison)
    assert ext.status_code == 201
    due_before = detail(client, sec, cid)["due_date"]
    assert_problem(client.post(f"/api/v1/cases/{cid}/extensions/{ext.json()['id']}/decision",
                               json={"approve": True}, headers=liaison), 403)
    r = client.post(f"/api/v1/cases/{cid}/extensions/{ext.json()['id']}/decision", json={"approve": True},
                    headers=sec)
    assert r.status_code == 200
    d = detail(client, sec, cid)
    assert d["due_date"] > due_before and d["extensions"][0]["status"] == "approved"

    assert client.post(f"/api/v1/cases/{cid}/notes", json={"text": "已到现场查看"}, headers=liaison).status_code == 204
    assert client.post(f"/api/v1/cases/{cid}/chase", json={"text": "请本周内完成"}, headers=sec).status_code == 204
    r = client.post(f"/api/v1/cases/{cid}/escalate", json={"reason": "涉及电力公司"}, headers=sec)
    assert r.status_code == 200
    assert detail(client, sec, cid)["escalation"] == "street"
    assert_problem(move(client, liaison, cid, "report", report=""), 409)
    assert move(client, liaison, cid, "report", report="已更换灯具").json()["state"] == "reported"
    assert move(client, sec, cid, "close").json()["state"] == "closed"
    assert move(client, sec, cid, "rate", rating="satisfied", comment="很快").json()["state"] == "rated"
    kinds = [e["kind"] for e in client.get(f"/api/v1/cases/{cid}/timeline", headers=sec).json()]
    for k in ("request.dispatch", "request.accept", "extension_requested", "extension_approved", "note", "chased",
              "escalated", "request.report", "request.close", "request.rate"):
        assert k in kinds


async def test_convert_a_request_to_a_proposal(client, tokens):
    sec = tokens["secretary"]
    cid = new_case(client, sec, kind="request", title="加装电梯")["id"]
    r = move(client, sec, cid, "convert", reason="需要业主表决")
    assert r.status_code == 200 and r.json()["state"] == "converted"
    proposal = detail(client, sec, r.json()["proposal_id"])
    assert proposal["kind"] == "proposal" and proposal["converted_from"] == cid


async def test_my_tasks_lists_open_tasks_for_staff_and_the_assigned_liaison(client, tokens, liaison_org):
    sec = tokens["secretary"]
    cid = new_case(client, sec)["id"]
    move(client, sec, cid, "accept")
    move(client, sec, cid, "skip", reason="已有方案")
    task = client.post(f"/api/v1/cases/{cid}/tasks", json={"what": "清理占道", "organisation": liaison_org},
                       headers=sec).json()["id"]
    mine = client.get("/api/v1/my/tasks", headers=sec).json()
    assert task in [t["task"]["id"] for t in mine]
    theirs = client.get("/api/v1/my/tasks", headers=tokens["liaison"]).json()
    assert task in [t["task"]["id"] for t in theirs]
    assert all(t["task"]["organisation"] == liaison_org for t in theirs)
    assert task not in [t["task"]["id"] for t in client.get("/api/v1/my/tasks", headers=tokens["other"]).json()]


# ---------------------------------------------------------------- refusals change nothing

async def test_wrong_role_is_403_and_changes_nothing(client, tokens):
    sec = tokens["secretary"]
    cid = new_case(client, sec)["id"]
    before = await snapshot(cid)
    for action in ("accept", "reject"):
        body = assert_problem(move(client, tokens["gridworker"], cid, action, reason="不行"), 403)
        assert body["code"] == "forbidden"
    assert_problem(client.post(f"/api/v1/cases/{cid}/options", json={"title": "x"}, headers=tokens["gridworker"]), 403)
    assert await snapshot(cid) == before

    req = new_case(client, sec, kind="request")["id"]
    before = await snapshot(req)
    assert_problem(move(client, tokens["gridworker"], req, "dispatch", organisation=1), 403)
    assert_problem(client.post(f"/api/v1/cases/{req}/escalate", json={"reason": "x"}, headers=tokens["mediator"]), 403)
    assert await snapshot(req) == before


async def test_wrong_station_is_403_and_changes_nothing(client, tokens, other_station):
    sec, other = tokens["secretary"], tokens["other"]
    cid = new_case(client, sec)["id"]
    before = await snapshot(cid)
    body = assert_problem(move(client, other, cid, "accept"), 404)
    assert body["detail"]
    assert_problem(client.get(f"/api/v1/cases/{cid}", headers=other), 404)
    assert_problem(client.get(f"/api/v1/cases/{cid}/timeline", headers=other), 404)
    assert_problem(client.post(f"/api/v1/cases/{cid}/notes", json={"text": "x"}, headers=other), 404)
    assert await snapshot(cid) == before
    assert cid not in [c["id"] for c in client.get("/api/v1/cases", headers=other).json()["items"]]
    # Registering at a station one does not serve.
    r = client.post("/api/v1/cases", headers=other, json={"kind": "request", "title": "x", "category": "other",
                                                          "channel": "other", "station": (await snapshot(cid))[0]["station"]})
    assert "station" in assert_problem(r, 422)["errors"]  # as for a station that does not exist


async def test_wrong_state_is_409_with_a_clear_message_and_changes_nothing(client, tokens):
    sec = tokens["secretary"]
    req = new_case(client, sec, kind="request")["id"]
    before = await snapshot(req)
    body = assert_problem(move(client, sec, req, "close"), 409)
    assert body["code"] == "conflict"
    assert_problem(client.post(f"/api/v1/cases/{req}/chase", json={}, headers=sec), 409)
    prop = new_case(client, sec)["id"]
    p_before = await snapshot(prop)
    assert_problem(move(client, sec, prop, "decide_funding"), 409)
    assert_problem(move(client, sec, prop, "reject"), 409)  # needs a reason
    assert_problem(move(client, sec, prop, "fly"), 409)
    assert_problem(move(client, sec, prop, "accept", version=p_before[0]["version"] + 5), 409)
    assert_problem(client.post(f"/api/v1/cases/{prop}/ratings", json={"unit": 1, "rating": "satisfied"},
                               headers=sec), 409)
    assert await snapshot(req) == before
    assert await snapshot(prop) == p_before


async def test_the_409_message_reads_in_the_users_language(client, tokens):
    sec = tokens["secretary"]
    req = new_case(client, sec, kind="request")["id"]
    zh = client.post(f"/api/v1/cases/{req}/moves", json={"action": "close"}, headers=sec).json()["detail"]
    assert zh == "诉求当前所处的环节不能进行这项操作。"
    en = client.post(f"/api/v1/cases/{req}/moves", json={"action": "close"}, headers={**sec, "Accept-Language": "en"})
    assert en.json()["detail"] == "This action is not possible at the case's current step."


async def test_unknown_fields_and_bad_bodies_are_400_and_write_nothing(client, tokens):
    sec = tokens["secretary"]
    count = await Case.count()
    r = client.post("/api/v1/cases", json={"kind": "request", "title": "x", "category": "other", "channel": "other",
                                           "colour": "red"}, headers=sec)
    assert_problem(r, 400)
    assert await Case.count() == count
    cid = new_case(client, sec, kind="request")["id"]
    before = await snapshot(cid)
    assert_problem(move(client, sec, cid, "dispatch", organisation=1, urgency="high"), 400)
    assert_problem(client.post(f"/api/v1/cases/{cid}/notes", json={"text": "x", "secret": 1}, headers=sec), 400)
    assert_problem(client.post(f"/api/v1/cases/{cid}/moves", content=b"not json", headers=sec), 400)
    # Money is a string: a float is refused rather than rounded.
    assert_problem(client.post(f"/api/v1/cases/{cid}/budget-lines", json={"item": "x", "amount": 1.1}, headers=sec), 400)
    assert await snapshot(cid) == before
    invalid = client.post("/api/v1/cases", json={"kind": "wish", "title": "", "category": "none", "channel": "pigeon"},
                          headers=sec)
    assert set(assert_problem(invalid, 422)["errors"]) >= {"kind", "title", "channel"}


async def test_signed_out_is_401(client):
    assert_problem(client.get("/api/v1/cases"), 401)


async def test_a_resident_registers_their_own_concern(client, tokens):
    resident_person = (await User.select(User.person).where(User.username == "resident").first())["person"]
    someone_else = (await Person.select(Person.id).where(Person.id != resident_person).first())["id"]
    r = client.post("/api/v1/cases", json={"kind": "request", "title": "楼道灯坏了", "category": "facilities",
                                           "reporter": someone_else}, headers=tokens["resident"])
    assert r.status_code == 201, r.text
    row = await Case.select().where(Case.id == r.json()["id"]).first()
    assert row["reporter"] == resident_person and row["channel"] == "online"
    mine = detail(client, tokens["resident"], row["id"])
    assert mine["reporter"] == resident_person and mine["allowed_actions"] == []
    assert_problem(move(client, tokens["resident"], row["id"], "dispatch", organisation=1), 403)
    listed = client.get("/api/v1/cases", headers=tokens["resident"]).json()["items"]
    assert row["id"] in [c["id"] for c in listed]


async def test_reporter_identity_is_masked_for_neighbours_and_phones_always(client, tokens, zxl):
    person = await _reporter_with_phone(zxl["community"])
    cid = new_case(client, tokens["secretary"], reporter=person["id"], contact_consent=True)["id"]
    staff = detail(client, tokens["secretary"], cid)
    assert staff["reporter_name"] == person["name"]
    assert staff["reporter_phone"] == mask_phone(person["phone"]) != person["phone"]
    neighbour = detail(client, tokens["resident"], cid)  # a proposal of their community
    assert neighbour["reporter_name"] == mask_name(person["name"]) and neighbour["reporter_phone"] is None
    assert neighbour["allowed_actions"] == []


async def test_list_filters_and_pages(client, tokens):
    sec = tokens["secretary"]
    made = new_case(client, sec, kind="request", title=f"filter-{secrets.token_hex(3)}")
    r = client.get("/api/v1/cases", params={"q": made["number"], "kind": "request", "state": "registered"}, headers=sec)
    body = r.json()
    assert r.status_code == 200 and body["total"] == 1 and body["items"][0]["id"] == made["id"]
    assert body["per_page"] == 25 and body["page"] == 1
    assert client.get("/api/v1/cases", params={"q": made["number"], "kind": "proposal"}, headers=sec).json()["total"] == 0
    assert_problem(client.get("/api/v1/cases", params={"page": 0}, headers=sec), 422)
    overdue = client.get("/api/v1/cases/overdue", headers=sec)
    assert overdue.status_code == 200 and all(c["kind"] == "request" for c in overdue.json()["items"])


# ---------------------------------------------------------------- attachments

def upload(client, headers, case_id, name, content, ctype="application/octet-stream"):
    return client.post(f"/api/v1/cases/{case_id}/attachments", files={"file": (name, content, ctype)}, headers=headers)


async def test_attachments_are_checked_stored_safely_and_downloaded(client, tokens, settings):
    sec = tokens["secretary"]
    cid = new_case(client, sec, kind="request")["id"]
    r = upload(client, sec, cid, "../../../etc/现场照片.png", PNG, "image/png")
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["filename"] == "现场照片.png" and att["content_type"] == "image/png"
    assert att["sha256"] == hashlib.sha256(PNG).hexdigest() and att["size"] == len(PNG)
    row = await Attachment.select().where(Attachment.id == att["id"]).first()
    from council import storage

    if storage.in_database():  # PostgreSQL: a row of stored_blob, no file on this node
        kept = (await storage.StoredBlob.select().where(storage.StoredBlob.key == f"cases/{row['stored_as']}").first())
        assert bytes(kept["content"]) == PNG and kept["sha256"] == att["sha256"]
        assert not (Path(settings.upload_dir) / "cases" / row["stored_as"]).exists()
    else:
        stored = Path(settings.upload_dir) / "cases" / row["stored_as"]
        assert stored.read_bytes() == PNG
    assert "/" not in row["stored_as"] and "png" not in row["stored_as"]
    assert not (Path(settings.upload_dir).parent / "etc").exists()

    got = client.get(att["url"], headers=sec)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert_problem(client.get(att["url"], headers=tokens["other"]), 404)
    assert_problem(client.get(f"/api/v1/cases/{cid}/attachments/{att['id'] + 10_000}", headers=sec), 404)
    assert detail(client, sec, cid)["attachments"][0]["id"] == att["id"]
    assert "attachment" in [e["kind"] for e in client.get(f"/api/v1/cases/{cid}/timeline", headers=sec).json()]
    assert await AuditEntry.exists().where((AuditEntry.action == "case.attachment") & (AuditEntry.entity_id == cid))

    pdf = upload(client, sec, cid, "minutes.PDF", PDF, "application/pdf")
    assert pdf.status_code == 201 and pdf.json()["content_type"] == "application/pdf"
    # A Windows path and a right-to-left override (which would show "gnp.exe" as "exe.png").
    weird = upload(client, sec, cid, "C:\\Users\\x\\..\\\u202eevil.png", PNG)
    assert weird.status_code == 201 and weird.json()["filename"] == "evil.png"


def test_display_names_lose_directories_and_control_characters():
    assert display_name("../../etc/passwd.png") == "passwd.png"
    assert display_name("a\x00b\r\nc\t.png") == "abc.png"
    assert display_name("..") == "attachment" and display_name("") == "attachment" and display_name(None) == "attachment"
    assert display_name(".hidden.pdf") == "hidden.pdf"
    long = display_name("长" * 300 + ".jpeg")
    assert len(long) <= 200 and long.endswith(".jpeg")


async def test_attachments_refused_by_type_size_and_station(client, tokens, settings):
    sec = tokens["secretary"]
    cid = new_case(client, sec, kind="request")["id"]
    before = await snapshot(cid)
    files_before = set((Path(settings.upload_dir) / "cases").glob("*")) if (Path(settings.upload_dir) / "cases").exists() else set()
    assert_problem(upload(client, sec, cid, "photo.png", b"#!/bin/sh\nrm -rf /\n", "image/png"), 415)  # not a PNG
    assert_problem(upload(client, sec, cid, "run.exe", PNG), 415)  # a PNG under another name
    assert_problem(upload(client, sec, cid, "photo.jpg", PNG), 415)  # extension and content disagree
    assert_problem(upload(client, sec, cid, "page.html", b"<html><script>alert(1)</script>"), 415)
    big = PNG + b"\x00" * (MAX_BYTES + 1 - len(PNG))
    assert_problem(upload(client, sec, cid, "big.png", big, "image/png"), 413)
    assert_problem(upload(client, tokens["other"], cid, "photo.png", PNG, "image/png"), 404)
    assert_problem(upload(client, tokens["liaison"], cid, "photo.png", PNG, "image/png"), 404)
    assert await snapshot(cid) == before
    assert await Attachment.count().where(Attachment.case == cid) == 0
    files_after = set((Path(settings.upload_dir) / "cases").glob("*")) if (Path(settings.upload_dir) / "cases").exists() else set()
    assert files_after == files_before


# ---------------------------------------------------------------- export, dashboard, OpenAPI

async def _reporter_with_phone(community: int) -> dict:
    return await Person.select(Person.id, Person.name, Person.phone).where(
        (Person.community == community) & (Person.phone != "") & Person.anonymised_at.is_null()
    ).order_by(Person.id, ascending=False).first()


async def test_exports_parse_and_hold_no_names_or_phone_numbers(client, tokens, zxl):
    sec = tokens["secretary"]
    person = await _reporter_with_phone(zxl["community"])
    made = new_case(client, sec, kind="request", title="=HYPERLINK(\"x\") 联系 13912345678",
                    reporter=person["id"], contact_consent=True)
    assert detail(client, sec, made["id"])["reporter_name"] == person["name"]
    r = client.get("/api/v1/cases/export", params={"format": "csv", "q": made["number"]}, headers=sec)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and rows[1][0] == made["number"]
    assert person["phone"] not in text and person["name"] not in text and "13912345678" not in text
    assert rows[1][2].startswith("'=")  # a formula is neutralised
    x = client.get("/api/v1/cases/export", params={"format": "xlsx", "kind": "request"}, headers=sec)
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    flat = " ".join(str(c) for row in values for c in row if c is not None)
    assert made["number"] in flat and person["phone"] not in flat and person["name"] not in flat
    assert all(len(row) == len(values[0]) for row in values)
    assert_problem(client.get("/api/v1/cases/export", params={"format": "pdf"}, headers=sec), 422)
    other = client.get("/api/v1/cases/export", params={"format": "csv"}, headers=tokens["other"]).content.decode("utf-8-sig")
    assert made["number"] not in other
    assert await AuditEntry.exists().where(AuditEntry.action == "case.export")


async def test_dashboard_json(client, tokens, zxl, other_station):
    sec = tokens["secretary"]
    new_case(client, sec, kind="request")
    r = client.get(f"/api/v1/stations/{zxl['id']}/dashboard", headers=sec)
    assert r.status_code == 200
    d = r.json()
    assert d["station"] == zxl["id"] and len(d["months"]) == 12
    assert d["received_month"] >= 1 and d["received_year"] >= d["received_month"]
    registered = sum(x["count"] for x in d["by_kind_state"] if x["kind"] == "request" and x["state"] == "registered")
    assert registered == await Case.count().where((Case.station == zxl["id"]) & (Case.kind == "request")
                                                  & (Case.state == "registered"))
    assert d["months"][-1]["month"] == today().strftime("%Y-%m")
    sat = d["satisfaction"]
    assert sat["total"] == sat["satisfied"] + sat["basically_satisfied"] + sat["unsatisfied"]
    assert_problem(client.get(f"/api/v1/stations/{zxl['id']}/dashboard", headers=tokens["other"]), 404)
    assert_problem(client.get(f"/api/v1/stations/{other_station['id']}/dashboard", headers=sec), 404)


def test_openapi_lists_the_case_endpoints_with_schemas(client):
    doc = client.get("/api/v1/schema/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/cases", "/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/moves",
                 "/api/v1/cases/{case_id}/timeline", "/api/v1/cases/{case_id}/attachments",
                 "/api/v1/cases/{case_id}/tasks/{task_id}", "/api/v1/cases/export", "/api/v1/inbox",
                 "/api/v1/my/tasks", "/api/v1/stations/{station_id}/dashboard", "/api/v1/cases/overdue"):
        assert path in paths, path
    schemas = doc["components"]["schemas"]
    body = paths["/api/v1/cases/{case_id}/moves"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # Several domains have a MoveIn: Litestar then names each schema by its module.
    name = body["$ref"].rsplit("/", 1)[1]
    assert name.endswith("MoveIn")
    assert {"action", "reason", "version"} <= set(schemas[name]["properties"])
    assert "allowed_actions" in schemas["CaseDetail"]["properties"]
    ok = paths["/api/v1/cases/{case_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/CaseDetail")
    params = {p["name"] for p in paths["/api/v1/cases"]["get"]["parameters"]}
    assert {"state", "kind", "category", "channel", "estate", "organisation", "overdue", "q", "page"} <= params
    upload_body = paths["/api/v1/cases/{case_id}/attachments"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_body
