"""The issue's scenario in Debian's chromium, on a phone-sized screen: a mediator records a
neighbours' water-leak dispute (楼上漏水), takes it through two sessions to an agreement that
takes effect once everyone has signed and the seal is applied, and downloads its PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from tests.browser import PHONE, browser, live_server, phone, shot, sign_in, submit, zh  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_water_leak_through_two_sessions_to_an_effective_agreement(phone, live_server):
    page = phone
    sign_in(page, live_server, "mediator")
    page.goto(f"{live_server}/mediation/new")
    page.fill("#d-title", "楼上漏水：3 栋 1102 渗水至 1002")
    page.fill("#d-description", "1002 业主反映卫生间天花板渗水。")
    page.select_option("#d-category", "neighbours")
    page.select_option("#d-source", "applied")
    submit(page, "#register")
    assert "/mediation/" in page.url
    assert "人调字第" in page.locator("#file-number").inner_text()
    state = page.locator("#file-state")
    assert state.get_attribute("data-state") == "registered"

    for role, name, phone_no in (("applicant", "周海燕", "13812341002"), ("respondent", "吴强", "13912341102")):
        page.select_option("#p-role", role)
        page.fill("#p-name", name)
        page.fill("#p-phone", phone_no)
        submit(page, "#party-form")
    assert page.get_by_text("138****1002").is_visible()  # masked on screen
    # A typo in the respondent's details is corrected on the page; the phone stays as it was.
    party = page.locator(".party").nth(1)
    party.locator("details.party-edit > summary").click()
    party.locator(".party-edit-form input[name=address]").fill("3 栋 1102")
    party.locator(".party-edit-form input[name=agent_name]").fill("吴小强")
    with page.expect_navigation():
        party.locator(".party-edit-form button").click()
    assert "3 栋 1102" in page.locator(".party").nth(1).inner_text()
    assert "139****1102" in page.locator(".party").nth(1).inner_text()
    # The signed-in mediator takes the file: only a mediator of the file signs its agreement.
    page.select_option("#m-user", page.locator("#m-user option", has_text="陈淑芬").first.get_attribute("value"))
    submit(page, "#mediator-form")
    submit(page, "#move-seek_consent")
    assert state.get_attribute("data-state") == "consent"
    for i in range(2):
        page.locator(".party").nth(i).locator("details.consent-notice > summary").click()
        with page.expect_navigation():
            page.locator(".party").nth(i).locator(".notice-form button").click()
        page.locator(".party").nth(i).locator("details.consent-notice > summary").click()
        with page.expect_navigation():
            page.locator(".party").nth(i).locator(".consent-form button").click()
    submit(page, "#move-start")
    assert state.get_attribute("data-state") == "mediating"
    shot(page, "mediation-1-mediating")

    # Two sessions: the first continues, the second reaches an agreement.
    # Both have taken place (a session is recorded only once it has begun): 9 and 2 days ago.
    for n, (days, result, record) in enumerate(((9, "continue", "双方各执一词，约定请物业检测。"),
                                                (2, "agreement", "检测确认 1102 防水层破损，吴强同意维修并赔偿。"))):
        day = (dt.date.today() - dt.timedelta(days=days)).isoformat()
        if page.locator("#session summary").is_visible() and not page.locator("#s-date").is_visible():
            page.locator("#session summary").click()
        page.fill("#s-date", day)
        page.fill("#s-start", "19:00")
        page.fill("#s-end", "20:00")
        page.fill("#s-place", "3 栋 1002 现场")
        submit(page, "#session-form")
        form = page.locator(".record-form").nth(n)
        if not form.is_visible():
            page.locator(".session").nth(n).locator("details.record-details > summary").click()
        form.locator("textarea[name=attendees]").fill("周海燕\n吴强")
        form.locator("textarea[name=record]").fill(record)
        form.locator("select[name=result]").select_option(result)
        with page.expect_navigation():
            form.locator("button").click()
    assert page.locator(".session .result").count() == 2

    page.fill("#a-facts", "1102 卫生间防水层破损，渗水至 1002 天花板。")
    page.fill("#a-matters", "维修责任与损失赔偿。")
    page.fill("#a-resp", "吴强负责维修并赔偿；周海燕配合入户。")
    submit(page, "#agreement-form")
    page.select_option("#o-party", label="吴强")
    page.fill("#o-what", "赔偿 1002 天花板修复费用")
    page.fill("#o-amount", "1800.00")
    page.fill("#o-due", (dt.date.today() + dt.timedelta(days=20)).isoformat())
    page.fill("#o-manner", "微信转账")
    submit(page, "#obligation-form")
    effect = page.locator("#agreement-effect")
    for _ in range(4):  # both parties, the mediator, the committee's seal
        assert effect.get_attribute("data-effective") == "no"
        submit(page, "#sign-form")
    assert effect.get_attribute("data-effective") == "yes"
    shot(page, "mediation-2-effective")
    submit(page, "#move-settle")
    assert state.get_attribute("data-state") == "settled"

    with page.expect_download() as info:
        page.locator("#agreement-pdf").click()
    content = open(info.value.path(), "rb").read()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).replace(" ", "").replace("\n", "")
    assert "人民调解协议书" in text and "周海燕" in text and "吴强" in text and "1,800.00元" in text
