"""The app's routes and its API document, compared with a recorded snapshot.

Every route the app serves is recorded as (method, path) with what decides who may call it and
how it is described: the guards that apply (from the app, its routers and the handler, in the
order they run), the route name, the OpenAPI tags, whether it is in the API document, and the
body limit. tests/data/routes_snapshot.json holds that table as it was before the routes moved
into per-domain routers (council/<domain>/routes.py); a route that appears, disappears, loses a
guard or changes its tags fails here. (The move was also checked against the whole /api/v1
OpenAPI document; that part of the snapshot was dropped afterwards — 1 MB that every new field
would have to re-record — and tests/test_schemathesis.py keeps checking that every API route is typed.)

A deliberate change (a new route, a new guard) is recorded with

    COUNCIL_UPDATE_ROUTES_SNAPSHOT=1 .venv/bin/python -m pytest -q tests/test_routes_snapshot.py

and the diff of tests/data/routes_snapshot.json shows it in review.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "data" / "routes_snapshot.json"


def _name(fn) -> str:
    fn = getattr(fn, "func", fn)  # an AsyncCallable wrapper
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def route_table(app) -> list[dict]:
    rows = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            layers = handler.ownership_layers
            guards: list[str] = []
            for layer in layers:
                for g in getattr(layer, "guards", None) or ():
                    if _name(g) not in guards:
                        guards.append(_name(g))
            tags = sorted(set(handler.resolve_tags()))
            include = handler.resolve_include_in_schema()
            body_limit = handler.resolve_request_max_body_size()
            for method in sorted(getattr(handler, "http_methods", ()) or ("WEBSOCKET",)):
                rows.append({"method": method, "path": route.path, "name": re.sub(r"^[0-9a-f]{32}_", "<uuid>_", handler.name or "") or None, "guards": guards,
                             "tags": tags, "in_schema": include, "body_limit": body_limit,
                             "handler": _name(handler.fn)})
    rows.sort(key=lambda r: (r["path"], r["method"]))
    return rows


def current(app) -> dict:
    return {"routes": route_table(app)}


def test_routes_match_the_snapshot(app):
    now = json.loads(json.dumps(current(app), sort_keys=True, default=str))
    if os.environ.get("COUNCIL_UPDATE_ROUTES_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    recorded = json.loads(SNAPSHOT.read_text())
    was = {(r["method"], r["path"]): r for r in recorded["routes"]}
    got = {(r["method"], r["path"]): r for r in now["routes"]}
    assert sorted(got.keys() - was.keys()) == [], "routes added"
    assert sorted(was.keys() - got.keys()) == [], "routes gone"
    changed = [f"{k}: {was[k]} -> {got[k]}" for k in sorted(was) if was[k] != got[k]]
    assert changed == [], "routes changed (guards, name, tags, schema, body limit):\n" + "\n".join(changed)


def test_every_route_that_is_not_public_has_a_guard(app):
    """The guard column is not empty by accident: the sign-in pages, the health probes, the voting
    and notice links and the feeds are the routes without one."""
    # above_stations runs on every route (app-wide) and lets anyone through who is not an officer
    # above the stations: it decides nothing about signing in.
    app_wide = "council.web.guards.above_stations"
    open_ = {r["path"] for r in route_table(app)
             if not [g for g in r["guards"] if g != app_wide] and r["method"] != "OPTIONS"}
    assert not {"/", "/cases", "/api/v1/cases", "/admin/notify", "/api/v1/votes"} & open_
    assert {"/login", "/healthz", "/v/{token:str}", "/api/v1/ballots/{token:str}"} <= open_


def test_every_register_has_its_pages_and_api(app):
    """A register is served by its domain's routes.py (council.web.registers.routers_of): one
    declared in a module no domain mounts would have no pages."""
    from council.core.registry import REGISTERS

    paths = {r["path"] for r in route_table(app)}
    missing = [name for name in REGISTERS if f"/{name}" not in paths or f"/api/v1/{name}" not in paths]
    assert missing == []


def test_a_guard_named_by_a_router_and_its_handler_runs_once(app):
    """/cases: the cases router and the handler both name signed_in; /api/v1/votes: the router
    signed_in, the handler signed_in and a role check. Each guard runs once, router's first (after
    the app-wide above_stations)."""
    from litestar import HttpMethod

    def guards(path: str) -> list:
        for route in app.routes:
            if route.path == path:
                handler = route.route_handler_map[HttpMethod.GET][0]
                return handler.resolve_guards()
        raise AssertionError(path)

    assert len(guards("/cases")) == 2
    assert len(guards("/api/v1/votes")) == 3


def test_public_links_answer_without_sign_in_and_private_areas_refuse(client):
    assert client.get("/board", follow_redirects=False).status_code == 200
    assert client.get("/v/not-a-token", follow_redirects=False).status_code in (200, 404)
    assert client.get("/api/v1/ballots/not-a-token").status_code == 404
    assert client.get("/cases", follow_redirects=False).status_code in (302, 303, 401)
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/reports", follow_redirects=False).status_code in (302, 303, 401)
