"""The scheduler: reminders from the state of things, once each however often it runs (catching up
after downtime), and one scheduler across processes through the lease."""

import datetime as dt

from council import db
from council.cases import requests
from council.cases.tables import Case
from council.core.localtime import LOCAL
from council.notify import lease, scheduler
from council.notify.tables import Outbox
from tests.test_cases_services import new_case, principal


async def test_overdue_and_due_soon_once_each_even_when_run_again():
    sec, liaison = await principal("secretary"), await principal("liaison")
    late, soon = await new_case(), await new_case()
    for made in (late, soon):
        await requests.move_request(sec, made["id"], "dispatch", organisation=liaison.organisation_id)
    today = dt.datetime.now(LOCAL).date()
    from council.cases.calendar_store import calendar_for

    cal = await calendar_for((await Case.select(Case.station).where(Case.id == soon["id"]).first())["station"])
    await Case.update({Case.due_date: today - dt.timedelta(days=3)}).where(Case.id == late["id"])
    await Case.update({Case.due_date: cal.add_working_days(today, 1)}).where(Case.id == soon["id"])
    for _ in range(3):  # the scheduler was down for days: every run sees the same state
        await scheduler.run_due()
    overdue = await Outbox.select().where((Outbox.case == late["id"]) & (Outbox.event == "request.overdue"))
    assert {r["recipient"] for r in overdue} >= {f"org:{liaison.organisation_id}", f"user:{sec.user_id}"}
    assert len(overdue) == len({(r["recipient"], r["channel"]) for r in overdue})  # no duplicates
    assert await Outbox.count().where((Outbox.case == soon["id"]) & (Outbox.event == "request.due_soon")) >= 1
    assert await Outbox.count().where((Outbox.case == soon["id"]) & (Outbox.event == "request.overdue")) == 0


async def test_meeting_reminders_a_day_and_an_hour_before():
    from council.meetings.tables import Meeting

    m = await Meeting.select().where(Meeting.state.is_in(["planned", "scheduled"])).first()
    now = dt.datetime.now(dt.timezone.utc)
    await Meeting.update({Meeting.state: "scheduled", Meeting.starts_at: now + dt.timedelta(hours=20),
                          Meeting.ends_at: now + dt.timedelta(hours=21)}).where(Meeting.id == m["id"])
    await scheduler.meetings(now)
    await scheduler.meetings(now)
    day = await Outbox.count().where(Outbox.event_key.like(f"meeting.remind_day:meeting:{m['id']}:%"))
    assert day >= 1
    await scheduler.meetings(now + dt.timedelta(hours=19, minutes=30))
    assert await Outbox.count().where(Outbox.event_key.like(f"meeting.remind_hour:meeting:{m['id']}:%")) >= 1
    await Meeting.update({Meeting.starts_at: m["starts_at"], Meeting.ends_at: m["ends_at"], Meeting.state: m["state"]}).where(
        Meeting.id == m["id"])


async def test_missing_holiday_calendar_from_november():
    from council.cases.tables import StationHoliday

    year = 2099
    assert not await StationHoliday.exists().where(StationHoliday.day >= dt.date(year, 1, 1))
    assert await scheduler.holidays(dt.date(year - 1, 10, 31)) == 0
    first = await scheduler.holidays(dt.date(year - 1, 11, 1))
    assert first >= 1 and await scheduler.holidays(dt.date(year - 1, 12, 1)) == 0


async def test_one_lease_holder_at_a_time():
    a, b = lease.new_holder(), lease.new_holder()
    name = f"test-{a}"
    assert await lease.acquire(name, a, 30)
    assert not await lease.acquire(name, b, 30)
    assert await lease.acquire(name, a, 30)  # renewing
    async with db.write():
        await db.raw('UPDATE "notify_lease" SET "until_ms" = 1 WHERE "name" = {}', name)  # a ran out (died)
    assert await lease.acquire(name, b, 30)
    assert not await lease.acquire(name, a, 30)


def test_quiet_hours_put_a_night_sms_off_until_morning_unless_urgent():
    from council.notify import outbox

    night = dt.datetime(2026, 12, 2, 23, 30, tzinfo=LOCAL)
    at = int(night.timestamp() * 1000)
    t = outbox.Target("org:1", "x", addresses={"sms": "13800000000"}, quiet=("21:00", "08:00"))
    status, next_ms = outbox._plan(t, "sms", False, at)
    assert status == "pending" and dt.datetime.fromtimestamp(next_ms / 1000, LOCAL) == dt.datetime(2026, 12, 3, 8, 0, tzinfo=LOCAL)
    assert outbox._plan(t, "sms", True, at) == ("pending", at)  # urgent: at once
    assert outbox._plan(t, "email", False, at) == ("pending", at)  # only SMS waits
    t.digest = True
    assert outbox._plan(t, "sms", False, at)[0] == "held"  # kept for the digest
    assert outbox._plan(t, "inapp", False, at)[0] == "sent"


async def test_daily_digest_bundles_held_messages_once():
    from council.notify import outbox

    key = f"user:{(await principal('gridworker')).user_id}"
    t = outbox.Target(key, "网格员", addresses={"email": "grid@example.org"}, digest=True)
    async with db.write():
        for i in range(3):
            await outbox.enqueue("request.report", f"test.digest:{i}", [t], {"number": f"D-{i}", "title": "t"})
    held = await Outbox.select(Outbox.id).where(Outbox.event_key.like("test.digest:%") & (Outbox.status == "held"))
    assert len(held) == 3
    morning = dt.datetime.now(LOCAL).replace(hour=9, minute=0)
    assert await scheduler.digests(morning.replace(hour=7)) == 0  # not before 08:00
    assert await scheduler.digests(morning) == 1
    assert await scheduler.digests(morning) == 0
    digest = await Outbox.select().where((Outbox.event == "digest") & (Outbox.recipient == key)).first()
    items = digest["params"]["items"] if isinstance(digest["params"], dict) else __import__("json").loads(digest["params"])["items"]
    assert sorted(i["params"]["number"] for i in items) == ["D-0", "D-1", "D-2"]
    assert await Outbox.count().where(Outbox.event_key.like("test.digest:%") & (Outbox.status == "digested")) == 3


async def test_vote_closing_reminds_only_those_who_have_not_voted():
    from council.notify.tables import Preference
    from council.people.tables import Ownership
    from council.places.tables import Unit
    from council.votes import ballots, manage
    from council.votes.tables import Vote, VoteVoter
    from tests.test_votes_services import link_of, scope

    s = await scope("3栋")
    units = [u["id"] for u in await Unit.select(Unit.id).where(Unit.building.is_in(s["buildings"]))]
    owners = list(dict.fromkeys(o["person"] for o in await Ownership.select(Ownership.person).where(Ownership.unit.is_in(units))))[:2]
    assert len(owners) == 2
    for p in owners:
        await Preference.delete().where(Preference.owner == f"person:{p}")
        await Preference.insert(Preference(owner=f"person:{p}", channels=["sms"]))
    try:
        sec = await principal("secretary")
        vote_id = await manage.create_vote(sec, {**s, "title": "屋面防水", "question": "是否同意？",
                                                 "matter": "art278_5", "rule_set": "art278_ordinary"})  # Art. 278 (5): use the fund
        await manage.open_vote(sec, vote_id)
        now = dt.datetime.now(dt.timezone.utc)
        await Vote.update({Vote.closes_at: now + dt.timedelta(hours=10)}).where(Vote.id == vote_id)
        voter = await VoteVoter.select().where((VoteVoter.vote == vote_id) & (VoteVoter.person == owners[0])).first()
        await ballots.cast_online(await link_of(vote_id, voter), "agree")
        await scheduler.votes_closing(now)
        await scheduler.votes_closing(now)
        rows = await Outbox.select().where(Outbox.event_key == f"vote.closing:vote:{vote_id}")
        told = {r["recipient"] for r in rows}
        assert f"person:{owners[1]}" in told and f"person:{owners[0]}" not in told
        assert len(rows) == len({(r["recipient"], r["channel"]) for r in rows})
    finally:
        for p in owners:
            await Preference.delete().where(Preference.owner == f"person:{p}")
