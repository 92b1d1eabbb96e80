"""The overview of the stations under an officer (/oversight): who may open it, the period, sorting,
and every figure drilling down to a case list with exactly as many cases as the figure says."""

from __future__ import annotations

import datetime as dt
import html
import re
import secrets

import pytest

from council.accounts.principal import SYSTEM

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture(scope="module")
async def district() -> dict:
    """A second station in the demo's district (another street), with three requests received today:
    one overdue (its deadline moved into the past), one closed, one open."""
    from council.cases import intake
    from council.cases.calendar_store import today
    from council.cases.tables import Case
    from council.core import registry
    from council.core.registry import REGISTERS

    tag = secrets.token_hex(3)
    street = await registry.create_row(SYSTEM, REGISTERS["streets"], {"name": f"盘城街道{tag}", "district": "江北新区"})
    community = await registry.create_row(SYSTEM, REGISTERS["communities"], {"street": street, "name": f"新华社区{tag}"})
    station = await registry.create_row(SYSTEM, REGISTERS["stations"], {
        "community": community, "name": f"新华社区驿站{tag}", "case_prefix": f"X{tag}".upper(),
        "reception_weekday": 1, "reception_start": "09:00", "reception_end": "11:00"})
    ids = []
    for i in range(3):
        ids.append((await intake.register_case(SYSTEM, {
            "station": station, "kind": "request", "title": f"新华诉求{i}{tag}", "category": "other",
            "channel": "hotline_12345"}))["id"])
    await Case.update({Case.due_date: today() - dt.timedelta(days=3)}).where(Case.id == ids[0])
    now = dt.datetime.now(dt.timezone.utc)
    await Case.update({Case.state: "closed", Case.closed_at: now, Case.close_minutes: 60}).where(Case.id == ids[1])
    from council.accounts import whois

    whois.forget()  # the officers see a new station within whois.TTL seconds; the test does not wait
    return {"tag": tag, "station": station, "community": community, "overdue": ids[0], "closed": ids[1], "open": ids[2]}


def _row(text: str, station: int) -> str:
    m = re.search(rf'<tr data-station="{station}">(.*?)</tr>', text, re.S)
    assert m, "no row for the station"
    return m.group(1)


def _links(row: str) -> list[tuple[str, str]]:
    return [(html.unescape(href), n) for href, n in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]*)</a>', row)]


def _listed(client, href: str) -> int:
    r = client.get(href, headers=ZH)
    assert r.status_code == 200, href
    return int(re.search(r"<h1>[^<]*<small class=\"muted\">\((\d+)\)</small>", r.text).group(1))


def test_only_officers_and_admins_open_it(as_user):
    for username in ("secretary", "gridworker", "mediator", "liaison", "resident", "judicial"):
        assert as_user(username).get("/oversight").status_code == 403, username
    for username in ("streetofficer", "districtofficer", "admin"):
        assert as_user(username).get("/oversight", headers=ZH).status_code == 200, username


def test_the_street_officer_sees_their_street_only(as_user, district):
    r = as_user("streetofficer").get("/oversight", headers=ZH)
    assert "振兴路社区红色议事驿站" in r.text
    assert district["tag"] not in r.text
    assert "辖区驿站总览" in r.text  # zh-CN first


def test_every_figure_opens_the_cases_behind_it(as_user, district):
    c = as_user("districtofficer")
    r = c.get("/oversight", headers=ZH)
    row = _row(r.text, district["station"])
    links = _links(row)
    by_filter = {}
    for href, n in links:
        for key in ("done=1", "open=1", "overdue=1", "on_time=1", "rated=good"):
            if key in href:
                by_filter.setdefault(key, (href, n))
        if not any(k in href for k in ("done=1", "open=1", "overdue=1", "on_time=1", "rated", "kind=", "votes")):
            by_filter.setdefault("received", (href, n))
    assert by_filter["received"][1] == "3"
    assert by_filter["done=1"][1] == "1"
    assert by_filter["open=1"][1] == "2"
    assert by_filter["overdue=1"][1] == "1"
    for key in ("received", "done=1", "open=1", "overdue=1"):
        href, n = by_filter[key]
        assert _listed(c, href) == int(n), (key, href)
    # The overdue figure's list is that one case, across the stations the officer sees.
    overdue = c.get(by_filter["overdue=1"][0], headers=ZH).text
    assert f"新华诉求0{district['tag']}" in overdue and f"新华诉求2{district['tag']}" not in overdue


def test_the_heat_table_and_the_trend_drill_down_too(as_user, district):
    c = as_user("districtofficer")
    text = c.get("/oversight", headers=ZH).text
    heat = re.search(r'<section class="card" id="heat">(.*?)</section>', text, re.S).group(1)
    cell = [(h, n) for h, n in _links(heat) if f"community={district['community']}" in h and "category=other" in h]
    assert cell and cell[0][1] == "3"
    assert _listed(c, cell[0][0]) == 3
    trend = re.search(r'<section class="card" id="trend">(.*?)</section>', text, re.S).group(1)
    month = dt.date.today().strftime("%Y-%m")
    assert month in trend


def test_sorting_and_a_bad_period(as_user, district):
    c = as_user("districtofficer")
    text = c.get("/oversight?sort=received&dir=asc", headers=ZH).text
    order = [int(s) for s in re.findall(r'<tr data-station="(\d+)">', text)]
    rows = {s: int(_links(_row(text, s))[0][1]) for s in order}
    assert [rows[s] for s in order] == sorted(rows[s] for s in order)
    assert 'aria-sort="ascending"' in text
    r = c.get("/oversight?start=2026-13-01", headers=ZH)
    assert r.status_code == 422
    assert "2027-01-01" in r.text and 'role="alert"' in r.text
    r = c.get("/oversight?start=2026-05-01&end=2026-04-01", headers=ZH)
    assert r.status_code == 422


def test_the_menu_stays_short_for_the_officers(as_user):
    text = as_user("streetofficer").get("/", headers=ZH).text
    nav = re.search(r'<nav id="nav".*?</nav>', text, re.S).group(0)
    assert "/oversight" in nav
    assert "/cases/new" not in text


async def test_the_overview_does_not_grow_with_its_stations_or_cases(as_user, caplog, district):
    """A fixed number of statements whatever the number of stations and cases under the officer."""
    import logging

    from council.accounts import whois
    from council.cases import intake
    from council.core import registry
    from council.core.registry import REGISTERS
    from tests.test_query_counts import LOGGER, statements

    caplog.set_level(logging.DEBUG, logger=LOGGER)
    c = as_user("districtofficer")
    before = statements(caplog, c, "/oversight")
    tag = secrets.token_hex(3)
    for n in range(3):
        community = await registry.create_row(SYSTEM, REGISTERS["communities"], {
            "street": (await _street_of(district["community"])), "name": f"计数社区{n}{tag}"})
        station = await registry.create_row(SYSTEM, REGISTERS["stations"], {
            "community": community, "name": f"计数驿站{n}{tag}", "case_prefix": f"C{n}{tag}".upper(),
            "reception_weekday": 1, "reception_start": "09:00", "reception_end": "11:00"})
        for i in range(4):
            await intake.register_case(SYSTEM, {"station": station, "kind": "request", "title": f"计数{i}",
                                                "category": ("other", "facilities")[i % 2], "channel": "hotline_12345"})
    whois.forget()
    after = statements(caplog, c, "/oversight")
    assert after <= before, (before, after)
    assert f"计数驿站2{tag}" in c.get("/oversight", headers=ZH).text


async def _street_of(community: int) -> int:
    from council.places.tables import Community

    return (await Community.select(Community.street).where(Community.id == community).first())["street"]


def test_the_officers_home_pages_show_their_work(as_user, district):
    text = as_user("districtofficer").get("/", headers=ZH).text
    assert f"新华诉求0{district['tag']}" in text  # overdue, under the district
    assert as_user("judicial").get("/", headers=ZH).status_code == 200


def test_votes_held_opens_the_votes_behind_it(as_user):
    c = as_user("streetofficer")
    text = c.get("/oversight?start=2020-01-01", headers=ZH).text
    station = int(re.search(r'<tr data-station="(\d+)">', text).group(1))
    href, n = [(h, n) for h, n in _links(_row(text, station)) if h.startswith("/votes")][0]
    listed = c.get(href, headers=ZH).text
    body = re.search(r"<tbody>(.*?)</tbody>", listed, re.S)
    rows = len(re.findall(r"<tr>", body.group(1))) if body else 0
    assert rows == int(n), (href, n, rows)
