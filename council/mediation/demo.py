"""Demo disputes at the demo station: a water leak between floors settled by an effective
agreement with a term still to be performed, a parking dispute in mediation with a session booked,
and a pet-noise dispute waiting for the parties' consent.

Everything goes through the use cases (as the system), audit entries included."""

from __future__ import annotations

import datetime as dt

from council.accounts.principal import SYSTEM


async def load(station_id: int) -> None:
    from council.accounts.tables import User
    from council.cases.calendar_store import LOCAL, today
    from council.mediation import agreements, files, sessions
    from council.stations.tables import Room

    mediator = (await User.select(User.id).where(User.username == "mediator").first())["id"]
    rooms = await Room.select(Room.id, Room.name).where(Room.station == station_id).order_by(Room.id)
    room = next((r for r in rooms if r["name"] == "调解室"), rooms[0] if rooms else None)
    t = today()
    d = t.isoformat()

    async def book(fid: int, day: dt.date, start: str, end: str, place: str) -> int:
        """In the first room if it is free then, else where the parties are (another package's
        demo may have booked the room)."""
        from council.core.errors import Invalid

        if room:
            try:
                return await sessions.schedule_session(SYSTEM, fid, {"date": day.isoformat(), "start": start, "end": end,
                                                                     "room": room["id"]})
            except Invalid:
                pass
        return await sessions.schedule_session(SYSTEM, fid, {"date": day.isoformat(), "start": start, "end": end,
                                                             "place": place})

    async def dispute(title: str, description: str, category: str, parties: list[dict]) -> tuple[int, list[int]]:
        f = await files.register_dispute(SYSTEM, {"station": station_id, "title": title, "description": description,
                                                  "category": category, "source": "applied"})
        ids = [await files.add_party(SYSTEM, f["id"], p) for p in parties]
        await files.assign_mediator(SYSTEM, f["id"], {"user": mediator, "lead": True})
        return f["id"], ids

    async def to_mediation(fid: int, ids: list[int]) -> None:
        await files.move(SYSTEM, fid, {"move": "seek_consent"})
        for p in ids:
            await files.record_consent(SYSTEM, fid, p, {"consent": "given", "consent_on": d})
            await files.record_notice(SYSTEM, fid, p, {"notice_given_on": d, "notice_ack_on": d})
        await files.move(SYSTEM, fid, {"move": "start"})

    # 1. 楼上漏水: settled, agreement in effect, the compensation still to be paid.
    fid, (a, b) = await dispute(
        "中南悦园 3 栋 701 卫生间漏水至 601", "601 业主反映天花板长期渗水、墙面发霉，与 701 业主多次协商未果。", "neighbours",
        [{"role": "applicant", "name": "王建国", "gender": "男", "phone": "13851700601", "id_number": "320111196805120611",
          "address": "中南悦园 3 栋 601"},
         {"role": "respondent", "name": "李明", "gender": "男", "phone": "13951700701", "id_number": "320111198203150731",
          "address": "中南悦园 3 栋 701"}])
    await to_mediation(fid, [a, b])
    # The session that reached the agreement has begun by now (a record is written only once a
    # session has started): this morning, or yesterday morning when the demo loads before nine.
    now = dt.datetime.now(LOCAL)
    held_on = t if now.time() >= dt.time(10) else t - dt.timedelta(days=1)
    sid = await book(fid, held_on, "09:00", "10:00", "中南悦园 3 栋 601 现场")
    await sessions.record_session(SYSTEM, fid, sid, {
        "attendees": "王建国\n李明\n悦园物业 维修主管", "result": "agreement",
        "record": "物业上门检测：701 卫生间防水层老化破损。李明同意负责维修并赔偿 601 天花板修复费用。"})
    await agreements.save_agreement(SYSTEM, fid, {
        "form": "written", "reached_on": d,
        "facts": "701 卫生间防水层老化破损，渗水至 601 天花板及墙面，经物业检测确认。",
        "matters": "漏水维修责任及 601 损失赔偿。",
        "responsibilities": "701 业主李明对防水层维护不当负责；601 业主王建国配合入户施工。"})
    await agreements.add_obligation(SYSTEM, fid, {"party": b, "what": "重做卫生间防水层并闭水试验 48 小时",
                                                  "due_date": (t + dt.timedelta(days=14)).isoformat(), "manner": "委托专业防水公司施工"})
    await agreements.add_obligation(SYSTEM, fid, {"party": b, "what": "赔偿 601 天花板及墙面修复费用", "amount": "3200.00",
                                                  "due_date": (t + dt.timedelta(days=21)).isoformat(), "manner": "微信转账"})
    for who in (f"party:{a}", f"party:{b}", "seal"):
        await agreements.sign(SYSTEM, fid, {"who": who, "signed_on": d})
    # The mediator signed the paper; the system enters it on their behalf, and says so.
    await agreements.sign(SYSTEM, fid, {"who": "mediator", "mediator": mediator, "on_behalf": True, "signed_on": d})
    await files.move(SYSTEM, fid, {"move": "settle"})

    # 2. 车位: in mediation, a session booked for next week.
    fid, ids = await dispute(
        "华佳梅苑地下车位长期被占用", "业主购买的 B2-036 车位多次被他人车辆停占，物业处理不力。", "property_service",
        [{"role": "applicant", "name": "张秀英", "gender": "女", "phone": "13770250036", "address": "华佳梅苑 5 栋 1203"},
         {"role": "respondent", "name": "梅苑物业服务中心", "kind": "organisation", "phone": "025-58001234"}])
    await to_mediation(fid, ids)
    await book(fid, t + dt.timedelta(days=7), "14:30", "15:30", "华佳梅苑物业服务中心")

    # 3. 宠物噪音: registered, the parties still to be asked.
    await dispute(
        "楼下宠物狗夜间吠叫扰民", "中南悦园 8 栋住户反映楼下犬只夜间持续吠叫，影响老人休息。", "neighbours",
        [{"role": "applicant", "name": "赵敏", "gender": "女", "phone": "13605140802", "address": "中南悦园 8 栋 802"},
         {"role": "respondent", "name": "孙丽", "gender": "女", "phone": "13605140702", "address": "中南悦园 8 栋 702"}])
