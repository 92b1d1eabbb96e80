"""Accounts hardening (issue 14, "The web layer"): CSRF tokens bound to the session, expired
sessions purged, Argon2 hashes upgraded, password rules, and API token scope and expiry — the
scope checked on every write route of the API (found from app.routes)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from council.accounts import passwords, services
from council.accounts.csrf import COOKIE, token_for
from council.accounts.middleware import SESSION_COOKIE
from council.accounts.principal import SYSTEM
from council.accounts.tables import ApiToken, Session, User
from council.audit.tables import AuditEntry
from council.core.errors import Invalid
from council.stations.tables import Station
from tests.support import DEMO_PASSWORD, csrf_token, login, post_form
from tests.test_matrix import PARAM

PASSWORD = "a-long-enough-secret-9"
PROBLEM = "application/problem+json"


@pytest.fixture
async def fresh_user():
    station = await Station.select(Station.id).where(Station.case_prefix == "ZXL").first()
    username = f"hard_{secrets.token_hex(4)}"
    await services.create_user(SYSTEM, username=username, password=PASSWORD, role="secretary",
                               station_ids=[station["id"]])
    return username


# ---------------------------------------------------------------- CSRF bound to the session

def test_signed_in_browser_holds_the_session_token(app, fresh_user):
    with TestClient(app=app) as c:
        login(c, fresh_user, PASSWORD)
        session = c.cookies.get(SESSION_COOKIE)
        assert c.cookies.get(COOKIE) == token_for(app.state.settings.secret_key, services.session_hash(session))


def test_a_token_from_before_sign_in_or_another_session_is_refused(app, fresh_user):
    with TestClient(app=app) as attacker, TestClient(app=app) as victim:
        planted = csrf_token(attacker)  # a valid, signed token the attacker knows
        login(attacker, fresh_user, PASSWORD)
        theirs = attacker.cookies.get(COOKIE)
        login(victim, fresh_user, PASSWORD)
        for token in (planted, theirs):
            # The attacker plants their cookie in the victim's browser and posts a form with it.
            victim.cookies.delete(COOKIE)
            victim.cookies.set(COOKIE, token)
            r = victim.post("/locale", data={"locale": "en", "_csrf_token": token, "next": "/"},
                            follow_redirects=False)
            assert r.status_code == 403, token
        # The victim's own pages carry the right token again and their forms work.
        victim.cookies.delete(COOKIE)
        victim.get("/")
        assert post_form(victim, "/locale", {"locale": "zh_CN", "next": "/"}).status_code == 303


# ---------------------------------------------------------------- sessions and hashes

async def test_expired_sessions_are_purged_at_sign_in(app, fresh_user):
    user = await User.select().where(User.username == fresh_user).first()
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    await Session.insert(Session(token_hash=secrets.token_hex(32), user=user["id"], created_at=past, expires_at=past))
    assert await Session.count().where(Session.expires_at < dt.datetime.now(dt.timezone.utc)) >= 1
    with TestClient(app=app) as c:
        login(c, fresh_user, PASSWORD)
    assert await Session.count().where(Session.expires_at < dt.datetime.now(dt.timezone.utc)) == 0


async def test_an_old_hash_is_upgraded_at_sign_in(app, fresh_user):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await User.update({User.password_hash: weak}).where(User.username == fresh_user)
    assert passwords.needs_rehash(weak)
    with TestClient(app=app) as c:
        login(c, fresh_user, PASSWORD)
    stored = (await User.select(User.password_hash).where(User.username == fresh_user).first())["password_hash"]
    assert stored != weak and not passwords.needs_rehash(stored) and passwords.verify_sync(stored, PASSWORD)
    assert await AuditEntry.exists().where(AuditEntry.action == "user.password_rehash")


@pytest.mark.parametrize("password,role,ok", [
    ("short-pw9", "secretary", False),       # 9 characters: too short for staff
    ("long-enough-10", "secretary", True),
    ("qwertyuiop", "secretary", False),      # 10 characters, but among the most common
    ("1234567890", "admin", False),
    ("short-pw9", "resident", True),          # residents: 8 characters
    ("password", "resident", False),
])
def test_password_rules(password, role, ok):
    if ok:
        passwords.check_strength(password, role)
    else:
        with pytest.raises(ValueError):
            passwords.check_strength(password, role)


async def test_staff_cannot_be_given_a_common_password():
    station = await Station.select(Station.id).first()
    with pytest.raises(Invalid) as e:
        await services.create_user(SYSTEM, username=f"weak_{secrets.token_hex(3)}", password="qwertyuiop",
                                   role="grid_worker", station_ids=[station["id"]])
    assert "password" in e.value.errors


# ---------------------------------------------------------------- API token scope and expiry

@pytest.fixture(scope="module")
async def read_token() -> str:
    return await services.create_token(SYSTEM, "admin", "read only", scope="read")


def api_write_routes(app) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for method in sorted(getattr(route, "methods", ()) or ()):
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                out.append((method, PARAM.sub("999999999", route.path)))
    return out


def test_a_read_only_token_reads_and_cannot_write_on_any_route(app, client, read_token):
    h = {"Authorization": f"Bearer {read_token}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    routes = api_write_routes(app)
    assert len(routes) > 20
    failures = []
    for method, url in routes:
        r = client.request(method, url, headers=h, json={})
        if r.status_code != 403 or not r.headers.get("content-type", "").startswith(PROBLEM):
            failures.append(f"{method} {url}: {r.status_code} {r.headers.get('content-type')}")
    assert not failures, "\n".join(failures[:20])


async def test_an_expired_token_gets_401(client):
    token = await services.create_token(SYSTEM, "admin", "soon", expires_at=dt.datetime.now(dt.timezone.utc)
                                        + dt.timedelta(hours=1))
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    await ApiToken.update({ApiToken.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}).where(
        ApiToken.prefix == token[:12])
    r = client.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)


async def test_token_terms_are_checked():
    with pytest.raises(Invalid):
        await services.create_token(SYSTEM, "admin", "x", scope="admin")
    with pytest.raises(Invalid):
        await services.create_token(SYSTEM, "admin", "x", expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(Invalid):
        services.parse_expiry("10000-01-01")
    assert services.parse_expiry("2027-01-01") == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.timezone.utc)


def test_cli_creates_a_scoped_expiring_token(client):
    from council.cli import main

    result = CliRunner().invoke(main, ["token", "create", "admin", "--name", "cli", "--scope", "read",
                                       "--expires", "2031-01-01"])
    assert result.exit_code == 0, result.output
    h = {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert client.post("/api/v1/cases", headers=h, json={}).status_code == 403
    bad = CliRunner().invoke(main, ["token", "create", "admin", "--expires", "not-a-date"])
    assert bad.exit_code != 0


def test_admin_page_creates_a_read_only_token(as_user):
    admin = as_user("admin")
    user_id = 1
    r = post_form(admin, f"/users/{user_id}/tokens", {"name": "page", "scope": "read", "expires_at": "2031-05-01"})
    assert r.status_code == 201, r.text[:300]
    assert "只读" in r.text or "Read only" in r.text
    r = post_form(admin, f"/users/{user_id}/tokens", {"name": "page", "scope": "read", "expires_at": "10000-01-01"})
    assert r.status_code == 422
