"""No bare "系统" (system) as who did something: every entry of the audit log and of a case's
timeline names a person, the command line, the message delivery, a link's holder (an
organisation's contact through an SMS link, an owner through a voting link) — for the demo data
and for a whole request loop run through a department's SMS link."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from council import db
from council.audit.tables import AuditEntry
from council.cases import intake, requests
from council.cases.tables import Case, CaseEvent
from council.notify import linkuse, links
from council.parties.tables import Organisation
from council.stations.tables import Station
from tests.support import login

ZH = {"Accept-Language": "zh-CN"}
BARE = {"", "系统", "system", "System", "系统用户"}
OLD_ROW = "test.unnamed_actor"


async def _principal(username: str):
    from council.accounts.services import principal_for_user
    from council.accounts.tables import User

    return await principal_for_user(await User.select().where(User.username == username).first(), via="session")


async def _assert_every_stored_actor_is_named() -> None:
    for table in (AuditEntry, CaseEvent):
        where = table.actor_label.is_in(sorted(BARE))
        if table is AuditEntry:
            where &= AuditEntry.action != OLD_ROW  # the stand-in for an old row, written below
        bare = await table.select(table.id, table.actor_label).where(where)
        assert not bare, f"{table._meta.tablename}: {bare[:5]}"


async def test_the_demo_names_every_actor(app):
    await _assert_every_stored_actor_is_named()
    admin = login(TestClient(app=app), "admin")
    html = admin.get("/audit?per_page=200", headers=ZH).text
    who = re.findall(r'<td data-label="操作人">([^<]*)</td>', html)
    assert who, "the audit log lists entries"
    assert not BARE & {w.strip() for w in who}


async def test_a_request_loop_through_an_sms_link_names_every_actor(app, settings):
    sec = await _principal("secretary")
    station = (await Station.select(Station.id).where(Station.case_prefix == "ZXL").first())["id"]
    org = (await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.kind == "property_manager").order_by(Organisation.id).first())
    made = await intake.register_case(sec, {"station": station, "kind": "request", "title": "8 栋楼道灯不亮",
                                            "category": "facilities", "channel": "reception_day"})
    cid = made["id"]
    await requests.move_request(sec, cid, "dispatch", organisation=org["id"])
    async with db.write():
        link_id = await links.issue("case_handle", cid, f"org:{org['id']}")
    token = await links.token_of(link_id)
    await linkuse.open_case(token, ip="203.0.113.9")
    await linkuse.accept_case(token, ip="203.0.113.9")
    await linkuse.report_case(token, "已更换灯泡", [], settings.upload_dir, ip="203.0.113.9")
    await requests.move_request(sec, cid, "close")
    await requests.move_request(sec, cid, "rate", rating="satisfied", comment="亮了")
    assert (await Case.select(Case.state).where(Case.id == cid).first())["state"] == "rated"

    await _assert_every_stored_actor_is_named()
    labels = {e["actor_label"] for e in await CaseEvent.select(CaseEvent.actor_label).where(CaseEvent.case == cid)}
    assert f"{org['name']}（短信链接）" in labels and sec.label in labels

    # As the pages show them: the case's timeline and the audit log.
    client = login(TestClient(app=app), "secretary")
    page = client.get(f"/cases/{cid}", headers=ZH).text
    whos = [w.strip() for w in re.findall(r'<div class="when">[^<·]*·\s*([^<]*)</div>', page)]
    assert len(whos) >= 6 and not BARE & set(whos), whos
    audit = login(TestClient(app=app), "admin").get(f"/audit?entity_type=case&entity_id={cid}", headers=ZH).text
    who = {w.strip() for w in re.findall(r'<td data-label="操作人">([^<]*)</td>', audit)}
    assert who and not BARE & who, who


async def test_an_audit_row_with_no_actor_is_not_shown_as_the_system(app):
    """A row written before every actor was named (no actor, no label) says "not recorded"."""
    import datetime as dt

    row = (await AuditEntry.insert(AuditEntry(at=dt.datetime.now(dt.timezone.utc), actor=None, actor_label="",
                                              action=OLD_ROW, entity_type="vote", entity_id=None)))[0]
    admin = login(TestClient(app=app), "admin")
    detail = admin.get(f"/audit/{row['id']}", headers=ZH).text
    assert re.search(r"<dt>操作人</dt><dd>未记录", detail), detail[:3000]
    listed = admin.get(f"/audit?action={OLD_ROW}", headers=ZH).text
    assert '<td data-label="操作人">未记录</td>' in listed and "系统</td>" not in listed
    # (the audit log is append-only: the row stays, marked by its action)


async def test_a_ballot_through_a_voting_link_is_logged_as_the_links_holder():
    from council.votes import ballots
    from tests.test_votes_services import link_of, new_open_vote, voters

    vote_id = await new_open_vote()
    voter = (await voters(vote_id))[0]
    await ballots.cast_online(await link_of(vote_id, voter), "agree")
    entry = await AuditEntry.select(AuditEntry.actor, AuditEntry.actor_label).where(
        (AuditEntry.action == "vote.ballot") & (AuditEntry.entity_id == vote_id)).first()
    assert entry == {"actor": None, "actor_label": "业主（表决链接）"}
    await _assert_every_stored_actor_is_named()
