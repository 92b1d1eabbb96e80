"""Accessibility: the main page of each role's jobs has no serious or critical axe-core violation,
on a desktop and on a phone (the browser tests' own steps are checked too, in tests.browser.shot)."""

from __future__ import annotations

import pytest

from tests.a11y import describe, violations
from tests.browser import CHROMIUM, PHONE, browser, live_server, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PAGES = {
    "secretary": ["/", "/cases", "/cases/new", "/reception", "/votes", "/meetings", "/dashboard", "/people"],
    "mediator": ["/", "/mediation"],
    "resident": ["/", "/my/votes"],
    "liaison": ["/", "/inbox"],
}


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_main_pages_have_no_serious_violations(browser, live_server, viewport):
    problems = []
    for user, paths in PAGES.items():
        context = browser.new_context(locale="zh-CN", viewport=viewport or {"width": 1280, "height": 800},
                                      extra_http_headers={"Accept-Language": "zh-CN"})
        page = context.new_page()
        try:
            sign_in(page, live_server, user)
            for path in paths:
                page.goto(f"{live_server}{path}")
                found = violations(page)
                if found:
                    problems.append(f"{user} {path}:\n{describe(found)}")
        finally:
            context.close()
    page = browser.new_page()
    try:
        for path in ("/login", "/board"):
            page.goto(f"{live_server}{path}")
            if found := violations(page):
                problems.append(f"anonymous {path}:\n{describe(found)}")
    finally:
        page.close()
    assert not problems, "\n".join(problems)
