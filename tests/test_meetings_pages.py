"""Meeting pages and API through HTTP: the slot finder and a meeting's whole life by forms,
two editors on one set of minutes, the stored PDF, calendars and feeds, who sees what."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re

import pytest
from litestar.testing import TestClient
from pypdf import PdfReader

from council.accounts.principal import SYSTEM
from council.accounts.services import create_token
from council.cases.holidays_cn import national, station_calendar
from council.cases.tables import CaseEvent, StationHoliday, Task
from council.meetings.tables import Meeting, MeetingParty, MinutesVersion
from council.parties.tables import Organisation
from council.stations.tables import Room, Station
from tests.support import login, post_form

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def as_user(app):
    """Clients without the app's lifespan (as in test_cases_pages): several can be open at once."""
    def make(username: str) -> TestClient:
        return login(TestClient(app=app), username)

    return make


async def org(name_part: str) -> int:
    return (await Organisation.select(Organisation.id).where(Organisation.name.like(f"%{name_part}%")).first())["id"]


_CN = station_calendar(national({}), [])


def next_weekday(days: int) -> dt.date:
    """A working weekday about `days` ahead (the slot finder leaves national holidays out)."""
    d = dt.date.today() + dt.timedelta(days=days)
    while d.weekday() >= 5 or not _CN.is_working_day(d):
        d += dt.timedelta(days=1)
    return d


async def has_begun(mid: int) -> None:
    """The clock reaches the meeting: its time is moved to the hour just past (a meeting is
    marked held only once it has started). The version stays: nobody edited it."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    await Meeting.update({Meeting.starts_at: now - dt.timedelta(hours=1), Meeting.ends_at: now}).where(Meeting.id == mid)


def meeting_id_from(r) -> int:
    assert r.status_code == 303, r.text[:3000]
    return int(re.match(r"^/meetings/(\d+)", r.headers["location"]).group(1))


def register_case(c, title: str) -> int:
    r = post_form(c, "/cases/new", {"kind": "proposal", "title": title, "category": "facilities",
                                    "channel": "reception_day", "priority": "normal"})
    assert r.status_code == 303, r.text[:2000]
    return int(re.match(r"^/cases/(\d+)", r.headers["location"]).group(1))


@pytest.mark.parametrize("username,status", [("secretary", 200), ("admin", 200), ("gridworker", 403),
                                             ("liaison", 403), ("resident", 403)])
def test_new_meeting_page_is_for_the_secretariat(as_user, username, status):
    c = as_user(username)
    assert c.get("/meetings/new").status_code == status
    assert c.get("/meetings").status_code == 200


def test_nav_has_meetings(as_user):
    assert 'href="/meetings"' in as_user("secretary").get("/", headers=EN).text


async def test_slot_finder_schedule_agenda_attendance_minutes_pdf(as_user, app):
    c = as_user("secretary")
    keys = {n: f"org:{await org(n)}" for n in ("悦园物业", "居民委员会", "业主委员会", "城市管理", "住房和城乡建设")}
    parties = {f"party_{k}": "required" for k in keys.values()}
    parties[f"party_{keys['业主委员会']}"] = "optional"  # evenings and Saturdays only
    first = next_weekday(21)
    form = {"kind": "coordination", "title": "自行车门改造五方协调会", "duration": "60", "need_room": "1",
            "first_day": first.isoformat(), "last_day": (first + dt.timedelta(days=6)).isoformat(), **parties}
    r = post_form(c, "/meetings/new", {**form, "do": "find"}, headers=ZH)
    assert r.status_code == 200, r.text[:3000]
    slots = re.findall(r'name="slot" value="([^"]+)"', r.text)
    assert slots and slots[0]  # the first is a real slot
    start, end, room = slots[0].split("|")
    assert room.isdigit()
    # A department (城管) works 08:30–12:00 and 14:00–17:30: no slot may cross its lunch break.
    hh = int(start[11:13]) * 60 + int(start[14:16])
    assert not (11 * 60 < hh < 14 * 60)
    mid = meeting_id_from(post_form(c, "/meetings/new", {**form, "do": "save", "slot": slots[0]}))
    m = await Meeting.select().where(Meeting.id == mid).first()
    assert m["room"] == int(room) and m["state"] == "planned"
    assert await MeetingParty.count().where(MeetingParty.meeting == mid) == 5

    # The same slot again, same room and parties: refused, naming the conflict; nothing saved.
    before = await Meeting.count()
    r = post_form(c, "/meetings/new", {**form, "do": "save", "slot": slots[0]}, headers=ZH)
    assert r.status_code == 409 and "时间冲突" in r.text and "仍然预订" in r.text
    assert await Meeting.count() == before

    # Two cases on the agenda; the cases' timelines show the meeting.
    case_a, case_b = register_case(c, "自行车门太窄"), register_case(c, "非机动车棚漏雨")
    for cid, mins in ((case_a, "30"), (case_b, "20")):
        r = post_form(c, f"/meetings/{mid}/do/agenda_add", {"case": str(cid), "minutes": mins})
        assert r.status_code == 303, r.text[:2000]
    assert await CaseEvent.exists().where((CaseEvent.case == case_a) & (CaseEvent.kind == "meeting"))
    # Worded for each reader from the event's data, and linked to the meeting.
    meeting_title = (await Meeting.select(Meeting.title).where(Meeting.id == mid).first())["title"]
    zh_case = c.get(f"/cases/{case_a}", headers=ZH).text
    assert "列入会议议程" in zh_case and f'<a href="/meetings/{mid}">{meeting_title}</a>' in zh_case
    en_case = c.get(f"/cases/{case_a}", headers=EN).text
    assert "On the agenda of" in en_case and "列入会议议程" not in en_case
    page = c.get(f"/meetings/{mid}", headers=ZH).text
    assert "自行车门太窄" in page and "非机动车棚漏雨" in page and "计划 50 分钟" in page
    r = post_form(c, f"/meetings/{mid}/do/agenda_add", {"minutes": "abc"}, headers=ZH)
    assert r.status_code == 422

    m = await Meeting.select().where(Meeting.id == mid).first()
    assert post_form(c, f"/meetings/{mid}/do/move", {"move": "schedule", "version": str(m["version"])}).status_code == 303
    # .ics download
    ics = c.get(f"/meetings/{mid}/calendar.ics")
    assert ics.status_code == 200 and "BEGIN:VEVENT" in ics.text and "自行车门改造五方协调会" in ics.text

    # Attendance on the tablet page.
    ps = {p["party_key"]: p["id"] for p in await MeetingParty.select().where(MeetingParty.meeting == mid)}
    data = {f"attendance_{pid}": "present" for pid in ps.values()}
    data[f"attendance_{ps[keys['业主委员会']]}"] = "absent"
    data[f"attendance_{ps[keys['住房和城乡建设']]}"] = "represented"
    r = post_form(c, f"/meetings/{mid}/attendance", data, headers=ZH)
    assert r.status_code == 422 and "请填写委托代表的姓名" in r.text
    data[f"represented_by_{ps[keys['住房和城乡建设']]}"] = "周科长"
    assert post_form(c, f"/meetings/{mid}/attendance", data).status_code == 303

    m = await Meeting.select().where(Meeting.id == mid).first()
    # Three weeks early it cannot be marked held: refused in Chinese, nothing changed.
    r = post_form(c, f"/meetings/{mid}/do/move", {"move": "hold", "version": str(m["version"])}, headers=ZH)
    assert r.status_code == 409 and "会议尚未开始" in r.text
    assert await Meeting.select().where(Meeting.id == mid).first() == m
    await has_begun(mid)
    assert post_form(c, f"/meetings/{mid}/do/move", {"move": "hold", "version": str(m["version"])}).status_code == 303

    # Minutes: two editors start from the same version; the second save is refused and keeps the text.
    editor = c.get(f"/meetings/{mid}/minutes", headers=ZH).text
    items = [int(x) for x in re.findall(r'name="discussion_(\d+)"', editor)]
    assert len(items) == 2
    version = re.search(r'name="version" value="(\d+)"', editor).group(1)
    first_item = items[0]
    mine = {"version": version, f"discussion_{first_item}": "物业介绍了拓宽方案，居民代表表示同意（施工联系人13912345678）。",
            f"decisions_{first_item}": "自行车门拓宽 1 米，物业负责施工。", f"actions_{first_item}": "0",
            f"a_{first_item}_0_what": "拓宽自行车门", f"a_{first_item}_0_organisation": keys["悦园物业"][4:],
            f"a_{first_item}_0_due": "2026-12-31"}
    assert post_form(c, f"/meetings/{mid}/minutes", mine).status_code == 303
    other = as_user("secretary")
    theirs = {"version": version, f"discussion_{first_item}": "另一位同事写下的讨论要点：城管同意配合"}
    r = post_form(other, f"/meetings/{mid}/minutes", theirs, headers=ZH)
    assert r.status_code == 409 and "另一位同事写下的讨论要点" in r.text and "他人已保存" in r.text

    page = c.get(f"/meetings/{mid}/minutes").text
    saved_version = re.search(r'id="approve-form">.*?name="version" value="(\d+)"', page, re.S).group(1)
    r = post_form(c, f"/meetings/{mid}/minutes/approve", {"version": saved_version})
    assert r.status_code == 303, r.text[:3000]
    stored = await MinutesVersion.select().where(MinutesVersion.meeting == mid).first()
    pdf = c.get(f"/meetings/{mid}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == bytes(stored["pdf"]) and hashlib.sha256(pdf.content).hexdigest() == stored["pdf_sha256"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "自行车门改造五方协调会" in text and "周科长" in text and "拓宽自行车门" in text
    assert await Task.exists().where((Task.case == case_a) & (Task.what == "拓宽自行车门"))
    # The PDF is served as stored: a second download is byte-identical.
    assert c.get(f"/meetings/{mid}/minutes.pdf").content == pdf.content
    # The editable Word file says the same, from the same frozen snapshot, phones masked.
    docx_file = c.get(f"/meetings/{mid}/minutes.docx")
    assert docx_file.status_code == 200 and docx_file.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    import docx

    document = docx.Document(io.BytesIO(docx_file.content))
    words = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for t in document.tables for row in t.rows for cell in row.cells)
    assert "自行车门改造五方协调会" in words and "拓宽自行车门" in words and "13912345678" not in words

    # The liaison's organisation (城管) was invited: the liaison sees this meeting, a resident does not.
    liaison = as_user("liaison")
    assert liaison.get(f"/meetings/{mid}").status_code == 200
    assert "自行车门改造五方协调会" in liaison.get("/meetings").text
    assert as_user("resident").get(f"/meetings/{mid}").status_code == 404
    # Phones typed into the minutes are masked on screen and on paper.
    shown = liaison.get(f"/meetings/{mid}/minutes").text
    assert "139****5678" in shown and "13912345678" not in shown
    assert "13912345678" not in text


async def test_invitation_answered_by_the_invited_liaison(as_user):
    sec = as_user("secretary")
    cg = f"org:{await org('城市管理')}"
    d = next_weekday(45)
    mid = meeting_id_from(post_form(sec, "/meetings/new", {
        "do": "save", "kind": "hearing", "title": "噪音扰民听证会", f"party_{cg}": "required",
        "starts_at": f"{d}T15:00", "ends_at": f"{d}T16:00"}))
    party = await MeetingParty.select().where(MeetingParty.meeting == mid).first()
    liaison = as_user("liaison")
    r = post_form(liaison, f"/meetings/{mid}/do/respond", {"party": str(party["id"]), "response": "delegated"},
                  headers=ZH)
    assert r.status_code == 422 and "请填写委派代表的姓名" in r.text
    r = post_form(liaison, f"/meetings/{mid}/do/respond",
                  {"party": str(party["id"]), "response": "delegated", "delegate": "钱队员"})
    assert r.status_code == 303
    row = await MeetingParty.select().where(MeetingParty.id == party["id"]).first()
    assert row["response"] == "delegated" and row["delegates"] == "钱队员"
    # A grid worker of the station may read, not answer for the department.
    r = post_form(as_user("gridworker"), f"/meetings/{mid}/do/respond",
                  {"party": str(party["id"]), "response": "declined"})
    assert r.status_code == 403


async def test_feed_url_works_without_login_and_busy_import_page(as_user, app):
    sec = as_user("secretary")
    r = post_form(sec, "/meetings/feeds", {"organisation": ""}, headers=ZH)
    assert r.status_code == 200
    url = re.search(r'id="feed-url">([^<]+)<', r.text).group(1)
    path = url[url.index("/calendar/"):]
    with TestClient(app=app) as anon:
        feed = anon.get(path)
        assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
        assert anon.get("/calendar/not-a-token.ics").status_code == 404
    # Making a new one revokes the old.
    post_form(sec, "/meetings/feeds", {"organisation": ""})
    with TestClient(app=app) as anon:
        assert anon.get(path).status_code == 404

    st = await Station.select().where(Station.case_prefix == "ZXL").first()
    room = (await Room.select(Room.id).where(Room.station == st["id"]).first())["id"]
    d = next_weekday(50)
    ics = (f"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:{d:%Y%m%d}\nDTEND;VALUE=DATE:"
           f"{d + dt.timedelta(days=1):%Y%m%d}\nSUMMARY:会议室装修\nEND:VEVENT\nEND:VCALENDAR\n")
    r = sec.post("/meetings/busy/import", data={"station": str(st["id"]), "who": f"room:{room}",
                                                "_csrf_token": sec.cookies.get("csrftoken")},
                 files={"file": ("room.ics", ics.encode(), "text/calendar")}, headers=ZH)
    assert r.status_code == 200 and "已导入 1 个事件" in r.text
    r = sec.post("/meetings/busy/import", data={"station": str(st["id"]), "who": f"room:{room}",
                                                "_csrf_token": sec.cookies.get("csrftoken")},
                 files={"file": ("x.ics", b"not a calendar", "text/calendar")}, headers=ZH)
    assert r.status_code == 422 and "不是 .ics 日历文件" in r.text
    r = post_form(sec, "/meetings/busy", {"station": str(st["id"]), "who": f"room:{room}",
                                          "starts_at": f"{d}T10:00", "ends_at": f"{d}T09:00"}, headers=ZH)
    assert r.status_code == 422 and "结束时间必须晚于开始时间" in r.text


async def test_api_create_slots_conflict_and_minutes(client):
    sec = {"Authorization": f"Bearer {await create_token(SYSTEM, 'secretary', 'meetings api test')}"}
    res = {"Authorization": f"Bearer {await create_token(SYSTEM, 'resident', 'meetings api test')}"}
    st = await Station.select().where(Station.case_prefix == "ZXL").first()
    wy = f"org:{await org('悦园物业')}"
    d = next_weekday(60)
    r = client.post("/api/v1/meetings/slots", headers=sec, json={
        "station": st["id"], "parties": [{"key": wy}], "duration_minutes": 90,
        "first_day": d.isoformat(), "last_day": d.isoformat()})
    assert r.status_code == 201 or r.status_code == 200, r.text
    slot = r.json()["slots"][0]
    assert slot["starts_at"].endswith("+08:00")
    body = {"station": st["id"], "kind": "deliberation", "title": "议事会（API）", "room": slot["room"],
            "starts_at": slot["starts_at"], "ends_at": slot["ends_at"], "parties": [{"key": wy}]}
    r = client.post("/api/v1/meetings", headers=sec, json=body)
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = client.post("/api/v1/meetings", headers=sec, json=body)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert client.post("/api/v1/meetings", headers=res, json=body).status_code == 403
    assert client.post("/api/v1/meetings/slots", headers=res, json={}).status_code == 403
    r = client.post(f"/api/v1/meetings/{mid}/moves", headers=sec, json={"move": "cancel"})
    assert r.status_code == 409
    r = client.post(f"/api/v1/meetings/{mid}/moves", headers=sec, json={"move": "schedule"})
    assert r.status_code in (200, 201) and r.json()["state"] == "scheduled"
    r = client.post(f"/api/v1/meetings/{mid}/moves", headers=sec, json={"move": "hold"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    await has_begun(mid)
    r = client.post(f"/api/v1/meetings/{mid}/moves", headers=sec, json={"move": "hold"})
    assert r.json()["state"] == "held"
    r = client.put(f"/api/v1/meetings/{mid}/minutes", headers=sec, json={"version": 0, "notes": "无其他事项"})
    assert r.status_code == 200 and r.json()["version"] == 1
    r = client.put(f"/api/v1/meetings/{mid}/minutes", headers=sec, json={"version": 0, "notes": "冲突"})
    assert r.status_code == 409
    r = client.post(f"/api/v1/meetings/{mid}/minutes/approve", headers=sec, json={"version": 1})
    assert r.status_code in (200, 201) and r.json()["number"] == 1
    pdf = client.get(f"/api/v1/meetings/{mid}/minutes/versions/1/pdf", headers=sec)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    got = client.get(f"/api/v1/meetings/{mid}/minutes", headers=sec).json()
    assert got["versions"][0]["content_hash"] and got["content"]["notes"] == "无其他事项"


def test_meetings_api_is_typed_in_the_openapi_document(client):
    """Every /api/v1/meetings operation names its request and response Structs."""
    doc = client.get("/api/v1/schema/openapi.json").json()
    schemas, paths = doc["components"]["schemas"], doc["paths"]

    def ref(node) -> str:
        return node["$ref"].rsplit("/", 1)[1]

    def body(path, method):
        return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]

    def ok(path, method, code="200"):
        return paths[path][method]["responses"][code]["content"]["application/json"]["schema"]

    m = "/api/v1/meetings/{meeting_id}"
    assert ref(body("/api/v1/meetings", "post")).endswith("MeetingIn")
    assert ref(body(m, "patch")) == "MeetingPatch"
    assert {"version", "title", "room", "chair", "recorder", "kind", "force"} <= set(schemas["MeetingPatch"]["properties"])
    assert ref(ok(m, "get")) == "MeetingOut" and ref(ok(m, "patch")) == "MeetingOut"
    assert ref(ok(m + "/moves", "post")) == "MeetingOut"
    assert ref(ok("/api/v1/meetings/slots", "post")) == "SlotsOut"
    assert ref(ok(m + "/minutes", "get")) == "MinutesOut" and ref(ok(m + "/minutes", "put")) == "MinutesSaved"
    assert ref(ok(m + "/attendance", "put")) == "AttendanceOut"
    assert ref(ok("/api/v1/meetings", "get")["items"]) == "MeetingSummary"
    assert schemas["MeetingOut"]["properties"]["parties"]["items"]["$ref"].endswith("PartyOut")


async def test_edit_meeting_on_its_page_locks_versions_and_refuses_clashes(as_user):
    """The edit form: title, kind, room, chair and recorder, with the version read; a room or
    chair already booked is refused naming the clash until a secretary books anyway (audited)."""
    from council.accounts.tables import User
    from council.audit.tables import AuditEntry

    sec = as_user("secretary")
    st = await Station.select().where(Station.case_prefix == "ZXL").first()
    rooms = {r["name"]: r["id"] for r in await Room.select().where(Room.station == st["id"])}
    hall, small = rooms["议事厅"], rooms["调解室"]
    grid = (await User.select(User.id, User.display_name).where(User.username == "gridworker").first())
    d = next_weekday(70)
    times = {"starts_at": f"{d}T09:00", "ends_at": f"{d}T10:00"}
    # A: the hall, chaired by the grid worker.
    a = meeting_id_from(post_form(sec, "/meetings/new", {"do": "save", "kind": "deliberation", "title": "议事会甲",
                                                         "room": str(hall), "chair": str(grid["id"]), **times}))
    # B: same time, the small room, no chair.
    b = meeting_id_from(post_form(sec, "/meetings/new", {"do": "save", "kind": "coordination", "title": "协调会乙",
                                                         "room": str(small), **times}))
    page = sec.get(f"/meetings/{b}", headers=ZH).text
    assert 'id="edit-form"' in page and "修改会议信息" in page
    row = await Meeting.select().where(Meeting.id == b).first()
    form = {"version": str(row["version"]), "title": "协调会乙（改）", "kind": "hearing", "room": str(small),
            "chair": "", "recorder": "", **times}

    # Blank title: 422 in the reader's language, nothing written.
    r = post_form(sec, f"/meetings/{b}/do/update", {**form, "title": " "}, headers=ZH)
    assert r.status_code == 422 and "此项为必填项" in r.text
    # The hall is taken by A: refused, A's room named, the force box offered; nothing written.
    r = post_form(sec, f"/meetings/{b}/do/update", {**form, "room": str(hall)}, headers=ZH)
    assert r.status_code == 409 and "时间冲突" in r.text and "议事厅" in r.text and 'id="ed-force"' in r.text
    assert 'value="协调会乙（改）"' in r.text  # what was typed is kept
    r = post_form(sec, f"/meetings/{b}/do/update", {**form, "room": str(hall)}, headers=EN)
    assert r.status_code == 409 and "Double booking" in r.text
    # The chair of A cannot chair B at the same time either (a required person).
    r = post_form(sec, f"/meetings/{b}/do/update", {**form, "chair": str(grid["id"])}, headers=ZH)
    assert r.status_code == 409 and grid["display_name"] in r.text
    assert (await Meeting.select().where(Meeting.id == b).first()) == row

    # The plain edit goes through and bumps the version.
    r = post_form(sec, f"/meetings/{b}/do/update", form)
    assert r.status_code == 303 and r.headers["location"].endswith("#update")
    after = await Meeting.select().where(Meeting.id == b).first()
    assert (after["title"], after["kind"], after["version"]) == ("协调会乙（改）", "hearing", row["version"] + 1)
    # The stale version is refused, nothing lost from the form, nothing changed.
    r = post_form(sec, f"/meetings/{b}/do/update", {**form, "title": "旧版本的修改"}, headers=ZH)
    assert r.status_code == 409 and "他人已修改了该会议" in r.text and 'value="旧版本的修改"' in r.text
    assert (await Meeting.select().where(Meeting.id == b).first())["title"] == "协调会乙（改）"

    # A secretary books the hall anyway: saved, marked forced, the clash in the audit log.
    r = post_form(sec, f"/meetings/{b}/do/update",
                  {**form, "version": str(after["version"]), "room": str(hall), "force": "1"})
    assert r.status_code == 303, r.text[:2000]
    forced = await Meeting.select().where(Meeting.id == b).first()
    assert forced["room"] == hall and forced["forced"] and forced["version"] == after["version"] + 1
    entry = await AuditEntry.select().where((AuditEntry.action == "meeting.updated")
                                            & (AuditEntry.entity_id == b)).order_by(AuditEntry.id, ascending=False).first()
    logged = json.loads(entry["after"]) if isinstance(entry["after"], str) else entry["after"]
    assert [c["name"] for c in logged["forced_over"]] == ["议事厅"]
    # Editing the title again does not ask about the clash already forced.
    r = post_form(sec, f"/meetings/{b}/do/update",
                  {**form, "version": str(forced["version"]), "room": str(hall), "title": "协调会乙（定）"})
    assert r.status_code == 303
    # Inviting the grid worker (A's chair) as a required party of B, at the same time: a clash.
    party = {"key": f"user:{grid['id']}", "required": "1"}
    r = post_form(sec, f"/meetings/{b}/do/party_add", party, headers=ZH)
    assert r.status_code == 409 and "议事会甲" in r.text and 'id="party-force"' in r.text
    assert not await MeetingParty.exists().where(MeetingParty.meeting == b)
    assert post_form(sec, f"/meetings/{b}/do/party_add", {**party, "force": "1"}).status_code == 303
    assert await MeetingParty.exists().where((MeetingParty.meeting == b) & (MeetingParty.party_key == party["key"]))
    # Staff who only read get no form and may not post it.
    grid_client = as_user("gridworker")
    assert 'id="edit-form"' not in grid_client.get(f"/meetings/{b}").text
    assert post_form(grid_client, f"/meetings/{b}/do/update", {**form, "version": "99"}).status_code == 403


async def test_minutes_page_links_the_vote_result_and_a_rescheduled_meeting_says_so(as_user):
    from council.votes.tables import Vote

    sec = as_user("secretary")
    st = await Station.select().where(Station.case_prefix == "ZXL").first()
    vote = await Vote.select(Vote.id, Vote.title, Vote.passed).where(
        (Vote.station == st["id"]) & Vote.passed.is_not_null()).first()
    assert vote is not None  # the demo's closed elevator vote
    d = next_weekday(75)
    mid = meeting_id_from(post_form(sec, "/meetings/new", {"do": "save", "kind": "deliberation", "title": "表决通报会",
                                                           "starts_at": f"{d}T15:00", "ends_at": f"{d}T16:00"}))
    r = post_form(sec, f"/meetings/{mid}/do/agenda_add", {"title": "通报表决结果", "vote": str(vote["id"]), "minutes": "15"})
    assert r.status_code == 303, r.text[:2000]

    async def version() -> str:
        return str((await Meeting.select(Meeting.version).where(Meeting.id == mid).first())["version"])

    assert post_form(sec, f"/meetings/{mid}/do/move", {"move": "schedule", "version": await version()}).status_code == 303
    assert "已改期" not in sec.get(f"/meetings/{mid}", headers=ZH).text
    r = post_form(sec, f"/meetings/{mid}/do/move", {"move": "reschedule", "version": await version(), "reason": "主任出差",
                                                    "starts_at": f"{d}T16:00", "ends_at": f"{d}T17:00"})
    assert r.status_code == 303, r.text[:2000]
    page = sec.get(f"/meetings/{mid}", headers=ZH).text
    assert 'id="rescheduled"' in page and "已改期" in page and "主任出差" in page
    await has_begun(mid)
    assert post_form(sec, f"/meetings/{mid}/do/move", {"move": "hold", "version": await version()}).status_code == 303
    page = sec.get(f"/meetings/{mid}/minutes", headers=ZH).text
    result = re.search(r'<p class="vote-result"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert f'href="/votes/{vote["id"]}"' in result and vote["title"] in result
    assert ("通过" if vote["passed"] else "未通过") in result and "表决结果" in result


def test_meetings_calendar_lists_the_reception_day_and_other_room_bookings(as_user):
    """The weekly reception day holds its room: staff see it among the room bookings next to the
    meetings (in Chinese), a resident sees no station bookings at all."""
    r = as_user("secretary").get("/meetings", headers=ZH)
    assert r.status_code == 200
    assert 'id="room-bookings"' in r.text and "未来 28 天的其他用房安排" in r.text
    section = r.text.split('id="room-bookings"', 1)[1]
    # The demo station receives every week: within 28 days there are at least three such days.
    assert section.count('<a href="/reception">') >= 3
    assert "接待日" in section
    r = as_user("resident").get("/meetings", headers=ZH)
    assert r.status_code == 200 and 'id="room-bookings"' not in r.text


async def test_slot_finder_leaves_holidays_out_unless_ticked_and_offers_make_up_days(client, as_user):
    """A day off (here the station's own, laid over the national calendar like a statutory holiday)
    offers no time to a department that works weekdays; ticking 包括节假日 offers it; a make-up
    Saturday is a working day. API and page."""
    sec = {"Authorization": f"Bearer {await create_token(SYSTEM, 'secretary', 'slots holidays test')}"}
    st = await Station.select().where(Station.case_prefix == "ZXL").first()
    cg = f"org:{await org('城市管理')}"  # 08:30–12:00 and 14:00–17:30 on weekdays
    wed = next_weekday(120)
    while wed.weekday() != 2 or not all(_CN.is_working_day(wed + dt.timedelta(days=i)) for i in range(3)) \
            or not _CN.is_working_day(wed - dt.timedelta(days=1)):
        wed = next_weekday((wed - dt.date.today()).days + 1)
    sat = wed + dt.timedelta(days=3)
    rows = await StationHoliday.insert(
        StationHoliday(station=st["id"], day=wed, kind="holiday", note="测试闭站"),
        StationHoliday(station=st["id"], day=sat, kind="makeup", note="测试调休上班")).returning(StationHoliday.id)
    try:
        def days(first, last, **extra):
            r = client.post("/api/v1/meetings/slots", headers=sec, json={
                "station": st["id"], "parties": [{"key": cg}], "duration_minutes": 60, "limit": 50,
                "first_day": first.isoformat(), "last_day": last.isoformat(), "need_room": False, **extra})
            assert r.status_code == 200, r.text
            return {x["starts_at"][:10] for x in r.json()["slots"]}

        assert days(wed, wed) == set()
        assert days(wed, wed, include_holidays=True) == {wed.isoformat()}
        assert days(sat, sat) == {sat.isoformat()}
        assert days(sat, sat, include_holidays=True) == {sat.isoformat()}
        assert days(sat + dt.timedelta(days=1), sat + dt.timedelta(days=1)) == set()  # an ordinary Sunday

        c = as_user("secretary")
        form = {"kind": "coordination", "title": "节假日测试", "duration": "60", f"party_{cg}": "required",
                "first_day": wed.isoformat(), "last_day": wed.isoformat(), "do": "find"}
        r = post_form(c, "/meetings/new", form, headers=ZH)
        assert r.status_code == 200 and "包括节假日" in r.text
        assert "没有找到所有必须参加方都有空的时间" in r.text
        r = post_form(c, "/meetings/new", {**form, "include_holidays": "1"}, headers=ZH)
        found = re.findall(r'name="slot" value="([^"]+)"', r.text)
        assert found and all(v.startswith(wed.isoformat()) for v in found)
        assert 'name="include_holidays" value="1" checked' in r.text
    finally:
        await StationHoliday.delete().where(StationHoliday.id.is_in([x["id"] for x in rows]))
