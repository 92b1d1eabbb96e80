"""Operations: request ids, /readyz, /metrics behind its token, settings that stop the start,
`council serve --workers` on SQLite, `council check` and `council --version`."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import subprocess
import sys

import pytest
from litestar.testing import TestClient

from council.ops import observe
from council.settings import SettingsError, env_bool, load_settings, pdf_workers
from tests.conftest import BACKEND
from tests.liveserver import ROOT
from tests.support import login

TOKEN = "metrics-token-for-the-test-0123456789"


@pytest.fixture(scope="module")
def ops_app(settings, database):
    from council.app import create_app

    return create_app(dataclasses.replace(settings, metrics_token=TOKEN))


def test_every_response_has_a_request_id_and_errors_show_it(client):
    r = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    rid = r.headers["x-request-id"]
    assert r.status_code == 404 and re.fullmatch(r"[0-9a-f]{16}", rid)
    assert rid in r.text and "错误编号" in r.text
    api = client.get("/api/v1/cases")  # no token: problem+json with the id
    assert api.status_code == 401 and api.json()["request_id"] == api.headers["x-request-id"]
    # A proxy's id (nginx's $request_id) is kept; anything that does not look like one is replaced.
    assert client.get("/login", headers={"X-Request-ID": "a" * 32}).headers["x-request-id"] == "a" * 32
    odd = client.get("/login", headers={"X-Request-ID": "bad id\nwith newline"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", odd)


def test_log_lines_carry_the_request_id_as_json():
    record = logging.LogRecord("council", logging.WARNING, __file__, 1, "slow page %s", ("/cases",), None)
    token = observe.request_id_var.set("feedc0de12345678")
    try:
        observe.RequestIdFilter().filter(record)
    finally:
        observe.request_id_var.reset(token)
    line = json.loads(observe.JsonFormatter().format(record))
    assert line["request_id"] == "feedc0de12345678" and line["message"] == "slow page /cases"
    assert line["level"] == "warning" and line["time"].endswith("+00:00")
    text = logging.Formatter(observe.TEXT_FORMAT).format(record)
    assert "[feedc0de12345678] slow page /cases" in text


def test_readyz_reports_each_check(client):
    r = client.get("/readyz")
    body = r.json()
    assert r.status_code == 200 and body["ready"] is True, body
    assert set(body["checks"]) == {"database", "templates", "catalogues", "fonts"}
    assert body["checks"]["database"]["pending_migrations"] == []


def test_metrics_need_the_token(client, ops_app):
    assert client.get("/metrics").status_code == 404  # no token configured: no endpoint
    with TestClient(app=ops_app) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        login(c, "secretary")  # a session is not the token
        assert c.get("/metrics").status_code == 401
        c.get("/cases")
        r = c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        text = r.text
    assert re.search(r'council_request_duration_seconds_count\{method="GET",route="/cases",status="2xx",pid="\d+"\} [1-9]',
                     text), text[:2000]
    assert re.search(r"council_pdf_queue_depth\{pid=\"\d+\"\} 0", text)
    if BACKEND == "postgres":
        assert re.search(r"council_db_pool_in_use\{pid=\"\d+\"\} \d+", text)


@pytest.mark.parametrize("raw, value", [("1", True), ("true", True), ("YES", True), ("0", False), ("false", False),
                                        ("no", False), ("", False)])
def test_booleans_accept_the_usual_words(monkeypatch, raw, value):
    monkeypatch.setenv("COUNCIL_SECURE_COOKIES", raw)
    assert env_bool("COUNCIL_SECURE_COOKIES") is value


@pytest.mark.parametrize("name, raw", [("COUNCIL_SECURE_COOKIES", "ture"), ("COUNCIL_DEBUG", "2"),
                                       ("COUNCIL_LOG_FORMAT", "xml"), ("COUNCIL_PUBLIC_URL", "council.example.org"),
                                       ("COUNCIL_PDF_WORKERS", "many"), ("COUNCIL_FILE_STORE", "s3")])
def test_a_bad_setting_stops_the_start_naming_it(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)
    with pytest.raises(SettingsError, match=name):
        load_settings()
        pdf_workers()


def test_pdf_pools_share_the_cores_between_server_processes(monkeypatch):
    monkeypatch.delenv("COUNCIL_PDF_WORKERS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert pdf_workers(1) == 4 and pdf_workers(2) == 3 and pdf_workers(7) == 1 and pdf_workers(16) == 1
    monkeypatch.setenv("COUNCIL_PDF_WORKERS", "2")
    assert pdf_workers(4) == 2


def _cli(*args, env_extra=None):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "council.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_serve_refuses_several_workers_on_sqlite(tmp_path):
    r = _cli("serve", "--workers", "3", env_extra={"COUNCIL_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert r.returncode == 2 and "--workers 3 needs PostgreSQL" in r.stderr and "one process" in r.stderr
    assert not (tmp_path / "x.db").exists()  # refused before touching anything


def test_bad_boolean_stops_every_command():
    r = _cli("migrate", env_extra={"COUNCIL_SECURE_COOKIES": "ture"})
    assert r.returncode == 2 and "COUNCIL_SECURE_COOKIES='ture' is not a yes/no value" in r.stderr


def test_check_and_version():
    r = _cli("check", env_extra={"COUNCIL_PUBLIC_URL": ""})
    lines = r.stdout.splitlines()
    for need in ("CJK fonts", "HarfBuzz subsetting", "WeasyPrint", "templates", "catalogues", "database", "public URL"):
        assert any(need in line for line in lines), r.stdout
    assert "[MISSING] public URL: COUNCIL_PUBLIC_URL is not set" in r.stdout and r.returncode == 1
    assert "[ok] database:" in r.stdout
    ok = _cli("check", env_extra={"COUNCIL_PUBLIC_URL": "https://council.example.org"})
    assert ok.returncode == 0 and "Everything needed is here." in ok.stdout, ok.stdout
    assert re.fullmatch(r"council \S+\n", _cli("--version").stdout)
