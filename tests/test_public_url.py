"""COUNCIL_PUBLIC_URL builds every link that leaves the app: the QR links on voting letters and
calendar feed URLs, whatever Host header the request carried. Without it the request's own address
is used; outside a request there is none, and public_url() says so."""

from __future__ import annotations

import dataclasses
import re

import pytest
from litestar.testing import TestClient

from council.links import NoPublicUrl, public_url
from council.votes.tables import Vote, VoteVoter
from tests.support import login, post_form
from tests.test_votes_http import pdf_text

PUBLIC = "https://council.example.org"


@pytest.fixture(scope="module")
def public_app(settings, database):
    from council.app import create_app

    return create_app(dataclasses.replace(settings, public_url=PUBLIC))


def _client(app, host: str) -> TestClient:
    c = TestClient(app=app)
    c.__enter__()
    c.headers["Host"] = host
    return login(c, "secretary")


async def test_letters_and_feeds_use_the_public_url_not_the_host_header(public_app):
    c = _client(public_app, "evil.example")
    try:
        vote = await Vote.select(Vote.id).where(Vote.state == "open").first()
        voter = await VoteVoter.select(VoteVoter.id).where(VoteVoter.vote == vote["id"]).first()
        r = c.get(f"/votes/{vote['id']}/letters.pdf?voter={voter['id']}")  # one letter: quick to render
        assert r.status_code == 200, r.text[:300]
        flat = re.sub(r"\s+", "", pdf_text(r.content)[0])
        assert f"{PUBLIC}/v/" in flat and "evil.example" not in flat
        r = post_form(c, "/meetings/feeds", {"organisation": ""})
        url = re.search(r'id="feed-url">([^<]+)<', r.text).group(1)
        assert url.startswith(f"{PUBLIC}/calendar/") and url.endswith(".ics")
    finally:
        c.__exit__(None, None, None)


async def test_without_a_public_url_links_follow_the_request(app):
    c = _client(app, "station.local:8000")
    try:
        r = post_form(c, "/meetings/feeds", {"organisation": ""})
        url = re.search(r'id="feed-url">([^<]+)<', r.text).group(1)
        assert url.startswith("http://station.local:8000/calendar/")
    finally:
        c.__exit__(None, None, None)


def test_outside_a_request_the_public_url_is_required(monkeypatch):
    monkeypatch.delenv("COUNCIL_PUBLIC_URL", raising=False)
    with pytest.raises(NoPublicUrl, match="COUNCIL_PUBLIC_URL"):
        public_url("/cases/1")
    monkeypatch.setenv("COUNCIL_PUBLIC_URL", "https://council.example.org/")
    assert public_url("/cases/1") == "https://council.example.org/cases/1"
    with pytest.raises(ValueError):
        public_url("cases/1")
