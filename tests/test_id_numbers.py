"""Resident ID numbers (GB 11643-1999): region code and birth date are checked, not only the
check character. Pure module first, then the register page and the API."""

from __future__ import annotations

import datetime as dt

import pytest

from council.core import validators

TODAY = dt.date(2026, 12, 2)


def with_check(body17: str) -> str:
    """The check character, computed independently of the code under test (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body17))
    return body17 + "10X98765432"[total % 11]


def number(region="32", county="0102", born="19800101", seq="123") -> str:
    return with_check(region + county + born + seq)


def refused(raw: str) -> str:
    with pytest.raises(ValueError) as e:
        validators.clean_id_number(raw, today=TODAY)
    return str(e.value)


@pytest.mark.parametrize("region", ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65",
                                    "71", "81", "82", "83"])
def test_every_province_range_edge_is_accepted(region):
    raw = number(region=region)
    assert validators.clean_id_number(raw, today=TODAY) == raw


@pytest.mark.parametrize("region", ["00", "10", "16", "20", "24", "30", "38", "40", "47", "49", "55", "60",
                                    "66", "70", "72", "80", "84", "90", "99"])
def test_region_outside_the_province_codes_is_refused(region):
    assert "region code" in refused(number(region=region))


def test_foreign_permanent_residence_card_reads_the_province_after_the_9():
    good = number(region="93", county="2156")  # 9 + Jiangsu (32) + nationality digits
    assert validators.clean_id_number(good, today=TODAY) == good
    assert "region code" in refused(number(region="97", county="1156"))  # 9 + 71: not mainland


@pytest.mark.parametrize("born", ["19000101", "19491231", "20000229", "20261202"])
def test_birth_date_bounds_accepted(born):
    raw = number(born=born)
    assert validators.clean_id_number(raw, today=TODAY) == raw


@pytest.mark.parametrize("born, why", [
    ("18991231", "before 1900"),
    ("20261203", "in the future"),
    ("20991231", "in the future"),
    ("19000229", "not a real date"),  # 1900 was not a leap year
    ("20010229", "not a real date"),
    ("19801301", "not a real date"),
    ("19800132", "not a real date"),
    ("19800000", "not a real date"),
])
def test_birth_date_refused(born, why):
    assert why in refused(number(born=born))


def test_checksum_still_checked_after_region_and_date():
    good = number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert "check digit" in refused(wrong)


def test_gb_worked_example_still_valid():
    assert validators.clean_id_number("11010519491231002X", today=TODAY) == "11010519491231002X"


def test_messages_are_translated():
    from council.core.i18n import gettext

    for msgid in ("This ID number's first two digits are not a province-level region code.",
                  "This ID number's birth date (digits 7 to 14) is not a real date.",
                  "This ID number's birth date (digits 7 to 14) is before 1900.",
                  "This ID number's birth date (digits 7 to 14) is in the future."):
        assert gettext("zh_CN", msgid) != msgid


# ---------------------------------------------------------------- the register page and the API

FUTURE = number(born="20991231")
NOWHERE = number(region="99")


@pytest.fixture(scope="module")
async def auth() -> dict[str, dict[str, str]]:
    from council.accounts import services
    from council.accounts.principal import SYSTEM

    token = await services.create_token(SYSTEM, "secretary", name="id-number-test")
    return {"secretary": {"Authorization": f"Bearer {token}"}}


@pytest.fixture(scope="module")
async def community() -> int:
    from council.places.tables import Estate

    return (await Estate.select(Estate.community).where(Estate.name == "中南悦园").first())["community"]


@pytest.mark.parametrize("raw, chinese", [(FUTURE, "出生日期"), (NOWHERE, "行政区划代码")])
async def test_person_form_refuses_implausible_id(client, as_user, community, raw, chinese):
    from council.people.tables import Person
    from tests.support import post_form

    c = as_user("secretary")
    before = await Person.count()
    r = post_form(c, "/people/new", {"community": str(community), "name": "身份证测试", "id_number": raw})
    assert r.status_code == 422
    assert chinese in r.text
    assert await Person.count() == before


@pytest.mark.parametrize("raw, english", [(FUTURE, "in the future"), (NOWHERE, "region code")])
async def test_person_api_refuses_implausible_id(client, auth, community, raw, english):
    from council.people.tables import Person

    before = await Person.count()
    r = client.post("/api/v1/people", headers={**auth["secretary"], "Accept-Language": "en"},
                    json={"community": community, "name": "身份证测试", "id_number": raw})
    assert r.status_code == 422, r.text
    assert "id_number" in r.json()["errors"] and english in str(r.json())
    assert await Person.count() == before
