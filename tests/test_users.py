"""User administration: only admins, every change audited, optimistic locking, deactivation
that really signs the user out, and API tokens that work until revoked.

Each test makes its own throwaway users, so the demo users other tests sign in as are untouched.
"""

from __future__ import annotations

import html
import re
import secrets

import pytest

from council.accounts import services
from council.accounts.principal import SYSTEM
from council.accounts.tables import ApiToken, Session, User, UserStation
from council.audit.tables import AuditEntry
from council.parties.tables import Organisation
from council.stations.tables import Station
from tests.support import DEMO_PASSWORD, login, post_form

PASSWORD = "a-long-test-password"


def _name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(3)}"


async def _station() -> int:
    return (await Station.select(Station.id).order_by(Station.id).first())["id"]


async def _user(username: str) -> dict:
    return await User.select().where(User.username == username).first()


async def _stations_of(user_id: int) -> list[int]:
    return sorted(r["station"] for r in await UserStation.select(UserStation.station).where(UserStation.user == user_id))


async def _throwaway(role: str = "grid_worker") -> dict:
    username = _name("tmp")
    await services.create_user(SYSTEM, username=username, password=PASSWORD, role=role, display_name="临时用户",
                               station_ids=[await _station()])
    return await _user(username)


async def _latest(action: str, entity_id: int) -> dict | None:
    return await AuditEntry.select().where((AuditEntry.action == action) & (AuditEntry.entity_id == entity_id)).order_by(
        AuditEntry.id, ascending=False).output(load_json=True).first()


# ---------------------------------------------------------------- who may

@pytest.mark.parametrize("username", ["secretary", "gridworker", "mediator", "liaison", "resident"])
async def test_only_admins_manage_users(client, as_user, username):
    target = await _throwaway()
    c = as_user(username)
    for url in ("/users", "/users/new", f"/users/{target['id']}"):
        assert c.get(url).status_code == 403, url
    count = await User.count()
    assert post_form(c, "/users/new", {"username": _name("x"), "role": "admin", "password": PASSWORD}).status_code == 403
    assert post_form(c, f"/users/{target['id']}", {"role": "admin", "version": str(target["version"]),
                                                    "is_active": "1"}).status_code == 403
    assert post_form(c, f"/users/{target['id']}/tokens", {"name": "x"}).status_code == 403
    assert post_form(c, f"/users/{target['id']}/password", {"password": PASSWORD, "confirm": PASSWORD}).status_code == 403
    assert await User.count() == count
    assert await _user(target["username"]) == target
    assert await ApiToken.count().where(ApiToken.user == target["id"]) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    r = client.get("/users", follow_redirects=False)
    assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login")


# ---------------------------------------------------------------- create

async def test_admin_creates_a_staff_user_who_can_sign_in(client, as_user):
    admin = as_user("admin")
    page = admin.get("/users/new")
    assert page.status_code == 200 and 'name="stations"' in page.text and "multiple" in page.text
    username = _name("new")
    station = await _station()
    r = post_form(admin, "/users/new", {"username": username, "display_name": "张三", "role": "secretary",
                                        "stations": [str(station)], "password": PASSWORD})
    assert r.status_code == 303, r.text
    user = await _user(username)
    assert r.headers["location"] == f"/users/{user['id']}?saved=1"
    assert user["role"] == "secretary" and user["display_name"] == "张三" and user["is_active"]
    assert await _stations_of(user["id"]) == [station]
    entry = await _latest("user.create", user["id"])
    assert entry["actor"] == (await _user("admin"))["id"] and entry["after"]["stations"] == [station]

    listing = admin.get("/users")
    assert listing.status_code == 200 and username in listing.text
    login(client, username, PASSWORD)
    assert client.get("/").status_code == 200


async def test_the_list_searches_and_filters_by_role(as_user):
    target = await _throwaway("mediator")
    admin = as_user("admin")
    r = admin.get("/users", params={"q": target["username"]})
    assert r.status_code == 200 and target["username"] in r.text and ">secretary<" not in r.text
    r = admin.get("/users", params={"role": "secretary"})
    assert ">secretary<" in r.text and target["username"] not in r.text
    users, total = await services.list_users(SYSTEM, role="mediator", per_page=1)
    assert len(users) == 1 and total == await User.count().where(User.role == "mediator") >= 2


async def test_bad_user_forms_change_nothing(as_user):
    admin = as_user("admin")
    count = await User.count()
    station = str(await _station())
    cases = [
        ({"username": _name("s"), "role": "secretary", "password": PASSWORD}, "stations", 422),
        ({"username": _name("l"), "role": "department_liaison", "password": PASSWORD}, "organisation", 422),
        ({"username": _name("r"), "role": "resident", "password": PASSWORD, "person": "99999999"}, "person", 422),
        ({"username": _name("p"), "role": "grid_worker", "stations": [station], "password": "short"}, "password", 422),
        ({"username": _name("u"), "role": "overlord", "password": PASSWORD}, "role", 422),
        ({"username": "admin", "role": "admin", "password": PASSWORD}, "username", 409),
    ]
    for data, field, status in cases:
        r = post_form(admin, "/users/new", data)
        assert r.status_code == status, (data, r.status_code)
        assert 'class="field-error"' in r.text, data
    assert await User.count() == count


async def test_liaisons_and_residents_are_bound_to_what_they_need(as_user):
    admin = as_user("admin")
    org = (await Organisation.select(Organisation.id).order_by(Organisation.id).first())["id"]
    username = _name("liaison")
    r = post_form(admin, "/users/new", {"username": username, "role": "department_liaison", "organisation": str(org),
                                        "stations": [str(await _station())], "password": PASSWORD})
    assert r.status_code == 303, r.text
    user = await _user(username)
    assert user["organisation"] == org and await _stations_of(user["id"]) == []  # a liaison serves no station


# ---------------------------------------------------------------- edit, locking, deactivation

async def test_edit_records_only_what_changed(as_user):
    target = await _throwaway()
    admin = as_user("admin")
    page = admin.get(f"/users/{target['id']}")
    assert page.status_code == 200 and f'name="version" value="{target["version"]}"' in page.text
    station = await _station()
    r = post_form(admin, f"/users/{target['id']}", {
        "display_name": "改名了", "role": "mediator", "stations": [str(station)], "is_active": "1",
        "version": str(target["version"]),
    })
    assert r.status_code == 303, r.text
    after = await _user(target["username"])
    assert (after["display_name"], after["role"], after["version"]) == ("改名了", "mediator", target["version"] + 1)
    entry = await _latest("user.update", target["id"])
    assert entry["before"] == {"role": "grid_worker", "display_name": "临时用户"}
    assert entry["after"] == {"role": "mediator", "display_name": "改名了"}


async def test_a_stale_version_is_refused_and_changes_nothing(as_user):
    target = await _throwaway()
    admin = as_user("admin")
    station = str(await _station())
    version = str(target["version"])
    first = post_form(admin, f"/users/{target['id']}", {"display_name": "第一次", "role": "grid_worker",
                                                         "stations": [station], "is_active": "1", "version": version})
    assert first.status_code == 303
    saved = await _user(target["username"])
    entries = await AuditEntry.count().where(AuditEntry.entity_type == "user")
    second = post_form(admin, f"/users/{target['id']}", {"display_name": "第二次", "role": "admin",
                                                          "stations": [station], "is_active": "", "version": version})
    assert second.status_code == 409
    assert 'class="alert"' in second.text and "第一次" in second.text  # the form shows what is stored now
    assert await _user(target["username"]) == saved
    assert await AuditEntry.count().where(AuditEntry.entity_type == "user") == entries


async def test_deactivating_ends_sessions_and_blocks_sign_in(client, as_user):
    target = await _throwaway()
    login(client, target["username"], PASSWORD)
    assert client.get("/", follow_redirects=False).status_code == 200
    assert await Session.count().where(Session.user == target["id"]) >= 1

    admin = as_user("admin")
    r = post_form(admin, f"/users/{target['id']}", {"display_name": target["display_name"], "role": "grid_worker",
                                                     "stations": [str(await _station())], "version": str(target["version"])})
    assert r.status_code == 303, r.text  # the unticked "active" box sends nothing
    assert not (await _user(target["username"]))["is_active"]
    assert await Session.count().where(Session.user == target["id"]) == 0
    r = client.get("/", follow_redirects=False)
    assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login")
    r = post_form(client, "/login", {"username": target["username"], "password": PASSWORD, "next": "/"})
    assert r.status_code == 401
    assert (await _latest("user.update", target["id"]))["after"] == {"is_active": False}


async def test_an_admin_cannot_lock_themselves_out(as_user):
    admin_row = await _user("admin")
    admin = as_user("admin")
    r = post_form(admin, f"/users/{admin_row['id']}", {"display_name": admin_row["display_name"], "role": "secretary",
                                                        "stations": [str(await _station())], "is_active": "1",
                                                        "version": str(admin_row["version"])})
    assert r.status_code == 403
    assert await _user("admin") == admin_row


async def test_admin_sets_a_new_password(client, as_user):
    target = await _throwaway()
    admin = as_user("admin")
    r = post_form(admin, f"/users/{target['id']}/password", {"password": "new-password-1", "confirm": "other"})
    assert r.status_code == 422
    r = post_form(admin, f"/users/{target['id']}/password", {"password": "new-password-1", "confirm": "new-password-1"})
    assert r.status_code == 303
    login(client, target["username"], "new-password-1")
    assert await _latest("user.password_reset", target["id"]) is not None


# ---------------------------------------------------------------- API tokens

async def test_a_token_from_the_page_works_until_revoked(client, as_user):
    target = await _throwaway("secretary")
    admin = as_user("admin")
    r = post_form(admin, f"/users/{target['id']}/tokens", {"name": "区级看板"})
    assert r.status_code == 201, r.text
    assert r.headers.get("cache-control") == "no-store"
    token = html.unescape(re.search(r"data-token>([^<]+)<", r.text).group(1))
    assert token.startswith("cncl_")

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["username"] == target["username"] and body["role"] == "secretary"
    assert [s["id"] for s in body["stations"]] == await _stations_of(target["id"]) and body["via"] == "token"

    # The secret is shown once: the user's page lists the token by its prefix only.
    again = admin.get(f"/users/{target['id']}")
    assert token not in again.text and token[:12] in again.text

    row = await ApiToken.select().where(ApiToken.user == target["id"]).first()
    r = post_form(admin, f"/users/{target['id']}/tokens/{row['id']}/revoke", {})
    assert r.status_code == 303
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert post_form(admin, f"/users/{target['id']}/tokens/{row['id']}/revoke", {}).status_code == 409
    assert (await _latest("token.revoke", row["id"]))["actor"] == (await _user("admin"))["id"]


async def test_a_token_belongs_to_its_user_only(as_user):
    one, other = await _throwaway(), await _throwaway()
    token = await services.create_token(SYSTEM, one["username"], "x")
    row = await ApiToken.select().where(ApiToken.prefix == token[:12]).first()
    r = post_form(as_user("admin"), f"/users/{other['id']}/tokens/{row['id']}/revoke", {})
    assert r.status_code == 404
    assert (await ApiToken.select(ApiToken.revoked_at).where(ApiToken.id == row["id"]).first())["revoked_at"] is None


async def test_a_deactivated_users_token_stops_working(client, as_user):
    target = await _throwaway()
    token = await services.create_token(SYSTEM, target["username"], "x")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    await services.update_user(SYSTEM, target["id"], version=target["version"], role=target["role"],
                               display_name=target["display_name"], station_ids=await _stations_of(target["id"]),
                               is_active=False)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_me_needs_a_bearer_token_not_a_cookie(client):
    assert client.get("/api/v1/me").status_code == 401
    login(client, "secretary", DEMO_PASSWORD)
    assert client.get("/api/v1/me").status_code == 401
