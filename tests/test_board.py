"""The station's public board (公示栏): reachable without signing in, this month's figures and
decisions, and nothing personal — masked phone numbers, no reporters, no disputes."""

from __future__ import annotations

import datetime as dt

from litestar.testing import TestClient

from council.board.queries import parse_month
from council.cases.calendar_store import month_key
from council.cases.tables import Case
from council.stations.tables import Station

ZH = {"Accept-Language": "zh-CN"}


def test_months_parse_to_this_month_when_odd():
    today = dt.date(2026, 12, 2)
    assert parse_month("2026-11", today) == 202611
    assert parse_month("2026-12", today) == 202612
    for bad in ("2027-01", "2026-13", "2026-0", "abc", "", None, "1999-05", "2026-11-01"):
        assert parse_month(bad, today) == 202612, bad


async def test_the_board_shows_settled_cases_masked_and_no_disputes(app):
    station = await Station.select(Station.id, Station.case_prefix).where(Station.case_prefix == "ZXL").first()
    now = dt.datetime.now(dt.timezone.utc)
    request = await Case.select(Case.id, Case.title, Case.state, Case.closed_at, Case.closed_month).where(
        (Case.station == station["id"]) & (Case.kind == "request")).first()
    dispute = await Case.select(Case.id, Case.title, Case.state, Case.closed_at, Case.closed_month).where(
        (Case.station == station["id"]) & (Case.kind == "dispute")).first()
    assert request and dispute
    saved = [request, dispute]
    try:
        await Case.update({Case.title: "东门路灯 联系13812345678", Case.state: "closed", Case.closed_at: now,
                           Case.closed_month: month_key(now)}).where(Case.id == request["id"])
        await Case.update({Case.title: "秘密纠纷标题", Case.state: "settled", Case.closed_at: now,
                           Case.closed_month: month_key(now)}).where(Case.id == dispute["id"])
        with TestClient(app=app) as anonymous:
            r = anonymous.get(f'/board/{station["case_prefix"]}', headers=ZH)
            assert r.status_code == 200
            assert "公示栏" in r.text
            assert "东门路灯 联系138****5678" in r.text
            assert "13812345678" not in r.text
            assert "秘密纠纷标题" not in r.text
            assert anonymous.get("/board/NO-SUCH", headers=ZH).status_code == 404
            assert anonymous.get(f'/board/{station["case_prefix"]}?month=9999-99', headers=ZH).status_code == 200
    finally:
        for row in saved:
            await Case.update({Case.title: row["title"], Case.state: row["state"], Case.closed_at: row["closed_at"],
                               Case.closed_month: row["closed_month"]}).where(Case.id == row["id"])
