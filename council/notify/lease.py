"""A lease in the database: one holder at a time across every process and machine that shares
the database (the scheduler; on SQLite also delivery). The holder renews it well before it runs
out; a holder that died loses it when it runs out, and the next one takes over."""

from __future__ import annotations

import os
import socket
import uuid

from council import db
from council.notify.outbox import now_ms

ACQUIRE = (
    'INSERT INTO "notify_lease" ("name", "holder", "until_ms") VALUES ({}, {}, {}) '
    'ON CONFLICT ("name") DO UPDATE SET "holder" = excluded."holder", "until_ms" = excluded."until_ms" '
    'WHERE "notify_lease"."until_ms" < {} OR "notify_lease"."holder" = excluded."holder" '
    'RETURNING "holder"'
)


def new_holder() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def acquire(name: str, holder: str, seconds: float) -> bool:
    """Take or renew the lease; False while someone else holds it."""
    now = now_ms()
    async with db.write():
        rows = await db.raw(ACQUIRE, name, holder, now + int(seconds * 1000), now)
    return bool(rows) and rows[0]["holder"] == holder


async def release(name: str, holder: str) -> None:
    async with db.write():
        await db.raw('UPDATE "notify_lease" SET "until_ms" = 0 WHERE "name" = {} AND "holder" = {}', name, holder)


async def holder_of(name: str) -> dict | None:
    rows = await db.raw('SELECT "holder", "until_ms" FROM "notify_lease" WHERE "name" = {}', name)
    return rows[0] if rows else None
