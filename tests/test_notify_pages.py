"""Notification pages: the bell and the inbox, preferences, the admin's outbox and resend, channel
credentials stored encrypted, and the signed links of people without accounts."""

import re

from litestar.testing import TestClient

from council import db
from council.cases import requests
from council.cases.tables import Attachment, Case, CaseEvent
from council.notify import config, links, outbox
from council.notify.tables import ChannelSetting, Link, Outbox, Preference
from tests.support import csrf_token, post_form
from tests.test_cases_services import new_case, principal

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


async def test_bell_counts_unread_and_inbox_marks_read(as_user):
    sec = await principal("secretary")
    async with db.write():
        await outbox.enqueue("request.report", "test.bell:1", [outbox.Target(f"user:{sec.user_id}", "王书记", addresses={"inapp": ""})],
                             {"number": "ZXL-2026-0042", "title": "楼道灯"})
    c = as_user("secretary")
    home = c.get("/").text
    m = re.search(r'id="bell"[^>]*>🔔<span class="badge">(\d+)</span>', home)
    assert m and int(m.group(1)) >= 1
    page = c.get("/notify/inbox").text
    assert "ZXL-2026-0042" in page and "请核实并办结" in page
    r = post_form(c, "/notify/inbox/read", {})
    assert r.status_code == 303
    assert 'class="badge"' not in c.get("/").text.split('id="bell"')[1].split("</a>")[0]


async def test_preferences_refuse_bad_input_and_save_good(as_user):
    c = as_user("secretary")
    sec = await principal("secretary")
    owner = f"user:{sec.user_id}"
    await Preference.delete().where(Preference.owner == owner)
    r = post_form(c, "/notify/preferences", {"owner": owner, "email": "not-an-address", "quiet_start": "25:99",
                                             "quiet_end": "08:00", "channels": "email"})
    assert r.status_code == 422 and "field-error" in r.text
    assert not await Preference.exists().where(Preference.owner == owner)
    r = post_form(c, "/notify/preferences", {"owner": owner, "email": "wang@example.org", "quiet_start": "22:00",
                                             "quiet_end": "07:00", "channels": "inapp"})
    assert r.status_code == 303
    row = await Preference.select().where(Preference.owner == owner).first()
    assert row["email"] == "wang@example.org" and row["quiet_start"] == "22:00"
    other = post_form(as_user("gridworker"), "/notify/preferences", {"owner": owner, "quiet_start": "21:00", "quiet_end": "08:00"})
    assert other.status_code == 403
    await Preference.delete().where(Preference.owner == owner)


async def test_admin_outbox_lists_failures_and_resends(as_user):
    async with db.write():
        await outbox.enqueue("request.chase", "test.admin:1", [outbox.Target("org:777777", "测试物业", addresses={"sms": "13711112222"})],
                             {"number": "X", "title": "t"})
    oid = (await Outbox.select(Outbox.id).where(Outbox.event_key == "test.admin:1").first())["id"]
    await Outbox.update({Outbox.status: "dead", Outbox.attempts: 6, Outbox.last_error: "isv.X: boom"}).where(Outbox.id == oid)
    admin = as_user("admin")
    page = admin.get("/admin/notify?status=dead").text
    assert "测试物业" in page and "137****2222" in page and "13711112222" not in page
    assert as_user("secretary").get("/admin/notify").status_code == 403
    r = post_form(admin, f"/admin/notify/{oid}/resend", {})
    assert r.status_code == 303
    row = await Outbox.select().where(Outbox.id == oid).first()
    assert row["status"] == "pending" and row["attempts"] == 0


async def test_admin_outbox_lists_uncertain_wecom_messages_with_a_resend_button(as_user):
    async with db.write():
        await outbox.enqueue("request.chase", "test.admin:uncertain", [
            outbox.Target("org:777778", "测试群", addresses={"wecom": "robot-key-1"})], {"number": "X", "title": "t"})
    oid = (await Outbox.select(Outbox.id).where(Outbox.event_key == "test.admin:uncertain").first())["id"]
    from council.notify.worker import UNCERTAIN

    await Outbox.update({Outbox.status: "uncertain", Outbox.last_error: UNCERTAIN}).where(Outbox.id == oid)
    admin = as_user("admin")
    page = admin.get("/admin/notify?status=uncertain", headers={"Accept-Language": "zh-CN"}).text
    assert "测试群" in page and "未确认：请查看群内是否已收到" in page and f'id="resend-{oid}"' in page
    assert post_form(admin, f"/admin/notify/{oid}/resend", {}).status_code == 303
    assert (await Outbox.select(Outbox.status).where(Outbox.id == oid).first())["status"] == "pending"
    # A sent message cannot be sent again from here.
    await Outbox.update({Outbox.status: "sent"}).where(Outbox.id == oid)
    r = post_form(admin, f"/admin/notify/{oid}/resend", {})
    assert r.status_code == 303 and "refused" in r.headers["location"]


async def test_channel_credentials_are_stored_encrypted(as_user):
    admin = as_user("admin")
    r = post_form(admin, "/admin/notify/channels", {"channel": "sms", "endpoint": "http://127.0.0.1:9/",
                                                    "access_key_id": "LTAI-form", "access_key_secret": "very-secret-value",
                                                    "sign_name": "议事驿站", "template": "SMS_1", "templates": "not json"})
    assert r.status_code == 422
    r = post_form(admin, "/admin/notify/channels", {"channel": "sms", "endpoint": "http://127.0.0.1:9/",
                                                    "access_key_id": "LTAI-form", "access_key_secret": "very-secret-value",
                                                    "sign_name": "议事驿站", "template": "SMS_1", "templates": ""})
    assert r.status_code == 303
    blob = (await ChannelSetting.select().where(ChannelSetting.channel == "sms").first())["secret"]
    assert "very-secret-value" not in blob and "LTAI-form" not in blob
    assert config.decrypt(blob)["access_key_secret"] == "very-secret-value"
    assert "very-secret-value" not in admin.get("/admin/notify/channels").text
    await ChannelSetting.delete().where(ChannelSetting.channel == "sms")
    config.clear_cache()


async def test_property_contact_accepts_and_reports_back_through_the_link(app):
    liaison = await principal("liaison")
    made = await new_case()
    sec = await principal("secretary")
    await requests.move_request(sec, made["id"], "dispatch", organisation=liaison.organisation_id)
    link = await Link.select().where((Link.purpose == "case_handle") & (Link.subject_id == made["id"])).first()
    token = await links.token_of(link["id"])
    assert link["token_hash"] and token not in str(link)  # only the hash is stored
    with TestClient(app=app) as anon:
        page = anon.get(f"/n/{token}")
        assert page.status_code == 200 and made["number"] in page.text
        assert anon.get(f"/n/{'x' * 32}").status_code == 404
        assert post_form(anon, f"/n/{token}/accept", {}).status_code == 303
        assert (await Case.select(Case.state).where(Case.id == made["id"]).first())["state"] == "handling"
        empty = post_form(anon, f"/n/{token}/report", {"report": "  "})
        assert empty.status_code == 422
        r = anon.post(f"/n/{token}/report", data={"report": "已更换路灯", "_csrf_token": csrf_token(anon)},
                      files={"photos": ("after.png", PNG, "image/png")}, follow_redirects=False)
        assert r.status_code == 303, r.text
    assert (await Case.select(Case.state).where(Case.id == made["id"]).first())["state"] == "reported"
    assert await Attachment.count().where(Attachment.case == made["id"]) == 1
    ev = await CaseEvent.select().where((CaseEvent.case == made["id"]) & (CaseEvent.kind == "request.report")).first()
    assert "短信链接" in ev["actor_label"]
    from council.audit.tables import AuditEntry

    assert await AuditEntry.count().where((AuditEntry.action == "notify.link_used") & (AuditEntry.entity_id == link["id"])) == 2
    await links.revoke(link["id"])
    with TestClient(app=app) as anon:
        assert anon.get(f"/n/{token}").status_code == 404
