"""Group commit on SQLite's one writer connection (council/sqlite_pool.py): queued writers share
one COMMIT, each is acknowledged only once that COMMIT has returned, and a writer that fails takes
nothing of the others with it. Engine-level, on a scratch file of its own (runs under either
COUNCIL_TEST_DB; the kill -9 side is tests/test_crash.py)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from council import sqlite_pool
from council.sqlite_pool import PooledSQLiteEngine


@pytest.fixture
def engine(tmp_path):
    path = tmp_path / "group.db"
    return Engine(str(path))


class Engine(PooledSQLiteEngine):
    """The engine under test, counting its COMMITs."""

    __slots__ = ("commits", "file")

    def __init__(self, path: str):
        super().__init__(path=path, timeout=5, readers=2)
        self.commits: list[str] = []
        self.file = path
        self.on_statement = lambda sql, seconds: self.commits.append(sql) if sql == "COMMIT" else None


def outside(path: str, sql: str) -> list:
    """What another connection (another process, after a crash) sees: only what was committed."""
    with sqlite3.connect(path) as c:
        return c.execute(sql).fetchall()


async def setup(e) -> None:
    await e.start()
    await e.run_ddl('CREATE TABLE t (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, '
                    'label TEXT NOT NULL CHECK (label <> \'\'))')


def run(e, coro):
    async def go():
        try:
            await setup(e)
            return await coro
        finally:
            e.close_loop()
    return asyncio.run(go())


async def write(e, writer: int, label: str = "x", rows: int = 2) -> None:
    async with e.transaction(TransactionType.immediate):
        for _ in range(rows):
            await e.run_querystring(QueryString("INSERT INTO t (writer, label) VALUES ({}, {})", writer, label))
            await asyncio.sleep(0)  # let other writers queue meanwhile, as requests do


def test_queued_writers_share_commits_and_each_is_durable_when_acknowledged(engine):
    seen_at_ack: dict[int, int] = {}

    async def writer(i: int) -> None:
        await write(engine, i)
        # Acknowledged: another connection must already see all of this writer's rows.
        seen_at_ack[i] = outside(engine.file, f"SELECT COUNT(*) FROM t WHERE writer = {i}")[0][0]

    async def main():
        await asyncio.gather(*(writer(i) for i in range(40)))

    run(engine, main())
    assert seen_at_ack == {i: 2 for i in range(40)}
    assert outside(engine.file, "SELECT COUNT(*) FROM t")[0][0] == 80
    # Grouped: fewer COMMITs (fsyncs) than writers.
    assert 1 <= len(engine.commits) < 40, engine.commits


def test_a_failing_writer_is_rolled_back_alone(engine):
    outcomes: dict[int, str] = {}

    async def writer(i: int) -> None:
        try:
            await write(engine, i, label="" if i % 5 == 3 else "x")  # '' breaks the CHECK
            outcomes[i] = "ok"
        except sqlite3.IntegrityError:
            outcomes[i] = "refused"

    async def main():
        await asyncio.gather(*(writer(i) for i in range(20)))

    run(engine, main())
    refused = {i for i, o in outcomes.items() if o == "refused"}
    assert refused == {3, 8, 13, 18}
    rows = outside(engine.file, "SELECT writer, COUNT(*) FROM t GROUP BY writer")
    assert dict(rows) == {i: 2 for i in range(20) if i not in refused}
    assert len(engine.commits) < 20


def test_an_exception_after_some_statements_undoes_only_that_writer(engine):
    async def failing() -> None:
        async with engine.transaction(TransactionType.immediate):
            await engine.run_querystring(QueryString("INSERT INTO t (writer, label) VALUES (99, 'x')"))
            await asyncio.sleep(0)
            raise RuntimeError("the service refused")

    async def main():
        results = await asyncio.gather(failing(), *(write(engine, i) for i in range(10)), return_exceptions=True)
        assert isinstance(results[0], RuntimeError)
        assert all(r is None for r in results[1:])

    run(engine, main())
    assert outside(engine.file, "SELECT COUNT(*) FROM t WHERE writer = 99")[0][0] == 0
    assert outside(engine.file, "SELECT COUNT(*) FROM t")[0][0] == 20


def test_a_lone_write_commits_the_open_group_first(engine):
    async def lone() -> None:
        await engine.run_querystring(QueryString("INSERT INTO t (writer, label) VALUES (500, 'lone')"))
        assert outside(engine.file, "SELECT COUNT(*) FROM t WHERE writer = 500")[0][0] == 1

    async def main():
        await asyncio.gather(*(write(engine, i) for i in range(10)), lone(), *(write(engine, i) for i in range(10, 20)))

    run(engine, main())
    assert outside(engine.file, "SELECT COUNT(*) FROM t")[0][0] == 41


def test_a_failed_commit_fails_every_writer_of_its_group(engine, monkeypatch):
    """Nothing of a group whose COMMIT fails is acknowledged: each of its writers gets an error."""
    failures = []

    def failing_commit(self) -> None:
        self._rollback_if_open()
        raise sqlite3.OperationalError("disk I/O error")

    async def writer(i: int) -> None:
        try:
            await write(engine, i)
        except sqlite3.OperationalError as e:
            failures.append((i, e))

    async def main():
        monkeypatch.setattr(sqlite_pool.Connection, "_commit", failing_commit)
        await asyncio.gather(*(writer(i) for i in range(10)))
        monkeypatch.undo()
        await write(engine, 100)  # the writer connection works again afterwards

    run(engine, main())
    assert sorted(i for i, _ in failures) == list(range(10))
    assert outside(engine.file, "SELECT writer, COUNT(*) FROM t GROUP BY writer") == [(100, 2)]


def test_a_cancelled_writer_leaves_the_group_to_the_others(engine):
    async def main():
        tasks = [asyncio.create_task(write(engine, i, rows=3)) for i in range(10)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        tasks[4].cancel()
        tasks[7].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        done = [i for i, r in enumerate(results) if r is None]
        assert len(done) >= 8
        return done

    done = run(engine, main())
    rows = dict(outside(engine.file, "SELECT writer, COUNT(*) FROM t GROUP BY writer"))
    for i in done:
        assert rows[i] == 3
    assert all(n == 3 for n in rows.values())  # nobody half-written


def test_wal_is_checkpointed_off_the_writers_path(engine):
    """The writer's own automatic checkpoint is only a backstop (BACKSTOP_PAGES): the WAL pages
    of committed work reach the database file through the engine's checkpoint thread, with no
    writer running the checkpoint inside its COMMIT — and the thread stops with the engine."""
    import os

    assert sqlite_pool.BACKSTOP_PAGES >= 10 * 1000

    async def main():
        before = os.path.getsize(engine.file)
        assert engine.checkpointer is not None and engine.checkpointer.thread.is_alive()
        for i in range(30):  # ~1,500 pages of 4 KiB: past SQLite's default 1,000, far below the backstop
            async with engine.transaction(TransactionType.immediate):
                await engine.run_querystring(QueryString("INSERT INTO t (writer, label) VALUES ({}, {})",
                                                         i, "x" * 200_000))
        grown = before
        for _ in range(40):  # the thread runs every CHECKPOINT_SECONDS
            await asyncio.sleep(sqlite_pool.CHECKPOINT_SECONDS / 2)
            grown = os.path.getsize(engine.file)
            if grown > before + 5_000_000:
                break
        assert grown > before + 5_000_000, (before, grown)
        return engine.checkpointer

    checkpointer = run(engine, main())
    assert engine.checkpointer is None
    checkpointer.thread.join(timeout=5)
    assert not checkpointer.thread.is_alive()
    assert outside(engine.file, "SELECT COUNT(*) FROM t")[0][0] == 30
