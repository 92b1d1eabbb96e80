"""Scheduled reminders not tied to a case's deadline: an agreement's terms falling due (the obliged
party and the mediators) and the reception duty roster (the member on duty, the day before).
Pure rules at their boundaries, then event → outbox → worker → stand-in channel."""

import datetime as dt
import json

from council.accounts.tables import User
from council.cases.calendar_store import today
from council.core.localtime import LOCAL
from council.mediation import agreements, performance
from council.notify import rules, scheduler, worker
from council.notify.tables import Outbox, Preference
from council.reception import store as reception
from council.stations.tables import Station
from tests.test_mediation_services import held_session, new_dispute, principal, ready_to_mediate
from tests.test_notify_delivery import standins  # noqa: F401  (fixture)

D = dt.date(2026, 12, 10)


# ---------------------------------------------------------------- pure rules

def test_obligation_marks_at_their_boundaries():
    assert rules.obligation_mark(D, D - dt.timedelta(days=2)) is None
    assert rules.obligation_mark(D, D - dt.timedelta(days=1)) == "tomorrow"
    assert rules.obligation_mark(D, D) == "today"
    assert rules.obligation_mark(D, D + dt.timedelta(days=1)) == "overdue"
    assert rules.obligation_mark(D, D + dt.timedelta(days=rules.OBLIGATION_OVERDUE_DAYS)) == "overdue"
    assert rules.obligation_mark(D, D + dt.timedelta(days=rules.OBLIGATION_OVERDUE_DAYS + 1)) is None
    assert rules.obligation_mark(D, D, performed=True) is None
    assert rules.obligation_mark(None, D) is None


def test_duty_reminder_from_eight_the_day_before_until_the_reception_starts():
    start = dt.time(9, 0)

    def at(day, hh, mm=0):
        return dt.datetime.combine(day, dt.time(hh, mm), LOCAL)

    prev = D - dt.timedelta(days=1)
    assert not rules.duty_reminder_due(at(prev, 7, 59), D, start)
    assert rules.duty_reminder_due(at(prev, 8), D, start)
    assert rules.duty_reminder_due(at(D, 8, 59), D, start)  # catching up on the morning itself
    assert not rules.duty_reminder_due(at(D, 9), D, start)
    assert not rules.duty_reminder_due(at(D - dt.timedelta(days=2), 12), D, start)


# ---------------------------------------------------------------- obligations due

async def _effective_agreement():
    """A water-leak agreement in effect today: 李明 (respondent, consented, phone 13987654321) must
    repair the waterproofing by day +10 and pay 3,200.50 by day +20."""
    med = await principal("mediator")
    d = await new_dispute()
    a, b = await ready_to_mediate(d)
    await held_session(med, d, "agreement")
    await agreements.save_agreement(med, d["id"], {
        "form": "written", "facts": "701 卫生间防水层破损。", "matters": "维修与赔偿。",
        "responsibilities": "李明承担维修责任。", "reached_on": today().isoformat()})
    repair = await agreements.add_obligation(med, d["id"], {"party": b, "what": "修复卫生间防水层",
                                                            "due_date": (today() + dt.timedelta(days=10)).isoformat()})
    pay = await agreements.add_obligation(med, d["id"], {"party": b, "what": "赔偿装修损失", "amount": "3200.50",
                                                         "due_date": (today() + dt.timedelta(days=20)).isoformat()})
    t = today().isoformat()
    for who in (f"party:{a}", f"party:{b}", "mediator", "seal"):
        await agreements.sign(med, d["id"], {"who": who, "signed_on": t})
    return med, d, a, b, repair, pay


async def test_obligation_due_tomorrow_today_overdue_reaches_the_obliged_party_and_the_mediator(standins):  # noqa: F811
    sms, _, _ = standins
    med, d, a, b, repair, pay = await _effective_agreement()
    due = today() + dt.timedelta(days=10)
    for day, event in ((due - dt.timedelta(days=1), "obligation.due_tomorrow"), (due, "obligation.due_today"),
                       (due + dt.timedelta(days=1), "obligation.overdue")):
        for _ in range(2):  # a scheduler run again (or catching up) adds nothing
            await scheduler.obligations(day)
        rows = await Outbox.select().where(Outbox.event_key == f"{event}:obligation:{repair}:{due}")
        assert {(r["recipient"], r["channel"]) for r in rows} == {(f"party:{b}", "sms"), (f"user:{med.user_id}", "inapp")}
        assert len(rows) == 2
        assert all(r["case"] == d["case"] for r in rows)
    # The applicant owes nothing: never told. Nothing about the payment due on day +20 yet.
    assert not await Outbox.exists().where(Outbox.event_key.like("obligation.%") & (Outbox.recipient == f"party:{a}"))
    assert not await Outbox.exists().where(Outbox.event_key.like(f"obligation.%:obligation:{pay}:%"))
    # Long overdue: no more reminders.
    before = await Outbox.count().where(Outbox.event_key.like(f"obligation.%:obligation:{repair}:%"))
    await scheduler.obligations(due + dt.timedelta(days=rules.OBLIGATION_OVERDUE_DAYS + 1))
    assert await Outbox.count().where(Outbox.event_key.like(f"obligation.%:obligation:{repair}:%")) == before

    # Delivered: the party's SMS carries the Chinese text with the term and the date.
    await worker.drain()
    row = await Outbox.select().where((Outbox.event_key == f"obligation.due_tomorrow:obligation:{repair}:{due}")
                                      & (Outbox.channel == "sms")).first()
    assert (await Outbox.select(Outbox.status).where(Outbox.id == row["id"]).first())["status"] == "sent"
    got = [s for s in sms.sent if s["OutId"] == f"council-{row['id']}"]
    assert len(got) == 1 and got[0]["PhoneNumbers"] == "13987654321"
    text = json.loads(got[0]["TemplateParam"])["text"]
    assert "修复卫生间防水层" in text and "明天" in text and due.isoformat() in text and d["number"] in text


async def test_a_performed_term_is_not_reminded_and_a_party_who_refused_is_not_texted(standins):  # noqa: F811
    med, d, a, b, repair, pay = await _effective_agreement()
    await performance.record_performance(med, d["id"], pay, {"performed_on": today().isoformat(), "amount": "3200.50",
                                                             "evidence": "转账截图"})
    pay_due = today() + dt.timedelta(days=20)
    await scheduler.obligations(pay_due)
    assert not await Outbox.exists().where(Outbox.event_key.like(f"obligation.%:obligation:{pay}:%"))
    # No consent on record any more: the mediator alone is told.
    from council.mediation.tables import DisputeParty

    await DisputeParty.update({DisputeParty.consent: "refused"}).where(DisputeParty.id == b)
    due = today() + dt.timedelta(days=10)
    await scheduler.obligations(due)
    rows = await Outbox.select().where(Outbox.event_key == f"obligation.due_today:obligation:{repair}:{due}")
    assert {r["recipient"] for r in rows} == {f"user:{med.user_id}"}


# ---------------------------------------------------------------- duty roster

async def test_duty_roster_for_tomorrow_reaches_the_member_on_duty_once(standins):  # noqa: F811
    _, _, smtp = standins
    st = await Station.select().where(Station.case_prefix == "ZXL").first()
    # A reception day at least two days ahead: the real clock's scheduler runs (other tests) do not reach it.
    occ = await reception.next_occurrence(st, today() + dt.timedelta(days=2))
    assert occ is not None
    on_duty = (await reception.duty_weeks(st["id"], occ.day, 1))[0][1]
    users = [m["user"] for m in on_duty if m["user"]]
    assert users, "the demo roster puts staff on duty"
    keys = [f"user:{u}" for u in users]
    for k in keys:
        await Preference.delete().where(Preference.owner == k)
        await Preference.insert(Preference(owner=k, channels=["inapp", "email"], email=f"duty-{k[5:]}@example.org"))
    try:
        eve = dt.datetime.combine(occ.day - dt.timedelta(days=1), dt.time(7, 59), LOCAL)
        key = f"roster.duty:station:{st['id']}:{occ.day}"
        assert await scheduler.duty_roster(eve) == 0  # not before 08:00 the day before
        assert not await Outbox.exists().where(Outbox.event_key == key)
        for _ in range(2):
            await scheduler.duty_roster(eve + dt.timedelta(hours=2))
        rows = await Outbox.select().where(Outbox.event_key == key)
        assert {(r["recipient"], r["channel"]) for r in rows} == {(k, c) for k in keys for c in ("inapp", "email")}
        assert len(rows) == 2 * len(keys)
        # Someone not on duty hears nothing.
        others = await User.select(User.id).where(User.username == "resident").first()
        assert not any(r["recipient"] == f"user:{others['id']}" for r in rows)
        await worker.drain()
        mail = next(r for r in rows if r["channel"] == "email")
        got = [m for m in smtp.messages if f"council-{mail['id']}." in m["data"]]
        assert len(got) == 1 and got[0]["to"] == [mail["address"]]
        import email

        body = email.message_from_string(got[0]["data"]).get_payload(decode=True).decode()
        assert "值班" in body and occ.day.isoformat() in body and occ.start.strftime("%H:%M") in body
    finally:
        for k in keys:
            await Preference.delete().where(Preference.owner == k)
