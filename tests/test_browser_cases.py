"""The issue's scenario in Debian's chromium, on a phone-sized screen: the secretary registers the
"1 m gate is too narrow" concern at reception, records opinions, adds the property company's task
and a budget, and sees the case waiting at `decide`.

The app runs in a uvicorn subprocess on the test database (migrated and loaded with the demo
data by the session fixture; COUNCIL_DATABASE_URL is inherited). Playwright never downloads a
browser: it launches /usr/bin/chromium. COUNCIL_SHOTS=/some/dir keeps a screenshot of each step.
"""

from __future__ import annotations

import pytest

from tests.browser import PHONE, browser, live_server, phone, shot, submit, zh  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_gate_concern_reaches_decide(phone, live_server):
    page = phone
    page.goto(f"{live_server}/login")
    page.get_by_label(zh("Username")).fill("secretary")
    page.get_by_label(zh("Password")).fill("council-demo")
    page.get_by_role("button", name=zh("Sign in")).click()
    page.wait_for_url(f"{live_server}/")

    # Reception day: register the concern.
    page.goto(f"{live_server}/cases/new")
    page.select_option("#f-kind", "proposal")
    page.fill("#f-title", "1 米宽的自行车门太窄")
    page.fill("#f-description", "老人推自行车进出，多次摔倒。")
    page.select_option("#f-category", "facilities")
    page.select_option("#f-channel", "reception_day")
    page.select_option("#f-estate", label="中南悦园")
    shot(page, "cases-1-intake")
    with page.expect_navigation():
        page.locator("#intake").get_by_role("button", name=zh("Register a concern")).click()
    assert "/cases/" in page.url
    badge = page.locator("#case-state")
    assert badge.get_attribute("data-state") == "propose"
    shot(page, "cases-2-propose")

    # Accept it for consultation; record opinions of a resident and of the property company.
    submit(page, "#move-accept")
    assert badge.get_attribute("data-state") == "discuss"
    page.select_option("#op-stance", "for")
    page.fill("#op-text", "门太窄，老人推车过不去，早该拓宽。")
    submit(page, "#opinion-section form[action$='/do/opinion']")
    page.select_option("#op-stance", "neutral")
    page.select_option("#op-org", label="悦园物业服务有限公司")
    page.fill("#op-text", "物业同意把门拓宽 1 米。")
    submit(page, "#opinion-section form[action$='/do/opinion']")
    assert page.locator("#opinion-section").get_by_text("物业同意把门拓宽 1 米。").is_visible()
    page.fill("#opt-title", "自行车门拓宽 1 米")
    submit(page, "#opinion-section form[action$='/do/option']")
    submit(page, "#opinion-section form[action$='/do/prefer']")
    shot(page, "cases-3-discuss")
    submit(page, "#move-choose_option")
    assert badge.get_attribute("data-state") == "act"

    # The property company's task.
    page.fill("#task-what", "拆除旧门框，把自行车门拓宽 1 米")
    page.select_option("#task-org", label="悦园物业服务有限公司")
    page.fill("#task-person", "物业张经理")
    page.fill("#task-due", "2026-12-31")
    submit(page, "#task-section form[action$='/do/task']")
    assert page.locator("#task-section").get_by_text("拆除旧门框，把自行车门拓宽 1 米").is_visible()
    submit(page, "#move-complete_plan")
    assert badge.get_attribute("data-state") == "fund"

    # A budget; the vote is not possible until funding covers it.
    page.fill("#b-item", "门框改造与施工")
    page.fill("#b-amount", "3200.00")
    submit(page, "#fund-section form[action$='/do/budget']")
    assert page.locator("[data-blocked='decide_funding']").is_visible()
    page.select_option("#fs-source", "property_manager")
    page.fill("#fs-amount", "3200")
    submit(page, "#fund-section form[action$='/do/funding']")
    assert "¥0.00" in page.locator("#coverage").inner_text()  # no shortfall
    shot(page, "cases-4-fund")
    submit(page, "#move-decide_funding")

    assert badge.get_attribute("data-state") == "decide"
    assert badge.inner_text() == zh("Decide (民事民决)")
    assert page.locator("#vote-section").get_by_text(zh("Waiting for the residents' vote.")).is_visible()
    shot(page, "cases-5-decide")
    # Nothing on the phone screen is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_list_and_dashboard_fit_a_phone(phone, live_server):
    page = phone  # signed in by the scenario above (same browser context)
    if "/login" in page.url or not page.context.cookies():
        page.goto(f"{live_server}/login")
        page.get_by_label(zh("Username")).fill("secretary")
        page.get_by_label(zh("Password")).fill("council-demo")
        page.get_by_role("button", name=zh("Sign in")).click()
        page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/cases")
    assert page.get_by_text("1 米宽的自行车门太窄").first.is_visible()
    shot(page, "cases-6-list")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{live_server}/dashboard")
    assert page.locator("svg.chart").first.is_visible()
    assert page.get_by_text(zh("Satisfaction rate = (satisfied + basically satisfied) / all ratings")).first.is_visible()
    shot(page, "cases-7-dashboard")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_street_officer_reads_the_funnel_on_a_phone_and_downloads_a_table(phone, live_server):
    """The dashboard's street part on a phone: the funnel chart fits the screen with its text at a
    readable size, the date range narrows it in one tap, and a table downloads as XLSX in one."""
    page = phone
    page.goto(f"{live_server}/dashboard")
    if "/login" in page.url:
        page.get_by_label(zh("Username")).fill("secretary")
        page.get_by_label(zh("Password")).fill("council-demo")
        page.get_by_role("button", name=zh("Sign in")).click()
        page.wait_for_url(f"{live_server}/")
        page.goto(f"{live_server}/dashboard")
    funnel = page.locator("svg.funnel")
    funnel.scroll_into_view_if_needed()
    box = funnel.bounding_box()
    assert box and box["width"] <= PHONE["width"] and box["width"] >= 300, box
    # text drawn at 15 units in a 420-unit view box: at least 10 px on a 390 px phone
    assert 15 * box["width"] / 420 >= 10
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "cases-8-funnel")
    taps = 0
    page.fill("#range-start", "2001-01-01")
    page.fill("#range-end", "2001-12-31")
    with page.expect_navigation():
        page.locator("#range button").click()
    taps += 1
    assert "2001-01-01" in page.locator("#street h2").first.inner_text()
    with page.expect_download() as info:
        page.locator("#table-category a.button").click()
    taps += 1
    assert open(info.value.path(), "rb").read()[:2] == b"PK"
    assert taps == 2
