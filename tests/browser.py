"""Shared plumbing for the Playwright tests: the app in a uvicorn subprocess on the test database,
and Debian's chromium (Playwright never downloads a browser here).

Use in a test module:

    from tests.browser import live_server, browser, phone, shot, sign_in, submit  # noqa: F401 (fixtures)
    pytestmark = pytest.mark.browser

COUNCIL_SHOTS=/some/dir keeps a screenshot of each step for a human to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from council.web.rendering import translator
from tests.liveserver import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("COUNCIL_SHOTS")
zh = translator("zh_CN")

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (scripts/install.sh installs it)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture(scope="module")
def live_server(database):
    """The app on a free 127.0.0.1 port (COUNCIL_DATABASE_URL is inherited), until the module is done."""
    server = Server().start(timeout=30)
    try:
        yield server.base
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def phone(browser, live_server):
    """One phone-sized page in Chinese, kept across the module's tests (signed in stays signed in)."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def shot(page, name: str) -> None:
    """Every step a browser test records is also checked with axe-core: no serious or critical
    accessibility violation on any page the browser tests visit (issue 17)."""
    from tests.a11y import describe, violations

    found = violations(page)
    assert not found, f"accessibility at {name} ({page.url}):\n{describe(found)}"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str = "secretary", password: str = "council-demo") -> None:
    page.goto(f"{base}/login")
    page.get_by_label(zh("Username")).fill(username)
    page.get_by_label(zh("Password")).fill(password)
    page.get_by_role("button", name=zh("Sign in")).click()
    page.wait_for_url(f"{base}/")


def submit(page, form_selector: str) -> None:
    """Press the form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit], {form_selector} button:not([type])").first.click()
