"""Demo reception data: this week's roster (three staff and a volunteering party member) and
today's reception day with one visit of each outcome and one still waiting. Everything goes
through the use cases as the system, so audit entries and case timelines are real."""

from __future__ import annotations

import datetime as dt

from council.accounts.principal import SYSTEM


async def load(station_id: int) -> None:
    from council.accounts.tables import User
    from council.parties.tables import Organisation
    from council.people.tables import Person
    from council.reception import desk, grid, roster, rota
    from council.reception.store import station_row

    station = await station_row(station_id)
    users = {u["username"]: u["id"] for u in await User.select(User.id, User.username)}
    for name in ("secretary", "gridworker", "mediator"):
        await rota.add_member(SYSTEM, station_id, {"user": users[name]})
    await rota.add_member(SYSTEM, station_id, {"name": "周德明（党员志愿者）"})
    from council.cases.calendar_store import today

    await rota.save_settings(SYSTEM, station_id, {"roster_anchor": roster.monday(today()), "per_week": 2})

    people = await Person.select(Person.id).where(Person.community == station["community"]).order_by(Person.id).limit(6)
    property_co = await Organisation.select(Organisation.id).where(Organisation.kind == "property_manager").first()
    base = {"station": station_id}
    await desk.log_visit(SYSTEM, {**base, "person": people[1]["id"], "topic": "咨询老旧小区加装电梯补贴政策",
                                  "category": "facilities", "outcome": "answered",
                                  "answer": "已告知补贴标准及申请材料，可到社区领取申请表。"})
    req = await desk.log_visit(SYSTEM, {**base, "person": people[2]["id"], "topic": "5栋楼道灯坏了一周",
                                        "category": "property", "detail": "5栋2单元1-6楼楼道灯不亮，老人晚上上下楼不便。",
                                        "outcome": "case", "case_kind": "request", "contact_consent": "1",
                                        "organisation": property_co["id"] if property_co else None})
    await desk.log_visit(SYSTEM, {**base, "person": people[3]["id"], "topic": "楼上漏水，与邻居协商未果",
                                  "category": "neighbours", "outcome": "case", "case_kind": "dispute",
                                  "contact_consent": "1", "mediator": users["mediator"],
                                  "handover_note": "双方同意下周二到调解室面谈"})
    await desk.log_visit(SYSTEM, {**base, "person": people[2]["id"], "topic": "询问楼道灯维修进度",
                                  "category": "property", "outcome": "news", "case": req["case"],
                                  "answer": "物业已接单，承诺本周内修复。"})
    await desk.log_visit(SYSTEM, {**base, "new_name": "孙秋菊", "topic": "电动车在楼道充电存在隐患", "category": "safety"})
    await grid.import_paste(SYSTEM, station_id, "李建国 09:12\n华佳梅苑8栋门口的垃圾桶满了没人清\n"
                                                "\"王秀英\"邀请\"孙秋菊\"加入了群聊\n张桂兰 09:20\n小区东门路灯不亮，晚上很黑")


__all__ = ["load", "dt"]
