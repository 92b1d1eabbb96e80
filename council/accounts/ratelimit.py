"""Login throttling that slows guessing down and never locks anyone out.

Every attempt is counted, per client address and per account, before the password is checked
(so a burst of parallel guesses sees its own count rising); a successful sign-in forgives the
account and the one attempt it took. Past a few free attempts each further one waits longer,
doubling up to a cap: per address up to 10 s, per account up to 5 s. Nothing is refused: the
right password always gets in, after at most the wait, so an attacker cannot lock a secretary
out by failing on purpose, while guessing runs at one try per several seconds.

The counts live in the database (table login_throttle), so several server processes share them.
The policy (delay_for) is pure and unit-tested."""

from __future__ import annotations

import asyncio
import datetime as dt

FREE_ATTEMPTS = 5
BASE_DELAY = 0.5
CAPS = {"ip": 10.0, "user": 5.0}
WINDOW = dt.timedelta(minutes=15)  # counts older than this start again from zero


def delay_for(attempts_before: int, kind: str = "ip") -> float:
    """Seconds to wait before checking the attempt that follows `attempts_before` unforgiven ones."""
    over = attempts_before - FREE_ATTEMPTS
    if over < 0:
        return 0.0
    return min(CAPS.get(kind, CAPS["ip"]), BASE_DELAY * (2 ** min(over, 16)))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class LoginThrottle:
    """Keys are "ip:<address>" and "user:<name>"."""

    def __init__(self, sleep=asyncio.sleep):
        self.sleep = sleep  # tests record the waits instead of sleeping

    async def attempt(self, *keys: str) -> float:
        """Count one attempt on each key and return the wait that comes before checking it.

        Concurrent sign-ins on PostgreSQL: rows are always locked in one order (sorted keys, the
        same order succeeded() uses), so two attempts never deadlock on each other; two first
        attempts on one key race to insert it, and the loser simply counts again."""
        from council import db

        for attempt_no in range(3):
            try:
                return await self._count(sorted(set(keys)))
            except Exception as e:  # the insert race (unique) or a deadlock the database broke
                if attempt_no == 2 or not (db.is_unique_violation(e) or "deadlock" in str(e).lower()):
                    raise
        return 0.0  # pragma: no cover

    async def _count(self, keys: list[str]) -> float:
        """One atomic increment per key: concurrent attempts each see the count the one before
        them left (a read followed by a write of read + 1 lost counts under PostgreSQL's READ
        COMMITTED: parallel guesses all read the same number)."""
        from council import db

        now = _now()
        wait = 0.0
        async with db.write():
            for key in keys:
                await db.fetch('INSERT INTO "login_throttle" ("key", "attempts", "updated_at") VALUES ({}, 0, {}) '
                               'ON CONFLICT ("key") DO NOTHING', key, now)
                row = (await db.fetch(
                    'UPDATE "login_throttle" SET "attempts" = CASE WHEN "updated_at" < {} THEN 1 '
                    'ELSE "attempts" + 1 END, "updated_at" = {} WHERE "key" = {} RETURNING "attempts"',
                    now - WINDOW, now, key))[0]
                wait = max(wait, delay_for(row["attempts"] - 1, key.split(":", 1)[0]))
        return wait

    async def succeeded(self, ip_key: str, user_key: str) -> None:
        """The account is forgiven; the address only for this one attempt (else an attacker with one
        account of their own could wipe their address's count by signing in to it now and then)."""
        from council import db
        from council.accounts.tables import LoginThrottleEntry as T

        async with db.write():  # in attempt()'s order ("ip:…" before "user:…"): no deadlock between them
            await T.update({T.attempts: T.attempts - 1}).where((T.key == ip_key) & (T.attempts > 0))
            await T.delete().where(T.key == user_key)

    async def attempts(self, key: str) -> int:
        from council.accounts.tables import LoginThrottleEntry as T

        row = await T.select(T.attempts, T.updated_at).where(T.key == key).first()
        return 0 if row is None or row["updated_at"] < _now() - WINDOW else row["attempts"]

    async def forget(self, *keys: str) -> None:
        from council import db
        from council.accounts.tables import LoginThrottleEntry as T

        async with db.write():
            await T.delete().where(T.key.is_in(list(keys)))

    @staticmethod
    async def purge() -> None:
        """Drop counts nobody has touched for a window (called at sign-in)."""
        from council.accounts.tables import LoginThrottleEntry as T

        await T.delete().where(T.updated_at < _now() - WINDOW)
