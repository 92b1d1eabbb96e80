"""Demo meetings: a held 楼道堆物 coordination meeting with approved minutes (and its stored PDF),
the five-party bicycle-gate coordination meeting and an elevator hearing scheduled in the coming
days, a deliberation still being planned, and a few busy times entered by hand.

Everything goes through the use cases (as the system), so audit entries and case timelines are
what the app itself would have written. Times are relative to today, on working days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from council.accounts.principal import SYSTEM

SH = ZoneInfo("Asia/Shanghai")


def _weekday(offset: int, hh: int, mm: int = 0) -> dt.datetime:
    """A working day `offset` days from today (moved forward, or back for negative offsets)."""
    d = dt.datetime.now(SH).date() + dt.timedelta(days=offset)
    step = 1 if offset >= 0 else -1
    while d.weekday() >= 5:
        d += dt.timedelta(days=step)
    return dt.datetime.combine(d, dt.time(hh, mm), tzinfo=SH)


async def load(station_id: int) -> None:
    from council.accounts.tables import User
    from council.cases import intake
    from council.cases.tables import Case
    from council.meetings import agenda, attendance, minutes, scheduling
    from council.meetings.tables import Meeting, MeetingParty
    from council.parties.tables import Organisation
    from council.stations.tables import Room

    orgs = {o["name"]: o["id"] for o in await Organisation.select(Organisation.id, Organisation.name)}

    def org(part: str) -> str:
        return f"org:{next(i for n, i in orgs.items() if part in n)}"

    users = {u["username"]: u["id"] for u in await User.select(User.id, User.username)}
    rooms = {r["name"]: r["id"] for r in await Room.select(Room.id, Room.name).where(Room.station == station_id)}
    hall, small = rooms.get("议事厅"), rooms.get("调解室")

    async def version(mid: int) -> int:
        return (await Meeting.select(Meeting.version).where(Meeting.id == mid).first())["version"]

    # -- held, minutes approved -------------------------------------------------------------
    clutter = await intake.register_case(SYSTEM, {
        "station": station_id, "kind": "proposal", "title": "华佳梅苑 5 栋楼道堆放杂物，存在消防隐患",
        "description": "楼道内堆放纸箱、旧家具，堵塞消防通道。", "category": "safety", "channel": "patrol",
    })
    held = await scheduling.create_meeting(
        SYSTEM, station=station_id, kind="coordination", title="楼道堆物清理协调会", room=hall,
        starts_at=_weekday(-6, 14, 30), ends_at=_weekday(-6, 15, 30), chair=users.get("secretary"),
        recorder=users.get("gridworker"), force=True,
        parties=[{"key": org("居民委员会"), "required": True, "delegates": "刘主任"},
                 {"key": org("物业"), "required": True, "delegates": "张经理"},
                 {"key": org("党支部"), "required": False}])
    item = await agenda.add_item(SYSTEM, held, case=clutter["id"], minutes=30)
    await scheduling.move(SYSTEM, held, "schedule", version=await version(held), force=True)
    parties = {p["party_key"]: p["id"] for p in await MeetingParty.select().where(MeetingParty.meeting == held)}
    await attendance.take_attendance(SYSTEM, held, [
        {"party": parties[org("居民委员会")], "attendance": "present"},
        {"party": parties[org("物业")], "attendance": "present"},
        {"party": parties[org("党支部")], "attendance": "absent"},
    ])
    await scheduling.move(SYSTEM, held, "hold", version=await version(held))
    await minutes.save_draft(SYSTEM, held, {"items": {str(item): {
        "discussion": "网格员通报了 5 栋楼道堆物情况；物业表示可提供清运车辆；居委会提出先张贴告知、限期自行清理。",
        "decisions": "一、张贴清理告知，限期 7 日内自行清理；二、逾期未清理的由物业统一清运；三、网格员每周巡查。",
        "actions": [
            {"what": "在 5 栋各单元张贴清理告知", "organisation": int(org("居民委员会")[4:]),
             "due": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
            {"what": "统一清运逾期未清理的杂物", "organisation": int(org("物业")[4:]),
             "due": (dt.date.today() + dt.timedelta(days=10)).isoformat()},
        ]}}, "notes": ""}, version=0)
    await minutes.approve(SYSTEM, held, version=1)
    # The approval rendered its PDF in the worker pool: stop it, or `council demo` leaves it behind.
    import asyncio

    from council import pdf

    await asyncio.to_thread(pdf.shutdown, True)

    # -- the five parties on the bicycle gate, scheduled ------------------------------------
    gate = await Case.select(Case.id).where(Case.title.like("%自行车%")).order_by(Case.id).first()
    five = await scheduling.create_meeting(
        SYSTEM, station=station_id, kind="coordination", title="自行车通道门改造五方协调会", room=hall,
        starts_at=_weekday(3, 14, 30), ends_at=_weekday(3, 15, 30), chair=users.get("secretary"),
        recorder=users.get("gridworker"), force=True,
        parties=[{"key": org("物业"), "required": True, "delegates": "张经理"},
                 {"key": org("居民委员会"), "required": True},
                 {"key": org("业主委员会"), "required": False},
                 {"key": org("城市管理"), "required": True},
                 {"key": org("住房和城乡建设"), "required": True}])
    if gate:
        await agenda.add_item(SYSTEM, five, case=gate["id"], minutes=40)
    await agenda.add_item(SYSTEM, five, title="非机动车停放秩序", minutes=20)
    await scheduling.move(SYSTEM, five, "schedule", version=await version(five), force=True)

    hearing = await scheduling.create_meeting(
        SYSTEM, station=station_id, kind="hearing", title="3 栋加装电梯听证会", room=hall,
        starts_at=_weekday(8, 9, 30), ends_at=_weekday(8, 11, 0), chair=users.get("secretary"), force=True,
        parties=[{"key": org("居民委员会"), "required": True}, {"key": org("业主委员会"), "required": False},
                 {"key": org("住房和城乡建设"), "required": True}, {"key": org("物业"), "required": False}])
    await scheduling.move(SYSTEM, hearing, "schedule", version=await version(hearing), force=True)

    await scheduling.create_meeting(
        SYSTEM, station=station_id, kind="deliberation", title="中南悦园停车秩序议事会",
        parties=[{"key": org("业主委员会"), "required": True}, {"key": org("物业"), "required": True}])

    # -- busy times entered by hand ---------------------------------------------------------
    for days in (1, 8, 15):
        await scheduling.add_busy_block(SYSTEM, station_id, org("城市管理"), _weekday(days, 9, 0),
                                        _weekday(days, 11, 0), "中队周例会")
    if small:
        await scheduling.add_busy_block(SYSTEM, station_id, f"room:{small}", _weekday(2, 8, 30),
                                        _weekday(2, 12, 0), "调解室借用")
