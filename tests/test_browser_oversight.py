"""Issue 18 in Debian's chromium, zh-CN: the street officer opens the overview of the stations under
the street, follows the overdue figure of the demo station to the case behind it, and chases it
(督办) with a note; then the station's secretary signs in and sees the chase on the case."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from tests.browser import PHONE, browser, live_server, shot, sign_in, submit, zh  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


# Set up before Playwright starts its own event loop (hence first in the test's arguments).
@pytest.fixture(scope="module")
async def overdue():
    """A request at the demo station, dispatched to the city-management squad, past its deadline."""
    from council.accounts.principal import SYSTEM
    from council.cases import intake, requests
    from council.cases.calendar_store import today
    from council.cases.tables import Case
    from council.parties.tables import Organisation
    from council.stations.tables import Station

    station = await Station.select(Station.id).where(Station.case_prefix == "ZXL").first()
    org = await Organisation.select(Organisation.id).where(Organisation.name == "江北新区城市管理局泰山中队").first()
    title = f"梅苑路井盖破损未修复{secrets.token_hex(2)}"
    case = await intake.register_case(SYSTEM, {"station": station["id"], "kind": "request", "title": title,
                                               "category": "other", "channel": "hotline_12345"})
    await requests.move_request(SYSTEM, case["id"], "dispatch", organisation=org["id"])
    await Case.update({Case.due_date: today() - dt.timedelta(days=2)}).where(Case.id == case["id"])
    return {"id": case["id"], "title": title, "station": station["id"]}


def _context(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_street_officer_chases_an_overdue_case_and_the_secretary_sees_it(overdue, browser, live_server):
    note = "请城管中队三日内修复井盖，并向居民反馈。"
    context, page = _context(browser)
    try:
        sign_in(page, live_server, "streetofficer")
        assert page.locator('nav a[href="/oversight"]').count() >= 1
        page.goto(f"{live_server}/oversight")
        assert page.locator("h1").inner_text() == zh("Stations overview") == "辖区驿站总览"
        row = page.locator(f'tr[data-station="{overdue["station"]}"]')
        assert int(row.locator("a.overdue-link").inner_text()) >= 1
        shot(page, "oversight-1-overview")

        # The overdue figure opens the cases behind it; the new one is among them.
        with page.expect_navigation():
            row.locator("a.overdue-link").click()
        assert "overdue=1" in page.url and f"station={overdue['station']}" in page.url
        assert page.locator("#drill-down").is_visible()
        shot(page, "oversight-2-overdue-cases")
        with page.expect_navigation():
            page.get_by_role("link", name=overdue["title"]).click()
        assert page.url.endswith(f"/cases/{overdue['id']}")

        # Chase it, with a note for the station (the section is open: the case is overdue).
        page.fill("#ch-text", note)
        shot(page, "oversight-3-chase")
        submit(page, f"form[action='/cases/{overdue['id']}/do/chase']")
        timeline = page.locator("#timeline")
        assert timeline.get_by_text(note).is_visible()
        # The officer changes nothing else: no note, dispatch or close form on the page.
        for action in ("note", "close", "dispatch", "extension"):
            assert page.locator(f"form[action='/cases/{overdue['id']}/do/{action}']").count() == 0
    finally:
        context.close()

    context, page = _context(browser)
    try:
        sign_in(page, live_server, "secretary")
        page.goto(f"{live_server}/cases/{overdue['id']}")
        timeline = page.locator("#timeline")
        assert timeline.get_by_text(note).is_visible()
        entry = timeline.locator("li", has_text=note)
        assert "孙立新" in entry.inner_text()  # who chased
        assert "泰山街道" in entry.inner_text() and zh("street_officer") in entry.inner_text()  # from where
        shot(page, "oversight-4-secretary-sees-chase")
    finally:
        context.close()
