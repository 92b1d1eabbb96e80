"""The reception desk in Debian's chromium on a phone-sized screen: the secretary logs three
visitors — one answered on the spot, one new request dispatched to the property company, one new
dispute handed to a mediator — and downloads the day's report PDF (Chinese text, masked phones);
the mediator then finds the dispute's mediation file in their own list.
COUNCIL_SHOTS=/some/dir keeps a screenshot of each step."""

from __future__ import annotations

import re
from io import BytesIO

import pytest

from tests.browser import PHONE, browser, live_server, phone, shot, sign_in, zh  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _log(page, *, name: str, topic: str, category: str, outcome: str, fill) -> None:
    page.fill("#v-new-name", name) if page.locator("#v-new-name").is_visible() else (
        page.locator("summary", has_text=zh("New visitor (quick add)")).click(), page.fill("#v-new-name", name))
    page.fill("#v-topic", topic)
    page.select_option("#v-category", category)
    page.check(f"#v-o-{outcome}")
    fill()
    with page.expect_navigation():
        page.click("#log-submit")
    assert page.locator("#done-note").is_visible(), page.content()[:2000]


def test_desk_logs_three_visitors_and_prints_the_report(phone, browser, live_server):
    page = phone
    sign_in(page, live_server)
    page.goto(f"{live_server}/reception")
    assert page.locator("h1").inner_text() == zh("Reception desk")
    shot(page, "reception-1-desk")

    # 1. answered on the spot: the visitor found by name
    page.fill("#v-q", "刘桂兰")
    page.wait_for_selector("#found input[name=person]")
    page.locator("#found input[name=person]").first.check()
    page.fill("#v-topic", "咨询高龄津贴")
    page.select_option("#v-category", "elderly_children")
    page.check("#v-o-answered")
    page.fill("#v-answer", "年满80周岁可到社区申请高龄津贴。")
    with page.expect_navigation():
        page.click("#log-submit")
    assert page.locator("#done-note").is_visible()
    shot(page, "reception-2-answered")

    # 2. a new request dispatched to the property company
    def dispatch():
        page.select_option("#v-kind", "request")
        page.select_option("#v-org", label="悦园物业服务有限公司")

    _log(page, name="浏览器访客甲", topic="地下车库积水", category="property", outcome="case", fill=dispatch)

    # 3. a new dispute handed to the mediator
    def handover():
        page.select_option("#v-kind", "dispute")
        page.select_option("#v-mediator", label="陈淑芬（调解员）")
        page.fill("#v-handover-note", "双方下周二到调解室面谈")

    _log(page, name="浏览器访客乙", topic="楼上漏水纠纷", category="neighbours", outcome="case", fill=handover)
    shot(page, "reception-3-queue")
    queue = page.locator("#queue").inner_text()
    assert "咨询高龄津贴" in queue and "地下车库积水" in queue and "楼上漏水纠纷" in queue
    # the dispute reached mediation: the desk links the secretary to its numbered file
    item = page.locator("#queue li", has_text="楼上漏水纠纷")
    link = item.locator("a.mediation-link")
    assert re.search(r"人调字第 \d+ 号", link.inner_text()), link.inner_text()
    number = re.search(r"（\d{4}）\S+人调字第 \d+ 号", link.inner_text()).group(0)

    # the day's report, then its PDF
    page.click("#report-link")
    page.wait_for_url(re.compile(r".*/reception/report.*"))
    shot(page, "reception-4-report")
    with page.expect_download() as info:
        page.click("#report-pdf")
    content = open(info.value.path(), "rb").read()
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(content)).pages)
    assert "书记接待日工作报表" in text and "地下车库积水" in text and "楼上漏水纠纷" in text
    assert not re.search(r"1[3-9]\d{9}", text)

    # the mediator, on their own phone, finds the file in their mediation list, led by them
    context = browser.new_context(viewport=PHONE, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    try:
        mine = context.new_page()
        mine.set_default_timeout(15_000)
        sign_in(mine, live_server, "mediator")
        mine.goto(f"{live_server}/mediation")
        shot(mine, "reception-5-mediator-list")
        row = mine.locator("a", has_text=number)
        assert row.count() >= 1, mine.content()[:2000]
        with mine.expect_navigation():
            row.first.click()
        assert "楼上漏水纠纷" in mine.content() and "陈淑芬" in mine.content()
        shot(mine, "reception-6-mediation-file")
    finally:
        context.close()


class _Clicks:
    """Counts the taps a person makes (clicks, ticks, choices); typing is not a tap."""

    def __init__(self, page):
        self.page, self.n = page, 0

    def click(self, selector: str) -> None:
        self.n += 1
        self.page.click(selector)

    def check(self, selector: str) -> None:
        self.n += 1
        self.page.check(selector)

    def select(self, selector: str, value: str) -> None:
        self.n += 1
        self.page.select_option(selector, value)


def test_a_trained_secretary_logs_a_visit_in_under_30_seconds(phone, live_server):
    """Typing without pauses, on a phone: find the visitor, topic, category, answered on the spot,
    log it. The page comes back to the form with the queue one tap away; a refusal is shown beside
    the field, in the section it sits in."""
    import time

    page = phone
    page.goto(f"{live_server}/reception")
    if "/login" in page.url:  # the module's phone may already be signed in
        sign_in(page, live_server)
        page.goto(f"{live_server}/reception")
    taps = _Clicks(page)
    started = time.monotonic()
    page.fill("#v-q", "刘桂兰")
    page.wait_for_selector("#found input[name=person]")
    # the found list reads left to right: the radio, then the name on the same line
    radio = page.locator("#found input[name=person]").first.bounding_box()
    name = page.locator("#found label strong").first.bounding_box()
    assert radio["width"] < 40 and name["x"] > radio["x"] + radio["width"] - 1, (radio, name)
    assert abs((name["y"] + name["height"] / 2) - (radio["y"] + radio["height"] / 2)) < 20, (radio, name)
    taps.check("#found input[name=person] >> nth=0")
    page.fill("#v-topic", "问社区食堂开放时间")
    taps.select("#v-category", "elderly_children")
    taps.check("#v-o-answered")
    page.fill("#v-answer", "每天11点至13点。")
    with page.expect_navigation():
        taps.click("#log-submit")
    page.wait_for_selector("#done-note")
    seconds = time.monotonic() - started
    assert seconds < 30, seconds
    assert taps.n <= 4, taps.n
    shot(page, "reception-7-fast-visit")
    # the page stays where the secretary works: the note and the form are on screen, not the page top
    assert page.url.endswith("#desk-work")
    assert page.locator("#done-note").is_visible() and page.evaluate("window.scrollY") > 0
    box = page.locator("#queue-link").bounding_box()
    assert box and 0 <= box["y"] < PHONE["height"], box
    # the queue is one tap away
    taps.click("#queue-link")
    page.wait_for_function("document.getElementById('queue').getBoundingClientRect().top < 200")
    assert "问社区食堂开放时间" in page.locator("#queue").inner_text()

    # a new visitor's phone for an on-the-spot answer, consent forgotten: refused beside the consent
    page.goto(f"{live_server}/reception")
    page.locator("summary", has_text=zh("New visitor (quick add)")).click()
    page.fill("#v-new-name", "带电话的访客")
    page.fill("#v-new-phone", "13800002222")
    page.fill("#v-topic", "问路")
    page.check("#v-o-answered")
    page.fill("#v-answer", "往前走两百米。")
    with page.expect_navigation():
        page.click("#log-submit")
    error = page.locator("#v-consent ~ .field-error, label:has(#v-consent) + .field-error")
    assert error.first.is_visible(), page.content()[:3000]
    assert page.locator("#v-new-phone").is_visible()
    shot(page, "reception-8-consent-refused")
    page.check("#v-consent")
    with page.expect_navigation():
        page.click("#log-submit")
    assert page.locator("#done-note").is_visible()

    # a unit number in two estates: the estate choice appears as soon as it is typed
    page.fill("#v-unit", "3-101")
    page.fill("#v-topic", "楼道灯坏了")
    page.wait_for_selector("#estate-choice input[name=estate]")
    assert page.locator("#estate-choice input[name=estate]").count() == 2
    shot(page, "reception-9-estate-choice")
