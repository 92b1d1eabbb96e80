"""Irreversible moves ask for confirmation naming the consequence and are styled apart: the form
of each carries a required tick whose label says what happens, and a .danger button."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from council.meetings.tables import Meeting
from council.votes.tables import Vote
from tests.support import login

ZH = {"Accept-Language": "zh-CN"}


def form_with(html: str, marker: str) -> str:
    for form in re.findall(r"<form.*?</form>", html, re.S):
        if marker in form:
            return form
    raise AssertionError(f"no form with {marker}")


@pytest.fixture
def secretary(app):
    return login(TestClient(app=app), "secretary")


async def test_closing_a_vote_asks_for_confirmation(secretary):
    vote = await Vote.select(Vote.id).where(Vote.state == "open").first()
    assert vote, "the demo has an open vote"
    form = form_with(secretary.get(f'/votes/{vote["id"]}', headers=ZH).text, 'id="close-vote"')
    assert re.search(r'<input type="checkbox" id="confirm-close-vote" name="confirm" value="1" required>', form)
    assert "我已知晓：所有人的投票将截止" in form
    assert re.search(r'<button id="close-vote" class="danger">', form)


async def test_cancelling_a_meeting_asks_for_confirmation(secretary):
    meeting = await Meeting.select(Meeting.id).where(
        (Meeting.state == "planned") & (Meeting.kind != "mediation_session")).first()
    if meeting is None:
        meeting = await Meeting.select(Meeting.id).where(Meeting.state.is_in(["planned", "scheduled"])).first()
    assert meeting, "the demo has a planned meeting"
    html = secretary.get(f'/meetings/{meeting["id"]}', headers=ZH).text
    form = form_with(html, 'id="confirm-cancel-meeting"')
    assert "required" in form and "会议将对所有受邀方取消" in form and 'class="danger"' in form
