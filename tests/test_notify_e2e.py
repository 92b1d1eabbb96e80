"""End to end, for the events that had no delivery test: the service's change writes the outbox
rows in its transaction, the delivery worker sends them, and the local stand-in of each provider
receives the message with the right text — minutes approved (SMS and WeCom), a mediation
agreement taking effect (SMS to the parties, the station's WeCom group), and the judicial
confirmation window closing (7 and 2 days before)."""

import datetime as dt
import json

from council.cases.calendar_store import today
from council.meetings import minutes, scheduling
from council.mediation.judicial import deadline_for
from council.mediation.tables import DisputeFile
from council.meetings.tables import Meeting
from council.notify import scheduler, worker
from council.notify.tables import Outbox, Preference
from council.parties.tables import Organisation
from tests.test_meetings_services import future_weekday, new_meeting, principal, station
from tests.test_notify_delivery import standins  # noqa: F401  (fixture)
from tests.test_notify_reminders import _effective_agreement


async def _demo_org(name_like: str) -> int:
    st = await station()
    return (await Organisation.select(Organisation.id).where(
        Organisation.name.like(f"%{name_like}%") & (Organisation.community == st["community"])).order_by(
        Organisation.id).first())["id"]


def _sms_text(sms, row_id: int) -> list[str]:
    return [json.loads(s["TemplateParam"])["text"] for s in sms.sent if s["OutId"] == f"council-{row_id}"]


async def test_minutes_approved_reaches_the_parties_by_sms_and_wecom(standins):  # noqa: F811
    sms, robot, _ = standins
    wy, jw = await _demo_org("物业"), await _demo_org("居民委员会")
    await Organisation.update({Organisation.phone: "13500002222"}).where(Organisation.id == wy)
    pref = f"org:{jw}"
    await Preference.delete().where(Preference.owner == pref)
    await Preference.insert(Preference(owner=pref, channels=["wecom"], wecom_key="robot-key-1"))
    try:
        sec = await principal("secretary")
        mid = await new_meeting(future_weekday(44, 10), room_name="议事厅", title="加装电梯协调会", parties=[
            {"key": f"org:{wy}", "required": True}, {"key": f"org:{jw}", "required": True}])
        m = await scheduling.move(sec, mid, "schedule")
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        await Meeting.update({Meeting.starts_at: now - dt.timedelta(hours=2),
                              Meeting.ends_at: now - dt.timedelta(hours=1)}).where(Meeting.id == mid)
        await scheduling.move(sec, mid, "hold", version=m["version"])
        version = await minutes.save_draft(sec, mid, {"items": {}}, version=0)
        key = f"minutes.approved:meeting:{mid}:n1"
        assert not await Outbox.exists().where(Outbox.event_key == key)  # a draft tells nobody
        assert await minutes.approve(sec, mid, version=version) == 1
        rows = {(r["recipient"], r["channel"]): r for r in await Outbox.select().where(Outbox.event_key == key)}
        assert (f"org:{wy}", "sms") in rows and (f"org:{jw}", "wecom") in rows
        await worker.drain()
        sent = await Outbox.select(Outbox.id, Outbox.status).where(Outbox.event_key == key)
        assert sent and all(r["status"] == "sent" for r in sent)
        texts = _sms_text(sms, rows[(f"org:{wy}", "sms")]["id"])
        assert texts == ["「加装电梯协调会」会议纪要已审定（第 1 版）。"]
        got = [r for r in robot.received if "加装电梯协调会」会议纪要" in json.dumps(r, ensure_ascii=False)]
        assert len(got) == 1 and got[0]["key"] == "robot-key-1" and got[0]["msgtype"] == "markdown"
        assert got[0]["markdown"]["content"] == "「加装电梯协调会」会议纪要已审定（第 1 版）。"
    finally:
        await Preference.delete().where(Preference.owner == pref)


async def test_agreement_effective_reaches_both_parties_and_the_station_group(standins):  # noqa: F811
    sms, robot, _ = standins
    st = await station()
    pref = f"station:{st['id']}"
    await Preference.delete().where(Preference.owner == pref)
    await Preference.insert(Preference(owner=pref, channels=["wecom"], wecom_key="robot-key-1"))
    try:
        med, d, a, b, _, _ = await _effective_agreement()
        key = f"agreement.effective:file:{d['id']}:{today()}"
        rows = {(r["recipient"], r["channel"]): r for r in await Outbox.select().where(Outbox.event_key == key)}
        assert {(f"party:{a}", "sms"), (f"party:{b}", "sms"), (pref, "wecom"),
                (f"user:{med.user_id}", "inapp")} <= set(rows)
        assert all(r["case"] == d["case"] for r in rows.values())
        await worker.drain()
        expected = f"调解案卷 {d['number']} 的调解协议已于 {today()} 生效。"
        for party, phone in ((a, "13812345678"), (b, "13987654321")):
            row = rows[(f"party:{party}", "sms")]
            got = [s for s in sms.sent if s["OutId"] == f"council-{row['id']}"]
            assert len(got) == 1 and got[0]["PhoneNumbers"] == phone
            assert json.loads(got[0]["TemplateParam"])["text"] == expected
        group = [r for r in robot.received if expected in json.dumps(r, ensure_ascii=False)]
        assert len(group) == 1 and group[0]["markdown"]["content"] == expected
    finally:
        await Preference.delete().where(Preference.owner == pref)


async def test_judicial_window_reminders_seven_and_two_days_before_it_closes(standins):  # noqa: F811
    sms, _, _ = standins
    med, d, a, b, _, _ = await _effective_agreement()
    f = await DisputeFile.select().where(DisputeFile.id == d["id"]).first()
    until = await deadline_for(f["station"], today())
    prefix = f"judicial.window:file:{d['id']}:{until}:"

    async def keys():
        return {r["event_key"] for r in await Outbox.select(Outbox.event_key).where(Outbox.event_key.like(prefix + "%"))}

    await scheduler.judicial_windows(until - dt.timedelta(days=8))
    assert await keys() == set()  # eight days before: not yet
    await scheduler.judicial_windows(until - dt.timedelta(days=7))
    assert await keys() == {prefix + "7"}
    await scheduler.judicial_windows(until - dt.timedelta(days=3))  # the same reminder, not again
    assert await keys() == {prefix + "7"}
    await scheduler.judicial_windows(until - dt.timedelta(days=2))
    assert await keys() == {prefix + "7", prefix + "2"}
    rows = await Outbox.select().where(Outbox.event_key.like(prefix + "%"))
    assert len(rows) == len({(r["event_key"], r["recipient"], r["channel"]) for r in rows})
    assert {(r["recipient"], r["channel"]) for r in rows if r["event_key"].endswith(":7")} >= {
        (f"party:{a}", "sms"), (f"party:{b}", "sms"), (f"user:{med.user_id}", "inapp")}
    await worker.drain()
    for mark in (7, 2):
        row = next(r for r in rows if r["event_key"] == f"{prefix}{mark}" and r["recipient"] == f"party:{a}")
        after = await Outbox.select().where(Outbox.id == row["id"]).first()
        assert after["status"] == "sent", (after["status"], after["last_error"], after["next_ms"])
        assert _sms_text(sms, row["id"]) == [
            f"调解案卷 {d['number']}：申请司法确认还剩 {mark} 天（截至 {until}）。"]
