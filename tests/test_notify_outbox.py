"""The outbox: messages written in the transaction of the change that causes them, deduplicated by
(event key, recipient, channel), for each hooked event."""

import pytest

from council import db
from council.cases import requests
from council.core.errors import Conflict
from council.notify import outbox, recipients
from council.notify.tables import Outbox
from council.parties.tables import Organisation
from tests.test_cases_services import new_case, principal


async def rows_for(case_id: int, event: str | None = None) -> list[dict]:
    q = Outbox.select().where(Outbox.case == case_id)
    if event:
        q = q.where(Outbox.event == event)
    return await q.order_by(Outbox.id)


async def test_dispatch_writes_messages_for_the_organisation_and_its_liaison():
    made = await new_case()
    sec, liaison = await principal("secretary"), await principal("liaison")
    org = liaison.organisation_id
    await Organisation.update({Organisation.phone: "13800138000"}).where(Organisation.id == org)
    await requests.move_request(sec, made["id"], "dispatch", organisation=org)
    rows = await rows_for(made["id"], "request.dispatch")
    by = {(r["recipient"], r["channel"]) for r in rows}
    assert (f"org:{org}", "sms") in by
    assert (f"user:{liaison.user_id}", "inapp") in by
    sms = next(r for r in rows if r["channel"] == "sms")
    assert sms["address"] == "13800138000" and sms["status"] in ("pending",) and "link" in (sms["params"] if isinstance(sms["params"], dict) else __import__("json").loads(sms["params"]))
    inapp = next(r for r in rows if r["channel"] == "inapp")
    assert inapp["status"] == "sent"  # the in-app row is the message in the inbox


async def test_a_refused_change_writes_no_message():
    made = await new_case()
    sec = await principal("secretary")
    before = await Outbox.count()
    with pytest.raises(Conflict):
        await requests.chase(sec, made["id"], "快点")  # not dispatched: refused
    assert await Outbox.count() == before


async def test_the_dedup_key_sends_one_occurrence_once():
    sec = await principal("secretary")
    targets = await recipients.users([sec.user_id])
    async with db.write():
        first = await outbox.enqueue("request.report", "test.dedup:1", targets, {"number": "X"})
    async with db.write():
        again = await outbox.enqueue("request.report", "test.dedup:1", targets, {"number": "X"})
    assert first == 1 and again == 0
    assert await Outbox.count().where(Outbox.event_key == "test.dedup:1") == 1


async def test_loop_events_reach_secretaries_org_and_consenting_reporter():
    from council.people.tables import Person

    person = await Person.select(Person.id).where(Person.phone != "").first()
    made = await new_case(reporter=person["id"], contact_consent=True)
    sec, liaison = await principal("secretary"), await principal("liaison")
    org = liaison.organisation_id
    await requests.move_request(sec, made["id"], "dispatch", organisation=org)
    await requests.chase(sec, made["id"], "请尽快处理")
    await requests.escalate(sec, made["id"], "超期未办")
    await requests.move_request(liaison, made["id"], "accept")
    await requests.move_request(liaison, made["id"], "report", report="已修好")
    await requests.move_request(sec, made["id"], "close")
    events = {r["event"] for r in await rows_for(made["id"])}
    assert {"request.dispatch", "request.chase", "request.escalate", "request.report", "request.close"} <= events
    close = [r for r in await rows_for(made["id"], "request.close")]
    assert any(r["recipient"] == f"person:{person['id']}" and r["channel"] == "sms" for r in close)
    report = await rows_for(made["id"], "request.report")
    assert any(r["recipient"] == f"user:{sec.user_id}" for r in report)


async def test_a_resident_gets_sms_only_with_consent():
    from council.notify.tables import Preference
    from council.people.tables import Person

    person = await Person.select(Person.id).where(Person.phone != "").first()
    key = f"person:{person['id']}"
    await Preference.delete().where(Preference.owner == key)
    assert not [t for t in await recipients.residents([person["id"]]) if t.key == key]
    assert [t for t in await recipients.residents([person["id"]], consented=[person["id"]]) if t.key == key][0].addresses["sms"]
    await Preference.insert(Preference(owner=key, channels=["sms"]))  # consent recorded by staff
    assert "sms" in [t for t in await recipients.residents([person["id"]]) if t.key == key][0].addresses
    await Preference.delete().where(Preference.owner == key)
