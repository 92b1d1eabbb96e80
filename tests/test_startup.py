"""Starting up: refuse an unmigrated database, report health, publish the API schema.

The unmigrated checks run in a child process with its own data directory: creating an app
rebinds every table to its database, which must not disturb this run's database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parent.parent

START_APP = textwrap.dedent("""
    import sys
    from litestar.testing import TestClient
    from council.app import NotMigrated, create_app

    try:
        with TestClient(create_app()) as client:
            r = client.get("/healthz")
            print("STARTED", r.status_code, r.text)
    except* NotMigrated as group:
        print("REFUSED", group.exceptions[0])
        sys.exit(3)
""")


def _child_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNCIL_")}
    env.update({
        "COUNCIL_DATA_DIR": str(tmp_path / "data"),
        "COUNCIL_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "COUNCIL_SECRET_KEY": "startup-test-secret-key-0123456789abcdef",
    })
    return env


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_app_refuses_to_start_on_an_unmigrated_database(tmp_path):
    env = _child_env(tmp_path)
    result = _run([sys.executable, "-c", START_APP], env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "REFUSED" in result.stdout
    assert "council migrate" in result.stdout
    assert "0001_initial" in result.stdout  # says which migrations are pending


def test_app_starts_once_migrated(tmp_path):
    env = _child_env(tmp_path)
    council = [sys.executable, "-m", "council.cli"] if not (Path(sys.executable).parent / "council").exists() \
        else [str(Path(sys.executable).parent / "council")]
    migrated = _run([*council, "migrate"], env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "Applied" in migrated.stdout
    result = _run([sys.executable, "-c", START_APP], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "STARTED 200" in result.stdout
    again = _run([*council, "migrate"], env)
    assert "up to date" in again.stdout


def test_serve_command_says_what_to_run(tmp_path):
    env = _child_env(tmp_path)
    script = "from council.cli import main; main(['serve', '--port', '1'])"
    result = _run([sys.executable, "-c", script], env)
    assert result.returncode == 1
    assert "council migrate" in result.stderr


def test_healthz_reports_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["database"]["pending_migrations"] == []
    assert body["database"]["engine"] == ("postgres" if BACKEND == "postgres" else "sqlite")


def test_healthz_needs_no_sign_in_and_no_csrf(client):
    # Monitoring polls it without cookies.
    client.cookies.clear()
    assert client.get("/healthz").status_code == 200


def test_openapi_lists_the_register_paths(client):
    from council.core.registry import REGISTERS

    r = client.get("/api/v1/schema/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    paths = spec["paths"]
    assert REGISTERS, "no registers declared"
    for name, reg in REGISTERS.items():
        assert f"/api/v1/{name}" in paths, name
        assert {"get", "post"} <= set(paths[f"/api/v1/{name}"]), name
        item = [p for p in paths if p.startswith(f"/api/v1/{name}/{{")]
        assert item, name
        assert {"get", "patch"} <= set(paths[item[0]]), name
    assert any(p.startswith("/api/v1/people/") and p.endswith("/reveal") for p in paths)
    # The schema describes the API's own request types.
    schemas = spec["components"]["schemas"]
    assert "UnitCreate" in schemas and "area_m2" in schemas["UnitCreate"]["properties"]


async def test_probes_arriving_together_share_one_select(monkeypatch):
    """Fifty monitors polling at once cost one SELECT 1; a probe after it has answered asks again,
    and a failing database reaches every probe that waited on it."""
    import asyncio

    from council import db
    from council.web import home

    calls = []
    engine = db.engine()

    async def slow_select(self, sql):
        calls.append(sql)
        await asyncio.sleep(0.05)
        if len(calls) == 3:
            raise ConnectionError("database away")
        return [{"ok": 1}]

    monkeypatch.setattr(type(engine), "run_ddl", slow_select)
    answers = await asyncio.gather(*(home._select_one() for _ in range(50)))
    assert answers == [[{"ok": 1}]] * 50 and calls == ["SELECT 1 AS ok"]
    await home._select_one()
    assert len(calls) == 2
    failed = await asyncio.gather(*(home._select_one() for _ in range(5)), return_exceptions=True)
    assert len(calls) == 3 and all(isinstance(e, ConnectionError) for e in failed)
