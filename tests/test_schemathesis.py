"""The OpenAPI document is complete, and the API keeps to it under generated input.

- every /api/v1 route is in /api/v1/schema/openapi.json with its request body (when it takes
  one) and a response schema; no HTML page is;
- schemathesis sends a bounded number of generated requests to every operation, with an
  administrator's token, against a live server on a fresh copy of the demo data (so fuzzing
  never disturbs the test session's database): no 5xx, and every response matches its schema.

Routes are walked from `app.routes`, so API modules added later are held to the same bar.
"""

from __future__ import annotations

import os
import re

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings as hsettings  # noqa: E402

from tests.liveserver import Server, fresh_site  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("COUNCIL_SCHEMATHESIS_EXAMPLES", "10"))
BODY_METHODS = {"POST", "PUT", "PATCH"}


def openapi_path(path: str) -> str:
    return re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", path)


def untyped(schema: dict) -> bool:
    """`{"type": "object"}` with nothing inside (what a handler returning a plain dict gets), or a
    list of those: a schema that says nothing about what the response holds."""
    if schema.get("type") == "array":
        return untyped(schema.get("items") or {})
    return schema.get("type") == "object" and not schema.get("properties") and not schema.get("additionalProperties")


@pytest.fixture(scope="module")
def document(app) -> dict:
    return app.openapi_schema.to_schema()


def test_every_api_route_is_documented_with_schemas(app, document):
    paths = document["paths"]
    problems = []
    for route in app.routes:
        if not route.path.startswith("/api/v1") or route.path.startswith("/api/v1/schema"):
            continue
        for handler in getattr(route, "route_handlers", ()):
            for method in handler.http_methods:
                if method in ("OPTIONS", "HEAD"):
                    continue
                op = paths.get(openapi_path(route.path), {}).get(method.lower())
                if op is None:
                    problems.append(f"{method} {route.path}: not in the OpenAPI document")
                    continue
                takes_body = "data" in handler.parsed_fn_signature.parameters
                if takes_body and not op.get("requestBody", {}).get("content"):
                    problems.append(f"{method} {route.path}: no request body schema")
                ok = {code: r for code, r in op.get("responses", {}).items() if code.startswith("2")}
                if not ok:
                    problems.append(f"{method} {route.path}: no success response")
                for code, resp in ok.items():
                    content = resp.get("content") or {}
                    if code == "204":
                        continue
                    if not content:
                        problems.append(f"{method} {route.path}: response {code} has no content")
                    for media, c in content.items():
                        # JSON must say what it holds; a download (CSV, XLSX, a photo) is a byte stream.
                        if "json" in media and not c.get("schema"):
                            problems.append(f"{method} {route.path}: response {code} has no schema")
                        elif "json" in media and untyped(c["schema"]):
                            problems.append(f"{method} {route.path}: response {code} is an untyped object")
                if not op.get("summary") and not op.get("description"):
                    problems.append(f"{method} {route.path}: no summary")
    assert not problems, "\n".join(problems)


def test_html_pages_are_not_in_the_api_document(document):
    outside = [p for p in document["paths"] if not p.startswith("/api/v1/")]
    assert not outside, outside


# ---------------------------------------------------------------- schemathesis

@pytest.fixture(scope="module")
def live_api():
    """A fresh site (same engine as the test run) and a server on it, with an admin token."""
    pg_admin = os.environ.get("COUNCIL_TEST_PG_DSN") if os.environ.get("COUNCIL_TEST_DB") == "postgres" else None
    site = fresh_site(pg_admin)
    server = Server(site).start()
    token = site.token("admin")
    try:
        yield {"base": server.base, "auth": {"Authorization": f"Bearer {token}"}, "log": server.log}
    finally:
        server.stop()
        site.drop()


def test_api_keeps_to_its_schema(live_api):
    """Every operation, MAX_EXAMPLES generated requests each. (Driven through schemathesis'
    Python API: its pytest plugin does not run under pytest 9 yet.) All failures are gathered
    before the test fails, so one run lists every operation that broke."""
    from hypothesis import given
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    schema = schemathesis.openapi.from_url(live_api["base"] + "/api/v1/schema/openapi.json")
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hsettings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                   database=None, derandomize=True)
        def run(case):
            case.call_and_validate(headers=live_api["auth"], timeout=60, checks=checks)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gathered and reported together below
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations > 40
    assert not failures, f"{len(failures)} of {operations} operations failed:\n\n" + "\n\n".join(failures)
