"""Per-station case settings kept by the secretary: case categories with their time limits and the
holiday calendar that request deadlines are counted against."""

from __future__ import annotations

import datetime as dt

from council.audit.tables import AuditEntry
from council.cases.calendar_store import calendar_for, categories_for
from council.cases.tables import StationCategory, StationHoliday
from council.cases.workcalendar import due_date
from council.stations.tables import Station
from tests.support import post_form


async def _station_id() -> int:
    return (await Station.select(Station.id).where(Station.case_prefix == "ZXL").first())["id"]


async def test_demo_station_has_its_categories_listed(as_user):
    c = as_user("secretary")
    r = c.get("/station-categories", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200
    assert "事项类别" in r.text
    for row in await categories_for(await _station_id()):
        assert row["label"] in r.text


async def test_secretary_adds_a_holiday_and_deadlines_skip_it(as_user):
    station = await _station_id()
    c = as_user("secretary")
    # 2027-03-03 is a Wednesday.
    r = post_form(c, "/station-holidays/new", {"station": station, "day": "2027-03-03", "kind": "holiday", "note": "测试停休"})
    assert r.status_code == 303, r.text[:500]
    cal = await calendar_for(station)
    assert dt.date(2027, 3, 3) in cal.holidays
    # Two working days from Tuesday 2 March skip the Wednesday holiday: Thursday, Friday.
    assert due_date(cal, dt.date(2027, 3, 2), 2) == dt.date(2027, 3, 5)
    entry = await AuditEntry.select().where(AuditEntry.action == "station_holiday.create").order_by(
        AuditEntry.id, ascending=False).first()
    assert entry is not None and entry["entity_type"] == "station_holiday"


async def test_bad_calendar_days_are_refused_in_chinese_and_change_nothing(as_user):
    station = await _station_id()
    before = await StationHoliday.count()
    c = as_user("secretary")
    zh = {"Accept-Language": "zh-CN"}
    # A make-up working day on a Monday is a typing mistake.
    r = post_form(c, "/station-holidays/new", {"station": station, "day": "2027-03-08", "kind": "makeup"}, headers=zh)
    assert r.status_code == 422
    assert "调休上班日应在周六或周日" in r.text
    r = post_form(c, "/station-holidays/new", {"station": station, "day": "2027-13-40", "kind": "holiday"}, headers=zh)
    assert r.status_code == 422
    assert "2026-10-01" in r.text
    # The same day twice is refused by the unique index.
    assert post_form(c, "/station-holidays/new", {"station": station, "day": "2027-04-05", "kind": "holiday"}).status_code == 303
    r = post_form(c, "/station-holidays/new", {"station": station, "day": "2027-04-05", "kind": "holiday"}, headers=zh)
    assert r.status_code == 409
    assert "该日期已在本驿站的节假日安排中" in r.text
    assert await StationHoliday.count() == before + 1


async def test_category_time_limit_is_edited_with_a_version_and_bounded(as_user):
    station = await _station_id()
    c = as_user("secretary")
    row = await StationCategory.select().where(
        (StationCategory.station == station) & (StationCategory.code == "traffic")).first()
    r = post_form(c, f"/station-categories/{row['id']}", {"label": row["label"], "limit_days": "0",
                                                         "position": row["position"], "active": "1",
                                                         "version": row["version"]}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and "1 至 60" in r.text
    r = post_form(c, f"/station-categories/{row['id']}", {"label": row["label"], "limit_days": "7",
                                                         "position": row["position"], "active": "1",
                                                         "version": row["version"]})
    assert r.status_code == 303, r.text[:500]
    after = await StationCategory.select().where(StationCategory.id == row["id"]).first()
    assert after["limit_days"] == 7 and after["version"] == row["version"] + 1
    # A second save from the same (now stale) form is refused rather than overwriting.
    r = post_form(c, f"/station-categories/{row['id']}", {"label": "改名", "limit_days": "9",
                                                         "position": row["position"], "active": "1",
                                                         "version": row["version"]})
    assert r.status_code == 409
    assert (await StationCategory.select().where(StationCategory.id == row["id"]).first())["label"] == row["label"]


def test_grid_worker_reads_but_may_not_change_settings(as_user):
    c = as_user("gridworker")
    assert c.get("/station-holidays").status_code == 200
    r = post_form(c, "/station-holidays/new", {"station": 1, "day": "2027-05-06", "kind": "holiday"})
    assert r.status_code == 403
