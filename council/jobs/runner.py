"""The job runner: claims queued jobs and runs them, one at a time per runner.

It runs in two places, and they share the work safely:
- `council worker` (beside notification delivery), the place for it on a busy site;
- an asyncio task in every server process (COUNCIL_JOBS_IN_PROCESS, on by default), so a laptop
  with only `council serve` — the demo, the tests — runs jobs too. A job asked for in this process
  wakes its runner at once; others look every COUNCIL_JOBS_POLL seconds (one indexed read).

Exclusive: service.claim is one atomic UPDATE (FOR UPDATE SKIP LOCKED on PostgreSQL, where any
number of runners work side by side; on SQLite, with one writer anyway, jobs run only in the
runner holding the "jobs" lease — council.notify.lease, the delivery worker's pattern). A running
job's claim is renewed every few seconds; a job whose claim runs out (its runner was killed) is
marked failed, never run a second time.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import time
from pathlib import Path

from council import db
from council.core.errors import DomainError
from council.jobs import rules, service

log = logging.getLogger("council.jobs")

_wakers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
ANYTHING = ('SELECT "id" FROM "job" WHERE "state" = \'queued\' OR ("state" = \'running\' AND "claim_until_ms" < {}) '
            'LIMIT 1')


def wake() -> None:
    """A job was asked for: the runners of this process look now, not at their next poll."""
    for loop, event in list(_wakers):
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # that loop has closed
            _wakers.discard((loop, event))


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Context:
    """What a job's handler gets: the job, its requester, a way to report progress."""

    def __init__(self, runner: "Runner", job: dict, principal) -> None:
        self.runner = runner
        self.job = job
        self.params = job["params"]
        self.principal = principal
        self.upload_dir = runner.upload_dir
        self.result: tuple[bytes, str, str] | None = None
        self.summary: dict = {}

    async def progress(self, done: int, total: int | None = None, message: str | None = None, /, **params) -> None:
        await service.progress(self.job["id"], self.runner.holder, done, total, message, **params)

    def set_result(self, content: bytes, name: str, media: str) -> None:
        self.result = (content, name, media)


class JobFailed(Exception):
    """A handler's refusal with a message for the requester (a msgid and its parameters)."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class Runner:
    def __init__(self, upload_dir: Path, *, poll: float | None = None, claim_seconds: float | None = None) -> None:
        from council.notify import lease

        self.holder = "jobs:" + lease.new_holder()
        self.upload_dir = Path(upload_dir)
        self.poll = poll if poll is not None else _env_float("COUNCIL_JOBS_POLL", 2.0)
        self.claim_seconds = claim_seconds or _env_float("COUNCIL_JOBS_CLAIM_SECONDS", 120.0)
        self.ran = 0
        self._last_sweep = 0.0

    async def _may_run(self) -> bool:
        if not db.is_sqlite():
            return True
        from council.notify import lease

        return await lease.acquire("jobs", self.holder, self.claim_seconds)

    async def tick(self) -> int:
        """One round: anything to do? then claim one job and run it. Returns jobs run (0 or 1)."""
        if time.monotonic() - self._last_sweep > 600:
            self._last_sweep = time.monotonic()
            try:
                await service.sweep(self.upload_dir)
            except Exception:
                log.exception("jobs: sweeping old results failed")
        # Idle rounds only read (a write a second from every server process would queue on SQLite's lock).
        if not await db.raw(ANYTHING, service.now_ms()):
            return 0
        if not await self._may_run():
            return 0
        await service.fail_interrupted()
        job = await service.claim(self.holder, self.claim_seconds)
        if job is None:
            return 0
        await self.run_job(job)
        self.ran += 1
        return 1

    async def _keep_claim(self, job_id: int, stop: asyncio.Event) -> None:
        every = max(self.claim_seconds / 6, 0.5)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
                return
            except asyncio.TimeoutError:
                pass
            try:
                await service.heartbeat(job_id, self.holder, self.claim_seconds)
                if db.is_sqlite():
                    from council.notify import lease

                    await lease.acquire("jobs", self.holder, self.claim_seconds)
            except Exception:  # the next beat tries again
                log.warning("jobs: could not renew the claim on job %s", job_id)

    async def run_job(self, job: dict) -> None:
        kind = rules.KINDS.get(job["kind"])
        stop = asyncio.Event()
        beat = asyncio.create_task(self._keep_claim(job["id"], stop))
        try:
            if kind is None:
                raise JobFailed(rules.N_("This kind of job is not known to this version of Council."))
            principal = await service.requester(job)
            if principal is None or principal.role not in kind.roles:
                raise JobFailed(rules.N_("The person who asked for this job may no longer do it."))
            module, func = kind.handler.split(":")
            handler = getattr(importlib.import_module(module), func)
            ctx = Context(self, job, principal)
            await handler(ctx)
            content, name, media = ctx.result if ctx.result else (None, "", "")
            await service.finish(job, self.holder, self.upload_dir, content=content, name=name, media=media,
                                 summary=ctx.summary)
        except JobFailed as e:
            await service.fail(job, self.holder, e.message, **e.params)
        except DomainError as e:
            await service.fail(job, self.holder, e.message, **e.params)
        except Exception as e:
            log.exception("jobs: job %s (%s) failed", job["id"], job["kind"])
            await service.fail(job, self.holder, rules.N_("The job stopped with an error: %(reason)s"),
                               reason=f"{type(e).__name__}: {e}"[:500])
        finally:
            stop.set()
            await beat

    async def run(self, stop: asyncio.Event | None = None, *, until_idle: bool = False) -> None:
        stop = stop or asyncio.Event()
        waker = (asyncio.get_running_loop(), asyncio.Event())
        _wakers.add(waker)
        try:
            while not stop.is_set():
                try:
                    n = await self.tick()
                except Exception:
                    log.exception("jobs: runner round failed")
                    n = 0
                if n:
                    continue
                if until_idle:
                    return
                waker[1].clear()
                stopped = asyncio.ensure_future(stop.wait())
                woken = asyncio.ensure_future(waker[1].wait())
                await asyncio.wait({stopped, woken}, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
                for f in (stopped, woken):
                    f.cancel()
        finally:
            _wakers.discard(waker)
            if db.is_sqlite():
                from council.notify import lease

                try:
                    await lease.release("jobs", self.holder)
                except Exception:  # pragma: no cover - the database went away first
                    log.warning("jobs: could not release the lease")


async def drain(upload_dir: Path) -> int:
    """Run every queued job now, then return how many ran (tests, `council worker --once`)."""
    r = Runner(upload_dir, poll=0.1)
    await r.run(until_idle=True)
    return r.ran


# ---------------------------------------------------------------- inside the server

async def start_in_process(app) -> None:
    """on_startup: a runner task in this server process (COUNCIL_JOBS_IN_PROCESS=0: none, the
    `council worker` runs them)."""
    from council.settings import env_bool

    if not env_bool("COUNCIL_JOBS_IN_PROCESS", True):
        return
    stop = asyncio.Event()
    runner = Runner(app.state.settings.upload_dir)
    task = asyncio.create_task(runner.run(stop))
    # One per event loop: an app may be started more than once in one process (the tests).
    _in_process[id(asyncio.get_running_loop())] = (runner, stop, task)


_in_process: dict[int, tuple] = {}


async def stop_in_process(app) -> None:
    held = _in_process.pop(id(asyncio.get_running_loop()), None)
    if held is None:
        return
    _, stop, task = held
    stop.set()
    try:
        await asyncio.wait_for(task, timeout=10)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        task.cancel()
