"""Reports filed upward: the station work report's figures against a hand-computed data set
(pure, then through the XLSX download), the mediation statistics table, and who may have them."""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook

from council.cases.tables import Case, Rating
from council.core.localtime import LOCAL
from council.reports.monthly import compute
from tests.support import login

UTC = dt.timezone.utc


def test_monthly_figures_by_hand():
    received = [{"channel": "reception_day", "category": "property"}, {"channel": "reception_day", "category": "traffic"},
                {"channel": "hotline_12345", "category": "property"}]
    done = [
        # closed 2031-03-10 16:30 UTC = 03-11 00:30 in Beijing: one day after its deadline → late
        {"id": 1, "number": "A-1", "title": "路灯", "kind": "request", "due_date": dt.date(2031, 3, 10),
         "closed_at": dt.datetime(2031, 3, 10, 16, 30, tzinfo=UTC)},
        {"id": 2, "number": "A-2", "title": "垃圾桶", "kind": "request", "due_date": dt.date(2031, 3, 10),
         "closed_at": dt.datetime(2031, 3, 10, 15, 59, tzinfo=UTC)},  # 23:59 local: on time
        {"id": 3, "number": "A-3", "title": "电梯", "kind": "proposal", "due_date": None,
         "closed_at": dt.datetime(2031, 3, 5, tzinfo=UTC)},
    ]
    ratings = [{"case": 1, "rating": "unsatisfied"}, {"case": 2, "rating": "satisfied"},
               {"case": 3, "rating": "basically_satisfied"}, {"case": 3, "rating": "satisfied"}]
    m = compute("驿站", received, done, ratings, LOCAL)
    assert (m.received, m.done, m.done_requests, m.on_time) == (3, 3, 2, 1)
    assert m.on_time_rate == Fraction(1, 2)
    assert m.satisfaction == Fraction(3, 4)
    assert m.by_channel == {"reception_day": 2, "hotline_12345": 1}
    assert m.by_category == {"property": 2, "traffic": 1}
    assert m.typical[0] == ("A-3", "电梯")  # best rated first


async def test_the_monthly_xlsx_counts_a_hand_made_month(app):
    """Three demo cases moved into March 2031: two proposals received, one request closed on time and rated."""
    cols = (Case.id, Case.created_month, Case.closed_month, Case.closed_at, Case.due_date, Case.channel)
    c = await Case.select(*cols).where((Case.kind == "request") & (Case.station == 1)).first()
    others = await Case.select(*cols).where((Case.kind == "proposal") & (Case.station == 1)).order_by(Case.id).limit(2)
    assert c and len(others) == 2
    a, b = others
    rows = [a, b, c]
    closed = dt.datetime(2031, 3, 12, 2, tzinfo=UTC)
    rating_id = None
    try:
        await Case.update({Case.created_month: 203103, Case.channel: "patrol"}).where(Case.id.is_in([a["id"], b["id"]]))
        await Case.update({Case.closed_month: 203103, Case.closed_at: closed, Case.due_date: dt.date(2031, 3, 12),
                           Case.created_month: 203102}).where(Case.id == c["id"])
        rating_id = (await Rating.insert(Rating(case=c["id"], rating="satisfied", created_at=closed)))[0]["id"]
        with TestClient(app=app) as client:
            login(client, "secretary")
            r = client.get("/reports/monthly.xlsx?month=2031-03&station=1", headers={"Accept-Language": "zh-CN"})
            assert r.status_code == 200, r.text[:500]
            book = load_workbook(io.BytesIO(r.content))
            summary = [list(x) for x in book.worksheets[0].iter_rows(values_only=True)]
            station_row = summary[3]
            assert station_row[1:8] == [2, 1, 1, 1, "100.0%", 1, "100.0%"]
            channels = [list(x) for x in book.worksheets[1].iter_rows(values_only=True)]
            assert sum(channels[1][1:]) == 2
            # Another station's id, a bad month, a role without reports: refused, nothing written.
            assert client.get("/reports/monthly.xlsx?month=2031-03&station=999999").status_code in (403, 404)
            assert client.get("/reports/monthly.xlsx?month=31-3x").status_code == 422
            m = client.get("/reports/mediation.xlsx?start=2026-01-01&end=2026-12-31")
            assert m.status_code == 200
            sheet = [list(x) for x in load_workbook(io.BytesIO(m.content)).worksheets[0].iter_rows(values_only=True)]
            assert sheet[2][0] == "议事驿站" and any(row[1] == "合计" for row in sheet[3:])
        with TestClient(app=app) as grid:
            login(grid, "gridworker")
            assert grid.get("/reports/monthly.xlsx?month=2031-03").status_code == 403
            assert grid.get("/reports").status_code == 403
    finally:
        if rating_id:
            await Rating.delete().where(Rating.id == rating_id)
        for row in rows:
            await Case.update({Case.created_month: row["created_month"], Case.closed_month: row["closed_month"],
                               Case.closed_at: row["closed_at"], Case.due_date: row["due_date"],
                               Case.channel: row["channel"]}).where(Case.id == row["id"])
