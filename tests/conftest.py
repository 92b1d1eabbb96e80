"""Test setup: a fresh database for the whole run, on SQLite (default) or PostgreSQL.

COUNCIL_TEST_DB=sqlite    a temporary file (":memory:" cannot work: Piccolo opens a connection per query)
COUNCIL_TEST_DB=postgres  a new database on the server at COUNCIL_TEST_PG_DSN, dropped afterwards
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import tempfile
from pathlib import Path

import pytest

_tmp = Path(tempfile.mkdtemp(prefix="council-test-"))
os.environ["COUNCIL_DATA_DIR"] = str(_tmp / "data")
os.environ["COUNCIL_SECRET_KEY"] = "test-secret-key-with-enough-length-0123456789"
BACKEND = os.environ.get("COUNCIL_TEST_DB", "sqlite")
# An app per test client: its PDF workers start on the first PDF, not with every client (app.py).
os.environ.setdefault("COUNCIL_PDF_WARM", "0")
_pg_name = None

if BACKEND == "postgres":
    import asyncpg

    admin_dsn = os.environ.get("COUNCIL_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    _pg_name = f"council_test_{secrets.token_hex(4)}"

    async def _create():
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'CREATE DATABASE "{_pg_name}"')
        await conn.close()

    asyncio.run(_create())
    os.environ["COUNCIL_DATABASE_URL"] = re.sub(r"/[^/]*$", f"/{_pg_name}", admin_dsn)
else:
    os.environ["COUNCIL_DATABASE_URL"] = f"sqlite:///{_tmp / 'council-test.db'}"


def pytest_report_header(config):
    return f"council database: {BACKEND} ({os.environ['COUNCIL_DATABASE_URL']})"


def pytest_sessionfinish(session, exitstatus):
    if _pg_name:
        async def _drop():
            conn = await asyncpg.connect(admin_dsn)
            await conn.execute(f'DROP DATABASE IF EXISTS "{_pg_name}" WITH (FORCE)')
            await conn.close()

        asyncio.run(_drop())


from tests.support import *  # noqa: E402,F401,F403  (fixtures)
