"""Public vote notices (公示): an unguessable address, nothing while the vote is open, 410 after
the notice period — on the page, its PDF and the API alike (the notice routes found from app.routes)."""

from __future__ import annotations

import datetime as dt

import pytest

from council.votes.queries import notice_key
from council.votes.tables import Vote
from tests.test_matrix import app_routes


def notice_urls(app, key: str) -> list[str]:
    urls = [p.replace("{key:str}", key) for m, p in app_routes(app) if m == "GET" and "{key:str}" in p
            and "notice" in p]
    assert len(urls) == 3, urls  # page, PDF, API
    return urls


@pytest.fixture
async def closed_vote():
    vote = await Vote.select().where(Vote.state == "closed").order_by(Vote.id).first()
    yield vote
    await Vote.update({Vote.notice_until: vote["notice_until"]}).where(Vote.id == vote["id"])


async def test_notice_answers_only_at_its_key(app, client, closed_vote):
    key = notice_key(closed_vote["id"])
    assert len(key.split("-", 1)[1]) >= 24
    for url in notice_urls(app, key):
        assert client.get(url).status_code == 200, url
    # Counting through vote numbers finds nothing: a wrong or missing key is 404, and the old
    # addresses by number are gone.
    for bad in (str(closed_vote["id"]), f"{closed_vote['id']}-{'A' * 24}", notice_key(closed_vote["id"])[:-1],
                f"{closed_vote['id'] + 1}-{key.split('-', 1)[1]}"):
        for url in notice_urls(app, bad):
            assert client.get(url).status_code == 404, url
    for old in (f"/votes/{closed_vote['id']}/notice", f"/api/v1/votes/{closed_vote['id']}/notice"):
        assert client.get(old, follow_redirects=False).status_code in (404, 405, 302, 303, 401), old


async def test_no_notice_while_the_vote_is_open(app, client):
    open_vote = await Vote.select().where(Vote.state == "open").first()
    for url in notice_urls(app, notice_key(open_vote["id"])):
        assert client.get(url).status_code == 404, url


async def test_notice_is_gone_after_the_notice_period(app, client, closed_vote):
    await Vote.update({Vote.notice_until: dt.date.today() - dt.timedelta(days=2)}).where(Vote.id == closed_vote["id"])
    for url in notice_urls(app, notice_key(closed_vote["id"])):
        r = client.get(url)
        assert r.status_code == 410, url
        if url.startswith("/api/"):
            assert r.headers["content-type"].startswith("application/problem+json")
        else:
            assert "公示期已结束" in r.text


async def test_staff_find_the_keyed_address_on_the_vote(as_user, closed_vote):
    c = as_user("secretary")
    key = notice_key(closed_vote["id"])
    assert f'href="/notices/{key}"' in c.get(f"/votes/{closed_vote['id']}").text
    from council.accounts import services
    from council.accounts.principal import SYSTEM

    h = {"Authorization": "Bearer " + await services.create_token(SYSTEM, "secretary", "notice")}
    assert c.get(f"/api/v1/votes/{closed_vote['id']}", headers=h).json()["notice_url"] == f"/notices/{key}"
