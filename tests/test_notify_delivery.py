"""Delivery: each event → message → channel, against local stand-ins of the providers (Aliyun SMS
with its signature checked, a WeCom robot, an SMTP server); retries, dead letter, reconciliation
after a crash, and the case timeline."""

import json
import os

import pytest

from council import db
from council.cases import requests
from council.notify import config, outbox, worker
from council.notify.tables import Attempt, Outbox, Preference
from council.parties.tables import Organisation
from tests.notify_standins import AliyunSms, Smtp, WeComRobot
from tests.test_cases_services import new_case, principal


@pytest.fixture(scope="module")
def standins():
    with AliyunSms() as sms, WeComRobot() as robot, Smtp() as smtp:
        env = {**sms.env(), **robot.env(), **smtp.env()}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        config.clear_cache()
        quiet, outbox.QUIET = outbox.QUIET, ("00:00", "00:00")  # the tests run at any hour
        yield sms, robot, smtp
        outbox.QUIET = quiet
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        config.clear_cache()


async def org_with_phone(phone="13800138000", name="悦园物业服务有限公司"):
    org = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    await Organisation.update({Organisation.phone: phone}).where(Organisation.id == org["id"])
    return org["id"]


async def liaison_org():
    return (await principal("liaison")).organisation_id


async def test_dispatch_reaches_the_organisation_by_sms_with_a_signed_link(standins):
    sms, _, _ = standins
    org = await liaison_org()
    await Organisation.update({Organisation.phone: "13900000001"}).where(Organisation.id == org)
    made = await new_case()
    sec = await principal("secretary")
    await requests.move_request(sec, made["id"], "dispatch", organisation=org)
    await worker.drain()
    row = await Outbox.select().where((Outbox.case == made["id"]) & (Outbox.channel == "sms")).first()
    assert row["status"] == "sent"
    got = [s for s in sms.sent if s["OutId"] == f"council-{row['id']}"]
    assert len(got) == 1 and got[0]["PhoneNumbers"] == "13900000001" and got[0]["SignName"] == "议事驿站"
    param = json.loads(got[0]["TemplateParam"])
    assert param["number"] == made["number"] and "/n/" in param["url"]
    assert "已派给" in param["text"]  # zh-CN text for an organisation
    attempt = await Attempt.select().where(Attempt.outbox == row["id"]).first()
    assert attempt["outcome"] == "sent" and '"Code": "OK"' in attempt["answer"] and '"segments"' in attempt["answer"]


async def test_timeline_shows_each_delivery(standins, as_user):
    org = await liaison_org()
    made = await new_case()
    sec = await principal("secretary")
    await requests.move_request(sec, made["id"], "dispatch", organisation=org)
    await worker.drain()
    page = as_user("secretary").get(f"/cases/{made['id']}").text
    assert "已短信通知" in page and "已送达" in page


async def test_email_to_a_user_who_gave_an_address(standins):
    _, _, smtp = standins
    sec = await principal("secretary")
    key = f"user:{sec.user_id}"
    await Preference.delete().where(Preference.owner == key)
    await Preference.insert(Preference(owner=key, channels=["inapp", "email"], email="wang@example.org"))
    try:
        org = await liaison_org()
        liaison = await principal("liaison")
        made = await new_case()
        await requests.move_request(sec, made["id"], "dispatch", organisation=org)
        await requests.move_request(liaison, made["id"], "accept")
        await requests.move_request(liaison, made["id"], "report", report="已修好")
        await worker.drain()
        row = await Outbox.select().where((Outbox.case == made["id"]) & (Outbox.channel == "email")).first()
        assert row["status"] == "sent" and row["address"] == "wang@example.org", (row["last_error"], row["attempts"], row["next_ms"] - outbox.now_ms())
        mail = [m for m in smtp.messages if f"council-{row['id']}." in m["data"]]
        assert len(mail) == 1 and mail[0]["to"] == ["wang@example.org"]
        assert "Message-ID: <council-" in mail[0]["data"]
    finally:
        await Preference.delete().where(Preference.owner == key)


async def test_wecom_group_robot_gets_markdown_or_text_with_mentions(standins):
    _, robot, _ = standins
    org = await liaison_org()
    key = f"org:{org}"
    await Preference.delete().where(Preference.owner == key)
    await Preference.insert(Preference(owner=key, channels=["wecom"], wecom_key="robot-key-1"))
    try:
        made = await new_case()
        sec = await principal("secretary")
        await requests.move_request(sec, made["id"], "dispatch", organisation=org)
        async with db.write():
            await outbox.enqueue("request.chase", f"test.mention:{made['id']}",
                                 [outbox.Target(key, "x", addresses={"wecom": "robot-key-1"})],
                                 {"number": made["number"], "title": "t", "mention": ["13800001111"]})
        await worker.drain()
        mine = [r for r in robot.received if made["number"] in json.dumps(r, ensure_ascii=False)]
        kinds = {r["msgtype"] for r in mine}
        assert kinds == {"markdown", "text"}
        text = next(r for r in mine if r["msgtype"] == "text")
        assert text["text"]["mentioned_mobile_list"] == ["13800001111"]
        md = next(r for r in mine if r["msgtype"] == "markdown")
        assert "](http" in md["markdown"]["content"]  # the link as markdown
    finally:
        await Preference.delete().where(Preference.owner == key)


async def _one_sms(tag: str, phone: str = "13700000000") -> int:
    async with db.write():
        await outbox.enqueue("request.chase", f"test.{tag}", [outbox.Target("org:999999", "测试", addresses={"sms": phone})],
                             {"number": tag, "title": "t"})
    return (await Outbox.select(Outbox.id).where(Outbox.event_key == f"test.{tag}").first())["id"]


async def test_retry_with_backoff_then_sent(standins):
    sms, _, _ = standins
    oid = await _one_sms("retry")
    sms.fail_next = 1
    await worker.drain()
    row = await Outbox.select().where(Outbox.id == oid).first()
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["next_ms"] - outbox.now_ms() > 20_000  # the first wait is 30 s
    await Outbox.update({Outbox.next_ms: 0}).where(Outbox.id == oid)
    await worker.drain()
    row = await Outbox.select().where(Outbox.id == oid).first()
    assert row["status"] == "sent" and row["attempts"] == 2
    outcomes = [a["outcome"] for a in await Attempt.select().where(Attempt.outbox == oid).order_by(Attempt.id)]
    assert outcomes == ["error", "sent"]


async def test_dead_letter_after_a_permanent_error_or_the_last_try(standins):
    sms, _, _ = standins
    oid = await _one_sms("dead")
    sms.fail_next, sms.fail_code = 1, "isv.MOBILE_NUMBER_ILLEGAL"
    try:
        await worker.drain()
    finally:
        sms.fail_code = "isv.BUSINESS_LIMIT_CONTROL"
    row = await Outbox.select().where(Outbox.id == oid).first()
    assert row["status"] == "dead" and "MOBILE_NUMBER_ILLEGAL" in row["last_error"]
    oid2 = await _one_sms("dead-late")
    await Outbox.update({Outbox.attempts: 5}).where(Outbox.id == oid2)  # five tries already failed
    sms.fail_next = 1
    await worker.drain()
    assert (await Outbox.select().where(Outbox.id == oid2).first())["status"] == "dead"


async def test_reconcile_after_a_crash_neither_loses_nor_repeats(standins):
    """Two rows claimed, one of them sent, then the worker 'dies': the sent one is found at the
    provider by its OutId and marked sent; the other is sent once."""
    sms, _, _ = standins
    a, b = await _one_sms("crash-a", "13700000011"), await _one_sms("crash-b", "13700000012")
    w = worker.Worker(run_scheduler=False, claim_seconds=60)
    claimed = [r for r in await w.claim() if r["id"] in (a, b)]
    assert {r["id"] for r in claimed} == {a, b}
    first = next(r for r in claimed if r["id"] == a)
    channel = await w.channels.get("sms")
    assert (await channel.send(await w._message(first))).ok
    await Outbox.update({Outbox.claim_until_ms: 1}).where(Outbox.id.is_in([a, b]))  # the claim ran out
    await w.channels.close()
    await worker.drain()
    ids = sms.out_ids()
    assert ids[f"council-{a}"] == 1 and ids[f"council-{b}"] == 1
    rows = {r["id"]: r for r in await Outbox.select().where(Outbox.id.is_in([a, b]))}
    assert rows[a]["status"] == rows[b]["status"] == "sent"
    outcomes = {r["outbox"]: r["outcome"] for r in await Attempt.select().where(Attempt.outbox.is_in([a, b]))
                if r["outcome"] in ("reconciled", "resent")}
    assert outcomes == {a: "reconciled", b: "resent"}


async def test_unconfigured_channel_holds_the_message():
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("COUNCIL_SMS_")}
    config.clear_cache()
    try:
        oid = await _one_sms("held")
        await worker.drain()
        row = await Outbox.select().where(Outbox.id == oid).first()
        assert row["status"] == "held" and row["last_error"] == "channel not configured"
    finally:
        os.environ.update(saved)
        config.clear_cache()


async def test_crash_in_flight_wecom_is_uncertain_and_email_keeps_its_message_id(standins):
    """A worker dies while a WeCom robot and an SMTP server hold a message each without having
    answered, with a second message of each claimed but not yet handed over. After the claim runs
    out: the WeCom message handed over is 'uncertain' and not posted again until the admin sends it
    again; the e-mail is sent again with the same Message-ID; the ones never handed over go once."""
    import re

    from council.notify import manage
    from council.notify.channels import Email, WeCom
    from tests.test_cases_services import principal as case_principal

    _, robot, smtp = standins
    tag = f"inflight-{os.getpid()}-{outbox.now_ms()}"
    async with db.write():
        await outbox.enqueue("request.chase", f"test.{tag}", [
            outbox.Target("org:990001", "群一", addresses={"wecom": "robot-key-1"}, extra={"number": f"{tag}-w1"}),
            outbox.Target("org:990002", "群二", addresses={"wecom": "robot-key-1"}, extra={"number": f"{tag}-w2"}),
            outbox.Target("user:990003", "甲", addresses={"email": "a@example.org"}, extra={"number": f"{tag}-e1"}),
            outbox.Target("user:990004", "乙", addresses={"email": "b@example.org"}, extra={"number": f"{tag}-e2"}),
        ], {"title": "t"})
    rows = {r["params"]["number"] if isinstance(r["params"], dict) else json.loads(r["params"])["number"]: r["id"]
            for r in await Outbox.select(Outbox.id, Outbox.params).where(Outbox.event_key == f"test.{tag}")}
    w = worker.Worker(run_scheduler=False, claim_seconds=60)
    claimed = {r["id"]: r for r in await w.claim()}
    assert set(rows.values()) <= set(claimed)
    w1, e1 = claimed[rows[f"{tag}-w1"]], claimed[rows[f"{tag}-e1"]]
    # The worker commits "sending", hands each message over, and dies before recording the answer.
    await w._mark_sending([w1, e1])
    wecom = await w.channels.get("wecom")
    email = await w.channels.get("email")
    assert isinstance(wecom, WeCom) and isinstance(email, Email)
    assert (await wecom.send(await w._message(w1))).ok
    assert (await email.send(await w._message(e1))).ok
    await w.channels.close()
    await Outbox.update({Outbox.claim_until_ms: 1}).where(Outbox.id.is_in(list(rows.values())))  # the claim ran out
    await worker.drain()

    def posted(number):
        return sum(1 for r in robot.received if number in json.dumps(r, ensure_ascii=False))

    def mails(outbox_id):
        return [m for m in smtp.messages if re.search(rf"Message-ID: <council-{outbox_id}\.", m["data"])]

    status = {n: (await Outbox.select(Outbox.status, Outbox.last_error).where(Outbox.id == i).first()) for n, i in rows.items()}
    assert status[f"{tag}-w1"]["status"] == "uncertain" and "check the group" in status[f"{tag}-w1"]["last_error"]
    assert posted(f"{tag}-w1") == 1  # not posted again
    assert status[f"{tag}-w2"]["status"] == "sent" and posted(f"{tag}-w2") == 1
    assert status[f"{tag}-e1"]["status"] == "sent" and status[f"{tag}-e2"]["status"] == "sent"
    twice = mails(rows[f"{tag}-e1"])
    assert len(twice) == 2  # sent again after the crash …
    ids = {re.search(r"Message-ID: (<[^>]+>)", m["data"]).group(1) for m in twice}
    assert len(ids) == 1  # … as the same message: receivers that dedupe by Message-ID show one
    assert len(mails(rows[f"{tag}-e2"])) == 1
    outcomes = {(a["outbox"], a["outcome"], a["code"]) for a in await Attempt.select().where(
        Attempt.outbox.is_in(list(rows.values())))}
    assert (rows[f"{tag}-w1"], "uncertain", "no_answer") in outcomes
    assert (rows[f"{tag}-e1"], "resent", "same_message_id") in outcomes
    assert (rows[f"{tag}-w2"], "resent", "not_started") in outcomes

    # The outbox page lists it with its resend button; the admin looked in the group and sends it again.
    admin = await case_principal("admin")
    listed, _ = await manage.outbox_list(admin, status="uncertain")
    assert rows[f"{tag}-w1"] in {r["id"] for r in listed}
    await manage.resend(admin, rows[f"{tag}-w1"])
    await worker.drain()
    assert posted(f"{tag}-w1") == 2
    assert (await Outbox.select(Outbox.status).where(Outbox.id == rows[f"{tag}-w1"]).first())["status"] == "sent"
