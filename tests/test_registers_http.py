"""The register pages: forms refuse bad input with the field marked and a message in Chinese,
and write nothing; edits are optimistic-locked; phone and ID numbers are masked and every
full view is logged."""

from __future__ import annotations

import re
import secrets

import pytest

from council.audit.tables import AuditEntry
from council.core import i18n
from council.people.tables import Person
from council.places.tables import Building, Estate, Unit
from council.stations.tables import Room, Station
from tests.support import post_form


@pytest.fixture(scope="module")
async def place() -> dict:
    estate = await Estate.select().where(Estate.name == "中南悦园").first()
    building = await Building.select().where((Building.estate == estate["id"]) & (Building.number == "3栋")).first()
    return {"estate": estate["id"], "building": building["id"], "community": estate["community"]}


def unit_form(place: dict, **over) -> dict:
    return {"building": str(place["building"]), "number": f"P{secrets.token_hex(3)}", "area_m2": "88.80",
            "area_source": "registered", **over}


def marked(html: str, field: str) -> bool:
    """The field's wrapper carries the error class and the error text follows it."""
    blocks = re.findall(r'<div class="field has-error">(.*?)</div>', html, re.S)
    return any(f'name="{field}"' in block and 'class="field-error"' in block for block in blocks)


def translated(msgid: str) -> bool:
    return i18n.translations("zh_CN").gettext(msgid) != msgid


async def units_in(estate: int) -> int:
    return await Unit.count().where(Unit.estate == estate)


# ---------------------------------------------------------------- creating

async def test_create_unit_through_the_form(client, as_user, place):
    c = as_user("secretary")
    form = unit_form(place)
    r = post_form(c, "/units/new", form)
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/units/\d+\?saved=1", r.headers["location"])
    row = await Unit.select().where(Unit.number == form["number"]).first()
    assert row["estate"] == place["estate"] and str(row["area_m2"]).startswith("88.8")
    page = c.get(r.headers["location"])
    assert "已保存" in page.text and form["number"] in page.text


@pytest.mark.parametrize("area, chinese", [("0", "面积必须大于 0"), ("-12.5", "面积必须大于 0"), ("abc", "请输入数字"),
                                           ("", "此项为必填项")])
async def test_bad_area_is_marked_in_chinese_and_nothing_is_written(client, as_user, place, area, chinese):
    c = as_user("secretary")
    before = await units_in(place["estate"])
    r = post_form(c, "/units/new", unit_form(place, area_m2=area))
    assert r.status_code == 422
    assert marked(r.text, "area_m2")
    assert chinese in r.text
    assert "请修改标出的内容" in r.text
    # What was typed is kept so it can be corrected.
    assert f'value="{area}"' in r.text
    assert await units_in(place["estate"]) == before


async def test_duplicate_unit_number_is_refused(client, as_user, place):
    c = as_user("secretary")
    before = await units_in(place["estate"])
    r = post_form(c, "/units/new", unit_form(place, number="3-1502"))
    assert r.status_code == 409
    assert "该小区已有相同房号的房屋" in r.text
    assert marked(r.text, "number")
    assert await units_in(place["estate"]) == before


async def test_unknown_form_field_is_refused(client, as_user, place):
    c = as_user("secretary")
    before = await units_in(place["estate"])
    r = post_form(c, "/units/new", unit_form(place, estate="1", colour="red"))
    assert r.status_code == 422
    assert "请修改标出的内容" in r.text
    assert await units_in(place["estate"]) == before
    # No field on the form can be marked for it, so the message names it.
    assert "colour: " + i18n.gettext("zh_CN", "Unknown field.") in r.text
    assert "estate: " in r.text
    if translated("Unknown field."):
        assert "未知字段" in r.text


@pytest.mark.parametrize("data, field, chinese", [
    ({"phone": "12345"}, "phone", "请输入 11 位手机号"),
    ({"phone": "138-1234-123"}, "phone", "请输入 11 位手机号"),
    ({"id_number": "110105194912310021"}, "id_number", "身份证号的校验码不正确"),
    ({"name": ""}, "name", "此项为必填项"),
])
async def test_bad_person_details_are_refused(client, as_user, place, data, field, chinese):
    c = as_user("secretary")
    before = await Person.count()
    r = post_form(c, "/people/new", {"community": str(place["community"]), "name": "表单测试", **data})
    assert r.status_code == 422
    assert marked(r.text, field)
    assert chinese in r.text
    assert await Person.count() == before


async def test_errors_in_english_when_chosen(client, as_user, place):
    c = as_user("secretary")
    c.cookies.set(i18n.LOCALE_COOKIE, "en")
    r = post_form(c, "/units/new", unit_form(place, area_m2="0"))
    assert r.status_code == 422
    assert "The floor area must be greater than 0." in r.text
    assert "面积必须大于" not in r.text


async def test_room_without_seats_and_estate_without_address(client, as_user):
    """Optional fields left empty are stored as their defaults, not as a database error."""
    c = as_user("secretary")
    station = await Station.select(Station.id).where(Station.case_prefix == "ZXL").first()
    name = f"活动室{secrets.token_hex(2)}"
    r = post_form(c, "/rooms/new", {"station": str(station["id"]), "name": name, "capacity": ""})
    assert r.status_code == 303, r.text
    assert (await Room.select(Room.capacity).where(Room.name == name).first())["capacity"] == 10
    estate = await Estate.select().where(Estate.name == "华佳梅苑").first()
    r = post_form(c, f"/estates/{estate['id']}", {"name": estate["name"], "address": "", "version": str(estate["version"])})
    assert r.status_code == 303, r.text
    after = await Estate.select().where(Estate.id == estate["id"]).first()
    assert after["address"] == "" and after["version"] == estate["version"] + 1
    r = post_form(c, f"/estates/{estate['id']}", {"name": estate["name"], "address": estate["address"],
                                                   "version": str(after["version"])})
    assert r.status_code == 303


# ---------------------------------------------------------------- editing

async def test_stale_version_on_the_edit_form_is_a_conflict(client, as_user, place):
    c = as_user("secretary")
    r = post_form(c, "/units/new", unit_form(place))
    unit_id = int(r.headers["location"].split("/")[2].split("?")[0])
    r = post_form(c, f"/units/{unit_id}", {"number": "renamed-once", "area_m2": "70", "area_source": "registered",
                                           "version": "1"})
    assert r.status_code == 303
    before = await Unit.select().where(Unit.id == unit_id).first()
    r = post_form(as_user("admin"), f"/units/{unit_id}", {"number": "renamed-twice", "area_m2": "71",
                                                          "area_source": "registered", "version": "1"})
    assert r.status_code == 409
    assert "已有其他人保存过修改" in r.text
    assert await Unit.select().where(Unit.id == unit_id).first() == before


async def test_edit_without_version_is_refused(client, as_user, place):
    c = as_user("secretary")
    unit = await Unit.select().where(Unit.number == "3-1501").first()
    r = post_form(c, f"/units/{unit['id']}", {"number": "3-1501", "area_m2": "70", "area_source": "registered"})
    assert r.status_code == 422
    assert r.text.count("表单缺少版本信息") == 1  # said once, not repeated as a field error
    assert await Unit.select().where(Unit.id == unit["id"]).first() == unit


async def test_invalid_edit_changes_nothing(client, as_user, place):
    c = as_user("secretary")
    unit = await Unit.select().where(Unit.number == "3-1401").first()
    r = post_form(c, f"/units/{unit['id']}", {"number": "3-1401", "area_m2": "-1", "area_source": "registered",
                                              "version": str(unit["version"])})
    assert r.status_code == 422
    assert marked(r.text, "area_m2") and "面积必须大于 0" in r.text
    r = post_form(c, f"/units/{unit['id']}", {"number": "3-1502", "area_m2": "70", "area_source": "registered",
                                              "version": str(unit["version"])})
    assert r.status_code == 409
    assert await Unit.select().where(Unit.id == unit["id"]).first() == unit


async def test_changing_a_fixed_field_is_ignored_on_the_page(client, as_user, place):
    """A unit's building is chosen once; a form that sends it again does not move the unit."""
    c = as_user("secretary")
    unit = await Unit.select().where(Unit.number == "3-1301").first()
    other = await Building.select().where((Building.estate == place["estate"]) & (Building.number == "5栋")).first()
    r = post_form(c, f"/units/{unit['id']}", {"building": str(other["id"]), "number": "3-1301",
                                              "area_m2": str(unit["area_m2"]), "area_source": unit["area_source"],
                                              "version": str(unit["version"])})
    assert r.status_code in (303, 422)
    assert (await Unit.select(Unit.building).where(Unit.id == unit["id"]).first())["building"] == unit["building"]


# ---------------------------------------------------------------- personal data

async def person_with_phone() -> dict:
    return await Person.select().where((Person.phone != "") & Person.anonymised_at.is_null()).order_by(Person.id).first()


@pytest.mark.parametrize("username", ["secretary", "gridworker", "mediator", "admin"])
async def test_phone_is_masked_in_lists_and_detail(client, as_user, username):
    c = as_user(username)
    person = await person_with_phone()
    masked = person["phone"][:3] + "****" + person["phone"][-4:]
    listing = c.get("/people", params={"q": person["name"]})
    assert masked in listing.text
    assert person["phone"] not in listing.text
    detail = c.get(f"/people/{person['id']}")
    assert detail.status_code == 200
    assert masked in detail.text
    assert person["phone"] not in detail.text  # not in the facts, not in the edit form either


async def test_secretary_reveal_shows_full_number_and_logs_it(client, as_user):
    c = as_user("secretary")
    person = await person_with_phone()
    views = await AuditEntry.count().where((AuditEntry.action == "pii.view") & (AuditEntry.entity_id == person["id"]))
    r = post_form(c, f"/people/{person['id']}/reveal/phone", {})
    assert r.status_code == 200
    assert person["phone"] in r.text
    assert await AuditEntry.count().where(
        (AuditEntry.action == "pii.view") & (AuditEntry.entity_id == person["id"])) == views + 1
    # The next ordinary view is masked again.
    assert person["phone"] not in c.get(f"/people/{person['id']}").text


async def test_grid_worker_reveal_is_refused(client, as_user):
    c = as_user("gridworker")
    person = await person_with_phone()
    views = await AuditEntry.count().where(AuditEntry.action == "pii.view")
    detail = c.get(f"/people/{person['id']}")
    assert "/reveal/phone" not in detail.text  # no button to press …
    r = post_form(c, f"/people/{person['id']}/reveal/phone", {})  # … and the request itself is refused
    assert r.status_code == 403
    assert "您的角色不能查看完整的电话号码或身份证号" in r.text
    assert person["phone"] not in r.text
    assert await AuditEntry.count().where(AuditEntry.action == "pii.view") == views


async def test_saving_a_person_with_the_masked_phone_keeps_the_stored_number(client, as_user, place):
    c = as_user("gridworker")
    r = post_form(c, "/people/new", {"community": str(place["community"]), "name": "保留号码", "phone": "13811112222"})
    assert r.status_code == 303, r.text
    person_id = int(r.headers["location"].split("/")[2].split("?")[0])
    detail = c.get(f"/people/{person_id}")
    assert "138****2222" in detail.text and "13811112222" not in detail.text
    r = post_form(c, f"/people/{person_id}", {"name": "保留号码（改）", "phone": "138****2222", "note": "",
                                              "id_number": "", "version": "1"})
    assert r.status_code == 303, r.text
    row = await Person.select().where(Person.id == person_id).first()
    assert row["phone"] == "13811112222" and row["name"] == "保留号码（改）"


# ---------------------------------------------------------------- error pages

async def test_error_pages_are_in_chinese(client, as_user):
    c = as_user("secretary")
    r = c.get("/units/999999999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "未找到" in r.text
    r = as_user("resident").get("/units")
    assert r.status_code == 403
    assert "您没有权限进行此操作" in r.text
    r = c.get("/no-such-page")
    assert r.status_code == 404 and "未找到" in r.text


def test_api_errors_are_problem_json_not_pages(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code in (401, 404)
    assert r.headers["content-type"].startswith("application/problem+json")
