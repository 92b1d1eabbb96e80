"""The reception desk over HTTP: each way a visit ends, the wrong role and station (403, nothing
changed), two people calling the same number at once, grid-group intake, roster, the day's
report PDF (Chinese text, masked phones) and the API twins."""

from __future__ import annotations

import asyncio
import re
from io import BytesIO

import pytest

from council.accounts.principal import Principal
from council.cases.tables import Case, CaseEvent
from council.reception.tables import RosterSwap, Visit
from tests.support import post_form


def _station_id(client) -> int:
    html = client.get("/reception").text
    return int(re.search(r'name="station" value="(\d+)"', html).group(1))


async def _count() -> int:
    return await Visit.count()


async def _last_visit() -> dict:
    return await Visit.select().order_by(Visit.id, ascending=False).first()


async def _case(case_id: int) -> dict:
    return await Case.select().where(Case.id == case_id).first()


async def _file_of(case_id: int) -> dict | None:
    from council.mediation.tables import DisputeFile

    return await DisputeFile.select().where(DisputeFile.case == case_id).first()


async def _leads(dispute_id: int) -> list[int]:
    from council.mediation.tables import DisputeMediator

    return [m["user"] for m in await DisputeMediator.select().where(
        (DisputeMediator.dispute == dispute_id) & (DisputeMediator.lead == True))]  # noqa: E712


async def test_desk_logs_each_outcome(as_user):
    c = as_user("secretary")
    sid = _station_id(c)
    assert "中文" in c.get("/reception").text or "English" in c.get("/reception").text

    # answered on the spot, visitor found by the last four digits of a phone
    found = c.get(f"/reception/visitors?station={sid}&q=刘桂兰").text
    pid = int(re.search(r'name="person" value="(\d+)"', found).group(1))
    assert re.search(r"1\d\d\*\*\*\*\d{4}", found)  # masked
    r = post_form(c, "/reception/visits", {"station": sid, "person": pid, "topic": "咨询养老补贴", "category": "elderly_children",
                                           "outcome": "answered", "answer": "年满80周岁可申请高龄津贴。"})
    assert r.status_code == 303, r.text
    v = await _last_visit()
    assert (v["status"], v["outcome"], v["answer"], v["person"]) == ("done", "answered", "年满80周岁可申请高龄津贴。", pid)

    # a new request, dispatched at once to a property manager the desk offers (other tests add
    # organisations of other communities, which the desk neither lists nor accepts; and an
    # unordered select may return any of them first on PostgreSQL)
    from council.parties.tables import Organisation

    offered = {int(v) for v in re.findall(r'<option value="(\d+)"',
                                          re.search(r'name="organisation">(.*?)</select>', c.get(f"/reception?station={sid}").text,
                                                    re.S).group(1))}
    orgs = [o for o in await Organisation.select().where(Organisation.kind == "property_manager").order_by(Organisation.id)
            if o["id"] in offered]
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "测试访客", "topic": "车库积水", "category": "property",
                                           "outcome": "case", "case_kind": "request", "organisation": orgs[0]["id"]})
    assert r.status_code == 303, r.text
    v = await _last_visit()
    case = await _case(v["case"])
    assert (case["kind"], case["state"], case["organisation"], case["channel"]) == ("request", "dispatched", orgs[0]["id"], "reception_day")

    # a new dispute handed to the mediator
    from council.accounts.tables import User

    mediator = (await User.select().where(User.username == "mediator").first())
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "邻里甲", "topic": "噪音扰民", "category": "neighbours",
                                           "outcome": "case", "case_kind": "dispute", "mediator": mediator["id"]})
    assert r.status_code == 303, r.text
    v = await _last_visit()
    assert v["mediator"] == mediator["id"] and (await _case(v["case"]))["kind"] == "dispute"
    events = (await CaseEvent.select().where(CaseEvent.case == v["case"]))
    assert any("调解员" in e["text"] for e in events)
    # … and it really reached mediation: the file is opened, numbered by the committee, source
    # "applied", the chosen mediator leads; the desk links to it for the secretary
    dispute = await _file_of(v["case"])
    assert re.fullmatch(r"（\d{4}）.+人调字第 \d+ 号", dispute["number"]), dispute["number"]
    assert (dispute["source"], dispute["category"]) == ("applied", "neighbours")
    assert await _leads(dispute["id"]) == [mediator["id"]]
    assert f'href="/mediation/{dispute["id"]}"' in c.get(f"/reception?station={sid}").text
    assert any(e["kind"] == "mediation.registered" for e in await CaseEvent.select().where(CaseEvent.case == v["case"]))

    # news on an existing case: queued first, called, then finished with the update
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "复访居民", "topic": "问车库积水进度"})
    waiting = await _last_visit()
    assert waiting["status"] == "waiting" and waiting["number"] >= 4
    r = post_form(c, f"/reception/visits/{waiting['id']}/call", {"version": waiting["version"], "station": sid})
    assert r.status_code == 303
    r = post_form(c, f"/reception/visits/{waiting['id']}/finish", {
        "version": waiting["version"] + 1, "station": sid, "outcome": "news", "case_number": case["number"],
        "answer": "物业已派人抽水，周五前完成。"})
    assert r.status_code == 303, r.text
    notes = (await CaseEvent.select().where((CaseEvent.case == case["id"]) & (CaseEvent.kind == "note")))
    assert any(n["text"] == "物业已派人抽水，周五前完成。" for n in notes)

    # a visitor who left
    post_form(c, "/reception/visits", {"station": sid, "new_name": "走了的人", "topic": "等不及"})
    gone = await _last_visit()
    assert post_form(c, f"/reception/visits/{gone['id']}/left", {"station": sid}).status_code == 303
    assert (await _last_visit())["status"] == "left"

    # the report page lists them, phones masked
    html = c.get(f"/reception/report?station={sid}").text
    assert "年满80周岁可申请高龄津贴。" in html and case["number"] in html


async def test_bad_input_changes_nothing(as_user):
    c = as_user("secretary")
    sid = _station_id(c)
    before = (await _count())
    for data, field in (({"topic": ""}, "topic"), ({"topic": "x", "outcome": "answered"}, "answer"),
                        ({"topic": "x", "outcome": "case", "case_kind": "request"}, "category"),
                        ({"topic": "x", "outcome": "news", "answer": "y", "case_number": "NOPE-1"}, "case_number"),
                        ({"topic": "x", "new_name": "有电话", "new_phone": "13800001111"}, "contact_consent"),
                        ({"topic": "x", "unit_number": "99-9999"}, "unit_number")):
        r = post_form(c, "/reception/visits", {"station": sid, **data})
        assert r.status_code == 422, (data, r.status_code)
        assert 'role="alert"' in r.text
    assert (await _count()) == before


async def test_wrong_role_and_station_are_refused(as_user):
    sec = as_user("secretary")
    sid = _station_id(sec)
    post_form(sec, "/reception/visits", {"station": sid, "new_name": "排队的人", "topic": "排队"})
    v = await _last_visit()
    before = (await _count())
    for user in ("resident", "liaison"):
        c = as_user(user)
        assert c.get("/reception").status_code == 403
        assert post_form(c, "/reception/visits", {"station": sid, "topic": "x", "new_name": "y"}).status_code == 403
        assert post_form(c, f"/reception/visits/{v['id']}/call", {}).status_code == 403
    # a grid worker works the desk but may not decide the roster
    gw = as_user("gridworker")
    assert post_form(gw, "/reception/roster/exception", {"station": sid, "day": "2026-12-04", "kind": "cancelled"}).status_code == 403
    assert (await _count()) == before and (await _last_visit())["status"] == "waiting"


async def _other_station() -> int:
    from council.places.tables import Community
    from council.stations.tables import Station

    community = await Community.select().first()
    row = await Station.insert(Station(community=community["community"] if "community" in community else community["id"],
                                       name="别的驿站", case_prefix="OTH", reception_weekday=2))
    return row[0]["id"]


async def test_other_station_is_refused(as_user):
    from council.stations.tables import Station

    other = (await Station.select(Station.id).where(Station.case_prefix == "OTH").first())
    other_id = other["id"] if other else (await _other_station())
    c = as_user("secretary")
    before = (await _count())
    assert c.get(f"/reception?station={other_id}").status_code == 404
    assert post_form(c, "/reception/visits", {"station": other_id, "topic": "x", "new_name": "y"}).status_code == 404
    assert (await _count()) == before


async def test_two_people_calling_the_same_number(as_user):
    sec, gw = as_user("secretary"), as_user("gridworker")
    sid = _station_id(sec)
    post_form(sec, "/reception/visits", {"station": sid, "new_name": "抢号的人", "topic": "同时叫号"})
    v = await _last_visit()
    r1 = post_form(sec, f"/reception/visits/{v['id']}/call", {"version": v["version"], "station": sid})
    r2 = post_form(gw, f"/reception/visits/{v['id']}/call", {"version": v["version"], "station": sid})
    assert r1.status_code == 303 and r2.status_code == 409
    assert "王秀英" in r2.text  # told who called it
    row = await _last_visit()
    assert row["status"] == "called" and row["version"] == v["version"] + 1


async def test_concurrent_calls_one_wins():
    """Both calls really at once, through the use case: exactly one wins on either engine."""
    from council.reception import desk

    async def run():
        from council.accounts.tables import User, UserStation

        users = {u["username"]: u for u in await User.select()}
        sid = (await UserStation.select().where(UserStation.user == users["secretary"]["id"]).first())["station"]
        p1 = Principal(users["secretary"]["id"], "secretary", "王秀英", "secretary", frozenset({sid}))
        p2 = Principal(users["gridworker"]["id"], "gridworker", "李建国", "grid_worker", frozenset({sid}))
        v = await desk.log_visit(p1, {"station": sid, "new_name": "并发", "topic": "并发叫号"})
        results = await asyncio.gather(desk.call_visit(p1, v["id"], v["version"]), desk.call_visit(p2, v["id"], v["version"]),
                                       return_exceptions=True)
        return v, results

    v, results = (await run())
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].status == 409


async def test_grid_group_paste_to_drafts_and_confirm(as_user):
    c = as_user("gridworker")
    sid = _station_id(c)
    text = "张三 10:32\n3栋电梯又坏了\n困了人\n[10:40] 李四：楼道灯不亮\n\"王五\"撤回了一条消息"
    r = post_form(c, "/reception/grid", {"station": sid, "text": text})
    assert r.status_code == 303
    drafts = (await Visit.select().where((Visit.status == "draft") & (Visit.sender.is_in(["张三", "李四"]))).order_by(Visit.id))
    assert [(d["sender"], d["message"]) for d in drafts[-2:]] == [("张三", "3栋电梯又坏了\n困了人"), ("李四", "楼道灯不亮")]
    d = drafts[-1]
    r = post_form(c, f"/reception/visits/{d['id']}/confirm", {"version": d["version"], "category": "property"})
    assert r.status_code == 303
    row = (await Visit.select().where(Visit.id == d["id"]).first())
    assert row["status"] == "waiting" and row["number"] and row["category"] == "property"
    assert post_form(c, f"/reception/visits/{d['id']}/confirm", {"version": d["version"]}).status_code == 409
    assert post_form(c, "/reception/grid", {"station": sid, "text": "没有冒号的一行"}).status_code == 422


async def test_roster_swap_request_and_approval(as_user):
    sec = as_user("secretary")
    sid = _station_id(sec)
    html = sec.get(f"/reception/roster?station={sid}").text
    assert "周德明" in html
    from council.reception import store
    from council.cases.calendar_store import today

    weeks = (await store.duty_weeks(sid, today(), 2))
    members = (await store.members_for(sid))
    on = weeks[0][1][0]
    off = next(m for m in members if m["id"] not in {x["id"] for x in weeks[0][1]})
    gw = as_user("gridworker")
    r = post_form(gw, "/reception/roster/swap", {"station": sid, "week": weeks[0][0].isoformat(),
                                                 "out_member": on["id"], "in_member": off["id"], "reason": "家中有事"})
    assert r.status_code == 303, r.text
    swap = (await RosterSwap.select().order_by(RosterSwap.id, ascending=False).first())
    assert post_form(gw, "/reception/roster/approve", {"station": sid, "id": swap["id"]}).status_code == 403
    assert post_form(sec, "/reception/roster/approve", {"station": sid, "id": swap["id"], "version": swap["version"]}).status_code == 303
    after = (await store.duty_weeks(sid, today(), 1))[0][1]
    assert off["id"] in {m["id"] for m in after} and on["id"] not in {m["id"] for m in after}
    # a bad exception: not the station's weekday
    r = post_form(sec, "/reception/roster/exception", {"station": sid, "day": "2026-12-03", "kind": "cancelled"})
    assert r.status_code == 422


async def test_day_report_pdf_is_chinese_and_masked(as_user):
    from pypdf import PdfReader

    c = as_user("secretary")
    sid = _station_id(c)
    r = c.get(f"/reception/report.pdf?station={sid}", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(BytesIO(r.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "接待日" in text and "振兴路社区红色议事驿站" in text
    # filed upward in Chinese even when the reader's screens are in English
    english = c.get(f"/reception/report.pdf?station={sid}", headers={"Accept-Language": "en"}).content
    assert "书记接待日工作报表" in "".join(p.extract_text() for p in PdfReader(BytesIO(english)).pages)
    assert re.search(r"1\d\d\*\*\*\*\d{4}", text) and not re.search(r"1[3-9]\d{9}", text)
    fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages
             for f in (p["/Resources"].get("/Font") or {}).values()}
    assert any("CJK" in f for f in fonts)


async def test_totals_and_api(app, as_user):
    c = as_user("secretary")
    sid = _station_id(c)
    for period in ("week", "month", "year"):
        assert c.get(f"/reception/totals?station={sid}&period={period}").status_code == 200
    from council.accounts import services
    from council.accounts.principal import SYSTEM

    token = (await services.create_token(SYSTEM, "secretary", name="reception-test"))
    h = {"Authorization": f"Bearer {token}"}
    r = c.post("/api/v1/reception/visits", json={"station": sid, "new_name": "接口访客", "topic": "API"}, headers=h)
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    r = c.post(f"/api/v1/reception/visits/{vid}/finish", json={"outcome": "answered", "answer": "已答复"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "done"
    r = c.post(f"/api/v1/reception/visits/{vid}/call", json={}, headers=h)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert c.post("/api/v1/reception/visits", json={"station": sid, "topic": ""}, headers=h).status_code == 422
    t = c.get(f"/api/v1/reception/totals?station={sid}&period=week", headers=h).json()
    assert t["periods"][0]["answers_given"] >= 1
    s = c.get(f"/api/v1/reception/schedule?station={sid}", headers=h).json()
    assert s["days"] and s["duty"]
    rep = c.get(f"/api/v1/reception/report?station={sid}", headers=h).json()
    assert rep["visitors"] >= 1


async def test_reception_day_blocks_the_room():
    import datetime as dt

    from council.meetings import busy
    from council.reception import store
    from council.stations.tables import Station

    async def run():
        station = await Station.select().where(Station.case_prefix == "ZXL").first()
        room = await store.reception_room(station["id"])
        start = dt.datetime(2026, 11, 16, tzinfo=dt.timezone.utc)
        found = await busy.collect(start, start + dt.timedelta(days=14), [f"room:{room}"])
        return station, [b for b in found if b.ref.startswith("reception_day:")]

    station, found = (await run())
    assert [b.start.date().isoformat() for b in found] == ["2026-11-20", "2026-11-27"]
    assert found[0].label == "书记接待日"


async def test_grid_worker_hands_a_dispute_over_but_cannot_read_the_file(as_user):
    """The desk may be a grid worker's: the hand-over opens the file and makes the mediator its
    lead, audited under the grid worker's name; the file stays closed to them (no link, 403)."""
    from council.accounts.tables import User
    from council.audit.tables import AuditEntry

    gw, med = as_user("gridworker"), as_user("mediator")
    sid = _station_id(gw)
    mediator = await User.select().where(User.username == "mediator").first()
    r = post_form(gw, "/reception/visits", {"station": sid, "new_name": "邻里丙", "topic": "占用楼道", "category": "neighbours",
                                            "outcome": "case", "case_kind": "dispute", "mediator": mediator["id"],
                                            "handover_note": "双方都在场"})
    assert r.status_code == 303, r.text
    v = await _last_visit()
    dispute = await _file_of(v["case"])
    assert dispute is not None and await _leads(dispute["id"]) == [mediator["id"]]
    notes = [e["text"] for e in await CaseEvent.select().where(CaseEvent.case == v["case"])]
    assert any(dispute["number"] in t and "双方都在场" in t for t in notes), notes
    entry = await AuditEntry.select().where((AuditEntry.action == "mediation.handover")
                                            & (AuditEntry.entity_id == dispute["id"])).first()
    gw_user = await User.select().where(User.username == "gridworker").first()
    after = entry["after"] if isinstance(entry["after"], dict) else __import__("json").loads(entry["after"])
    assert entry["actor"] == gw_user["id"] and after["delegated"] is True and after["by_role"] == "grid_worker"
    desk_html = gw.get(f"/reception?station={sid}").text
    assert f'/mediation/{dispute["id"]}' not in desk_html and f'href="/cases/{v["case"]}"' not in desk_html
    assert gw.get(f"/mediation/{dispute['id']}").status_code == 403
    # the mediator finds it in their list and opens it
    assert dispute["number"] in med.get("/mediation").text
    assert med.get(f"/mediation/{dispute['id']}").status_code == 200


async def test_failed_handover_changes_nothing(monkeypatch):
    """Visit, case, file and lead are one transaction: a failure in the last step leaves none."""
    from council.accounts.tables import User, UserStation
    from council.core.errors import Conflict
    from council.mediation import files
    from council.mediation.tables import DisputeFile
    from council.reception import desk

    users = {u["username"]: u for u in await User.select()}
    sid = (await UserStation.select().where(UserStation.user == users["secretary"]["id"]).first())["station"]
    from council.stations.tables import Station

    community = (await Station.select(Station.community).where(Station.id == sid).first())["community"]
    p = Principal(users["secretary"]["id"], "secretary", "王秀英", "secretary", frozenset({sid}), frozenset({community}))
    counts = (await Visit.count(), await Case.count(), await DisputeFile.count())

    async def refuse(*args, **kwargs):
        raise Conflict("The file is closed.")

    monkeypatch.setattr(files, "assign_mediator", refuse)
    with pytest.raises(Conflict):
        await desk.log_visit(p, {"station": sid, "new_name": "回滚", "topic": "回滚的纠纷", "category": "neighbours",
                                 "outcome": "case", "case_kind": "dispute", "mediator": users["mediator"]["id"]})
    assert (await Visit.count(), await Case.count(), await DisputeFile.count()) == counts


async def test_api_is_typed_and_links_the_mediation_file(app, as_user):
    from council.accounts import services
    from council.accounts.principal import SYSTEM
    from council.accounts.tables import User

    c = as_user("secretary")
    sid = _station_id(c)
    doc = app.openapi_schema.to_schema()
    schemas = doc["components"]["schemas"]
    op = doc["paths"]["/api/v1/reception/visits"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "topic" in schemas[body]["required"] and "outcome" in schemas[body]["properties"]
    out = op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"ticket", "phone", "mediation_file"} <= set(schemas[out]["properties"])
    for path, method in (("/api/v1/reception/report", "get"), ("/api/v1/reception/totals", "get"),
                         ("/api/v1/reception/schedule", "get"), ("/api/v1/reception/grid", "post")):
        ok = next(v for k, v in doc["paths"][path][method]["responses"].items() if k.startswith("2"))
        assert "$ref" in ok["content"]["application/json"]["schema"], path

    token = (await services.create_token(SYSTEM, "secretary", name="reception-typed"))
    h = {"Authorization": f"Bearer {token}"}
    before = await _count()
    assert c.post("/api/v1/reception/visits", json={"station": sid, "topic": "x", "colour": "red"}, headers=h).status_code == 400
    assert c.post("/api/v1/reception/visits", json={"station": sid, "topic": 5}, headers=h).status_code == 400
    assert (await _count()) == before
    mediator = await User.select().where(User.username == "mediator").first()
    r = c.post("/api/v1/reception/visits", headers=h, json={
        "station": sid, "new_name": "接口纠纷", "topic": "接口调解", "category": "neighbours", "outcome": "case",
        "case_kind": "dispute", "mediator": mediator["id"]})
    assert r.status_code == 201, r.text
    v = r.json()
    dispute = await _file_of(v["case"])
    assert (v["mediation_file"], v["mediation_number"], v["status"]) == (dispute["id"], dispute["number"], "done")
    listed = c.get(f"/api/v1/reception/visits?station={sid}", headers=h).json()
    assert next(x for x in listed if x["id"] == v["id"])["mediation_file"] == dispute["id"]
    # a move takes only the fields that apply to it
    r = c.post("/api/v1/reception/visits", json={"station": sid, "new_name": "排队", "topic": "排队"}, headers=h)
    assert c.post(f"/api/v1/reception/visits/{r.json()['id']}/call", json={"answer": "x"}, headers=h).status_code == 422
    assert c.post(f"/api/v1/reception/visits/{r.json()['id']}/nonsense", json={}, headers=h).status_code == 404
    gw_token = (await services.create_token(SYSTEM, "gridworker", name="reception-typed-gw"))
    seen = c.get(f"/api/v1/reception/visits?station={sid}", headers={"Authorization": f"Bearer {gw_token}"}).json()
    assert next(x for x in seen if x["id"] == v["id"])["mediation_file"] is None


async def test_exceptions_move_the_block_in_the_meetings_calendar():
    """A cancelled reception day frees the room for meetings; a moved one holds it on its new
    date; booking a meeting over a reception day is refused naming it (书记接待日)."""
    import datetime as dt

    from council.accounts.principal import SYSTEM
    from council.cases.calendar_store import LOCAL
    from council.meetings import scheduling
    from council.reception import rota, store
    from council.stations.tables import Station

    station = await Station.select().where(Station.case_prefix == "ZXL").first()
    room = await store.reception_room(station["id"])
    await rota.add_exception(SYSTEM, station["id"], {"day": "2027-03-05", "kind": "cancelled", "note": "元宵"})
    await rota.add_exception(SYSTEM, station["id"], {"day": "2027-03-12", "kind": "moved", "moved_to": "2027-03-13",
                                                     "start_time": "09:00", "end_time": "11:00"})

    async def clashes(day: str, hour: int) -> list[str]:
        start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), LOCAL)
        found = await scheduling.find_conflicts(None, room, start, start + dt.timedelta(hours=1), {})
        return [c.label for c in found]

    occ = await store.occurrence_on(station, dt.date(2027, 3, 19))  # an ordinary Friday
    assert "书记接待日" in await clashes("2027-03-19", occ.start.hour)
    assert "书记接待日" not in await clashes("2027-03-05", occ.start.hour)  # cancelled
    assert "书记接待日" not in await clashes("2027-03-12", occ.start.hour)  # moved away …
    assert "书记接待日" in await clashes("2027-03-13", 10)  # … to the Saturday morning
    assert "书记接待日" not in await clashes("2027-03-13", 14)
    # a public holiday in the station's working calendar takes the reception day off too
    from council.cases.tables import StationHoliday

    await StationHoliday.insert(StationHoliday(station=station["id"], day=dt.date(2027, 3, 26), kind="holiday", note="测试假日"))
    assert "书记接待日" not in await clashes("2027-03-26", occ.start.hour)


async def test_desk_draws_the_finish_form_only_where_needed(as_user):
    """A day of 80 visits stays a light page: the finish form is drawn for the visitors at the
    desk (called) and for the one asked for; the others get a link to it."""
    c = as_user("secretary")
    sid = _station_id(c)
    post_form(c, "/reception/visits", {"station": sid, "new_name": "等候甲", "topic": "等候办结"})
    v = await _last_visit()
    html = c.get(f"/reception?station={sid}").text
    assert f'id="finish-{v["id"]}"' not in html and f'finish={v["id"]}#visit-{v["id"]}' in html
    assert f'id="finish-{v["id"]}"' in c.get(f"/reception?station={sid}&finish={v['id']}").text
    assert post_form(c, f"/reception/visits/{v['id']}/call", {"version": v["version"], "station": sid}).status_code == 303
    assert f'id="finish-{v["id"]}"' in c.get(f"/reception?station={sid}").text
    # the queue row's second button posts the same form to /left
    row = re.search(rf'<li id="visit-{v["id"]}".*?</li>', c.get(f"/reception?station={sid}").text, re.S).group(0)
    assert f'formaction="/reception/visits/{v["id"]}/left"' in row
    assert post_form(c, f"/reception/visits/{v['id']}/left", {"version": v["version"] + 1, "station": sid}).status_code == 303
    assert (await _last_visit())["status"] == "left"


async def test_find_the_visitor_by_name_unit_or_last_four_phone_digits(as_user):
    """The three ways the issue names, on the page fragment and the API; phones always masked."""
    from council.accounts import services
    from council.accounts.principal import SYSTEM
    from council.people.tables import Ownership, Person
    from council.places.tables import Unit
    from council.stations.tables import StationEstate

    c = as_user("secretary")
    sid = _station_id(c)
    served = [r["estate"] for r in await StationEstate.select().where(StationEstate.station == sid)]
    units = [u["id"] for u in await Unit.select(Unit.id).where(Unit.estate.is_in(served))]
    owned = await Ownership.select(Ownership.person, Ownership.unit).where(
        Ownership.unit.is_in(units) & (Ownership.person.phone != "")).order_by(Ownership.id).first()
    person = await Person.select().where(Person.id == owned["person"]).first()
    unit = await Unit.select().where(Unit.id == owned["unit"]).first()
    token = (await services.create_token(SYSTEM, "secretary", name="reception-find"))
    h = {"Authorization": f"Bearer {token}"}
    for q in (person["name"], unit["number"], person["phone"][-4:]):
        html = c.get(f"/reception/visitors?station={sid}", params={"q": q}).text
        assert f'name="person" value="{person["id"]}"' in html, q
        assert person["phone"] not in html
        found = c.get("/api/v1/reception/visitors", params={"station": sid, "q": q}, headers=h).json()
        me = next(f for f in found if f["id"] == person["id"])
        assert me["phone"] != person["phone"] and me["phone"].endswith(person["phone"][-4:]) and "*" in me["phone"]


async def test_a_new_proposal_from_the_desk(as_user):
    """The third kind of new case: prefilled from the visit, at the first of its six steps."""
    c = as_user("secretary")
    sid = _station_id(c)
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "提议的居民", "topic": "建议增设充电桩",
                                           "detail": "3栋门口空地可以安装电动车充电桩", "category": "facilities",
                                           "outcome": "case", "case_kind": "proposal"})
    assert r.status_code == 303, r.text
    v = await _last_visit()
    case = await _case(v["case"])
    assert (case["kind"], case["state"], case["channel"], case["title"], case["description"]) == (
        "proposal", "propose", "reception_day", "建议增设充电桩", "3栋门口空地可以安装电动车充电桩")
    assert (v["outcome"], v["case_kind"]) == ("case", "proposal")
    # a proposal is neither dispatched nor handed to a mediator: refused, nothing written
    before = await _count()
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "乙", "topic": "x", "category": "facilities",
                                           "outcome": "case", "case_kind": "proposal", "organisation": 1})
    assert r.status_code == 422 and (await _count()) == before


async def test_handing_a_dispute_over_carries_the_visitor_as_the_applicant(as_user):
    """Issue 13: the visitor who brought the dispute is the file's applicant party — name, unit
    and contact carried over from the desk — so the mediator types nothing twice."""
    from council.accounts.tables import User
    from council.mediation.tables import DisputeParty
    from council.people.tables import Person
    from council.places.tables import Estate, Unit
    from council.stations.tables import StationEstate

    c, med = as_user("secretary"), as_user("mediator")
    sid = _station_id(c)
    estates = [r["estate"] for r in await StationEstate.select(StationEstate.estate).where(StationEstate.station == sid)]
    unit = await Unit.select(Unit.id, Unit.number, Unit.estate).where(Unit.estate.is_in(estates)).first()
    estate = (await Estate.select(Estate.name).where(Estate.id == unit["estate"]).first())["name"]
    mediator = await User.select().where(User.username == "mediator").first()
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "孔令辉", "new_phone": "13655550101",
                                           "contact_consent": "1", "unit": unit["id"], "topic": "楼上装修噪音",
                                           "category": "neighbours", "outcome": "case", "case_kind": "dispute",
                                           "mediator": mediator["id"]})
    assert r.status_code == 303, r.text
    v = await _last_visit()
    dispute = await _file_of(v["case"])
    parties = await DisputeParty.select().where(DisputeParty.dispute == dispute["id"])
    assert len(parties) == 1
    p = parties[0]
    person = await Person.select().where(Person.id == v["person"]).first()
    assert (p["role"], p["kind"], p["name"], p["phone"], p["person"]) == (
        "applicant", "person", "孔令辉", "13655550101", person["id"])
    assert p["address"] == f'{estate} {unit["number"]}'
    # On the mediator's page: the applicant is there, the phone masked.
    page = med.get(f"/mediation/{dispute['id']}").text
    assert "孔令辉" in page and "136****0101" in page and "13655550101" not in page
