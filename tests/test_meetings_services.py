"""Meeting use cases against the real database: double booking, state machine, agenda on the case
timeline, attendance and quorum, minutes with optimistic locking, approval freezing a version."""

import datetime as dt
import hashlib
import io
import json
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from council.accounts.services import principal_for_user
from council.accounts.tables import User
from council.audit.tables import AuditEntry
from council.cases import intake
from council.cases.tables import CaseEvent, Task
from council.core.errors import Conflict, Forbidden, Invalid
from council.meetings import agenda, attendance, busy, minutes, scheduling, statemachine as sm
from council.meetings.document import scrub
from council.meetings.tables import BusyBlock, Meeting, MeetingParty, MinutesVersion
from council.parties.tables import Organisation
from council.stations.tables import Room, Station

SH = ZoneInfo("Asia/Shanghai")


async def principal(username: str):
    user = await User.select().where(User.username == username).first()
    return await principal_for_user(user, via="session")


async def station() -> dict:
    return await Station.select().where(Station.case_prefix == "ZXL").first()


async def org(name_part: str) -> int:
    return (await Organisation.select(Organisation.id).where(Organisation.name.like(f"%{name_part}%")).first())["id"]


async def room(name: str) -> int:
    # Other tests make stations with rooms of the same names: take the demo station's.
    st = await station()
    return (await Room.select(Room.id).where((Room.name == name) & (Room.station == st["id"])).first())["id"]


def future_weekday(days_ahead: int, hh: int, mm: int = 0) -> dt.datetime:
    d = dt.date.today() + dt.timedelta(days=days_ahead)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return dt.datetime.combine(d, dt.time(hh, mm), tzinfo=SH)


async def new_meeting(start: dt.datetime, *, room_name="调解室", parties=None, force=False, title="协调会"):
    sec = await principal("secretary")
    st = await station()
    return await scheduling.create_meeting(
        sec, station=st["id"], kind="coordination", title=title, room=await room(room_name),
        starts_at=start, ends_at=start + dt.timedelta(hours=1),
        parties=parties if parties is not None else [{"key": f"org:{await org('物业')}", "required": True}],
        force=force)


# ------------------------------------------------------------------ pure bits

def test_time_runs_one_way_for_meetings():
    start = dt.datetime(2026, 12, 1, 6, 30, tzinfo=dt.timezone.utc)  # 14:30 in the station's time
    before, at = start - dt.timedelta(seconds=1), start
    assert sm.time_refusal("hold", start, before) is not None
    assert sm.time_refusal("hold", start, at) is None
    assert sm.time_refusal("approve_minutes", start, before) is not None
    assert sm.time_refusal("approve_minutes", start, at + dt.timedelta(hours=2)) is None
    assert sm.time_refusal("hold", None, at) is not None  # no time set: it cannot have started
    assert sm.time_refusal("schedule", start, before) is None  # planning ahead is what scheduling is


def test_state_machine_paths():
    assert sm.next_state("planned", "schedule") == "scheduled"
    assert sm.next_state("scheduled", "reschedule", "城管改期") == "scheduled"
    with pytest.raises(sm.MoveRefused):
        sm.next_state("scheduled", "reschedule", "  ")
    with pytest.raises(sm.MoveRefused):
        sm.next_state("held", "cancel", "x")
    assert sm.next_state("minutes_approved", "correct_minutes", "错字") == "minutes_drafted"
    assert sm.allowed("planned") == ["schedule", "cancel"]


def test_scrub_masks_phones_and_ids():
    text = "联系王先生13812345678，身份证320102199001011234，座机025-83451234"
    out = scrub(text)
    assert "13812345678" not in out and "138****5678" in out
    assert "320102199001011234" not in out
    assert "83451234" not in out


def test_quorum_exact_fraction():
    assert attendance.quorum(["present", "present", "absent"]).met  # exactly 2/3 is enough (以上)
    assert not attendance.quorum(["present", "absent", "absent"]).met
    assert attendance.quorum(["represented", "present", ""]).present == 2


# ------------------------------------------------------------------ scheduling

async def test_double_booking_room_refused_then_forced_and_audited():
    start = future_weekday(30, 9)
    first = await new_meeting(start, parties=[])
    with pytest.raises(Conflict) as e:
        await new_meeting(start + dt.timedelta(minutes=30), parties=[])
    assert "调解室" in e.value.params["names"]
    before = await Meeting.count()
    forced = await new_meeting(start + dt.timedelta(minutes=30), parties=[], force=True)
    assert await Meeting.count() == before + 1
    row = await Meeting.select().where(Meeting.id == forced).first()
    assert row["forced"] is True
    entry = await AuditEntry.select().where((AuditEntry.entity_type == "meeting") & (AuditEntry.entity_id == forced)).first()
    after = entry["after"] if isinstance(entry["after"], dict) else json.loads(entry["after"])
    assert after["forced_over"][0]["who"].startswith("room:")
    # Touching is not overlapping.
    await new_meeting(start + dt.timedelta(hours=1, minutes=30), parties=[])
    assert first


async def test_double_booking_required_party_named():
    start = future_weekday(31, 14)
    wy = f"org:{await org('物业')}"
    await new_meeting(start, room_name="议事厅", parties=[{"key": wy, "required": True}])
    with pytest.raises(Conflict) as e:
        await new_meeting(start, room_name="调解室", parties=[{"key": wy, "required": True}])
    assert "悦园物业" in e.value.params["names"]
    # As an optional party the clash does not block.
    await new_meeting(start, room_name="调解室", parties=[{"key": wy, "required": False}])


async def test_only_secretary_forces_and_liaison_cannot_create():
    liaison = await principal("liaison")
    st = await station()
    with pytest.raises(Forbidden):
        await scheduling.create_meeting(liaison, station=st["id"], kind="coordination", title="x")
    with pytest.raises(Invalid) as e:
        await scheduling.create_meeting(await principal("secretary"), station=st["id"], kind="party", title="",
                                        starts_at="2026-13-01T09:00", ends_at="")
    assert {"kind", "title", "starts_at"} <= set(e.value.errors)


async def test_busy_blocks_and_ics_feed_the_slot_finder_and_conflicts():
    sec = await principal("secretary")
    st = await station()
    cg = f"org:{await org('城市管理')}"
    start = future_weekday(33, 9)
    day = start.date()
    ics_text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:区里开会\r\n"
        f"DTSTART;TZID=Asia/Shanghai:{day:%Y%m%d}T090000\r\nDTEND;TZID=Asia/Shanghai:{day:%Y%m%d}T110000\r\n"
        "END:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:培训\r\n"
        f"DTSTART:{day:%Y%m%d}T060000Z\r\nDTEND:{day:%Y%m%d}T070000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = await scheduling.import_ics(sec, st["id"], cg, ics_text.encode())
    assert result["events"] == 2
    # Re-import replaces, not duplicates.
    await scheduling.import_ics(sec, st["id"], cg, ics_text.encode())
    assert await BusyBlock.count().where((BusyBlock.who == cg) & (BusyBlock.source == "ics")) == 2
    found = await busy.collect(start, start + dt.timedelta(hours=8), [cg])
    assert [(b.start.astimezone(SH).hour, b.end.astimezone(SH).hour) for b in found] == [(9, 11), (14, 15)]
    res, names = await scheduling.suggest(sec, st["id"], [{"key": cg, "required": True}], duration_minutes=60,
                                          first_day=day, last_day=day, need_room=False)
    starts = [s.start.astimezone(SH).strftime("%H:%M") for s in res.slots]
    assert "09:00" not in starts and starts[0] == "11:00"
    with pytest.raises(Conflict) as e:
        await new_meeting(start, room_name="议事厅", parties=[{"key": cg, "required": True}])
    assert "区里开会" in e.value.params["names"]
    with pytest.raises(Invalid):
        await scheduling.import_ics(sec, st["id"], cg, b"hello")
    bid = await scheduling.add_busy_block(sec, st["id"], cg, future_weekday(34, 9), future_weekday(34, 10), "走访")
    await scheduling.delete_busy_block(sec, bid)


async def test_reschedule_cancel_need_reason():
    sec = await principal("secretary")
    mid = await new_meeting(future_weekday(35, 10), parties=[])
    m = await scheduling.move(sec, mid, "schedule")
    assert m["state"] == "scheduled"
    with pytest.raises(Conflict):
        await scheduling.move(sec, mid, "reschedule", reason="", starts_at=future_weekday(36, 10),
                              ends_at=future_weekday(36, 11))
    m = await scheduling.move(sec, mid, "reschedule", reason="城管临时有任务", starts_at=future_weekday(36, 10),
                              ends_at=future_weekday(36, 11), version=m["version"])
    assert m["reason"] == "城管临时有任务" and m["state"] == "scheduled"
    with pytest.raises(Conflict):
        await scheduling.move(sec, mid, "cancel", reason="x", version=1)  # stale version
    m = await scheduling.move(sec, mid, "cancel", reason="问题已解决", version=m["version"])
    assert m["state"] == "cancelled"


# ------------------------------------------------------------------ the whole life, minutes and PDF

async def test_agenda_attendance_minutes_approval_and_correction():
    sec = await principal("secretary")
    st = await station()
    made = await intake.register_case(sec, {"station": st["id"], "kind": "proposal", "title": "自行车门太窄",
                                            "category": "facilities", "channel": "reception_day"})
    case_id = made["id"]
    wy, jw = await org("物业"), await org("居民委员会")
    mid = await new_meeting(future_weekday(40, 15), room_name="议事厅", title="自行车门协调会", parties=[
        {"key": f"org:{wy}", "required": True, "delegates": "张经理"},
        {"key": f"org:{jw}", "required": True},
    ])
    item = await agenda.add_item(sec, mid, case=case_id, minutes=20)
    assert await CaseEvent.exists().where((CaseEvent.case == case_id) & (CaseEvent.kind == "meeting"))
    await agenda.add_item(sec, mid, title="其他事项", minutes=10)
    m = await scheduling.move(sec, mid, "schedule")
    parties = {p["organisation"]: p for p in await MeetingParty.select().where(MeetingParty.meeting == mid)}
    await attendance.take_attendance(sec, mid, [
        {"party": parties[wy]["id"], "attendance": "present"},
        {"party": parties[jw]["id"], "attendance": "represented", "represented_by": "李主任"},
    ])
    with pytest.raises(Invalid):
        await attendance.take_attendance(sec, mid, [{"party": parties[jw]["id"], "attendance": "represented"}])
    # Forty days early: not held yet, and nothing changes.
    with pytest.raises(Conflict) as e:
        await scheduling.move(sec, mid, "hold", version=m["version"])
    assert "not started" in e.value.message
    assert (await Meeting.select(Meeting.state).where(Meeting.id == mid).first())["state"] == "scheduled"
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # the day comes: it has begun
    await Meeting.update({Meeting.starts_at: now - dt.timedelta(hours=1), Meeting.ends_at: now}).where(Meeting.id == mid)
    m = await scheduling.move(sec, mid, "hold", version=m["version"])
    content = {"items": {str(item): {"discussion": "物业同意拓宽，联系人13812345678", "decisions": "大门拓宽 1 米",
                                     "actions": [{"what": "拓宽自行车门", "organisation": wy,
                                                  "due": str(dt.date.today() + dt.timedelta(days=30))}]}}}
    v1 = await minutes.save_draft(sec, mid, content, version=0)
    assert v1 == 1
    # A second editor who opened version 0 loses the race, with a conflict.
    with pytest.raises(Conflict):
        await minutes.save_draft(sec, mid, {"items": {}}, version=0)
    with pytest.raises(Invalid) as e:
        await minutes.save_draft(sec, mid, {"items": {str(item): {"actions": [{"what": "x", "due": "soon"}]}}},
                                 version=1)
    assert any(k.endswith(".due") for k in e.value.errors)
    # A row marked held ahead of its time (before this rule): its minutes wait for the meeting.
    await Meeting.update({Meeting.starts_at: now + dt.timedelta(days=1)}).where(Meeting.id == mid)
    with pytest.raises(Conflict) as e:
        await minutes.approve(sec, mid, version=1)
    assert "not been held" in e.value.message and not await MinutesVersion.exists().where(MinutesVersion.meeting == mid)
    await Meeting.update({Meeting.starts_at: now - dt.timedelta(hours=1)}).where(Meeting.id == mid)
    number = await minutes.approve(sec, mid, version=1)
    assert number == 1
    v = await MinutesVersion.select().where(MinutesVersion.meeting == mid).first()
    assert len(v["content_hash"]) == 64
    pdf_bytes, n = await minutes.stored_pdf(sec, mid)
    assert n == 1 and hashlib.sha256(pdf_bytes).hexdigest() == v["pdf_sha256"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages)
    assert "自行车门协调会" in text and "会议纪要" in text and "悦园物业" in text and "大门拓宽" in text
    assert "13812345678" not in text
    task = await Task.select().where((Task.case == case_id) & (Task.source.like(f"minutes:{mid}:%"))).first()
    assert task["what"] == "拓宽自行车门" and task["organisation"] == wy
    # Frozen: no more edits; a correction opens a new draft, approval freezes version 2.
    with pytest.raises(Conflict):
        await minutes.save_draft(sec, mid, content, version=1)
    await minutes.correct(sec, mid, reason="补充决定")
    d = await minutes.draft(mid)
    d["content"]["items"][str(item)]["decisions"] += "；年底前完成"
    v2 = await minutes.save_draft(sec, mid, d["content"], version=d["version"])
    assert await minutes.approve(sec, mid, version=v2) == 2
    versions = await minutes.versions(mid)
    assert [x["number"] for x in versions] == [1, 2] and versions[1]["reason"] == "补充决定"
    assert versions[0]["content_hash"] != versions[1]["content_hash"]
    # Still one task: the same action item is not made twice.
    assert await Task.count().where(Task.source.like(f"minutes:{mid}:%")) == 1
    # Version 1's PDF is unchanged.
    again, _ = await minutes.stored_pdf(sec, mid, 1)
    assert again == pdf_bytes


async def test_inviting_a_required_party_already_booked_is_a_clash():
    sec = await principal("secretary")
    start = future_weekday(33, 10)
    gd = f"org:{await org('供电')}"
    await new_meeting(start, room_name="议事厅", parties=[{"key": gd, "required": True}], title="供电协调会")
    mid = await new_meeting(start, room_name="调解室", parties=[])
    with pytest.raises(Conflict) as e:
        await scheduling.add_party(sec, mid, gd)
    assert "供电" in e.value.params["names"] and "供电协调会" in e.value.params["names"]
    assert not await MeetingParty.exists().where(MeetingParty.meeting == mid)
    # A secretary invites anyway: the meeting is marked, the clash is in the audit log.
    await scheduling.add_party(sec, mid, gd, force=True)
    assert (await Meeting.select(Meeting.forced).where(Meeting.id == mid).first())["forced"] is True
    entry = await AuditEntry.select().where((AuditEntry.action == "meeting.party_added")
                                            & (AuditEntry.entity_id == mid)).first()
    after = entry["after"] if isinstance(entry["after"], dict) else json.loads(entry["after"])
    assert after["forced_over"][0]["who"] == gd
    # As an optional party the clash does not block.
    other = await new_meeting(start, room_name="议事厅", parties=[], force=True)
    await scheduling.add_party(sec, other, gd, required=False)


async def test_the_chair_and_the_recorder_cannot_be_double_booked():
    sec = await principal("secretary")
    st = await station()
    start = future_weekday(34, 10)
    grid = await User.select(User.id, User.display_name).where(User.username == "gridworker").first()
    common = dict(station=st["id"], kind="hearing", starts_at=start, ends_at=start + dt.timedelta(hours=1))
    await scheduling.create_meeting(sec, title="听证会甲", room=await room("议事厅"), chair=grid["id"], **common)
    with pytest.raises(Conflict) as e:
        await scheduling.create_meeting(sec, title="听证会乙", room=await room("调解室"), recorder=grid["id"], **common)
    assert grid["display_name"] in e.value.params["names"]
    mid = await scheduling.create_meeting(sec, title="听证会乙", room=await room("调解室"), **common)
    row = await Meeting.select().where(Meeting.id == mid).first()
    with pytest.raises(Conflict):
        await scheduling.update_meeting(sec, mid, version=row["version"], chair=grid["id"])
    assert (await Meeting.select().where(Meeting.id == mid).first()) == row


async def test_minutes_document_masks_numbers_in_titles_too():
    """A case's title often carries the caller's number: it must not reach the printed minutes."""
    from council.meetings.document import snapshot_for

    sec = await principal("secretary")
    st = await station()
    made = await intake.register_case(sec, {"station": st["id"], "kind": "proposal", "category": "facilities",
                                            "title": "王先生13912345678反映车棚漏雨", "channel": "reception_day"})
    mid = await new_meeting(future_weekday(35, 9), room_name="议事厅", parties=[], title="车棚协调会（13900001111）")
    await agenda.add_item(sec, mid, case=made["id"])
    row = await Meeting.select().where(Meeting.id == mid).first()
    snap = await snapshot_for(row, {"items": {}}, number=0, draft=True)
    dumped = json.dumps(snap, ensure_ascii=False)
    assert "13912345678" not in dumped and "139****5678" in dumped
    assert "13900001111" not in dumped and snap["title"].startswith("车棚协调会")


async def test_meeting_ics_sequence_grows_when_rescheduled():
    import re

    from council.meetings import feeds

    sec = await principal("secretary")
    start = future_weekday(36, 9)
    mid = await new_meeting(start, room_name="调解室", parties=[])
    m = await scheduling.move(sec, mid, "schedule")
    before = await feeds.meeting_ics(m)
    m = await scheduling.move(sec, mid, "reschedule", version=m["version"], reason="会议室维修",
                              starts_at=start + dt.timedelta(hours=2), ends_at=start + dt.timedelta(hours=3))
    after = await feeds.meeting_ics(m)

    def seq(text: str) -> int:
        return int(re.search(r"SEQUENCE:(\d+)", text).group(1))

    assert seq(after) > seq(before) and "UID:meeting-" in after
