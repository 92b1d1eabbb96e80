"""kill -9 during writes: the server is started on its own fresh site (SQLite file, or a new
PostgreSQL database when the suite runs on PostgreSQL), cases are registered through the API by
concurrent clients, and the server is killed with SIGKILL mid-stream — twice. After each
restart:

- SQLite's PRAGMA integrity_check says ok;
- every case the server acknowledged (201 with its id and number) is there, unchanged;
- nothing is half-made: every case has its `created` timeline event and its audit entry, every
  case number is unique, and each station's counter equals the number of cases it numbered
  that year (the counter and the case are written in one transaction, so a crash can leave
  neither a gap nor a case without its count);
- the restarted server takes new writes.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import time

import httpx
import pytest

from tests.liveserver import Server, fresh_site

WRITERS = 8
ROUNDS = 2


@pytest.fixture(scope="module")
def site():
    pg_admin = os.environ.get("COUNCIL_TEST_PG_DSN") if os.environ.get("COUNCIL_TEST_DB") == "postgres" else None
    s = fresh_site(pg_admin)
    yield s
    s.drop()


async def write_until_refused(base: str, token: str, acknowledged: list, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                r = await c.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}, json={
                    "kind": "request", "title": f"断电测试 {n}", "description": "x" * 200,
                    "category": "facilities", "channel": "reception_day"})
            except httpx.HTTPError:
                await asyncio.sleep(0.05)  # the server is gone: keep trying until told to stop
                continue
            if r.status_code == 201:
                acknowledged.append(r.json())
            else:
                assert r.status_code < 500, r.text


async def query(site, sql: str) -> list[tuple]:
    if site.database_url.startswith("sqlite"):
        conn = sqlite3.connect(site.database_url.removeprefix("sqlite:///"))
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import asyncpg

    conn = await asyncpg.connect(site.database_url)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def check_consistent(site, acknowledged: list[dict]) -> None:
    if site.database_url.startswith("sqlite"):
        assert (await query(site, "PRAGMA integrity_check")) == [("ok",)]
    cases = dict(await query(site, "SELECT id, number FROM case_file"))
    lost = [a for a in acknowledged if cases.get(a["id"]) != a["number"]]
    assert not lost, f"{len(lost)} acknowledged cases lost: {lost[:5]}"
    no_event = await query(site, 'SELECT c.id FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM case_event e '
                                 'WHERE e."case" = c.id AND e.kind = \'created\')')
    assert not no_event, f"cases without their created event: {no_event[:5]}"
    no_audit = await query(site, "SELECT c.id FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM audit_entry a "
                                 "WHERE a.action = 'case.create' AND a.entity_id = c.id)")
    assert not no_audit, f"cases without their audit entry: {no_audit[:5]}"
    assert not await query(site, "SELECT number FROM case_file GROUP BY number HAVING count(*) > 1")
    counted: dict[tuple[int, int], int] = {}
    for station, number in await query(site, "SELECT station, number FROM case_file"):
        year = int(re.search(r"-(\d{4})-\d+$", number).group(1))
        counted[(station, year)] = counted.get((station, year), 0) + 1
    counters = {(s, y): last for s, y, last in await query(site, 'SELECT station, year, "last" FROM case_counter')}
    assert counters == counted, (counters, counted)


async def test_kill_9_during_writes_loses_nothing_acknowledged(site):
    token = site.token("secretary")
    acknowledged: list[dict] = []
    server = Server(site)
    for round_ in range(ROUNDS):
        await asyncio.to_thread(server.start)
        stop = asyncio.Event()
        writers = [asyncio.create_task(write_until_refused(server.base, token, acknowledged, stop))
                   for _ in range(WRITERS)]
        before = len(acknowledged)
        deadline = time.monotonic() + 60
        while len(acknowledged) < before + 30 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(acknowledged) >= before + 30, "the server took too few writes before the kill"
        server.kill()  # SIGKILL while the writers are mid-request
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*writers)
        await check_consistent(site, acknowledged)

    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as c:
            r = await c.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}, json={
                "kind": "request", "title": "重启之后", "category": "facilities", "channel": "reception_day"})
            assert r.status_code == 201, r.text
            acknowledged.append(r.json())
    finally:
        server.stop()
    await check_consistent(site, acknowledged)
