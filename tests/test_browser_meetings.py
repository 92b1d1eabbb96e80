"""The issue's scenario in Debian's chromium, on a tablet-sized screen: the secretary schedules a
five-party coordination meeting with the slot finder, puts two cases on the agenda, takes
attendance, writes and approves the minutes, and downloads the PDF.

COUNCIL_SHOTS=/some/dir keeps a screenshot of each step.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser import browser, live_server, shot, sign_in, submit, zh  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
TABLET = {"width": 820, "height": 1180}
PARTIES = {"悦园物业服务有限公司": "required", "振兴路社区居民委员会": "required", "中南悦园业主委员会": "optional",
           "江北新区城市管理局泰山中队": "required", "江北新区住房和城乡建设局": "required"}


@pytest.fixture(scope="module")
def tablet(browser, live_server):
    context = browser.new_context(viewport=TABLET, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()


def test_secretary_runs_a_five_party_meeting_to_approved_minutes(tablet, live_server):
    page, base = tablet, live_server
    sign_in(page, base)

    # Two cases to put on the agenda.
    for title in ("自行车通道门太窄（协调会）", "非机动车棚顶漏雨（协调会）"):
        page.goto(f"{base}/cases/new")
        page.select_option("#f-kind", "proposal")
        page.fill("#f-title", title)
        page.select_option("#f-category", "facilities")
        with page.expect_navigation():
            page.locator("#intake").get_by_role("button", name=zh("Register a concern")).click()

    # The slot finder.
    page.goto(f"{base}/meetings")
    with page.expect_navigation():
        page.click("#new-meeting")
    page.select_option("#kind", "coordination")
    page.fill("#title", "自行车通道门改造五方协调会（浏览器）")
    for name, choice in PARTIES.items():
        page.select_option(f'select[data-party="{name}"]', choice)
    with page.expect_navigation():
        page.click("#find-times")
    slots = page.locator("#slot-list input[name=slot]")
    assert slots.count() > 1
    assert slots.first.is_checked()
    shot(page, "meetings-1-slots")
    with page.expect_navigation():
        page.click("#save-meeting")
    assert "/meetings/" in page.url
    state = page.locator("#meeting-state")
    assert state.get_attribute("data-state") == "planned"

    # Two cases on the agenda.
    for label in ("自行车通道门太窄（协调会）", "非机动车棚顶漏雨（协调会）"):
        value = page.locator("#ag-case option", has_text=label).first.get_attribute("value")
        page.select_option("#ag-case", value)
        page.fill("#ag-minutes", "20")
        submit(page, "#agenda-form")
    assert page.locator("#agenda-list li").count() == 2
    submit(page, "#move-schedule")
    assert state.get_attribute("data-state") == "scheduled"
    shot(page, "meetings-2-scheduled")

    # Attendance on the tablet.
    with page.expect_navigation():
        page.click("#attendance-link")
    rows = page.locator(".att-row")
    for i in range(rows.count()):
        rows.nth(i).locator("input[value=present]").check()
    rows.nth(2).locator("input[value=absent]").check()  # the owners' committee (optional) did not come
    shot(page, "meetings-3-attendance")
    with page.expect_navigation():
        page.click("#save-attendance")
    assert page.locator(".notice").is_visible()
    page.goto(page.url.split("/attendance")[0])
    # The slot is days ahead: it cannot be marked held before it starts (refused, in Chinese).
    submit(page, "#move-hold")
    assert state.get_attribute("data-state") == "scheduled"
    assert "会议尚未开始" in page.locator("#move").inner_text()
    # The meeting in fact met earlier (the parties came in at once): the secretary moves it to
    # when it took place, then marks it held.
    met = dt.date.today() - dt.timedelta(days=20)
    while met.weekday() >= 5:
        met -= dt.timedelta(days=1)
    page.fill("#rs-start", f"{met.isoformat()}T15:00")
    page.fill("#rs-end", f"{met.isoformat()}T16:00")
    page.fill("#reason-reschedule", "各方提前到齐，会议已于当日召开，按实际时间更正")
    submit(page, "#move-reschedule")
    force = page.locator("#move-reschedule input[name=force]")
    if force.count():  # someone was busy then in the app's records: the secretary books it anyway
        force.check()
        submit(page, "#move-reschedule")
    submit(page, "#move-hold")
    assert state.get_attribute("data-state") == "held"

    # Minutes: discussion, decision and an action item on the first case; approve.
    with page.expect_navigation():
        page.click("#minutes-link")
    first = page.locator("section.item-block").first
    first.locator("textarea[name^=discussion_]").fill("物业介绍拓宽方案，城管、住建表示支持。")
    first.locator("textarea[name^=decisions_]").fill("自行车通道门拓宽 1 米，物业负责施工。")
    first.locator("input[name$='_0_what']").fill("拓宽自行车通道门")
    first.locator("select[name$='_0_organisation']").select_option(label="悦园物业服务有限公司")
    first.locator("input[name$='_0_due']").fill("2026-12-31")
    with page.expect_navigation():
        page.click("#save-minutes")
    assert page.locator("#meeting-state").get_attribute("data-state") == "minutes_drafted"
    shot(page, "meetings-4-minutes")
    with page.expect_navigation():
        page.check("#confirm-approve-minutes")
        page.click("#approve-minutes")
    assert page.locator("#meeting-state").get_attribute("data-state") == "minutes_approved"

    # The stored PDF.
    with page.expect_download() as info:
        page.click("#pdf-v1")
    path = info.value.path()
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"
    shot(page, "meetings-5-approved")
