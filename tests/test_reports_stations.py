"""Reports over several stations (issue 18): the reception-day totals as XLSX for a period and the
stations chosen, and the monthly station report read for many stations at once — both against a
hand-computed data set on two new stations (boundaries in station-local time, UTC+8)."""

from __future__ import annotations

import datetime as dt
import io
import secrets

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook

from council.accounts.principal import Principal
from council.cases.calendar_store import month_key
from council.cases.tables import Case, Rating
from council.places.tables import Community, Street
from council.reception.tables import Visit
from council.reports import service
from council.stations.tables import Station
from tests.support import login

UTC = dt.timezone.utc
ADMIN = Principal(user_id=0, username="t", display_name="t", role="admin")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
async def two_stations():
    tag = secrets.token_hex(3)
    street = (await Street.insert(Street(name=f"报表街道{tag}")).returning(Street.id))[0]["id"]
    ids = []
    for name in ("X", "Y"):
        community = (await Community.insert(Community(street=street, name=f"{name}社区{tag}")).returning(Community.id))[0]["id"]
        sid = (await Station.insert(Station(community=community, name=f"{name}驿站{tag}", case_prefix=f"{name}{tag}"))
               .returning(Station.id))[0]["id"]
        ids.append((sid, community))
    (x, cx), (y, cy) = ids

    async def visit(station, community, day, number, status, outcome=""):
        await Visit.insert(Visit(station=station, community=community, day=day, number=number, status=status,
                                 outcome=outcome, created_at=at(2031, 1, 1)))

    may2, may9 = dt.date(2031, 5, 2), dt.date(2031, 5, 9)
    await visit(x, cx, may2, 1, "done", "answered")
    await visit(x, cx, may2, 2, "done", "case")
    await visit(x, cx, may2, 3, "left")
    await visit(x, cx, may2, None, "draft")  # a draft from the grid group: not a visit
    await visit(x, cx, may2, 4, "waiting")
    await visit(x, cx, may9, 1, "done", "news")
    await visit(x, cx, may9, 2, "done", "answered")
    await visit(x, cx, dt.date(2031, 4, 25), 1, "done", "answered")  # before the period
    await visit(x, cx, dt.date(2031, 6, 6), 1, "done", "answered")  # after it
    await visit(y, cy, dt.date(2031, 5, 16), 1, "done", "answered")
    n = 0

    async def case(kind, created, closed=None, due=None, channel="reception_day"):
        nonlocal n
        n += 1
        return (await Case.insert(Case(
            station=x, community=cx, number=f"R{tag}-{n}", kind=kind, title=f"报表{n}", category="property",
            channel=channel, state="closed" if closed else "handling", due_date=due, created_at=created,
            updated_at=created, closed_at=closed, created_month=month_key(created),
            closed_month=month_key(closed) if closed else None,
            close_minutes=int((closed - created).total_seconds() // 60) if closed else None)).returning(Case.id))[0]["id"]

    # A: 05-01 00:30 local, closed 05-10 after its 05-08 deadline (late)
    a = await case("request", at(2031, 4, 30, 16, 30), at(2031, 5, 10, 2), dt.date(2031, 5, 8))
    await case("request", at(2031, 5, 31, 16))  # 06-01 00:00 local: not in May
    await case("proposal", at(2031, 5, 15), at(2031, 6, 2), channel="grid_group")  # received in May, closed in June
    # D: received in March, closed 05-01 00:00 local (30 April in UTC), no deadline: on time
    d = await case("request", at(2031, 3, 1), at(2031, 4, 30, 16))
    await Rating.insert(Rating(case=a, rating="unsatisfied", created_at=at(2031, 5, 12)))
    await Rating.insert(Rating(case=d, rating="satisfied", created_at=at(2031, 4, 20)))  # rated in April
    return {"x": x, "y": y}


async def test_reception_totals_by_hand(two_stations):
    x, y = two_stations["x"], two_stations["y"]
    rows = await service.reception(ADMIN, dt.date(2031, 5, 1), dt.date(2031, 5, 31), [x, y])
    tx, ty = rows[0]["totals"], rows[1]["totals"]
    # X: two Fridays; 4 + 2 visitors; done 2 + 2; answered 1 + 1; one case opened at the desk
    assert (tx.reception_days, tx.visitors, tx.services_provided, tx.answers_given,
            tx.cases_opened_at_reception) == (2, 6, 4, 2, 1)
    # cases registered in May (local): A and the proposal; closed in May (local): A and D
    assert (tx.cases_opened, tx.cases_closed) == (2, 2)
    assert (ty.reception_days, ty.visitors, ty.services_provided, ty.answers_given, ty.cases_opened) == (1, 1, 1, 1, 0)


async def test_monthly_report_for_several_stations_by_hand(two_stations):
    x, y = two_stations["x"], two_stations["y"]
    mx, my = await service.monthly(ADMIN, "2031-05", [x, y])
    assert (mx.received, mx.done, mx.done_requests, mx.on_time) == (2, 2, 2, 1)
    assert mx.by_channel == {"reception_day": 1, "grid_group": 1}
    assert sum(mx.ratings.values()) == 1 and mx.satisfaction == 0
    assert (my.received, my.done, my.on_time_rate, my.satisfaction) == (0, 0, None, None)


async def test_reception_xlsx_download_and_scope(app, two_stations):
    x, y = two_stations["x"], two_stations["y"]
    with TestClient(app=app) as c:
        login(c, "admin")
        assert 'action="/reports/reception.xlsx"' in c.get("/reports", headers={"Accept-Language": "zh-CN"}).text
        r = c.get(f"/reports/reception.xlsx?start=2031-05-01&end=2031-05-31&station={x}&station={y}",
                  headers={"Accept-Language": "zh-CN"})
        assert r.status_code == 200, r.text[:300]
        sheet = [list(v) for v in load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True)]
        assert sheet[0][0] == "书记接待日统计 2031-05-01 – 2031-05-31"
        assert sheet[2] == ["议事驿站", "接待日", "来访人数", "现场解答", "服务事项", "接待日立案", "立案数", "结案数"]
        assert sheet[3][1:] == [2, 6, 2, 4, 1, 2, 2] and sheet[4][1:] == [1, 1, 1, 1, 0, 0, 0]
        assert sheet[5][0] == "合计" and sheet[5][1:] == [3, 7, 3, 5, 1, 2, 2]
        assert c.get("/reports/reception.xlsx?start=2031-05-31&end=2031-05-01").status_code == 422
        assert c.get("/reports/reception.xlsx?start=2031-5-1&end=2031-05-31").status_code == 422
    with TestClient(app=app) as c:
        login(c, "secretary")  # another station's figures: refused
        assert c.get(f"/reports/reception.xlsx?start=2031-05-01&end=2031-05-31&station={x}").status_code in (403, 404)
    with TestClient(app=app) as c:
        login(c, "gridworker")
        assert c.get("/reports/reception.xlsx?start=2031-05-01&end=2031-05-31").status_code == 403


async def test_offices_above_the_stations_draw_the_reports_of_their_area(app, two_stations):
    """The street and district officers file the work report, the reception totals and the
    mediation statistics for the stations under them; the judicial office the mediation
    statistics only; a station outside the area is refused (issue 18)."""
    from council.accounts.services import principal_for_user
    from council.accounts.tables import User

    x = two_stations["x"]
    for username, allowed in (("streetofficer", {"monthly", "mediation", "reception"}),
                              ("districtofficer", {"monthly", "mediation", "reception"}),
                              ("judicial", {"mediation"})):
        user = await User.select().where(User.username == username).first()
        mine = sorted((await principal_for_user(user, via="session")).station_ids)
        assert mine and x not in mine, username  # the test's stations lie in another street
        with TestClient(app=app) as c:
            login(c, username)
            index = c.get("/reports", headers={"Accept-Language": "zh-CN"})
            assert index.status_code == 200, username
            for name, query in (("monthly", "month=2031-05"), ("mediation", "start=2031-05-01&end=2031-05-31"),
                                ("reception", "start=2031-05-01&end=2031-05-31")):
                assert (f'action="/reports/{name}.xlsx"' in index.text) == (name in allowed), (username, name)
                r = c.get(f"/reports/{name}.xlsx?{query}&station={mine[0]}")
                assert r.status_code == (200 if name in allowed else 403), (username, name)
                if name in allowed:
                    load_workbook(io.BytesIO(r.content))  # a real workbook
                    assert c.get(f"/reports/{name}.xlsx?{query}&station={x}").status_code == 403, (username, name)
