"""Mediation sessions are booked as meetings (kind mediation session): scheduling creates the
meeting, moving the session moves it, cancelling cancels it, and double-booking goes through the
meetings' rules — a clash is refused with the conflict named, and a session never clashes with
its own meeting (the busy registry counts it once)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from council.audit.tables import AuditEntry
from council.cases.calendar_store import LOCAL, today
from council.core.errors import Conflict, Invalid
from council.meetings import busy, scheduling
from council.meetings.tables import Meeting, MeetingParty
from council.mediation import sessions
from council.mediation.tables import MediationSession
from council.stations.tables import Room
from tests.support import post_form
from tests.test_mediation_services import new_dispute, principal, ready_to_mediate, station_id


def a_day() -> dt.date:
    # Far ahead and spread out, so other tests' bookings of the same rooms are not in the way; the
    # times below are afternoons, clear of the reception day that holds a room in the morning.
    return today() + dt.timedelta(days=random.randint(200, 2000))


async def a_room() -> int:
    return (await Room.select(Room.id).where(Room.station == await station_id()).first())["id"]


async def mediating() -> dict:
    d = await new_dispute(title="楼上漏水，天花板渗水")
    await ready_to_mediate(d)
    return d


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), LOCAL)


async def test_scheduling_a_session_books_a_meeting():
    med = await principal("mediator")
    d = await mediating()
    room, day = await a_room(), a_day()
    sid = await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "18:00", "end": "19:30",
                                                         "room": room})
    s = await MediationSession.select().where(MediationSession.id == sid).output(load_json=True).first()
    m = await Meeting.select().where(Meeting.id == s["meeting"]).first()
    assert m["kind"] == "mediation_session" and m["state"] == "scheduled" and m["room"] == room
    assert m["starts_at"] == local(day, 18) and m["ends_at"] == local(day, 19, 30)
    # The title names the file and the round, never a party or a phone.
    assert m["title"] == f"调解{d['number']} 第1次"
    assert "王建国" not in m["title"] and "李明" not in m["title"] and "138" not in m["title"]
    parties = await MeetingParty.select().where(MeetingParty.meeting == m["id"])
    assert [p["party_key"] for p in parties] == [f"user:{u}" for u in s["mediators"]]
    assert m["chair"] == s["mediators"][0]
    assert await AuditEntry.exists().where((AuditEntry.action == "meeting.created") & (AuditEntry.entity_id == m["id"]))
    # Busy once, not twice: the meeting holds the room; the session is no separate block.
    held = await busy.collect(local(day, 18), local(day, 19), [f"room:{room}"])
    assert [b.ref for b in held] == [f"meeting:{m['id']}"]
    # A second session is the second round.
    sid2 = await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "20:00", "end": "21:00",
                                                          "place": "3 栋 601 现场"})
    s2 = await MediationSession.select().where(MediationSession.id == sid2).first()
    m2 = await Meeting.select().where(Meeting.id == s2["meeting"]).first()
    assert m2["title"].endswith("第2次") and m2["room"] is None and "601" not in m2["title"]


async def test_moving_the_session_moves_its_meeting_and_cancelling_cancels_it():
    med = await principal("mediator")
    d = await mediating()
    room, day = await a_room(), a_day()
    sid = await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "13:00", "end": "14:00",
                                                         "room": room})
    s = await MediationSession.select().where(MediationSession.id == sid).first()
    # Half an hour later, overlapping its own old time: not a clash with itself.
    await sessions.move_session(med, d["id"], sid, {"date": day.isoformat(), "start": "13:30", "end": "14:30",
                                                    "reason": "申请人上午需先送孩子上学", "version": s["version"]})
    m = await Meeting.select().where(Meeting.id == s["meeting"]).first()
    assert (m["starts_at"], m["ends_at"], m["room"], m["state"]) == (local(day, 13, 30), local(day, 14, 30), room, "scheduled")
    assert "申请人" not in m["reason"]  # the meetings pages get a neutral reason; the file keeps the real one
    moved = await MediationSession.select().where(MediationSession.id == sid).first()
    assert moved["starts_at"] == local(day, 13, 30) and moved["room"] == room and moved["version"] == s["version"] + 1
    assert await AuditEntry.exists().where((AuditEntry.action == "meeting.reschedule") & (AuditEntry.entity_id == m["id"]))
    # A recorded reason is required; a stale version is refused.
    with pytest.raises(Invalid) as e:
        await sessions.move_session(med, d["id"], sid, {"date": day.isoformat(), "start": "15:00", "end": "16:00"})
    assert "reason" in e.value.errors
    with pytest.raises(Conflict):
        await sessions.move_session(med, d["id"], sid, {"date": day.isoformat(), "start": "15:00", "end": "16:00",
                                                        "reason": "x", "version": s["version"]})
    # Cancelled: the meeting too, and the room is free again for another file.
    await sessions.cancel_session(med, d["id"], sid, {"reason": "被申请人住院"})
    assert (await Meeting.select(Meeting.state).where(Meeting.id == m["id"]).first())["state"] == "cancelled"
    assert (await MediationSession.select().where(MediationSession.id == sid).first())["cancelled_at"] is not None
    other = await mediating()
    await sessions.schedule_session(med, other["id"], {"date": day.isoformat(), "start": "13:30", "end": "14:30",
                                                       "room": room})
    with pytest.raises(Conflict):  # a cancelled session is neither moved nor recorded
        await sessions.record_session(med, d["id"], sid, {"attendees": "x", "record": "x", "result": "continue"})


async def test_a_room_clash_with_another_meeting_is_refused_and_named():
    med, sec = await principal("mediator"), await principal("secretary")
    d = await mediating()
    room, day = await a_room(), a_day()
    room_name = (await Room.select(Room.name).where(Room.id == room).first())["name"]
    await scheduling.create_meeting(sec, station=await station_id(), kind="coordination", title="物业费调整协调会",
                                    room=room, starts_at=local(day, 18), ends_at=local(day, 20))
    before = (await MediationSession.count(), await Meeting.count())
    with pytest.raises(Invalid) as e:
        await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "19:00", "end": "20:30",
                                                       "room": room})
    assert "room" in e.value.errors
    assert room_name in e.value.params["names"] and "物业费调整协调会" in e.value.params["names"]
    assert (await MediationSession.count(), await Meeting.count()) == before
    # Moving a session onto that meeting is refused the same way, and changes nothing.
    sid = await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "14:00", "end": "15:00",
                                                         "room": room})
    with pytest.raises(Invalid) as e:
        await sessions.move_session(med, d["id"], sid, {"date": day.isoformat(), "start": "19:00", "end": "20:00",
                                                        "reason": "改到下午"})
    assert "物业费调整协调会" in e.value.params["names"]
    s = await MediationSession.select().where(MediationSession.id == sid).first()
    assert s["starts_at"] == local(day, 14)
    assert (await Meeting.select(Meeting.starts_at).where(Meeting.id == s["meeting"]).first())["starts_at"] == local(day, 14)


async def test_session_page_links_its_meeting_and_names_a_clash(as_user):
    med = as_user("mediator")
    sec = await principal("secretary")
    d = await mediating()
    room, day = await a_room(), a_day()
    url = f"/mediation/{d['id']}"
    r = post_form(med, url + "/do/session", {"date": day.isoformat(), "start": "13:00", "end": "14:00", "room": str(room)})
    assert r.status_code == 303, r.text
    s = await MediationSession.select().where(MediationSession.dispute == d["id"]).first()
    page = med.get(url)
    assert f'href="/meetings/{s["meeting"]}"' in page.text
    await scheduling.create_meeting(sec, station=await station_id(), kind="hearing", title="加装电梯听证会",
                                    room=room, starts_at=local(day, 18), ends_at=local(day, 20))
    r = post_form(med, url + "/do/session_move", {"session": str(s["id"]), "version": str(s["version"]),
                                                  "date": day.isoformat(), "start": "19:00", "end": "20:00",
                                                  "room": str(room), "reason": "改到下午"})
    assert r.status_code == 422 and "时间冲突" in r.text and "加装电梯听证会" in r.text
    r = post_form(med, url + "/do/session_cancel", {"session": str(s["id"]), "version": str(s["version"]), "reason": ""})
    assert r.status_code == 422 and "field-error" in r.text
    r = post_form(med, url + "/do/session_cancel", {"session": str(s["id"]), "version": str(s["version"]),
                                                    "reason": "双方已自行和解"})
    assert r.status_code == 303
    assert "session-cancelled" in med.get(url).text


async def test_a_sessions_meeting_is_moved_only_through_its_session(as_user):
    """On the meetings pages a session's meeting offers no reschedule or cancel, says where to do
    it, and a forged move is refused (409) with nothing changed — the session and its meeting
    cannot drift apart."""
    med = await principal("mediator")
    d = await mediating()
    room, day = await a_room(), a_day()
    sid = await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "16:00", "end": "17:00",
                                                         "room": room})
    s = await MediationSession.select().where(MediationSession.id == sid).first()
    before = await Meeting.select().where(Meeting.id == s["meeting"]).first()
    secretary = as_user("secretary")
    page = secretary.get(f"/meetings/{s['meeting']}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert 'id="meeting-owner"' in page.text and "请在调解卷宗中改期或取消" in page.text
    assert f'href="/mediation/{d["id"]}"' in page.text
    assert 'id="move-reschedule"' not in page.text and 'id="move-cancel"' not in page.text
    r = post_form(secretary, f"/meetings/{s['meeting']}/do/move", {
        "move": "cancel", "version": str(before["version"]), "reason": "改期"})
    assert r.status_code == 409 and "调解卷宗" in r.text
    sec = await principal("secretary")
    with pytest.raises(Conflict):
        await scheduling.move(sec, s["meeting"], "reschedule", version=before["version"], reason="x",
                              starts_at=local(day, 9).isoformat(), ends_at=local(day, 10).isoformat())
    with pytest.raises(Conflict):
        await scheduling.update_meeting(sec, s["meeting"], version=before["version"], room=None)
    after = await Meeting.select().where(Meeting.id == s["meeting"]).first()
    assert after == before
    # A title edit is still the meetings page's business.
    await scheduling.update_meeting(sec, s["meeting"], version=before["version"], title=before["title"] + "（补）")
