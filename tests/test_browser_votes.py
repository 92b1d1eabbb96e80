"""Votes in Debian's chromium: a resident with no account opens a voting link on a phone-sized
screen, votes and sees the confirmation; the secretary enters a paper ballot, closes the vote and
sees the result with its reasons in words."""

from __future__ import annotations

import pytest

from council.cases.calendar_store import today
from council.votes import tokens
from council.votes.common import secret_key
from council.votes.tables import VoteVoter
from tests.browser import PHONE, browser, live_server, phone, shot, sign_in, submit, zh  # noqa: F401 (fixtures)
from tests.test_votes_services import new_open_vote

pytestmark = pytest.mark.browser


# Set up before Playwright starts its own event loop (hence first in each test's arguments).
@pytest.fixture(scope="module")
async def vote():
    """A fresh open vote (华佳梅苑 5栋), the link of its first voter and the unit of its second."""
    vote_id = await new_open_vote(building="5栋")
    voters = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    token = tokens.make_token(secret_key(), vote_id, voters[0]["voter_key"], voters[0]["token_salt"])
    from council.votes.tables import Vote

    # and a voter's link in the demo's bicycle-gate vote: a proposal with a plan, a cost and funding
    gate = await Vote.select(Vote.id).where(Vote.title == "自行车通道门拓宽方案表决").first()
    last = await VoteVoter.select().where(VoteVoter.vote == gate["id"]).order_by(VoteVoter.id, ascending=False).first()
    gate_link = f"/v/{tokens.make_token(secret_key(), gate['id'], last['voter_key'], last['token_salt'])}"
    return {"id": vote_id, "link": f"/v/{token}", "paper_unit": voters[1]["unit_numbers"].split()[0],
            "voter": voters[0]["id"], "gate_link": gate_link}


def test_resident_votes_through_a_link_on_a_phone(vote, phone, live_server):
    page = phone
    page.goto(f"{live_server}{vote['link']}")
    assert page.get_by_text("是否同意？").is_visible()
    shot(page, "votes-1-link")
    page.get_by_role("radio", name=zh("Agree"), exact=True).check()
    with page.expect_navigation():
        page.locator("#cast").click()
    confirmation = page.locator("#confirmation")
    assert zh("Thank you: your vote has been counted.") in confirmation.inner_text()
    shot(page, "votes-2-confirmed")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Opening the link again shows it is used, with no form to vote twice.
    page.goto(f"{live_server}{vote['link']}")
    assert zh("The vote for your household has already been counted.") in page.locator("#confirmation").inner_text()
    assert page.locator("#cast").count() == 0


def test_secretary_enters_a_paper_ballot_and_closes(vote, browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/votes/{vote['id']}")
        assert page.locator("#vote-state").inner_text() == zh("Open for voting")
        page.locator("#enter > summary").click()
        page.fill("#b-unit", vote["paper_unit"])
        page.select_option("#b-choice", "disagree")
        page.fill("#b-form", f"V{vote['id']}-P1")
        page.fill("#b-received", today().isoformat())  # the day the station received the form
        submit(page, "#enter form")
        assert page.get_by_text(f"V{vote['id']}-P1").first.is_visible()
        shot(page, "votes-3-paper")
        with page.expect_navigation():
            page.check("#confirm-close-vote")
            page.locator("#close-vote").click()
        assert page.locator("#vote-state").inner_text() == zh("Voting closed") == "表决已结束"
        assert page.locator("#verdict").inner_text() == zh("Failed")  # 2 of the 12 units took part
        reasons = page.locator("#reasons").inner_text()
        assert "参与表决面积占比" in reasons and "< 2/3" in reasons and "→ 未通过" in reasons
        shot(page, "votes-4-result")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_the_ballot_shows_what_is_decided_on_a_phone(vote, phone, live_server):
    """The resident reads the plan and its cost before choosing: one tap to the explanation, one to
    choose, one to send."""
    page = phone
    page.goto(f"{live_server}{vote['gate_link']}")
    taps = 0
    page.get_by_role("link", name="表决事项说明").click()
    taps += 1
    dossier = page.locator("#dossier")
    assert dossier.is_visible()
    text = dossier.inner_text()
    assert "拓宽自行车通道门 1 米" in text and "3,800.00" in text and "资金来源" in text, text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "votes-5-dossier")
    if page.locator("#cast").count():  # a voter the demo has not yet entered a paper ballot for
        page.get_by_role("radio", name=zh("Agree"), exact=True).check()
        taps += 1
        with page.expect_navigation():
            page.locator("#cast").click()
        taps += 1
        assert zh("Thank you: your vote has been counted.") in page.locator("#confirmation").inner_text()
    assert taps <= 3
