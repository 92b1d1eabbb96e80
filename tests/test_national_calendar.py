"""China's national holiday calendar, inherited by every station (issue 13): the pure rules first
(library years, the shipped provisional 2027, reading a year's file, the 1 November warning,
which deadlines a change moves), then loading a year and a station's own day against the
database (deadlines recounted, the timeline saying why, audited), then the pages and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from council.cases import holidays_cn as h
from council.cases.workcalendar import WorkCalendar, due_date

D = dt.date


# ---------------------------------------------------------------- the built-in years

def test_library_carries_2026_from_the_state_council_notice():
    a = h.from_library(2026)
    assert a is not None and not a.provisional
    # 国办发明电〔2025〕N号: the weekend days worked
    assert sorted(a.makeup) == [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20),
                                D(2026, 10, 10)]
    for day in (D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 16), D(2026, 2, 20), D(2026, 2, 23), D(2026, 4, 6),
                D(2026, 5, 5), D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 1), D(2026, 10, 7)):
        assert day in a.holidays
    assert all(d.weekday() < 5 for d in a.holidays) and all(d.weekday() >= 5 for d in a.makeup)
    assert D(2026, 10, 8) not in a.holidays  # back at work on Thursday 8 October


def test_2027_is_shipped_provisional_with_the_statutory_weekdays_only():
    assert h.from_library(2027) is None  # chinese-calendar 1.11 stops at 2026
    a = h.builtin(2027)
    assert a.provisional and "国务院令第795号" in a.source
    assert sorted(a.holidays) == [D(2027, 1, 1), D(2027, 2, 5), D(2027, 2, 8), D(2027, 4, 5), D(2027, 6, 9),
                                  D(2027, 9, 15), D(2027, 10, 1)]
    assert a.makeup == {}
    assert {2026, 2027} <= h.builtin_years()


def test_a_deadline_across_the_2026_spring_festival():
    cal = h.station_calendar(h.national({}, frozenset({2026})), [])
    # Registered Friday 13 February: Saturday 14th is worked (1), 16–20 and 23 are off, so the
    # 5th working day is Friday 27 February — not Friday 20th as weekends alone would give.
    assert due_date(cal, D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert due_date(WorkCalendar(), D(2026, 2, 13), 5) == D(2026, 2, 20)


def test_local_days_are_laid_over_the_national_ones():
    nat = h.national({}, frozenset({2026}))
    cal = h.station_calendar(nat, [(D(2026, 2, 14), "holiday"), (D(2026, 3, 2), "holiday"),
                                   (D(2026, 2, 16), "makeup")])
    assert not cal.is_working_day(D(2026, 2, 14))  # the station does not open on the make-up Saturday
    assert not cal.is_working_day(D(2026, 3, 2))  # a local day off
    assert cal.is_working_day(D(2026, 2, 16))  # and a local working day wins too
    assert cal.is_working_day(D(2026, 2, 28))  # the other national make-up days stay


# ---------------------------------------------------------------- reading a year's file

GOOD = """# 国务院办公厅关于2026年部分节假日安排的通知
source: 国务院办公厅关于2026年部分节假日安排的通知
2026-01-01..2026-01-03 holiday 元旦
2026-01-04 makeup 元旦调休上班
2026-02-15..2026-02-23 放假 春节
2026-02-14 上班
2026-02-28 makeup
"""


def test_a_notice_typed_line_by_line_is_read():
    a = h.parse_arrangement(GOOD, 2026)
    assert sorted(a.holidays) == [D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18),
                                  D(2026, 2, 19), D(2026, 2, 20), D(2026, 2, 23)]  # weekends in a range dropped
    assert sorted(a.makeup) == [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28)]
    assert a.holidays[D(2026, 2, 16)] == "春节" and not a.provisional
    assert h.parse_arrangement("source: x\nprovisional: yes\n2026-05-01 holiday", 2026).provisional


@pytest.mark.parametrize("text, year, message, params", [
    ("source: x\n2026-01-05 makeup 周一", 2026, "is a weekday", {"line": 2, "day": "2026-01-05"}),
    ("source: x\n2026-01-05 holiday\n2026-01-10 makeup\n2027-01-01 holiday", 2026, "is not in", {"line": 4}),
    ("source: x\n2026/01/05 holiday", 2026, "write dates like", {"line": 2}),
    ("source: x\n2026-01-05 sometimes", 2026, "then holiday or makeup", {"line": 2}),
    ("source: x\n2026-01-09..2026-01-05 holiday", 2026, "ends before it starts", {"line": 2}),
    ("source: x\n2026-01-05 holiday\n2026-01-10..2026-01-12 holiday\n2026-01-10 makeup", 2026, "both", {"line": 4}),
    ("2026-01-05 holiday", 2026, "Name the source", {"year": 2026}),
    ("source: x\n2026-01-10 makeup", 2026, "no weekday holiday", {"year": 2026}),
    ("source: x\n1999-01-05 holiday", 1999, "between 2000 and 2100", {}),
])
def test_a_wrong_file_is_refused_naming_the_line(text, year, message, params):
    with pytest.raises(h.ArrangementError) as e:
        h.parse_arrangement(text, year)
    assert message in e.value.message
    assert params.items() <= e.value.params.items()


def test_every_refusal_reads_in_chinese():
    from council.core.i18n import gettext

    for text, year in (("source: x\n2026-01-05 makeup", 2026), ("2026-01-05 holiday", 2026),
                       ("source: x\n2027-01-05 holiday", 2026)):
        with pytest.raises(h.ArrangementError) as e:
            h.parse_arrangement(text, year)
        assert gettext("zh_CN", e.value.message) != e.value.message
        assert gettext("zh_CN", e.value.message, **e.value.params)


# ---------------------------------------------------------------- the 1 November warning

@pytest.mark.parametrize("today, loaded, expected", [
    (D(2026, 10, 31), {}, None),  # not yet November
    (D(2026, 11, 1), {}, 2027),  # 2027 is only provisional
    (D(2026, 12, 31), {}, 2027),
    (D(2027, 1, 1), {}, None),  # 2027 is "this year" now: its own gap is not this warning's
    (D(2026, 11, 1), {2027: h.Arrangement(2027, {D(2027, 1, 1): ""}, {}, "notice")}, None),
    (D(2027, 11, 1), {}, 2028),  # nothing at all for 2028
])
def test_warning_from_1_november_while_next_year_is_missing(today, loaded, expected):
    assert h.missing_next_year(today, h.national(loaded)) == expected


# ---------------------------------------------------------------- which deadlines move

def test_only_open_deadlines_still_to_come_move():
    today = D(2026, 12, 2)
    before = WorkCalendar()
    after = WorkCalendar(holidays=frozenset({D(2026, 12, 4)}))
    cases = [
        h.OpenDeadline(1, D(2026, 12, 1), 5, (), due_date(before, D(2026, 12, 1), 5)),  # 12-08 → 12-09
        h.OpenDeadline(2, D(2026, 11, 20), 5, (), D(2026, 11, 27)),  # passed: stays overdue as it was
        h.OpenDeadline(3, D(2026, 12, 1), 1, (), D(2026, 12, 2)),  # due today, before the new holiday
        h.OpenDeadline(4, D(2026, 11, 25), 5, (3,), due_date(before, D(2026, 11, 25), 5, [3])),  # with extension
        h.OpenDeadline(5, D(2026, 11, 26), 5, (), D(2026, 12, 3)),  # due 12-03: the holiday is after it
    ]
    moved = {m.case: (m.old, m.new) for m in h.moved_deadlines(cases, after, today)}
    assert moved == {1: (D(2026, 12, 8), D(2026, 12, 9)), 4: (D(2026, 12, 7), D(2026, 12, 8))}
    assert h.moved_text(D(2026, 12, 8), D(2026, 12, 9)) == "由于节假日调整，期限由 2026-12-08 调整为 2026-12-09"


def test_a_deadline_is_never_moved_into_the_past():
    # A make-up day added before today would pull a deadline due today back to yesterday.
    today = D(2026, 12, 2)
    after = WorkCalendar(makeup_days=frozenset({D(2026, 11, 28)}))
    case = h.OpenDeadline(1, D(2026, 11, 25), 5, (), D(2026, 12, 2))
    assert due_date(after, D(2026, 11, 25), 5) == D(2026, 12, 1)
    assert h.moved_deadlines([case], after, today) == []


# ---------------------------------------------------------------- against the database

def as_dict(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)


async def _restore(year: int) -> None:
    """Back to the built-in arrangement for `year`, deadlines recounted, for the tests after."""
    from council.accounts.principal import SYSTEM
    from council.cases.national_calendar import recompute_station
    from council.cases.tables import HolidayYear, NationalHoliday
    from council.stations.tables import Station
    from council import db

    async with db.write():
        await NationalHoliday.delete().where(NationalHoliday.year == year)
        await HolidayYear.delete().where(HolidayYear.year == year)
        for st in await Station.select(Station.id):
            await recompute_station(SYSTEM, st["id"])


async def _fresh_request() -> dict:
    from council.cases.tables import Case
    from tests.test_cases_services import new_case

    made = await new_case()
    return await Case.select().where(Case.id == made["id"]).first()


def _next_working_weekday(cal: WorkCalendar, after: dt.date) -> dt.date:
    day = after + dt.timedelta(days=1)
    while day.weekday() >= 5 or not cal.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _due_with(cal: WorkCalendar, day_off: dt.date, case: dict) -> dt.date:
    """The case's deadline recounted by hand with one more day off."""
    from council.cases.calendar_store import local_date

    more = WorkCalendar(holidays=cal.holidays | {day_off}, makeup_days=cal.makeup_days - {day_off})
    return due_date(more, local_date(case["created_at"]), case["limit_days"])


async def test_stations_inherit_the_national_calendar():
    from council.cases.calendar_store import calendar_for
    from tests.test_cases_services import station_id

    cal = await calendar_for(await station_id())
    assert not cal.is_working_day(D(2026, 10, 1)) and cal.is_working_day(D(2026, 10, 10))
    assert not cal.is_working_day(D(2027, 2, 5))


async def test_loading_a_year_moves_open_deadlines_and_says_why():
    from council.accounts.principal import SYSTEM
    from council.audit.tables import AuditEntry
    from council.cases import requests
    from council.cases.calendar_store import calendar_for, today
    from council.cases.national_calendar import load_year
    from council.cases.tables import Case, CaseEvent
    from tests.test_cases_services import principal, station_id

    sid = await station_id()
    open_case = await _fresh_request()
    closed_case = await _fresh_request()
    passed_case = await _fresh_request()
    sec, liaison = await principal("secretary"), await principal("liaison")
    for action, kw, who in (("dispatch", {"organisation": liaison.organisation_id}, sec), ("accept", {}, liaison),
                            ("report", {"report": "已处理"}, liaison), ("close", {}, sec)):
        await requests.move_request(who, closed_case["id"], action, **kw)
    yesterday = today() - dt.timedelta(days=1)
    await Case.update({Case.due_date: yesterday}).where(Case.id == passed_case["id"])

    cal = await calendar_for(sid)
    extra = _next_working_weekday(cal, today())
    assert extra <= open_case["due_date"]
    base = h.builtin(extra.year) or h.Arrangement(extra.year, {}, {}, "")
    arrangement = h.Arrangement(extra.year, {**base.holidays, extra: "测试：临时调休"}, dict(base.makeup),
                                "国务院办公厅通知（测试）")
    expected = _due_with(cal, extra, open_case)
    try:
        result = await load_year(SYSTEM, arrangement)
        assert result["moved"] >= 1
        now_open = await Case.select().where(Case.id == open_case["id"]).first()
        assert now_open["due_date"] == expected and now_open["version"] == open_case["version"] + 1
        ev = await CaseEvent.select().where((CaseEvent.case == open_case["id"])
                                            & (CaseEvent.kind == "deadline_moved")).first()
        assert ev["text"] == f"由于节假日调整，期限由 {open_case['due_date']} 调整为 {expected}"
        assert as_dict(ev["data"]) == {"old_due": str(open_case["due_date"]), "new_due": str(expected)}
        audit = await AuditEntry.select().where((AuditEntry.action == "case.deadline_moved")
                                                & (AuditEntry.entity_id == open_case["id"])).first()
        assert as_dict(audit["before"])["due_date"] == str(open_case["due_date"])
        assert await AuditEntry.exists().where((AuditEntry.action == "calendar.load")
                                               & (AuditEntry.entity_id == extra.year))
        # A closed case and a passed deadline stay as they were.
        for row in (closed_case, passed_case):
            after = await Case.select().where(Case.id == row["id"]).first()
            assert not await CaseEvent.exists().where((CaseEvent.case == row["id"])
                                                      & (CaseEvent.kind == "deadline_moved"))
        assert (await Case.select(Case.due_date).where(Case.id == passed_case["id"]).first())["due_date"] == yesterday
        assert (await Case.select(Case.due_date).where(Case.id == closed_case["id"]).first())["due_date"] \
            == closed_case["due_date"]
    finally:
        await _restore(extra.year)
    back = await Case.select().where(Case.id == open_case["id"]).first()
    assert back["due_date"] == open_case["due_date"]  # unloading the test year moves it back, said again
    assert await CaseEvent.count().where((CaseEvent.case == open_case["id"])
                                         & (CaseEvent.kind == "deadline_moved")) == 2


async def test_only_an_admin_loads_a_year():
    from council.cases.national_calendar import load_year
    from council.core.errors import Forbidden
    from tests.test_cases_services import principal

    with pytest.raises(Forbidden):
        await load_year(await principal("secretary"), h.Arrangement(2030, {D(2030, 1, 1): ""}, {}, "x"))


async def test_a_station_day_moves_its_own_open_deadlines(as_user):
    from council.cases.calendar_store import calendar_for, today
    from council.cases.registers import STATION_HOLIDAYS
    from council.cases.tables import Case, CaseEvent, StationHoliday
    from council.core.registry import create_row
    from tests.test_cases_services import principal, station_id

    sid = await station_id()
    case = await _fresh_request()
    cal = await calendar_for(sid)
    local = _next_working_weekday(cal, today())
    expected = _due_with(cal, local, case)
    sec = await principal("secretary")
    row_id = await create_row(sec, STATION_HOLIDAYS, {"station": sid, "day": local.isoformat(), "kind": "holiday",
                                                       "note": "社区活动闭站"})
    try:
        after = await Case.select().where(Case.id == case["id"]).first()
        assert after["due_date"] == expected
        page = as_user("secretary").get(f"/cases/{case['id']}", headers={"Accept-Language": "zh-CN"}).text
        assert f"由于节假日调整，期限由 {case['due_date']} 调整为 {expected}" in page
        assert "因节假日调整变更期限" in page
    finally:
        await StationHoliday.delete().where(StationHoliday.id == row_id)
        await Case.update({Case.due_date: case["due_date"]}).where(Case.id == case["id"])
        await CaseEvent.delete().where((CaseEvent.case == case["id"]) & (CaseEvent.kind == "deadline_moved"))


async def test_dashboard_warns_while_next_year_is_missing(as_user):
    from council.cases.national_calendar import coming_year_missing

    page = as_user("secretary").get("/dashboard", headers={"Accept-Language": "zh-CN"}).text
    missing = await coming_year_missing()
    assert ('id="calendar-missing"' in page) == (missing is not None)
    if missing:
        assert f"{missing} 年国务院节假日安排尚未载入" in page and f"council calendar load {missing}" in page


async def test_dashboard_api_says_which_year_is_missing(client):
    from council.accounts import services
    from council.accounts.principal import SYSTEM
    from council.cases.national_calendar import coming_year_missing
    from tests.test_cases_services import station_id

    token = await services.create_token(SYSTEM, "secretary", name="calendar-test")
    r = client.get(f"/api/v1/stations/{await station_id()}/dashboard", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["calendar_missing"] == await coming_year_missing()


def test_cli_refuses_a_wrong_file_in_the_readers_language(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from council.cli import main

    bad = tmp_path / "2027.txt"
    bad.write_text("source: 国务院办公厅关于2027年部分节假日安排的通知\n2027-01-04 makeup 周一\n", encoding="utf-8")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    r = CliRunner().invoke(main, ["calendar", "load", "2027", str(bad)])
    assert r.exit_code == 1 and "第 2 行" in r.output and "调休上班日应为周六或周日" in r.output
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    r = CliRunner().invoke(main, ["calendar", "load", "2027", str(bad)])
    assert r.exit_code == 1 and "Line 2: 2027-01-04 is a weekday" in r.output


def test_the_2026_notice_typed_by_hand_equals_the_library():
    """The file format reads a notice as published: typed from the 2026 notice, it gives exactly
    what chinese-calendar carries for 2026."""
    from pathlib import Path

    text = (Path(__file__).parent / "data" / "holidays-2026-notice.txt").read_text(encoding="utf-8")
    typed, library = h.parse_arrangement(text, 2026), h.from_library(2026)
    assert sorted(typed.holidays) == sorted(library.holidays) and sorted(typed.makeup) == sorted(library.makeup)
    assert "国务院办公厅" in typed.source
