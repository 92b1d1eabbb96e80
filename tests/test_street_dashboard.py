"""The dashboard a street office reads (issue 17): the six-step funnel with median days per step
from the timeline's moves, breakdowns by category, department (response time, on-time rate),
estate and grid, mediation success and satisfaction, a date range, and each table as XLSX."""

from __future__ import annotations

import datetime as dt
import io

from council.cases import chart, funnel, street

T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_days_in_states_follow_the_moves_in_time_order():
    moves = [(T0 + days(5), "discuss", "act"), (T0 + days(2), "propose", "discuss")]
    spent = funnel.days_in_states(T0, "propose", moves, until=T0 + days(6))
    assert spent == {"propose": 2.0, "discuss": 3.0, "act": 1.0}
    # a move recorded before the case (clock skew) counts no negative time
    assert funnel.days_in_states(T0, "propose", [(T0 - days(1), "propose", "discuss")], until=T0)["propose"] == 0.0


def test_funnel_counts_now_reached_and_medians():
    paths = [{"propose": 1.0, "discuss": 4.0}, {"propose": 3.0}, {"propose": 2.0, "discuss": 2.0, "act": 1.0}]
    rows = funnel.funnel(paths, ["discuss", "propose", "act"], ("propose", "discuss", "act", "fund"))
    assert rows[0] == {"step": "propose", "now": 1, "reached": 3, "median_days": 2.0}
    assert rows[1] == {"step": "discuss", "now": 1, "reached": 2, "median_days": 3.0}
    assert rows[3] == {"step": "fund", "now": 0, "reached": 0, "median_days": None}


def test_rates_at_their_boundaries():
    assert funnel.rate(0, 0) is None and funnel.rate(1, 3) == 33.3
    assert funnel.mediation_success(["settled", "not_settled", "mediating", "withdrawn"]) == (1, 3, 33.3)
    assert funnel.satisfaction(["satisfied", "basically_satisfied", "unsatisfied"]) == (2, 3, 66.7)
    assert funnel.satisfaction([]) == (0, 0, None)


def test_range_is_parsed_or_refused_in_words():
    assert street.parse_range("2026-01-01", "2026-01-31") == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    on = dt.date(2026, 6, 30)
    assert street.parse_range(None, None, on) == (on - days(364), on)
    for start, end, field in (("2026-13-01", None, "start"), ("2026-02-01", "2026-01-01", "end")):
        try:
            street.parse_range(start, end, on)
        except Exception as e:  # noqa: BLE001
            assert field in e.errors
        else:
            raise AssertionError((start, end))


def test_funnel_chart_escapes_and_draws_one_bar_per_step():
    svg = chart.funnel_chart([("<提出>", 3, 2.5), ("议", 0, None)], title="t&", days_word="天")
    assert svg.count("<rect") == 2 and "&lt;提出&gt;" in svg and "3 · 2.5 天" in svg and "t&amp;" in svg


def _station(c) -> int:
    import re

    return int(re.search(r'name="station" value="(\d+)"', c.get("/dashboard").text).group(1))


async def test_dashboard_draws_the_street_tables_and_exports_each_as_xlsx(as_user):
    from openpyxl import load_workbook

    c = as_user("secretary")
    sid = _station(c)
    r = c.get(f"/dashboard?station={sid}")
    assert r.status_code == 200
    html = r.text
    for name in street.TABLES:
        assert f'id="table-{name}"' in html and f"/dashboard/export.xlsx?table={name}" in html
    assert 'class="chart funnel"' in html and "六步议事" in html and "调解成功率" in html
    assert "民事民提" in html  # the steps by name, not code
    # the department table names the organisations the demo's requests went to
    dept = html[html.index('id="table-department"'):html.index('id="table-estate"')]
    assert "物业" in dept
    # each export is a real workbook holding the page's rows
    for name in street.TABLES:
        x = c.get(f"/dashboard/export.xlsx?table={name}&station={sid}")
        assert x.status_code == 200 and x.content[:2] == b"PK", name
        sheet = load_workbook(io.BytesIO(x.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows[0]) >= 4 and rows[0][0]
        if name == "funnel":
            assert len(rows) == 7 and "民事民提" in rows[1][0]
    assert c.get(f"/dashboard/export.xlsx?table=nope&station={sid}").status_code == 404


async def test_the_date_range_narrows_and_a_bad_range_is_refused_beside_the_field(as_user):
    c = as_user("secretary")
    sid = _station(c)
    empty = c.get(f"/dashboard?station={sid}&start=2001-01-01&end=2001-12-31").text
    assert "2001-01-01 至 2001-12-31 受理案件: 0" in empty
    bad = c.get(f"/dashboard?station={sid}&start=2026-02-01&end=2026-01-01").text
    at = bad.index('id="range-end"')
    assert "结束日期早于开始日期。" in bad[at:at + 400]


async def test_other_stations_and_residents_cannot_export(as_user):
    from council.stations.tables import Station

    mine = await Station.select(Station.community).first()
    import secrets

    other = await Station.insert(Station(community=mine["community"], name="别的驿站",
                                         case_prefix=f"X{secrets.token_hex(3)}")).returning(Station.id)
    sec = as_user("secretary")
    # Another station's id answers as a missing one (no existence oracle, council.core.errors.OutOfScope).
    assert sec.get(f"/dashboard/export.xlsx?table=funnel&station={other[0]['id']}").status_code == 404
    assert as_user("resident").get("/dashboard/export.xlsx?table=funnel&station=1").status_code == 403
