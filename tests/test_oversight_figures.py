"""Oversight figures across stations (issue 18) against a hand-computed small data set: two new
stations in a new street, cases placed on the period's boundaries (local time, UTC+8), ratings
and votes — each figure counted by hand below."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from council.cases.calendar_store import month_key
from council.cases.tables import Case, Rating
from council.oversight import figures
from council.places.tables import Community, Street
from council.stations.tables import Station
from council.votes.tables import Vote

UTC = dt.timezone.utc
START, END, TODAY = dt.date(2031, 3, 1), dt.date(2031, 3, 31), dt.date(2031, 4, 10)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
async def district():
    tag = secrets.token_hex(3)
    street = (await Street.insert(Street(name=f"测试街道{tag}")).returning(Street.id))[0]["id"]
    c1 = (await Community.insert(Community(street=street, name=f"甲社区{tag}")).returning(Community.id))[0]["id"]
    c2 = (await Community.insert(Community(street=street, name=f"乙社区{tag}")).returning(Community.id))[0]["id"]
    a = (await Station.insert(Station(community=c1, name=f"甲驿站{tag}", case_prefix=f"A{tag}")).returning(Station.id))[0]["id"]
    b = (await Station.insert(Station(community=c2, name=f"乙驿站{tag}", case_prefix=f"B{tag}")).returning(Station.id))[0]["id"]
    n = 0

    async def case(station, community, kind, state, created, *, closed=None, due=None, category="property"):
        nonlocal n
        n += 1
        row = Case(station=station, community=community, number=f"T{tag}-{n}", kind=kind, title=f"测试{n}",
                   category=category, channel="reception_day", state=state, due_date=due, created_at=created,
                   updated_at=closed or created, closed_at=closed, created_month=month_key(created),
                   closed_month=month_key(closed) if closed else None,
                   close_minutes=int((closed - created).total_seconds() // 60) if closed else None)
        return (await Case.insert(row).returning(Case.id))[0]["id"]

    # Station A (community 1, one case in community 2)
    r1 = await case(a, c1, "request", "closed", at(2031, 3, 2, 1), closed=at(2031, 3, 10, 15, 59),
                    due=dt.date(2031, 3, 10))  # closed 23:59 local on its due day: on time
    r2 = await case(a, c1, "request", "rated", at(2031, 3, 3, 1), closed=at(2031, 3, 10, 16, 30),
                    due=dt.date(2031, 3, 10))  # 00:30 local the day after: late
    await case(a, c1, "request", "handling", at(2031, 3, 5), due=dt.date(2031, 3, 20))  # overdue on 04-10
    await case(a, c1, "request", "dispatched", at(2031, 3, 6), due=dt.date(2031, 4, 20))  # not yet due
    await case(a, c2, "proposal", "discuss", at(2031, 3, 7), category="traffic")
    d1 = await case(a, c1, "dispute", "settled", at(2031, 3, 8), closed=at(2031, 3, 18))
    await case(a, c1, "dispute", "not_settled", at(2031, 3, 9), closed=at(2031, 3, 11))
    await case(a, c1, "dispute", "mediating", at(2031, 3, 9))
    # 2031-02-28 16:30 UTC is 03-01 00:30 in Beijing: inside the period (registered, no deadline)
    await case(a, c1, "request", "registered", at(2031, 2, 28, 16, 30))
    # 2031-03-31 16:00 UTC is 04-01 00:00 in Beijing: outside the period; a February case too
    await case(a, c1, "request", "handling", at(2031, 3, 31, 16), due=dt.date(2031, 4, 2))
    await case(a, c1, "request", "closed", at(2031, 2, 10), closed=at(2031, 3, 1), due=dt.date(2031, 2, 20))
    # Station B: one request without a deadline, closed (on time by definition)
    r3 = await case(b, c2, "request", "closed", at(2031, 3, 15), closed=at(2031, 3, 16))
    for cid, rating in ((r1, "satisfied"), (r2, "unsatisfied"), (d1, "basically_satisfied"), (r3, "satisfied")):
        await Rating.insert(Rating(case=cid, rating=rating, created_at=at(2031, 3, 20)))
    for state, closed in (("closed", at(2031, 3, 12)), ("open", None), ("closed", at(2031, 2, 12))):
        await Vote.insert(Vote(station=a, community=c1, title="表决", rule_set="civil_code", state=state,
                               closed_at=closed, created_at=at(2031, 2, 1)))
    return {"a": a, "b": b, "c1": c1, "c2": c2}


async def test_station_figures_by_hand(district):
    a, b = district["a"], district["b"]
    rows = await figures.station_figures([b, a, 999_999_999], START, END, on=TODAY)
    assert [r["station_id"] for r in rows] == [b, a]  # the order asked; an unknown station left out
    fa, fb = rows[1], rows[0]
    # A received 9 in March (local): r1 r2 handling dispatched proposal d1 d2 mediating registered;
    # done r1 r2 d1 d2; in progress handling dispatched proposal mediating registered; overdue: handling
    assert (fa["received"], fa["done"], fa["in_progress"], fa["overdue"]) == (9, 4, 5, 1)
    assert (fa["requests_done"], fa["on_time"], fa["on_time_rate"]) == (2, 1, 50.0)
    # close minutes: r1 8d14h59m, r2 7d15h30m, d1 10d, d2 2d → 40,709 / 4 = 7.07 days
    minutes = (8 * 1440 + 14 * 60 + 59) + (7 * 1440 + 15 * 60 + 30) + 10 * 1440 + 2 * 1440
    assert fa["avg_days_to_close"] == round(minutes / 4 / 1440, 1) == 7.1
    assert (fa["ratings_good"], fa["ratings"], fa["satisfaction"]) == (2, 3, 66.7)
    assert (fa["mediation_settled"], fa["mediation_ended"], fa["mediation_success_rate"]) == (1, 2, 50.0)
    assert fa["votes_held"] == 1
    assert (fb["received"], fb["done"], fb["in_progress"], fb["overdue"], fb["on_time_rate"]) == (1, 1, 0, 0, 100.0)
    assert (fb["satisfaction"], fb["mediation_success_rate"], fb["votes_held"], fb["avg_days_to_close"]) == (
        100.0, None, 0, 1.0)
    # A period with nothing: zeros and no rates
    empty = (await figures.station_figures([a], dt.date(2001, 1, 1), dt.date(2001, 1, 31), on=TODAY))[0]
    assert (empty["received"], empty["on_time_rate"], empty["satisfaction"], empty["avg_days_to_close"]) == (
        0, None, None, None)


async def test_monthly_trend_by_hand(district):
    a, b = district["a"], district["b"]
    rows = await figures.monthly_trend([a, b], dt.date(2031, 2, 1), dt.date(2031, 4, 30))
    got = {(r["station_id"], r["month"]): (r["received"], r["done"]) for r in rows}
    # A: February received the Feb case only (the 02-28 16:30 UTC one is March locally);
    # March received 9, done r1 r2 d1 d2 + the February case (closed 03-01) = 5; April received 1
    assert got == {(a, "2031-02"): (1, 0), (a, "2031-03"): (9, 5), (a, "2031-04"): (1, 0),
                   (b, "2031-02"): (0, 0), (b, "2031-03"): (1, 1), (b, "2031-04"): (0, 0)}


async def test_heat_by_category_and_community(district):
    a, b = district["a"], district["b"]
    rows = await figures.heat([a, b], START, END)
    got = {(r["community_id"], r["category"]): r["count"] for r in rows}
    assert got == {(district["c1"], "property"): 8, (district["c2"], "traffic"): 1, (district["c2"], "property"): 1}
    assert rows[0]["count"] == 8 and rows[0]["community"].startswith("甲社区")
    assert await figures.heat([], START, END) == []


async def test_few_statements_whatever_the_number_of_stations(district):
    from council import db

    ids = [district["a"], district["b"]]
    stats = db.count_statements()
    await figures.station_figures(ids, START, END, on=TODAY)
    await figures.monthly_trend(ids, START, END)
    await figures.heat(ids, START, END)
    assert stats.count <= 8, stats.count  # 4 + 3 + 1
    together = await figures.dashboard(ids, START, END, on=TODAY)
    assert together["stations"] == await figures.station_figures(ids, START, END, on=TODAY)
    assert together["heat"] == await figures.heat(ids, START, END)
    assert together["trend"] == await figures.monthly_trend(ids, START, END)


async def test_a_search_across_stations_counts_up_to_its_cap(district, monkeypatch):
    from council.accounts.principal import Principal
    from council.cases import queries

    officer = Principal(user_id=0, username="t", display_name="t", role="secretary",
                        station_ids=frozenset({district["a"], district["b"]}))
    rows, total = await queries.list_cases(officer, queries.CaseFilter(q="测试"))
    assert total == 12 and type(total) is int and len(rows) == 12  # under the cap: the exact count
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 5)
    rows, total = await queries.list_cases(officer, queries.CaseFilter(q="测试"))
    assert isinstance(total, queries.AtLeast) and total == 5 and str(total) == "5+" and len(rows) == 12
    # one letter, either case, is matched literally (numbers are T<tag>-n) and counted to the cap
    rows, total = await queries.list_cases(officer, queries.CaseFilter(q="t"))
    assert len(rows) == 12 and str(total) == "5+"
    assert (await queries.list_cases(officer, queries.CaseFilter(q="测试1")))[1] == 4  # 测试1, 测试10, 测试11, 测试12
