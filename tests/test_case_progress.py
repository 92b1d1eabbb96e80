"""Each case in a list shows its six-step (proposal) or closed-loop (request) progress, in words:
the step names, a tick on the finished ones, the current one marked and the list labelled with
where the case stands — the same macro as the home page and the case page."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from council.cases import proposal_steps
from council.cases.pages import LOOP, case_progress
from council.cases.tables import Case
from tests.support import login

ZH = {"Accept-Language": "zh-CN"}


def test_case_progress_marks_the_step_the_case_is_at():
    assert case_progress("proposal", "act") == [("propose", "done"), ("discuss", "done"), ("act", "now"),
                                                ("fund", ""), ("decide", ""), ("evaluate", "")]
    assert case_progress("proposal", "closed") == [(s, "done") for s in proposal_steps.STEPS]
    assert case_progress("request", "registered")[0] == ("registered", "now")
    assert case_progress("request", "rated") == [(s, "done") for s in LOOP]
    assert all(mark == "" for _, mark in case_progress("proposal", "rejected"))  # ended before the steps
    assert case_progress("dispute", "mediating") == []


def _rows(html: str) -> list[tuple[int, str]]:
    """(case id, the progress list's markup or "") per row of the case table."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        m = re.search(r'href="/cases/(\d+)"', tr)
        if m:
            steps = re.search(r'<ol class="steps small".*?</ol>', tr, re.S)
            out.append((int(m.group(1)), steps.group(0) if steps else ""))
    return out


async def _reported_by_the_resident() -> list[dict]:
    """A demo proposal and a demo request, reported (for this test) by the demo resident."""
    from council.accounts.tables import User

    person = (await User.select(User.person).where(User.username == "resident").first())["person"]
    cases = [await Case.select(Case.id, Case.reporter).where(Case.kind == kind).order_by(Case.id).first()
             for kind in ("proposal", "request")]
    await Case.update({Case.reporter: person}).where(Case.id.is_in([c["id"] for c in cases]))
    return cases


@pytest.mark.parametrize("username, query", [("resident", "?mine=1"), ("secretary", "")])
async def test_the_case_list_shows_each_cases_progress(app, username, query):
    before = await _reported_by_the_resident() if username == "resident" else []
    try:
        html = login(TestClient(app=app), username).get(f"/cases{query}", headers=ZH).text
    finally:
        for c in before:
            await Case.update({Case.reporter: c["reporter"]}).where(Case.id == c["id"])
    rows = _rows(html)
    assert rows, "the demo lists cases"
    states = {r["id"]: r for r in await Case.select(Case.id, Case.kind, Case.state).where(
        Case.id.is_in([i for i, _ in rows]))}
    checked = 0
    for case_id, steps in rows:
        c = states[case_id]
        marks = case_progress(c["kind"], c["state"])
        if not marks:
            assert steps == "", c
            continue
        checked += 1
        names = re.findall(r"<li[^>]*>([^<]+)</li>", steps)
        assert len(names) == 6
        assert len(set(names)) == 6 and all(not n.isascii() for n in names)  # named, in Chinese
        done = steps.count('class="done"')
        assert done == sum(1 for _, m in marks if m == "done")
        if any(m == "now" for _, m in marks):
            n = [m for _, m in marks].index("now") + 1
            assert f'aria-label="进度：第 {n} 步，共 6 步"' in steps and steps.count('aria-current="step"') == 1
        elif done == 6:
            assert 'aria-label="进度：6 步全部完成"' in steps
    assert checked, "some listed case is a proposal or a request"


async def test_the_home_page_and_the_case_page_draw_the_same_steps(app):
    before = await _reported_by_the_resident()
    try:
        client = login(TestClient(app=app), "resident")
        home = client.get("/", headers=ZH).text
        m = re.search(r'id="work-cases".*?href="/cases/(\d+)".*?(<ol class="steps small".*?</ol>)', home, re.S)
        assert m, "the resident's home shows a case with its progress"
        detail = client.get(f"/cases/{m.group(1)}", headers=ZH).text
    finally:
        for c in before:
            await Case.update({Case.reporter: c["reporter"]}).where(Case.id == c["id"])
    big = re.search(r'<ol class="steps".*?</ol>', detail, re.S).group(0)
    assert big.replace('class="steps"', 'class="steps small"') == m.group(2)
