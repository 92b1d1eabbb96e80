"""No 5xx from input (issue 14): hostile values in every query parameter a route reads, in
every JSON body of the API, and in the grid-group paste, get a 4xx (or are ignored) well under a
second. Routes are found from app.routes; query parameters from each handler's signature plus
the names the pages read by hand (page, date, day, station, q...)."""

from __future__ import annotations

import json
import time

import pytest
from litestar.testing import TestClient

from council.accounts import services
from council.accounts.principal import SYSTEM
from council.reception import paste
from tests.support import csrf_token, login
from tests.test_matrix import app_routes, concrete, sample_ids  # noqa: F401 (fixture)

HUGE = "9" * 30  # beyond int64
FAR_DATE = "10000-01-01"
COMMON_PARAMS = ("page", "per_page", "station", "estate", "date", "day", "date_from", "date_to", "from", "to",
                 "week", "month", "year", "voter", "case", "organisation", "community", "building")
LIMIT = 2.0  # seconds, generous for a loaded CI machine; each is far below in practice


def query_params(route) -> set[str]:
    names = set(COMMON_PARAMS)
    for handler in getattr(route, "route_handlers", ()):
        for name, param in handler.parsed_fn_signature.parameters.items():
            if name not in ("request", "data", "state", "scope") and name not in route.path_parameters:
                names.add(name)
    return names


@pytest.fixture(scope="module")
def admin_client(app):
    with TestClient(app=app) as c:
        login(c, "admin")
        yield c


@pytest.fixture(scope="module")
async def bearer() -> dict:
    return {"Authorization": "Bearer " + await services.create_token(SYSTEM, "admin", "hostile")}


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, FAR_DATE, "0000-00-00", "1e309", "\x00", "%00", "NaN"])
def test_hostile_query_values_never_give_a_server_error(app, admin_client, bearer, sample_ids, value):  # noqa: F811
    failures = []
    for route in app.routes:
        methods = getattr(route, "methods", ()) or ()
        if "GET" not in methods or route.path.startswith("/static") or route.path.endswith((".pdf", "schema")):
            continue
        url = concrete(route.path, "GET", sample_ids)
        params = {name: value for name in query_params(route)}
        start = time.perf_counter()
        r = admin_client.get(url, params=params, headers=bearer if url.startswith("/api/") else {},
                             follow_redirects=False)
        took = time.perf_counter() - start
        if r.status_code >= 500 or took > LIMIT:
            failures.append(f"GET {url} {sorted(params)[:3]}…={value!r}: {r.status_code} in {took:.2f}s")
    assert not failures, "\n".join(failures[:30])


def deep(n: int) -> str:
    return "[" * n + "]" * n


def api_write_routes(app) -> list[tuple[str, str]]:
    out = []
    for method, path in app_routes(app):
        if path.startswith("/api/") and method in ("POST", "PUT", "PATCH"):
            out.append((method, path))
    return out


@pytest.mark.parametrize("body", [deep(5000), '{"a":' * 5000 + "1" + "}" * 5000])
def test_deep_json_is_refused_on_every_api_write(app, client, bearer, sample_ids, body):  # noqa: F811
    failures = []
    for method, path in api_write_routes(app):
        url = concrete(path, method, sample_ids)
        start = time.perf_counter()
        r = client.request(method, url, content=body, headers={**bearer, "content-type": "application/json"})
        took = time.perf_counter() - start
        if r.status_code >= 500 or r.status_code < 400 or took > LIMIT:
            failures.append(f"{method} {url}: {r.status_code} in {took:.2f}s")
        elif not r.headers.get("content-type", "").startswith("application/problem+json"):
            failures.append(f"{method} {url}: {r.status_code} not problem+json")
    assert not failures, "\n".join(failures[:30])


HOSTILE_PASTES = {
    "repeated system words": "邀请" * 25_000,
    "one message, many lines": "张三: 开始\n" + "续行\n" * 16_000,
    "many messages": "张三: 你好\n" * 5_000,
    "desktop headers": ("张三 10:32\n" + "地址：3栋\n" * 3) * 1_500,
    "invited": "invited " * 6_000,
}


@pytest.mark.parametrize("name", HOSTILE_PASTES)
def test_grid_paste_parser_is_linear(name):
    """Four times the text may take about four times as long, never sixteen (quadratic); the best
    of three runs each, so a busy machine does not decide. And 50 KB stays well under a second."""
    def best(text: str) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            paste.parse(text)
            runs.append(time.perf_counter() - start)
        return min(runs)

    full = HOSTILE_PASTES[name][:50_000]
    whole, quarter = best(full), best(full[:12_500])
    assert whole < 8 * quarter + 0.05, (whole, quarter)
    assert whole < 1.0


@pytest.mark.parametrize("name", HOSTILE_PASTES)
def test_a_50kb_paste_is_answered_quickly(as_user, name):
    from council.stations.tables import Station  # noqa: F401

    c = as_user("secretary")
    start = time.perf_counter()
    r = c.post("/reception/grid", data={"text": HOSTILE_PASTES[name][:50_000], "_csrf_token": csrf_token(c)},
               follow_redirects=False)
    assert r.status_code < 500 and time.perf_counter() - start < LIMIT, (r.status_code, time.perf_counter() - start)


def test_json_depth_check():
    from council.web.security import MAX_JSON_DEPTH, json_too_deep

    assert not json_too_deep(b'{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}')
    assert json_too_deep(deep(MAX_JSON_DEPTH + 1).encode()) and not json_too_deep(deep(MAX_JSON_DEPTH).encode())
    assert not json_too_deep(b'"\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["')
    start = time.perf_counter()
    assert json_too_deep(("[" * 500_000).encode())
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("raw,expected", [("12", 12), (" 7 ", 7), ("0", 0), ("", None), (None, None), ("-1", None),
                                          ("1e3", None), ("²", None), ("١٢", None), (HUGE, None),
                                          (str(2**63 - 1), 2**63 - 1), (str(2**63), None), (True, None), (5, 5)])
def test_bounded_int(raw, expected):
    from council.core.reading import bounded_int

    assert bounded_int(raw) == expected


def test_json_body_that_is_fine_still_reaches_the_handler(client, bearer):
    r = client.post("/api/v1/cases", headers=bearer, json={"title": {"nested": [[[1]]]}})
    assert r.status_code in (400, 422) and "nests deeper" not in r.text


DATE_FIELDS = ("date", "day", "due_date", "starts_at", "ends_at", "opens_at", "closes_at", "date_from", "date_to",
               "notice_given_on", "notice_ack_on", "signed_on", "held_on", "deadline", "expires_at", "from", "until")


def test_a_date_in_year_10000_never_gives_a_server_error(app, admin_client, bearer, sample_ids):  # noqa: F811
    """Every write route, with every date-like field set to 10000-01-01 (a form on pages, JSON on the API).
    Rows that do not exist are named in paths, so nothing is changed."""
    failures = []
    token = csrf_token(admin_client)
    for method, path in app_routes(app):
        if method not in ("POST", "PUT", "PATCH") or path.startswith("/login") or path in ("/logout", "/locale"):
            continue
        url = concrete(path, method, sample_ids)
        values = {name: FAR_DATE for name in DATE_FIELDS}
        if url.startswith("/api/"):
            r = admin_client.request(method, url, json=values, headers=bearer)
        else:
            r = admin_client.request(method, url, data={**values, "_csrf_token": token}, follow_redirects=False)
        if r.status_code >= 500:
            failures.append(f"{method} {url}: {r.status_code}")
    assert not failures, "\n".join(failures[:30])
