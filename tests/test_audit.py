"""The audit log: append-only in the database, written by every change with only what changed,
and readable by admins (everything) and secretaries (their own stations only)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from council import db
from council.accounts import services
from council.accounts.principal import SYSTEM
from council.accounts.tables import User, UserStation
from council.audit.queries import LOCAL
from council.audit.tables import AuditEntry
from council.core import registry
from council.core.registry import REGISTERS
from council.people.tables import Person
from council.stations.tables import Room, Station
from tests.support import post_form


async def _user_id(username: str) -> int:
    return (await User.select(User.id).where(User.username == username).first())["id"]


async def _secretary_station() -> int:
    uid = await _user_id("secretary")
    return (await UserStation.select(UserStation.station).where(UserStation.user == uid).first())["station"]


async def _bearer(client, username: str) -> dict:
    token = await services.create_token(SYSTEM, username, "test")
    return {"Authorization": f"Bearer {token}"}


async def _other_station() -> tuple[int, int]:
    """A second station with a room, created by the system: neither is the secretary's."""
    community = (await Station.select(Station.community).where(Station.id == await _secretary_station()).first())["community"]
    station_id = await registry.create_row(SYSTEM, REGISTERS["stations"], {
        "community": str(community), "address": "测试路1号", "name": f"第二驿站{secrets.token_hex(2)}", "case_prefix": f"T{secrets.token_hex(3).upper()}",
        "reception_weekday": "2", "reception_start": "09:00", "reception_end": "11:00",
    })
    room_id = await registry.create_row(SYSTEM, REGISTERS["rooms"], {"station": str(station_id), "name": "活动室", "capacity": "12"})
    return station_id, room_id


# ---------------------------------------------------------------- append-only

@pytest.mark.parametrize("sql", [
    'UPDATE "audit_entry" SET "action" = \'tampered\'',
    'DELETE FROM "audit_entry"',
])
async def test_the_database_refuses_to_change_or_delete_entries(sql):
    before = await AuditEntry.select(AuditEntry.id, AuditEntry.action).order_by(AuditEntry.id)
    assert before, "the demo load writes at least one entry"
    with pytest.raises(Exception) as caught:
        await db.engine().run_ddl(sql)
    assert "append-only" in str(caught.value)
    after = await AuditEntry.select(AuditEntry.id, AuditEntry.action).where(AuditEntry.id <= before[-1]["id"]).order_by(AuditEntry.id)
    assert after == before


# ---------------------------------------------------------------- writing

async def test_a_room_change_records_only_the_changed_field_and_the_actor(client, as_user):
    station_id = await _secretary_station()
    room = await Room.select().where(Room.station == station_id).order_by(Room.id).first()
    headers = await _bearer(client, "secretary")
    new_capacity = room["capacity"] + 7
    r = client.patch(f"/api/v1/rooms/{room['id']}", json={"version": room["version"], "capacity": new_capacity},
                     headers=headers)
    assert r.status_code == 200, r.text

    entry = await AuditEntry.select().where(
        (AuditEntry.action == "room.update") & (AuditEntry.entity_id == room["id"])
    ).order_by(AuditEntry.id, ascending=False).output(load_json=True).first()
    assert entry["before"] == {"capacity": room["capacity"]}
    assert entry["after"] == {"capacity": new_capacity}
    assert entry["actor"] == await _user_id("secretary")
    assert entry["station"] == station_id

    # The API shows the same entry, and the page shows it with the time in Beijing time.
    r = client.get("/api/v1/audit", params={"entity_type": "room", "entity_id": room["id"]}, headers=headers)
    assert r.status_code == 200, r.text
    item = r.json()["items"][0]
    assert item["id"] == entry["id"] and item["actor_username"] == "secretary"
    assert item["before"] == {"capacity": room["capacity"]} and item["after"] == {"capacity": new_capacity}
    assert item["ip"] is None  # staff addresses are for admins
    page = as_user("secretary").get(f"/audit/{entry['id']}")
    assert page.status_code == 200
    assert entry["at"].astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S") in page.text
    assert f"<del>{room['capacity']}</del>" in page.text and f"<ins>{new_capacity}</ins>" in page.text


async def test_recorded_phone_numbers_are_masked_when_read(client):
    person = await Person.select().where(Person.anonymised_at.is_null()).order_by(Person.id).first()
    new_phone = "139" + f"{secrets.randbelow(10**8):08d}"
    await registry.update_row(SYSTEM, REGISTERS["people"], person["id"], {"phone": new_phone}, person["version"])
    r = client.get("/api/v1/audit", params={"entity_type": "person", "entity_id": person["id"], "action": "person.update"},
                   headers=await _bearer(client, "admin"))
    assert r.status_code == 200, r.text
    item = r.json()["items"][0]
    assert item["after"]["phone"] == f"{new_phone[:3]}****{new_phone[-4:]}"
    assert new_phone not in r.text


# ---------------------------------------------------------------- who reads what

async def test_a_secretary_sees_her_station_only(client, as_user):
    own = await _secretary_station()
    other_station, other_room = await _other_station()
    other_entry = await AuditEntry.select(AuditEntry.id).where(
        (AuditEntry.action == "room.create") & (AuditEntry.entity_id == other_room)).first()
    assert other_entry is not None

    secretary = await _bearer(client, "secretary")
    r = client.get("/api/v1/audit", params={"per_page": 200}, headers=secretary)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items and {i["station_id"] for i in items} == {own}  # no other station, no station-less entries
    assert client.get(f"/api/v1/audit/{other_entry['id']}", headers=secretary).status_code == 404
    assert client.get("/api/v1/audit", params={"station": other_station}, headers=secretary).status_code == 404

    page = as_user("secretary").get("/audit", params={"entity_type": "room"})
    assert page.status_code == 200
    other_name = (await Station.select(Station.name).where(Station.id == other_station).first())["name"]
    assert other_name not in page.text
    assert as_user("secretary").get(f"/audit/{other_entry['id']}").status_code == 404

    admin = await _bearer(client, "admin")
    r = client.get("/api/v1/audit", params={"station": other_station}, headers=admin)
    items = r.json()["items"]
    assert other_entry["id"] in {i["id"] for i in items} and {i["station_id"] for i in items} == {other_station}
    assert client.get(f"/api/v1/audit/{other_entry['id']}", headers=admin).json()["station_name"] == other_name
    assert other_name in as_user("admin").get("/audit", params={"station": other_station}).text


@pytest.mark.parametrize("username", ["gridworker", "mediator", "liaison", "resident"])
async def test_other_roles_may_not_read_the_log(client, as_user, username):
    c = as_user(username)
    assert c.get("/audit").status_code == 403
    entry = await AuditEntry.select(AuditEntry.id).first()
    assert c.get(f"/audit/{entry['id']}").status_code == 403
    r = client.get("/api/v1/audit", headers=await _bearer(client, username))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


def test_signed_out_readers_are_sent_to_sign_in(client):
    r = client.get("/audit", follow_redirects=False)
    assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login")
    assert client.get("/api/v1/audit").status_code == 401


# ---------------------------------------------------------------- filters and pages

async def test_filters_by_action_actor_and_local_dates(client, as_user):
    admin = await _bearer(client, "admin")
    as_user("secretary")  # two fresh sign-ins: user.login entries by the secretary, today
    as_user("secretary")

    def ids(**params):
        r = client.get("/api/v1/audit", params={"per_page": 200, **params}, headers=admin)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    logins = ids(action="user.log", actor="secretary")
    assert logins and all(i["action"] in ("user.login", "user.logout") for i in logins)
    assert all(i["actor_username"] == "secretary" for i in logins)
    by_name = ids(action="user.login", actor="王秀英")  # part of the name recorded at the time
    assert {i["id"] for i in by_name} <= {i["id"] for i in logins} and by_name

    today = dt.datetime.now(LOCAL).date()
    assert ids(action="user.login", actor="secretary", date_from=today.isoformat(), date_to=today.isoformat())
    assert not ids(action="user.login", date_to=(today - dt.timedelta(days=1)).isoformat())
    assert not ids(action="user.login", date_from=(today + dt.timedelta(days=1)).isoformat())

    # Newest first, page by page.
    first = ids(action="user.login")
    r1 = client.get("/api/v1/audit", params={"action": "user.login", "per_page": 1, "page": 1}, headers=admin).json()
    r2 = client.get("/api/v1/audit", params={"action": "user.login", "per_page": 1, "page": 2}, headers=admin).json()
    assert r1["total"] == len(first) >= 2
    assert [r1["items"][0]["id"], r2["items"][0]["id"]] == [first[0]["id"], first[1]["id"]]
    assert first[0]["at"] >= first[1]["at"]


async def test_bad_filters_are_refused_not_ignored(client, as_user):
    admin = as_user("admin")
    r = admin.get("/audit", params={"date_from": "2026-13-40"})
    assert r.status_code == 422 and 'class="field-error"' in r.text
    r = admin.get("/audit", params={"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert r.status_code == 422
    headers = await _bearer(client, "admin")
    assert client.get("/api/v1/audit", params={"date_from": "nope"}, headers=headers).status_code == 400
    assert client.get("/api/v1/audit", params={"per_page": 1000}, headers=headers).status_code == 422


async def test_the_page_lists_entries_with_a_diff_and_pagination(as_user):
    # A room of its own: renaming the demo's rooms would break the tests that book them by name.
    room_id = await registry.create_row(SYSTEM, REGISTERS["rooms"], {
        "station": str(await _secretary_station()), "name": f"活动室{secrets.token_hex(2)}", "capacity": "6"})
    room = await Room.select().where(Room.id == room_id).first()
    await registry.update_row(SYSTEM, REGISTERS["rooms"], room["id"], {"name": room["name"] + "甲"}, room["version"])
    admin = as_user("admin")
    r = admin.get("/audit")
    assert r.status_code == 200
    assert "demo.load" in r.text or "user.login" in r.text
    total = await AuditEntry.count()
    if total > 50:
        assert "?page=2" in r.text
    r = admin.get("/audit", params={"action": "room.update"})
    assert r.status_code == 200
    assert f"<del>{room['name']}</del>" in r.text and f"<ins>{room['name']}甲</ins>" in r.text


def test_the_openapi_schema_describes_the_audit_api(client):
    schema = client.get("/api/v1/schema/openapi.json").json()
    names = set(schema["components"]["schemas"])
    assert {"AuditEntryOut", "AuditPage", "Me"} <= names
    assert "/api/v1/audit" in schema["paths"] and "/api/v1/me" in schema["paths"]
