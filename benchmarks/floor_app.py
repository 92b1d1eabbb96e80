"""The app the speed benchmark serves: Council itself plus three floor routes that live here, not
in the app. Each floor is the cheapest way the same server process can answer the same kind of
request, so a figure printed beside it says how much of the machine the app's own work takes.

    uvicorn benchmarks.floor_app:create_app --factory

/api/_floor/plain       a few bytes of JSON                                    (floor of /healthz)
/api/_floor/page?n=     n bytes of HTML, built once                            (floor of a page)
/api/_floor/write       POST: BEGIN IMMEDIATE; INSERT; INSERT; COMMIT on one   (floor of a case write)
                        persistent connection (SQLite, synchronous=FULL) or an
                        asyncpg pool (PostgreSQL), into a table of its own
"""

from __future__ import annotations

import asyncio
import os
import sqlite3

from litestar import Response, get, post

_pages: dict[int, bytes] = {}
_sqlite: sqlite3.Connection | None = None
_pg_pool = None
_pg_ready = None


@get("/api/_floor/plain", include_in_schema=False)
async def plain() -> dict:
    return {"status": "ok"}


@get("/api/_floor/page", include_in_schema=False)
async def page(n: int = 20000) -> Response:
    body = _pages.get(n)
    if body is None:
        body = _pages[n] = (b"<!doctype html><p>" + b"x" * max(n - 18, 0))[:n]
    return Response(body, media_type="text/html; charset=utf-8")


FLOOR_DDL = 'CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, kind TEXT, body TEXT)'


async def _write_sqlite(path: str) -> int:
    global _sqlite
    if _sqlite is None:
        _sqlite = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        _sqlite.execute("PRAGMA journal_mode=WAL")
        _sqlite.execute("PRAGMA synchronous=FULL")
        _sqlite.execute(FLOOR_DDL)
    c = _sqlite
    c.execute("BEGIN IMMEDIATE")
    try:
        row_id = c.execute("INSERT INTO bench_floor (kind, body) VALUES ('case', '楼道灯不亮') RETURNING id").fetchone()[0]
        c.execute("INSERT INTO bench_floor (kind, body) VALUES ('event', 'created')")
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise
    return row_id


async def _write_pg(dsn: str) -> int:
    global _pg_pool, _pg_ready
    import asyncpg

    if _pg_ready is None:
        _pg_ready = asyncio.get_running_loop().create_future()
        _pg_pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
        await _pg_pool.execute(FLOOR_DDL.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
        _pg_ready.set_result(True)
    await _pg_ready
    async with _pg_pool.acquire() as c, c.transaction():
        row_id = await c.fetchval("INSERT INTO bench_floor (kind, body) VALUES ('case', '楼道灯不亮') RETURNING id")
        await c.execute("INSERT INTO bench_floor (kind, body) VALUES ('event', 'created')")
    return row_id


@post("/api/_floor/write", include_in_schema=False, status_code=201)
async def write() -> dict:
    url = os.environ["COUNCIL_DATABASE_URL"] if "COUNCIL_DATABASE_URL" in os.environ else ""
    if url.startswith("postgres"):
        return {"id": await _write_pg(url)}
    from council.settings import load_settings

    return {"id": await _write_sqlite(load_settings().database_url.removeprefix("sqlite:///"))}


def create_app():
    from council.app import create_app as council_app

    app = council_app()
    for handler in (plain, page, write):
        app.register(handler)
    return app
