"""Group commit for online ballots on SQLite.

Why: SQLite takes one writer at a time, and each commit waits for the disk (fsync, ~5 ms here), so
one transaction per ballot tops out near 150 ballots a second however many people vote at once —
and a crowd of voters queueing on the write lock makes it worse. Here, ballots that arrive while
a commit is in flight wait together and are written in ONE transaction, each inside its own
SAVEPOINT: a ballot that fails (a used link, a bad choice) rolls back alone, the others commit.
A voter is told "counted" only after the COMMIT that holds their ballot has returned, so nothing
confirmed can be lost; if the commit itself fails, every ballot in it gets the error.

PostgreSQL takes concurrent writers and does not need this: ballots go straight through there.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from typing import Any, Awaitable, Callable

from council import db

MAX_BATCH = 100

Work = Callable[[], Awaitable[Any]]


class GroupCommit:
    def __init__(self) -> None:
        self.pending: list[tuple[Work, asyncio.Future]] = []
        self.runner: asyncio.Task | None = None

    async def submit(self, work: Work) -> Any:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((work, future))
        if self.runner is None or self.runner.done():
            # A fresh context: the runner must never join a transaction of whoever happened to start it.
            self.runner = asyncio.get_running_loop().create_task(self.run(), context=contextvars.Context())
        return await future

    async def run(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            outcomes: list[tuple[asyncio.Future, Any, BaseException | None]] = []
            try:
                async with db.write() as tx:
                    for work, future in batch:
                        savepoint = await tx.savepoint()
                        try:
                            value = await work()
                        except Exception as e:  # noqa: BLE001 — handed to its own caller below
                            await savepoint.rollback_to()
                            await savepoint.release()
                            outcomes.append((future, None, e))
                        else:
                            await savepoint.release()
                            outcomes.append((future, value, None))
            except Exception as e:  # the COMMIT (or BEGIN) failed: nothing in this batch was written
                for _, future in batch:
                    if not future.done():
                        future.set_exception(e)
                continue
            for future, value, error in outcomes:
                if future.done():  # the caller went away (e.g. cancelled); their ballot stands
                    continue
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(value)


_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit]" = weakref.WeakKeyDictionary()


async def run_batched(work: Work) -> Any:
    """Run `work` (which writes without opening its own transaction) in a shared SQLite commit,
    or in a transaction of its own on PostgreSQL."""
    if not db.is_sqlite():
        async with db.write():
            return await work()
    loop = asyncio.get_running_loop()
    group = _by_loop.get(loop)
    if group is None:
        group = _by_loop[loop] = GroupCommit()
    return await group.submit(work)
