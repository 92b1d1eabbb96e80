"""Unit tests of the pure modules: validators, masking, working hours, login throttle, locale
choice, field parsing and the permission matrix. No database, no web."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, strategies as st

from council.accounts import permissions
from council.accounts.permissions import Role
from council.accounts.ratelimit import CAPS, delay_for
from council.core import i18n, validators
from council.core.fields import WEEKDAYS, Field, FieldErrors, parse_input, parse_value
from council.parties import hours
from council.privacy import mask_id_number, mask_name, mask_phone

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def id_with_check(body17: str) -> str:
    """Compute the GB 11643 check character independently of the code under test."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]


# ---------------------------------------------------------------- phone numbers

@pytest.mark.parametrize("raw, clean", [
    ("13812341234", "13812341234"),
    (" 138 1234 1234 ", "13812341234"),
    ("138-1234-1234", "13812341234"),
    ("+8613812341234", "13812341234"),
    ("+86 138 1234 1234", "13812341234"),
    ("025-83123456", "025-83123456"),
    ("02583123456", "02583123456"),
    ("0571-8712345", "0571-8712345"),
    ("", ""),
    ("   ", ""),
])
def test_clean_phone_accepts(raw, clean):
    assert validators.clean_phone(raw) == clean


@pytest.mark.parametrize("raw", [
    "1381234123",  # 10 digits
    "138123412345",  # 12 digits
    "12812341234",  # second digit 2 is not a mobile prefix
    "23812341234",
    "abc",
    "138-1234-123x",
    "83123456",  # landline without area code
    "+1 415 555 0100",
])
def test_clean_phone_refuses(raw):
    with pytest.raises(ValueError) as e:
        validators.clean_phone(raw)
    assert "11-digit" in str(e.value)


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_mainland_mobile_is_accepted(second, rest):
    number = "1" + second + rest
    assert validators.clean_phone(number) == number
    assert validators.clean_phone(f"{number[:3]} {number[3:7]} {number[7:]}") == number


@given(st.text(max_size=20))
def test_clean_phone_returns_a_valid_number_or_refuses(text):
    try:
        cleaned = validators.clean_phone(text)
    except ValueError:
        return
    assert cleaned == "" or validators.MOBILE.match(cleaned) or validators.LANDLINE.match(cleaned)


# ---------------------------------------------------------------- ID numbers

def test_known_valid_id_number():
    # The GB 11643 worked example.
    assert validators.clean_id_number("11010519491231002X") == "11010519491231002X"
    assert validators.clean_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert validators.clean_id_number("") == ""


@pytest.mark.parametrize("raw, message", [
    ("110105194912310021", "check digit"),
    ("11010519491231002", "18 characters"),
    ("1101051949123100211", "18 characters"),
    ("11010519491231002Y", "18 characters"),
    ("X10105194912310021", "18 characters"),
])
def test_id_number_refused(raw, message):
    with pytest.raises(ValueError) as e:
        validators.clean_id_number(raw)
    assert message in str(e.value)


# Plausible bodies only: since the region code and birth date are checked too (see
# tests/test_id_numbers.py), a random 17 digits is refused for those before its checksum.
plausible_id_bodies = st.builds(
    lambda region, county, born, seq: f"{region}{county:04d}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(sorted(validators.PROVINCES)), st.integers(0, 9999),
    st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999))


@given(plausible_id_bodies)
def test_id_number_checksum_roundtrip(body):
    good = id_with_check(body)
    assert validators.clean_id_number(good) == good
    for wrong in "0123456789X":
        if wrong != good[-1]:
            with pytest.raises(ValueError):
                validators.clean_id_number(body + wrong)


@given(plausible_id_bodies, st.integers(0, 16), st.integers(1, 9))
def test_id_number_single_digit_typo_is_caught(body, pos, delta):
    good = id_with_check(body)
    typo = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1:]
    with pytest.raises(ValueError):
        validators.clean_id_number(typo)


# ---------------------------------------------------------------- numbers and areas

@pytest.mark.parametrize("raw, value", [
    ("89.47", Decimal("89.47")), (" 100 ", Decimal("100")), (12, Decimal("12")),
    (0.1, Decimal("0.1")), ("0.01", Decimal("0.01")), (Decimal("5.5"), Decimal("5.5")),
])
def test_parse_area_accepts(raw, value):
    assert validators.parse_area(raw) == value


@pytest.mark.parametrize("raw, message", [
    ("0", "greater than 0"), ("0.00", "greater than 0"), ("-1", "greater than 0"), (-0.01, "greater than 0"),
    ("1.234", "decimal places"), ("abc", "Enter a number"), ("", "Enter a number"), ("NaN", "Enter a number"),
    ("Infinity", "Enter a number"), ("100000000", "too large"), (None, "Enter a number"),
])
def test_parse_area_refuses(raw, message):
    with pytest.raises(ValueError) as e:
        validators.parse_area(raw)
    assert message in str(e.value)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2))
def test_parse_area_accepts_every_positive_two_place_decimal(d):
    assert validators.parse_area(str(d)) == d


@given(st.decimals(max_value=Decimal("0"), places=2, allow_nan=False, allow_infinity=False))
def test_parse_area_refuses_every_non_positive(d):
    with pytest.raises(ValueError):
        validators.parse_area(str(d))


def test_parse_decimal_from_float_is_exact():
    # repr(0.1) is "0.1": a float is read as the number the person typed, not its binary expansion.
    assert validators.parse_decimal(0.1) == Decimal("0.1")


# ---------------------------------------------------------------- masking

def test_mask_phone_mobile():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("") == "" and mask_phone(None) == ""


def test_mask_phone_landline_keeps_area_code_and_last_four():
    masked = mask_phone("025-83123456")
    assert masked.startswith("025") and masked.endswith("3456") and "8312" not in masked


@given(st.text(alphabet="0123456789-", min_size=5, max_size=20))
def test_mask_phone_never_shows_the_middle(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    # Whatever the shape, at least three characters stay hidden and at most the last four show at the end.
    assert masked.count("*") >= 3
    assert masked.endswith(phone[-4:]) or set(masked) == {"*"}


def test_mask_phone_short_values_are_hidden():
    assert mask_phone("1234567") == "***4567"
    assert mask_phone("00000") == "*****"


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mask_phone_every_mobile(second, rest):
    number = "1" + second + rest
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


def test_mask_id_number():
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number("") == ""
    assert mask_id_number("1234567") == "*******"


@given(st.text(alphabet="0123456789X", min_size=8, max_size=18))
def test_mask_id_number_hides_all_but_ends(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked[:3] == value[:3] and masked[-4:] == value[-4:]
    assert set(masked[3:-4]) == {"*"}


def test_mask_name():
    assert mask_name("刘桂兰") == "刘**"
    assert mask_name("王") == "王"
    assert mask_name("") == ""


# ---------------------------------------------------------------- working hours

def test_hours_parse_english_and_chinese():
    assert hours.parse("Mon-Fri 09:00-17:30") == [
        {"weekday": d, "start": "09:00", "end": "17:30"} for d in range(5)
    ]
    assert hours.parse("周一至周五 9:00-17:30") == hours.parse("Mon-Fri 09:00-17:30")
    assert hours.parse("Sat 09:00-12:00；Tue 19:00-21:00") == [
        {"weekday": 1, "start": "19:00", "end": "21:00"},
        {"weekday": 5, "start": "09:00", "end": "12:00"},
    ]
    assert hours.parse("") == []


@pytest.mark.parametrize("text", [
    "Mon-Fri", "Mon 17:00-09:00", "Mon 09:00-09:00", "Xyz 09:00-10:00", "Fri-Mon 09:00-10:00",
    "Mon 25:00-26:00", "Mon 09:60-10:00", "every day",
])
def test_hours_refuses(text):
    with pytest.raises(ValueError):
        hours.parse(text)


def test_hours_format_groups_consecutive_days():
    periods = hours.parse("Mon-Fri 08:30-12:00\nMon-Fri 14:00-17:30\nSun 10:00-11:00")
    assert hours.format_hours(periods) == "Mon-Fri 08:30-12:00\nMon-Fri 14:00-17:30\nSun 10:00-11:00"
    assert hours.format_hours(hours.parse("Mon 09:00-10:00\nWed 09:00-10:00")) == "Mon 09:00-10:00\nWed 09:00-10:00"
    assert hours.format_hours([]) == ""


period = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 22), st.integers(0, 59),
                   st.integers(1, 120)).map(lambda t: (min(t[0], t[1]), max(t[0], t[1]), t[2], t[3], t[4]))


@given(st.lists(period, min_size=1, max_size=4))
def test_hours_roundtrip(periods):
    lines = []
    for d1, d2, h, m, length in periods:
        end = h * 60 + m + length
        assume(end < 24 * 60)
        lines.append(f"{hours.SHORT[d1]}-{hours.SHORT[d2]} {h:02d}:{m:02d}-{end // 60:02d}:{end % 60:02d}")
    parsed = hours.parse("\n".join(lines))
    assert hours.parse(hours.format_hours(parsed)) == parsed


# ---------------------------------------------------------------- login throttle

def test_throttle_is_free_at_first_then_doubles_to_a_cap():
    assert [delay_for(n) for n in range(5)] == [0, 0, 0, 0, 0]
    assert [delay_for(n) for n in range(5, 9)] == [0.5, 1.0, 2.0, 4.0]
    assert delay_for(10_000, "ip") == CAPS["ip"] and delay_for(10_000, "user") == CAPS["user"]


@given(st.integers(0, 10_000), st.sampled_from(["ip", "user"]))
def test_throttle_delay_never_decreases_and_never_exceeds_the_cap(n, kind):
    assert 0 <= delay_for(n, kind) <= delay_for(n + 1, kind) <= CAPS[kind]


# ---------------------------------------------------------------- locale choice

@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
    ("en-US,en;q=0.9", "en"),
    ("en;q=0.5, zh;q=0.9", "zh_CN"),
    ("fr-FR, en;q=0.1", "en"),
    ("fr-FR, de", None),
    ("zh-Hant-TW", "zh_CN"),
    ("en;q=abc, zh-CN;q=0.1", "zh_CN"),
    ("", None),
    (None, None),
])
def test_from_accept_language(header, expected):
    assert i18n.from_accept_language(header) == expected


def test_choose_order():
    assert i18n.choose("en", "zh_CN", "zh-CN") == "en"  # the saved setting wins
    assert i18n.choose("", "en", "zh-CN") == "en"  # then the cookie
    assert i18n.choose(None, "bogus", "en-GB") == "en"  # then the browser
    assert i18n.choose(None, None, "fr") == "zh_CN"  # then Chinese
    assert i18n.choose(None, None, None) == i18n.DEFAULT_LOCALE == "zh_CN"


@given(st.one_of(st.none(), st.text(max_size=12)), st.one_of(st.none(), st.text(max_size=12)),
       st.one_of(st.none(), st.text(max_size=40)))
def test_choose_always_returns_a_supported_locale(a, b, c):
    assert i18n.choose(a, b, c) in i18n.SUPPORTED


# ---------------------------------------------------------------- fields

TEXT = Field("name", "Name", required=True, max_length=5)
AREA = Field("area_m2", "Area", kind="area", required=True)
INT = Field("capacity", "Seats", kind="int")
BOOL = Field("unsold", "Unsold", kind="bool")
CHOICE = Field("kind", "Kind", kind="choice", choices=(("a", "A"), ("b", "B")), required=True)
TIME = Field("start", "Start", kind="time")
PHONE = Field("phone", "Phone", kind="phone")
IDN = Field("id_number", "ID", kind="id_number")
WEEKDAY = Field("day", "Day", kind="weekday", choices=WEEKDAYS)
REF = Field("building", "Building", kind="ref", ref="buildings", required=True, editable=False)
HOURS = Field("working_hours", "Hours", kind="hours")


@pytest.mark.parametrize("field, raw, value", [
    (TEXT, "  abc ", "abc"),
    (AREA, "89.47", Decimal("89.47")),
    (INT, "12", 12), (INT, 12, 12), (INT, None, None),
    (BOOL, "on", True), (BOOL, "", False), (BOOL, None, False), (BOOL, True, True), (BOOL, "否", False),
    (CHOICE, "b", "b"),
    (TIME, "09:30", dt.time(9, 30)), (TIME, dt.time(8), dt.time(8)),
    (PHONE, "138 1234 1234", "13812341234"),
    (IDN, "11010519491231002x", "11010519491231002X"),
    (WEEKDAY, "4", 4),
    (REF, 7, 7), (REF, "7", 7),
    (HOURS, "Mon 09:00-10:00", [{"weekday": 0, "start": "09:00", "end": "10:00"}]),
    (HOURS, [{"weekday": 0, "start": "09:00", "end": "10:00"}], [{"weekday": 0, "start": "09:00", "end": "10:00"}]),
])
def test_parse_value_accepts(field, raw, value):
    assert parse_value(field, raw) == value


@pytest.mark.parametrize("field, raw, message", [
    (TEXT, "", "required"), (TEXT, None, "required"), (TEXT, "abcdef", "Too long"), (TEXT, 5, "Enter text"),
    (AREA, "0", "greater than 0"), (AREA, "-3", "greater than 0"), (AREA, "x", "Enter a number"),
    (AREA, None, "required"),
    (INT, "1.5", "whole number"), (INT, 1.0, "whole number"), (INT, True, "whole number"), (INT, "-1", "0 or more"),
    (INT, "abc", "whole number"),
    (BOOL, "maybe", "yes or no"),
    (CHOICE, "c", "listed options"), (CHOICE, 1, "listed options"),
    (TIME, "9h", "09:00"),
    (PHONE, "12345", "11-digit"),
    (IDN, "110105194912310021", "check digit"),
    (WEEKDAY, "7", "weekday"), (WEEKDAY, -1, "weekday"),
    (REF, "abc", "whole number"), (REF, None, "required"),
    (HOURS, "whenever", "working hours"),
])
def test_parse_value_refuses(field, raw, message):
    with pytest.raises(ValueError) as e:
        parse_value(field, raw)
    assert message in str(e.value)


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_int_roundtrip(n):
    assert parse_value(INT, str(n)) == n == parse_value(INT, n)


FIELDS = (REF, TEXT, AREA, BOOL)


def test_parse_input_create_and_unknown_fields():
    assert parse_input(FIELDS, {"building": "3", "name": "a", "area_m2": "10"}, partial=False, creating=True) == {
        "building": 3, "name": "a", "area_m2": Decimal("10"), "unsold": False,
    }
    with pytest.raises(FieldErrors) as e:
        parse_input(FIELDS, {"building": "3", "name": "a", "area_m2": "0", "colour": "red"}, partial=False, creating=True)
    assert e.value.errors == {"colour": "Unknown field.", "area_m2": "The floor area must be greater than 0."}


def test_parse_input_missing_required_on_create():
    with pytest.raises(FieldErrors) as e:
        parse_input(FIELDS, {}, partial=False, creating=True)
    assert set(e.value.errors) == {"building", "name", "area_m2"}


def test_parse_input_partial_update_changes_only_sent_fields():
    assert parse_input(FIELDS, {"name": "b"}, partial=True, creating=False) == {"name": "b"}
    assert parse_input(FIELDS, {}, partial=True, creating=False) == {}


def test_parse_input_refuses_changing_fixed_field():
    with pytest.raises(FieldErrors) as e:
        parse_input(FIELDS, {"building": 4}, partial=True, creating=False)
    assert e.value.errors == {"building": "This field cannot be changed after creation."}


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=4))
def test_parse_input_never_accepts_unknown_keys(data):
    known = {f.name for f in FIELDS}
    assume(set(data) - known)
    with pytest.raises(FieldErrors) as e:
        parse_input(FIELDS, data, partial=True, creating=False)
    for key in set(data) - known:
        assert e.value.errors[key] == "Unknown field."


# ---------------------------------------------------------------- permissions

ALL_ROLES = set(Role)
STAFF_ADMIN = {Role.admin, Role.secretary, Role.grid_worker, Role.mediator}


def test_every_resource_is_readable_by_admin_and_never_by_residents():
    # Residents reach three things, each scoped by its own policy: their own concerns
    # (council.cases.policy), the meetings they are invited to (council.meetings.policy) and the
    # open votes for the units they own, which only an owner has (so not even an admin).
    resident_scoped = {"case", "meeting", "my_votes"}
    for resource in permissions.MATRIX:
        if resource == "my_votes":
            assert permissions.can_read(Role.resident, resource) and not permissions.can_read(Role.admin, resource)
            continue
        assert permissions.can_read(Role.admin, resource), resource
        if resource in resident_scoped:
            continue
        assert not permissions.can_read(Role.resident, resource), resource
        assert not permissions.can_write(Role.resident, resource), resource


def test_writers_can_read():
    for resource, (readers, writers) in permissions.MATRIX.items():
        assert writers <= readers or resource == "audit", resource


# The street and district officers read the registers of the stations under them (issue 18).
OFFICERS = {Role.street_officer, Role.district_officer}


@pytest.mark.parametrize("resource, readers, writers", [
    ("street", STAFF_ADMIN | OFFICERS, {Role.admin}),
    ("unit", STAFF_ADMIN | OFFICERS, {Role.admin, Role.secretary}),
    ("person", STAFF_ADMIN | OFFICERS, {Role.admin, Role.secretary, Role.grid_worker}),
    ("person_anonymise", {Role.admin, Role.secretary}, {Role.admin, Role.secretary}),
    ("organisation", STAFF_ADMIN | OFFICERS | {Role.department_liaison}, {Role.admin, Role.secretary}),
    ("station", STAFF_ADMIN | OFFICERS, {Role.admin}),
    ("user", {Role.admin}, {Role.admin}),
    ("audit", {Role.admin, Role.secretary}, set()),
    ("register_import", {Role.admin, Role.secretary}, {Role.admin, Role.secretary}),
])
def test_matrix_rows(resource, readers, writers):
    for role in ALL_ROLES:
        assert permissions.can_read(role, resource) == (role in readers), (resource, role)
        assert permissions.can_write(role, resource) == (role in writers), (resource, role)


def test_officers_write_no_resource():
    """Their one write, a chase or an escalation, goes through the case policy (can_chase); the
    matrix gives them nothing to write."""
    for role in OFFICERS | {Role.judicial_officer}:
        assert not [r for r in permissions.MATRIX if permissions.can_write(role, r) and r != "case"], role


def test_pii_full_view_roles():
    assert {r for r in ALL_ROLES if permissions.can_view_pii(r)} == {Role.admin, Role.secretary, Role.mediator}


def test_unknown_resource_is_an_error_not_a_grant():
    with pytest.raises(KeyError):
        permissions.can_read(Role.admin, "no-such-resource")
