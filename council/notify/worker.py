"""The delivery worker: claims due outbox rows, sends them through their channel, records every
attempt with the provider's answer, retries with backoff, and puts a message in the dead letter
after the last try.

At-least-once, and never twice to the same key when the provider can be asked: a claimed row is
first committed as `sending` with a fresh attempt id and a claim deadline, then sent, then marked.
A worker killed in between leaves rows in `sending`; once their claim runs out another worker
(or the same one restarted) reconciles them: it asks the provider whether the message with this
key went (SMS: QuerySendDetails by OutId) and marks it sent if so, else sends it again. E-mail
and WeCom cannot be asked: a `sending` attempt committed just before the call tells a message
handed over (its answer lost) from one never started. E-mail is sent again with the same
Message-ID; a WeCom message handed over becomes `uncertain`, for the admin to check the group and
send again from the outbox (docs/notify.md).

PostgreSQL: any number of workers, each claiming with FOR UPDATE SKIP LOCKED. SQLite: one writer
at a time anyway, so delivery runs only in the worker that holds the "delivery" lease.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time

from council import db
from council.notify import lease, messages, rules, scheduler
from council.notify.channels import Channels, local_day
from council.notify.outbox import now_ms, utcnow

log = logging.getLogger("council.notify")

CLAIM_PG = (
    'UPDATE "notify_outbox" SET "status" = \'sending\', "attempt_id" = {}, "claim_until_ms" = {}, '
    '"attempts" = "attempts" + 1 WHERE "id" IN (SELECT "id" FROM "notify_outbox" WHERE "status" = \'pending\' '
    'AND "next_ms" <= {} ORDER BY "next_ms", "id" LIMIT {} FOR UPDATE SKIP LOCKED) RETURNING *'
)
CLAIM_SQLITE = CLAIM_PG.replace(" FOR UPDATE SKIP LOCKED", "")
STALE_PG = (
    'UPDATE "notify_outbox" SET "attempt_id" = {}, "claim_until_ms" = {} WHERE "id" IN (SELECT "id" FROM '
    '"notify_outbox" WHERE "status" = \'sending\' AND "claim_until_ms" < {} ORDER BY "id" LIMIT {} '
    'FOR UPDATE SKIP LOCKED) RETURNING *'
)
STALE_SQLITE = STALE_PG.replace(" FOR UPDATE SKIP LOCKED", "")
# Channels the worker cannot ask afterwards whether a message went (SMS can: QuerySendDetails).
UNASKABLE = ("email", "wecom")
UNCERTAIN = "uncertain: the worker stopped while the robot was posting it; check the group before sending again"
MARK = (
    'UPDATE "notify_outbox" SET "status" = {}, "next_ms" = {}, "last_error" = {}, "provider_id" = {}, '
    '"sent_at" = {} WHERE "id" = {} AND "attempt_id" = {}'
)


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Worker:
    def __init__(self, *, batch: int = 100, concurrency: int = 20, poll: float | None = None,
                 claim_seconds: float | None = None, scheduler_every: float = 60.0, run_scheduler: bool = True) -> None:
        self.holder = lease.new_holder()
        self.batch = batch
        self.concurrency = concurrency
        self.poll = poll if poll is not None else _env_float("COUNCIL_NOTIFY_POLL", 1.0)
        # Longer than any batch takes to send (timeouts are 10 s a message, 20 at a time).
        self.claim_seconds = claim_seconds or _env_float("COUNCIL_NOTIFY_CLAIM_SECONDS", 120.0)
        self.scheduler_every = scheduler_every
        self.run_scheduler = run_scheduler
        self.channels = Channels()
        self._last_schedule = 0.0
        self.sent = 0

    async def _may_deliver(self) -> bool:
        if not db.is_sqlite():
            return True
        # Renewed every round; a killed holder's lease runs out soon after its claims do.
        return await lease.acquire("delivery", self.holder, self.claim_seconds + 1)

    async def claim(self) -> list[dict]:
        now = now_ms()
        attempt = secrets.token_hex(8)
        async with db.write():
            rows = await db.raw(CLAIM_SQLITE if db.is_sqlite() else CLAIM_PG, attempt,
                                now + int(self.claim_seconds * 1000), now, self.batch)
        return [dict(r) for r in rows]  # asyncpg hands back Records

    async def _message(self, row: dict) -> messages.Message:
        if isinstance(row.get("params"), str):
            row["params"] = json.loads(row["params"] or "{}")
        return await messages.build(row)

    async def deliver(self, rows: list[dict]) -> None:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row):
            async with gate:
                started = time.perf_counter()
                try:
                    channel = await self.channels.get(row["channel"])
                    if not channel.configured:
                        return row, None, 0
                    msg = await self._message(row)
                    if row["channel"] in UNASKABLE:
                        await self._mark_sending([row])
                    result = await channel.send(msg)
                except Exception as e:  # a bug in one message must not stop the others
                    log.exception("notify: sending %s failed", row["id"])
                    from council.notify.channels import Result

                    result = Result(False, type(e).__name__, str(e)[:500])
                done = (row, result, int((time.perf_counter() - started) * 1000))
                if row["channel"] == "wecom":
                    # Its answer is recorded at once, not with the batch: only the messages
                    # actually in flight at a crash are left uncertain for the admin to check.
                    await self.record([done])
                    return None
                return done

        emails = [r for r in rows if r["channel"] == "email"]
        others = [r for r in rows if r["channel"] != "email"]
        results = list(await asyncio.gather(*[one(r) for r in others], self._emails(emails)))
        results = [r for r in results[:-1] if r is not None] + results[-1]
        await self.record(results)

    async def _emails(self, rows: list[dict]) -> list:
        """E-mails of a batch go over one SMTP connection (a connection per message costs more than
        the message)."""
        if not rows:
            return []
        channel = await self.channels.get("email")
        if not channel.configured:
            return [(r, None, 0) for r in rows]
        from council.notify.channels import Result

        out, ready, msgs = [], [], []
        for r in rows:
            try:
                msgs.append(await self._message(r))
                ready.append(r)
            except Exception as e:  # one bad message must not hold up the batch
                log.exception("notify: building %s failed", r["id"])
                out.append((r, Result(False, type(e).__name__, str(e)[:500]), 0))
        if not ready:
            return out
        await self._mark_sending(ready)
        started = time.perf_counter()
        try:
            answers = await channel.send_many(msgs)
        except Exception as e:
            log.exception("notify: e-mail batch failed")
            answers = [Result(False, type(e).__name__, str(e)[:500]) for _ in msgs]
        ms = int((time.perf_counter() - started) * 1000 / len(ready))
        return out + [(r, a, ms) for r, a in zip(ready, answers)]

    async def _mark_sending(self, rows: list[dict]) -> None:
        """Commit a `sending` attempt for these messages just before the channel is called. After a
        crash, a claimed row whose last attempt is `sending` may have reached the receiver (the
        call started and its answer was lost); one without it was never handed to the channel.
        For WeCom (one small transaction a message: a robot takes 20 messages a minute anyway) and
        e-mail (one for the batch, which goes over one SMTP connection)."""
        from council.notify.tables import Attempt

        at = utcnow()
        async with db.write():
            await Attempt.insert(*[Attempt(outbox=r["id"], attempt_id=r["attempt_id"], at=at, outcome="sending")
                                   for r in rows])

    async def record(self, results) -> None:
        """One transaction for the batch: the attempts, then the rows — the sent ones in one
        statement (a batch shares its attempt id), the others one by one."""
        from council.notify.tables import Attempt

        now, at = now_ms(), utcnow()
        attempts, sent_ids, attempt_id = [], [], None
        async with db.write():
            for row, result, ms in results:
                attempt_id = row["attempt_id"]
                if result is None:  # the channel is not configured: held until it is (admin resend)
                    await db.raw(MARK, "held", now, "channel not configured", "", None, row["id"], row["attempt_id"])
                    continue
                attempts.append(Attempt(outbox=row["id"], attempt_id=row["attempt_id"], at=at,
                                        outcome="sent" if result.ok else "error", code=result.code[:60],
                                        answer=result.answer[:2000], ms=ms))
                if result.ok:
                    sent_ids.append(row["id"])
                elif result.permanent or rules.is_dead(row["attempts"]):
                    await db.raw(MARK, "dead", now, f"{result.code}: {result.answer}"[:1000], "", None, row["id"],
                                 row["attempt_id"])
                else:
                    wait = rules.backoff_seconds(row["attempts"]) * 1000
                    await db.raw(MARK, "pending", now + wait, f"{result.code}: {result.answer}"[:1000], "", None,
                                 row["id"], row["attempt_id"])
            for chunk in range(0, len(sent_ids), 500):
                part = sent_ids[chunk:chunk + 500]
                await db.raw(
                    'UPDATE "notify_outbox" SET "status" = \'sent\', "last_error" = \'\', "sent_at" = {} '
                    f'WHERE "attempt_id" = {{}} AND "id" IN ({", ".join(str(int(i)) for i in part)})', at, attempt_id)
            self.sent += len(sent_ids)
            if attempts:
                await Attempt.insert(*attempts)

    async def reconcile(self) -> int:
        """Rows left in `sending` past their claim: ask the provider, then mark sent or send again."""
        now = now_ms()
        attempt = secrets.token_hex(8)
        async with db.write():
            stale = await db.raw(STALE_SQLITE if db.is_sqlite() else STALE_PG, attempt,
                                 now + int(self.claim_seconds * 1000), now, self.batch)
        if not stale:
            return 0
        stale = [dict(r) for r in stale]
        from council.notify.tables import Attempt

        started = await self._started({r["id"] for r in stale if r["channel"] in UNASKABLE})
        decided = []  # (row, status, outcome, code)
        for row in stale:
            if row["channel"] == "wecom" and row["id"] in started:
                # A robot cannot be asked and has no idempotency key: sending again may post it
                # twice. The admin checks the group, then sends it again (or not) from the outbox.
                decided.append((row, "uncertain", "uncertain", "no_answer"))
                continue
            if row["channel"] == "email" and row["id"] in started:
                # Sent again with the same Message-ID: receivers that dedupe by it show one.
                decided.append((row, "pending", "resent", "same_message_id"))
                continue
            if row["channel"] in UNASKABLE:  # claimed but never handed to the channel
                decided.append((row, "pending", "resent", "not_started"))
                continue
            channel = await self.channels.get(row["channel"])
            went = None
            if channel.configured:
                went = await channel.confirm(await self._message(row), local_day(row["claim_until_ms"] - int(self.claim_seconds * 1000)))
            decided.append((row, "sent" if went else "pending", "reconciled" if went else "resent",
                            "found" if went else ("not_found" if went is False else "unknown")))
        at = utcnow()
        async with db.write():
            for row, status, _outcome, _code in decided:
                error = UNCERTAIN if status == "uncertain" else ""
                await db.raw(MARK, status, now, error, "", at if status == "sent" else None, row["id"], attempt)
            await Attempt.insert(*[Attempt(outbox=row["id"], attempt_id=attempt, at=at, outcome=outcome, code=code,
                                           answer="") for row, _status, outcome, code in decided])
        log.info("notify: reconciled %d interrupted messages", len(decided))
        return len(decided)

    @staticmethod
    async def _started(ids: set[int]) -> set[int]:
        """Of these rows, those whose latest attempt is `sending`: handed to the channel, no answer."""
        if not ids:
            return set()
        ids = sorted(ids)
        rows = await db.raw(
            'SELECT "outbox", "outcome" FROM "notify_attempt" WHERE "id" IN (SELECT MAX("id") FROM "notify_attempt" '
            f'WHERE "outbox" IN ({", ".join(["{}"] * len(ids))}) GROUP BY "outbox")', *ids)
        return {r["outbox"] for r in rows if r["outcome"] == "sending"}

    async def tick(self) -> int:
        """One round: the scheduler when due (under its lease), then one batch. Returns rows sent."""
        if self.run_scheduler and time.monotonic() - self._last_schedule >= self.scheduler_every:
            self._last_schedule = time.monotonic()
            if await lease.acquire("scheduler", self.holder, self.scheduler_every * 3):
                try:
                    await scheduler.run_due()
                except Exception:
                    log.exception("notify: scheduler run failed")
        if not await self._may_deliver():
            return 0
        await self.reconcile()
        rows = await self.claim()
        if rows:
            await self.deliver(rows)
        return len(rows)

    async def run(self, stop: asyncio.Event | None = None, *, until_idle: bool = False) -> None:
        stop = stop or asyncio.Event()
        try:
            while not stop.is_set():
                try:
                    n = await self.tick()
                except Exception:
                    log.exception("notify: worker round failed")
                    n = 0
                if n == 0:
                    if until_idle:
                        return
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=self.poll)
                    except asyncio.TimeoutError:
                        pass
        finally:
            await self.channels.close()
            # A worker that stops cleanly hands its leases on at once (a killed one loses them
            # when they run out).
            for name in ("delivery", "scheduler"):
                try:
                    await lease.release(name, self.holder)
                except Exception:  # pragma: no cover - the database went away first
                    log.warning("notify: could not release the %s lease", name)


async def drain(**kwargs) -> int:
    """Deliver everything due now (tests, the CLI's --once)."""
    w = Worker(run_scheduler=False, **kwargs)
    await w.run(until_idle=True)
    return w.sent
