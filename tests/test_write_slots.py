"""PostgreSQL write transactions of one process take turns in a few slots (council.db.write,
PG_WRITERS): at most that many are open at once (asyncio's semaphore serves them in arrival order), a nested
write joins its outer transaction without a slot of its own, and a failed one gives its slot
back. On SQLite writers queue on the engine's single writer (tests/test_sqlite_group_commit.py)."""

from __future__ import annotations

import asyncio

import pytest

from council import db


async def test_at_most_pg_writers_open_at_once():
    if db.is_sqlite():
        pytest.skip("PostgreSQL only: SQLite has one writer")
    open_now = peak = 0
    order: list[int] = []

    async def one(n: int) -> None:
        nonlocal open_now, peak
        async with db.write():
            open_now += 1
            peak = max(peak, open_now)
            order.append(n)
            await db.fetch("SELECT pg_sleep(0.02) AS s")
            async with db.write():  # joins: no second slot, no deadlock with all slots taken
                await db.fetch("SELECT 1 AS one")
            open_now -= 1

    tasks = []
    for n in range(db.PG_WRITERS * 3):
        tasks.append(asyncio.create_task(one(n)))
        await asyncio.sleep(0)  # arrive one after the other
    await asyncio.gather(*tasks)
    assert peak == db.PG_WRITERS
    assert sorted(order) == list(range(db.PG_WRITERS * 3))


async def test_a_failed_write_gives_its_slot_back():
    if db.is_sqlite():
        pytest.skip("PostgreSQL only")
    for _ in range(db.PG_WRITERS + 2):
        with pytest.raises(RuntimeError):
            async with db.write():
                raise RuntimeError("refused")
    async with db.write():  # would wait for ever if a slot had leaked
        assert (await db.fetch("SELECT 1 AS one"))[0]["one"] == 1
