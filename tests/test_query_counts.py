"""The hot pages run a fixed number of statements, however many rows they show: no N+1 queries.

Each page is drawn, rows are added to it, and it is drawn again; the statement count comes from
the per-request debug line (council.web.speed.RequestLog), so the test also checks that line."""

from __future__ import annotations

import logging
import re

LOGGER = "council.requests"


def statements(caplog, client, url: str) -> int:
    """Statements of a warm request: the page is asked twice and the second is counted, so a
    short-lived cache (who is asking: stations, 5 s) expiring between two measurements on a slow
    machine is not mistaken for a statement per row."""
    client.get(url)
    caplog.clear()
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    lines = [rec for rec in caplog.records if rec.name == LOGGER and getattr(rec, "path", None) == url.split("?")[0]]
    assert lines, f"no debug line for {url}"
    assert re.search(r"\d+ statements", lines[-1].getMessage())
    return lines[-1].statements


async def _add_cases(n: int, username: str = "secretary") -> None:
    from council.accounts.services import principal_for_user
    from council.accounts.tables import User
    from council.cases import intake

    user = await User.select().where(User.username == username).first()
    who = await principal_for_user(user, via="session")
    for i in range(n):
        await intake.register_case(who, {"kind": "request" if i % 2 else "proposal", "title": f"计数 {i}",
                                         "description": "楼道灯不亮", "category": "facilities",
                                         "channel": "reception_day"})


async def test_case_list_and_dashboard_do_not_grow_with_their_rows(as_user, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    c = as_user("secretary")
    urls = ["/cases", "/cases?state=registered", "/dashboard", "/my/tasks"]
    before = {u: statements(caplog, c, u) for u in urls}
    await _add_cases(12)
    after = {u: statements(caplog, c, u) for u in urls}
    # Not equal: the names of estates and organisations are looked up (once) only when the page
    # shows some, and the new cases have none. A statement per row would add twelve.
    assert all(after[u] <= before[u] for u in urls), (before, after)
    assert before["/cases"] <= 12, before  # who is asking (1) + the list, its count and its filters


async def test_reception_desk_does_not_grow_with_its_queue(as_user, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    c = as_user("secretary")
    html = c.get("/reception").text
    station = int(re.search(r'name="station" value="(\d+)"', html).group(1))
    before = statements(caplog, c, "/reception")
    from tests.support import post_form

    for i in range(4):
        r = post_form(c, "/reception/visits", {"station": station, "new_name": f"计数访客{i}", "topic": "路灯不亮",
                                               "category": "facilities", "outcome": "answered", "answer": "已登记"})
        assert r.status_code == 303, r.text[:300]
    assert statements(caplog, c, "/reception") <= before


async def test_vote_page_does_not_grow_with_its_ballots(as_user, caplog):
    from council.votes import ballots
    from council.votes.tables import VoteVoter
    from tests.test_votes_services import new_open_vote, principal

    caplog.set_level(logging.DEBUG, logger=LOGGER)
    vote_id = await new_open_vote()
    c = as_user("secretary")
    sec = await principal("secretary")
    voters = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    assert len(voters) >= 6
    # One ballot first: the page reads the ballots' figures once there are any.
    await ballots.enter_ballot(sec, vote_id, voter_id=voters[0]["id"], choice="agree", channel="meeting")
    before = statements(caplog, c, f"/votes/{vote_id}")
    for v in voters[1:6]:
        await ballots.enter_ballot(sec, vote_id, voter_id=v["id"], choice="agree", channel="meeting")
    # At most as many: some look-ups run only while a list is not empty (e.g. voters' names).
    assert statements(caplog, c, f"/votes/{vote_id}") <= before
