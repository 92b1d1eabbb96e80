"""The real app in a real browser: Debian's chromium driven by Playwright.

The app runs in a uvicorn subprocess against the test database (the session fixture has
migrated it and loaded the demo data; COUNCIL_DATABASE_URL is inherited). Playwright never
downloads a browser here: it launches /usr/bin/chromium.

Set COUNCIL_SHOTS=/tmp/shots to keep screenshots of each step for a human to look at.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser import browser, live_server, shot, zh  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

STATION = "振兴路社区红色议事驿站"


def sign_in(page, base: str, username: str = "secretary") -> None:
    """Through the redirect a visitor meets: the home page sends them to sign in."""
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label(zh("Username")).fill(username)
    page.get_by_label(zh("Password")).fill("council-demo")
    page.get_by_role("button", name=zh("Sign in")).click()
    page.wait_for_url(f"{base}/")


def test_secretary_signs_in_and_sees_the_station_in_chinese(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        page.wait_for_url(re.compile(r"/login"))
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("heading", name="登录").is_visible()
        shot(page, "desktop-login")

        page.get_by_label("用户名").fill("secretary")
        page.get_by_label("密码").fill("council-demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server}/")

        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("link", name=STATION).is_visible()
        body = page.locator("main").inner_text()
        assert "振兴路社区" in body and zh("Reception day") in body
        # The menu is a visible bar on a desktop, in Chinese, with the registers this role may read.
        nav = page.get_by_role("navigation", name=zh("Main menu"))
        assert nav.is_visible()
        # The registers sit under one 台账 menu, folded until opened.
        assert not nav.get_by_role("link", name=zh("Units"), exact=True).is_visible()
        nav.locator("summary", has_text=zh("Registers")).click()
        assert nav.get_by_role("link", name=zh("Units"), exact=True).is_visible()
        assert not re.search(r"\b(Units|Residents|Sign out)\b", nav.inner_text())
        shot(page, "desktop-home")
    finally:
        context.close()


def test_secretary_finds_and_edits_a_resident_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        assert page.get_by_role("link", name=STATION).is_visible()
        shot(page, "phone-home")

        # On a phone the menu is folded away behind one button.
        people_link = page.locator("#nav a[href='/people']")
        assert not people_link.is_visible()
        page.get_by_role("button", name=zh("Menu")).tap()
        page.locator("#nav summary", has_text=zh("Registers")).tap()
        assert people_link.is_visible()
        assert people_link.inner_text().strip() == zh("Residents")
        shot(page, "phone-menu")
        people_link.tap()
        page.wait_for_url(f"{live_server}/people")
        assert page.get_by_role("heading", level=1).inner_text().startswith(zh("Residents and owners"))
        shot(page, "phone-people")

        # Every row shows a masked phone number, never the full one.
        phones = page.locator("td[data-label='%s']" % zh("Phone")).all_inner_texts()
        assert phones and all("****" in p for p in phones if p.strip())

        # Search for the first resident with a phone number (other tests may add people without one):
        # the list narrows to people with that name.
        with_phone = page.locator("tbody tr").filter(
            has=page.locator("td[data-label='%s']" % zh("Phone"), has_text="****"))
        name = with_phone.first.locator("td.title").inner_text().strip()
        total = int(re.search(r"\((\d+)\)", page.get_by_role("heading", level=1).inner_text()).group(1))
        page.get_by_label(zh("Search"), exact=True).fill(name)
        page.get_by_role("button", name=zh("Search"), exact=True).tap()
        page.wait_for_url(re.compile(r"/people\?.*q="))
        found = page.locator("td.title").all_inner_texts()
        assert found and all(name in n for n in found)
        assert int(re.search(r"\((\d+)\)", page.get_by_role("heading", level=1).inner_text()).group(1)) < total
        shot(page, "phone-search")

        page.locator("tbody tr").filter(has=page.locator("td.title", has_text=name)).filter(
            has=page.locator("td[data-label='%s']" % zh("Phone"), has_text="****")).first.locator("td.open a").tap()
        page.wait_for_url(re.compile(r"/people/\d+$"))
        facts = page.locator("dl.facts").inner_text()
        assert name in facts
        phone_field = page.get_by_label(zh("Phone"))
        masked_phone = phone_field.input_value()
        assert "****" in masked_phone and "****" in facts
        shot(page, "phone-person")

        note = f"浏览器测试备注 {time.time_ns()}"
        page.get_by_label(zh("Note")).fill(note)
        page.get_by_role("button", name=zh("Save")).tap()
        page.wait_for_url(re.compile(r"/people/\d+\?saved=1$"))
        assert page.get_by_role("status").inner_text().strip() == zh("Saved.") == "已保存。"
        facts = page.locator("dl.facts").inner_text()
        assert note in facts
        # The masked number sent back with the form did not overwrite the stored one.
        assert page.get_by_label(zh("Phone")).input_value() == masked_phone
        shot(page, "phone-saved")
    finally:
        context.close()


def test_units_list_filters_by_estate_then_building(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/units")
        # The building box waits until an estate is chosen: "1栋" exists in both estates.
        assert page.locator("select[name=building]").count() == 0
        page.get_by_label(zh("Estate"), exact=True).select_option(label="中南悦园")
        page.get_by_role("button", name=zh("Search"), exact=True).tap()
        page.wait_for_url(re.compile(r"estate=\d+"))
        page.get_by_label(zh("Building"), exact=True).select_option(label="3栋")
        page.get_by_role("button", name=zh("Search"), exact=True).tap()
        page.wait_for_url(re.compile(r"building=\d+"))
        units = page.locator("td.title").all_inner_texts()
        assert units and all(u.startswith("3-") for u in units)
        chips = page.locator("ul.chips").inner_text()
        assert "中南悦园" in chips and "3栋" in chips
        shot(page, "phone-units-filtered")
    finally:
        context.close()
