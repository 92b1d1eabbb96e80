"""Event → message → channel for votes, meetings and mediation sessions: the hook writes the rows
in the service's transaction, the worker delivers them to the stand-ins, and the links they carry
work."""

import datetime as dt
import json
import re

from litestar.testing import TestClient

from council.cases.tables import CaseEvent
from council.meetings import scheduling
from council.mediation import sessions
from council.notify import worker
from council.notify.tables import Outbox, Preference
from council.parties.tables import Organisation
from council.people.tables import Ownership, Person
from council.places.tables import Unit
from council.votes import ballots, manage
from tests.support import post_form
from tests.test_mediation_sessions import a_day, mediating
from tests.test_mediation_services import principal as med_principal
from tests.test_meetings_services import future_weekday, new_meeting, station
from tests.test_notify_delivery import standins  # noqa: F401  (fixture)
from tests.test_votes_services import principal, scope


async def test_vote_opened_reaches_a_consenting_owner_with_their_own_voting_link(standins):  # noqa: F811
    sms, _, _ = standins
    s = await scope("2栋")
    owner = await Ownership.select(Ownership.person).where(
        Ownership.unit.is_in([u["id"] for u in await Unit.select(Unit.id).where(Unit.building.is_in(s["buildings"]))])).first()
    await Person.update({Person.phone: "13611112222"}).where(Person.id == owner["person"])
    key = f"person:{owner['person']}"
    await Preference.delete().where(Preference.owner == key)
    await Preference.insert(Preference(owner=key, channels=["sms"], quiet_start="00:00", quiet_end="00:00"))  # consent
    try:
        sec = await principal("secretary")
        vote_id = await manage.create_vote(sec, {**s, "title": "加装电梯", "question": "是否同意？",
                                                 "matter": "art278_7", "rule_set": "art278_major"})  # Art. 278 (7): alter the building
        await manage.open_vote(sec, vote_id)
        row = await Outbox.select().where((Outbox.event_key == f"vote.opened:vote:{vote_id}") & (Outbox.recipient == key)).first()
        assert row and row["channel"] == "sms"
        others = await Outbox.count().where((Outbox.event_key == f"vote.opened:vote:{vote_id}") & (Outbox.channel == "sms"))
        assert others == 1  # owners without consent get no SMS
        await worker.drain()
        after = await Outbox.select().where(Outbox.id == row["id"]).first()
        assert after["status"] == "sent", (after["status"], after["last_error"], after["address"])
        got = next(x for x in sms.sent if x["OutId"] == f"council-{row['id']}")
        url = json.loads(got["TemplateParam"])["url"]
        token = re.search(r"/v/([\w-]+)$", url).group(1)
        v, voter, _ = await ballots.voter_for_token(token)
        assert v["id"] == vote_id and voter["person"] == owner["person"]
    finally:
        await Preference.delete().where(Preference.owner == key)


async def test_meeting_invited_moved_cancelled(standins):  # noqa: F811
    # The demo station's property company: other tests make organisations of the same name in other
    # communities, and an unordered pick may land on one of them (PostgreSQL returns rows in no set order).
    st = await station()
    property_org = (await Organisation.select(Organisation.id).where(
        Organisation.name.like("%物业%") & (Organisation.community == st["community"])).order_by(Organisation.id).first())["id"]
    await Organisation.update({Organisation.phone: "13500001111"}).where(Organisation.id == property_org)
    mid = await new_meeting(future_weekday(60, 15), room_name="调解室", title="停车协调会",
                            parties=[{"key": f"org:{property_org}", "required": True}])
    key = f"meeting.invited:meeting:{mid}:org:{property_org}"
    assert await Outbox.count().where((Outbox.event_key == key) & (Outbox.channel == "sms")) == 1
    sec = await principal("secretary")
    m = await scheduling.move(sec, mid, "schedule")
    m = await scheduling.move(sec, mid, "reschedule", reason="改期", starts_at=future_weekday(61, 15),
                              ends_at=future_weekday(61, 16), version=m["version"])
    await scheduling.move(sec, mid, "cancel", reason="问题已解决", version=m["version"])
    moved = await Outbox.select().where(Outbox.event_key.like(f"meeting.moved:meeting:{mid}:%"))
    cancelled = await Outbox.select().where(Outbox.event_key.like(f"meeting.cancelled:meeting:{mid}:%"))
    assert any(r["recipient"] == f"org:{property_org}" for r in moved)
    assert cancelled and all(r["urgent"] for r in cancelled)
    await worker.drain()
    assert all(r["status"] == "sent" for r in await Outbox.select(Outbox.status).where(
        Outbox.event_key.like(f"meeting.%:meeting:{mid}:%")))


async def test_session_scheduled_party_confirms_through_the_link(standins, app, as_user):  # noqa: F811
    sms, _, _ = standins
    med = await med_principal("mediator")
    d = await mediating()
    day = a_day()
    sid = await sessions.schedule_session(med, d["id"], {"date": day.isoformat(), "start": "18:00", "end": "19:00",
                                                         "place": "驿站二楼"})
    rows = await Outbox.select().where(Outbox.event_key.like(f"session.scheduled:session:{sid}:%"))
    parties = [r for r in rows if r["recipient"].startswith("party:")]
    assert len(parties) == 2 and all(r["channel"] == "sms" for r in parties)
    assert any(r["recipient"].startswith("user:") and r["channel"] == "inapp" for r in rows)  # the mediator
    await worker.drain()
    got = next(x for x in sms.sent if x["OutId"] == f"council-{parties[0]['id']}")
    url = json.loads(got["TemplateParam"])["url"]
    assert "/n/" in url and "请确认时间" in json.loads(got["TemplateParam"])["text"]
    path = url.split("127.0.0.1:8000", 1)[1]
    with TestClient(app=app) as anon:
        page = anon.get(path)
        assert page.status_code == 200 and d["number"] in page.text and "13812345678" not in page.text
        assert post_form(anon, f"{path}/confirm", {}).status_code == 303
        assert post_form(anon, f"{path}/confirm", {}).status_code == 409  # single purpose, used once
    assert await CaseEvent.exists().where((CaseEvent.case == d["case"]) & (CaseEvent.kind == "session_confirmed"))
    file_page = as_user("mediator").get(f"/mediation/{d['id']}").text
    assert "当事人已确认调解时间" in file_page and "已短信通知" in file_page
    await sessions.move_session(med, d["id"], sid, {"date": (day + dt.timedelta(days=1)).isoformat(), "start": "18:00",
                                                     "end": "19:00", "place": "驿站二楼", "reason": "当事人出差"})
    assert await Outbox.count().where(Outbox.event_key.like(f"session.moved:session:{sid}:%")) >= 3
