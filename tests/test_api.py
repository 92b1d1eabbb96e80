"""The register API (/api/v1): bad input gets problem details and writes nothing, optimistic
locking holds under concurrency, personal data is masked and every full view is logged."""

from __future__ import annotations

import asyncio
import secrets
from decimal import Decimal

import httpx
import pytest

from council.accounts import services
from council.accounts.principal import SYSTEM
from council.audit.tables import AuditEntry
from council.people.tables import Person
from council.places.tables import Building, Estate, Unit
from council.stations.tables import Room

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def auth() -> dict[str, dict[str, str]]:
    tokens = {}
    for username in ("admin", "secretary", "gridworker", "mediator"):
        tokens[username] = {"Authorization": f"Bearer {await services.create_token(SYSTEM, username, name='api-test')}"}
    return tokens


@pytest.fixture(scope="module")
async def place() -> dict:
    estate = await Estate.select().where(Estate.name == "中南悦园").first()
    building = await Building.select().where((Building.estate == estate["id"]) & (Building.number == "3栋")).first()
    return {"estate": estate["id"], "building": building["id"], "community": estate["community"]}


def unique_number() -> str:
    return f"T{secrets.token_hex(3)}"


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and body["title"] and "type" in body
    return body


async def units_in(estate: int) -> int:
    return await Unit.count().where(Unit.estate == estate)


# ---------------------------------------------------------------- creating

async def test_create_unit_and_read_it_back(client, auth, place):
    number = unique_number()
    audits = await AuditEntry.count().where(AuditEntry.action == "unit.create")
    r = client.post("/api/v1/units", headers=auth["secretary"], json={
        "building": place["building"], "number": number, "area_m2": "96.12", "area_source": "surveyed"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["number"] == number and body["area_m2"] == "96.12" and body["version"] == 1
    assert body["building_label"] == "3栋"
    row = await Unit.select().where(Unit.id == body["id"]).first()
    # The estate and community are derived from the building, never taken from the client.
    assert row["estate"] == place["estate"] and row["community"] == place["community"]
    assert await AuditEntry.count().where(AuditEntry.action == "unit.create") == audits + 1
    assert client.get(f"/api/v1/units/{body['id']}", headers=auth["gridworker"]).json()["number"] == number


@pytest.mark.parametrize("extra", [{"colour": "red"}, {"estate": 1}, {"community": 1}, {"version": 1}])
async def test_unknown_field_is_refused_by_name(client, auth, place, extra):
    before = await units_in(place["estate"])
    payload = {"building": place["building"], "number": unique_number(), "area_m2": "50", "area_source": "registered",
               **extra}
    body = assert_problem(client.post("/api/v1/units", headers=auth["secretary"], json=payload), 400)
    assert next(iter(extra)) in str(body)
    assert await units_in(place["estate"]) == before


@pytest.mark.parametrize("payload, field", [
    ({"number": 5}, "number"),
    ({"area_m2": "abc"}, "area_m2"),
    ({"area_m2": [1]}, "area_m2"),
    ({"building": "three"}, "building"),
    ({"developer_unsold": "perhaps"}, "developer_unsold"),
    ({"area_source": "guessed"}, "area_source"),
])
async def test_wrong_type_is_refused(client, auth, place, payload, field):
    before = await units_in(place["estate"])
    good = {"building": place["building"], "number": unique_number(), "area_m2": "50", "area_source": "registered"}
    r = client.post("/api/v1/units", headers=auth["secretary"], json={**good, **payload})
    assert r.status_code in (400, 422), r.text
    body = assert_problem(r, r.status_code)
    assert field in str(body)
    assert await units_in(place["estate"]) == before


@pytest.mark.parametrize("area", ["0", "0.00", "-1", "-0.01", 0, -5, "1.234"])
async def test_area_must_be_positive(client, auth, place, area):
    before = await units_in(place["estate"])
    r = client.post("/api/v1/units", headers=auth["secretary"], json={
        "building": place["building"], "number": unique_number(), "area_m2": area, "area_source": "registered"})
    body = assert_problem(r, 422)
    assert "area_m2" in body["errors"]
    assert await units_in(place["estate"]) == before


async def test_problem_details_speak_chinese_by_default_and_english_on_request(client, auth, place):
    payload = {"building": place["building"], "number": unique_number(), "area_m2": "0", "area_source": "registered"}
    zh = assert_problem(client.post("/api/v1/units", headers=auth["secretary"], json=payload), 422)
    assert zh["errors"]["area_m2"] == "面积必须大于 0。"
    assert zh["detail"] == "请修改标出的内容。"
    en = assert_problem(client.post("/api/v1/units", headers={**auth["secretary"], "Accept-Language": "en"},
                                    json=payload), 422)
    assert en["errors"]["area_m2"] == "The floor area must be greater than 0."


async def test_duplicate_unit_number_in_an_estate_is_a_conflict(client, auth, place):
    before = await units_in(place["estate"])
    # 3-1502 exists in 中南悦园 (building 3); the same number in another building of the estate clashes too.
    other_building = await Building.select().where(
        (Building.estate == place["estate"]) & (Building.number == "4栋")).first()
    for building in (place["building"], other_building["id"]):
        r = client.post("/api/v1/units", headers=auth["secretary"], json={
            "building": building, "number": "3-1502", "area_m2": "50", "area_source": "registered"})
        body = assert_problem(r, 409)
        assert "number" in body["errors"]
        assert body["detail"] == "该小区已有相同房号的房屋。"
    assert await units_in(place["estate"]) == before


async def test_same_unit_number_in_another_estate_is_fine(client, auth):
    other = await Estate.select().where(Estate.name == "华佳梅苑").first()
    building = await Building.select().where(Building.estate == other["id"]).first()
    number = "3-1502"  # the 中南悦园 number; 华佳梅苑 has only six floors, so it is free there
    assert not await Unit.exists().where((Unit.estate == other["id"]) & (Unit.number == number))
    r = client.post("/api/v1/units", headers=auth["secretary"], json={
        "building": building["id"], "number": number, "area_m2": "70", "area_source": "registered"})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("payload, field", [
    ({"phone": "12345"}, "phone"),
    ({"phone": "2381234123x"}, "phone"),
    ({"id_number": "110105194912310021"}, "id_number"),
    ({"id_number": "1101051949"}, "id_number"),
    ({"name": ""}, "name"),
    ({"name": "长" * 101}, "name"),
])
async def test_bad_person_details_are_refused(client, auth, place, payload, field):
    before = await Person.count()
    r = client.post("/api/v1/people", headers=auth["secretary"],
                    json={"community": place["community"], "name": "测试居民", **payload})
    body = assert_problem(r, 422)
    assert field in body["errors"]
    assert await Person.count() == before


async def test_missing_required_field_is_named(client, auth, place):
    r = client.post("/api/v1/units", headers=auth["secretary"], json={"building": place["building"], "number": "x"})
    body = assert_problem(r, 400)
    assert "area_m2" in str(body)


# ---------------------------------------------------------------- updating

async def make_unit(client, auth, place) -> dict:
    r = client.post("/api/v1/units", headers=auth["secretary"], json={
        "building": place["building"], "number": unique_number(), "area_m2": "80", "area_source": "registered"})
    assert r.status_code == 201, r.text
    return r.json()


async def test_patch_changes_only_what_was_sent(client, auth, place):
    unit = await make_unit(client, auth, place)
    r = client.patch(f"/api/v1/units/{unit['id']}", headers=auth["secretary"], json={"version": 1, "area_m2": "81.50"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert Decimal(body["area_m2"]) == Decimal("81.5") and body["version"] == 2 and body["number"] == unit["number"]
    entry = await AuditEntry.select().where(
        (AuditEntry.action == "unit.update") & (AuditEntry.entity_id == unit["id"])).output(load_json=True).first()
    assert set(entry["before"]) == set(entry["after"]) == {"area_m2"}  # only what changed
    assert Decimal(entry["before"]["area_m2"]) == Decimal("80") and Decimal(entry["after"]["area_m2"]) == Decimal("81.5")


async def test_stale_version_is_a_conflict_and_changes_nothing(client, auth, place):
    unit = await make_unit(client, auth, place)
    assert client.patch(f"/api/v1/units/{unit['id']}", headers=auth["secretary"],
                        json={"version": 1, "area_m2": "90"}).status_code == 200
    before = await Unit.select().where(Unit.id == unit["id"]).first()
    body = assert_problem(client.patch(f"/api/v1/units/{unit['id']}", headers=auth["admin"],
                                       json={"version": 1, "area_m2": "91"}), 409)
    assert "其他人" in body["detail"]
    assert await Unit.select().where(Unit.id == unit["id"]).first() == before


@pytest.mark.parametrize("payload", [{"area_m2": "1"}, {"version": "one", "area_m2": "1"}, {"version": 1, "building": 1},
                                     {"version": 1, "area_m2": "0"}, {"version": 1, "colour": "red"}])
async def test_bad_patches_change_nothing(client, auth, place, payload):
    unit = await make_unit(client, auth, place)
    before = await Unit.select().where(Unit.id == unit["id"]).first()
    r = client.patch(f"/api/v1/units/{unit['id']}", headers=auth["secretary"], json=payload)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert await Unit.select().where(Unit.id == unit["id"]).first() == before


async def test_patch_into_a_duplicate_number_is_a_conflict(client, auth, place):
    unit = await make_unit(client, auth, place)
    body = assert_problem(client.patch(f"/api/v1/units/{unit['id']}", headers=auth["secretary"],
                                       json={"version": 1, "number": "3-1502"}), 409)
    assert "number" in body["errors"]
    assert (await Unit.select(Unit.number).where(Unit.id == unit["id"]).first())["number"] == unit["number"]


async def test_concurrent_patches_with_the_same_version_one_wins(app, auth, place):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://council.test") as first:
        r = await first.post("/api/v1/units", headers=auth["secretary"], json={
            "building": place["building"], "number": unique_number(), "area_m2": "80", "area_source": "registered"})
        assert r.status_code == 201, r.text
        unit = r.json()
        url = f"/api/v1/units/{unit['id']}"
        results = await asyncio.gather(*[
            first.patch(url, headers=auth["secretary" if i % 2 else "admin"], json={"version": 1, "area_m2": f"{100 + i}"})
            for i in range(4)
        ])
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_code == 200).json()
    row = await Unit.select().where(Unit.id == unit["id"]).first()
    assert row["version"] == 2
    assert Decimal(str(row["area_m2"])) == Decimal(winner["area_m2"])
    assert await AuditEntry.count().where(
        (AuditEntry.action == "unit.update") & (AuditEntry.entity_id == unit["id"])) == 1


async def test_concurrent_creates_of_one_number_one_wins(app, auth, place):
    number = unique_number()
    before = await units_in(place["estate"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://council.test") as c:
        results = await asyncio.gather(*[
            c.post("/api/v1/units", headers=auth["secretary"], json={
                "building": place["building"], "number": number, "area_m2": "80", "area_source": "registered"})
            for _ in range(3)
        ])
    assert sorted(r.status_code for r in results) == [201, 409, 409], [r.text for r in results]
    assert await units_in(place["estate"]) == before + 1


async def test_not_found_is_problem_json(client, auth):
    assert_problem(client.get("/api/v1/units/999999999", headers=auth["secretary"]), 404)
    assert_problem(client.patch("/api/v1/units/999999999", headers=auth["secretary"], json={"version": 1}), 404)


async def test_empty_optional_fields_store_defaults(client, auth):
    """A room without a seat count and an organisation without working hours are fine."""
    station = (await Room.select(Room.station).first())["station"]
    r = client.post("/api/v1/rooms", headers=auth["secretary"], json={"station": station, "name": f"活动室{secrets.token_hex(2)}"})
    assert r.status_code == 201, r.text
    assert r.json()["capacity"] == 10
    r = client.patch(f"/api/v1/rooms/{r.json()['id']}", headers=auth["secretary"], json={"version": 1, "capacity": None})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- personal data

async def demo_person() -> dict:
    return await Person.select().where((Person.phone != "") & Person.anonymised_at.is_null()).order_by(Person.id).first()


async def test_phone_numbers_are_masked_in_lists_and_reads(client, auth):
    person = await demo_person()
    for who in ("admin", "secretary", "gridworker", "mediator"):
        page = client.get("/api/v1/people", headers=auth[who]).json()
        assert page["items"]
        for item in page["items"]:
            if item["phone"]:
                assert "****" in item["phone"] and len(item["phone"]) == 11
        one = client.get(f"/api/v1/people/{person['id']}", headers=auth[who]).json()
        assert one["phone"] == person["phone"][:3] + "****" + person["phone"][-4:]
        assert person["phone"] not in client.get(f"/api/v1/people/{person['id']}", headers=auth[who]).text
    org = client.get("/api/v1/organisations", headers=auth["secretary"]).json()["items"][0]
    assert "*" in org["phone"]


async def test_reveal_shows_the_full_number_and_is_logged(client, auth):
    person = await demo_person()
    views = await AuditEntry.count().where((AuditEntry.action == "pii.view") & (AuditEntry.entity_id == person["id"]))
    r = client.post(f"/api/v1/people/{person['id']}/reveal", headers=auth["secretary"], json={"field": "phone"})
    assert r.status_code == 200, r.text
    assert r.json() == {"field": "phone", "value": person["phone"]}
    entry = await AuditEntry.select().where(
        (AuditEntry.action == "pii.view") & (AuditEntry.entity_id == person["id"])).order_by(
        AuditEntry.id, ascending=False).output(load_json=True).first()
    assert entry["entity_type"] == "person" and entry["after"] == {"field": "phone"}
    assert await AuditEntry.count().where(
        (AuditEntry.action == "pii.view") & (AuditEntry.entity_id == person["id"])) == views + 1
    assert client.post(f"/api/v1/people/{person['id']}/reveal", headers=auth["mediator"],
                       json={"field": "phone"}).status_code == 200


async def test_grid_worker_may_not_reveal(client, auth):
    person = await demo_person()
    views = await AuditEntry.count().where(AuditEntry.action == "pii.view")
    body = assert_problem(client.post(f"/api/v1/people/{person['id']}/reveal", headers=auth["gridworker"],
                                      json={"field": "phone"}), 403)
    assert person["phone"] not in str(body)
    assert await AuditEntry.count().where(AuditEntry.action == "pii.view") == views


@pytest.mark.parametrize("field", ["name", "note", "nope"])
async def test_reveal_only_personal_data_fields(client, auth, field):
    person = await demo_person()
    assert_problem(client.post(f"/api/v1/people/{person['id']}/reveal", headers=auth["secretary"],
                               json={"field": field}), 404)


async def test_masked_value_sent_back_does_not_overwrite(client, auth, place):
    r = client.post("/api/v1/people", headers=auth["secretary"],
                    json={"community": place["community"], "name": "回写测试", "phone": "13912345678"})
    assert r.status_code == 201, r.text
    person = r.json()
    assert person["phone"] == "139****5678"
    # An API client that sends the masked value back is refused; nothing is overwritten.
    r = client.patch(f"/api/v1/people/{person['id']}", headers=auth["secretary"],
                     json={"version": 1, "phone": person["phone"]})
    assert r.status_code == 422
    assert (await Person.select(Person.phone).where(Person.id == person["id"]).first())["phone"] == "13912345678"


async def test_a_token_records_when_it_was_last_used(client):
    from council.accounts.tables import ApiToken

    token = await services.create_token(SYSTEM, "secretary", name="last-used")
    row = await ApiToken.select().where(ApiToken.prefix == token[:12]).first()
    assert row["last_used_at"] is None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    first = (await ApiToken.select().where(ApiToken.id == row["id"]).first())["last_used_at"]
    assert first is not None
    # A second call minutes later does not rewrite it (no write per request).
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert (await ApiToken.select().where(ApiToken.id == row["id"]).first())["last_used_at"] == first
