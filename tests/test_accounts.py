"""Accounts over HTTP: sign-in, throttling, sessions, password changes, CSRF, cookies, API tokens.

Tests that end sessions or change passwords use their own throwaway users, so the demo
users other tests sign in as are never disturbed.
"""

from __future__ import annotations

import secrets

import pytest
from litestar.testing import TestClient

from council.accounts import pages as account_pages
from council.accounts import services
from council.accounts.middleware import SESSION_COOKIE
from council.accounts.principal import SYSTEM
from council.accounts.ratelimit import LoginThrottle
from council.accounts.tables import ApiToken, Session, User
from council.audit.tables import AuditEntry
from council.places.tables import Unit
from council.stations.tables import Station
from tests.support import DEMO_PASSWORD, csrf_token, login, post_form

PASSWORD = "first-password-123"


@pytest.fixture
async def fresh_user():
    """A new secretary of the demo station, with a known password."""
    station = await Station.select(Station.id).where(Station.case_prefix == "ZXL").first()
    username = f"sec_{secrets.token_hex(4)}"
    await services.create_user(SYSTEM, username=username, password=PASSWORD, role="secretary",
                               display_name="测试书记", station_ids=[station["id"]])
    return username


class Waits(list):
    """Records the throttle's waits instead of sleeping through them."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
async def fresh_throttle(monkeypatch):
    """Attempts counted here do not slow the sign-ins of the rest of the run."""
    from council.accounts.tables import LoginThrottleEntry

    await LoginThrottleEntry.delete(force=True)
    t = LoginThrottle(sleep=Waits())
    monkeypatch.setattr(account_pages, "throttle", t)
    yield t
    await LoginThrottleEntry.delete(force=True)


def try_login(client: TestClient, username: str, password: str, next_url: str = "/"):
    return client.post("/login", data={"username": username, "password": password, "next": next_url,
                                       "_csrf_token": csrf_token(client)}, follow_redirects=False)


def is_signed_in(client: TestClient) -> bool:
    r = client.get("/", follow_redirects=False)
    if r.status_code == 200:
        return True
    assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login"), r.status_code
    return False


# ---------------------------------------------------------------- signing in

def test_wrong_password_is_401_in_chinese(client, fresh_throttle):
    r = try_login(client, "secretary", "not-the-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert SESSION_COOKIE not in r.cookies
    assert not is_signed_in(client)


def test_unknown_user_reads_the_same_as_a_wrong_password(client, fresh_throttle):
    r = try_login(client, "nobody-" + secrets.token_hex(3), "whatever-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text


async def test_failures_slow_down_but_never_lock_out(client, fresh_throttle):
    for _ in range(5):
        assert try_login(client, "secretary", "wrong-password").status_code == 401
    assert fresh_throttle.sleep == []  # a few mistakes cost nothing
    assert try_login(client, "secretary", "wrong-password").status_code == 401
    assert try_login(client, "secretary", "wrong-password").status_code == 401
    assert fresh_throttle.sleep == [0.5, 1.0]  # then each attempt waits longer
    # Slowed, never refused: the right password still gets in (after its wait).
    r = try_login(client, "secretary", DEMO_PASSWORD)
    assert r.status_code == 303 and SESSION_COOKIE in r.cookies
    assert fresh_throttle.sleep[-1] == 2.0


async def test_an_attacker_cannot_lock_an_account_out(client, fresh_throttle):
    """Thousands of failures against an account from elsewhere: its owner waits at most the cap."""
    from council.accounts import ratelimit

    for _ in range(40):
        await fresh_throttle.attempt("ip:198.51.100.7", "user:mediator")
    assert try_login(client, "mediator", DEMO_PASSWORD).status_code == 303
    assert fresh_throttle.sleep == [ratelimit.CAPS["user"]]
    # Another account from this address is not slowed at all.
    assert try_login(client, "gridworker", DEMO_PASSWORD).status_code == 303
    assert fresh_throttle.sleep == [ratelimit.CAPS["user"]]


async def test_the_counts_are_shared_through_the_database(client, fresh_throttle):
    """A second server process (a second throttle object) sees the same counts."""
    for _ in range(7):
        try_login(client, "secretary", "wrong-password")
    other = LoginThrottle(sleep=Waits())
    assert await other.attempt("ip:testclient", "user:secretary") > 0


async def test_successful_login_clears_the_failures(client, fresh_throttle):
    for _ in range(4):
        try_login(client, "secretary", "wrong-password")
    assert try_login(client, "secretary", DEMO_PASSWORD).status_code == 303
    assert await fresh_throttle.attempts("user:secretary") == 0
    assert await fresh_throttle.attempts("ip:testclient") == 4  # the address keeps its failures


def test_session_cookie_flags(client):
    r = try_login(client, "secretary", DEMO_PASSWORD)
    assert r.status_code == 303
    header = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    lowered = header.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered


async def test_sessions_and_passwords_are_stored_hashed(app, fresh_user):
    user = await User.select().where(User.username == fresh_user).first()
    assert user["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in user["password_hash"]
    with TestClient(app=app) as c:
        login(c, fresh_user, PASSWORD)
        token = c.cookies.get(SESSION_COOKIE)
        assert token
        rows = await Session.select(Session.token_hash).where(Session.user == user["id"])
        assert rows and all(r["token_hash"] != token for r in rows)


def test_login_never_redirects_off_site(client):
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        r = try_login(client, "secretary", DEMO_PASSWORD, next_url=target)
        assert r.status_code == 303
        assert r.headers["location"] == "/"
    r = try_login(client, "secretary", DEMO_PASSWORD, next_url="/units?q=3")
    assert r.headers["location"] == "/units?q=3"


async def test_login_is_audited(client, fresh_user):
    before = await AuditEntry.count().where(AuditEntry.action == "user.login")
    login(client, fresh_user, PASSWORD)
    assert await AuditEntry.count().where(AuditEntry.action == "user.login") == before + 1


# ---------------------------------------------------------------- sessions end

async def test_logout_ends_the_session(app, fresh_user):
    with TestClient(app=app) as c, TestClient(app=app) as other:
        login(c, fresh_user, PASSWORD)
        token = c.cookies.get(SESSION_COOKIE)
        assert is_signed_in(c)
        r = post_form(c, "/logout", {})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert not is_signed_in(c)
        # The old cookie, replayed from another browser, no longer works.
        other.cookies.set(SESSION_COOKIE, token)
        assert not is_signed_in(other)
    user = await User.select(User.id).where(User.username == fresh_user).first()
    assert await Session.count().where(Session.user == user["id"]) == 0


async def test_password_change_signs_out_other_sessions(app, fresh_user):
    new = "second-password-456"
    with TestClient(app=app) as here, TestClient(app=app) as elsewhere:
        login(here, fresh_user, PASSWORD)
        login(elsewhere, fresh_user, PASSWORD)
        assert is_signed_in(here) and is_signed_in(elsewhere)
        r = post_form(here, "/account/password", {"current": PASSWORD, "new": new, "confirm": new})
        assert r.status_code == 200
        assert is_signed_in(here)
        assert not is_signed_in(elsewhere)
    assert await services.authenticate(fresh_user, PASSWORD) is None
    assert await services.authenticate(fresh_user, new) is not None


async def test_password_change_refuses_bad_input_and_changes_nothing(client, fresh_user):
    c = client
    login(c, fresh_user, PASSWORD)
    before = await User.select(User.password_hash, User.version).where(User.username == fresh_user).first()
    r = post_form(c, "/account/password", {"current": "wrong-current", "new": "another-pass-1", "confirm": "another-pass-1"})
    assert r.status_code == 422
    assert "field-error" in r.text
    r = post_form(c, "/account/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert r.status_code == 422
    r = post_form(c, "/account/password", {"current": PASSWORD, "new": "long-enough-1", "confirm": "long-enough-2"})
    assert r.status_code == 422
    after = await User.select(User.password_hash, User.version).where(User.username == fresh_user).first()
    assert after == before


# ---------------------------------------------------------------- CSRF

async def test_post_without_csrf_token_is_refused_and_changes_nothing(as_user):
    c = as_user("secretary")
    unit = await Unit.select().where(Unit.number == "3-1502").first()
    r = c.post(f"/units/{unit['id']}", data={"number": "3-1502X", "version": str(unit["version"])},
               follow_redirects=False)
    assert r.status_code == 403
    assert "表单已过期" in r.text  # the page explains, in Chinese, what to do
    assert await Unit.select().where(Unit.id == unit["id"]).first() == unit
    # A forged token is no better than none.
    r = c.post(f"/units/{unit['id']}", data={"number": "3-1502X", "version": str(unit["version"]),
                                             "_csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert await Unit.select().where(Unit.id == unit["id"]).first() == unit


def test_every_page_form_carries_a_csrf_token(as_user):
    c = as_user("admin")
    for url in ("/login", "/units/new", "/people/new", "/account/password", "/"):
        r = c.get(url)
        assert r.status_code == 200, url
        forms = r.text.count("<form method=\"post\"") + r.text.count("<form class=\"inline\" method=\"post\"")
        assert r.text.count('name="_csrf_token"') >= forms >= 1, url


def test_login_without_csrf_is_refused(client):
    r = client.post("/login", data={"username": "secretary", "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert SESSION_COOKIE not in r.cookies


# ---------------------------------------------------------------- API tokens

def test_api_refuses_a_session_cookie(as_user):
    c = as_user("secretary")
    assert c.get("/units").status_code == 200  # the cookie works for pages …
    r = c.get("/api/v1/units")  # … and never for the API
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401


async def test_bearer_token_works_and_a_revoked_one_does_not(client):
    token = await services.create_token(SYSTEM, "secretary", name="test")
    assert token.startswith(services.TOKEN_PREFIX)
    auth = {"Authorization": f"Bearer {token}"}
    r = client.get("/api/v1/units", headers=auth)
    assert r.status_code == 200
    assert r.json()["total"] > 0
    # The token is stored as a hash only.
    row = await ApiToken.select().where(ApiToken.prefix == token[:12]).first()
    assert row["token_hash"] != token and token not in str(row)
    # A bearer token does not sign in pages.
    assert client.get("/units", headers=auth, follow_redirects=False).status_code in (302, 303, 307)
    await services.revoke_token(SYSTEM, token[:12])
    r = client.get("/api/v1/units", headers=auth)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("header", ["Bearer ", "Bearer cncl_not-a-real-token", "Basic c2VjcmV0YXJ5OmNvdW5jaWwtZGVtbw==",
                                    "cncl_token-without-scheme"])
def test_bad_authorization_headers_are_401(client, header):
    r = client.get("/api/v1/units", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["status"] == 401


async def test_token_of_a_deactivated_user_stops_working(client, fresh_user):
    token = await services.create_token(SYSTEM, fresh_user)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/units", headers=auth).status_code == 200
    await User.update({User.is_active: False}).where(User.username == fresh_user)
    assert client.get("/api/v1/units", headers=auth).status_code == 401


async def test_parallel_guesses_each_count(fresh_throttle):
    """Twenty guesses sent at once each see the count the one before left: the waits rise as for
    twenty guesses in a row (a read-then-write count lost them under PostgreSQL's READ COMMITTED)."""
    import asyncio

    from council.accounts import ratelimit

    ip, user = f"ip:203.0.113.{secrets.randbelow(200)}", f"user:guess-{secrets.token_hex(4)}"
    waits = await asyncio.gather(*(fresh_throttle.attempt(ip, user) for _ in range(20)))
    assert await fresh_throttle.attempts(ip) == 20
    assert await fresh_throttle.attempts(user) == 20
    expected = [max(ratelimit.delay_for(n, "ip"), ratelimit.delay_for(n, "user")) for n in range(20)]
    assert sorted(waits) == sorted(expected)
    await fresh_throttle.forget(ip, user)
